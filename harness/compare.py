"""`isobench compare BASE NEW`: what changed significantly between two runs.

Per cell (workload, language, variant, size, profile, state) and metric (wall time, peak
memory): the change is median(new) / median(base) with a bootstrap interval, and the test is a
two-sided Mann-Whitney U on the raw samples (exact at small n). A change counts when its
p-value, adjusted by Holm's method over every comparison made, is below alpha: hundreds of
cells x metrics tested at once would otherwise find a few "changes" in two identical runs. A
regression is a counted change whose whole interval lies beyond the threshold (its lower bound
above 1 + PCT); a memory change must also exceed the memory counter's resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from harness.errors import IsobenchError
from harness.results import CellKey, Results
from harness.stats import (
    Cells,
    FloatArray,
    mann_whitney_u,
    median_ratio_estimates,
    percentile_interval,
    variant_order,
)

DEFAULT_ALPHA = 0.05
TEST_NAME = "Mann-Whitney U, two-sided"
CORRECTION = "Holm, over every comparison of the run pair"
ONLY_LISTED = 3  # cells named when one run has cells the other lacks

METRICS = ("wall_ns", "peak_memory_bytes")  # the samples' columns compared (metric_values)


@dataclass(frozen=True, slots=True)
class Change:
    workload: str
    language: str
    variant: str
    size: str
    profile: str
    state: str
    metric: str  # a METRICS key
    base_median: float
    new_median: float
    base_samples: int
    new_samples: int
    ratio: float  # new median / base median: above 1, slower or larger
    ratio_ci: tuple[float, float] | None
    p_value: float  # the test's own
    adjusted_p_value: float  # Holm's, over every comparison of the run pair
    significant: bool  # adjusted p < alpha, and (memory) beyond the counter's resolution
    # The smallest p the test can give at these counts (the two sides fully apart, exact):
    # 2 / C(n + m, n). Times the number of comparisons, at or above alpha: this comparison
    # could not be flagged on its own, whatever changed
    smallest_p: float = 0.0

    def regression(self, threshold_pct: float) -> bool:
        """A significant change for the worse whose whole interval lies beyond `threshold_pct`
        percent."""
        return (self.significant and self.ratio_ci is not None
                and self.ratio_ci[0] > 1 + threshold_pct / 100)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Comparison:
    changes: list[Change]  # every cell and metric measured in both runs
    skipped: list[str]  # cells or workloads not compared, and why
    different_hosts: bool  # raw times from two machines: never gated
    # what else differs between the runs and bears on every figure (the code that measures,
    # the CPUs it ran on): said beside the result
    differences: list[str]
    alpha: float = DEFAULT_ALPHA  # the family-wise level the changes were judged at

    def significant(self) -> list[Change]:
        return [change for change in self.changes if change.significant]

    def regressions(self, threshold_pct: float) -> list[Change]:
        return [change for change in self.changes if change.regression(threshold_pct)]

    def blind(self) -> list[Change]:
        """The comparisons too small to flag a change on their own: at their sample counts,
        even two sides fully apart give a p that Holm's first step (alpha / comparisons)
        rejects."""
        return [c for c in self.changes if c.smallest_p * len(self.changes) >= self.alpha]


def compare(base: Results, new: Results, alpha: float = DEFAULT_ALPHA) -> Comparison:
    if base.schema_version != new.schema_version:
        raise IsobenchError(
            f"compare: {base.path} has schema {base.schema_version} and {new.path} schema "
            f"{new.schema_version}: results of different schema versions are not compared; "
            "record the baseline again with this isobench"
        )
    base_cells, new_cells = Cells(base.frame), Cells(new.frame)
    base_values, new_values = metric_values(base_cells), metric_values(new_cells)
    in_base, in_new = base_cells.rows.keys(), new_cells.rows.keys()
    resolutions = [r for r in (base.header.memory_resolution, new.header.memory_resolution) if r]
    memory_resolution = max(resolutions, default=0)
    changes: list[Change] = []
    skipped: list[str] = []
    for key in sorted(in_base & in_new, key=_order):
        workload = key.workload
        if base.header.workload_revision(workload) != new.header.workload_revision(workload):
            skipped.append(f"{key.label}: the workload's sources differ between the runs")
            continue
        for metric in METRICS:
            change = _change(key, metric, base_values[metric][key], new_values[metric][key])
            if change is not None:
                changes.append(change)
    for side, only in (("base", in_base - in_new), ("new", in_new - in_base)):
        if only:
            first = ", ".join(key.label for key in sorted(only, key=_order)[:ONLY_LISTED])
            more = f" and {len(only) - ONLY_LISTED} more" if len(only) > ONLY_LISTED else ""
            skipped.append(f"{len(only)} cells only in {side}: {first}{more}")
    if not changes:
        raise IsobenchError(
            f"compare: {base.path} and {new.path} have no cell with ok samples in common "
            f"({'; '.join(skipped) or 'no ok samples'})"
        )
    adjusted = holm([change.p_value for change in changes])
    judged = [
        replace(change, adjusted_p_value=p, significant=p < alpha and (
            change.metric != "peak_memory_bytes"
            or abs(change.new_median - change.base_median) > memory_resolution
        ))
        for change, p in zip(changes, adjusted, strict=True)
    ]  # fmt: skip
    return Comparison(judged, skipped, base.header.host.identity != new.header.host.identity,
                      differences(base, new), alpha)  # fmt: skip


def metric_values(cells: Cells) -> dict[str, dict[CellKey, FloatArray]]:
    """METRICS -> cell -> its ok values, as the run's Cells already hold them."""
    return dict(zip(METRICS, (cells.walls, cells.peaks), strict=True))


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment (family-wise error rate): the k-th smallest p of m is
    multiplied by m - k + 1, made non-decreasing along the order, capped at 1."""
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def differences(base: Results, new: Results) -> list[str]:
    """What differs between the runs beyond their samples and bears on every figure."""
    found = []
    revisions = (base.header.measurement_revision, new.header.measurement_revision)
    if revisions[0] != revisions[1]:
        found.append(
            f"measured by different code (measurement revision {revisions[0] or '?'} in base, "
            f"{revisions[1] or '?'} in new): a change may be the harness's"
        )
    cpus = [run.header.plan.affinity if run.header.plan else "all" for run in (base, new)]
    if cpus[0] != cpus[1]:
        found.append(f"run on other CPUs (affinity {cpus[0]} in base, {cpus[1]} in new)")
    return found


def _change(key: CellKey, metric: str, base: FloatArray, new: FloatArray) -> Change | None:
    """The change of a cell's ok values of `metric` between the runs."""
    if not len(base) or not len(new):
        return None
    base_median, new_median = float(np.median(base)), float(np.median(new))
    test = mann_whitney_u(new, base) if base_median > 0 else None
    if test is None:
        return None
    workload, language, variant, size, profile, state = key
    estimates = median_ratio_estimates(new, base, stream="compare")
    return Change(
        workload=workload,
        language=language,
        variant=variant,
        size=size,
        profile=profile,
        state=state,
        metric=metric,
        base_median=base_median,
        new_median=new_median,
        base_samples=len(base),
        new_samples=len(new),
        ratio=new_median / base_median,
        ratio_ci=percentile_interval(estimates) if estimates is not None else None,
        p_value=test[1],
        adjusted_p_value=test[1],  # until every comparison is known (compare)
        significant=False,
        smallest_p=2 / math.comb(len(base) + len(new), len(base)),
    )


def _order(key: CellKey) -> tuple[str, str, str, str, tuple[int, str], str]:
    workload, language, variant, size, profile, state = key
    return (workload, language, size, profile, variant_order(variant), state)
