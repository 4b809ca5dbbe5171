"""What the report shows, computed from results files only (the report never runs anything).

Each results file is one run on one host. Ratios are only ever taken within one run (a variant
against native of the same run); across hosts, the report compares those ratios (ratios of
ratios), never raw times. Files of different schema versions are refused; workloads whose
revision differs between files are left out of cross-host comparisons and listed; emulated
samples are counted apart and never enter a figure.
"""

from __future__ import annotations

import math
import os
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import IsobenchError
from harness.frame import phase_columns, phase_of, samples_of
from harness.header import Header, HostRecord, MemoryRecord, PlanRecord, VariantRecord
from harness.ladder import Ladder, ladder_of
from harness.results import (
    BASELINE_STATE,
    BASELINE_VARIANT,
    FLOOR_WORKLOAD,
    CellKey,
    Results,
    Sample,
    Status,
)
from harness.scenario_stats import DensitySummary, RateSummary, density_summaries, rate_summaries
from harness.scopes import IN_HOST, INSTANCE_SCOPES
from harness.stats import (
    BOOTSTRAP_RESAMPLES,
    CONFIDENCE,
    CPU,
    MEMORY_RATIO_MIN_RESOLUTIONS,
    NOISY_CV,
    OUTLIER_MADS,
    WALL,
    Cells,
    Fit,
    FloatArray,
    PrecisionOutcome,
    Summary,
    fit_throughput,
    geometric_mean_estimates,
    median_ratio_estimates,
    net_ratio_estimates,
    percentile_interval,
    precision_outcome,
    ratio_of_ratios_ci,
    summarize_cells,
    variant_order,
)
from harness.units import below_resolution, duration

if TYPE_CHECKING:
    import pandas as pd

PREFERRED_SIZE = "default"  # the size the verdict shows when a run has several
DEFAULT_PROFILE = "portable"  # other build profiles are named beside the workload
VERDICT_STATE = "warm"  # the verdict compares instances as a serving host keeps them
GOOD_RATIO = 1.10  # within 10% of native
# What a ratio's interval supports (Ratio.verdict)
WITHIN, SLOWER, FASTER, INCONCLUSIVE = "within", "slower", "faster", "inconclusive"
FAIR_RATIO = 2.0
FIRST_DETAILS = 3  # failure details shown per cell
# Variants whose every instance is a whole wasm runtime process: what an in-host instance's
# marginal memory is set beside
WHOLE_WASM_PROCESSES = ("wasmtime-min", "wasmtime-cli")


@dataclass(frozen=True, slots=True)
class SampleCounts:
    total: int
    warmup: int  # run and checked, never counted
    ok: int  # measured and ok
    not_ok: int  # measured, any other status
    emulated: int

    @classmethod
    def of(cls, samples: pd.DataFrame) -> SampleCounts:
        warmup = samples["warmup"].to_numpy(dtype=bool)
        ok = (samples["status"] == Status.OK.value).to_numpy(dtype=bool)
        warmups, measured_ok = int(np.count_nonzero(warmup)), int(np.count_nonzero(ok & ~warmup))
        return cls(
            total=len(samples),
            warmup=warmups,
            ok=measured_ok,
            not_ok=len(samples) - warmups - measured_ok,
            emulated=int(np.count_nonzero(samples["emulated"].to_numpy(dtype=bool))),
        )


