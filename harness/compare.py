"""`isobench compare BASE NEW`: what changed significantly between two runs.

Per cell (workload, language, variant, size, profile, state) and metric (wall time, peak
memory): the change is median(new) / median(base) with a bootstrap interval, and the test is a
two-sided Mann-Whitney U on the raw samples. A change counts when p < alpha; a regression is a
counted change that makes things slower (or larger) by more than the threshold. No correction
for multiple comparisons is applied: the threshold on the size of the change is what keeps
a CI gate from failing on chance (the output says how many comparisons were made).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from harness.errors import IsobenchError
from harness.results import CellKey, Results, Sample
from harness.stats import (
    counts,
    group_cells,
    mann_whitney_u,
    median_ratio_estimates,
    percentile_interval,
    variant_order,
)

DEFAULT_ALPHA = 0.05
TEST_NAME = "Mann-Whitney U, two-sided"
ONLY_LISTED = 3  # cells named when one run has cells the other lacks

METRICS: dict[str, Callable[[Sample], float | None]] = {
    "wall_ns": lambda sample: sample.wall_ns,
    "peak_memory_bytes": lambda sample: sample.peak_memory_bytes,
}


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
    p_value: float
    significant: bool

    def regression(self, threshold_pct: float) -> bool:
        """A significant change for the worse by more than `threshold_pct` percent."""
        return self.significant and self.ratio > 1 + threshold_pct / 100


@dataclass(frozen=True, slots=True)
class Comparison:
    changes: list[Change]  # every cell and metric measured in both runs
    skipped: list[str]  # cells or workloads not compared, and why
    different_hosts: bool  # raw times from two machines: the user is warned

    def significant(self) -> list[Change]:
        return [change for change in self.changes if change.significant]

    def regressions(self, threshold_pct: float) -> list[Change]:
        return [change for change in self.changes if change.regression(threshold_pct)]


def compare(base: Results, new: Results, alpha: float = DEFAULT_ALPHA) -> Comparison:
    if base.schema_version != new.schema_version:
        raise IsobenchError(
            f"compare: {base.path} has schema {base.schema_version} and {new.path} schema "
            f"{new.schema_version}: results of different schema versions are not compared; "
            "record the baseline again with this isobench"
        )
    base_cells, new_cells = group_cells(base.samples), group_cells(new.samples)
    changes, skipped = [], []
    for key in sorted(base_cells.keys() & new_cells.keys(), key=_order):
        workload = key.workload
        if base.header.workload_revision(workload) != new.header.workload_revision(workload):
            skipped.append(f"{key.label}: the workload's sources differ between the runs")
            continue
        for metric, value_of in METRICS.items():
            change = _change(
                key,
                metric=metric,
                value_of=value_of,
                base_group=base_cells[key],
                new_group=new_cells[key],
                alpha=alpha,
            )
            if change is not None:
                changes.append(change)
    for side, only in (("base", base_cells.keys() - new_cells.keys()),
                       ("new", new_cells.keys() - base_cells.keys())):  # fmt: skip
        if only:
            first = ", ".join(key.label for key in sorted(only, key=_order)[:ONLY_LISTED])
            more = f" and {len(only) - ONLY_LISTED} more" if len(only) > ONLY_LISTED else ""
            skipped.append(f"{len(only)} cells only in {side}: {first}{more}")
    if not changes:
        raise IsobenchError(
            f"compare: {base.path} and {new.path} have no cell with ok samples in common "
            f"({'; '.join(skipped) or 'no ok samples'})"
        )
    return Comparison(changes, skipped, base.header.host.identity != new.header.host.identity)


def _change(
    key: CellKey,
    *,
    metric: str,
    value_of: Callable[[Sample], float | None],
    base_group: list[Sample],
    new_group: list[Sample],
    alpha: float,
) -> Change | None:
    base = [v for s in base_group if counts(s) and (v := value_of(s)) is not None]
    new = [v for s in new_group if counts(s) and (v := value_of(s)) is not None]
    test = mann_whitney_u(new, base)
    if not base or not new or test is None or statistics.median(base) <= 0:
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
        base_median=statistics.median(base),
        new_median=statistics.median(new),
        base_samples=len(base),
        new_samples=len(new),
        ratio=statistics.median(new) / statistics.median(base),
        ratio_ci=percentile_interval(estimates) if estimates is not None else None,
        p_value=test[1],
        significant=test[1] < alpha,
    )


def _order(key: CellKey) -> tuple[str, str, str, str, tuple[int, str], str]:
    workload, language, variant, size, profile, state = key
    return (workload, language, size, profile, variant_order(variant), state)
