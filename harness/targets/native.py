"""native: the static executable, spawned without a shell from a tiny C launcher
(harness.targets.launcher)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

from harness.cache import Artifact, BuildCache
from harness.scopes import PROCESS
from harness.targets.base import COLD, WARM, Confinement, Execution, Instance, Invocation
from harness.targets.launcher import (
    LAUNCHED_CPU_SCOPE,
    LAUNCHED_RSS_SCOPE,
    Handover,
    launch,
    launched_instance,
    open_launcher,
)
from harness.toolchains import Binary, Check


class NativeTarget:
    name: ClassVar[str] = "native"
    binary: ClassVar[Binary] = Binary.NATIVE
    artifact_kind: ClassVar[str] = Binary.NATIVE.value  # the compiled executable itself
    artifact_caption: ClassVar[str] = Binary.NATIVE.caption
    runs_emulated: ClassVar[bool] = True
    states: ClassVar[dict[str, str]] = {
        COLD: "posix_spawn -> wait4 (the process reaped: exited and unmapped) of the static "
        "executable after its pages were evicted from the page cache (before the clock): the "
        "spawn reads it from disk",
        WARM: "posix_spawn -> wait4 (the process reaped: exited and unmapped) of the static "
        "executable (in the page cache), timed with CLOCK_MONOTONIC inside a tiny C launcher "
        "(no shell, no Python in the timed region)",
    }
    phases: ClassVar[tuple[str, ...]] = ("spawn_to_exit",)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {COLD: phases, WARM: phases}
    memory_scope: ClassVar[str] = "the launcher and the program it spawns, from spawn to exit"
    instance: ClassVar[str] = PROCESS
    cpu_scope: ClassVar[str] = LAUNCHED_CPU_SCOPE
    rss_scope: ClassVar[str] = LAUNCHED_RSS_SCOPE
    cold_evicts: ClassVar[str] = "the executable"

    def __init__(self, launcher: Artifact) -> None:
        self.launcher_artifact = launcher
        self.launcher = Path(launcher.path)

    @classmethod
    def open(cls, cache: BuildCache) -> NativeTarget:
        return cls(open_launcher(cache))

    @staticmethod
    def probe() -> list[Check]:
        return []  # needs only clang and static glibc, which the compiler checks cover

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        return binary, False  # the variant runs the compiled executable itself

    def run(self, invocation: Invocation) -> Execution:
        handover = Handover()
        program = handover.hand(invocation.artifact.path)
        input_path, output_path = handover.folders(invocation)
        args = invocation.resolved_args(input_path or "", output_path or "")
        return launch(self.launcher, invocation, [program, *args], handover)

    def cold_files(self, artifact: Artifact) -> list[Path]:
        return [Path(artifact.path)]

    def settings(self) -> dict[str, str]:
        return {
            "process_group": "the program leads its own process group (killed at timeout)",
            "executable": "handed to the program by the launcher as /proc/self/fd/3 (its "
            "folders as the next fds): the sample account needs no right to the build cache",
        }

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> Instance:
        handover = Handover()
        program = handover.hand(artifact.path)
        return launched_instance(self.launcher, [program, *args], handover, mark, confinement)

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        return []  # the program alone

    def versions(self) -> dict[str, str]:
        return {
            "kernel": os.uname().release,
            "native_launcher_sha256": self.launcher_artifact.sha256,
            "native_launcher_compiler": self.launcher_artifact.recipe["compiler"],
        }

    def host_costs(self) -> dict[str, object]:
        return {}  # nothing outside the sample's memory group

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        return 0  # its instances are processes: nothing is left outside them

    def close(self) -> None:
        pass