@dataclass(frozen=True, slots=True)
class Run:
    """One results file: one run on one host, with its summaries."""

    results: Results
    label: str  # unique among the report's runs
    summaries: list[Summary]
    fits: list[Fit]
    cells: Cells  # non-warm-up, non-emulated samples by cell
    link: str  # the results file, relative to the report
    counts: SampleCounts
    densities: list[DensitySummary]  # scenario figures (empty when the run had none)
    rates: list[RateSummary]

    @property
    def scenario_descriptions(self) -> Mapping[str, str]:
        return self.header.scenarios

    def rates_of(self, scenario: str) -> list[RateSummary]:
        return [rate for rate in self.rates if rate.scenario == scenario]

    @property
    def header(self) -> Header:
        return self.results.header

    @property
    def host(self) -> HostRecord:
        return self.header.host

    @property
    def variants(self) -> list[str]:
        return sorted({s.variant for s in self.summaries}, key=variant_order)

    def instance(self, variant: str) -> str:
        """What one instance of the variant is (process, container, in-host); "" in files
        before schema 7."""
        return self.header.instances.get(variant, "")

    @property
    def memory_resolution(self) -> int | None:
        """The bytes at or below which a peak says little (the memory counter's step per CPU)."""
        return self.header.memory_resolution

    @property
    def measurement_revision(self) -> str:
        return self.header.measurement_revision

    @property
    def steal_ns_total(self) -> int:
        """The hypervisor's steal time summed over every sample of the run."""
        return int(self.results.frame["steal_ns"].sum())

    def verdict_state(self, variant: str) -> str:
        """The state a variant is judged in: VERDICT_STATE, or the one state it has (node has
        no warm state: every sample compiles)."""
        if variant == BASELINE_VARIANT:
            return BASELINE_STATE
        states = {s.state for s in self.summaries if s.variant == variant}
        return VERDICT_STATE if VERDICT_STATE in states or not states else min(states)

    def in_verdict_state(self, summary: Summary) -> bool:
        return summary.state == self.verdict_state(summary.variant)

    @property
    def sha256(self) -> str:
        return self.results.sha256


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio to native with its interval, and how it reads."""

    value: float | None
    interval: tuple[float, float] | None = None

    @property
    def verdict(self) -> str:
        """What the interval supports (never the point estimate alone): WITHIN when the whole
        interval lies inside [1/GOOD_RATIO, GOOD_RATIO]; else SLOWER or FASTER when it excludes
        1; else INCONCLUSIVE, as without an interval or with one reaching 0 or below (a net
        time within noise of the startup floor: nothing to compare)."""
        if self.value is None or self.interval is None or self.interval[0] <= 0:
            return INCONCLUSIVE
        low, high = self.interval
        if low >= 1 / GOOD_RATIO and high <= GOOD_RATIO:
            return WITHIN
        if low > 1:
            return SLOWER
        return FASTER if high < 1 else INCONCLUSIVE

    @property
    def grade(self) -> str:
        """good (within 10% of native or faster, by the whole interval: see verdict), fair
        (within 2x), poor; "" without a value, or with a value at or below 0 (a net time within
        noise of the startup floor: no grade applies). Without an interval (native itself, or a
        cell of one sample), the value alone is graded."""
        if self.value is None or self.value <= 0:
            return ""
        if self.verdict in (WITHIN, FASTER) or (self.interval is None and self.value <= GOOD_RATIO):
            return "good"
        return "fair" if self.value <= FAIR_RATIO else "poor"

    @property
    def holds_one(self) -> bool:
        """The interval includes 1: no difference from native can be claimed."""
        return self.interval is not None and self.interval[0] <= 1 <= self.interval[1]


@dataclass(frozen=True, slots=True)
class VerdictCell:
    time: Ratio  # wall time / native's
    net: Ratio  # compute time net of each side's startup floor / native's
    cpu_net: Ratio  # the same in CPU time (the instance's user + system)
    # median peak / native's; none when below the memory counter's resolution, or when the peak
    # is an in-host instance's (marginal: what it adds to a running host, not a whole process,
    # so no ratio to a process's peak)
    memory: Ratio
    memory_below_resolution: bool
    marginal_memory: bool
    peak_memory_bytes: float | None
    artifact_bytes: int | None


@dataclass(frozen=True, slots=True)
class VerdictRow:
    workload: str
    language: str
    size: str
    native_ms: float | None
    native_artifact_bytes: int | None
    cells: dict[str, VerdictCell]  # variant -> cell (not native)


@dataclass(frozen=True, slots=True)
class CrossHostRow:
    workload: str
    language: str
    size: str
    variant: str
    state: str
    metric: str  # "net" (throughput net of startup) or "wall" (noop: startup)
    per_host: list[Ratio]  # one per run, in the runs' order
    versus_first: list[Ratio]  # each run's ratio over the first run's (the first: None)


@dataclass(frozen=True, slots=True)
class Failure:
    run: str
    cell: str
    status: str
    count: int
    details: list[str]


@dataclass(frozen=True, slots=True)
class Report:
    runs: list[Run]
    verdict: dict[str, list[VerdictRow]]  # run label -> rows
    sentences: dict[str, list[str]]  # run label -> generated statements
    startup: dict[str, list[StartupRow]]  # run label -> noop cells with their phases
    ladders: dict[str, Ladder]  # run label -> its floors and noop starts, ranked, and stacks
    artifacts: dict[str, ArtifactTable]  # run label -> sizes and build times
    cross_host: list[CrossHostRow]
    not_compared: list[str]  # workloads left out of cross-host comparison, and why
    failures: list[Failure]
    emulated: list[tuple[str, str, int, int]]  # run, cell, samples, of which ok
    noisy: list[tuple[str, Summary]]  # run label, cell
    precision: dict[str, PrecisionOutcome]  # run label -> against its plan's (if it had one)
    environment: list[tuple[str, list[str], bool]]  # field, value per run, differs
    method: dict[str, Any]  # what every figure spans, and the statistics used


def load_runs(results: list[Results], output: Path) -> list[Run]:
    if not results:
        raise IsobenchError("report: give at least one results file")
    versions = {r.schema_version for r in results}
    if len(versions) > 1:
        listing = ", ".join(f"{r.path} (schema {r.schema_version})" for r in results)
        raise IsobenchError(
            f"report: results of different schema versions are not mixed: {listing}; "
            "report them separately, or re-run the older ones"
        )
    labels = _unique_labels(results)
    runs = []
    for result, label in zip(results, labels, strict=True):
        cells = Cells(result.frame)
        runs.append(
            Run(
                results=result,
                label=label,
                summaries=summarize_cells(cells, result.header.memory_resolution),
                fits=fit_throughput(cells, result.header.work_units),
                cells=cells,
                link=Path(
                    os.path.relpath(result.path.resolve(), output.resolve().parent)
                ).as_posix(),
                counts=SampleCounts.of(result.frame),
                densities=density_summaries(result.scenario_samples),
                rates=rate_summaries(result.scenario_samples),
            )
        )
    return runs


def _unique_labels(results: list[Results]) -> list[str]:
    """hostname (arch), with the run id added where two runs would share a label."""
    hosts = [r.header.host for r in results]
    base = [f"{host.hostname or '?'} ({host.arch or '?'})" for host in hosts]
    repeated = {label for label, count in Counter(base).items() if count > 1}
    return [
        f"{label} {r.header.run_id or r.path.stem}" if label in repeated else label
        for label, r in zip(base, results, strict=True)
    ]


def build_report(runs: list[Run]) -> Report:
    not_compared = _revision_conflicts(runs)
    return Report(
        runs=runs,
        verdict={run.label: verdict_rows(run) for run in runs},
        sentences={run.label: verdict_sentences(run) for run in runs},
        startup={run.label: startup_rows(run) for run in runs},
        ladders={
            run.label: ladder_of(run.header, run.cells, run.summaries, run.results.floor_starts)
            for run in runs
        },
        artifacts={run.label: artifact_table(run) for run in runs},
        cross_host=cross_host_rows(runs, excluded={w for w, _ in not_compared})
        if len(runs) > 1
        else [],
        not_compared=[f"{workload}: {why}" for workload, why in not_compared],
        failures=failures(runs),
        emulated=emulated_cells(runs),
        noisy=[(run.label, s) for run in runs for s in run.summaries if s.noisy],
        precision={
            run.label: precision_outcome(run.summaries, run.header.plan.precision)
            for run in runs
            if run.header.plan is not None and run.header.plan.precision
        },
        environment=environment_rows(runs),
        method=method(runs),
    )


# -- verdict ---------------------------------------------------------------------------------


def shown_size(summaries: Iterable[Summary], workload: str) -> str:
    """The size figures show for a workload: `default` when run, else the last by name ("" when
    the workload was not run)."""
    sizes = sorted({s.size for s in summaries if s.workload == workload})
    if not sizes:
        return ""
    return PREFERRED_SIZE if PREFERRED_SIZE in sizes else sizes[-1]


def artifact_sizes(run: Run) -> dict[tuple[str, str, str, str], int]:
    """(workload, language, profile, variant) -> bytes of the artifact that variant ran, found
    through the samples' artifact ids: no variant needs to be known here."""
    by_id = {artifact.id: artifact.size_bytes for artifact in run.header.artifacts}
    sizes = {}
    artifact_ids = run.cells.frame["artifact_id"]
    for (workload, language, variant, _, profile, _), rows in run.cells.rows.items():
        size = by_id.get(str(artifact_ids.iat[rows[0]]))
        if isinstance(size, int):
            sizes[(workload, language, profile, variant)] = size
    return sizes


