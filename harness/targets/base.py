"""The Target protocol: one module per variant (native, docker, wasmtime, ...).

A target knows two things: how to package a compiled binary into the artifact it runs
(`package`, during `isobench build`), and how to take one sample of it (`run`). Everything
else (output checks, statuses, memory groups, interleaving, files) belongs to the measure loop,
so adding a variant means adding one module and one line in `harness.targets.TARGETS`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

import psutil

from harness.cache import Artifact, BuildCache
from harness.cgroups import SampleCgroup
from harness.confine import PIDS_PER_INSTANCE, SampleAccount
from harness.toolchains import Binary, Check
from harness.workloads import INPUT_PLACEHOLDER, OUTPUT_PLACEHOLDER

# The states a sample can be taken in; each target says which it supports and what they mean.
COLD = "cold"
WARM = "warm"


# Where a container or a wasm instance sees the sample's input and output folders.
GUEST_INPUT_DIR = "/input"
GUEST_OUTPUT_DIR = "/output"


@dataclass(frozen=True, slots=True)
class Invocation:
    """One sample to take. Everything is prepared before the target starts its clock."""

    artifact: Artifact  # the variant's own artifact (executable, image, AOT module)
    args: tuple[str, ...]
    stdout_path: Path  # the instance's stdout goes to this file, for every variant
    stderr_path: Path
    timeout_s: float
    cgroup: SampleCgroup | None  # place the instance here, so its peak memory can be read
    memory_limit_bytes: int | None = None  # the instance is stopped past this much memory
    state: str = WARM  # one of the target's `states`
    stdin_path: Path | None = None  # the instance's stdin; empty when None
    input_dir: Path | None = None  # read-only for the instance
    output_dir: Path | None = None  # fresh and writable
    # An in-host target runs this (the variant's noop) in its host before the clock, so that
    # the measured instance starts in a host that has just run one (see measure.take_sample)
    primer: Artifact | None = None
    # The CPUs the measure loop runs on (None: not pinned). Processes inherit them from the
    # harness; a target whose instances are started by someone else (a container engine) asks
    # for them.
    cpus: tuple[int, ...] | None = None
    # Who a process variant runs the instance as (None: the harness's own user, not root)
    account: SampleAccount | None = None

    def resolved_args(
        self, input_path: str = GUEST_INPUT_DIR, output_path: str = GUEST_OUTPUT_DIR
    ) -> list[str]:
        """The args with {input} and {output} replaced by where the instance sees the folders
        (by default, where a container or wasm instance sees them)."""
        return [
            arg.replace(INPUT_PLACEHOLDER, input_path).replace(OUTPUT_PLACEHOLDER, output_path)
            for arg in self.args
        ]


@dataclass(frozen=True, slots=True)
class Execution:
    """What a target observed; the measure loop turns it into a Sample with a status."""

    wall_ns: int | None  # what the target's `states[state]` says; None when nothing ran
    phases_ns: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None
    crash: str = ""  # a signal or trap; empty when the instance exited on its own
    timed_out: bool = False
    in_cgroup: bool = False  # True only if the instance really ran inside `Invocation.cgroup`
    linear_memory_bytes: int | None = None  # wasm only: the instance's linear memory at exit
    error: str = ""  # the harness could not take the sample (not the workload's fault)
    out_of_memory: bool = False  # stopped at the memory limit
    output_limited: bool = False  # stopped for writing past harness.confine.OUTPUT_LIMIT_BYTES
    unavailable: bool = False  # the engine behind the variant could not be reached
    # The instance's own CPU time, user + system (what the target's `cpu_scope` says)
    cpu_ns: int | None = None
    # Peak resident memory by a second method (rusage maxrss, VmHWM): `rss_scope` says of what
    rss_peak_bytes: int | None = None
    # What was charged to the memory group when the instance started, its peak counted above it
    # (an in-host instance's host process, at home in the group: its charges are not the peak)
    charged_before_bytes: int = 0


class Target(Protocol):
    name: ClassVar[str]  # the variant name written in every sample
    binary: ClassVar[Binary]  # which compiled binary `package` takes
    # The kind of artifact `package` makes, and what a reader calls it (a report's column)
    artifact_kind: ClassVar[str]
    artifact_caption: ClassVar[str]
    # Whether this host runs its artifact of a cross build (for another CPU): under qemu
    # (binfmt), a whole static executable, alone or in its image; a runtime for this host
    # cannot load code compiled for another CPU, and a .wasm it ran would measure this host
    runs_emulated: ClassVar[bool]
    # state -> what `wall_ns` spans in that state, in words, written in the results header
    states: ClassVar[dict[str, str]]
    phases: ClassVar[tuple[str, ...]]  # the phases recorded in `phases_ns`, in order
    # state -> the phases whose sum is `wall_ns` in that state (the others are recorded apart)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]]
    memory_scope: ClassVar[str]  # what the sample's memory cgroup holds while it runs
    instance: ClassVar[str]  # PROCESS, CONTAINER or IN_HOST: what one instance is
    cpu_scope: ClassVar[str]  # whose CPU time `Execution.cpu_*_ns` is
    rss_scope: ClassVar[str]  # what `Execution.rss_peak_bytes` is the peak of ("" if none)
    cold_evicts: ClassVar[str]  # what the cold state evicts from the page cache, in words

    @classmethod
    def open(cls, cache: BuildCache) -> Target:
        """Connect to the engine behind the variant, or raise IsobenchError saying how to."""
        ...

    @staticmethod
    def probe() -> list[Check]:
        """`isobench doctor` lines for the engine behind this variant."""
        ...

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        """The artifact this variant runs, made from `binary`; True when it had to be built.
        `arch`: the architecture it is for, when not this host's (a cross build); a variant
        that cannot package for it raises IsobenchError saying why."""
        ...

    def run(self, invocation: Invocation) -> Execution: ...

    def cold_files(self, artifact: Artifact) -> list[Path]:
        """The files a cold sample of `artifact` starts without in the page cache (the measure
        loop evicts them before the clock, then checks they are gone)."""
        ...

    def settings(self) -> dict[str, str]:
        """What the engine is told, for the results header: every setting that changes the
        generated code or the instance (compiler level, interruption, sandbox, flags)."""
        ...

    def versions(self) -> dict[str, str]:
        """Versions of the engine behind this variant, for the results header."""
        ...

    def host_costs(self) -> dict[str, object]:
        """What the host pays per running instance beyond the instance's own memory group
        (measured once per run, for the results header; empty when nothing applies)."""
        ...

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        """Remove what instances whose mark passes `marks` left outside processes and folders
        (containers); how many. Processes and folders are the scenarios' sweep's own."""
        ...

    def close(self) -> None: ...


def probe_failure(name: str, error: Exception, install: str) -> Check:
    return Check(
        name, False, str(error).splitlines()[0] if str(error) else type(error).__name__, install
    )


# -- long-lived instances, for the scenarios (density, start rate, requests) -----------------

# Set in the environment of every process a scenario starts and on the labels of every
# container isobench creates, with a run's mark as value: what is swept away after a scenario
# or at the next start, even when a run was interrupted before it could note what it started.
MARK = "ISOBENCH_SCENARIO"
# A temporary folder a scenario's instances need is named this, then the run's mark, then a
# random suffix (tempfile.mkdtemp), so that the sweep finds it by its mark.
MARKED_FOLDER_PREFIX = "isobench-scenario-"


def new_mark() -> str:
    """A run's mark: the harness's pid first, so a later run can tell a dead run's leftovers."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def mark_is_stale(mark: str) -> bool:
    """A mark of an isobench process that is gone (a killed or crashed run)."""
    owner = mark.split("-", 1)[0]
    return owner.isdigit() and not psutil.pid_exists(int(owner))


