"""Statistics derived from raw samples: medians with confidence intervals, ratios to native with
theirs, outliers, noise, and a significance test against native.

Only `ok`, non-warm-up, non-emulated samples count. Every resampling is seeded (BOOTSTRAP_SEED
and the name of what is resampled), so the same samples always give the same summary:
summaries are recomputed, never stored.
"""

from __future__ import annotations

import itertools
import math
import statistics
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from harness.frame import phase_column
from harness.results import (
    BASELINE_STATE,
    BASELINE_VARIANT,
    FLOOR_WORKLOAD,
    CellKey,
    FloorKey,
    FloorStart,
    Sample,
    Status,
)

if TYPE_CHECKING:
    import pandas as pd

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
EXACT_MAX_N = 100  # Mann-Whitney p-values are exact up to this many values a side
BOOTSTRAP_SEED = 20_240_601
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Values = Sequence[float] | FloatArray  # a group of values: a list, or a frame's column
NOISY_CV = 0.10  # coefficient of variation above which a cell is flagged
# A memory ratio is shown only when both peaks are at least this many resolutions (the cgroup
# counter's step per CPU, in the results header): each side's error is then at most a quarter.
MEMORY_RATIO_MIN_RESOLUTIONS = 4
WALL = "wall_ns"  # the metrics a cell's time is summarized in: wall time and CPU time
CPU = "cpu_ns"
OUTLIER_MADS = 3.0  # |x - median| > 3 scaled MADs is an outlier
MAD_SCALE = 1.4826  # makes the MAD estimate the standard deviation for normal data


def bootstrap_medians(
    values: Values, rng: np.random.Generator, resamples: int = BOOTSTRAP_RESAMPLES
) -> FloatArray:
    """The medians of `resamples` bootstrap resamples of `values` (at least one value).

    Exact, without building the resamples: draw n indices uniformly with replacement and the
    k-th smallest of them is floor(n U(k)), U(k) the k-th order statistic of n uniforms, which
    follows Beta(k, n + 1 - k); floor(n u) is monotone, so it maps one order statistic onto the
    other. Given U(k) = u, U(k+1) is u plus (1 - u) times the least of n - k uniforms,
    Beta(1, n - k): the two middle indices of an even n. O(resamples), whatever n is: a 100 000
    sample report stays quick. tests/test_stats.py checks it against brute-force resampling.
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n = len(ordered)
    k = (n + 1) // 2  # the (lower) middle rank, 1-based
    if n == 1:
        return np.full(resamples, ordered[0])
    lower_u = rng.beta(k, n + 1 - k, size=resamples)
    lower = ordered[np.minimum((lower_u * n).astype(np.int64), n - 1)]
    if n % 2:
        return lower
    upper_u = lower_u + (1 - lower_u) * rng.beta(1, n - k, size=resamples)
    upper = ordered[np.minimum((upper_u * n).astype(np.int64), n - 1)]
    return (lower + upper) / 2


def new_rng(*stream: str) -> np.random.Generator:
    """A generator seeded by BOOTSTRAP_SEED and a stream name: the same data always give the same
    interval, and two named groups (a cell and its baseline) never share their resamples."""
    return np.random.default_rng([BOOTSTRAP_SEED, *(zlib.crc32(part.encode()) for part in stream)])


def percentile_interval(
    estimates: FloatArray, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """The percentile interval of bootstrap estimates (NaN ones, from a zero divisor, dropped)."""
    finite = estimates[np.isfinite(estimates)]
    if finite.size == 0:
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def ratio_estimates(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / denominator where the denominator is positive, NaN elsewhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def bootstrap_median_ci(
    values: Values, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the median; None below two values."""
    if len(values) < 2:
        return None
    return percentile_interval(bootstrap_medians(values, new_rng("median")), confidence)


