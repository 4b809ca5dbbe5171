"""The `isobench` command: a pipeline of small verbs over the library modules.

    doctor   toolchains and engines found, and how to install what is missing
    build    compile and package every workload x language x variant (cached by content)
    run      build (cached), then measure every variant, interleaved, into results/
    all      the main job: build, run, scenarios, summarize, report (the README's first command)
    scenario density, start rate, requests per instance: the serverless questions
    summary  recompute the summary table of a results file
    report   one self-contained HTML report from one or more results files (several hosts)
    compare  what changed significantly between two results files; can fail on regressions
    export   a results file in another tool's format (pytest-benchmark)

User mistakes raise IsobenchError: caught once here, one line, exit code 2. A run in which some
sample was not ok exits 1 and names the workloads.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness import __version__
from harness.affinity import ALL, AUTO, format_cpus, parse_cpus
from harness.build import BuildOutcome, build, build_helper
from harness.cache import Artifact, BuildCache
from harness.cgroups import MemoryCgroups
from harness.compare import DEFAULT_ALPHA, TEST_NAME, compare
from harness.errors import IsobenchError, Terminated, sigterm_unwinds
from harness.export import FORMATS, export
from harness.host import fingerprint, git_revision
from harness.measure import PRIMER, PRIMER_WORKLOAD, Cell, Plan, measurement_revision, run_plan
from harness.report import write_report
from harness.results import (
    Results,
    ResultsWriter,
    Sample,
    ScenarioSample,
    Status,
    instances,
    latest_results,
    memory_resolution,
    read_results,
    with_emulated_labelled,
)
from harness.scenario_stats import density_summaries, rate_summaries
from harness.scenarios import (
    SCENARIOS,
    SERVE_WORKLOAD,
    START_WORKLOAD,
    ScenarioPlan,
    ScenarioRun,
    Subject,
    swept,
)
from harness.stats import (
    CONFIDENCE,
    OUTLIER_MADS,
    Fit,
    Summary,
    below_resolution,
    fit_throughput,
    summarize,
)
from harness.suites import SUITES_FILE, load_suite
from harness.targets import DEFAULT_VARIANTS, TARGETS, Target
from harness.targets.base import COLD, WARM, Spawner, new_mark
from harness.toolchains import ARCHES, Check, Profile, compiler_checks, find_compiler, host_arch
from harness.workloads import Language, Workload, select

EXIT_SAMPLES_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_REGRESSION = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_TERMINATED = 143  # 128 + SIGTERM
PIPE_WIDTH = 220
# From a cross build, what qemu (binfmt) can run here: a whole static executable, alone or in
# its image.
EMULATED_KINDS = ("native", "docker-image")
DEFAULT_MEMORY_LIMIT_MIB = 4096  # memtouch's large size touches 2 GiB
REPORTS_DIR = Path("reports")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isobench",
        description="The same C and Rust workloads as native executables, Docker containers "
        "and WASI modules, measured side by side.",
    )
    parser.add_argument("--version", action="version", version=f"isobench {__version__}")
    parser.add_argument(
        "--workloads-dir",
        type=Path,
        default=Path("workloads"),
        help="folder of workload folders (default: %(default)s)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path("build"),
        help="content-addressed build cache (default: %(default)s)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=Path("results"),
        help="where results files go (default: %(default)s)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    verbs.add_parser("doctor", help="show toolchains and engines, and how to install the missing")

    engines = argparse.ArgumentParser(add_help=False)
    engines.add_argument(
        "-l",
        "--language",
        action="append",
        dest="languages",
        default=[],
        choices=[language.value for language in Language],
        help="a language to include (repeatable; default: all)",
    )
    engines.add_argument(
        "--variant",
        action="append",
        dest="variants",
        default=[],
        choices=list(TARGETS),
        help="a variant to include (repeatable; default: native, docker, wasmtime; "
        "docker-bridge is docker on the bridge network)",
    )
    selection = argparse.ArgumentParser(add_help=False, parents=[engines])
    selection.add_argument(
        "-w",
        "--workload",
        action="append",
        dest="workloads",
        default=[],
        metavar="NAME",
        help="a workload to include (repeatable; default: the suite's)",
    )
    selection.add_argument(
        "--suite",
        default=None,
        help="a suite from workloads/suites.toml (run: default; build: every workload)",
    )
    selection.add_argument(
        "--arch",
        choices=ARCHES,
        default=None,
        help="build for this architecture (default: this host's). Another is a cross build; "
        "run then runs it under qemu (binfmt): marked emulated, for correctness only",
    )
    selection.add_argument(
        "--profile",
        action="append",
        dest="profiles",
        default=[],
        choices=[profile.value for profile in Profile],
        help="a build profile (repeatable; default: portable)",
    )
    verbs.add_parser("build", parents=[selection], help="compile and package every variant")

    measuring = _measuring_options(selection)
    run = verbs.add_parser("run", parents=[measuring], help="build (cached), then measure")
    run.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="RUNFILE",
        help="complete an interrupted run: the same plan (from the file's header), appending "
        "the samples it still lacks to that file",
    )
    scenario_options = _scenario_options()
    everything = verbs.add_parser(
        "all",
        parents=[measuring, scenario_options],
        help="the main job on this host: build, measure, scenarios, report",
    )
    everything.add_argument(
        "--no-scenarios", action="store_true", help="measure the samples only, no scenarios"
    )
    scenario = verbs.add_parser(
        "scenario",
        parents=[engines, scenario_options],
        help="density, start rate and requests per instance (the serverless questions)",
    )
    scenario.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"any of {', '.join(SCENARIOS)} (default: all three)",
    )
    scenario.add_argument("--seed", type=int, default=None, help="seed of the batch order")

    report = verbs.add_parser(
        "report", help="one self-contained HTML report from results files (one per host)"
    )
    report.add_argument(
        "results_files",
        nargs="*",
        type=Path,
        metavar="RESULTS",
        help="results .jsonl files (default: the newest in --results-dir)",
    )
    report.add_argument(
        "--include-emulated",
        action="store_true",
        help="show samples run under emulation (another architecture's artifacts, under qemu) "
        "as variants of their own, labelled '(emulated)'; by default they are only counted",
    )
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="the HTML file to write (default: reports/<run id of the first file>.html)",
    )

    comparing = verbs.add_parser(
        "compare", help="significant changes between two results files (BASE, then NEW)"
    )
    comparing.add_argument("base", type=Path, metavar="BASE", help="the baseline results file")
    comparing.add_argument("new", type=Path, metavar="NEW", help="the results file to judge")
    comparing.add_argument(
        "--fail-on-regression",
        type=float,
        default=None,
        metavar="PCT",
        help="exit 1 when a significant slowdown (or memory growth) beyond PCT percent is found",
    )
    comparing.add_argument(
        "--alpha",
        type=float,
        default=DEFAULT_ALPHA,
        help="significance level of the Mann-Whitney U test (default: %(default)s)",
    )
    exporting = verbs.add_parser("export", help="a results file in another tool's format")
    exporting.add_argument("results_file", type=Path, metavar="RESULTS")
    exporting.add_argument("--format", dest="file_format", choices=FORMATS, required=True)
    exporting.add_argument("-o", "--output", type=Path, required=True, help="the file to write")

    summary = verbs.add_parser("summary", help="summary table of a results file")
    summary.add_argument(
        "--include-emulated",
        action="store_true",
        help="show emulated samples as variants of their own, labelled '(emulated)'",
    )
    summary.add_argument(
        "results_file",
        nargs="?",
        type=Path,
        help="a results .jsonl (default: the newest in --results-dir)",
    )
    return parser


def _measuring_options(selection: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of the verbs that measure (run, all): what, how often, how."""
    measuring = argparse.ArgumentParser(add_help=False, parents=[selection])
    measuring.add_argument(
        "-s",
        "--size",
        action="append",
        dest="sizes",
        default=[],
        metavar="SIZE",
        help="a size to run (repeatable; default: the suite's, else default)",
    )
    measuring.add_argument(
        "--state",
        action="append",
        dest="states",
        default=[],
        choices=[COLD, WARM],
        help="startup states to measure (repeatable; default both). cold: native evicts the "
        "executable from the page cache, docker creates the container inside the clock, "
        "wasmtime compiles the .wasm",
    )
    measuring.add_argument(
        "-n",
        "--repetitions",
        type=_positive_int,
        default=10,
        help="the minimum count of measured samples per cell (default: %(default)s)",
    )
    measuring.add_argument(
        "--min-time",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also measure each cell until its samples add up to this much wall time "
        "(default: %(default)s)",
    )
    measuring.add_argument(
        "--max-repetitions",
        type=_positive_int,
        default=1000,
        help="the most measured samples per cell, whatever --min-time asks (default: %(default)s)",
    )
    measuring.add_argument(
        "--warmup",
        type=_non_negative_int,
        default=1,
        help="warm-up rounds, checked but not recorded (default: %(default)s)",
    )
    measuring.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the shuffled run order (default: random, recorded)",
    )
    measuring.add_argument(
        "--memory-limit",
        type=_positive_int,
        default=DEFAULT_MEMORY_LIMIT_MIB,
        metavar="MIB",
        help="each instance is stopped past this much memory: a cgroup limit for every variant, "
        "and Docker's --memory, and the wasm store's limit (default: %(default)s)",
    )
    measuring.add_argument(
        "--affinity",
        default=AUTO,
        metavar="CPUS",
        help="the CPUs the measure loop and every instance it starts run on: a CPU list "
        f"(1, 0,2-3), {ALL} (no pinning) or {AUTO}: one CPU, the last this process may use "
        "(default: %(default)s)",
    )
    measuring.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="per-sample timeout (default: %(default)s)",
    )
    return measuring


