"""Statistics derived from raw samples: medians with confidence intervals, ratios to native with
theirs, outliers, noise, and a significance test against native.

Only `ok`, non-warm-up samples count. Every resampling uses `random.Random(BOOTSTRAP_SEED)`, so
the same samples always give the same summary: summaries are recomputed, never stored.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.results import Sample, Status

CONFIDENCE = 0.95
BASELINE_VARIANT = "native"
BASELINE_STATE = "warm"
FLOOR_WORKLOAD = "noop"  # each variant's startup floor, subtracted for net (compute) ratios
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20_240_601
NOISY_CV = 0.10  # coefficient of variation above which a cell is flagged
OUTLIER_MADS = 3.0  # |x - median| > 3 scaled MADs is an outlier
MAD_SCALE = 1.4826  # makes the MAD estimate the standard deviation for normal data


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between order statistics (numpy's default), `ordered` sorted."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _interval(estimates: list[float], confidence: float) -> tuple[float, float]:
    estimates.sort()
    tail = (1 - confidence) / 2
    return _percentile(estimates, tail), _percentile(estimates, 1 - tail)


def bootstrap_median_ci(
    values: Sequence[float], confidence: float = CONFIDENCE, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the median; None below two values."""
    if len(values) < 2:
        return None
    rng = random.Random(BOOTSTRAP_SEED)
    n = len(values)
    medians = [statistics.median(rng.choices(values, k=n)) for _ in range(resamples)]
    return _interval(medians, confidence)


def bootstrap_ratio_ci(
    numerator: Sequence[float],
    denominator: Sequence[float],
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float] | None:
    """Interval of median(numerator) / median(denominator), resampling both independently."""
    if len(numerator) < 2 or len(denominator) < 2:
        return None
    rng = random.Random(BOOTSTRAP_SEED)
    ratios = []
    for _ in range(resamples):
        top = statistics.median(rng.choices(numerator, k=len(numerator)))
        bottom = statistics.median(rng.choices(denominator, k=len(denominator)))
        if bottom > 0:
            ratios.append(top / bottom)
    return _interval(ratios, confidence) if ratios else None


def bootstrap_net_ratio_ci(
    walls: Sequence[float],
    floor: Sequence[float],
    baseline: Sequence[float],
    baseline_floor: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float] | None:
    """Interval of (median(walls) - median(floor)) / (median(baseline) - median(baseline_floor)):
    the ratio of times net of startup, resampling all four sides independently."""
    sides = (walls, floor, baseline, baseline_floor)
    if any(len(side) < 2 for side in sides):
        return None
    rng = random.Random(BOOTSTRAP_SEED)
    ratios = []
    for _ in range(resamples):
        top, top_floor, bottom, bottom_floor = (
            statistics.median(rng.choices(side, k=len(side))) for side in sides
        )
        if bottom - bottom_floor > 0:
            ratios.append((top - top_floor) / (bottom - bottom_floor))
    return _interval(ratios, confidence) if ratios else None


def mad_outliers(values: Sequence[float]) -> int:
    """How many values lie more than OUTLIER_MADS scaled MADs from the median."""
    if len(values) < 3:
        return 0
    median = statistics.median(values)
    mad = statistics.median(abs(x - median) for x in values) * MAD_SCALE
    if mad == 0:
        return sum(x != median for x in values)
    return sum(abs(x - median) > OUTLIER_MADS * mad for x in values)


