"""A fake Target for the statistics, measure-loop and summary tests: scripted, exact, instant."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from harness.cache import Artifact, BuildCache
from harness.cgroups import MemoryCgroups, SampleCgroup
from harness.scopes import PROCESS
from harness.targets import Execution, Invocation
from harness.targets.base import Confinement, Ended
from harness.toolchains import Binary, Check
from harness.workloads import Serve


class FakeTarget:
    """Replays scripted executions; writes the scripted stdout where the real ones would."""

    name: ClassVar[str] = "fake"
    binary: ClassVar[Binary] = Binary.NATIVE
    artifact_kind: ClassVar[str] = Binary.NATIVE.value
    artifact_caption: ClassVar[str] = Binary.NATIVE.caption
    runs_emulated: ClassVar[bool] = False
    states: ClassVar[dict[str, str]] = {"warm": "scripted"}
    phases: ClassVar[tuple[str, ...]] = ("all",)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {"warm": ("all",)}
    memory_scope: ClassVar[str] = "none"
    instance: ClassVar[str] = PROCESS
    cpu_scope: ClassVar[str] = "none"
    rss_scope: ClassVar[str] = ""
    cold_evicts: ClassVar[str] = "its cold_files"

    def __init__(
        self, script: list[tuple[Execution, bytes]], cold_files: Sequence[Path] = ()
    ) -> None:
        self._script: Iterator[tuple[Execution, bytes]] = iter(script)
        self.invocations: list[Invocation] = []
        self._cold_files = list(cold_files)

    @classmethod
    def open(cls, cache: BuildCache) -> FakeTarget:
        return cls([])

    @staticmethod
    def probe() -> list[Check]:
        return [Check("fake", True, "scripted")]

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        return binary, False

    def run(self, invocation: Invocation) -> Execution:
        self.invocations.append(invocation)
        execution, stdout = next(self._script)
        invocation.stdout_path.write_bytes(stdout)
        return execution

    def cold_files(self, artifact: Artifact) -> list[Path]:
        return self._cold_files

    def settings(self) -> dict[str, str]:
        return {"script": "replayed"}

    def versions(self) -> dict[str, str]:
        return {"fake": "1"}

    def host_costs(self) -> dict[str, object]:
        return {}

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        return 0

    def close(self) -> None:
        pass


def ok(wall_ns: int) -> Execution:
    return Execution(wall_ns, {"all": wall_ns}, exit_code=0)


class FakeInstance:
    """Answers like the real workloads would, in-process: framed requests when started with
    the serve form's args, otherwise the one-shot output of the size whose stdin it was given.
    `wrong` makes it answer garbage."""

    def __init__(
        self,
        serve: Serve,
        args: Sequence[str],
        *,
        wrong: bool = False,
        host_times_ns: tuple[int, int] | None = None,
    ) -> None:
        self.serve = serve
        self.serving = tuple(args) == serve.args
        self.wrong = wrong
        self.host_times_ns = host_times_ns  # (start, run), as an in-host instance's host says
        self.input = bytearray()
        self.output = bytearray()
        self.ended = False
        self.stopped = False

    def send(self, data: bytes) -> None:
        self.input += data
        while self.serving:
            header, newline, rest = bytes(self.input).partition(b"\n")
            if not newline or len(rest) < int(header):
                return
            request = rest[: int(header)]
            del self.input[: len(header) + 1 + int(header)]
            answer = next(r.response for r in self.serve.requests if r.request == request)
            self.output += Serve.frame(b"garbage\n" if self.wrong else answer)

    def end_input(self) -> None:
        self.ended = True
        if not self.serving:  # the one-shot program answers at the end of its input
            matching = [r for r in self.serve.requests if r.request == bytes(self.input)]
            answer = matching[0].size.expected_stdout_path if matching else None
            self.output += b"garbage" if self.wrong else answer.read_bytes() if answer else b""
            self.exit_code = matching[0].size.expected_exit_code if matching else 0

    def read(self, timeout_s: float) -> bytes:
        data, self.output = bytes(self.output), bytearray()
        if not data and not self.ended:
            raise TimeoutError
        return data

    def wait(self, timeout_s: float) -> Ended:
        if not self.ended:
            raise TimeoutError
        return Ended(getattr(self, "exit_code", 0), "", b"", *(self.host_times_ns or (None, None)))

    def pids(self) -> list[int]:
        return []

    def stop(self) -> None:
        self.stopped = True


class FakeSpawner(FakeTarget):
    """A Target that can start FakeInstances; the `wrong_from`-th instance on answers wrongly."""

    def __init__(self, serve: Serve, wrong_from: int | None = None) -> None:
        super().__init__([])
        self.serve = serve
        self.wrong_from = wrong_from
        self.instances: list[FakeInstance] = []
        self.closed = False

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> FakeInstance:
        wrong = self.wrong_from is not None and len(self.instances) >= self.wrong_from
        self.instances.append(FakeInstance(self.serve, args, wrong=wrong))
        return self.instances[-1]

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        return []

    def close(self) -> None:
        self.closed = True


class FakeHostSpawner(FakeSpawner):
    """A FakeSpawner whose instances live in a host that times them, in two start modes: each
    instance's host says it started in `start_ns` and ran in `run_ns`."""

    start_modes: ClassVar[tuple[str, ...]] = ("kept", "pooled")
    start_ns, run_ns = 1_000, 2_000

    def __init__(self, serve: Serve) -> None:
        super().__init__(serve)
        self.modes: list[str] = []  # the start mode of each instance, in order

    def in_start_mode(self, start_mode: str) -> FakeModeSpawner:
        return FakeModeSpawner(self, start_mode)

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> FakeInstance:
        return self.in_start_mode(self.start_modes[0]).spawn(artifact, args, mark, confinement)