def _scenario_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    defaults = ScenarioPlan((), seed=0)
    group = options.add_argument_group("scenarios")
    group.add_argument(
        "--batches",
        type=_positive_int,
        default=defaults.repetitions,
        help="batches per scenario, variant, language and mode, interleaved (default: %(default)s)",
    )
    group.add_argument(
        "--density-steps",
        type=_step_list,
        default=defaults.density_steps,
        metavar="K,K,...",
        help="instance counts for density, rising (default: "
        f"{','.join(map(str, defaults.density_steps))})",
    )
    group.add_argument(
        "--starts",
        type=_positive_int,
        default=defaults.starts,
        help="instance starts per starter and batch (default: %(default)s)",
    )
    group.add_argument(
        "--requests",
        type=_positive_int,
        default=defaults.requests,
        help="requests per batch (default: %(default)s)",
    )
    group.add_argument(
        "--batch-time-limit",
        type=float,
        default=defaults.batch_time_limit_s,
        metavar="SECONDS",
        help="a batch also ends after this long (default: %(default)s)",
    )
    group.add_argument(
        "--memory-reserve",
        type=_positive_int,
        default=defaults.memory_reserve_bytes >> 20,
        metavar="MIB",
        help="density starts no instance once less memory than this is available "
        "(default: %(default)s)",
    )
    return options


def _step_list(text: str) -> tuple[int, ...]:
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if any(step < 1 for step in steps) or list(steps) != sorted(set(steps)):
        raise argparse.ArgumentTypeError(f"must rise and be at least 1: {text!r}")
    return steps


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, PIPE_WIDTH)  # CI logs: keep summary rows unwrapped
    verbs = {
        "doctor": lambda: doctor(console),
        "build": lambda: build_only_verb(args, console),
        "run": lambda: run_verb(args, console),
        "all": lambda: run_verb(args, console),
        "scenario": lambda: scenario_verb(args, console),
        "report": lambda: report_verb(args, console),
        "compare": lambda: compare_verb(args, console),
        "export": lambda: export_verb(args, console),
        "summary": lambda: summary_verb(args, console),
    }
    try:
        with sigterm_unwinds():
            return verbs[args.verb]()
    except Terminated:
        Console(stderr=True).print("isobench: terminated (results written so far are kept)")
        return EXIT_TERMINATED
    except IsobenchError as error:
        Console(stderr=True, highlight=False).print(
            f"isobench: error: {error}", markup=False, soft_wrap=True
        )
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        Console(stderr=True).print("isobench: interrupted (results written so far are kept)")
        return EXIT_INTERRUPTED


