"""The measure loop: interleave variants in seeded-shuffled rounds, take one sample at a time,
check its output, read its memory group, and write it at once.

A timing is only kept (status ok) when the instance exited 0 and printed exactly the expected
bytes; everything else is recorded with its status and left out of the statistics.

Every sample starts from the same state, whatever sample came before it in the shuffled order:
unrecorded *primers* (the variant's noop, same language and profile) run right before it,
outside the clock. Measured here, the same native noop spawn took about 0.70 ms right after
another spawn and 0.84-0.94 ms right after a container sample, or after 300 ms of idling, and
waiting for the host to go quiet did not bring it back: nothing the previous sample left
running was in the way, the state of the CPU and kernel it left was. The primers' own times
after a container or wasm sample fell 0.88, 0.73, 0.66 ms: a process settles by its third
(PRIMER_RUNS). And the loop runs on one CPU (harness/affinity.py): unpinned, the floor after
other work stayed 4-21% above its back-to-back figure whatever the primers. How close a
primed sample comes to a back-to-back loop is what `nox -s crosscheck` measures (its quiet
row), not what this promises.
"""

from __future__ import annotations

import hashlib
import os
import platform
import random
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.affinity import pinned
from harness.arch import runs_emulated
from harness.cache import Artifact
from harness.cgroups import MemoryCgroups
from harness.confine import OUTPUT_LIMIT_BYTES, PIDS_PER_INSTANCE, SampleAccount
from harness.judge import Output, judge, read_tail
from harness.pagecache import evict
from harness.results import CellKey, ResultsWriter, Sample, Status
from harness.scopes import CONTAINER, PROCESS
from harness.targets import Execution, Invocation, Target
from harness.targets.base import COLD
from harness.workloads import Language, Size, Workload

PRIMER_WORKLOAD = "noop"
# Primers per sample by what an instance is: a process settles by its third (module docstring);
# a container primer costs a quarter of a second and one is what the container rows were
# measured with; an in-host variant primes once inside its own host process.
PRIMER_RUNS = {PROCESS: 3, CONTAINER: 1}
PRIMER = (
    "unrecorded noop instances of the same variant, language and profile right before each "
    "sample, outside the clock: 3 before a process, 1 before a container, 1 inside the host "
    "process of an in-host instance"
)
_TICK_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
# The files that decide what a sample measures: how each variant is built, started, timed and
# read. Their hash is the results header's `measurement_revision`: figures published from a
# results file are current only while it matches the code's (a test holds the example to it).
MEASUREMENT_FILES = ("affinity.py", "build.py", "toolchains.py", "measure.py", "judge.py",
                     "cgroups.py", "confine.py", "pagecache.py", "launcher.c", "chargeprobe.c",
                     "floors.py", "barestart.c", "bare_wasm.py", "targets/*.py",
                     "targets/*.mjs")  # fmt: skip


def measurement_revision() -> str:
    """A hash of MEASUREMENT_FILES (their paths and bytes), 16 hex digits."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    files = sorted({path for pattern in MEASUREMENT_FILES for path in package.glob(pattern)})
    for path in files:
        digest.update(f"{path.relative_to(package).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Cell:
    """One thing to measure repeatedly: a workload in one language, variant and size."""

    workload: Workload
    language: Language
    variant: str
    size: Size
    profile: str
    state: str
    artifact: Artifact
    primer: Artifact | None = None  # the variant's noop, run unrecorded right before each sample

    @property
    def key(self) -> CellKey:
        """What identifies the cell's samples in a results file (their Sample.cell_key)."""
        return CellKey(self.workload.name, self.language.value, self.variant, self.size.name,
                       self.profile, self.state)  # fmt: skip

    @property
    def label(self) -> str:
        return self.key.label