def verdict_rows(run: Run) -> list[VerdictRow]:
    by_key = {s.key: s for s in run.summaries}
    sizes = artifact_sizes(run)
    rows = []
    for workload, language, profile in sorted(
        {(s.workload, s.language, s.profile) for s in run.summaries}
    ):
        size = shown_size(run.summaries, workload)
        native = by_key.get(CellKey(workload, language, BASELINE_VARIANT, size, profile,
                                    BASELINE_STATE))  # fmt: skip
        cells = {}
        for variant in run.variants:
            if variant == BASELINE_VARIANT:
                continue
            summary = by_key.get(
                CellKey(workload, language, variant, size, profile, run.verdict_state(variant))
            )
            if summary is None:
                continue
            marginal = run.instance(variant) == IN_HOST
            cells[variant] = VerdictCell(
                time=Ratio(summary.ratio_to_native, summary.ratio_ci),
                net=Ratio(summary.net_ratio, summary.net_ratio_ci),
                cpu_net=Ratio(summary.cpu.net, summary.cpu.net_interval),
                memory=Ratio(None) if marginal else Ratio(summary.memory_ratio,
                                                          summary.memory_ratio_ci),
                # a marginal peak is judged alone: no ratio is taken from it
                memory_below_resolution=below_resolution(
                    summary.median_peak_memory_bytes, run.memory_resolution
                )
                if marginal
                else summary.memory_below_resolution,
                marginal_memory=marginal,
                peak_memory_bytes=summary.median_peak_memory_bytes,
                artifact_bytes=sizes.get((workload, language, profile, variant)),
            )  # fmt: skip
        rows.append(
            VerdictRow(
                workload=workload_label(workload, profile),
                language=language,
                size=size,
                native_ms=native.median_wall_ns / 1e6
                if native and native.median_wall_ns is not None
                else None,
                native_artifact_bytes=sizes.get((workload, language, profile, "native")),
                cells=cells,
            )
        )
    return rows


