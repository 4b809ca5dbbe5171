"""The `isobench` command: parse the arguments, make them a typed configuration, run the
session or library call the verb names, render what came back.

    doctor   toolchains and engines found, and how to install what is missing
    build    compile and package every workload x language x variant (cached by content)
    bless    record a new workload's expected outputs from its native builds, once confirmed
    run      build (cached), then measure every variant, interleaved, into results/
    all      the main job: build, run, scenarios, summarize, report (the README's first command)
    scenario density, start rate, requests per instance: the serverless questions
    summary  recompute the summary table of a results file
    report   one self-contained HTML report from one or more results files (several hosts)
    compare  what changed significantly between two results files; can fail on regressions
    export   a results file in another tool's format (csv, parquet, pytest-benchmark)

User mistakes raise IsobenchError: caught once here, one line, exit code 2. A run in which some
sample was not ok exits 1 and names the workloads.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from harness import __version__, api
from harness.affinity import ALL, AUTO
from harness.cgroups import MemoryCgroups
from harness.compare import DEFAULT_ALPHA, Comparison
from harness.compare_json import comparison_json
from harness.confine import account_state
from harness.errors import IsobenchError, Terminated, sigterm_unwinds
from harness.export import FORMATS, WHAT_IS_WRITTEN
from harness.export.compare_table import FORMATS as COMPARE_FORMATS
from harness.export.compare_table import comparison_csv, comparison_markdown
from harness.export.summary_table import FORMATS as SUMMARY_FORMATS
from harness.export.summary_table import summary_csv, summary_json, summary_markdown
from harness.frame import frame_of
from harness.results import Results
from harness.scenarios import SCENARIOS, ScenarioPlan
from harness.session import (
    DEFAULT_MEMORY_LIMIT_BYTES,
    Measuring,
    RunConfig,
    RunOutcome,
    Selection,
)
from harness.stability import advice, read_stability
from harness.targets import TARGETS
from harness.terminal import (
    ConsoleListener,
    console_for_output,
    error_console,
    print_blessing,
    print_comparison,
    print_doctor,
    print_run,
    print_scenarios,
    print_stability,
    report_failures,
    report_regressions,
    report_scenario_failures,
    report_unavailable,
    shown,
    warn_blind,
)
from harness.toolchains import ARCHES, Check, Profile, compiler_checks
from harness.workloads import MANIFEST_NAME, Language

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_TERMINATED = 143  # 128 + SIGTERM
DEFAULT_MEMORY_LIMIT_MIB = DEFAULT_MEMORY_LIMIT_BYTES >> 20
REPORTS_DIR = Path("reports")
EVERY_VARIANT = "all"
# How each verb paces its samples unless told: `run` takes a fixed count; the main job (`all`)
# at least 5 samples a cell, then more for the cells wider than +-2% while its 14 minutes last
# (build, scenarios, samples: with the summary and the report after them, the command ends
# within 15 minutes on the 2-core VM; README: what that achieved)
RUN_PACING = Measuring()
MAIN_JOB_PACING = Measuring(repetitions=5, precision=0.02, budget_s=14 * 60.0)
MAIN_JOB_PERCENT = (MAIN_JOB_PACING.precision or 0) * 100


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
        choices=[*TARGETS, EVERY_VARIANT],
        help="a variant to include (repeatable; default: native, docker, wasmtime; "
        f"docker-bridge is docker on the bridge network; {EVERY_VARIANT}: every variant)",
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
    bless = verbs.add_parser(
        "bless", parents=[engines],
        help="record a new workload's expected outputs: its native builds run at each size, "
        "written to its expected_stdout files once you confirm (refused when they disagree)",
    )  # fmt: skip
    bless.add_argument("-w", "--workload", action="append", dest="workloads", default=[],
                       metavar="NAME", required=True, help="the workload (one)")  # fmt: skip
    bless.add_argument("-s", "--size", action="append", dest="sizes", default=[],
                       metavar="SIZE", help="a size (repeatable; default: every size)")  # fmt: skip
    bless.add_argument("--yes", action="store_true",
                       help="write without asking (what a script or CI gives)")  # fmt: skip

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
    run.add_argument(
        "--same-plan-as",
        type=Path,
        default=None,
        metavar="RUNFILE",
        help="measure again what that results file measured (its workloads, sizes, states, "
        "profiles, variants, languages, counts and CPUs), into a new file: a baseline's plan",
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
        type=_non_negative_float,
        default=None,
        metavar="PCT",
        help="exit 1 when a significant slowdown (or memory growth) is found whose whole "
        "interval lies beyond PCT percent",
    )
    comparing.add_argument(
        "--alpha",
        type=_alpha,
        default=DEFAULT_ALPHA,
        help="family-wise significance level: Mann-Whitney U p-values, Holm-adjusted over "
        "every comparison (default: %(default)s)",
    )
    comparing.add_argument(
        "--format",
        dest="output_format",
        choices=COMPARE_FORMATS,
        default="table",
        help="table (default), or every comparison as csv, the significant ones as markdown, "
        "or one versioned json document, alone on stdout (warnings go to stderr)",
    )
    comparing.add_argument(
        "--json",
        action="store_true",
        help="the same as --format json",
    )
    exporting = verbs.add_parser("export", help="a results file in another tool's format")
    exporting.add_argument("results_file", type=Path, metavar="RESULTS")
    exporting.add_argument("--format", dest="file_format", choices=FORMATS, required=True,
                           help="csv or parquet: every sample a row; pytest-benchmark: a "
                           "benchmark per cell")  # fmt: skip
    exporting.add_argument("-o", "--output", type=Path, required=True, help="the file to write")

    summary = verbs.add_parser("summary", help="summary table of a results file")
    summary.add_argument(
        "--format",
        dest="output_format",
        choices=SUMMARY_FORMATS,
        default="table",
        help="table (default: the terminal's tables), or the cells alone on stdout as csv, "
        "markdown (to paste) or json (versioned)",
    )
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
        choices=list(dict.fromkeys(state for t in TARGETS.values() for state in t.states)),
        help="startup states to measure (repeatable; default: each variant's every state, "
        "wasmtime's start modes on noop alone). "
        "cold: native evicts the executable from the page cache, docker creates the container "
        "inside the clock, wasmtime compiles the .wasm; wasmtime's loaded, prelinked and pooled "
        "start an instance of a module its host keeps (a results header says what each spans)",
    )
    measuring.add_argument(
        "-n",
        "--repetitions",
        type=_positive_int,
        default=argparse.SUPPRESS,  # each verb's own (RUN_PACING, MAIN_JOB_PACING)
        help="the minimum count of measured samples per cell (default: run "
        f"{RUN_PACING.repetitions}, all {MAIN_JOB_PACING.repetitions})",
    )
    measuring.add_argument(
        "--min-time",
        type=_non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="also measure each cell until its samples add up to this much wall time "
        "(default: %(default)s)",
    )
    measuring.add_argument(
        "--precision",
        type=_precision,
        default=argparse.SUPPRESS,
        metavar="PCT",
        help="past the minimum, give more rounds to every cell whose median's 95%% interval is "
        "wider than +-PCT percent of it (CPU time for compute, wall time for noop), while the "
        f"budget lasts; off: a fixed count (default: run off, all {MAIN_JOB_PERCENT:g})",
    )
    measuring.add_argument(
        "--budget",
        type=_duration,
        default=argparse.SUPPRESS,
        metavar="DURATION",
        help="the whole run's time (build, scenarios, samples), e.g. 900s, 15m, 1h; the "
        "minimum count is always taken, the budget stops the rounds after it; none: no limit "
        f"(default: run none, all {(MAIN_JOB_PACING.budget_s or 0) / 60:g}m)",
    )
    measuring.add_argument(
        "--no-floors",
        action="store_true",
        help="measure no physical floors (process spawn, a bare wasm instance, the OCI runtimes "
        "alone) after each round: startup is then shown without what it stands on",
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
        type=_positive_float,
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
        type=_positive_float,
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


def _precision(text: str) -> float | None:
    """A precision in percent, as a fraction; None for "off"."""
    if text.strip().lower() == "off":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage or off: {text!r}") from None
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 100 (percent), got {text}")
    return value / 100


DURATION_UNITS_S = {"h": 3600, "m": 60, "s": 1}
DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?")


def _duration(text: str) -> float | None:
    """Seconds from "900", "900s", "15m", "1h30m"; None for "none"."""
    cleaned = text.strip().lower()
    if cleaned == "none":
        return None
    match = DURATION.fullmatch(cleaned)
    if not cleaned or match is None:
        raise argparse.ArgumentTypeError(f"not a duration (900s, 15m, 1h30m) or none: {text!r}")
    seconds = sum(float(part) * DURATION_UNITS_S[unit]
                  for part, unit in zip(match.groups(), "hms", strict=True) if part)  # fmt: skip
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be longer than 0: {text!r}")
    return seconds


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


Number = TypeVar("Number", int, float)


def _bounded(
    convert: Callable[[str], Number], *, at_least: Number | None = None,
    above: Number | None = None, below: Number | None = None,
) -> Callable[[str], Number]:  # fmt: skip
    """An argparse type: the number `convert` reads, refused outside its bounds."""

    def parse(text: str) -> Number:
        value = convert(text)
        if at_least is not None and value < at_least:
            raise argparse.ArgumentTypeError(f"must be at least {at_least:g}, got {text}")
        if above is not None and value <= above:
            raise argparse.ArgumentTypeError(f"must be more than {above:g}, got {text}")
        if below is not None and value >= below:
            raise argparse.ArgumentTypeError(f"must be less than {below:g}, got {text}")
        return value

    parse.__name__ = "integer" if convert is int else "number"  # argparse: "invalid integer"
    return parse


_positive_int = _bounded(int, at_least=1)
_non_negative_int = _bounded(int, at_least=0)
_positive_float = _bounded(_finite, above=0.0)
_non_negative_float = _bounded(_finite, at_least=0.0)
_alpha = _bounded(_finite, above=0.0, below=1.0)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    console = console_for_output()
    verbs = {
        "doctor": doctor_verb,
        "bless": bless_verb,
        "build": build_verb,
        "run": run_verb,
        "all": run_verb,
        "scenario": scenario_verb,
        "report": report_verb,
        "compare": compare_verb,
        "export": export_verb,
        "summary": summary_verb,
    }
    try:
        with sigterm_unwinds():
            return verbs[args.verb](args, console)
    except Terminated:
        Console(stderr=True).print("isobench: terminated (results written so far are kept)")
        return EXIT_TERMINATED
    except IsobenchError as error:
        error_console().print(f"isobench: error: {error}", markup=False, soft_wrap=True)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        Console(stderr=True).print("isobench: interrupted (results written so far are kept)")
        return EXIT_INTERRUPTED


# -- arguments -> configuration -----------------------------------------------------------------


def selection_of(args: argparse.Namespace) -> Selection:
    """What the verb's options select (a verb without an option takes its default)."""
    options = vars(args)
    return Selection(
        workloads_dir=args.workloads_dir,
        cache_dir=args.cache_dir,
        workloads=tuple(options.get("workloads", ())),
        suite=options.get("suite"),
        sizes=tuple(options.get("sizes", ())),
        languages=tuple(Language(value) for value in args.languages),
        variants=tuple(TARGETS) if EVERY_VARIANT in args.variants else tuple(args.variants),
        profiles=tuple(Profile(value) for value in options.get("profiles", ())),
        arch=options.get("arch"),
    )