# -- doctor ---------------------------------------------------------------------------------


def doctor(console: Console) -> int:
    checks = compiler_checks()
    for target in TARGETS.values():
        # variants built on the same engine (docker, docker-bridge) report it once
        checks.extend(check for check in target.probe() if check not in checks)
    cgroups = MemoryCgroups.detect()
    checks.append(
        Check(
            "memory measurement",
            cgroups is not None,
            cgroups.describe() if cgroups else "needs root and a cgroup memory controller",
            "run isobench as root on a host with the cgroup memory controller",
        )
    )
    table = Table(title="isobench doctor")
    for column in ("", "toolchain / engine", "found", "to install"):
        table.add_column(column)
    for check in checks:
        table.add_row(
            "[green]ok[/]"
            if check.found
            else "[yellow]unavailable[/]"
            if check.optional
            else "[red]missing[/]",
            check.name,
            check.detail,
            "" if check.found else check.install,
        )
    console.print(table)
    missing = [check.name for check in checks if not check.found and not check.optional]
    if missing:
        console.print(f"missing: {', '.join(missing)}")
        return 1
    return 0


# -- build ----------------------------------------------------------------------------------


class OpenedTargets(dict[str, Target]):
    """The selected variants' targets, by name; `unavailable`: those whose engine could not be
    reached, with why (the run goes on without them)."""

    def __init__(self) -> None:
        super().__init__()
        self.unavailable: dict[str, str] = {}


@contextlib.contextmanager
def opened_targets(
    args: argparse.Namespace, cache: BuildCache, console: Console
) -> Iterator[OpenedTargets]:
    """The selected variants' targets, connected to their engines, closed at the end. A variant
    whose engine cannot be reached (no Docker daemon) is left out with a warning; when none is
    left, that is an error."""
    names = args.variants or list(DEFAULT_VARIANTS)
    targets = OpenedTargets()
    try:
        for name in dict.fromkeys(names):
            try:
                targets[name] = TARGETS[name].open(cache)
            except IsobenchError as error:
                targets.unavailable[name] = str(error)
                console.print(f"[yellow]warning:[/] {name}: unavailable, not measured: {error}")
        if not targets:
            raise IsobenchError(
                "no variant can run: "
                + "; ".join(f"{name}: {why}" for name, why in targets.unavailable.items())
            )
        yield targets
    finally:
        for target in targets.values():
            target.close()


def selection(args: argparse.Namespace, *, measuring: bool) -> tuple[list[Workload], list[str]]:
    """The workloads and sizes asked for. A suite (named, or `default` for run when there is a
    suites file) gives both; -w narrows the workloads and -s replaces the sizes. Without a
    suite: every workload, at the default size."""
    sizes = list(dict.fromkeys(getattr(args, "sizes", []) or []))
    has_suites = (args.workloads_dir / SUITES_FILE).is_file()
    suite_name = args.suite or ("default" if measuring and has_suites else None)
    if suite_name is None:
        workloads, sizes = select(args.workloads_dir, args.workloads), sizes or ["default"]
    else:
        suite = load_suite(args.workloads_dir, suite_name)
        workloads = (
            select(args.workloads_dir, args.workloads) if args.workloads else [*suite.workloads]
        )
        sizes = sizes or list(suite.sizes)
    for workload in workloads:
        for size in sizes:
            workload.size(size)  # an unknown size is a user error before anything runs
    return workloads, sizes


def build_verb(
    args: argparse.Namespace,
    console: Console,
    targets: dict[str, Target],
    workloads: list[Workload],
) -> BuildOutcome:
    languages = [Language(value) for value in dict.fromkeys(args.languages)] or list(Language)
    chosen = getattr(args, "profiles", [])  # the scenario verb builds the portable profile
    profiles = [Profile(value) for value in dict.fromkeys(chosen)] or [Profile.PORTABLE]
    cache = BuildCache(args.cache_dir)
    with progress_bar(console, "build") as progress:
        task = progress.add_task("", total=None)

        def on_step(artifact: Artifact, was_built: bool) -> None:
            progress.update(
                task,
                advance=1,
                description=f"{artifact.workload} {artifact.language} {artifact.kind}",
            )
            if was_built:
                label = f"{artifact.workload} ({artifact.language})"
                progress.console.print(
                    f"  built  {artifact.kind:<13} {label:<28} {artifact.size_bytes:>12,} B  "
                    f"id {artifact.id[:12]}"
                )

        outcome = build(
            workloads,
            languages=languages,
            profiles=profiles,
            targets=list(targets.values()),
            cache=cache,
            on_step=on_step,
            arch=getattr(args, "arch", None),
        )
    for variant, why in outcome.skipped.items():
        console.print(f"build: {variant} left out for {args.arch}: {why}", markup=False)
    if outcome.built:
        console.print(
            f"build: {len(outcome.built)} artifacts built, {len(outcome.cached)} already up to date"
        )
    else:
        console.print(
            f"build: nothing to compile, all {len(outcome.cached)} artifacts "
            f"up to date in {cache.root}"
        )
    return outcome


# -- run ------------------------------------------------------------------------------------


def build_only_verb(args: argparse.Namespace, console: Console) -> int:
    workloads, _ = selection(args, measuring=False)
    with opened_targets(args, BuildCache(args.cache_dir), console) as targets:
        build_verb(args, console, targets, workloads)
    return 0


