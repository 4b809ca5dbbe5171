"""Scenario logic with fake instances (instant, in-process): batches, checks, stops, order, and
the figures derived from scenario rows, computed by hand. The real variants are exercised in
tests/test_scenarios.py."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import pytest

from harness.header import Header
from harness.results import ResultsWriter, ScenarioSample, Status, read_results
from harness.scenario_stats import GIB, batch_rate, density_summaries, rate_summaries
from harness.scenarios import (
    DENSITY,
    REQUESTS,
    SCENARIOS,
    SERVE_WORKLOAD,
    START_RATE,
    START_WORKLOAD,
    ScenarioPlan,
    ScenarioRun,
    Subject,
)
from harness.targets.base import Confinement, Target
from harness.workloads import Serve, load_workload
from tests.conftest import WORKLOADS, fake_artifact
from tests.fakes import FakeHostSpawner, FakeSpawner

WORKLOADS_BY_NAME = {
    name: load_workload(WORKLOADS / name) for name in (START_WORKLOAD, SERVE_WORKLOAD)
}
SERVE = WORKLOADS_BY_NAME[SERVE_WORKLOAD].serve


def subject(variant: str) -> Subject:
    return Subject(
        variant, "c", {name: fake_artifact(name, name * 4) for name in WORKLOADS_BY_NAME}
    )


def run_scenarios(
    tmp_path: Path, plan: ScenarioPlan, variants: dict[str, list[FakeSpawner]]
) -> tuple[list[ScenarioSample], list[str]]:
    """Runs the plan; each variant's spawners are handed out in order as targets are opened."""
    assert SERVE is not None
    events: list[str] = []

    def open_target(variant: str) -> Target:
        return variants[variant].pop(0)

    with ResultsWriter(tmp_path / "run.jsonl", Header.read({"run_id": "test"})) as writer:
        run = ScenarioRun(plan, WORKLOADS_BY_NAME, open_target=open_target, writer=writer,
                          on_event=events.append, mark="test",
                          confinement=Confinement())  # fmt: skip
        rows = run.run([subject(variant) for variant in variants])
    assert read_results(tmp_path / "run.jsonl").scenario_samples == rows  # written as measured
    return rows, events


def plan(**changes: object) -> ScenarioPlan:
    settings: dict[str, object] = {
        "scenarios": SCENARIOS, "seed": 7, "density_steps": (1, 3), "starts": 4, "requests": 6,
        "repetitions": 2, "memory_reserve_bytes": 1,
    }  # fmt: skip
    return ScenarioPlan(**(settings | changes))  # type: ignore[arg-type]


def test_every_scenario_runs_every_operation_checked_and_stops_every_instance(
    tmp_path: Path,
) -> None:
    assert SERVE is not None
    spawners = [FakeSpawner(SERVE), FakeSpawner(SERVE), FakeSpawner(SERVE)]  # + 2 for x2 starts
    everything = list(spawners)
    rows, _ = run_scenarios(tmp_path, plan(), {"fake": spawners})
    assert all(row.status is Status.OK for row in rows), [r.detail for r in rows]
    count = Counter((row.scenario, row.mode) for row in rows)
    assert count == {
        (DENSITY, "idle"): 2 * 2,  # steps 1 and 3, two batches
        (START_RATE, "sequential"): 4 * 2,
        (START_RATE, "concurrent"): 4 * 2,  # 4 starts shared by 2 starters
        (REQUESTS, "fresh-instance"): 6 * 2,
        (REQUESTS, "long-lived"): 6 * 2,
    }
    assert {row.instances for row in rows if row.scenario == DENSITY} == {1, 3}
    assert all(row.request for row in rows if row.scenario == REQUESTS)
    assert {row.request for row in rows if row.scenario == REQUESTS} <= {
        r.size.name for r in SERVE.requests
    }
    instances = [instance for spawner in everything for instance in spawner.instances]
    # 2 x (1 + 3) density, 2 x 8 starts, 2 x 6 fresh requests, 2 long-lived instances
    assert len(instances) == 8 + 16 + 12 + 2
    assert all(instance.stopped for instance in instances)
    assert all(spawner.closed for spawner in everything)  # the run's own targets, closed