def geometric_mean(values: Iterable[float]) -> float | None:
    """None when there is no value, or one is not positive (no geometric mean exists then)."""
    listed = list(values)
    if not listed or min(listed) <= 0:
        return None
    return math.exp(statistics.fmean(math.log(v) for v in listed))


def verdict_sentences(run: Run) -> list[str]:
    """Plain statements drawn from the run's own figures."""
    sentences = startup_sentences(run)
    for variant in run.variants:
        if variant != BASELINE_VARIANT:
            sentences.extend(compute_sentence(run, variant))
    sentences.extend(memory_sentences(run))
    for variant, cost in sorted(run.header.host_costs.items()):
        if cost.containerd_shim is not None:
            sentences.append(
                f"Each running {variant} container also costs the host its containerd-shim: "
                f"{cost.containerd_shim.pss_bytes / 2**20:.1f} MiB (PSS), outside the peak "
                "figures."
            )
    return sentences


def compute_sentence(run: Run, variant: str) -> list[str]:
    """How a variant's compute time, net of startup, stands to native's over the workload
    builds: each counted by what its interval supports (Ratio.verdict), in CPU time where every
    build has it (the quieter estimator of compute on a shared host), else in wall time; the
    geometric mean with its bootstrap interval."""
    nets = [
        s
        for s in run.summaries
        if s.variant == variant
        and run.in_verdict_state(s)
        and s.net_ratio is not None
        and s.size == shown_size(run.summaries, s.workload)
    ]
    if not nets:
        return []
    in_cpu = all(s.cpu.net is not None for s in nets)
    metric, clock = (CPU, "CPU time") if in_cpu else (WALL, "wall time")
    ratios = {s.key: Ratio(s.cpu.net, s.cpu.net_interval) if in_cpu
              else Ratio(s.net_ratio, s.net_ratio_ci) for s in nets}  # fmt: skip
    verdicts = Counter(ratio.verdict for ratio in ratios.values())
    worst_key, worst = max(ratios.items(), key=lambda item: item[1].value or 0)
    counted = (f"within {GOOD_RATIO - 1:.0%} of native on {verdicts[WITHIN]} of {len(nets)} "
               f"workload builds (the whole {CONFIDENCE:.0%} interval inside that band), slower "
               f"on {verdicts[SLOWER]}, faster on {verdicts[FASTER]}, inconclusive on "
               f"{verdicts[INCONCLUSIVE]}")  # fmt: skip
    # A net ratio at or below 0 means a compute time within noise of the startup floor (tiny
    # sizes): no geometric mean exists then (geometric_mean says None).
    mean = geometric_mean(ratio.value or 0 for ratio in ratios.values())
    average = ""
    if mean is not None:
        interval = geometric_mean_interval(run, ratios, metric)
        average = f"; geometric mean {mean:.2f}× native ({CONFIDENCE:.0%} CI {_interval(interval)})"
    return [
        f"{variant} ({run.verdict_state(variant)}), compute time net of startup, in {clock}: "
        f"{counted}{average}; furthest behind: {worst_key.workload} ({worst_key.language}) at "
        f"{worst.value:.2f}×."
    ]


def geometric_mean_interval(
    run: Run, keys: Iterable[CellKey], metric: str
) -> tuple[float, float] | None:
    """The bootstrap interval of the geometric mean of the cells' net ratios in `metric`."""
    estimates = []
    for key in keys:
        cell_estimates = run.cells.net_estimates(key, metric)
        if cell_estimates is None:
            return None
        estimates.append(cell_estimates)
    return percentile_interval(geometric_mean_estimates(estimates)) if estimates else None