def resumed_arguments(args: argparse.Namespace, previous: Results) -> argparse.Namespace:
    """The arguments of the interrupted run, from its header, so that the same plan goes on."""
    plan = previous.header.get("plan")
    variants = previous.header.get("variants")
    if not isinstance(plan, dict) or not isinstance(variants, dict):
        raise IsobenchError(f"{previous.path}: line 1: no plan to resume (not a run's results)")
    artifacts = previous.header.get("artifacts") or []
    try:
        return argparse.Namespace(**{
            **vars(args),
            "suite": None,
            "workloads": list(plan["workloads"]),
            "sizes": list(plan["sizes"]),
            "states": list(plan["states"]),
            "profiles": list(plan["profiles"]),
            "variants": list(variants),
            "languages": plan.get("languages")
            or sorted({a["language"] for a in artifacts if a.get("workload")}),
            "repetitions": int(plan["repetitions"]),
            "min_time": float(plan["min_time_s"]),
            "max_repetitions": int(plan["max_repetitions"]),
            "warmup": int(plan["warmup"]),
            "seed": int(plan["seed"]),
            "timeout": float(plan["timeout_s"]),
            "memory_limit": int(plan.get("memory_limit_bytes") or DEFAULT_MEMORY_LIMIT_MIB << 20)
            >> 20,
            "arch": plan.get("arch") if plan.get("arch") != host_arch() else None,
            "affinity": str(plan.get("affinity") or ALL),
        })  # fmt: skip
    except (KeyError, TypeError, ValueError) as error:
        raise IsobenchError(
            f"{previous.path}: line 1: field 'plan': cannot resume from it ({error})"
        ) from None


def with_primer(args: argparse.Namespace, workloads: list[Workload]) -> list[Workload]:
    """The workloads to build: those selected, and the primer's (noop) where the workloads
    folder has it, since every sample is preceded by one of its instances (harness.measure)."""
    if any(workload.name == PRIMER_WORKLOAD for workload in workloads):
        return workloads
    if not (args.workloads_dir / PRIMER_WORKLOAD / "workload.toml").is_file():
        return workloads  # samples are then taken unprimed; the plan's `primer` says so
    return [*workloads, *select(args.workloads_dir, [PRIMER_WORKLOAD])]


def check_same_workloads(previous: Results, workloads: list[Workload]) -> None:
    for workload in workloads:
        recorded = previous.workload_revision(workload.name)
        if recorded is not None and recorded != workload.revision():
            raise IsobenchError(
                f"{previous.path}: workload {workload.name!r} changed since the run began "
                "(another revision): resuming would mix the two; start a new run"
            )


def runs_here(artifact: Artifact, arch: str | None) -> bool:
    """Whether this host runs the artifact of a build for `arch`: all of them for its own
    architecture; from a cross build, only a whole executable (alone, or in its image), which
    qemu runs. A runtime for this host (wasmtime, node) cannot load code compiled for another
    CPU, and a .wasm it runs would measure this host, not the other."""
    return arch in (None, host_arch()) or artifact.kind in EMULATED_KINDS


def check_same_artifacts(previous: Results, cells: list[Cell]) -> None:
    """A resumed run must run the very artifacts the run began with (same sources, toolchain
    and flags: the same content-addressed ids)."""
    recorded = {artifact.get("id") for artifact in previous.header.get("artifacts", [])}
    changed = sorted({cell.label for cell in cells if cell.artifact.id not in recorded})
    if changed:
        raise IsobenchError(
            f"{previous.path}: the artifacts of {changed[0]} are not the ones the run began with "
            "(a toolchain or build flag changed): resuming would mix the two; start a new run"
        )


def run_verb(args: argparse.Namespace, console: Console) -> int:
    previous = None
    if getattr(args, "resume", None) is not None:
        previous = read_results(args.resume)
        args = resumed_arguments(args, previous)
    workloads, sizes = selection(args, measuring=True)
    if previous is not None:
        check_same_workloads(previous, workloads)
    cache = BuildCache(args.cache_dir)
    with opened_targets(args, cache, console) as targets:
        outcome = build_verb(args, console, targets, with_primer(args, workloads))
        states = args.states or [COLD, WARM]
        cells = [
            Cell(
                workload, Language(language), variant, workload.size(size), profile, state,
                artifact, outcome.artifacts.get((PRIMER_WORKLOAD, language, variant, profile)),
            )
            for workload in workloads
            for size in sizes
            for (name, language, variant, profile), artifact in outcome.artifacts.items()
            if name == workload.name and runs_here(artifact, args.arch)
            for state in targets[variant].states
            if state in states
        ]  # fmt: skip
        seed = args.seed if args.seed is not None else uuid.uuid4().int % 2**32
        plan = Plan(
            cells,
            args.repetitions,
            args.warmup,
            seed,
            args.timeout,
            min_time_s=args.min_time,
            max_repetitions=max(args.max_repetitions, args.repetitions),
            memory_limit_bytes=args.memory_limit << 20,
            cpus=parse_cpus(args.affinity),
        )
        cgroups = MemoryCgroups.detect()
        if cgroups is None:
            console.print(
                "[yellow]warning:[/] no memory cgroup (needs root): "
                "peak memory will not be recorded"
            )
        scenario_plan = None
        if args.verb == "all" and not args.no_scenarios:
            scenario_plan = scenario_plan_of(args, SCENARIOS, workloads, console)
        if previous is None:
            header = results_header(
                args,
                workloads=workloads,
                plan=plan,
                sizes=sizes,
                targets=targets,
                cgroups=cgroups,
                artifacts=outcome.all_artifacts(),
                scenario_plan=scenario_plan,
            )
            path = args.results_dir / f"{header['run_id']}.jsonl"
        else:
            check_same_artifacts(previous, cells)
            header, path = previous.header, previous.path
            console.print(f"resuming {path}: {len(previous.samples)} samples already measured")
        rows: list[ScenarioSample] = []
        earlier = previous.samples if previous else []
        with (
            ResultsWriter(path, None if previous else header) as writer,
            tempfile.TemporaryDirectory(prefix="isobench-", dir=scratch_parent()) as scratch,
        ):
            samples = earlier + measure_with_progress(
                console,
                plan=plan,
                targets=targets,
                cgroups=cgroups,
                writer=writer,
                scratch=Path(scratch),
                earlier=earlier,
            )
            if scenario_plan is not None:
                rows = measure_scenarios(
                    console, args, scenario_plan, targets, outcome, workloads, writer
                )
    console.print(f"results: {path}")
    print_run_summary(console, samples, header)
    print_host_costs(console, header.get("host_costs"))
    print_fits(console, fit_throughput(samples, work_units_of(plan)))
    print_scenarios(console, rows)
    exit_code = max(
        report_failures(samples),
        report_scenario_failures(rows),
        report_unavailable(targets.unavailable),
    )
    if args.verb == "all":
        write_and_name_report(console, [path], None)
    return exit_code