@dataclass(frozen=True, slots=True)
class Plan:
    cells: Sequence[Cell]
    repetitions: int  # the minimum count of measured samples per cell
    warmup: int  # rounds taken first, checked, and not recorded
    seed: int
    timeout_s: float
    min_time_s: float = 0.0  # the minimum measured wall time per cell, summed over its samples
    max_repetitions: int = 1000  # the most measured samples per cell, whatever min_time_s says
    memory_limit_bytes: int | None = None  # every instance is stopped past this much memory
    cpus: tuple[int, ...] | None = None  # the loop and its instances run there (harness/affinity)
    # Past its minimum, a cell gets further rounds while its median's 95% interval is wider
    # than this (half-width over the median: 0.02 is +-2%), until the budget is spent
    precision: float | None = None
    budget_s: float | None = None  # the whole run's time, counted from the session's start

    def satisfied(self, count: int, measured_ns: int, failed: bool) -> bool:
        """Whether a cell has its minimum: the count, and the time (a failing cell stops at the
        count); or the most samples a cell may take."""
        if count >= self.max_repetitions:
            return True
        return count >= self.repetitions and (failed or measured_ns >= self.min_time_s * 1e9)

    def warmup_rounds(self, rng: random.Random) -> Iterator[tuple[int, Cell]]:
        for round_index in range(self.warmup):
            order = list(self.cells)
            rng.shuffle(order)
            for cell in order:
                yield round_index, cell

    @property
    def minimum_total(self) -> int:
        """The fewest samples the plan takes: every cell's warm-ups and minimum count."""
        return len(self.cells) * (self.warmup + self.repetitions)

    @property
    def expected_total(self) -> int | None:
        """Samples to take, when known in advance (not with a minimum time or a precision)."""
        if self.min_time_s or self.precision:
            return None
        return self.minimum_total


def wrote_to_the_limit(*paths: Path) -> bool:
    """Whether a file at or under `paths` reached what an instance may write: it was stopped
    there (a program that ignores SIGXFSZ sees its writes fail instead)."""
    files = [found for path in paths for found in ([*path.rglob("*")] if path.is_dir() else
             [path]) if found.is_file() and not found.is_symlink()]  # fmt: skip
    return any(found.stat().st_size >= OUTPUT_LIMIT_BYTES for found in files)


def open_to_samples(scratch: Path) -> Path:
    """The samples' scratch folder, made traversable (0711): the sample account reaches by name
    what it is handed there (node's WASI resolves a preopened folder by its path again), owns
    only its output folder, and lists nothing. tempfile makes it 0700."""
    scratch.chmod(0o711)
    return scratch


def host_steal_ns() -> int:
    """The host's steal time so far, all CPUs (the `cpu` line of /proc/stat, in clock ticks)."""
    with Path("/proc/stat").open("rb") as stat:
        return int(stat.readline().split()[8]) * _TICK_NS


def prime(
    cell: Cell,
    target: Target,
    scratch: Path,
    cgroups: MemoryCgroups | None,
    *,
    cpus: tuple[int, ...] | None = None,
    account: SampleAccount | None = None,
) -> None:
    """Run the cell's primers, each a process or container of its own through the very path a
    sample takes (a fresh memory group included), and forget them: they only leave the host in
    the state instances of this variant leave it. Whatever goes wrong with them shows in the
    sample that follows. An in-host target primes inside its host (Invocation.primer)."""
    primer = cell.primer
    if primer is None:
        return
    for _ in range(PRIMER_RUNS.get(target.instance, 0)):
        cgroup = cgroups.new_sample(tasks=PIDS_PER_INSTANCE) if cgroups else None
        try:
            target.run(Invocation(artifact=primer, args=(), stdout_path=scratch / "primer.stdout",
                                  stderr_path=scratch / "primer.stderr", timeout_s=60,
                                  cgroup=cgroup, cpus=cpus, account=account))  # fmt: skip
        except Exception:  # noqa: S110 - the sample after it reports what is wrong
            pass
        finally:
            if cgroup:
                cgroup.kill_all()
                cgroup.remove()


def evict_cold_files(cell: Cell, target: Target) -> tuple[int | None, str]:
    """For a cold sample: evict the files its variant names, and how much of them stayed in the
    page cache (0: verified cold), with why when that is not 0. (None, "") when warm."""
    if cell.state != COLD:
        return None, ""
    files = target.cold_files(cell.artifact)
    resident = evict(files)
    if not resident:
        return 0, ""
    names = ", ".join(path.name for path in files)
    return resident, f"{resident:,} bytes of {names} stayed in the page cache after eviction"