def scenario_plan_of(args: argparse.Namespace, names: Sequence[str]) -> ScenarioPlan:
    return ScenarioPlan(
        scenarios=tuple(names),
        seed=args.seed if args.seed is not None else uuid.uuid4().int % 2**32,
        density_steps=args.density_steps,
        starts=args.starts,
        requests=args.requests,
        repetitions=args.batches,
        batch_time_limit_s=args.batch_time_limit,
        memory_reserve_bytes=args.memory_reserve << 20,
    )


def run_config_of(args: argparse.Namespace) -> RunConfig:
    pacing = MAIN_JOB_PACING if args.verb == "all" else RUN_PACING
    given = vars(args)  # the pacing options are absent unless given
    config = RunConfig(
        selection=selection_of(args),
        measuring=Measuring(
            states=tuple(args.states),
            repetitions=given.get("repetitions", pacing.repetitions),
            min_time_s=args.min_time,
            max_repetitions=args.max_repetitions,
            warmup=args.warmup,
            seed=args.seed,
            memory_limit_bytes=args.memory_limit << 20,
            affinity=args.affinity,
            timeout_s=args.timeout,
            precision=given.get("precision", pacing.precision),
            budget_s=given.get("budget", pacing.budget_s),
            floors=not args.no_floors,
        ),
        results_dir=args.results_dir,
        scenarios=scenario_plan_of(args, SCENARIOS)
        if args.verb == "all" and not args.no_scenarios
        else None,
    )
    if args.verb == "run" and args.same_plan_as is not None:
        baseline = api.read_results(args.same_plan_as)
        config = RunConfig.same_plan_as(baseline.header, config, source=baseline.path)
    return config