def test_an_in_host_variant_starts_fresh_instances_in_each_start_mode_timed_apart(
    tmp_path: Path,
) -> None:
    """Start rate and fresh-instance requests run once per start mode; density and long-lived
    instances in the first. Each row names its mode and carries the instance's own start and
    run as its host timed them; the summary splits each operation into the instance and the
    plumbing around it, per mode."""
    assert SERVE is not None
    hosts = [FakeHostSpawner(SERVE) for _ in range(3)]  # the run's, + 1 per concurrent batch
    rows, events = run_scenarios(tmp_path, plan(repetitions=1), {"wasm": list(hosts)})
    assert all(row.status is Status.OK for row in rows), [r.detail for r in rows]
    count = Counter((row.scenario, row.mode, row.start_mode) for row in rows)
    assert count == {
        (DENSITY, "idle", "kept"): 2,
        **{(START_RATE, mode, start): 4 for mode in ("sequential", "concurrent")
           for start in ("kept", "pooled")},
        **{(REQUESTS, "fresh-instance", start): 6 for start in ("kept", "pooled")},
        (REQUESTS, "long-lived", "kept"): 6,
    }  # fmt: skip
    assert Counter(mode for host in hosts for mode in host.modes) == {
        "kept": 1 + 3 + 4 + 4 + 6 + 1, "pooled": 4 + 4 + 6
    }  # fmt: skip
    fresh = [row for row in rows if row.scenario == START_RATE or row.mode == "fresh-instance"]
    assert {(row.instance_start_ns, row.instance_run_ns) for row in fresh} == {(1_000, 2_000)}
    # a long-lived instance's requests are not starts: nothing of the host's to record
    assert {row.instance_start_ns for row in rows if row not in fresh} == {None}
    assert "start-rate wasm pooled (c) concurrent x2, batch 1: 4/4 ok" in events
    summaries = {(r.scenario, r.subject, r.mode): r for r in rate_summaries(rows)}
    sequential = summaries[START_RATE, "wasm pooled", "sequential"]
    assert sequential.instance_p50_ns == 3_000
    assert sequential.plumbing_p50_ns is not None
    assert sequential.p50_ns is not None
    assert sequential.plumbing_p50_ns == pytest.approx(sequential.p50_ns - 3_000, rel=0.5)
    assert summaries[REQUESTS, "wasm kept", "long-lived"].instance_p50_ns is None


def test_a_wrong_answer_is_recorded_and_stops_its_batch(tmp_path: Path) -> None:
    assert SERVE is not None
    rows, _ = run_scenarios(
        tmp_path,
        plan(scenarios=(REQUESTS,), repetitions=1),
        {"fake": [FakeSpawner(SERVE, wrong_from=0)]},  # every instance answers garbage
    )
    by_mode = {row.mode: row for row in rows}
    assert len(rows) == len(by_mode) == 2  # each batch stopped at its first request
    assert by_mode["fresh-instance"].status is Status.WRONG_OUTPUT
    assert "output is not the expected one" in by_mode["fresh-instance"].detail
    assert by_mode["long-lived"].status is Status.WRONG_OUTPUT
    assert "is not the expected one" in by_mode["long-lived"].detail
    assert all(row.latency_ns is None for row in rows)  # no timing kept for a wrong answer
    assert rate_summaries(rows)[0].failure.startswith("wrong-output")
    assert rate_summaries(rows)[0].per_second is None


def test_density_stops_rising_before_the_memory_reserve(tmp_path: Path) -> None:
    assert SERVE is not None
    rows, events = run_scenarios(
        tmp_path,
        plan(scenarios=(DENSITY,), repetitions=1, memory_reserve_bytes=1 << 60),
        {"fake": [FakeSpawner(SERVE)]},
    )
    assert rows == []
    assert "would leave less than the reserve" in events[0]