def take_sample(
    cell: Cell,
    target: Target,
    *,
    round_index: int,
    warmup: bool,
    cgroups: MemoryCgroups | None,
    scratch: Path,
    timeout_s: float,
    memory_limit_bytes: int | None = None,
    cpus: tuple[int, ...] | None = None,
    account: SampleAccount | None = None,
) -> Sample:
    """One sample of `cell`, confined: in a fresh cgroup of its own (memory and tasks limited),
    a process variant's as `account` (None: the harness's own user)."""
    stdout_path, stderr_path = scratch / "stdout", scratch / "stderr"
    for path in (stdout_path, stderr_path):
        path.unlink(missing_ok=True)
    output_dir = scratch / "output"
    shutil.rmtree(output_dir, ignore_errors=True)
    if cell.size.needs_output_dir:
        output_dir.mkdir()
        if account is not None:  # the one thing the account owns
            account.give(output_dir)
    resident, not_evicted = None, ""
    # Everything the harness does for a sample happens before its primers, except the cold
    # eviction (a primer may read the very files): as little as possible between them and it.
    cgroup = cgroups.new_sample(memory_limit_bytes, PIDS_PER_INSTANCE) if cgroups else None
    try:
        invocation = Invocation(
            artifact=cell.artifact,
            args=cell.size.args,
            stdout_path=stdout_path,
            stderr_path=stderr_path,
            timeout_s=timeout_s,
            cgroup=cgroup,
            memory_limit_bytes=memory_limit_bytes,
            state=cell.state,
            stdin_path=cell.size.stdin,
            input_dir=cell.size.input_dir,
            output_dir=output_dir if cell.size.needs_output_dir else None,
            primer=cell.primer,
            cpus=cpus,
            account=account,
        )
        # Its bytes, as built, before it runs (and before a cold sample's eviction: reading
        # them brings them into the page cache)
        changed = cell.artifact.changed()
        prime(cell, target, scratch, cgroups, cpus=cpus, account=account)
        steal_before = host_steal_ns()
        try:
            resident, not_evicted = evict_cold_files(cell, target)
            execution = Execution(None, error=changed) if changed else target.run(invocation)
        except Exception as error:  # any failure to run one sample is that sample's status
            execution = Execution(None, error=f"{type(error).__name__}: {error}")
        steal = host_steal_ns() - steal_before
        if wrote_to_the_limit(stdout_path, stderr_path, output_dir):  # SIGXFSZ ignored: EFBIG
            execution = replace(execution, output_limited=True)
        high = cgroup.peak_bytes() if cgroup and execution.in_cgroup else None
        peak = max(high - execution.charged_before_bytes, 0) if high is not None else None
        if cgroup and cgroup.oom_kills():  # whatever was killed in it, before it said so
            execution = replace(execution, out_of_memory=True)
    finally:
        if cgroup:
            cgroup.kill_all()  # nothing, unless an interrupt cut the sample short
            cgroup.remove()
    stdout = Output.read(stdout_path)  # streamed: the harness's memory stays flat
    status, detail = judge(execution, stdout, read_tail(stderr_path), cell.size)
    if status is Status.OK and not_evicted:  # a right answer, but not a cold start
        status, detail = Status.NOT_EVICTED, not_evicted
    return Sample(
        workload=cell.workload.name,
        language=cell.language.value,
        variant=cell.variant,
        size=cell.size.name,
        profile=cell.profile,
        state=cell.state,
        arch=platform.machine(),
        round=round_index,
        warmup=warmup,
        status=status,
        wall_ns=execution.wall_ns,
        phases_ns=execution.phases_ns,
        peak_memory_bytes=peak,
        linear_memory_bytes=execution.linear_memory_bytes,
        exit_code=execution.exit_code,
        stdout_sha256=stdout.sha256,
        detail=detail,
        artifact_id=cell.artifact.id,
        emulated=runs_emulated(Path(cell.artifact.path)),
        cpu_ns=execution.cpu_ns,
        rss_peak_bytes=execution.rss_peak_bytes,
        steal_ns=steal,
        cold_resident_bytes=resident,
    )


# Whether a cell's samples give an interval still wider than the plan's precision
WiderThanWanted = Callable[[CellKey, Sequence[Sample]], bool]