def coefficient_of_variation(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.stdev(values) / mean if mean else None


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> tuple[float, float] | None:
    """Two-sided Mann-Whitney U test: (U of `a`, p-value), by the normal approximation with
    tie and continuity corrections (fair from about 8 values a side). None without data."""
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return None
    pooled = sorted([(x, 0) for x in a] + [(x, 1) for x in b])
    rank_sum_a = 0.0
    tie_term = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks i+1 .. j share their mean
        rank_sum_a += average_rank * sum(1 for _, group in pooled[i:j] if group == 0)
        tie_term += (j - i) ** 3 - (j - i)
        i = j
    u = rank_sum_a - n1 * (n1 + 1) / 2
    n = n1 + n2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:
        return u, 1.0
    z = max(abs(u - mean) - 0.5, 0.0) / math.sqrt(variance)
    return u, math.erfc(z / math.sqrt(2))


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
    failures: dict[str, int]  # status -> count, for every status but ok

    @property
    def noisy(self) -> bool:
        return self.cv is not None and self.cv > NOISY_CV


Key = tuple[str, str, str, str, str, str]  # workload, language, variant, size, profile, state


def _ok_walls(group: Iterable[Sample]) -> list[float]:
    return [s.wall_ns for s in group if s.status is Status.OK and s.wall_ns is not None]


def summarize(samples: Iterable[Sample]) -> list[Summary]:
    groups: dict[Key, list[Sample]] = {}
    for sample in samples:
        if not sample.warmup:
            key = (
                sample.workload,
                sample.language,
                sample.variant,
                sample.size,
                sample.profile,
                sample.state,
            )
            groups.setdefault(key, []).append(sample)

    rows = []
    for key, group in groups.items():
        workload, language, variant, size, profile, state = key
        walls = _ok_walls(group)
        baseline_key = (workload, language, BASELINE_VARIANT, size, profile, BASELINE_STATE)
        is_baseline = key == baseline_key
        baseline = _ok_walls(groups.get(baseline_key, []))
        median = statistics.median(walls) if walls else None
        baseline_median = statistics.median(baseline) if baseline else None
        # Net of startup: each side's noop floor subtracted (not for noop itself).
        floor = _floor(groups, language, variant, profile, state)
        baseline_floor = _floor(groups, language, BASELINE_VARIANT, profile, BASELINE_STATE)
        has_net = workload != FLOOR_WORKLOAD
        peaks = [
            s.peak_memory_bytes
            for s in group
            if s.status is Status.OK and s.peak_memory_bytes is not None
        ]
        test = None if is_baseline else mann_whitney_u(walls, baseline)
        failures: dict[str, int] = {}
        for sample in group:
            if sample.status is not Status.OK:
                failures[sample.status.value] = failures.get(sample.status.value, 0) + 1
        rows.append(
            Summary(
                workload=workload,
                language=language,
                variant=variant,
                size=size,
                profile=profile,
                state=state,
                samples_ok=len(walls),
                samples_total=len(group),
                median_wall_ns=median,
                wall_ci_ns=bootstrap_median_ci(walls),
                ratio_to_native=median / baseline_median
                if median is not None and baseline_median
                else None,
                ratio_ci=None if is_baseline else bootstrap_ratio_ci(walls, baseline),
                net_ratio=_net_ratio(walls, floor, baseline, baseline_floor) if has_net else None,
                net_ratio_ci=bootstrap_net_ratio_ci(walls, floor, baseline, baseline_floor)
                if has_net and not is_baseline
                else None,
                p_vs_native=test[1] if test else None,
                outliers=mad_outliers(walls),
                cv=coefficient_of_variation(walls),
                median_peak_memory_bytes=statistics.median(peaks) if peaks else None,
                failures=failures,
            )
        )
    return sorted(
        rows,
        key=lambda r: (
            r.workload,
            r.language,
            r.size,
            r.profile,
            _variant_order(r.variant),
            r.state,
        ),
    )


def _floor(groups: dict[Key, list[Sample]], language: str, variant: str, profile: str,
           state: str) -> list[float]:  # fmt: skip
    """The ok wall times of noop in this language, variant, profile and state (any size: noop
    does the same at every size)."""
    walls: list[float] = []
    for (workload, lang, var, _, prof, st), group in groups.items():
        if (workload, lang, var, prof, st) == (FLOOR_WORKLOAD, language, variant, profile, state):
            walls.extend(_ok_walls(group))
    return walls


def _net_ratio(
    walls: Sequence[float],
    floor: Sequence[float],
    baseline: Sequence[float],
    baseline_floor: Sequence[float],
) -> float | None:
    if not (walls and floor and baseline and baseline_floor):
        return None
    denominator = statistics.median(baseline) - statistics.median(baseline_floor)
    if denominator <= 0:
        return None
    return (statistics.median(walls) - statistics.median(floor)) / denominator


def _variant_order(variant: str) -> tuple[int, str]:
    return (0 if variant == BASELINE_VARIANT else 1, variant)


# -- throughput apart from startup: wall = fixed + per_unit x work units, over sizes ----------

WorkUnits = dict[str, dict[str, float]]  # workload -> size -> work units (results header)


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


def _points(by_size: dict[float, list[float]]) -> list[tuple[float, float]]:
    return [(units, value) for units, values in by_size.items() for value in values]


def _resampled_slope(by_size: dict[float, list[float]], rng: random.Random) -> float | None:
    resampled = {units: rng.choices(values, k=len(values)) for units, values in by_size.items()}
    line = least_squares(_points(resampled))
    return line[1] if line else None


def fit_throughput(samples: Iterable[Sample], work_units: WorkUnits) -> list[Fit]:
    """A line per cell run at two or more sizes with work units; ratios to native warm."""
    # (workload, language, variant, profile, state) -> work units -> values
    walls: dict[tuple[str, str, str, str, str], dict[float, list[float]]] = {}
    runs: dict[tuple[str, str, str, str, str], dict[float, list[float]]] = {}
    sizes: dict[tuple[str, str, str, str, str], set[str]] = {}
    for s in samples:
        units = work_units.get(s.workload, {}).get(s.size)
        if s.warmup or s.status is not Status.OK or s.wall_ns is None or units is None:
            continue
        key = (s.workload, s.language, s.variant, s.profile, s.state)
        walls.setdefault(key, {}).setdefault(units, []).append(s.wall_ns)
        sizes.setdefault(key, set()).add(s.size)
        if "run" in s.phases_ns:
            runs.setdefault(key, {}).setdefault(units, []).append(s.phases_ns["run"])

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
            rng = random.Random(BOOTSTRAP_SEED)
            ratios = []
            for _ in range(BOOTSTRAP_RESAMPLES):
                top, bottom = _resampled_slope(by_size, rng), _resampled_slope(base, rng)
                if top is not None and bottom:
                    ratios.append(top / bottom)
            interval = _interval(ratios, CONFIDENCE) if ratios else None
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
        fits, key=lambda f: (f.workload, f.language, f.profile, _variant_order(f.variant), f.state)
    )