# -- verbs: run the session, render its outcome -------------------------------------------------


def doctor_verb(args: argparse.Namespace, console: Console) -> int:
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
    confined, account = account_state()
    checks.append(Check("sample account", confined, account, "run isobench as root"))
    print_doctor(console, checks)
    print_stability(console, advice(read_stability()))
    missing = [check.name for check in checks if not check.found and not check.optional]
    if missing:
        console.print(f"missing: {', '.join(missing)}")
        return 1
    return 0


def bless_verb(args: argparse.Namespace, console: Console) -> int:
    outputs = api.bless(selection_of(args), TARGETS, ConsoleListener(console))
    print_blessing(console, outputs)
    manifest = args.workloads_dir / args.workloads[0] / MANIFEST_NAME
    for size in outputs:
        if size.problem:
            raise IsobenchError(f"{manifest}: field 'sizes.{size.size.name}': {size.problem}; "
                                "nothing written")  # fmt: skip
    changed = [size for size in outputs if size.change != "unchanged"]
    if not changed:
        console.print("every expected output already holds what the programs print")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise IsobenchError("bless writes expected outputs once you confirm: run it on a "
                                "terminal, or give --yes")  # fmt: skip
        answer = console.input(f"write {len(changed)} expected output file(s)? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            console.print("nothing written")
            return 0
    for path in api.write_expected(changed):
        console.print(f"wrote {path}", markup=False)
    return 0


def build_verb(args: argparse.Namespace, console: Console) -> int:
    api.build(selection_of(args), TARGETS, ConsoleListener(console))
    return 0


def run_verb(args: argparse.Namespace, console: Console) -> int:
    resume = args.resume if args.verb == "run" else None
    if resume is not None and args.same_plan_as is not None:
        raise IsobenchError("--resume and --same-plan-as: give one (a resumed run keeps its plan)")
    outcome = api.run(run_config_of(args), TARGETS, ConsoleListener(console), resume=resume)
    exit_code = render_outcome(console, outcome)
    if args.verb == "all":
        write_and_name_report(console, [outcome.path], None)
    return exit_code


def scenario_verb(args: argparse.Namespace, console: Console) -> int:
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        raise IsobenchError(f"unknown scenario {unknown[0]!r} (known: {', '.join(SCENARIOS)})")
    plan = scenario_plan_of(args, tuple(dict.fromkeys(args.scenarios)) or SCENARIOS)
    outcome = api.run_scenarios(selection_of(args), plan, args.results_dir, TARGETS,
                                ConsoleListener(console))  # fmt: skip
    if outcome is None:
        return EXIT_USER_ERROR
    console.print(f"results: {outcome.path}", markup=False)
    print_scenarios(console, outcome.scenario_samples)
    return max(report_scenario_failures(outcome.scenario_samples),
               report_unavailable(outcome.unavailable))  # fmt: skip


def render_outcome(console: Console, outcome: RunOutcome) -> int:
    """A run's tables, then what was not ok; its exit code."""
    console.print(f"results: {outcome.path}", markup=False)
    print_run(console, outcome.header, frame_of(outcome.samples), outcome.scenario_samples,
              outcome.floor_starts)  # fmt: skip
    return max(
        report_failures(outcome.samples),
        report_scenario_failures(outcome.scenario_samples),
        report_unavailable(outcome.unavailable),
    )


def report_verb(args: argparse.Namespace, console: Console) -> int:
    write_and_name_report(console, args.results_files or [api.latest_results(args.results_dir)],
                          args.output, include_emulated=args.include_emulated)  # fmt: skip
    return 0


def write_and_name_report(
    console: Console, paths: list[Path], output: Path | None, *, include_emulated: bool = False
) -> Path:
    written = api.write_report(paths, output or REPORTS_DIR / f"{paths[0].stem}.html",
                               include_emulated=include_emulated)  # fmt: skip
    console.print(f"report: {written}", markup=False)
    return written


def compare_verb(args: argparse.Namespace, console: Console) -> int:
    base, new = api.read_results(args.base), api.read_results(args.new)
    comparison = api.compare(base, new, alpha=args.alpha)
    if comparison.different_hosts and args.fail_on_regression is not None:
        raise IsobenchError(
            f"compare: {base.path} and {new.path} come from different hosts: raw times are "
            "not gated (they compare machines as much as code); gate each host against a "
            "baseline of its own, or read `isobench report BASE NEW` (ratios to native)"
        )
    output_format = "json" if args.json else args.output_format
    if output_format != "table":  # the document alone on stdout; the rest, on stderr
        print_comparison_as(output_format, comparison, base, new, args.fail_on_regression)
        console = error_console()
    else:
        console.print(f"base: {base.path} (run {shown(base.header.run_id)})", markup=False)
        console.print(f"new:  {new.path} (run {shown(new.header.run_id)})", markup=False)
    if comparison.different_hosts:
        console.print(
            "[yellow]warning:[/] the runs are from different hosts: raw times compare machines "
            "as much as code; `isobench report BASE NEW` compares ratios to native instead"
        )
    for difference in comparison.differences:
        console.print("[yellow]warning:[/] the runs were ", end="")
        console.print(difference, markup=False)
    if output_format == "table":
        print_comparison(console, comparison, args.alpha, args.fail_on_regression)
    warn_blind(console, comparison)
    if args.fail_on_regression is None:
        return 0
    return report_regressions(console, comparison, args.fail_on_regression)


def print_comparison_as(
    output_format: str, comparison: Comparison, base: Results, new: Results,
    threshold_pct: float | None,
) -> None:  # fmt: skip
    if output_format == "json":
        print(comparison_json(comparison, base, new, threshold_pct))
    elif output_format == "csv":
        print(comparison_csv(comparison, threshold_pct), end="")
    else:
        print(comparison_markdown(comparison, threshold_pct), end="")


def export_verb(args: argparse.Namespace, console: Console) -> int:
    count = api.export(api.read_results(args.results_file), args.output, args.file_format)
    console.print(f"{args.file_format}: {count} {WHAT_IS_WRITTEN[args.file_format]} written to "
                  f"{args.output}", markup=False)  # fmt: skip
    return 0


def summary_verb(args: argparse.Namespace, console: Console) -> int:
    path = args.results_file or api.latest_results(args.results_dir)
    results = api.read_results(path, include_emulated=args.include_emulated)
    if args.output_format != "table":  # the document alone on stdout
        writers = {"csv": summary_csv, "markdown": summary_markdown, "json": summary_json}
        text = writers[args.output_format](results)
        print(text, end="" if text.endswith("\n") else "\n")
        return 0
    console.print(f"results: {path} (run {shown(results.header.run_id)}, "
                  f"{shown(results.header.host.hostname)})", markup=False)  # fmt: skip
    if results.truncated:
        console.print("[yellow]warning:[/] the last line was cut short (interrupted run)")
    print_run(
        console, results.header, results.frame, results.scenario_samples, results.floor_starts
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