@dataclass(slots=True)
class CellProgress:
    """What the loop knows of one cell as it goes: its measured samples and their cost."""

    samples: list[Sample] = field(default_factory=list)
    measured_ns: int = 0  # summed wall time of its samples
    failed: bool = False  # some sample was not ok: the cell stops at its minimum count
    taken: int = 0  # samples this loop took (not a resumed run's earlier ones)
    spent_s: float = 0.0  # the loop's time on them, primers and all

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        self.measured_ns += sample.wall_ns or 0
        self.failed |= sample.status is not Status.OK

    def affordable(self, deadline: float | None) -> bool:
        """Whether one more sample, at this cell's cost so far, ends before the deadline."""
        if deadline is None or not self.taken:
            return True
        return time.monotonic() + self.spent_s / self.taken <= deadline


def run_plan(
    plan: Plan,
    targets: Mapping[str, Target],
    *,
    cgroups: MemoryCgroups | None,
    writer: ResultsWriter,
    scratch: Path,
    on_sample: Callable[[Cell, Sample], None],
    earlier: Sequence[Sample] = (),
    wider_than_wanted: WiderThanWanted | None = None,
    deadline: float | None = None,
    account: SampleAccount | None = None,
    after_round: Callable[[int], None] | None = None,
) -> list[Sample]:
    """Warm-up rounds first (checked, not recorded), then measured rounds in a seeded shuffled
    order, each round over the cells that still need samples, until every cell has its minimum
    count and minimum time, and, with a precision, an interval no wider than it
    (`wider_than_wanted` judges; the loop takes no side). Past its minimum, a cell's next sample
    is taken only when it ends, at that cell's cost so far, before `deadline` (a time.monotonic
    value): the minimum is always taken, the budget only stops what comes after. Returns the
    measured samples, as written.

    `earlier`: the samples an interrupted run of the same plan already wrote (a resumed run):
    they count toward each cell's needs, and the order goes on from a generator seeded by the
    plan's seed and how many there were. `after_round`: called with each measured round's
    index once its samples are in (the physical floors, harness.floors, on the same CPUs)."""
    rng = random.Random(plan.seed if not earlier else f"{plan.seed}/{len(earlier)}")

    def take(cell: Cell, round_index: int, warmup: bool) -> Sample:
        sample = take_sample(
            cell,
            targets[cell.variant],
            round_index=round_index,
            warmup=warmup,
            cgroups=cgroups,
            scratch=scratch,
            timeout_s=plan.timeout_s,
            memory_limit_bytes=plan.memory_limit_bytes,
            cpus=plan.cpus,
            account=account,
        )
        on_sample(cell, sample)
        return sample

    with pinned(plan.cpus):  # the loop and everything it starts
        for round_index, cell in plan.warmup_rounds(rng):
            take(cell, round_index, warmup=True)

        samples: list[Sample] = []
        progress = [CellProgress() for _ in plan.cells]
        round_index = plan.warmup
        positions = {cell.key: index for index, cell in enumerate(plan.cells)}
        for sample in earlier:
            index = positions.get(sample.cell_key)
            if index is not None and not sample.warmup:
                progress[index].add(sample)
                round_index = max(round_index, sample.round + 1)

        def has_minimum(index: int) -> bool:
            tally = progress[index]
            return plan.satisfied(len(tally.samples), tally.measured_ns, tally.failed)

        def needs_more(index: int) -> bool:
            tally = progress[index]
            if not has_minimum(index):
                return True
            if (wider_than_wanted is None or tally.failed
                    or len(tally.samples) >= plan.max_repetitions
                    or not tally.affordable(deadline)):  # fmt: skip
                return False
            return wider_than_wanted(plan.cells[index].key, tally.samples)

        while True:
            pending = [index for index in range(len(plan.cells)) if needs_more(index)]
            if not pending:
                return samples
            rng.shuffle(pending)
            for index in pending:
                tally = progress[index]
                if has_minimum(index) and not tally.affordable(deadline):
                    continue  # the budget is spent for this cell: its minimum is in
                started = time.monotonic()
                sample = take(plan.cells[index], round_index, warmup=False)
                tally.spent_s += time.monotonic() - started
                tally.taken += 1
                writer.add(sample)
                samples.append(sample)
                tally.add(sample)
            if after_round is not None:
                after_round(round_index)
            round_index += 1