def startup_sentences(run: Run) -> list[str]:
    """The startup floor (noop) of each kind of instance apart: a process, a container and an
    instance inside a running host are different things, never ranked against each other."""
    floors = [s for s in run.summaries if s.workload == FLOOR_WORKLOAD and s.median_wall_ns]
    languages = {s.language for s in floors}
    language = "c" if "c" in languages else min(languages, default="")
    sentences = []
    for scope, described in INSTANCE_SCOPES.items():
        cells = sorted((s for s in floors if s.language == language
                        and run.instance(s.variant) == scope),
                       key=lambda s: s.median_wall_ns or 0)  # fmt: skip
        if not cells:
            continue
        fastest, slowest = cells[0], cells[-1]
        text = (f"Startup floor (noop, {language}), {described}: {fastest.variant} "
                f"{fastest.state} in {duration(fastest.median_wall_ns)}")  # fmt: skip
        if slowest is not fastest:
            slow, fast = (run.cells.wall_medians(cell.key) for cell in (slowest, fastest))
            ratio = Ratio((slowest.median_wall_ns or 0) / (fastest.median_wall_ns or 1),
                          ratio_of_ratios_ci(slow, fast))  # fmt: skip
            spread = f"{_times(ratio.value)}, {CONFIDENCE:.0%} CI {_interval(ratio.interval)}"
            if ratio.holds_one:  # the interval says nothing about which starts faster
                text += (f", {slowest.variant} {slowest.state} in "
                         f"{duration(slowest.median_wall_ns)}: no difference can be claimed "
                         f"({spread})")  # fmt: skip
            else:
                text += (f" fastest, {slowest.variant} {slowest.state} in "
                         f"{duration(slowest.median_wall_ns)} slowest ({spread})")  # fmt: skip
        sentences.append(text + ".")
    unscoped = [s for s in floors if s.language == language and not run.instance(s.variant)]
    if unscoped:  # files before schema 7 do not say what an instance is: no ranking then
        listing = ", ".join(f"{s.variant} {s.state} {duration(s.median_wall_ns)}" for s in unscoped)
        sentences.append(f"Startup floor (noop, {language}), instance kind not recorded: "
                         f"{listing}.")  # fmt: skip
    return sentences


def _peak(summary: Summary, resolution: int | None) -> str:
    """A median peak, or "below resolution" at or under what the memory counter resolves."""
    peak = summary.median_peak_memory_bytes or 0
    if resolution and below_resolution(peak, resolution):
        return f"below resolution (≤ {resolution / 2**20:.1f} MiB)"
    return f"{peak / 2**20:.1f} MiB"


def _times(value: float | None) -> str:
    """A ratio as "1.23×" below 10, "132×" above."""
    if value is None:
        return "—"
    return f"{value:.2f}×" if value < 10 else f"{value:.0f}×"


def _interval(interval: tuple[float, float] | None) -> str:
    if interval is None:
        return "not available"
    return f"{_times(interval[0])}–{_times(interval[1])}"


def memory_sentences(run: Run) -> list[str]:
    """The smallest instance (noop's peak), with what the memory counter can and cannot
    resolve, and an in-host figure beside a whole wasm process's."""
    peaks = sorted((s for s in run.summaries if s.workload == FLOOR_WORKLOAD
                    and run.in_verdict_state(s) and s.median_peak_memory_bytes is not None),
                   key=lambda s: (variant_order(s.variant), s.language))  # fmt: skip
    if not peaks:
        return []
    resolution = run.memory_resolution
    parts = []
    for s in peaks:
        marginal = ", marginal" if run.instance(s.variant) == IN_HOST else ""
        parts.append(f"{s.variant} ({s.language}{marginal}) {_peak(s, resolution)}")
    sentences = [f"Smallest instance (noop, peak memory per instance): {', '.join(parts)}."]
    for s in peaks:
        if run.instance(s.variant) != IN_HOST:
            continue
        beside = next((w for name in WHOLE_WASM_PROCESSES for w in peaks
                       if w.variant == name and w.language == s.language), None)  # fmt: skip
        if beside is not None:
            sentences.append(
                f"{s.variant}'s memory is marginal, what one instance adds to a host process "
                f"already running (noop, {s.language}: {_peak(s, resolution)}); a whole wasm "
                f"process per instance ({beside.variant}) peaks at {_peak(beside, resolution)}."
            )
    if resolution:
        sentences.append(
            f"Peaks below {resolution / 2**20:.1f} MiB are below what the memory counter "
            "resolves (a step per CPU: see Method); memory ratios are taken only between peaks "
            f"of at least {MEMORY_RATIO_MIN_RESOLUTIONS} times that."
        )
    return sentences


# -- startup, artifacts ----------------------------------------------------------------------


def workload_label(workload: str, profile: str) -> str:
    """ "matmul", or "matmul [simd]" for a build profile other than the default one."""
    return workload if profile == DEFAULT_PROFILE else f"{workload} [{profile}]"


