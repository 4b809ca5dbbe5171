"""Scenarios: the serverless questions, asked of long-lived instances (`Spawner` targets).

density     K instances of a workload's serve form (webhook), started one after another, each
            answering one request (checked) to show it is up, then left idle on its stdin: the
            time to have all K answering, and the host's memory before and with all K up, both
            as MemTotal - MemAvailable and as the PSS of the instances' own processes and of
            the ones they share (Docker's daemons, the wasm host holding the module). K rises
            (1, 10, 50, 100 by default) while the host keeps a reserve of available memory.
start-rate  noop instances started back to back by 1 or 2 starters (2 targets, each with its
            own engine connection or wasm host): each start spans spawn -> end of stdin ->
            exit, its (empty) output and exit code checked. Starts per second and latency.
requests    the serve workload's requests, each to a fresh instance (spawn, the request on
            stdin, exit: the one-shot program) or all to one long-lived instance (a frame in,
            a frame out): requests per second and latency, every answer checked.

Every latency is taken with perf_counter_ns in the harness, around the target's calls, for
every variant alike. Batches are bounded in count and in time; variants are interleaved between
batches in a seeded order. Whatever happens, every instance is stopped at the end of its batch,
and at the end of the run every process and container still carrying the run's mark is killed
and removed (`sweep`), so an interruption leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import random
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from harness.arch import runs_emulated
from harness.cache import Artifact
from harness.confine import OUTPUT_LIMIT_BYTES
from harness.judge import Output, judge, judge_ending
from harness.results import ResultsWriter, ScenarioSample, Status, subject_of
from harness.targets.base import (
    MARK,
    MARKED_FOLDER_PREFIX,
    Confinement,
    Ended,
    Execution,
    Instance,
    Spawner,
    StartModes,
    Target,
    mark_is_stale,
)
from harness.workloads import Serve, ServeRequest, Size, Workload

DENSITY, START_RATE, REQUESTS = "density", "start-rate", "requests"
SCENARIOS = (DENSITY, START_RATE, REQUESTS)
IDLE, SEQUENTIAL, CONCURRENT = "idle", "sequential", "concurrent"
CONCURRENT_STARTERS = 2  # the concurrent start rate's starters (one per core of a small VM)
FRESH, LONG_LIVED = "fresh-instance", "long-lived"
START_WORKLOAD, START_SIZE = "noop", "tiny"
SERVE_WORKLOAD = "webhook"

DESCRIPTIONS = {
    DENSITY: "K instances of the webhook's serve form started one after another, each answering "
    "one request (checked); latency_ns: from the first spawn to the K-th answer. Memory: "
    "MemTotal - MemAvailable, and the PSS sum of the instances' processes (container init and "
    "containerd-shim included) and the processes they share (dockerd and containerd, the wasm "
    "host), before the first instance and with all K up",
    START_RATE: "one instance of noop (tiny): spawn -> end of stdin -> exit, output and exit code "
    "checked; the wasmtime variant instantiates in a warm host process, in each start mode "
    "(loaded: the module deserialized once; prelinked: an InstancePre kept; pooled: the same "
    "in an Engine with the pooling allocator), its instance's own start and run timed by the "
    "host and recorded apart from the plumbing around them; every other variant starts its "
    "process or container; 1 or 2 starters at once",
    REQUESTS: "one webhook request: fresh-instance spawns the one-shot program, sends the request "
    "on stdin and waits for its exit (latency: spawn -> exit, output checked); long-lived sends "
    "a frame to one running instance and reads the answer frame (latency: frame sent -> answer "
    "checked)",
}
# What every scenario's process instances run through (the header says it once, beside them)
PROCESS_INSTANCES = (
    "a process variant's instance is exec'd by the C launcher, which confines it first (the "
    "sample account, the run's cgroup): its start includes that one exec"
)


@dataclass(frozen=True, slots=True)
class ScenarioPlan:
    scenarios: tuple[str, ...]
    seed: int
    # The defaults keep the main job (`isobench all`, scenarios included) within its 15 minutes
    # on a 2-core VM, where Docker's batches take most of the scenarios' time
    density_steps: tuple[int, ...] = (1, 10, 50)
    starts: int = 50  # per starter and batch
    requests: int = 200  # per batch
    repetitions: int = 2  # batches per variant, language, scenario and mode
    batch_time_limit_s: float = 10.0  # a batch also ends when this much time has passed
    timeout_s: float = 30.0  # one operation (a start, a request) that takes longer: timeout
    memory_reserve_bytes: int = 2 << 30  # density never goes below this much available memory

    def descriptions(self) -> dict[str, str]:
        """What each scenario of the plan measures (the results header's `scenarios`)."""
        return {name: f"{DESCRIPTIONS[name]}; {PROCESS_INSTANCES}" for name in self.scenarios}

    def record(self) -> dict[str, object]:
        """The plan as the results header's `scenario_plan` records it."""
        return {
            "seed": self.seed,
            "density_steps": list(self.density_steps),
            "starts_per_starter": self.starts,
            "requests": self.requests,
            "repetitions": self.repetitions,
            "batch_time_limit_s": self.batch_time_limit_s,
            "timeout_s": self.timeout_s,
            "memory_reserve_bytes": self.memory_reserve_bytes,
        }


@dataclass(frozen=True, slots=True)
class Subject:
    """One variant and language, and its artifacts of the scenario workloads."""

    variant: str
    language: str
    artifacts: dict[str, Artifact]  # by workload name


class NotOkError(Exception):
    """An operation's outcome other than ok, with why."""

    def __init__(self, status: Status, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


# -- memory -----------------------------------------------------------------------------------


def meminfo() -> dict[str, int]:
    values = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) * 1024
    return values


def host_used_bytes() -> int:
    info = meminfo()
    return info["MemTotal"] - info["MemAvailable"]


def available_bytes() -> int:
    return meminfo()["MemAvailable"]


def pss_bytes(pids: Sequence[int]) -> int:
    """The proportional set size of these processes: shared pages divided among their users."""
    total = 0
    for pid in dict.fromkeys(pids):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += psutil.Process(pid).memory_full_info().pss
    return total


# -- talking to instances ---------------------------------------------------------------------


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise NotOkError(Status.TIMEOUT, "no answer before the timeout")
    return left


def _read(instance: Instance, deadline: float) -> bytes:
    try:
        return instance.read(_remaining(deadline))
    except TimeoutError:
        raise NotOkError(Status.TIMEOUT, "no answer before the timeout") from None


class FrameReader:
    """Reads the answer frames of a serve-form instance ("COUNT\\n" then COUNT bytes)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.buffer = bytearray()

    def next_frame(self, deadline: float) -> bytes:
        while True:
            header, newline, rest = bytes(self.buffer).partition(b"\n")
            if newline:
                if not header.isdigit():
                    raise NotOkError(Status.WRONG_OUTPUT, f"not a frame header: {header[:40]!r}")
                if len(rest) >= int(header):
                    frame = rest[: int(header)]
                    del self.buffer[: len(header) + 1 + int(header)]
                    return frame
            chunk = _read(self.instance, deadline)
            if not chunk:
                raise NotOkError(Status.CRASHED, "the instance's output ended")
            self.buffer += chunk


def ask(reader: FrameReader, request: ServeRequest, deadline: float) -> None:
    """Send one request frame and check the answer frame."""
    reader.instance.send(Serve.frame(request.request))
    answer = reader.next_frame(deadline)
    if answer != request.response:
        raise NotOkError(
            Status.WRONG_OUTPUT,
            f"answer to {request.size.name!r} is not the expected one: {answer[:60]!r}",
        )


def finish(instance: Instance, deadline: float, expected_exit_code: int = 0) -> Ended:
    """Wait for the instance's exit (its input ended) and judge how it ended."""
    ended = _wait(instance, deadline)
    status, detail = judge_ending(_execution(ended), ended.stderr, expected_exit_code)
    if status is not Status.OK:
        raise NotOkError(status, detail)
    return ended


def one_shot(instance: Instance, size: Size, deadline: float) -> Ended:
    """Give a fresh instance the size's stdin, read all its output, judge it as a sample is
    judged (harness.judge); how it ended."""
    if size.stdin is not None:
        instance.send(size.stdin.read_bytes())
    instance.end_input()
    digest, head, written = hashlib.sha256(), b"", 0
    while chunk := _read(instance, deadline):  # hashed as it comes: the harness keeps none
        head, written = head or chunk, written + len(chunk)
        if written > OUTPUT_LIMIT_BYTES:
            raise NotOkError(Status.OUTPUT_LIMIT, f"wrote more than {OUTPUT_LIMIT_BYTES} bytes")
        digest.update(chunk)
    ended = _wait(instance, deadline)
    output = Output(digest.hexdigest(), Output.of(head).first_line)
    status, detail = judge(_execution(ended), output, ended.stderr, size)
    if status is not Status.OK:
        raise NotOkError(status, detail)
    return ended


def _wait(instance: Instance, deadline: float) -> Ended:
    try:
        return instance.wait(_remaining(deadline))
    except TimeoutError:
        raise NotOkError(Status.TIMEOUT, "did not exit before the timeout") from None


def _execution(ended: Ended) -> Execution:
    """What an instance's end says, as the judge reads it (no clock: a scenario times apart)."""
    return Execution(None, exit_code=ended.exit_code, crash=ended.crash)


def outcome_of(error: Exception) -> tuple[Status, str]:
    if isinstance(error, NotOkError):
        return error.status, error.detail
    return Status.ERROR, f"{type(error).__name__}: {error}"


# -- the scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Batch:
    scenario: str
    subject: Subject
    mode: str
    concurrency: int
    start_mode: str = ""  # an in-host variant's (StartModes); "" for processes and containers

    @property
    def artifact(self) -> Artifact:
        """What the batch starts: noop for the start rate, the serve workload otherwise."""
        workload = START_WORKLOAD if self.scenario == START_RATE else SERVE_WORKLOAD
        return self.subject.artifacts[workload]

    @property
    def label(self) -> str:
        starters = f" x{self.concurrency}" if self.concurrency > 1 else ""
        return (f"{self.scenario} {subject_of(self.subject.variant, self.start_mode)} "
                f"({self.subject.language}) {self.mode}{starters}")  # fmt: skip


class ScenarioRun:
    """Runs the batches of a scenario plan and writes their rows as they are measured."""

    def __init__(
        self,
        plan: ScenarioPlan,
        workloads: dict[str, Workload],
        *,
        open_target: Callable[[str], Target],
        writer: ResultsWriter,
        on_event: Callable[[str], None],
        mark: str,
        confinement: Confinement,
    ) -> None:
        self.plan = plan
        self.confinement = confinement  # what its process instances run as and in
        self.workloads = workloads
        self.open_target = open_target
        self.writer = writer
        self.on_event = on_event
        self.mark = mark
        self.rows: list[ScenarioSample] = []
        self.targets: dict[str, Target] = {}

    def batches(self, subjects: Sequence[Subject]) -> list[Batch]:
        """Each scenario's batches of each subject. An in-host variant with start modes starts
        its fresh instances (start rate, fresh-instance requests) in each mode; its density and
        long-lived instances in its first."""
        batches = []
        for subject in subjects:
            target = self.targets[subject.variant]
            modes = target.start_modes if isinstance(target, StartModes) else ("",)
            if DENSITY in self.plan.scenarios:
                batches.append(Batch(DENSITY, subject, IDLE, 1, modes[0]))
            for mode in modes:
                if START_RATE in self.plan.scenarios:
                    batches.append(Batch(START_RATE, subject, SEQUENTIAL, 1, mode))
                    batches.append(
                        Batch(START_RATE, subject, CONCURRENT, CONCURRENT_STARTERS, mode)
                    )
                if REQUESTS in self.plan.scenarios:
                    batches.append(Batch(REQUESTS, subject, FRESH, 1, mode))
            if REQUESTS in self.plan.scenarios:
                batches.append(Batch(REQUESTS, subject, LONG_LIVED, 1, modes[0]))
        return batches

    def run(self, subjects: Sequence[Subject]) -> list[ScenarioSample]:
        """Every batch, interleaved. The run opens targets of its own (one per variant, and one
        more per extra concurrent starter) and closes them at its end, warm hosts included."""
        rng = random.Random(self.plan.seed)
        try:
            for variant in dict.fromkeys(subject.variant for subject in subjects):
                self.targets[variant] = self.open_target(variant)
            batches = self.batches(subjects)
            runners = {DENSITY: self.density, START_RATE: self.start_rate,
                       REQUESTS: self.requests}  # fmt: skip
            for repetition in range(self.plan.repetitions):
                order = list(batches)
                rng.shuffle(order)
                for batch in order:
                    first = len(self.rows)
                    runners[batch.scenario](batch, repetition, random.Random(rng.random()))
                    done = self.rows[first:]
                    ok = sum(row.status is Status.OK for row in done)
                    self.on_event(f"{batch.label}, batch {repetition + 1}: {ok}/{len(done)} ok")
        finally:
            for target in self.targets.values():
                target.close()
        return self.rows

    def spawner(self, batch: Batch) -> Spawner:
        return _spawner(self.targets[batch.subject.variant], batch.start_mode)

    def record(self, batch: Batch, repetition: int, index: int, **values: object) -> None:
        artifact = batch.artifact
        row = ScenarioSample(
            scenario=batch.scenario,
            workload=artifact.workload,
            language=batch.subject.language,
            variant=batch.subject.variant,
            mode=batch.mode,
            concurrency=batch.concurrency,
            instances=1,
            repetition=repetition,
            index=index,
            status=Status.OK,
            start_offset_ns=None,
            latency_ns=None,
            arch=platform.machine(),
            emulated=runs_emulated(Path(artifact.path)),
            artifact_id=artifact.id,
            start_mode=batch.start_mode,
        )
        row = replace(row, **values)  # type: ignore[arg-type]
        self.writer.add(row)
        self.rows.append(row)

    # -- density ------------------------------------------------------------------------------

    def density(self, batch: Batch, repetition: int, rng: random.Random) -> None:
        per_instance = 0
        for step, count in enumerate(self.plan.density_steps):
            needed = per_instance * count + self.plan.memory_reserve_bytes
            if available_bytes() < needed:
                self.on_event(
                    f"{batch.label}: {count} instances would leave less than the reserve of "
                    f"{self.plan.memory_reserve_bytes >> 20} MiB available; stopping at "
                    f"{self.plan.density_steps[step - 1] if step else 0}"
                )
                return
            row = self.density_step(batch, repetition, step, count)
            if row.status is not Status.OK:
                return  # more instances would fail the same way
            if row.host_used_after_bytes and row.host_used_before_bytes is not None:
                grown = row.host_used_after_bytes - row.host_used_before_bytes
                per_instance = max(per_instance, grown // count)

    def density_step(self, batch: Batch, repetition: int, step: int, count: int) -> ScenarioSample:
        spawner = self.spawner(batch)
        artifact = batch.artifact
        serve = self._serve()
        first_request = serve.requests[0]
        instances: list[Instance] = []
        values: dict[str, object] = {"instances": count}
        try:
            shared = spawner.shared_processes(artifact, self.mark)
            values |= {"host_used_before_bytes": host_used_bytes(),
                       "pss_before_bytes": pss_bytes(shared)}  # fmt: skip
            started = time.perf_counter_ns()
            for number in range(count):
                self._check_reserve(number)
                instance = spawner.spawn(artifact, serve.args, self.mark, self.confinement)
                instances.append(instance)
                ask(FrameReader(instance), first_request, time.monotonic() + self.plan.timeout_s)
            values["latency_ns"] = time.perf_counter_ns() - started
            values["start_offset_ns"] = 0
            own = [pid for instance in instances for pid in instance.pids()]
            values |= {"host_used_after_bytes": host_used_bytes(),
                       "pss_after_bytes": pss_bytes([*shared, *own])}  # fmt: skip
            self.on_event(f"{batch.label}: {count} instances up")
            for instance in instances:
                instance.end_input()
            deadline = time.monotonic() + self.plan.timeout_s
            for instance in instances:
                finish(instance, deadline)
        except Exception as error:
            values["status"], values["detail"] = outcome_of(error)
        finally:
            for instance in instances:
                instance.stop()
        self.record(batch, repetition, step, **values)
        return self.rows[-1]

    # -- start rate ---------------------------------------------------------------------------

    def start_rate(self, batch: Batch, repetition: int, rng: random.Random) -> None:
        size = self.workloads[START_WORKLOAD].size(START_SIZE)
        artifact = batch.artifact

        def start(spawner: Spawner) -> Ended:
            instance = spawner.spawn(artifact, size.args, self.mark, self.confinement)
            try:
                return one_shot(instance, size, time.monotonic() + self.plan.timeout_s)
            finally:
                instance.stop()

        self.timed_operations(batch, repetition, [start] * self.plan.starts)

    # -- requests -----------------------------------------------------------------------------

    def requests(self, batch: Batch, repetition: int, rng: random.Random) -> None:
        serve = self._serve()
        artifact = batch.artifact
        chosen = [rng.choice(serve.requests) for _ in range(self.plan.requests)]
        if batch.mode == FRESH:

            def fresh(request: ServeRequest) -> Callable[[Spawner], Ended]:
                def operation(spawner: Spawner) -> Ended:
                    instance = spawner.spawn(
                        artifact, request.size.args, self.mark, self.confinement
                    )
                    try:
                        return one_shot(
                            instance, request.size, time.monotonic() + self.plan.timeout_s
                        )
                    finally:
                        instance.stop()

                return operation

            self.timed_operations(batch, repetition, [fresh(r) for r in chosen],
                                  names=[r.size.name for r in chosen])  # fmt: skip
            return
        try:
            instance = self.spawner(batch).spawn(artifact, serve.args, self.mark, self.confinement)
        except Exception as error:  # the instance never started: the batch's one row says why
            status, detail = outcome_of(error)
            self.record(batch, repetition, 0, status=status, detail=detail)
            return
        try:
            reader = FrameReader(instance)

            def long_lived(request: ServeRequest) -> Callable[[Spawner], Ended | None]:
                return lambda _: ask(reader, request, time.monotonic() + self.plan.timeout_s)

            failed = self.timed_operations(batch, repetition, [long_lived(r) for r in chosen],
                                           names=[r.size.name for r in chosen])  # fmt: skip
            if not failed:  # the instance must also end well when its input ends
                instance.end_input()
                try:
                    finish(instance, time.monotonic() + self.plan.timeout_s)
                except NotOkError as not_ok:
                    self.record(batch, repetition, len(chosen), status=not_ok.status,
                                detail=f"at the end of its input: {not_ok.detail}")  # fmt: skip
        finally:
            instance.stop()

    # -- shared -------------------------------------------------------------------------------

    def timed_operations(
        self,
        batch: Batch,
        repetition: int,
        operations: Sequence[Callable[[Spawner], Ended | None]],
        names: Sequence[str] = (),
    ) -> bool:
        """Runs the operations in order, shared among `batch.concurrency` starters (each with a
        target of its own, made ready before the clock starts), each timed and recorded (with
        an in-host instance's own start and run, as its host timed them, where an operation
        ends one); stops at the first failure or the batch's time limit. Returns whether one
        failed."""
        extra = [self.open_target(batch.subject.variant) for _ in range(batch.concurrency - 1)]
        try:
            spawners = [self.spawner(batch),
                        *(_spawner(target, batch.start_mode) for target in extra)]  # fmt: skip
            for spawner in spawners:
                spawner.shared_processes(batch.artifact, self.mark)  # a wasm host warms up
            return self._share(batch, repetition, spawners, list(enumerate(operations)), names)
        finally:
            for target in extra:
                target.close()

    def _share(
        self,
        batch: Batch,
        repetition: int,
        spawners: list[Spawner],
        queue: list[tuple[int, Callable[[Spawner], Ended | None]]],
        names: Sequence[str],
    ) -> bool:
        lock = threading.Lock()
        failed, stop = threading.Event(), threading.Event()
        limit_ns = self.plan.batch_time_limit_s * 1e9
        started = time.perf_counter_ns()

        def starter(spawner: Spawner) -> None:
            while not stop.is_set() and time.perf_counter_ns() - started < limit_ns:
                with lock:
                    if not queue:
                        return
                    index, operation = queue.pop(0)
                begun = time.perf_counter_ns()
                values: dict[str, object] = {"start_offset_ns": begun - started}
                try:
                    ended = operation(spawner)
                    values["latency_ns"] = time.perf_counter_ns() - begun
                    if ended is not None:
                        values["instance_start_ns"] = ended.start_ns
                        values["instance_run_ns"] = ended.run_ns
                except Exception as error:
                    values["status"], values["detail"] = outcome_of(error)
                    failed.set()
                    stop.set()
                if names:
                    values["request"] = names[index]
                with lock:
                    self.record(batch, repetition, index, **values)

        if len(spawners) == 1:
            starter(spawners[0])
            return failed.is_set()
        with ThreadPoolExecutor(len(spawners)) as pool:
            try:
                for future in [pool.submit(starter, spawner) for spawner in spawners]:
                    future.result()
            finally:
                stop.set()  # on an interrupt, the starters end after their current operation
        return failed.is_set()

    def _check_reserve(self, started: int) -> None:
        if available_bytes() < self.plan.memory_reserve_bytes:
            raise NotOkError(
                Status.ERROR,
                f"stopped after {started} instances: available memory below the reserve",
            )

    def _serve(self) -> Serve:
        serve = self.workloads[SERVE_WORKLOAD].serve
        if serve is None:
            raise NotOkError(Status.ERROR, f"workload {SERVE_WORKLOAD} has no [serve] table")
        return serve


def _spawner(target: Target, start_mode: str) -> Spawner:
    """What starts the target's instances (in `start_mode`, where it has start modes)."""
    if isinstance(target, StartModes) and start_mode:
        return target.in_start_mode(start_mode)
    if not isinstance(target, Spawner):
        raise NotOkError(Status.ERROR, f"variant {target.name} cannot start long-lived instances")
    return target


# -- leaving nothing behind -------------------------------------------------------------------


def sweep(marks: Callable[[str], bool], targets: Sequence[Target]) -> int:
    """Kill every process and remove every container and temporary folder whose mark passes
    `marks`; how many were found."""
    found = 0
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            mark = process.environ().get(MARK)
            if mark is not None and marks(mark):
                found += 1
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
    for folder in Path(tempfile.gettempdir()).glob(f"{MARKED_FOLDER_PREFIX}*"):
        if marks(folder.name.removeprefix(MARKED_FOLDER_PREFIX).rsplit("-", 1)[0]):
            found += 1
            shutil.rmtree(folder, ignore_errors=True)
    for target in targets:  # two variants on one Engine: the second finds none
        found += target.remove_marked(marks)
    return found


@contextlib.contextmanager
def swept(targets: Sequence[Target], mark: str, on_event: Callable[[str], None]) -> Iterator[None]:
    """Clears what dead runs left, then, whatever happens inside, what this run left."""
    stale = sweep(mark_is_stale, targets)
    if stale:
        on_event(f"removed {stale} processes, containers or folders left by an earlier run")
    try:
        yield
    finally:
        left = sweep(lambda found: found == mark, targets)
        if left:
            on_event(f"stopped {left} processes, containers or folders this run had left")