def test_batches_are_interleaved_in_a_seeded_order(tmp_path: Path) -> None:
    assert SERVE is not None

    def order(seed: int, directory: Path) -> list[tuple[int, str, str, str]]:
        directory.mkdir()
        spawners = {v: [FakeSpawner(SERVE) for _ in range(4)] for v in ("a", "b")}
        rows, _ = run_scenarios(directory, plan(seed=seed, repetitions=2), spawners)
        return list(dict.fromkeys((r.repetition, r.scenario, r.variant, r.mode) for r in rows))

    first = order(1, tmp_path / "one")
    assert first == order(1, tmp_path / "two")  # seeded
    assert first != order(2, tmp_path / "three")
    variants = [variant for _, _, variant, _ in first]
    switches = sum(1 for before, after in itertools.pairwise(variants) if before != after)
    assert switches > 3  # not one variant's batches, then the other's, in each repetition


# -- derived figures, by hand ------------------------------------------------------------------


def row(**values: object) -> ScenarioSample:
    base: dict[str, object] = {
        "scenario": START_RATE, "workload": "noop", "language": "c", "variant": "v",
        "mode": "sequential", "concurrency": 1, "instances": 1, "repetition": 0, "index": 0,
        "status": Status.OK, "start_offset_ns": 0, "latency_ns": 1_000_000,
    }  # fmt: skip
    return ScenarioSample(**(base | values))  # type: ignore[arg-type]


def test_a_batch_rate_is_ok_operations_over_the_batch_span() -> None:
    # three starts: 0-1 ms, 1-2 ms, 2-4 ms: 3 operations in 4 ms
    batch = [
        row(index=0, start_offset_ns=0, latency_ns=1_000_000),
        row(index=1, start_offset_ns=1_000_000, latency_ns=1_000_000),
        row(index=2, start_offset_ns=2_000_000, latency_ns=2_000_000),
    ]
    assert batch_rate(batch) == pytest.approx(750.0)
    assert batch_rate([*batch, row(index=3, status=Status.TIMEOUT, latency_ns=None)]) is None


def test_rate_summary_takes_the_median_of_batch_rates_and_percentiles_of_latencies() -> None:
    rows = [
        row(repetition=r, index=i, start_offset_ns=i * span, latency_ns=span)
        for r, span in enumerate((1_000_000, 2_000_000, 4_000_000))
        for i in range(5)
    ]
    (summary,) = rate_summaries(rows)
    assert summary.per_second == pytest.approx(500.0)  # batches at 1000, 500 and 250 per second
    assert summary.per_second_range == pytest.approx((250.0, 1000.0))
    assert summary.p50_ns == pytest.approx(2_000_000)
    assert summary.ok == summary.total == 15
    assert summary.p50_ci_ns is not None


def test_density_per_instance_memory_and_instances_per_gib() -> None:
    rows = [
        row(scenario=DENSITY, mode="idle", instances=10, repetition=r, latency_ns=50_000_000,
            host_used_before_bytes=1 << 30, host_used_after_bytes=(1 << 30) + grown * 10,
            pss_before_bytes=100, pss_after_bytes=100 + grown * 10)
        for r, grown in enumerate((4 << 20, 2 << 20, 3 << 20))
    ]  # fmt: skip
    (summary,) = density_summaries(rows)
    (step,) = summary.steps
    assert step.instances == 10
    assert step.batches == 3
    assert step.pss_per_instance_bytes == 3 << 20  # the median of 4, 2 and 3 MiB
    assert step.host_per_instance_bytes == 3 << 20
    assert step.instances_per_gib == pytest.approx(GIB / (3 << 20))
    assert math.isclose(step.start_all_ns, 50_000_000)


def test_emulated_rows_never_count() -> None:
    assert rate_summaries([row(emulated=True)]) == []
    assert density_summaries([row(scenario=DENSITY, emulated=True)]) == []


def test_the_serve_form_is_read_from_the_manifest() -> None:
    assert SERVE is not None
    assert SERVE.args == ("isobench-webhook-secret", "--serve")
    rejected = [r for r in SERVE.requests if r.size.expected_exit_code]
    assert {r.response for r in rejected} == {b"rejected 3\n", b"rejected 4\n"}
    assert Serve.frame(b"abc") == b"3\nabc"