def build_label(language: str, profile: str) -> str:
    """ "c", or "c simd" for a build profile other than the default one."""
    return language if profile == DEFAULT_PROFILE else f"{language} {profile}"


def phase_medians(run: Run, workload: str) -> dict[tuple[str, str, str], dict[str, float]]:
    """(variant, state, build label) -> phase -> median ns over the ok samples of `workload`
    at its shown size that recorded the phase."""
    size = shown_size(run.summaries, workload)
    cells = run.cells
    # a cell with no ok sample has no phases to show
    keys = [
        key
        for key in cells.rows
        if (key.workload, key.size) == (workload, size) and cells.ok_rows(key).size
    ]
    by_phase = {
        phase_of(column): cells.ok_values(column, keys) for column in phase_columns(cells.frame)
    }
    phases = {
        (key.variant, key.state, build_label(key.language, key.profile)): {
            phase: float(np.median(values[key])) for phase, values in by_phase.items()
            if values[key].size
        }
        for key in keys
    }  # fmt: skip
    return dict(sorted(phases.items(), key=lambda kv: (variant_order(kv[0][0]), kv[0])))


def wall_phases(run: Run, variant: str, state: str, recorded: list[str]) -> list[str]:
    """The recorded phases that make up wall time in this state (all of them when the header
    does not say, as before schema 5)."""
    entry = run.header.variants.get(variant)
    declared = entry.wall_phases.get(state) if entry is not None else None
    return [phase for phase in declared if phase in recorded] if declared else recorded


@dataclass(frozen=True, slots=True)
class StartupRow:
    summary: Summary
    inside: dict[str, float]  # phase -> median ns, phases inside wall time
    outside: dict[str, float]  # recorded apart (docker remove; create when warm)


def startup_rows(run: Run) -> list[StartupRow]:
    medians = phase_medians(run, FLOOR_WORKLOAD)
    size = shown_size(run.summaries, FLOOR_WORKLOAD)
    rows = []
    for s in run.summaries:
        if s.workload != FLOOR_WORKLOAD or s.size != size:
            continue
        phases = medians.get((s.variant, s.state, build_label(s.language, s.profile)), {})
        inside = wall_phases(run, s.variant, s.state, list(phases))
        rows.append(
            StartupRow(
                s,
                {p: phases[p] for p in inside},
                {p: v for p, v in phases.items() if p not in inside},
            )
        )
    return sorted(rows, key=lambda r: (variant_order(r.summary.variant), r.summary.state,
                                       r.summary.language))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ArtifactRow:
    workload: str
    language: str
    profile: str
    bytes_by_kind: dict[str, int]  # artifact kind -> bytes
    build_ms_by_kind: dict[str, float]


@dataclass(frozen=True, slots=True)
class ArtifactTable:
    columns: list[tuple[str, str]]  # (kind, caption) of every kind the run built
    rows: list[ArtifactRow]


def artifact_table(run: Run) -> ArtifactTable:
    """Every workload artifact the run built, a column per kind: the kinds and their captions
    as the header names them (a file before schema 8 names none: its kinds stand for
    themselves, in the order the header lists their artifacts)."""
    rows = artifact_rows(run)
    present = {kind for row in rows for kind in row.bytes_by_kind}
    captions = run.header.artifact_kinds
    named = [(kind, caption) for kind, caption in captions.items() if kind in present]
    listed = dict.fromkeys(artifact.kind for artifact in run.header.artifacts)
    unnamed = [(kind, kind) for kind in listed if kind in present and kind not in captions]
    return ArtifactTable(named + unnamed, rows)


def artifact_rows(run: Run) -> list[ArtifactRow]:
    table: dict[tuple[str, str, str], ArtifactRow] = {}
    for artifact in run.header.artifacts:
        kind = artifact.kind
        if not artifact.workload:  # the harness's own helpers
            continue
        key = (artifact.workload, artifact.language, artifact.profile)
        row = table.setdefault(key, ArtifactRow(*key, {}, {}))
        if artifact.size_bytes is not None:
            row.bytes_by_kind[kind] = artifact.size_bytes
        if artifact.build_ns is not None:
            row.build_ms_by_kind[kind] = artifact.build_ns / 1e6
    return [table[key] for key in sorted(table)]


# -- several hosts ---------------------------------------------------------------------------


def _revision_conflicts(runs: list[Run]) -> list[tuple[str, str]]:
    if len(runs) < 2:
        return []
    conflicts = []
    workloads = sorted({s.workload for run in runs for s in run.summaries})
    for workload in workloads:
        revisions = {
            run.header.workload_revision(workload)
            for run in runs
            if any(s.workload == workload for s in run.summaries)  # the runs that measured it
        }
        known = {r for r in revisions if r is not None}
        if len(known) > 1:
            conflicts.append((workload, "its sources differ between the runs (revisions differ)"))
        elif None in revisions:
            conflicts.append((workload, "a run does not record its revision (schema < 5)"))
    return conflicts