@dataclass(frozen=True, slots=True)
class Confinement:
    """What a scenario's instances run as and in: the sample account (None: the harness's own
    user) and the run's group holding their memory and pids limits (None: no cgroups)."""

    account: SampleAccount | None = None
    cgroup: SampleCgroup | None = None
    tasks: int = PIDS_PER_INSTANCE  # the account's RLIMIT_NPROC where no group limits tasks
    memory_limit_bytes: int | None = None  # an instance's RLIMIT_DATA where there is no group


@dataclass(frozen=True, slots=True)
class Ended:
    """How an instance ended: its exit code, or the signal or trap that ended it."""

    exit_code: int | None
    crash: str = ""
    stderr: bytes = b""
    # An in-host instance's own start (WASI context, Store, instantiation) and run (its entry
    # to its return, then its release), as its host timed them; None where the instance is a
    # process or container, whose start the harness alone sees
    start_ns: int | None = None
    run_ns: int | None = None


class Instance(Protocol):
    """A running instance whose stdin the harness writes and whose stdout it reads."""

    def send(self, data: bytes) -> None: ...

    def end_input(self) -> None:
        """Close the instance's stdin: it sees the end of its input."""
        ...

    def read(self, timeout_s: float) -> bytes:
        """The next bytes of its stdout (b"" at its end); TimeoutError past `timeout_s`."""
        ...

    def wait(self, timeout_s: float) -> Ended:
        """Wait for it to exit; TimeoutError past `timeout_s`."""
        ...

    def pids(self) -> list[int]:
        """The host processes that exist for this instance alone (the program, a container's
        init and shim); empty for an instance inside a shared host process."""
        ...

    def stop(self) -> None:
        """Kill it if it still runs and release everything it holds; safe to call twice."""
        ...


@runtime_checkable
class Spawner(Protocol):
    """A target that can start long-lived instances (not every variant can)."""

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> Instance:
        """Start an instance of `artifact` with `args`, marked with `mark` (see MARK); a process
        runs confined as `confinement` says (other instances have their engine's own)."""
        ...

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        """The host processes every instance of `artifact` relies on (daemons, a wasm host
        holding the loaded module), made ready if they are not: their memory is part of what
        the host pays for its instances."""
        ...


@runtime_checkable
class OnOciRuntime(Protocol):
    """A container variant whose containers a named OCI runtime starts (runc, crun): under a
    daemon or alone, the runtime is the floor its startup stands on."""

    oci_runtime: ClassVar[str]


@runtime_checkable
class StartModes(Protocol):
    """A Spawner whose instances can start in more than one way (the in-host wasm variant: its
    module kept, prelinked, pooled), each a mode of the scenarios that start instances."""

    start_modes: ClassVar[tuple[str, ...]]  # the first is how spawn() starts them

    def in_start_mode(self, start_mode: str) -> Spawner:
        """A Spawner whose instances start in `start_mode`, sharing this target's host."""
        ...