def bootstrap_ratio_ci(
    numerator: Values, denominator: Values, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """Interval of median(numerator) / median(denominator), resampling both independently."""
    estimates = median_ratio_estimates(numerator, denominator)
    return None if estimates is None else percentile_interval(estimates, confidence)


def median_ratio_estimates(
    numerator: Values, denominator: Values, stream: str = "ratio"
) -> FloatArray | None:
    """Bootstrap estimates of median(numerator) / median(denominator); None below two values a
    side. `stream` names the resampling (see net_ratio_estimates)."""
    if len(numerator) < 2 or len(denominator) < 2:
        return None
    top = bootstrap_medians(numerator, new_rng(stream, "numerator"))
    bottom = bootstrap_medians(denominator, new_rng(stream, "denominator"))
    return ratio_estimates(top, bottom)


def bootstrap_net_ratio_ci(
    walls: Values,
    floor: Values,
    baseline: Values,
    baseline_floor: Values,
    *,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """Interval of (median(walls) - median(floor)) / (median(baseline) - median(baseline_floor)):
    the ratio of times net of startup, resampling all four sides independently."""
    estimates = net_ratio_estimates(walls, floor, baseline, baseline_floor)
    return None if estimates is None else percentile_interval(estimates, confidence)


def net_ratio_estimates(
    walls: Values,
    floor: Values,
    baseline: Values,
    baseline_floor: Values,
    stream: str = "net",
) -> FloatArray | None:
    """Bootstrap estimates of the net ratio (see bootstrap_net_ratio_ci); `stream` names the
    resampling, so estimates from two runs (two hosts) can be combined independently."""
    sides = (walls, floor, baseline, baseline_floor)
    if any(len(side) < 2 for side in sides):
        return None
    top, top_floor, bottom, bottom_floor = (
        bootstrap_medians(side, new_rng(stream, str(index))) for index, side in enumerate(sides)
    )
    return ratio_estimates(top - top_floor, bottom - bottom_floor)


def ratio_of_ratios_ci(
    numerator: FloatArray | None, denominator: FloatArray | None, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """Interval of one bootstrap ratio over another, e.g. wasm/native on Arm over wasm/native
    on x86: the estimates must come from independent streams."""
    if numerator is None or denominator is None:
        return None
    return percentile_interval(ratio_estimates(numerator, denominator), confidence)


def geometric_mean_estimates(estimates: Sequence[FloatArray]) -> FloatArray:
    """Bootstrap estimates of the geometric mean of several ratios, resample by resample (each
    ratio's estimates drawn from its own streams). A resample in which any ratio is not positive
    has no geometric mean: NaN, left out of the interval."""
    stacked = np.vstack(estimates)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(stacked > 0, np.log(np.where(stacked > 0, stacked, 1.0)), np.nan)
    return np.asarray(np.exp(logs.mean(axis=0)), dtype=np.float64)


def mad_outliers(values: Values) -> int:
    """How many values lie more than OUTLIER_MADS scaled MADs from the median."""
    if len(values) < 3:
        return 0
    data = np.asarray(values, dtype=np.float64)
    deviations = np.abs(data - np.median(data))
    mad = float(np.median(deviations)) * MAD_SCALE
    if mad == 0:
        return int(np.count_nonzero(deviations))
    return int(np.count_nonzero(deviations > OUTLIER_MADS * mad))


def coefficient_of_variation(values: Values) -> float | None:
    if len(values) < 2:
        return None
    data = np.asarray(values, dtype=np.float64)
    mean = float(data.mean())
    return float(data.std(ddof=1)) / mean if mean else None


def mann_whitney_u(a: Values, b: Values) -> tuple[float, float] | None:
    """Two-sided Mann-Whitney U test: (U of `a`, p-value). Exact (scipy's permutation
    distribution) when neither side holds more than EXACT_MAX_N values and no value is tied:
    the normal approximation cannot go below p = 1.8e-4 at 10 against 10, too coarse for a gate
    that corrects for hundreds of comparisons; otherwise the normal approximation with tie and
    continuity corrections, as scipy's "asymptotic" method computes it, here in numpy: scipy's
    import alone (0.9 s) would be a tenth of a million-sample report. None without data."""
    first = np.asarray(a, dtype=np.float64)
    second = np.asarray(b, dtype=np.float64)
    if not first.size or not second.size:
        return None
    both = np.concatenate([first, second])
    if np.all(both == both[0]):
        return first.size * second.size / 2, 1.0  # every value the same: nothing to tell apart
    distinct, where, ties = np.unique(both, return_inverse=True, return_counts=True)
    if distinct.size == both.size and max(first.size, second.size) <= EXACT_MAX_N:
        import scipy.stats  # noqa: PLC0415 - costs 0.9 s: only for an exact test

        exact = scipy.stats.mannwhitneyu(first, second, alternative="two-sided", method="exact")
        return float(exact.statistic), float(exact.pvalue)
    n1, n2, n = first.size, second.size, both.size
    mean_ranks = np.cumsum(ties) - (ties - 1) / 2  # of each distinct value, ties averaged
    u1 = float(mean_ranks[where[:n1]].sum()) - n1 * (n1 + 1) / 2
    tie_term = float(np.sum(ties.astype(np.float64) ** 3 - ties)) / (n * (n - 1))
    deviation = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term))
    z = (max(u1, n1 * n2 - u1) - n1 * n2 / 2 - 0.5) / deviation
    return u1, min(1.0, math.erfc(z / math.sqrt(2)))


@dataclass(frozen=True, slots=True)
class TimeFigures:
    """A cell's figures in one metric (wall or CPU time)."""

    median: float | None
    interval: tuple[float, float] | None
    ratio: float | None  # to native warm
    ratio_interval: tuple[float, float] | None
    net: float | None  # net of each side's noop floor, to native warm's
    net_interval: tuple[float, float] | None
    cv: float | None


NO_FIGURES = TimeFigures(None, None, None, None, None, None, None)


@dataclass(frozen=True, slots=True)
class Summary:
    workload: str
    language: str
    variant: str
    size: str
    profile: str
    state: str
    samples_ok: int
    samples_total: int  # non-warm-up samples of every status
    median_wall_ns: float | None
    wall_ci_ns: tuple[float, float] | None
    # median / the native (warm) median of the same workload, language, size, profile, run
    ratio_to_native: float | None
    ratio_ci: tuple[float, float] | None
    # The same ratio with each side's noop median (same variant, state, language, profile)
    # subtracted first: compute time apart from startup. None without noop in the run.
    net_ratio: float | None
    net_ratio_ci: tuple[float, float] | None
    p_vs_native: float | None  # Mann-Whitney U, two-sided; None for native itself
    outliers: int  # MAD outliers among the ok samples (kept: raw samples are the truth)
    cv: float | None  # coefficient of variation of the ok wall times
    median_peak_memory_bytes: float | None
    # median peak / the native warm median peak; None when either is below what the memory
    # counter resolves (memory_below_resolution)
    memory_ratio: float | None
    memory_ratio_ci: tuple[float, float] | None
    failures: dict[str, int]  # status -> count, for every status but ok
    # The same figures in CPU time (the instance's user + system: a quieter estimator of
    # compute than wall time on a shared host); all None where the variant records none
    cpu: TimeFigures = NO_FIGURES
    # the median peak, or native's, is within MEMORY_RATIO_MIN_RESOLUTIONS resolutions
    memory_below_resolution: bool = False
    # The metric the cell's precision is judged in (precision_metric) and the precision its
    # median reached there: its interval's half-width over the median (None below 2 values)
    precision_metric: str = WALL
    precision: float | None = None

    @property
    def noisy(self) -> bool:
        return self.cv is not None and self.cv > NOISY_CV

    @property
    def key(self) -> CellKey:
        """The cell summarized (as its samples' Sample.cell_key)."""
        return CellKey(self.workload, self.language, self.variant, self.size, self.profile,
                       self.state)  # fmt: skip


def median_stream(key: CellKey, metric: str) -> str:
    """The name that seeds the bootstrap of a cell's median in `metric`. It holds the key as a
    plain tuple: the same samples give the same intervals as they always have, in the summary
    and in the planner that decides whether a cell needs more samples."""
    return f"walls {tuple(key)}" if metric == WALL else f"{metric} {tuple(key)}"


def precision_metric(key: CellKey, values_by_metric: Mapping[str, Values]) -> str:
    """The metric a cell's precision is judged in: CPU time for compute, the quieter estimator
    on a shared host, where every ok sample has one; wall time for the startup floor (noop:
    how fast an instance wakes is a wall-clock question) and where CPU time is missing."""
    if key.workload == FLOOR_WORKLOAD:
        return WALL
    cpu, wall = values_by_metric.get(CPU, ()), values_by_metric.get(WALL, ())
    return CPU if len(cpu) and len(cpu) == len(wall) else WALL


def relative_half_width(median: float | None, interval: tuple[float, float] | None) -> float | None:
    """Half the interval's width over the median: the precision a cell reached."""
    if median is None or interval is None or median <= 0:
        return None
    return (interval[1] - interval[0]) / 2 / median


def precision_of(key: CellKey, samples: Iterable[Sample]) -> tuple[str, float | None]:
    """A cell's precision metric and the relative half-width of its median's interval in it,
    from its samples (those that count), exactly as the summary computes it; None below two
    values. (Records, not a frame: the measure loop asks after each sample of a cell.)"""
    counted = [sample for sample in samples if counts(sample)]
    values = {metric: [value for s in counted if (value := getattr(s, metric)) is not None]
              for metric in (WALL, CPU)}  # fmt: skip
    metric = precision_metric(key, values)
    chosen = values[metric]
    if len(chosen) < 2:
        return metric, None
    interval = percentile_interval(bootstrap_medians(chosen, new_rng(median_stream(key, metric))))
    return metric, relative_half_width(statistics.median(chosen), interval)


def counts(sample: Sample) -> bool:
    """Whether a sample's figures enter statistics: ok, measured (not warm-up), not emulated."""
    return sample.status is Status.OK and not sample.warmup and not sample.emulated


NO_VALUES: FloatArray = np.empty(0)
NO_ROWS: IntArray = np.empty(0, dtype=np.intp)


def median_of(values: FloatArray) -> float | None:
    return float(np.median(values)) if values.size else None


class Cells:
    """A run's measured (not warm-up), non-emulated samples of every status, by cell, from their
    frame (harness.frame): each cell's rows, its ok values in each metric, its failures, and
    every variant's noop floor, worked out once, in columns: a million-sample report reads
    them often, and never a sample at a time."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame  # every sample: the cells' rows are positions in it, never a copy
        counted = ~(frame["warmup"].to_numpy(dtype=bool) | frame["emulated"].to_numpy(dtype=bool))
        positions = np.flatnonzero(counted)
        keys = frame.loc[counted, list(CellKey._fields)]
        grouped = keys.groupby(list(CellKey._fields), observed=True, sort=False)
        # cell -> its rows' positions in the frame; cells in the order the file first has them
        self.rows: dict[CellKey, IntArray] = {
            CellKey(*key): positions[rows]
            for key, rows in sorted(grouped.indices.items(), key=lambda item: item[1][0])
        }
        self._ok = (self.frame["status"] == Status.OK.value).to_numpy(dtype=bool)
        # metric (WALL, CPU) -> cell -> its ok values
        self.times = {metric: self.ok_values(metric) for metric in (WALL, CPU)}
        self.walls = self.times[WALL]
        self.peaks = self.ok_values("peak_memory_bytes")
        # (metric, floor) -> noop's ok values at any size (noop does the same at every size)
        floors: dict[tuple[str, FloorKey], list[FloatArray]] = {}
        for metric, by_cell in self.times.items():
            for key, values in by_cell.items():
                if key.workload == FLOOR_WORKLOAD:
                    floors.setdefault((metric, key.floor), []).append(values)
        self._floors = {floor: np.concatenate(parts) for floor, parts in floors.items()}
        # bootstrap medians, drawn once per group of values and named by it: every interval of
        # the run combines these, each side from its own stream
        self._medians: dict[str, FloatArray | None] = {}

    def ok_values(
        self, column: str, keys: Iterable[CellKey] | None = None
    ) -> dict[CellKey, FloatArray]:
        """cell -> the column's values over its ok samples that have one, for every cell or
        those of `keys`."""
        values = self.frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        kept = self._ok & ~np.isnan(values)
        chosen = self.rows if keys is None else {key: self.rows[key] for key in keys}
        return {key: values[rows[kept[rows]]] for key, rows in chosen.items()}

    def ok_rows(self, key: CellKey) -> IntArray:
        """A cell's ok samples: their positions in the frame."""
        rows = self.rows.get(key, NO_ROWS)
        return rows[self._ok[rows]]

    def cell(self, key: CellKey, columns: Sequence[str]) -> pd.DataFrame:
        """A cell's rows (every status), in those of `columns` the frame has: copying a few
        columns of a cell, not every column (texts among them) of a million rows."""
        present = [column for column in columns if column in self.frame.columns]
        cell: pd.DataFrame = self.frame[present].iloc[self.rows.get(key, NO_ROWS)]
        return cell

    def failures(self) -> dict[CellKey, dict[str, int]]:
        """cell -> status -> how many of its samples ended so, for every status but ok."""
        statuses = self.frame["status"].astype("category")
        codes = statuses.cat.codes.to_numpy()
        names = [str(name) for name in statuses.cat.categories]
        found = {}
        for key, rows in self.rows.items():
            tally = np.bincount(codes[rows], minlength=len(names))
            found[key] = {name: int(count) for name, count in zip(names, tally, strict=True)
                          if count and name != Status.OK.value}  # fmt: skip
        return found

    def floor(self, floor: FloorKey, metric: str = WALL) -> FloatArray:
        return self._floors.get((metric, floor), NO_VALUES)

    def _bootstrap(self, name: str, values: FloatArray) -> FloatArray | None:
        if name not in self._medians:
            enough = len(values) >= 2
            self._medians[name] = bootstrap_medians(values, new_rng(name)) if enough else None
        return self._medians[name]

    def medians(self, key: CellKey, metric: str = WALL) -> FloatArray | None:
        """Bootstrap medians of a cell's ok values of `metric`."""
        return self._bootstrap(median_stream(key, metric), self.times[metric].get(key, NO_VALUES))

    def wall_medians(self, key: CellKey) -> FloatArray | None:
        return self.medians(key, WALL)

    def peak_medians(self, key: CellKey) -> FloatArray | None:
        return self._bootstrap(f"peaks {tuple(key)}", self.peaks.get(key, NO_VALUES))

    def floor_medians(self, floor: FloorKey, metric: str = WALL) -> FloatArray | None:
        name = f"floor {tuple(floor)}" if metric == WALL else f"{metric} floor {tuple(floor)}"
        return self._bootstrap(name, self.floor(floor, metric))

    def net_estimates(self, key: CellKey, metric: str = WALL) -> FloatArray | None:
        """Bootstrap estimates of the cell's net ratio in `metric` (see
        bootstrap_net_ratio_ci)."""
        top = self.medians(key, metric)
        top_floor = self.floor_medians(key.floor, metric)
        bottom = self.medians(key.baseline, metric)
        bottom_floor = self.floor_medians(key.baseline.floor, metric)
        if top is None or top_floor is None or bottom is None or bottom_floor is None:
            return None
        return ratio_estimates(top - top_floor, bottom - bottom_floor)

    def net_sides(
        self, key: CellKey, metric: str = WALL
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The ok values (of `metric`) of a cell, its noop floor, its native baseline and the
        baseline's floor: the four sides of the net ratio (empty where the run lacks one)."""
        values = self.times[metric]
        return (
            values.get(key, NO_VALUES),
            self.floor(key.floor, metric),
            values.get(key.baseline, NO_VALUES),
            self.floor(key.baseline.floor, metric),
        )


def _interval_of(estimates: FloatArray | None) -> tuple[float, float] | None:
    return None if estimates is None else percentile_interval(estimates)


def _ratio_interval(
    numerator: FloatArray | None, denominator: FloatArray | None
) -> tuple[float, float] | None:
    if numerator is None or denominator is None:
        return None
    return percentile_interval(ratio_estimates(numerator, denominator))


@dataclass(frozen=True, slots=True)
class PrecisionOutcome:
    """How a run's cells stand to the precision its plan wanted."""

    wanted: float  # the target: half-width of the median's interval over the median
    cells: int
    median_reached: float | None  # over the cells with an interval
    widest_reached: float | None
    # the cells whose interval stayed wider (the budget spent, or their samples failing), or
    # that have none (fewer than two ok samples)
    missed: list[Summary]

    @property
    def met(self) -> int:
        return self.cells - len(self.missed)


def precision_outcome(summaries: Sequence[Summary], wanted: float) -> PrecisionOutcome:
    reached = sorted(s.precision for s in summaries if s.precision is not None)
    return PrecisionOutcome(
        wanted=wanted,
        cells=len(summaries),
        median_reached=statistics.median(reached) if reached else None,
        widest_reached=reached[-1] if reached else None,
        missed=[s for s in summaries if s.precision is None or s.precision > wanted],
    )


def summarize(samples: pd.DataFrame, memory_resolution_bytes: int | None = None) -> list[Summary]:
    """The summary of every cell of a run's samples (their frame: harness.frame)."""
    return summarize_cells(Cells(samples), memory_resolution_bytes)


def time_figures(cells: Cells, key: CellKey, metric: str) -> TimeFigures:
    values, floor, baseline, baseline_floor = cells.net_sides(key, metric)
    median, baseline_median = median_of(values), median_of(baseline)
    is_baseline = key == key.baseline
    has_net = key.workload != FLOOR_WORKLOAD  # noop net of itself is nothing
    return TimeFigures(
        median=median,
        interval=_interval_of(cells.medians(key, metric)),
        ratio=median / baseline_median if median is not None and baseline_median else None,
        ratio_interval=None
        if is_baseline
        else _ratio_interval(cells.medians(key, metric), cells.medians(key.baseline, metric)),
        net=_net_ratio(values, floor, baseline, baseline_floor) if has_net else None,
        net_interval=_interval_of(cells.net_estimates(key, metric))
        if has_net and not is_baseline
        else None,
        cv=coefficient_of_variation(values),
    )


def summarize_cells(cells: Cells, memory_resolution_bytes: int | None = None) -> list[Summary]:
    """The summary of every cell, for callers that keep the Cells. `memory_resolution_bytes`
    (the results header's): memory ratios between peaks below MEMORY_RATIO_MIN_RESOLUTIONS of
    it are left out, flagged instead."""
    least_peak = (memory_resolution_bytes or 0) * MEMORY_RATIO_MIN_RESOLUTIONS
    rows = []
    failures = cells.failures()
    for key, cell_rows in cells.rows.items():
        workload, language, variant, size, profile, state = key
        bkey = key.baseline
        wall, cpu = time_figures(cells, key, WALL), time_figures(cells, key, CPU)
        metric = precision_metric(key, {m: cells.times[m][key] for m in (WALL, CPU)})
        precise = cpu if metric == CPU else wall
        walls, baseline = cells.walls[key], cells.walls.get(bkey, NO_VALUES)
        peaks = cells.peaks[key], cells.peaks.get(bkey, NO_VALUES)
        peak, baseline_peak = median_of(peaks[0]), median_of(peaks[1])
        resolved = (peak is not None and baseline_peak is not None
                    and min(peak, baseline_peak) >= least_peak and baseline_peak > 0)  # fmt: skip
        test = None if key == bkey else mann_whitney_u(walls, baseline)
        rows.append(
            Summary(
                workload=workload,
                language=language,
                variant=variant,
                size=size,
                profile=profile,
                state=state,
                samples_ok=len(walls),
                samples_total=len(cell_rows),
                median_wall_ns=wall.median,
                wall_ci_ns=wall.interval,
                ratio_to_native=wall.ratio,
                ratio_ci=wall.ratio_interval,
                net_ratio=wall.net,
                net_ratio_ci=wall.net_interval,
                p_vs_native=test[1] if test else None,
                outliers=mad_outliers(walls),
                cv=wall.cv,
                median_peak_memory_bytes=peak,
                memory_ratio=peak / baseline_peak
                if resolved and peak is not None and baseline_peak
                else None,
                memory_ratio_ci=_ratio_interval(cells.peak_medians(key), cells.peak_medians(bkey))
                if resolved and key != bkey
                else None,
                failures=failures[key],
                cpu=cpu,
                memory_below_resolution=peak is not None and not resolved,
                precision_metric=metric,
                precision=relative_half_width(precise.median, precise.interval),
            )
        )
    return sorted(
        rows,
        key=lambda r: (
            r.workload,
            r.language,
            r.size,
            r.profile,
            variant_order(r.variant),
            r.state,
        ),
    )


# -- physical floors (harness.floors) and the startup ladder ---------------------------------
# (A "floor" above is a variant's noop cells, subtracted for net figures; a physical floor is a
# start mechanism alone, measured by its own loop with no harness inside.)


@dataclass(frozen=True, slots=True)
class FloorSummary:
    """A physical floor over a run: its starts' median and interval, or why none was taken."""

    floor: str
    starts: int  # timed starts, every loop's
    median_wall_ns: float | None
    wall_ci_ns: tuple[float, float] | None
    unavailable: str = ""  # the reason its loops gave, when none took a start
    # bootstrap medians of its starts (two at least), drawn once: the ladder's differences use them
    estimates: FloatArray | None = field(default=None, repr=False, compare=False)


def floor_walls(starts: Iterable[FloorStart]) -> dict[str, list[float]]:
    """floor -> the wall times of its ok starts, floors in the order the run measured them."""
    walls: dict[str, list[float]] = {}
    for start in starts:
        values = walls.setdefault(start.floor, [])
        if start.status is Status.OK and start.wall_ns is not None:
            values.append(start.wall_ns)
    return walls


def summarize_floors(starts: Sequence[FloorStart]) -> list[FloorSummary]:
    reasons = {start.floor: start.detail for start in starts if start.status is not Status.OK}
    summaries = []
    for floor, values in floor_walls(starts).items():
        enough = len(values) >= 2
        estimates = bootstrap_medians(values, new_rng("physical floor", floor)) if enough else None
        summaries.append(FloorSummary(
            floor, len(values), statistics.median(values) if values else None,
            _interval_of(estimates), "" if values else reasons.get(floor, ""), estimates,
        ))  # fmt: skip
    return summaries


@dataclass(frozen=True, slots=True)
class Rung:
    """A rung of the startup ladder: a physical floor, or a variant's startup (its noop cell in
    one state) with what it adds over the floor it stands on."""

    floor: str  # the physical floor this rung is, or stands on ("" where none was measured)
    median_wall_ns: float
    wall_ci_ns: tuple[float, float] | None
    summary: Summary | None = None  # a variant's noop cell; None for a floor itself
    over_floor_ns: float | None = None  # median - the floor's median
    over_floor_ci_ns: tuple[float, float] | None = None

    @property
    def is_floor(self) -> bool:
        return self.summary is None


def startup_ladder(
    cells: Cells,
    summaries: Iterable[Summary],
    floors: Sequence[FloorSummary],
    floor_of: Mapping[str, str],
) -> list[Rung]:
    """Every physical floor that took starts (`floors`: summarize_floors), and every noop
    cell, from the quickest up. A cell's rung stands on its variant's floor (`floor_of`:
    variant -> floor, as the header records it): what it adds is its median less the floor's,
    with a bootstrap interval that resamples both sides."""
    rungs = [Rung(floor.floor, floor.median_wall_ns, floor.wall_ci_ns)
             for floor in floors if floor.median_wall_ns is not None]  # fmt: skip
    measured = {floor.floor: floor for floor in floors}
    for summary in summaries:
        if summary.workload != FLOOR_WORKLOAD or summary.median_wall_ns is None:
            continue
        under = measured.get(floor_of.get(summary.variant, ""))
        if under is None or under.median_wall_ns is None:
            rungs.append(Rung("", summary.median_wall_ns, summary.wall_ci_ns, summary))
            continue
        top = cells.wall_medians(summary.key)
        rungs.append(Rung(
            under.floor, summary.median_wall_ns, summary.wall_ci_ns, summary,
            summary.median_wall_ns - under.median_wall_ns,
            _interval_of(top - under.estimates)
            if top is not None and under.estimates is not None else None,
        ))  # fmt: skip
    return sorted(rungs, key=lambda rung: rung.median_wall_ns)


@dataclass(frozen=True, slots=True)
class StackLayer:
    """One layer of a container start taken apart: a floor alone, or what one floor (or the
    variant) adds over the floor beneath it, as a difference of medians."""

    below: str  # the floor beneath ("" for the bottom layer, a floor itself)
    above: str  # the floor, or the variant's cell, this layer ends at
    share_ns: float
    share_ci_ns: tuple[float, float] | None


def container_stack(
    cells: Cells, top: Summary, floors: Sequence[FloorSummary], layers: Sequence[str]
) -> list[StackLayer]:
    """`top` (a container variant's noop cell) taken apart by the floors beneath it, `layers`
    from the bottom up (each a floor that holds the one before: runc, then containerd over it):
    the bottom floor alone, each next floor over the one before, then `top` over the last.
    Each share is a difference of independently measured medians with a bootstrap interval
    that resamples both sides, so the shares add up to `top`'s median exactly, by construction.
    Empty when a layer's floor took too few starts or `top` has no median."""
    measured = {floor.floor: floor for floor in floors}
    chain = [measured.get(name) for name in layers]
    top_estimates = cells.wall_medians(top.key)
    if top.median_wall_ns is None or top_estimates is None:
        return []
    steps: list[tuple[str, float, FloatArray]] = []
    for floor in chain:
        if floor is None or floor.median_wall_ns is None or floor.estimates is None:
            return []
        steps.append((floor.floor, floor.median_wall_ns, floor.estimates))
    steps.append((f"{top.variant} {top.state}", top.median_wall_ns, top_estimates))
    stack = [StackLayer("", steps[0][0], steps[0][1], _interval_of(steps[0][2]))]
    for (below, median_below, below_estimates), (above, median, estimates) in itertools.pairwise(
        steps
    ):
        stack.append(StackLayer(below, above, median - median_below,
                                _interval_of(estimates - below_estimates)))  # fmt: skip
    return stack


# Docker's start seen from inside, in containerd's events (harness.targets.containerd_events):
# its segments grouped by who acts in them
INSIDE_LAYERS = (
    ("dockerd: its API calls, its set-up and removal of the container",
     ("daemon_in", "daemon_out")),
    ("containerd, the shim and the OCI runtime: create, start, delete; inside the runtime's "
     "create, Docker's prestart hook (libnetwork-setkey: dockerd's binary run again)",
     ("task_create", "task_start", "task_delete", "container_delete")),
    ("the program, and its exit reaching containerd", ("task_run",)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class InsideLayer:
    """Who acts in some segments of Docker's own start: their sum per sample, its median."""

    name: str
    segments: tuple[str, ...]
    median_ns: float
    ci_ns: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class InsideStack:
    """A container cell's starts taken apart by containerd's events, in the same samples."""

    layers: list[InsideLayer]
    samples: int  # the cell's ok samples whose every event arrived
    wall_median_ns: float  # their wall time's median

    @property
    def sum_of_medians_ns(self) -> float:
        return sum(layer.median_ns for layer in self.layers)

    @property
    def adds_up_to(self) -> float:
        """The layers' medians summed, over the wall's median: a median of sums is not a sum
        of medians, so this is 1 only where the layers vary together."""
        return self.sum_of_medians_ns / self.wall_median_ns


# what inside_stack reads of a cell
INSIDE_COLUMNS = ("status", "warmup", "emulated", "wall_ns",
                  *(phase_column(name) for _, names in INSIDE_LAYERS
                    for name in names))  # fmt: skip


def inside_stack(cell: pd.DataFrame) -> InsideStack | None:
    """A cell's ok samples (its rows in a frame: Cells.cell) that carry Docker's start seen
    from inside, taken apart by who acts (INSIDE_LAYERS); None with fewer than two of them."""
    columns = [phase_column(name) for _, names in INSIDE_LAYERS for name in names]
    if not set(columns) <= set(cell.columns):
        return None
    timed = cell[
        (cell["status"] == Status.OK.value).to_numpy(dtype=bool)
        & ~cell["warmup"].to_numpy(dtype=bool)
        & ~cell["emulated"].to_numpy(dtype=bool)
    ]
    timed = timed.dropna(subset=["wall_ns", *columns])  # fmt: skip
    if len(timed) < 2:
        return None
    layers = []
    for name, names in INSIDE_LAYERS:
        sums = timed[[phase_column(segment) for segment in names]].sum(axis=1)
        values = sums.to_numpy(dtype=np.float64)
        layers.append(InsideLayer(name, names, float(np.median(values)),
                                  bootstrap_median_ci(values)))  # fmt: skip
    walls = timed["wall_ns"].to_numpy(dtype=np.float64)
    return InsideStack(layers, len(timed), float(np.median(walls)))


def _net_ratio(
    walls: FloatArray, floor: FloatArray, baseline: FloatArray, baseline_floor: FloatArray
) -> float | None:
    if not (len(walls) and len(floor) and len(baseline) and len(baseline_floor)):
        return None
    denominator = float(np.median(baseline) - np.median(baseline_floor))
    if denominator <= 0:
        return None
    return float(np.median(walls) - np.median(floor)) / denominator


def variant_order(variant: str) -> tuple[int, str]:
    return (0 if variant == BASELINE_VARIANT else 1, variant)


# -- throughput apart from startup: wall = fixed + per_unit x work units, over sizes ----------

WorkUnits = Mapping[str, Mapping[str, float]]  # workload -> size -> work units (results header)


@dataclass(frozen=True, slots=True)
class Fit:
    workload: str
    language: str
    variant: str
    profile: str
    state: str
    sizes: tuple[str, ...]
    samples: int
    fixed_ns: float  # the intercept: what a run costs with no work (startup and more)
    per_unit_ns: float  # the slope: the cost of one work unit, startup apart
    r_squared: float  # how well a line fits (1: perfectly)
    per_unit_ratio: float | None  # slope / the native warm slope of the same cell
    per_unit_ratio_ci: tuple[float, float] | None
    run_phase_per_unit_ns: float | None  # wasm: the `run` phase's own slope, a cross-check


def least_squares(points: Sequence[tuple[float, float]]) -> tuple[float, float, float] | None:
    """(intercept, slope, R squared) of the least-squares line through `points`; None when the
    x values do not vary."""
    n = len(points)
    if n < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    intercept = mean_y - slope * mean_x
    total = sum((y - mean_y) ** 2 for _, y in points)
    residual = sum((y - intercept - slope * x) ** 2 for x, y in points)
    return intercept, slope, 1 - residual / total if total else 1.0


def _points(by_size: Mapping[float, Values]) -> list[tuple[float, float]]:
    return [(units, value) for units, values in by_size.items() for value in values]


def bootstrap_slopes(
    by_size: Mapping[float, Values],
    rng: np.random.Generator,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> FloatArray:
    """Least-squares slopes of bootstrap resamples, each size's values resampled apart (the
    sizes are the design, fixed). With x fixed, the slope is sum((x_g - mean x) S_g) / Sxx where
    S_g is the sum of size g's resampled values: multinomial counts give the S_g directly."""
    counts = np.array([len(values) for values in by_size.values()], dtype=np.float64)
    xs = np.array(list(by_size), dtype=np.float64)
    mean_x = float(np.dot(counts, xs) / counts.sum())
    sxx = float(np.dot(counts, (xs - mean_x) ** 2))
    slopes = np.zeros(resamples)
    if sxx == 0:
        return np.full(resamples, np.nan)
    for x, values in by_size.items():
        n = len(values)
        draws = rng.multinomial(n, np.full(n, 1 / n), size=resamples)
        slopes += (x - mean_x) * (draws @ np.asarray(values, dtype=np.float64))
    return slopes / sxx


def fit_throughput(cells: Cells, work_units: WorkUnits) -> list[Fit]:
    """A line per cell run at two or more sizes with work units; ratios to native warm."""
    # (workload, language, variant, profile, state) -> work units -> values
    walls: dict[tuple[str, str, str, str, str], dict[float, FloatArray]] = {}
    runs: dict[tuple[str, str, str, str, str], dict[float, FloatArray]] = {}
    sizes: dict[tuple[str, str, str, str, str], set[str]] = {}
    fitted = {workload for workload, by_size in work_units.items() if len(by_size) >= 2}
    run_column = phase_column("run")
    run_phases = cells.ok_values(run_column) if run_column in cells.frame.columns else {}
    for cell, values in cells.walls.items():
        units = work_units.get(cell.workload, {}).get(cell.size)
        if cell.workload not in fitted or units is None or not len(values):
            continue
        key = (cell.workload, cell.language, cell.variant, cell.profile, cell.state)
        by_units = walls.setdefault(key, {})  # (two sizes of the same units are one point set)
        by_units[units] = np.concatenate([by_units.get(units, NO_VALUES), values])
        sizes.setdefault(key, set()).add(cell.size)
        if len(run_phases.get(cell, NO_VALUES)):
            run_units = runs.setdefault(key, {})
            run_units[units] = np.concatenate([run_units.get(units, NO_VALUES), run_phases[cell]])

    fits = []
    for key, by_size in walls.items():
        line = least_squares(_points(by_size)) if len(by_size) >= 2 else None
        if line is None:
            continue
        workload, language, variant, profile, state = key
        base_key = (workload, language, BASELINE_VARIANT, profile, BASELINE_STATE)
        base = walls.get(base_key, {})
        base_line = least_squares(_points(base)) if len(base) >= 2 else None
        ratio = line[1] / base_line[1] if base_line and base_line[1] > 0 else None
        interval = None
        if ratio is not None and key != base_key:
            top = bootstrap_slopes(by_size, new_rng("slope"))
            bottom = bootstrap_slopes(base, new_rng("baseline slope"))
            interval = percentile_interval(ratio_estimates(top, bottom))
        run_line = least_squares(_points(runs[key])) if len(runs.get(key, {})) >= 2 else None
        fits.append(
            Fit(
                workload=workload,
                language=language,
                variant=variant,
                profile=profile,
                state=state,
                sizes=tuple(sorted(sizes[key])),
                samples=sum(len(values) for values in by_size.values()),
                fixed_ns=line[0],
                per_unit_ns=line[1],
                r_squared=line[2],
                per_unit_ratio=ratio,
                per_unit_ratio_ci=interval,
                run_phase_per_unit_ns=run_line[1] if run_line else None,
            )
        )
    return sorted(
        fits, key=lambda f: (f.workload, f.language, f.profile, variant_order(f.variant), f.state)
    )