def cross_host_rows(runs: list[Run], excluded: set[str]) -> list[CrossHostRow]:
    """The same cell's ratio to native on each host, and each host's over the first's."""
    first = runs[0]
    rows = []
    keys = sorted(
        {
            key
            for key in first.cells.rows
            if key.workload not in excluded and key.variant != BASELINE_VARIANT
        },
        key=lambda k: (
            k.workload,
            k.language,
            k.size,
            k.profile,
            variant_order(k.variant),
            k.state,
        ),
    )
    for key in keys:
        if not all(key in run.cells.rows for run in runs[1:]):
            continue
        metric = "wall" if key.workload == FLOOR_WORKLOAD else "net"
        estimates = [_ratio_estimates(run, key, metric, index) for index, run in enumerate(runs)]
        per_host = [_point_ratio(run, key, metric) for run in runs]
        versus = [Ratio(None)] + [
            Ratio(
                ratio.value / per_host[0].value
                if ratio.value is not None and per_host[0].value
                else None,
                ratio_of_ratios_ci(estimate, estimates[0]),
            )
            for ratio, estimate in zip(per_host[1:], estimates[1:], strict=True)
        ]
        workload, language, variant, size, profile, state = key
        rows.append(
            CrossHostRow(
                workload=workload_label(workload, profile),
                language=language,
                size=size,
                variant=variant,
                state=state,
                metric=metric,
                per_host=per_host,
                versus_first=versus,
            )
        )
    return rows


def _point_ratio(run: Run, key: CellKey, metric: str) -> Ratio:
    summary = next((s for s in run.summaries if s.key == key), None)
    if summary is None:
        return Ratio(None)
    if metric == "wall":
        return Ratio(summary.ratio_to_native, summary.ratio_ci)
    return Ratio(summary.net_ratio, summary.net_ratio_ci)


def _ratio_estimates(run: Run, key: CellKey, metric: str, index: int) -> FloatArray | None:
    walls, floor, baseline, baseline_floor = run.cells.net_sides(key)
    if metric == "wall":  # startup itself: nothing to subtract
        return median_ratio_estimates(walls, baseline, stream=f"run {index}")
    return net_ratio_estimates(walls, floor, baseline, baseline_floor, stream=f"run {index}")


# -- quality, environment, method ------------------------------------------------------------


def _measured(run: Run, chosen: pd.Series[bool]) -> list[Sample]:
    """The run's measured (not warm-up) samples that `chosen` picks, as records: few (those
    that failed, or ran emulated), where a run may hold a million."""
    frame = run.results.frame
    return samples_of(frame[(chosen & ~frame["warmup"]).to_numpy(dtype=bool)])


def failures(runs: list[Run]) -> list[Failure]:
    found = []
    for run in runs:
        by_cell: dict[tuple[str, str], list[str]] = {}  # cell, status -> details
        for sample in _measured(run, run.results.frame["status"] != Status.OK.value):
            by_cell.setdefault((sample.cell_key.label, sample.status.value), []).append(
                sample.detail
            )
        for row in run.results.scenario_samples:
            if row.status is not Status.OK:
                cell = f"{row.scenario} {row.workload} ({row.language}, {row.subject} {row.mode})"
                by_cell.setdefault((cell, row.status.value), []).append(row.detail)
        for (cell, status), details in sorted(by_cell.items()):
            shown = list(dict.fromkeys(detail for detail in details if detail))
            found.append(Failure(run.label, cell, status, len(details), shown[:FIRST_DETAILS]))
    return found


def emulated_cells(runs: list[Run]) -> list[tuple[str, str, int, int]]:
    found = []
    for run in runs:
        cells: dict[str, list[Sample]] = {}
        for sample in _measured(run, run.results.frame["emulated"]):
            cell = (
                f"{sample.workload} ({sample.language}, {sample.variant} {sample.state}, "
                f"{sample.size}, {sample.arch})"
            )
            cells.setdefault(cell, []).append(sample)
        for cell, samples in sorted(cells.items()):
            ok = sum(1 for s in samples if s.status is Status.OK)
            found.append((run.label, cell, len(samples), ok))
    return found


def _flatten(prefix: str, value: object) -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), value[key])
    elif isinstance(value, list):
        yield prefix, ", ".join(map(str, value))
    else:
        yield prefix, "" if value is None else str(value)