# -- scenarios --------------------------------------------------------------------------------


def scenario_plan_of(
    args: argparse.Namespace,
    names: Sequence[str],
    workloads: list[Workload],
    console: Console,
) -> ScenarioPlan | None:
    """The scenario plan the arguments ask for; None (and why) when the workloads the scenarios
    run are not in the selection."""
    chosen = {workload.name for workload in workloads}
    missing = [name for name in (START_WORKLOAD, SERVE_WORKLOAD) if name not in chosen]
    if missing:
        console.print(f"scenarios: not run: they need the workloads {', '.join(missing)}")
        return None
    seed = getattr(args, "seed", None)
    return ScenarioPlan(
        scenarios=tuple(names),
        seed=seed if seed is not None else uuid.uuid4().int % 2**32,
        density_steps=args.density_steps,
        starts=args.starts,
        requests=args.requests,
        repetitions=args.batches,
        batch_time_limit_s=args.batch_time_limit,
        memory_reserve_bytes=args.memory_reserve << 20,
    )


def scenario_verb(args: argparse.Namespace, console: Console) -> int:
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        raise IsobenchError(f"unknown scenario {unknown[0]!r} (known: {', '.join(SCENARIOS)})")
    names = tuple(dict.fromkeys(args.scenarios)) or SCENARIOS
    workloads = select(args.workloads_dir, [START_WORKLOAD, SERVE_WORKLOAD])
    plan = scenario_plan_of(args, names, workloads, console)
    if plan is None:
        return EXIT_USER_ERROR
    cache = BuildCache(args.cache_dir)
    with opened_targets(args, cache, console) as targets:
        outcome = build_verb(args, console, targets, workloads)
        header = results_header(
            args,
            workloads=workloads,
            targets=targets,
            artifacts=outcome.all_artifacts(),
            scenario_plan=plan,
        )
        path = args.results_dir / f"{header['run_id']}.jsonl"
        with ResultsWriter(path, header) as writer:
            rows = measure_scenarios(console, args, plan, targets, outcome, workloads, writer)
    console.print(f"results: {path}")
    print_scenarios(console, rows)
    return max(report_scenario_failures(rows), report_unavailable(targets.unavailable))


def measure_scenarios(  # noqa: PLR0917 - one call site per verb, each naming its parts
    console: Console,
    args: argparse.Namespace,
    plan: ScenarioPlan,
    targets: dict[str, Target],
    outcome: BuildOutcome,
    workloads: list[Workload],
    writer: ResultsWriter,
) -> list[ScenarioSample]:
    languages = list(dict.fromkeys(args.languages)) or [language.value for language in Language]
    subjects = []
    for variant, target in targets.items():
        if not isinstance(target, Spawner):
            console.print(f"scenarios: {variant} cannot start long-lived instances: left out")
            continue
        for language in languages:
            subjects.append(Subject(variant, language, {
                name: outcome.artifacts[(name, language, variant, Profile.PORTABLE.value)]
                for name in (START_WORKLOAD, SERVE_WORKLOAD)
            }))  # fmt: skip
    cache = BuildCache(args.cache_dir)

    def on_event(line: str) -> None:
        console.print(f"scenario: {line}", markup=False, highlight=False)

    mark = new_mark()
    with swept(list(targets.values()), mark, on_event):
        run = ScenarioRun(
            plan,
            {workload.name: workload for workload in workloads},
            open_target=lambda variant: TARGETS[variant].open(cache),
            writer=writer,
            on_event=on_event,
            mark=mark,
        )
        return run.run(subjects)


def print_scenarios(console: Console, rows: list[ScenarioSample]) -> None:
    densities = density_summaries(rows)
    if densities:
        table = Table(
            title="density: K idle webhook instances up at once",
            caption="per instance: (with K up - before) / K; PSS: the instances' processes and "
            "the ones they share (daemons, the wasm host); host: MemTotal - MemAvailable",
        )
        for column in ("variant", "lang", "K", "all up", "PSS/inst", "host/inst", "inst/GiB"):
            table.add_column(column, justify="left" if column in ("variant", "lang") else "right")
        for summary in densities:
            for step in summary.steps:
                table.add_row(
                    summary.variant,
                    summary.language,
                    str(step.instances),
                    _ms(step.start_all_ns),
                    _mib(step.pss_per_instance_bytes) if step.pss_per_instance_bytes else "-",
                    _mib(step.host_per_instance_bytes),
                    f"{step.instances_per_gib:,.0f}" if step.instances_per_gib else "-",
                )
        console.print(table)
    rates = rate_summaries(rows)
    if rates:
        table = Table(
            title="start rate (noop) and requests (webhook)",
            caption="per s: the median over batches of ok operations / the batch's span; "
            f"latency percentiles over every ok operation, p50 with its {CONFIDENCE:.0%} CI",
        )
        for column in ("scenario", "variant", "lang", "mode"):
            table.add_column(column)
        for column in ("ok", "per s", "p50", "p90", "p99"):
            table.add_column(column, justify="right")
        for rate in rates:
            table.add_row(
                rate.scenario,
                rate.variant,
                rate.language,
                rate.mode + (f" x{rate.concurrency}" if rate.concurrency > 1 else ""),
                f"{rate.ok}/{rate.total}",
                f"{rate.per_second:,.1f}" if rate.per_second else "-",
                _ms_with_ci(rate.p50_ns, rate.p50_ci_ns),
                _ms(rate.p90_ns) if rate.p90_ns is not None else "-",
                _ms(rate.p99_ns) if rate.p99_ns is not None else "-",
            )
        console.print(table)


def report_unavailable(unavailable: dict[str, str]) -> int:
    """Names the variants asked for that could not be measured: the run is not complete."""
    if not unavailable:
        return 0
    Console(stderr=True, highlight=False).print(
        f"isobench: not measured, engine unavailable: {', '.join(unavailable)}", markup=False
    )
    return EXIT_SAMPLES_FAILED