@dataclass(frozen=True, slots=True)
class FakeModeSpawner:
    host: FakeHostSpawner
    start_mode: str

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> FakeInstance:
        self.host.modes.append(self.start_mode)
        times = (self.host.start_ns, self.host.run_ns)
        self.host.instances.append(FakeInstance(self.host.serve, args, host_times_ns=times))
        return self.host.instances[-1]

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        return []


class SubprocessTarget(FakeTarget):
    """A throwaway variant, registered only in tests: the native executable run by Python's
    subprocess, timed around it. Real output, real exit codes; figures for no claim."""

    name: ClassVar[str] = "subprocess"
    states: ClassVar[dict[str, str]] = {"warm": "subprocess.run, timed around it by Python"}
    phases: ClassVar[tuple[str, ...]] = ("run",)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {"warm": ("run",)}

    @classmethod
    def open(cls, cache: BuildCache) -> SubprocessTarget:
        return cls([])

    def run(self, invocation: Invocation) -> Execution:
        self.invocations.append(invocation)
        stdin = invocation.stdin_path or Path("/dev/null")
        with (
            stdin.open("rb") as source,
            invocation.stdout_path.open("wb") as stdout,
            invocation.stderr_path.open("wb") as stderr,
        ):
            started = time.perf_counter_ns()
            completed = subprocess.run(
                [invocation.artifact.path,
                 *invocation.resolved_args(str(invocation.input_dir), str(invocation.output_dir))],
                stdin=source, stdout=stdout, stderr=stderr, check=False,
                timeout=invocation.timeout_s,
            )  # fmt: skip
            wall_ns = time.perf_counter_ns() - started
        return Execution(wall_ns, {"run": wall_ns}, exit_code=completed.returncode)


class OldKernelCgroups(MemoryCgroups):
    """A cgroup v2 tree as a kernel before 5.19 keeps it, in a plain folder: each group has its
    limit, events, processes and usage, and no memory.peak."""

    def new_sample(self, limit_bytes: int | None = None, tasks: int | None = None) -> SampleCgroup:
        cgroup = super().new_sample(limit_bytes, tasks)
        for name, text in (("memory.events", "oom 0\noom_kill 0\n"), ("cgroup.procs", ""),
                           ("memory.current", "0\n")):  # fmt: skip
            (cgroup.path / name).write_text(text)
        return cgroup
