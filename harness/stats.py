"""Statistics derived from raw samples: medians, confidence intervals, ratios to native.

Only `ok`, non-warm-up samples count. The confidence interval of a median is distribution-free
(order statistics of the binomial(n, 1/2)), so it needs no resampling and no random numbers:
the same samples always give the same interval. It exists from n = 6 on at 95%.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.results import Sample, Status

CONFIDENCE = 0.95
BASELINE_VARIANT = "native"


def median_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """A `confidence` interval for the median, or None when n is too small to have one."""
    ordered = sorted(values)
    n = len(ordered)
    # Largest k with P(Binomial(n, 1/2) < k) <= (1 - confidence) / 2; the interval is
    # [x_(k), x_(n+1-k)] in 1-based order statistics.
    tail = (1 - confidence) / 2
    cumulative, k = 0.0, 0
    for j in range(n + 1):
        cumulative += math.comb(n, j) / 2**n
        if cumulative > tail:
            k = j
            break
    if k == 0:
        return None
    return ordered[k - 1], ordered[n - k]


@dataclass(frozen=True, slots=True)
class Summary:
    workload: str
    language: str
    variant: str
    size: str
    profile: str
    samples_ok: int
    samples_total: int  # non-warm-up samples of every status
    median_wall_ns: float | None
    wall_ci_ns: tuple[float, float] | None
    # median / the native median of the same workload, language, size and profile
    ratio_to_native: float | None
    median_peak_memory_bytes: float | None
    failures: dict[str, int]  # status -> count, for every status but ok


def summarize(samples: Iterable[Sample]) -> list[Summary]:
    groups: dict[tuple[str, str, str, str, str], list[Sample]] = {}
    for sample in samples:
        if not sample.warmup:
            key = (sample.workload, sample.language, sample.variant, sample.size, sample.profile)
            groups.setdefault(key, []).append(sample)

    medians: dict[tuple[str, str, str, str, str], float] = {}
    for key, group in groups.items():
        walls = [s.wall_ns for s in group if s.status is Status.OK and s.wall_ns is not None]
        if walls:
            medians[key] = statistics.median(walls)

    rows = []
    for key, group in groups.items():
        workload, language, variant, size, profile = key
        ok = [s for s in group if s.status is Status.OK]
        walls = [s.wall_ns for s in ok if s.wall_ns is not None]
        peaks = [s.peak_memory_bytes for s in ok if s.peak_memory_bytes is not None]
        baseline = medians.get((workload, language, BASELINE_VARIANT, size, profile))
        median = medians.get(key)
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
                samples_ok=len(ok),
                samples_total=len(group),
                median_wall_ns=median,
                wall_ci_ns=median_interval(walls) if walls else None,
                ratio_to_native=median / baseline if median is not None and baseline else None,
                median_peak_memory_bytes=statistics.median(peaks) if peaks else None,
                failures=failures,
            )
        )
    return sorted(
        rows,
        key=lambda r: (r.workload, r.language, r.size, r.profile, _variant_order(r.variant)),
    )


def _variant_order(variant: str) -> tuple[int, str]:
    return (0 if variant == BASELINE_VARIANT else 1, variant)
