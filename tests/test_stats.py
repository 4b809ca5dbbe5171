from __future__ import annotations

import dataclasses
import math
import statistics

import numpy as np
import pytest
import scipy.stats

from harness import stats
from harness.frame import frame_of
from harness.results import Sample, Status
from harness.stats import (
    Cells,
    Fit,
    Summary,
    WorkUnits,
    bootstrap_median_ci,
    bootstrap_medians,
    bootstrap_ratio_ci,
    coefficient_of_variation,
    geometric_mean_estimates,
    least_squares,
    mad_outliers,
    mann_whitney_u,
)

BASE = Sample(
    workload="w",
    language="c",
    variant="native",
    size="tiny",
    profile="portable",
    state="warm",
    arch="x86_64",
    round=1,
    warmup=False,
    status=Status.OK,
    wall_ns=0,
)


def summarize(records: list[Sample], memory_resolution_bytes: int | None = None) -> list[Summary]:
    """The summaries of samples written here as records (their frame, as a file gives it)."""
    return stats.summarize(frame_of(records), memory_resolution_bytes)


def fit_throughput(records: list[Sample], work_units: WorkUnits) -> list[Fit]:
    return stats.fit_throughput(Cells(frame_of(records)), work_units)


def samples(variant: str, walls: list[int], **changes: object) -> list[Sample]:
    return [
        dataclasses.replace(BASE, variant=variant, wall_ns=wall, **changes)  # type: ignore[arg-type]
        for wall in walls
    ]


def test_bootstrap_intervals_are_reproducible_and_hold_the_median() -> None:
    values = [101.0, 99, 103, 98, 100, 97, 102, 150, 100, 99]
    interval = bootstrap_median_ci(values)
    assert interval == bootstrap_median_ci(values)  # seeded: the same samples, the same CI
    assert interval is not None
    assert interval[0] <= statistics.median(values) <= interval[1]
    assert interval[1] < 150  # the median's interval is not dragged by one outlier
    assert bootstrap_median_ci([5.0, 5, 5, 5]) == (5.0, 5.0)
    assert bootstrap_median_ci([5.0]) is None


def test_ratio_interval_of_exactly_doubled_constant_samples_is_exactly_two() -> None:
    assert bootstrap_ratio_ci([20.0] * 5, [10.0] * 5) == (2.0, 2.0)
    spread = bootstrap_ratio_ci([19.0, 20, 21, 20, 22, 18], [10.0, 9, 11, 10, 10, 10])
    assert spread is not None
    assert spread[0] < 2.0 < spread[1]
    assert bootstrap_ratio_ci([1.0], [1.0, 2.0]) is None


def test_mad_outliers_by_hand() -> None:
    # median 10; |deviations| 0 0 1 1 0 40, their median 0.5, scaled 0.7413: only 50 is past 3.
    assert mad_outliers([10, 10, 11, 9, 10, 50]) == 1
    assert mad_outliers([10, 11, 12]) == 0


def test_coefficient_of_variation_by_hand() -> None:
    assert coefficient_of_variation([9, 10, 11]) == pytest.approx(0.1)
    assert coefficient_of_variation([7]) is None


