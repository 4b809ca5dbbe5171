"""A run session: a typed run configuration in, a results file out.

`RunConfig` says what to measure and how (from the command line, or from a results header: a
resumed run, or the same plan measured again); `run` builds what it needs, runs the
scenarios, measures every cell, interleaved (until each meets its precision, where one is asked,
or the budget is spent), writes every sample to a results file as it is taken, and returns the
outcome. Its variants come in as an argument (a registry of Target classes), so a
fake variant drives the whole main job in a test. What happens meanwhile goes to a `Listener`
(the terminal's progress bars, or nothing): the session itself prints nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import psutil

from harness import __version__
from harness.affinity import ALL, AUTO, format_cpus, parse_cpus
from harness.build import BuildOutcome, StepReport, build, build_helper
from harness.cache import Artifact, BuildCache
from harness.cgroups import MemoryCgroups, SampleCgroup
from harness.confine import PIDS_PER_INSTANCE, SampleAccount, sample_account
from harness.errors import IsobenchError
from harness.floors import (
    FLOORS,
    NOOP_LANGUAGE,
    Floors,
    FloorSpec,
    floor_of,
    floor_records,
    floors_for,
)
from harness.header import (
    SCHEMA_VERSION,
    ArtifactRecord,
    ConfinementRecord,
    Header,
    HostCost,
    HostRecord,
    MemoryRecord,
    PlanRecord,
    ToolsRecord,
    VariantRecord,
    WorkloadRecord,
)
from harness.host import fingerprint, git_revision
from harness.measure import (
    PRIMER,
    PRIMER_WORKLOAD,
    Cell,
    Plan,
    WiderThanWanted,
    measurement_revision,
    open_to_samples,
    run_plan,
)
from harness.names import RULE as NAME_RULE
from harness.names import is_name
from harness.results import (
    FLOOR_WORKLOAD,
    CellKey,
    FloorStart,
    Results,
    ResultsWriter,
    Sample,
    ScenarioSample,
    read_results,
)
from harness.scenarios import (
    CONCURRENT_STARTERS,
    SCENARIOS,
    SERVE_WORKLOAD,
    START_WORKLOAD,
    ScenarioPlan,
    ScenarioRun,
    Subject,
    swept,
)
from harness.scopes import IN_HOST
from harness.stability import read_stability
from harness.stats import precision_of
from harness.suites import SUITES_FILE, load_suite
from harness.targets import DEFAULT_VARIANTS, Target
from harness.targets.base import Confinement, Spawner, StartModes, new_mark
from harness.toolchains import Binary, Profile, find_compiler, host_arch
from harness.workloads import Language, Size, Workload, select

DEFAULT_MEMORY_LIMIT_BYTES = 4096 << 20  # memtouch's large size touches 2 GiB
Registry = Mapping[str, type[Target]]  # variant name -> its Target class
OnSample = Callable[[Cell, Sample], None]


@dataclass(frozen=True, slots=True)
class Selection:
    """What to build: workloads (or a suite's), languages, variants, build profiles, and for
    which CPU architecture. An empty tuple means the default: every language, the default
    variants, the portable profile, the suite's workloads and sizes."""

    workloads_dir: Path = Path("workloads")
    cache_dir: Path = Path("build")
    workloads: tuple[str, ...] = ()
    suite: str | None = None
    sizes: tuple[str, ...] = ()
    languages: tuple[Language, ...] = ()
    variants: tuple[str, ...] = ()
    profiles: tuple[Profile, ...] = ()
    arch: str | None = None  # None: this host's; another is a cross build, run under qemu

    @property
    def chosen_languages(self) -> list[Language]:
        return list(dict.fromkeys(self.languages)) or list(Language)

    @property
    def chosen_variants(self) -> list[str]:
        return list(dict.fromkeys(self.variants)) or list(DEFAULT_VARIANTS)

    @property
    def chosen_profiles(self) -> list[Profile]:
        return list(dict.fromkeys(self.profiles)) or [Profile.PORTABLE]


@dataclass(frozen=True, slots=True)
class Measuring:
    """How each cell is measured: its states, how many samples and how long, where it runs."""

    states: tuple[str, ...] = ()  # empty: every state of each variant
    repetitions: int = 10  # the minimum count of measured samples per cell
    min_time_s: float = 0.0  # measure each cell until its samples add up to this much wall time
    max_repetitions: int = 1000
    warmup: int = 1  # rounds checked, not recorded
    seed: int | None = None  # of the shuffled order (None: a random one, recorded)
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES
    affinity: str = AUTO  # the CPUs of the measure loop (harness.affinity)
    timeout_s: float = 120.0
    # Past the minimum, more rounds for the cells whose median's 95% interval is wider than
    # this (half-width over the median), while the budget lasts (the whole run's time)
    precision: float | None = None
    budget_s: float | None = None
    # After each round, a loop of each physical floor under the variants (harness.floors)
    floors: bool = True


@dataclass(frozen=True, slots=True)
class RunConfig:
    """A whole run: what to build and measure, how, and where its results go; and the
    scenarios to run before the samples (None: none)."""

    selection: Selection = field(default_factory=Selection)
    measuring: Measuring = field(default_factory=Measuring)
    results_dir: Path = Path("results")
    scenarios: ScenarioPlan | None = None

    @classmethod
    def same_plan_as(cls, header: Header, base: RunConfig, *, source: Path) -> RunConfig:
        """The plan a results file's header records (its workloads, sizes, states, profiles,
        variants, languages, counts, CPUs and architecture), on `base`'s folders. Its seed is
        `base`'s: a resumed run passes the recorded one."""
        plan = header.plan
        if plan is None or not header.variants:
            raise IsobenchError(f"{source}: line 1: no plan to take (not a run's results)")
        counts = (plan.repetitions, plan.min_time_s, plan.max_repetitions, plan.warmup,
                  plan.timeout_s)  # fmt: skip
        if None in counts or not plan.workloads or not plan.sizes:
            raise IsobenchError(
                f"{source}: line 1: field 'plan': cannot take its plan (its workloads, sizes, "
                "repetitions, min_time_s, max_repetitions, warmup and timeout_s are needed)"
            )
        languages = plan.languages or tuple(
            sorted({artifact.language for artifact in header.artifacts if artifact.workload})
        )
        # The counts and limits a measurement would run with, each in its range
        ranges = {"repetitions": (plan.repetitions, 1, None), "warmup": (plan.warmup, 0, None),
                  "max_repetitions": (plan.max_repetitions, 1, None),
                  "min_time_s": (plan.min_time_s, 0, None),
                  "timeout_s": (plan.timeout_s, 1e-3, 86_400),
                  "memory_limit_bytes": (plan.memory_limit_bytes, 1 << 20, None),
                  "precision": (plan.precision, 1e-6, 1),
                  "budget_s": (plan.budget_s, 1, None)}  # fmt: skip
        for field_name, (value, least, most) in ranges.items():
            if value is not None and not (least <= value and (most is None or value <= most)):
                limits = f"at least {least:g}" + (f" and at most {most:g}" if most else "")
                raise IsobenchError(f"{source}: line 1: field 'plan.{field_name}': {value!r} "
                                    f"(must be {limits})")  # fmt: skip
        # These names become folders to build from and labels: held to the manifests' rule
        named = {"plan.workloads": plan.workloads, "plan.sizes": plan.sizes,
                 "plan.states": plan.states, "plan.profiles": plan.profiles,
                 "plan.languages": languages, "variants": tuple(header.variants)}  # fmt: skip
        for field_name, names in named.items():
            for name in names:
                if not is_name(name):
                    raise IsobenchError(f"{source}: line 1: field '{field_name}': {name!r:.60} "
                                        f"is not a name ({NAME_RULE})")  # fmt: skip
        try:
            selection = replace(
                base.selection,
                workloads=plan.workloads,
                suite=None,
                sizes=plan.sizes,
                languages=tuple(Language(language) for language in languages),
                variants=tuple(header.variants),
                profiles=tuple(Profile(profile) for profile in plan.profiles),
                arch=plan.arch if plan.arch not in ("", host_arch()) else None,
            )
        except ValueError as error:
            raise IsobenchError(f"{source}: line 1: field 'plan': {error}") from None
        measuring = replace(
            base.measuring,
            states=plan.states,
            repetitions=plan.repetitions or 1,
            min_time_s=plan.min_time_s or 0.0,
            max_repetitions=plan.max_repetitions or 1,
            warmup=plan.warmup or 0,
            timeout_s=plan.timeout_s or base.measuring.timeout_s,
            memory_limit_bytes=plan.memory_limit_bytes or DEFAULT_MEMORY_LIMIT_BYTES,
            affinity=plan.affinity or ALL,
            precision=plan.precision,
            budget_s=plan.budget_s,
            floors=bool(header.floors),
        )
        return replace(base, selection=selection, measuring=measuring)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What a session wrote, and what it could not measure."""

    path: Path  # the results file
    header: Header
    samples: list[Sample]  # every sample in the file (a resumed run's earlier ones too)
    scenario_samples: list[ScenarioSample]
    unavailable: Mapping[str, str]  # variant -> why its engine could not be reached
    floor_starts: list[FloorStart] = field(default_factory=list)  # the physical floors'


@dataclass(frozen=True, slots=True)
class Pacing:
    """How many samples the measure loop takes, as far as it is known before it starts: the
    listener's time-remaining estimate."""

    minimum: int  # every cell's warm-up and minimum count, less what a resumed run has
    exact: bool  # the minimum is all it takes (no precision rounds, no minimum time)
    deadline: float | None = None  # time.monotonic() when the budget ends (None: no budget)


class Listener(Protocol):
    """What a session tells while it works (the terminal shows it; the API may ignore it)."""

    def note(self, text: str) -> None: ...
    def warning(self, text: str) -> None: ...
    def building(self) -> AbstractContextManager[StepReport]: ...
    def built(self, outcome: BuildOutcome, cache: BuildCache, arch: str | None) -> None: ...
    def measuring(self, pacing: Pacing) -> AbstractContextManager[OnSample]: ...
    def scenario_event(self, line: str) -> None: ...


class Silent:
    """A Listener that keeps quiet."""

    def note(self, text: str) -> None:
        pass

    def warning(self, text: str) -> None:
        pass

    def building(self) -> AbstractContextManager[StepReport]:
        return nullcontext(lambda artifact, was_built: None)

    def built(self, outcome: BuildOutcome, cache: BuildCache, arch: str | None) -> None:
        pass

    def measuring(self, pacing: Pacing) -> AbstractContextManager[OnSample]:
        return nullcontext(lambda cell, sample: None)

    def scenario_event(self, line: str) -> None:
        pass


# -- the verbs' sessions ------------------------------------------------------------------------


def build_only(selection: Selection, registry: Registry, listener: Listener) -> BuildOutcome:
    """Compile and package every selected workload, language, profile and variant."""
    workloads, _ = select_workloads(selection, measuring=False)
    with opened_targets(selection, registry, listener) as targets:
        return build_selected(selection, targets, workloads, listener)


def run(
    config: RunConfig,
    registry: Registry,
    listener: Listener | None = None,
    *,
    resume: Path | None = None,
) -> RunOutcome:
    """Build (cached), run the scenarios the config asks for, then measure every cell,
    interleaved, into a new results file: the samples come last, so that a budget knows what
    is left for the rounds that a precision asks for beyond the minimum. `resume`: complete
    that interrupted run instead (its plan, its seed, the samples it lacks appended to it);
    `config` then gives only the folders."""
    started = time.monotonic()  # the budget counts from here: building is part of the run
    listener = listener or Silent()
    previous = None
    if resume is not None:
        previous = read_results(resume)
        recorded = previous.header.plan
        seed = recorded.seed if recorded is not None else None  # the order goes on from it
        base = replace(config, measuring=replace(config.measuring, seed=seed), scenarios=None)
        config = RunConfig.same_plan_as(previous.header, base, source=resume)
        if seed is None:
            raise IsobenchError(f"{resume}: line 1: field 'plan': no seed to go on from")
    selection, measuring = config.selection, config.measuring
    workloads, sizes = select_workloads(selection, measuring=True)
    if previous is not None:
        check_same_workloads(previous, workloads)
    with opened_targets(selection, registry, listener) as targets:
        outcome = build_selected(selection, targets, with_primer(selection, workloads), listener)
        plan = measure_plan(measuring, targets, workloads, sizes, outcome, selection.arch)
        jail, confinement = open_jail(listener)
        refuse_writable_inputs((cell.size for cell in plan.cells), jail.account)
        scenario_plan = None
        if config.scenarios is not None:
            scenario_plan = runnable_scenarios(config.scenarios, workloads, listener)
        floor_specs = run_floors(measuring, targets, selection.arch, previous)
        if previous is None:
            header = new_header(
                targets,
                selection,
                workloads=workloads,
                artifacts=outcome.all_artifacts(),
                scenario_plan=scenario_plan,
                plan=plan,
                sizes=sizes,
                cgroups=jail.cgroups,
                confinement=confinement,
                floors=floor_specs,
            )
            path = config.results_dir / f"{header.run_id}.jsonl"
        else:
            check_same_artifacts(previous, plan.cells)
            header, path = previous.header, previous.path
            listener.note(f"resuming {path}: {len(previous.samples)} samples already measured")
        rows: list[ScenarioSample] = []
        earlier = previous.samples if previous else []
        with (
            ResultsWriter(path, None if previous else header) as writer,
            tempfile.TemporaryDirectory(prefix="isobench-", dir=scratch_parent()) as scratch,
            opened_floors(floor_specs, targets, outcome) as floors,
        ):
            if scenario_plan is not None:
                rows = measure_scenarios(scenario_plan, selection, registry, targets, outcome,
                                         workloads, writer, listener, jail)  # fmt: skip

            floor_starts: list[FloorStart] = []

            def measure_floors(round_index: int) -> None:
                if floors is not None:
                    for row in floors.measure(round_index):
                        writer.add(row)
                        floor_starts.append(row)

            deadline = started + plan.budget_s if plan.budget_s else None
            pacing = Pacing(max(plan.minimum_total - len(earlier), 0),
                            plan.expected_total is not None, deadline)  # fmt: skip
            with listener.measuring(pacing) as on_sample:
                samples = earlier + run_plan(
                    plan, targets, cgroups=jail.cgroups, writer=writer,
                    scratch=open_to_samples(Path(scratch)),
                    on_sample=on_sample, earlier=earlier,
                    wider_than_wanted=wider_than(plan.precision) if plan.precision else None,
                    deadline=deadline,
                    account=jail.account,
                    after_round=measure_floors,
                )  # fmt: skip
    earlier_floors = previous.floor_starts if previous else []
    return RunOutcome(path, header, samples, rows, targets.unavailable,
                      earlier_floors + floor_starts)  # fmt: skip


def run_scenarios(
    selection: Selection,
    plan: ScenarioPlan,
    results_dir: Path,
    registry: Registry,
    listener: Listener | None = None,
) -> RunOutcome | None:
    """The scenarios alone, into a results file of their own; None when the workloads they
    need are not in the selection's folder."""
    listener = listener or Silent()
    workloads = select(selection.workloads_dir, [START_WORKLOAD, SERVE_WORKLOAD])
    runnable = runnable_scenarios(plan, workloads, listener)
    if runnable is None:
        return None
    with opened_targets(selection, registry, listener) as targets:
        outcome = build_selected(selection, targets, workloads, listener)
        jail, confinement = open_jail(listener)
        header = new_header(targets, selection, workloads=workloads,
                            artifacts=outcome.all_artifacts(), scenario_plan=runnable,
                            confinement=confinement)  # fmt: skip
        path = results_dir / f"{header.run_id}.jsonl"
        with ResultsWriter(path, header) as writer:
            rows = measure_scenarios(runnable, selection, registry, targets, outcome, workloads,
                                     writer, listener, jail)  # fmt: skip
    return RunOutcome(path, header, [], rows, targets.unavailable)


# -- steps ------------------------------------------------------------------------------------


class OpenedTargets(dict[str, Target]):
    """The selected variants' targets, by name, and the build cache they were opened on;
    `unavailable`: those whose engine could not be reached, with why (the run goes on without
    them)."""

    def __init__(self, cache: BuildCache) -> None:
        super().__init__()
        self.cache = cache
        self.unavailable: dict[str, str] = {}


@contextlib.contextmanager
def opened_targets(
    selection: Selection, registry: Registry, listener: Listener
) -> Iterator[OpenedTargets]:
    """The selected variants' targets, connected to their engines on the selection's build
    cache, closed at the end. A variant whose engine cannot be reached (no Docker daemon) is
    left out with a warning; when none is left, that is an error."""
    names = selection.chosen_variants
    cache = BuildCache(selection.cache_dir)
    unknown = [name for name in names if name not in registry]
    if unknown:  # a results header's plan may name anything
        raise IsobenchError(f"unknown variant {unknown[0]!r} (known: {', '.join(registry)})")
    targets = OpenedTargets(cache)
    try:
        for name in names:
            try:
                targets[name] = registry[name].open(cache)
            except IsobenchError as error:
                targets.unavailable[name] = str(error)
                listener.warning(f"{name}: unavailable, not measured: {error}")
        if not targets:
            raise IsobenchError(
                "no variant can run: "
                + "; ".join(f"{name}: {why}" for name, why in targets.unavailable.items())
            )
        yield targets
    finally:
        for target in targets.values():
            target.close()


def select_workloads(selection: Selection, *, measuring: bool) -> tuple[list[Workload], list[str]]:
    """The workloads and sizes asked for. A suite (named, or `default` for a run when there is
    a suites file) gives both; named workloads narrow it and named sizes replace its sizes.
    Without a suite: every workload, at the default size."""
    sizes = list(dict.fromkeys(selection.sizes))
    folder = selection.workloads_dir
    has_suites = (folder / SUITES_FILE).is_file()
    suite_name = selection.suite or ("default" if measuring and has_suites else None)
    names = list(selection.workloads)
    if suite_name is None:
        workloads, sizes = select(folder, names), sizes or ["default"]
    else:
        suite = load_suite(folder, suite_name)
        workloads = select(folder, names) if names else [*suite.workloads]
        sizes = sizes or list(suite.sizes)
    for workload in workloads:
        for size in sizes:
            workload.size(size)  # an unknown size is a user error before anything runs
    return workloads, sizes


def with_primer(selection: Selection, workloads: list[Workload]) -> list[Workload]:
    """The workloads to build: those selected, and the primer's (noop) where the workloads
    folder has it, since every sample is preceded by one of its instances (harness.measure)."""
    if any(workload.name == PRIMER_WORKLOAD for workload in workloads):
        return workloads
    if not (selection.workloads_dir / PRIMER_WORKLOAD / "workload.toml").is_file():
        return workloads  # samples are then taken unprimed; the plan's `primer` says so
    return [*workloads, *select(selection.workloads_dir, [PRIMER_WORKLOAD])]


def build_selected(
    selection: Selection, targets: OpenedTargets, workloads: list[Workload], listener: Listener
) -> BuildOutcome:
    cache = targets.cache
    with listener.building() as on_step:
        outcome = build(
            workloads,
            languages=selection.chosen_languages,
            profiles=selection.chosen_profiles,
            targets=list(targets.values()),
            cache=cache,
            on_step=on_step,
            arch=selection.arch,
        )
    listener.built(outcome, cache, selection.arch)
    return outcome


def runs_here(target: Target, arch: str | None) -> bool:
    """Whether this host runs the target's artifacts of a build for `arch`: all of them for its
    own architecture; from a cross build, those its target can run emulated (Target)."""
    return arch in (None, host_arch()) or target.runs_emulated


def measure_plan(  # noqa: PLR0917 - the parts of a plan, each named at the one call site
    measuring: Measuring,
    targets: Mapping[str, Target],
    workloads: list[Workload],
    sizes: list[str],
    outcome: BuildOutcome,
    arch: str | None,
) -> Plan:
    """The cells to measure (workload x size x built artifact x state) and how."""
    cells = [
        Cell(
            workload, Language(language), variant, workload.size(size), profile, state,
            artifact, outcome.artifacts.get((PRIMER_WORKLOAD, language, variant, profile)),
        )
        for workload in workloads
        for size in sizes
        for (name, language, variant, profile), artifact in outcome.artifacts.items()
        if name == workload.name and runs_here(targets[variant], arch)
        for state in targets[variant].states
        if measured_state(targets[variant], state, workload.name, measuring.states)
    ]  # fmt: skip
    seed = measuring.seed if measuring.seed is not None else uuid.uuid4().int % 2**32
    return Plan(
        cells,
        measuring.repetitions,
        measuring.warmup,
        seed,
        measuring.timeout_s,
        min_time_s=measuring.min_time_s,
        max_repetitions=max(measuring.max_repetitions, measuring.repetitions),
        memory_limit_bytes=measuring.memory_limit_bytes,
        cpus=parse_cpus(measuring.affinity),
        precision=measuring.precision,
        budget_s=measuring.budget_s,
    )


def measured_state(target: Target, state: str, workload: str, asked: Sequence[str]) -> bool:
    """Whether a cell in `state` is measured: the states asked for (--state), on every workload;
    by default every state, except that an in-host variant's start modes (states that differ
    only in how much of the start is ready before the clock: wasmtime's loaded, prelinked,
    pooled) are measured on the startup workload alone, where they answer a question: on a
    compute workload they repeat the warm state's run."""
    if asked:
        return state in asked
    start_modes = target.start_modes if isinstance(target, StartModes) else ()
    return workload == FLOOR_WORKLOAD or state not in start_modes


def run_floors(
    measuring: Measuring, targets: Mapping[str, Target], arch: str | None, previous: Results | None
) -> list[FloorSpec]:
    """The physical floors the run measures: those under its variants' kinds of instance, on
    this host's own architecture (a cross build's floors would be emulated: none); a resumed
    run, those its header lists."""
    if previous is not None:
        return [spec for spec in FLOORS if spec.name in previous.header.floors]
    if not measuring.floors or arch not in (None, host_arch()):
        return []
    return floors_for(target.instance for target in targets.values())


@contextlib.contextmanager
def opened_floors(
    specs: Sequence[FloorSpec], targets: OpenedTargets, outcome: BuildOutcome
) -> Iterator[Floors | None]:
    """The floors' measurer (None: no floors), its scratch removed at the end. The wasm-noop
    floor runs the in-host wasm variant's C noop artifact, the module that variant starts."""
    if not specs:
        yield None
        return
    noop = next((artifact for (workload, language, variant, profile), artifact
                 in outcome.artifacts.items()
                 if workload == PRIMER_WORKLOAD and language == NOOP_LANGUAGE.value
                 and profile == Profile.PORTABLE and targets[variant].instance == IN_HOST),
                None)  # fmt: skip
    with Floors(specs, targets.cache, noop, host_arch()) as floors:
        yield floors


def check_same_workloads(previous: Results, workloads: list[Workload]) -> None:
    for workload in workloads:
        recorded = previous.header.workload_revision(workload.name)
        if recorded is not None and recorded != workload.revision():
            raise IsobenchError(
                f"{previous.path}: workload {workload.name!r} changed since the run began "
                "(another revision): resuming would mix the two; start a new run"
            )


def check_same_artifacts(previous: Results, cells: Sequence[Cell]) -> None:
    """A resumed run must run the very artifacts the run began with (same sources, toolchain
    and flags: the same content-addressed ids)."""
    recorded = {artifact.id for artifact in previous.header.artifacts}
    changed = sorted({cell.label for cell in cells if cell.artifact.id not in recorded})
    if changed:
        raise IsobenchError(
            f"{previous.path}: the artifacts of {changed[0]} are not the ones the run began with "
            "(a toolchain or build flag changed): resuming would mix the two; start a new run"
        )


def scratch_parent() -> str | None:
    """tmpfs when there is one: the instances' stdout files then cost no disk I/O."""
    shm = Path("/dev/shm")  # noqa: S108 - a private TemporaryDirectory is made inside it
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


# -- scenarios ----------------------------------------------------------------------------------


def runnable_scenarios(
    plan: ScenarioPlan, workloads: list[Workload], listener: Listener
) -> ScenarioPlan | None:
    """The plan, when the workloads the scenarios run are in the selection (None, and why)."""
    chosen = {workload.name for workload in workloads}
    missing = [name for name in (START_WORKLOAD, SERVE_WORKLOAD) if name not in chosen]
    if missing:
        listener.note(f"scenarios: not run: they need the workloads {', '.join(missing)}")
        return None
    unknown = [name for name in plan.scenarios if name not in SCENARIOS]
    if unknown:
        raise IsobenchError(f"unknown scenario {unknown[0]!r} (known: {', '.join(SCENARIOS)})")
    return plan


@dataclass(frozen=True, slots=True)
class Jail:
    """What a run confines its process instances with: the sample account, the cgroups."""

    account: SampleAccount | None
    cgroups: MemoryCgroups | None


def open_jail(listener: Listener) -> tuple[Jail, ConfinementRecord]:
    """The run's sample account and cgroups, and what they hold, for the header (what this host
    cannot hold is said as warnings)."""
    jail = Jail(sample_account(), memory_cgroups(listener))
    return jail, confinement_of(jail.account, jail.cgroups, listener)


def memory_cgroups(listener: Listener) -> MemoryCgroups | None:
    cgroups = MemoryCgroups.detect()
    if cgroups is None:
        listener.warning("no memory cgroup (needs root): peak memory will not be recorded")
    elif not cgroups.records_peak:
        listener.warning(f"{cgroups.describe()}: peak memory will not be recorded")
    return cgroups


def refuse_writable_inputs(sizes: Iterable[Size], account: SampleAccount | None) -> None:
    """Samples read their inputs and never change them: an input folder or stdin file the
    sample account could write is refused before anything runs."""
    if account is None:
        return  # not root: the harness's own user owns them (the header says so)
    inputs = {path for size in sizes for path in (size.input_dir, size.stdin)
              if path is not None}  # fmt: skip
    writable = account.first_writable(sorted(inputs))
    if writable is not None:
        mode = stat.filemode(writable.lstat().st_mode)
        raise IsobenchError(f"{writable}: the sample account {account.name} could write it "
                            f"({mode}): a sample's input must stay as it is; chmod go-w, or "
                            "give it another owner")  # fmt: skip


def confinement_of(
    account: SampleAccount | None, cgroups: MemoryCgroups | None, listener: Listener
) -> ConfinementRecord:
    """What the process variants' instances run as and under, for the header; what this host
    cannot hold is also said as a warning."""
    not_enforced = []
    who = account.describe() if account is not None else "the harness's own user (not root)"
    if account is None:
        not_enforced.append("the sample account: not root, samples run as the harness's user, "
                            "who can write the input folders")  # fmt: skip
    if cgroups is not None and cgroups.pids_parent is not None:
        tasks = cgroups.describe_pids(PIDS_PER_INSTANCE)
    elif account is not None:
        tasks = (f"at most {PIDS_PER_INSTANCE} tasks of the sample account at once "
                 "(RLIMIT_NPROC: no pids cgroup)")  # fmt: skip
    else:
        tasks = "not limited"
        not_enforced.append("a task limit: no pids cgroup and no account of the samples' own")
    if cgroups is not None:
        memory = "the instance's memory cgroup: past the limit the kernel's OOM killer ends it"
    else:
        memory = "RLIMIT_DATA of each process (no memory cgroup): past it allocations fail"
        not_enforced.append(
            "a memory cgroup: the memory limit is RLIMIT_DATA, and what an instance leaves "
            "running in a session of its own is not killed"
        )
    for line in not_enforced:
        listener.warning(f"not enforced: {line}")
    return ConfinementRecord(who, tasks, memory, tuple(not_enforced))


def scenario_confinement(plan: ScenarioPlan, jail: Jail) -> tuple[Confinement, SampleCgroup | None]:
    """The confinement of a scenario run's process instances: the sample account, and one
    group for all of them, limited to the tasks of its most instances at once and to the
    memory the density scenario may use (what is available now, less its reserve)."""
    most = max(*plan.density_steps, CONCURRENT_STARTERS)
    tasks = PIDS_PER_INSTANCE * most
    memory = max(psutil.virtual_memory().available - plan.memory_reserve_bytes, 256 << 20)
    group = jail.cgroups.new_sample(memory, tasks) if jail.cgroups is not None else None
    return Confinement(jail.account, group, tasks, DEFAULT_MEMORY_LIMIT_BYTES), group


def measure_scenarios(  # noqa: PLR0917 - one call site per session, each naming its parts
    plan: ScenarioPlan,
    selection: Selection,
    registry: Registry,
    targets: OpenedTargets,
    outcome: BuildOutcome,
    workloads: list[Workload],
    writer: ResultsWriter,
    listener: Listener,
    jail: Jail,
) -> list[ScenarioSample]:
    subjects = []
    for variant, target in targets.items():
        if not isinstance(target, Spawner):
            listener.note(f"scenarios: {variant} cannot start long-lived instances: left out")
            continue
        for language in selection.chosen_languages:
            subjects.append(Subject(variant, language.value, {
                name: outcome.artifacts[(name, language.value, variant, Profile.PORTABLE.value)]
                for name in (START_WORKLOAD, SERVE_WORKLOAD)
            }))  # fmt: skip
    mark = new_mark()
    confinement, group = scenario_confinement(plan, jail)
    try:
        with swept(list(targets.values()), mark, listener.scenario_event):
            scenario_run = ScenarioRun(
                plan,
                {workload.name: workload for workload in workloads},
                open_target=lambda variant: registry[variant].open(targets.cache),
                writer=writer,
                on_event=listener.scenario_event,
                mark=mark,
                confinement=confinement,
            )
            return scenario_run.run(subjects)
    finally:
        if group is not None:
            group.kill_all()
            group.remove()


# -- the results header -------------------------------------------------------------------------


def new_header(
    targets: OpenedTargets,
    selection: Selection,
    *,
    workloads: list[Workload],
    artifacts: list[Artifact],
    scenario_plan: ScenarioPlan | None = None,
    plan: Plan | None = None,
    sizes: Sequence[str] = (),
    cgroups: MemoryCgroups | None = None,
    confinement: ConfinementRecord | None = None,
    floors: Sequence[FloorSpec] = (),
) -> Header:
    """The results file's header: host, tools, workloads, variants, and the plan of the samples
    and of the scenarios the run measures."""
    host = HostRecord.from_json(fingerprint())
    started = datetime.now(UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{host.hostname}-{uuid.uuid4().hex[:6]}"
    engines: dict[str, str] = {}
    for target in targets.values():
        engines.update(target.versions())
    header = Header(
        schema_version=SCHEMA_VERSION,
        run_id=run_id,
        started_at=started.isoformat(),
        isobench_version=__version__,
        git_revision=git_revision(Path(__file__).resolve().parent.parent),
        host=host,
        workloads={
            workload.name: WorkloadRecord(
                workload.revision(), workload.description, workload.stresses
            )
            for workload in sorted(workloads, key=lambda workload: workload.name)
        },
        tools=ToolsRecord(
            {language.value: find_compiler(language).version for language in Language}, engines
        ),
        # A hash of the code that decides what is measured: a published figure is current only
        # while it matches the code's (harness.measure.MEASUREMENT_FILES)
        measurement_revision=measurement_revision(),
        variants={name: variant_record(target, floors) for name, target in targets.items()},
        artifacts=tuple(ArtifactRecord.from_json(artifact.to_json()) for artifact in artifacts),
        artifact_kinds={binary.value: binary.caption for binary in Binary}
        | {target.artifact_kind: target.artifact_caption for target in targets.values()},
        unavailable=dict(targets.unavailable),
        stability=read_stability(),
        confinement=confinement or ConfinementRecord(),
        floors=floor_records(floors),
    )
    if scenario_plan is not None:
        header = replace(header, scenarios=scenario_plan.descriptions(),
                         scenario_plan=scenario_plan.record())  # fmt: skip
    if plan is None:
        return header
    return replace(
        header,
        plan=plan_record(plan, sizes, selection),
        memory=memory_method(cgroups, targets.cache),
        # What each variant's instances cost the host outside their own memory group.
        host_costs={name: host_costs_of(target) for name, target in targets.items()},
    )


def variant_record(target: Target, floors: Sequence[FloorSpec] = ()) -> VariantRecord:
    floor = floor_of(target)
    return VariantRecord(
        states=target.states,  # state -> what wall_ns spans in it
        phases=tuple(target.phases),
        memory_scope=target.memory_scope,
        wall_phases=target.wall_phases,
        instance=target.instance,  # what one instance is: startup compares within it
        cpu_scope=target.cpu_scope,
        rss_scope=target.rss_scope,
        cold_evicts=target.cold_evicts,
        settings=target.settings(),
        # the floor its startup is shown over, when the run measures it
        floor=floor if any(spec.name == floor for spec in floors) else "",
    )


def wider_than(precision: float) -> WiderThanWanted:
    """Whether a cell's median's interval, in its precision metric, is still wider than
    `precision` (the summary's own computation: stats.precision_of). Below two values there is
    nothing to judge: the minimum count asks for those."""

    def wide(key: CellKey, samples: Sequence[Sample]) -> bool:
        _, reached = precision_of(key, samples)
        return reached is not None and reached > precision

    return wide


def plan_record(plan: Plan, sizes: Sequence[str], selection: Selection) -> PlanRecord:
    return PlanRecord(
        suite=selection.suite,
        workloads=tuple(sorted({cell.workload.name for cell in plan.cells})),
        sizes=tuple(sizes),
        profiles=tuple(sorted({cell.profile for cell in plan.cells})),
        states=tuple(sorted({cell.state for cell in plan.cells})),
        work_units=work_units_of(plan),
        repetitions=plan.repetitions,
        min_time_s=plan.min_time_s,
        max_repetitions=plan.max_repetitions,
        warmup=plan.warmup,
        seed=plan.seed,
        timeout_s=plan.timeout_s,
        memory_limit_bytes=plan.memory_limit_bytes,
        affinity=format_cpus(plan.cpus),
        languages=tuple(sorted({cell.language.value for cell in plan.cells})),
        arch=selection.arch or host_arch(),  # what the artifacts are for
        order="warm-up rounds (not recorded), then rounds over the cells still short of "
        "their count or time, or (with a precision) whose median's interval is still wider, "
        "while the budget lasts, each shuffled with random.Random(seed)",
        primer=PRIMER if any(cell.primer for cell in plan.cells) else None,
        precision=plan.precision,
        budget_s=plan.budget_s,
    )


def memory_method(cgroups: MemoryCgroups | None, cache: BuildCache) -> MemoryRecord:
    """How peaks are measured, and how finely: the step the cgroup counter moves in (probed on
    a fresh group) and the resolution of a peak, one such step per CPU (each CPU may hold one
    pre-charged batch for the group: a peak can read that much above the pages in use)."""
    if cgroups is None:
        return MemoryRecord()
    probe, _ = build_helper("chargeprobe.c", "isobench-chargeprobe",
                            find_compiler(Language.C), cache)  # fmt: skip
    granularity = cgroups.charge_granularity(Path(probe.path))
    return MemoryRecord(
        method=cgroups.describe(),
        charge_granularity_bytes=granularity,
        resolution_bytes=granularity * (os.cpu_count() or 1) if granularity else None,
    )


def host_costs_of(target: Target) -> HostCost:
    """The target's host costs, or why they could not be measured (the engine went away)."""
    try:
        return HostCost.from_json(target.host_costs())
    except Exception as error:  # a measurement of the header is never worth the run
        return HostCost(note=f"not measured: {type(error).__name__}: {error}")


def work_units_of(plan: Plan) -> dict[str, dict[str, float]]:
    units: dict[str, dict[str, float]] = {}
    for cell in plan.cells:
        if cell.size.work_units is not None:
            units.setdefault(cell.workload.name, {})[cell.size.name] = cell.size.work_units
    return units
