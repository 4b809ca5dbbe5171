"""isobench as a library: what the `isobench` command itself calls.

    from harness import api

    results = api.read_results(Path("results/example/run.jsonl"))
    for row in api.summarize(results):
        print(row.workload, row.variant, row.state, row.median_wall_ns, row.ratio_to_native)

    config = api.RunConfig(api.Selection(workloads=("noop",), variants=("native",)),
                           api.Measuring(repetitions=5))
    outcome = api.run(config)  # builds, measures, writes outcome.path
    api.write_report([outcome.path], Path("reports/noop.html"))

    frame = api.to_frame(results)  # pandas: a row per sample, typed; headers in frame.attrs
    frame[frame.status == "ok"].groupby(["workload", "variant", "state"]).wall_ns.median()

Every function is typed (the package ships py.typed); user mistakes raise IsobenchError.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness import bless as _bless
from harness import session
from harness.build import BuildOutcome
from harness.compare import DEFAULT_ALPHA, Comparison
from harness.compare import compare as _compare
from harness.errors import IsobenchError
from harness.export import export
from harness.header import Header
from harness.report import write_report
from harness.results import Results, Sample, latest_results, to_frame, with_emulated_labelled
from harness.results import read_results as _read_results
from harness.scenarios import ScenarioPlan
from harness.session import Listener, Measuring, Registry, RunConfig, RunOutcome, Selection
from harness.stats import Cells, Fit, Summary
from harness.stats import fit_throughput as _fit_throughput
from harness.stats import summarize as _summarize
from harness.targets import TARGETS

if TYPE_CHECKING:
    pass

__all__ = [
    "TARGETS",
    "BuildOutcome",
    "Comparison",
    "Fit",
    "Header",
    "IsobenchError",
    "Listener",
    "Measuring",
    "Registry",
    "Results",
    "RunConfig",
    "RunOutcome",
    "Sample",
    "ScenarioPlan",
    "Selection",
    "SizeOutputs",
    "Summary",
    "bless",
    "build",
    "compare",
    "export",
    "fit_throughput",
    "latest_results",
    "read_results",
    "run",
    "run_scenarios",
    "summarize",
    "to_frame",
    "write_expected",
    "write_report",
]


def read_results(path: Path, *, include_emulated: bool = False) -> Results:
    """A results file, checked (a bad line is an IsobenchError naming it); `include_emulated`:
    samples run under emulation become variants of their own, "native (emulated)"."""
    results = _read_results(path)
    return with_emulated_labelled(results) if include_emulated else results


def summarize(results: Results) -> list[Summary]:
    """One row per cell: medians with intervals, ratios to native, CPU time, peak memory."""
    return _summarize(results.frame, results.header.memory_resolution)


def fit_throughput(results: Results) -> list[Fit]:
    """Throughput apart from startup: a line through each cell's times over its sizes, where
    the header's plan gives work units (wall = fixed + per unit x units), with ratios to native."""
    return _fit_throughput(Cells(results.frame), results.header.work_units)


def compare(base: Results, new: Results, *, alpha: float = DEFAULT_ALPHA) -> Comparison:
    """What changed between two runs, cell by cell and metric by metric."""
    return _compare(base, new, alpha)


def build(
    selection: Selection, registry: Registry = TARGETS, listener: Listener | None = None
) -> BuildOutcome:
    """Compile and package what `selection` names (cached by content)."""
    return session.build_only(selection, registry, listener or session.Silent())


def run(
    config: RunConfig,
    registry: Registry = TARGETS,
    listener: Listener | None = None,
    *,
    resume: Path | None = None,
) -> RunOutcome:
    """Build, measure and write a results file (harness.session.run)."""
    return session.run(config, registry, listener, resume=resume)


def run_scenarios(
    selection: Selection,
    plan: ScenarioPlan,
    results_dir: Path,
    registry: Registry = TARGETS,
    listener: Listener | None = None,
) -> RunOutcome | None:
    """The serverless scenarios alone, into a results file of their own."""
    return session.run_scenarios(selection, plan, results_dir, registry, listener)


def same_plan_as(path: Path, base: RunConfig | None = None) -> RunConfig:
    """The configuration that measures again what a results file measured."""
    base = base or RunConfig()
    return RunConfig.same_plan_as(read_results(path).header, base, source=path)


SizeOutputs = _bless.SizeOutputs
write_expected = _bless.write_expected


def bless(
    selection: Selection, registry: Registry = TARGETS, listener: Listener | None = None
) -> list[SizeOutputs]:
    """One workload (`selection.workloads`, one name) built natively in each of its languages
    and run once at each size, confined as a sample: what each printed, and for each size
    whether it can be blessed (`problem`) and how it differs from its expected file (`change`).
    `write_expected` then writes those that can."""
    return _bless.take_outputs(selection, registry, listener or session.Silent())