def report_scenario_failures(rows: list[ScenarioSample]) -> int:
    failing: dict[tuple[str, str, str, str], ScenarioSample] = {}
    for row in rows:
        if row.status is not Status.OK:
            failing.setdefault((row.scenario, row.variant, row.language, row.mode), row)
    err = Console(stderr=True, highlight=False)
    for (scenario, variant, language, mode), row in failing.items():
        err.print(
            f"isobench: {scenario} {variant} ({language}) {mode}: {row.status.value}: {row.detail}",
            markup=False,
            soft_wrap=True,
        )
    return EXIT_SAMPLES_FAILED if failing else 0


def report_verb(args: argparse.Namespace, console: Console) -> int:
    write_and_name_report(console, args.results_files or [latest_results(args.results_dir)],
                          args.output, include_emulated=args.include_emulated)  # fmt: skip
    return 0


def write_and_name_report(
    console: Console, paths: list[Path], output: Path | None, *, include_emulated: bool = False
) -> Path:
    written = write_report(paths, output or REPORTS_DIR / f"{paths[0].stem}.html",
                           include_emulated=include_emulated)  # fmt: skip
    console.print(f"report: {written}", markup=False)
    return written


def progress_bar(console: Console, verb: str) -> Progress:
    return Progress(
        TextColumn(f"{verb:<5}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def scratch_parent() -> str | None:
    """tmpfs when there is one: the instances' stdout files then cost no disk I/O."""
    shm = Path("/dev/shm")  # noqa: S108 - a private TemporaryDirectory is made inside it
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def measure_with_progress(
    console: Console,
    *,
    plan: Plan,
    targets: dict[str, Target],
    cgroups: MemoryCgroups | None,
    writer: ResultsWriter,
    scratch: Path,
    earlier: Sequence[Sample] = (),
) -> list[Sample]:
    with progress_bar(console, "run") as progress:
        total = plan.expected_total
        task = progress.add_task("", total=total - len(earlier) if total else None)

        def on_sample(cell: Cell, sample: Sample) -> None:
            progress.update(task, advance=1, description=cell.label)

        return run_plan(plan, targets, cgroups=cgroups, writer=writer, scratch=scratch,
                        on_sample=on_sample, earlier=earlier)  # fmt: skip


def results_header(
    args: argparse.Namespace,
    *,
    workloads: list[Workload],
    targets: OpenedTargets,
    artifacts: list[Artifact],
    plan: Plan | None = None,
    sizes: Sequence[str] = (),
    cgroups: MemoryCgroups | None = None,
    scenario_plan: ScenarioPlan | None = None,
) -> dict[str, object]:
    """The results file's header: host, tools, workloads, variants, and the plan of the samples
    and of the scenarios the run measures."""
    host = fingerprint()
    started = datetime.now(UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{host['hostname']}-{uuid.uuid4().hex[:6]}"
    compilers = {language.value: find_compiler(language).version for language in Language}
    engines: dict[str, str] = {}
    for target in targets.values():
        engines.update(target.versions())
    header: dict[str, object] = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "isobench_version": __version__,
        "git_revision": git_revision(Path(__file__).resolve().parent.parent),
        "host": host,
        "workloads": {
            workload.name: {
                "revision": workload.revision(),
                "description": workload.description,
                "stresses": workload.stresses,
            }
            for workload in sorted(workloads, key=lambda workload: workload.name)
        },
        "tools": {"compilers": compilers, "engines": engines},
        # A hash of the code that decides what is measured: a published figure is current only
        # while it matches the code's (harness.measure.MEASUREMENT_FILES)
        "measurement_revision": measurement_revision(),
        "variants": {
            name: {
                "states": target.states,  # state -> what wall_ns spans in it
                "phases": list(target.phases),
                "memory_scope": target.memory_scope,
                "wall_phases": target.wall_phases,
                "instance": target.instance,  # what one instance is: startup compares within it
                "cpu_scope": target.cpu_scope,
                "rss_scope": target.rss_scope,
                "cold_evicts": target.cold_evicts,
                "settings": target.settings(),
            }
            for name, target in targets.items()
        },
        "artifacts": [artifact.to_json() for artifact in artifacts],
        "unavailable": targets.unavailable,  # variants asked for whose engine was unreachable
    }
    if scenario_plan is not None:
        header |= scenario_plan.describe()
    if plan is None:
        return header
    return header | {
        "plan": {
            "suite": args.suite,
            "workloads": sorted({cell.workload.name for cell in plan.cells}),
            "sizes": sizes,
            "profiles": sorted({cell.profile for cell in plan.cells}),
            "states": sorted({cell.state for cell in plan.cells}),
            "work_units": work_units_of(plan),
            "repetitions": plan.repetitions,
            "min_time_s": plan.min_time_s,
            "max_repetitions": plan.max_repetitions,
            "warmup": plan.warmup,
            "seed": plan.seed,
            "timeout_s": plan.timeout_s,
            "memory_limit_bytes": plan.memory_limit_bytes,
            "affinity": format_cpus(plan.cpus),
            "languages": sorted({cell.language.value for cell in plan.cells}),
            "arch": getattr(args, "arch", None) or host_arch(),  # what the artifacts are for
            "order": "warm-up rounds (not recorded), then rounds over the cells still short of "
            "their count or time, each shuffled with random.Random(seed)",
            "primer": PRIMER if any(cell.primer for cell in plan.cells) else None,
        },
        "memory": memory_method(cgroups, BuildCache(args.cache_dir)),
        # What each variant's instances cost the host outside their own memory group.
        "host_costs": {name: host_costs_of(target) for name, target in targets.items()},
    }


def memory_method(cgroups: MemoryCgroups | None, cache: BuildCache) -> dict[str, object]:
    """How peaks are measured, and how finely: the step the cgroup counter moves in (probed on
    a fresh group) and the resolution of a peak, one such step per CPU (each CPU may hold one
    pre-charged batch for the group: a peak can read that much above the pages in use)."""
    if cgroups is None:
        return {"method": None, "field": "peak_memory_bytes"}
    probe, _ = build_helper("chargeprobe.c", "isobench-chargeprobe",
                            find_compiler(Language.C), cache)  # fmt: skip
    granularity = cgroups.charge_granularity(Path(probe.path))
    return {
        "method": cgroups.describe(),
        "field": "peak_memory_bytes",
        "charge_granularity_bytes": granularity,
        "resolution_bytes": granularity * (os.cpu_count() or 1) if granularity else None,
    }


def host_costs_of(target: Target) -> dict[str, object]:
    """The target's host costs, or why they could not be measured (the engine went away)."""
    try:
        return target.host_costs()
    except Exception as error:  # a measurement of the header is never worth the run
        return {"note": f"not measured: {type(error).__name__}: {error}"}


def work_units_of(plan: Plan) -> dict[str, dict[str, float]]:
    units: dict[str, dict[str, float]] = {}
    for cell in plan.cells:
        if cell.size.work_units is not None:
            units.setdefault(cell.workload.name, {})[cell.size.name] = cell.size.work_units
    return units


def report_failures(samples: list[Sample]) -> int:
    """Names every cell with samples that were not ok, with one example of why."""
    failing: dict[tuple[str, str, str, str, str], list[Sample]] = {}
    for sample in samples:
        if sample.status is not Status.OK:
            cell = (sample.workload, sample.language, sample.variant, sample.state, sample.size)
            failing.setdefault(cell, []).append(sample)
    if not failing:
        return 0
    err = Console(stderr=True, highlight=False)
    for (workload, language, variant, state, size), bad in failing.items():
        counts = Counter(sample.status.value for sample in bad)
        statuses = ", ".join(f"{count} {status}" for status, count in counts.items())
        err.print(
            f"isobench: {workload} ({language}, {variant} {state}, {size}): {statuses}: "
            f"{bad[0].detail}",
            markup=False,
            soft_wrap=True,
        )
    workloads = ", ".join(sorted({workload for workload, *_ in failing}))
    err.print(f"isobench: samples not ok in workloads: {workloads}", markup=False)
    return EXIT_SAMPLES_FAILED


# -- compare, export ---------------------------------------------------------------------------


def compare_verb(args: argparse.Namespace, console: Console) -> int:
    base, new = read_results(args.base), read_results(args.new)
    comparison = compare(base, new, alpha=args.alpha)
    console.print(f"base: {base.path} (run {base.header.get('run_id')})", markup=False)
    console.print(f"new:  {new.path} (run {new.header.get('run_id')})", markup=False)
    if comparison.different_hosts:
        console.print(
            "[yellow]warning:[/] the runs are from different hosts: raw times compare machines "
            "as much as code; `isobench report BASE NEW` compares ratios to native instead"
        )
    threshold = args.fail_on_regression
    significant = comparison.significant()
    if significant:
        table = Table(
            title=f"significant changes ({TEST_NAME}, p < {args.alpha:g})",
            caption="change: new median / base median with its 95% bootstrap interval; above 1 "
            "is slower (wall) or larger (memory)",
        )
        for column in ("workload", "lang", "size", "variant", "state", "metric"):
            table.add_column(column)
        for column in ("base", "new", "change", "p", ""):
            table.add_column(column, justify="right")
        for change in significant:
            scale = _ms if change.metric == "wall_ns" else _mib
            flag = ""
            if threshold is not None and change.regression(threshold):
                flag = "[red]REGRESSION[/]"
            table.add_row(
                change.workload,
                change.language,
                change.size,
                change.variant,
                change.state,
                change.metric,
                scale(change.base_median),
                scale(change.new_median),
                _ratio_with_ci(change.ratio, change.ratio_ci),
                f"{change.p_value:.2g}",
                flag,
            )
        console.print(table)
    console.print(
        f"{len(comparison.changes)} comparisons (cells x metrics), {len(significant)} significant "
        f"at p < {args.alpha:g} (about {len(comparison.changes) * args.alpha:.0f} would be by "
        "chance alone if nothing changed)",
        markup=False,
    )
    for line in comparison.skipped:
        console.print(f"not compared: {line}", markup=False)
    if threshold is None:
        return 0
    regressions = comparison.regressions(threshold)
    if regressions:
        Console(stderr=True, highlight=False).print(
            f"isobench: {len(regressions)} significant regressions beyond {threshold:g}%: "
            + ", ".join(
                f"{c.workload} ({c.language}, {c.variant} {c.state}) {c.metric} {c.ratio:.2f}x"
                for c in regressions
            ),
            markup=False,
            soft_wrap=True,
        )
        return EXIT_REGRESSION
    console.print(f"no significant regression beyond {threshold:g}%", markup=False)
    return 0


def _mib(value_bytes: float) -> str:
    return f"{value_bytes / 2**20:.1f} MiB"


def export_verb(args: argparse.Namespace, console: Console) -> int:
    count = export(read_results(args.results_file), args.output, args.file_format)
    console.print(f"{args.file_format}: {count} benchmarks written to {args.output}", markup=False)
    return 0


# -- summary --------------------------------------------------------------------------------


def summary_verb(args: argparse.Namespace, console: Console) -> int:
    path = args.results_file or latest_results(args.results_dir)
    results = read_results(path)
    if args.include_emulated:
        results = with_emulated_labelled(results)
    console.print(
        f"results: {path} (run {results.header.get('run_id')}, "
        f"{results.header.get('host', {}).get('hostname')})"
    )
    if results.truncated:
        console.print("[yellow]warning:[/] the last line was cut short (interrupted run)")
    print_run_summary(console, results.samples, results.header)
    print_host_costs(console, results.header.get("host_costs"))
    print_fits(console, fit_throughput(results.samples, results.work_units))
    print_scenarios(console, results.scenario_samples)
    return 0


def _ms(value_ns: float) -> str:
    """Milliseconds to four significant figures (0.853, 12.34, 612.0, 5621)."""
    ms = value_ns / 1e6
    decimals = 3 if ms < 10 else 2 if ms < 100 else 1 if ms < 1000 else 0
    return f"{ms:.{decimals}f}"


def _ms_with_ci(value_ns: float | None, interval: tuple[float, float] | None) -> str:
    if value_ns is None:
        return "-"
    if interval is None:
        return _ms(value_ns)
    return f"{_ms(value_ns)} ({_ms(interval[0])}–{_ms(interval[1])})"


def _ratio_with_ci(ratio: float | None, interval: tuple[float, float] | None) -> str:
    if ratio is None:
        return "—"
    if interval is None:
        return f"{ratio:.2f}"
    return f"{ratio:.2f} ({interval[0]:.2f}–{interval[1]:.2f})"


def print_run_summary(console: Console, samples: list[Sample], header: dict[str, Any]) -> None:
    """The summary table of a run's samples, read with what its header says (instance kinds,
    the memory counter's resolution)."""
    resolution = memory_resolution(header)
    print_summary(console, summarize(samples, resolution), instances(header), resolution)


def print_summary(
    console: Console,
    rows: list[Summary],
    instances: dict[str, str] | None = None,
    resolution_bytes: int | None = None,
) -> None:
    instances = instances or {}
    profiles = sorted({row.profile for row in rows})
    show_profile = len(profiles) > 1  # one profile: named in the title instead
    below = (
        f"; peak ≤ {resolution_bytes / 2**20:.1f}: below what the memory counter resolves"
        if resolution_bytes
        else ""
    )
    table = Table(
        title=f"time per sample (ms), wall and CPU: median, {CONFIDENCE:.0%} bootstrap CI",
        caption=f"× native: this median / the native warm median of the same run "
        f"({CONFIDENCE:.0%} CI); net: the same with each side's noop median subtracted, compute "
        "time apart from startup; cpu: the instance's user + system CPU time (whose: the "
        "header's cpu_scope); CV: coefficient of variation. noop rows compare startup across "
        "instance kinds (a process, a container, an instance in a warm host): compare them "
        f"within one kind{below}; profile {', '.join(profiles) if profiles else '-'}",
    )
    columns = ["workload", "lang", "size", *(["profile"] if show_profile else []), "variant",
               "instance", "state"]  # fmt: skip
    for column in columns:
        table.add_column(column)
    for column in ("ok/n", "median", "95% CI", "× native", "net × native", "CV", "cpu",
                   "cpu × native", "cpu net ×", "cpu CV", "peak MiB"):  # fmt: skip
        table.add_column(column, justify="right")
    for row in rows:
        ci = f"{_ms(row.wall_ci_ns[0])}–{_ms(row.wall_ci_ns[1])}" if row.wall_ci_ns else "—"
        peak = row.median_peak_memory_bytes
        table.add_row(
            row.workload,
            row.language,
            row.size,
            *([row.profile] if show_profile else []),
            row.variant,
            instances.get(row.variant, ""),
            row.state,
            f"{row.samples_ok}/{row.samples_total}",
            _ms(row.median_wall_ns) if row.median_wall_ns is not None else "—",
            ci if row.median_wall_ns is not None else "—",
            _ratio_with_ci(row.ratio_to_native, row.ratio_ci),
            _ratio_with_ci(row.net_ratio, row.net_ratio_ci),
            f"{row.cv:.0%}" if row.cv is not None else "—",
            _ms(row.cpu.median) if row.cpu.median is not None else "—",
            _ratio_with_ci(row.cpu.ratio, row.cpu.ratio_interval),
            _ratio_with_ci(row.cpu.net, row.cpu.net_interval),
            f"{row.cpu.cv:.0%}" if row.cpu.cv is not None else "—",
            "—"
            if peak is None
            else f"≤ {resolution_bytes / 2**20:.1f}"
            if resolution_bytes and below_resolution(peak, resolution_bytes)
            else f"{peak / 2**20:.1f}",
        )
    console.print(table)
    for row in rows:
        cell = (
            f"{row.workload} ({row.language}, {row.variant} {row.state}, {row.size}, {row.profile})"
        )
        if row.noisy and row.cv is not None:
            console.print(
                f"[yellow]NOISY[/] {cell}: CV {row.cv:.0%}; close other work, or raise "
                "--repetitions",
                highlight=False,
            )
        if row.outliers:
            console.print(
                f"[yellow]OUTLIERS[/] {cell}: {row.outliers} of {row.samples_ok} samples beyond "
                f"{OUTLIER_MADS:g} MADs (kept in the results; the median resists them)",
                highlight=False,
            )


def print_host_costs(console: Console, costs: object) -> None:
    """One line per variant whose running instances cost the host more than their own peak."""
    if not isinstance(costs, dict):
        return
    for variant, cost in costs.items():
        shim = cost.get("containerd_shim") if isinstance(cost, dict) else None
        if isinstance(shim, dict):
            console.print(
                f"{variant}: each running container also costs the host its containerd-shim: "
                f"{shim['pss_bytes'] / 2**20:.1f} MiB PSS ({shim['private_bytes'] / 2**20:.1f} "
                "MiB private), not in the peak MiB column",
                highlight=False,
            )


def print_fits(console: Console, fits: list[Fit]) -> None:
    """Throughput apart from startup, for cells run at two or more sizes."""
    if not fits:
        return
    table = Table(
        title="throughput over sizes: wall = fixed + per unit x work units (least squares)",
        caption="× native: this per-unit cost / the native warm one, with its "
        f"{CONFIDENCE:.0%} bootstrap CI; run phase: wasm's own `run` slope, a cross-check",
    )
    for column in ("workload", "lang", "variant", "state", "sizes"):
        table.add_column(column)
    for column in ("n", "fixed ms", "ns / unit", "× native", "R²", "run phase ns / unit"):
        table.add_column(column, justify="right")
    for fit in fits:
        table.add_row(
            fit.workload,
            fit.language,
            fit.variant,
            fit.state,
            ", ".join(fit.sizes),
            str(fit.samples),
            f"{fit.fixed_ns / 1e6:.2f}",
            f"{fit.per_unit_ns:.4g}",
            _ratio_with_ci(fit.per_unit_ratio, fit.per_unit_ratio_ci),
            f"{fit.r_squared:.3f}",
            f"{fit.run_phase_per_unit_ns:.4g}" if fit.run_phase_per_unit_ns is not None else "",
        )
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