def environment_rows(runs: list[Run]) -> list[tuple[str, list[str], bool]]:
    """host.*, tools.*, the build flags and the run settings, one row per field, a value per
    run, and whether the runs differ on it."""
    tables = []
    for run in runs:
        header = run.header
        flat = dict(_flatten("host", header.host.recorded))
        flat.update(_flatten("tools", header.tools.to_json()))
        for artifact in header.artifacts:
            if artifact.flags is not None:
                flat[f"flags.{artifact.kind}.{artifact.language}.{artifact.profile}"] = " ".join(
                    artifact.flags
                )
        for name in ("suite", "repetitions", "min_time_s", "warmup", "seed", "timeout_s",
                     "affinity"):  # fmt: skip
            value = getattr(header.plan, name) if header.plan is not None else None
            # an unrecorded count is blank; a run outside any suite says None
            recorded = header.plan is not None and (value is not None or name == "suite")
            flat[f"plan.{name}"] = str(value) if recorded else ""
        flat["run.id"] = header.run_id
        flat["run.started_at"] = header.started_at
        flat["run.isobench"] = header.isobench_version
        flat["run.git_revision"] = header.git_revision
        flat["run.measurement_revision"] = run.measurement_revision
        flat["run.schema_version"] = str(run.results.schema_version)
        if header.stability is not None:
            flat.update(_flatten("stability", header.stability.to_json()))
        tables.append(flat)
    fields = sorted({name for table in tables for name in table})
    return [
        (name, values, len(set(values)) > 1)
        for name in fields
        for values in [[table.get(name, "") for table in tables]]
    ]


def pacing_of(plan: PlanRecord) -> str:
    """How many samples each cell got, and why (the plan's counts, precision and budget)."""
    if plan.repetitions is None:
        return "counts not recorded"
    text = (f"at least {plan.repetitions} measured samples a cell after {plan.warmup or 0} "
            "warm-up round(s)")  # fmt: skip
    if plan.min_time_s:
        text += f", and at least {plan.min_time_s:g} s of them"
    if plan.precision:
        budget = (
            f"while the run's budget ({plan.budget_s / 60:g} min) lasted"
            if plan.budget_s
            else "with no time limit"
        )
        text += (
            f"; then further rounds for every cell whose median's {CONFIDENCE:.0%} interval was "
            f"wider than ±{plan.precision:.1%} of it (CPU time for compute, wall time for noop), "
            f"{budget}, up to {plan.max_repetitions} samples a cell. A cell stops the first "
            "time it meets the target and its interval is computed as for a fixed count, which "
            "makes it slightly optimistic; the minimum count bounds that"
        )
    return text


def method(runs: list[Run]) -> dict[str, Any]:
    """What every figure spans, from the runs' own headers, and the statistics used."""
    variants: dict[str, VariantRecord] = {}
    memory = []
    primers = []
    affinities = []
    pacing = []
    for run in runs:
        for name, description in run.header.variants.items():
            variants.setdefault(name, description)
        recorded = run.header.memory or MemoryRecord()
        if recorded.method and recorded.method not in memory:
            memory.append(recorded.method)
        step, resolution = recorded.charge_granularity_bytes, run.memory_resolution
        if step and resolution:
            memory.append(
                f"{run.label}: the counter moves in steps of {step >> 10} KiB (probed on a fresh "
                f"group), and each CPU may hold one such step pre-charged: a peak reads up to "
                f"{resolution >> 10} KiB above the pages in use (its resolution)"
            )
        plan = run.header.plan or PlanRecord()
        line = (
            plan.primer or "none: the workloads folder had no noop"
            if run.header.plan is not None and run.results.schema_version >= 7
            else "none (a run before schema 7)"
        )
        if line not in primers:
            primers.append(line)
        pacing.append(f"{run.label}: {pacing_of(plan)}")
        cpus = plan.affinity  # runs before it was recorded were not pinned
        affinities.append(
            f"{run.label}: the measure loop and every instance it started on CPU {cpus} (a "
            "container as its cpuset; an engine's own threads shared it)"
            if cpus != "all"
            else f"{run.label}: not pinned (wherever the scheduler placed them)"
        )
    return {
        "variants": dict(sorted(variants.items(), key=lambda item: variant_order(item[0]))),
        "memory": memory,
        "primers": primers,
        "affinities": affinities,
        "pacing": pacing,
        "confidence": CONFIDENCE,
        "resamples": BOOTSTRAP_RESAMPLES,
        "noisy_cv": NOISY_CV,
        "outlier_mads": OUTLIER_MADS,
        "baseline": f"{BASELINE_VARIANT} {BASELINE_STATE}",
        "floor": FLOOR_WORKLOAD,
        "verdict_state": VERDICT_STATE,
        "good": GOOD_RATIO,
        "fair": FAIR_RATIO,
    }