def test_mann_whitney_u_by_hand() -> None:
    # No ties, small: exact. U = 0: of the C(6, 3) = 20 equally likely splits of the ranks,
    # one gives U = 0 and one U = 9 (as extreme, the other way): p = 2/20.
    u, p = mann_whitney_u([1, 2, 3], [4, 5, 6])  # type: ignore[misc]
    assert u == 0
    assert p == pytest.approx(0.1)
    # 10 against 10, fully apart: 2 / C(20, 10), where the normal approximation gives 1.8e-4
    assert mann_whitney_u(list(range(10)), list(range(10, 20))) == pytest.approx((0, 2 / 184756))
    # A tie: the normal approximation. Ranks 1..6 and 7.5, 7.5: U = 13.5 - 10 = 3.5, mean 8,
    # variance 4*4/12 * (9 - (2**3 - 2)/(8*7)), z = (4.5 - 0.5)/sqrt(variance)
    u, p = mann_whitney_u([1, 2, 3, 7], [4, 5, 6, 7])  # type: ignore[misc]
    variance = 16 / 12 * (9 - 6 / 56)
    assert u == 3.5
    assert p == pytest.approx(math.erfc(4 / math.sqrt(variance) / math.sqrt(2)))
    # Ties share their mean rank; identical samples are no evidence of a difference.
    u, p = mann_whitney_u([1, 1, 2], [1, 2, 2])  # type: ignore[misc]
    assert u == 3.0  # ranks: 1s -> 2, 2s -> 5; a's rank sum 9, minus 3*4/2
    assert mann_whitney_u([5, 5, 5], [5, 5, 5]) == (4.5, 1.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("tied", [True, False])
def test_the_normal_approximation_is_scipys_own(seed: int, tied: bool) -> None:
    """Beyond the exact test's reach (ties, or more than EXACT_MAX_N values), the p-value is
    computed in numpy: it must be what scipy's "asymptotic" method gives."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(10, 3, size=150), rng.normal(11, 3, size=90 + seed)
    if tied:
        a, b = np.round(a), np.round(b)
    u, p = mann_whitney_u(a, b)  # type: ignore[misc]
    expected = scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    assert u == pytest.approx(expected.statistic)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


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


def test_summary_carries_ratio_interval_noise_and_significance() -> None:
    native = [100, 102, 98, 101, 99, 100, 103, 97]
    slow = [150, 153, 147, 151, 149, 150, 154, 146]
    rows = {r.variant: r for r in summarize(samples("native", native) + samples("wasm", slow))}
    wasm = rows["wasm"]
    assert wasm.ratio_to_native == pytest.approx(1.5)
    assert wasm.ratio_ci is not None
    assert wasm.ratio_ci[0] < 1.5 < wasm.ratio_ci[1]
    assert wasm.p_vs_native is not None
    assert wasm.p_vs_native < 0.001
    assert rows["native"].p_vs_native is None
    assert rows["native"].ratio_ci is None
    assert not wasm.noisy
    noisy = summarize(samples("native", [100, 200, 100, 300, 150]))[0]
    assert noisy.noisy


def test_every_state_is_compared_with_native_warm() -> None:
    rows = summarize(
        samples("native", [100, 100, 100])
        + samples("docker", [400, 400, 400], state="cold")
        + samples("docker", [300, 300, 300], state="warm")
    )
    ratios = {(r.variant, r.state): r.ratio_to_native for r in rows}
    assert ratios == {("native", "warm"): 1.0, ("docker", "cold"): 4.0, ("docker", "warm"): 3.0}
    assert [(r.variant, r.state) for r in rows] == [
        ("native", "warm"),
        ("docker", "cold"),
        ("docker", "warm"),
    ]


def test_net_ratio_subtracts_each_sides_noop_floor() -> None:
    # native: noop 1, work 101 -> net 100; docker: noop 300, work 450 -> net 150: 1.5x net,
    # though 450 / 101 = 4.46x gross.
    rows = summarize(
        samples("native", [1, 1, 1], workload="noop")
        + samples("docker", [300, 300, 300], workload="noop", state="cold")
        + samples("native", [101, 101, 101])
        + samples("docker", [450, 450, 450], state="cold")
    )
    by_cell = {(r.workload, r.variant): r for r in rows}
    docker = by_cell[("w", "docker")]
    assert docker.ratio_to_native == pytest.approx(450 / 101)
    assert docker.net_ratio == pytest.approx(1.5)
    assert docker.net_ratio_ci == pytest.approx((1.5, 1.5))
    assert by_cell[("w", "native")].net_ratio == 1.0
    assert by_cell[("noop", "docker")].net_ratio is None  # the floor has no net time


def test_no_net_ratio_without_noop_in_the_run() -> None:
    rows = summarize(samples("native", [100, 100]) + samples("docker", [400, 400]))
    assert all(r.net_ratio is None and r.net_ratio_ci is None for r in rows)


def test_least_squares_by_hand() -> None:
    # y = 5 + 2x exactly: intercept 5, slope 2, R^2 1
    assert least_squares([(1, 7), (2, 9), (3, 11)]) == (5.0, 2.0, 1.0)
    # (0,0), (1,1), (2,1): slope 0.5, intercept 1/6, R^2 0.75
    intercept, slope, r2 = least_squares([(0, 0), (1, 1), (2, 1)])  # type: ignore[misc]
    assert (intercept, slope, r2) == (pytest.approx(1 / 6), pytest.approx(0.5), pytest.approx(0.75))
    assert least_squares([(1, 1), (1, 2)]) is None  # x does not vary


def test_fit_separates_startup_from_per_unit_cost_and_compares_slopes() -> None:
    units = {"w": {"tiny": 1_000, "default": 10_000}}

    # native: 1 ms + 100 ns/unit; docker: 300 ms + 100 ns/unit; wasm: 2 ms + 150 ns/unit
    def cell(variant: str, fixed: int, per_unit: int, state: str = "warm") -> list[Sample]:
        return [
            dataclasses.replace(
                BASE,
                variant=variant,
                size=size,
                state=state,
                wall_ns=fixed + per_unit * int(count),
                phases_ns={"run": per_unit * int(count)},
            )
            for size, count in units["w"].items()
            for _ in range(3)
        ]

    fits = fit_throughput(
        cell("native", 1_000_000, 100) + cell("docker", 300_000_000, 100, "cold")
        + cell("wasmtime", 2_000_000, 150),
        units,
    )  # fmt: skip
    by_variant = {f.variant: f for f in fits}
    docker, wasm = by_variant["docker"], by_variant["wasmtime"]
    assert docker.fixed_ns == pytest.approx(300_000_000)
    assert docker.per_unit_ns == pytest.approx(100)
    assert docker.per_unit_ratio == pytest.approx(1.0)  # the container costs startup only
    assert docker.per_unit_ratio_ci == pytest.approx((1.0, 1.0))
    assert wasm.per_unit_ratio == pytest.approx(1.5)
    assert wasm.run_phase_per_unit_ns == pytest.approx(150)
    assert wasm.r_squared == pytest.approx(1.0)
    assert wasm.sizes == ("default", "tiny")
    assert wasm.samples == 6
    assert fit_throughput(cell("native", 1, 1), {}) == []  # no work units: no fit


@pytest.mark.parametrize("n", [2, 3, 10, 11, 40])
def test_bootstrap_medians_follow_brute_force_resampling(n: int) -> None:
    """The order-statistic shortcut against the definition: resample n values with replacement
    and take the median. Both seeded; over 20 000 resamples each the two distributions agree to
    sampling noise (largest gap between their CDFs) and take the same values."""
    values = np.random.default_rng(7).lognormal(size=n) * 100
    shortcut = np.sort(bootstrap_medians(values, np.random.default_rng(1), resamples=20_000))
    draws = np.random.default_rng(2).integers(0, n, size=(20_000, n))
    brute = np.sort(np.median(values[draws], axis=1))
    points = np.union1d(shortcut, brute)
    gap = (
        np.abs(
            np.searchsorted(shortcut, points, side="right")
            - np.searchsorted(brute, points, side="right")
        ).max()
        / 20_000
    )
    assert gap < 0.02
    assert set(np.unique(shortcut)) <= set(np.unique(brute)) | {
        (a + b) / 2 for a in values for b in values
    }


def test_emulated_samples_never_enter_a_summary() -> None:
    rows = summarize(
        samples("native", [100, 100, 100]) + samples("native", [900, 900, 900, 900], emulated=True)
    )
    assert [(row.samples_ok, row.samples_total, row.median_wall_ns) for row in rows] == [
        (3, 3, 100)
    ]


def test_cpu_time_is_summarized_beside_wall_time() -> None:
    # wall: as in the net ratio test (1.5x net); CPU: native noop 1, work 91 -> net 90; docker
    # noop 10 (the engine's own work is not the container's CPU), work 190 -> net 180: 2x net
    rows = summarize(
        samples("native", [1, 1, 1], workload="noop", cpu_ns=1)
        + samples("docker", [300, 300, 300], workload="noop", state="cold", cpu_ns=10)
        + samples("native", [101, 101, 101], cpu_ns=91)
        + samples("docker", [450, 450, 450], state="cold", cpu_ns=190)
    )
    by_cell = {(r.workload, r.variant): r for r in rows}
    docker = by_cell[("w", "docker")]
    assert (docker.cpu.median, docker.cpu.interval) == (190, (190, 190))
    assert docker.cpu.ratio == pytest.approx(190 / 91)
    assert docker.cpu.net == pytest.approx(2.0)
    assert docker.cpu.net_interval == pytest.approx((2.0, 2.0))
    assert docker.net_ratio == pytest.approx(1.5)  # wall time, as before
    assert docker.cpu.cv == 0
    assert by_cell[("noop", "docker")].cpu.ratio == 10
    no_cpu = summarize(samples("native", [5, 5]) + samples("docker", [9, 9]))
    assert all(r.cpu.median is None and r.cpu.ratio is None for r in no_cpu)


def test_memory_ratios_only_between_peaks_the_counter_resolves() -> None:
    resolution = 512 << 10  # ratios need both peaks at 4 resolutions: 2 MiB
    mib = 2**20

    def run(native_peak: int, docker_peak: int) -> Summary:
        rows = summarize(
            samples("native", [5, 5], peak_memory_bytes=native_peak)
            + samples("docker", [9, 9], peak_memory_bytes=docker_peak),
            memory_resolution_bytes=resolution,
        )
        return next(r for r in rows if r.variant == "docker")

    small = run(1 * mib, 3 * mib)  # native's 1 MiB may be 0.5 MiB or 1 MiB: no ratio
    assert (small.memory_ratio, small.memory_ratio_ci) == (None, None)
    assert small.memory_below_resolution
    assert small.median_peak_memory_bytes == 3 * mib  # the peak itself is still recorded
    large = run(4 * mib, 8 * mib)
    assert large.memory_ratio == 2.0
    assert not large.memory_below_resolution
    unknown = summarize(samples("native", [5, 5], peak_memory_bytes=mib)
                        + samples("docker", [9, 9], peak_memory_bytes=3 * mib))  # fmt: skip
    assert next(r for r in unknown if r.variant == "docker").memory_ratio == 3.0  # no resolution


def test_the_geometric_mean_is_taken_resample_by_resample() -> None:
    estimates = geometric_mean_estimates([np.array([2.0, 1.0, -1.0]), np.array([8.0, 4.0, 3.0])])
    assert estimates[:2] == pytest.approx([4.0, 2.0])
    assert np.isnan(estimates[2])  # a ratio not positive: no geometric mean in that resample
