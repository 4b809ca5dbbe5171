from __future__ import annotations

import dataclasses

import pytest

from harness.results import Sample, Status
from harness.stats import median_interval, summarize

BASE = Sample(
    workload="w",
    language="c",
    variant="native",
    size="tiny",
    profile="portable",
    arch="x86_64",
    round=1,
    warmup=False,
    status=Status.OK,
    wall_ns=0,
)


def samples(variant: str, walls: list[int], **changes: object) -> list[Sample]:
    return [
        dataclasses.replace(BASE, variant=variant, wall_ns=wall, **changes)  # type: ignore[arg-type]
        for wall in walls
    ]


def test_median_interval_needs_six_values_at_95_percent() -> None:
    assert median_interval([1, 2, 3, 4, 5]) is None
    assert median_interval([6, 1, 5, 2, 4, 3]) == (1, 6)


def test_median_interval_uses_binomial_order_statistics() -> None:
    # n = 10: P(Bin(10, 1/2) <= 1) = 11/1024 <= 0.025 < P(<= 2) = 56/1024, so k = 2.
    assert median_interval(list(range(1, 11))) == (2, 9)
    # n = 20: P(<= 5) = 0.0207 <= 0.025 < P(<= 6) = 0.0577, so k = 6.
    assert median_interval(list(range(1, 21))) == (6, 15)


def test_ratio_is_to_the_native_median_of_the_same_run() -> None:
    rows = summarize(samples("native", [100, 110, 90]) + samples("wasmtime", [150, 165, 135]))
    by_variant = {row.variant: row for row in rows}
    assert by_variant["native"].ratio_to_native == 1.0
    assert by_variant["wasmtime"].median_wall_ns == 150
    assert by_variant["wasmtime"].ratio_to_native == pytest.approx(1.5)
    assert [row.variant for row in rows] == ["native", "wasmtime"]


def test_failed_and_warmup_samples_are_counted_but_never_averaged_in() -> None:
    rows = summarize(
        samples("native", [100, 100, 100])
        + samples("native", [1], status=Status.WRONG_OUTPUT)
        + samples("native", [10_000], warmup=True)
        + samples("native", [5], status=Status.TIMEOUT)
    )
    (row,) = rows
    assert row.median_wall_ns == 100
    assert (row.samples_ok, row.samples_total) == (3, 5)
    assert row.failures == {"wrong-output": 1, "timeout": 1}


def test_no_ratio_without_an_ok_native_baseline() -> None:
    rows = summarize(samples("native", [1], status=Status.CRASHED) + samples("docker", [5]))
    assert {row.variant: row.ratio_to_native for row in rows} == {"native": None, "docker": None}


def test_peak_memory_median_skips_samples_without_a_figure() -> None:
    rows = summarize([dataclasses.replace(BASE, peak_memory_bytes=m) for m in (None, 10, 30)])
    assert rows[0].median_peak_memory_bytes == 20
