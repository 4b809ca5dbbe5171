"""Figures derived from scenario rows: rates with latency percentiles, and instances per GiB.

Only ok, non-emulated rows count. A batch's rate is its ok operations over its span (from the
first operation's start to the last one's end); a batch in which an operation failed has no
rate (it stopped early) and is counted apart. Per-instance memory is (with K up - before) / K,
the median over the batches of the largest K that every batch reached.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from harness.results import ScenarioSample, Status, subject_of
from harness.stats import bootstrap_median_ci, variant_order

GIB = 1 << 30

# scenario, variant, start mode, language, mode, concurrency
GroupKey = tuple[str, str, str, str, str, int]


def _group(rows: Iterable[ScenarioSample]) -> dict[GroupKey, list[ScenarioSample]]:
    groups: dict[GroupKey, list[ScenarioSample]] = {}
    for row in rows:
        if not row.emulated:
            key = (row.scenario, row.variant, row.start_mode, row.language, row.mode,
                   row.concurrency)  # fmt: skip
            groups.setdefault(key, []).append(row)
    return dict(sorted(groups.items(), key=lambda item: (item[0][0], variant_order(item[0][1]),
                                                         item[0][2:])))  # fmt: skip


@dataclass(frozen=True, slots=True)
class RateSummary:
    scenario: str
    variant: str
    start_mode: str  # how an in-host variant's instances started; "" for the others
    language: str
    mode: str
    concurrency: int
    ok: int
    total: int
    batches: int  # batches with a rate (every operation ok)
    per_second: float | None  # the median of the batches' rates
    per_second_range: tuple[float, float] | None  # the lowest and highest batch rate
    p50_ns: float | None
    p50_ci_ns: tuple[float, float] | None
    p90_ns: float | None
    p99_ns: float | None
    failure: str  # one failure's status and detail, when some operation was not ok
    # An in-host variant's: the median of its instances' own start + run (as their host timed
    # them), and of what each operation took beyond it (the harness's plumbing); else None
    instance_p50_ns: float | None = None
    plumbing_p50_ns: float | None = None

    @property
    def subject(self) -> str:
        return subject_of(self.variant, self.start_mode)


def batch_rate(rows: list[ScenarioSample]) -> float | None:
    """Operations per second over the batch's span; None if any operation was not ok."""
    if not rows or any(row.status is not Status.OK for row in rows):
        return None
    begin = min(row.start_offset_ns or 0 for row in rows)
    end = max((row.start_offset_ns or 0) + (row.latency_ns or 0) for row in rows)
    return len(rows) / ((end - begin) / 1e9) if end > begin else None


def rate_summaries(rows: Iterable[ScenarioSample]) -> list[RateSummary]:
    summaries = []
    for key, group in _group(rows).items():
        scenario, variant, start_mode, language, mode, concurrency = key
        if scenario not in ("start-rate", "requests"):
            continue
        batches: dict[int, list[ScenarioSample]] = {}
        for row in group:
            batches.setdefault(row.repetition, []).append(row)
        rates = [rate for rate in map(batch_rate, batches.values()) if rate is not None]
        latencies = [
            float(row.latency_ns)
            for row in group
            if row.status is Status.OK and row.latency_ns is not None
        ]
        instance, plumbing = instance_split(group)
        failed = next((row for row in group if row.status is not Status.OK), None)
        p50, p90, p99 = (
            (float(value) for value in np.percentile(latencies, [50, 90, 99]))
            if latencies
            else (None, None, None)
        )
        summaries.append(
            RateSummary(
                scenario=scenario,
                variant=variant,
                start_mode=start_mode,
                language=language,
                mode=mode,
                concurrency=concurrency,
                ok=len(latencies),
                total=len(group),
                batches=len(rates),
                per_second=statistics.median(rates) if rates else None,
                per_second_range=(min(rates), max(rates)) if rates else None,
                p50_ns=p50,
                p50_ci_ns=bootstrap_median_ci(latencies),
                p90_ns=p90,
                p99_ns=p99,
                failure=f"{failed.status.value}: {failed.detail}" if failed else "",
                instance_p50_ns=statistics.median(instance) if instance else None,
                plumbing_p50_ns=statistics.median(plumbing) if plumbing else None,
            )
        )
    return summaries


def instance_split(rows: Iterable[ScenarioSample]) -> tuple[list[float], list[float]]:
    """For each ok operation whose instance's host timed it: the instance's own start + run,
    and the rest of the operation's latency (the plumbing around it)."""
    instance, plumbing = [], []
    for row in rows:
        start, run = row.instance_start_ns, row.instance_run_ns
        if row.status is Status.OK and row.latency_ns is not None and start and run:
            instance.append(float(start + run))
            plumbing.append(float(row.latency_ns - start - run))
    return instance, plumbing


@dataclass(frozen=True, slots=True)
class DensityStep:
    instances: int
    batches: int  # batches in which this step was ok
    start_all_ns: float  # median time to have all K answering
    host_per_instance_bytes: float  # median (MemTotal - MemAvailable growth) / K
    pss_per_instance_bytes: float | None  # median PSS growth / K

    @property
    def instances_per_gib(self) -> float | None:
        """From the PSS figure (the host figure also moves with anything else on the host)."""
        cost = self.pss_per_instance_bytes
        return GIB / cost if cost and cost > 0 else None

    @property
    def instances_per_gib_host(self) -> float | None:
        cost = self.host_per_instance_bytes
        return GIB / cost if cost > 0 else None


@dataclass(frozen=True, slots=True)
class DensitySummary:
    variant: str
    language: str
    steps: list[DensityStep]  # ok steps, K ascending
    failure: str  # the step that failed, and why

    @property
    def largest(self) -> DensityStep | None:
        return self.steps[-1] if self.steps else None


def _per_instance(before: int | None, after: int | None, count: int) -> float | None:
    if before is None or after is None:
        return None
    return (after - before) / count


def density_summaries(rows: Iterable[ScenarioSample]) -> list[DensitySummary]:
    summaries = []
    for key, group in _group(rows).items():
        scenario, variant, _, language, _, _ = key
        if scenario != "density":
            continue
        by_count: dict[int, list[ScenarioSample]] = {}
        for row in group:
            by_count.setdefault(row.instances, []).append(row)
        steps = []
        for count, step_rows in sorted(by_count.items()):
            ok = [row for row in step_rows if row.status is Status.OK and row.latency_ns]
            if not ok:
                continue
            host = [_per_instance(r.host_used_before_bytes, r.host_used_after_bytes, count)
                    for r in ok]  # fmt: skip
            pss = [_per_instance(r.pss_before_bytes, r.pss_after_bytes, count) for r in ok]
            steps.append(
                DensityStep(
                    instances=count,
                    batches=len(ok),
                    start_all_ns=statistics.median(float(r.latency_ns or 0) for r in ok),
                    host_per_instance_bytes=statistics.median(v for v in host if v is not None),
                    pss_per_instance_bytes=statistics.median(known)
                    if (known := [v for v in pss if v is not None])
                    else None,
                )
            )
        failed = next((row for row in group if row.status is not Status.OK), None)
        summaries.append(
            DensitySummary(
                variant=variant,
                language=language,
                steps=steps,
                failure=f"{failed.instances} instances: {failed.status.value}: {failed.detail}"
                if failed
                else "",
            )
        )
    return summaries
