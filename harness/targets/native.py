"""native: the static executable, spawned without a shell from a tiny C launcher."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from harness.build import build_helper
from harness.cache import Artifact, BuildCache
from harness.scopes import PROCESS
from harness.targets.base import COLD, WARM, Execution, Instance, Invocation
from harness.targets.instances import ProcessInstance
from harness.toolchains import Binary, Check, find_compiler
from harness.workloads import Language


def parse_report(line: str) -> dict[str, int]:
    """`wall_ns=1 exit_code=0 ...` -> {"wall_ns": 1, "exit_code": 0, ...}."""
    return {key: int(value) for key, value in (item.split("=", 1) for item in line.split())}


def open_launcher(cache: BuildCache) -> Artifact:
    launcher, _ = build_helper("launcher.c", "isobench-launch", find_compiler(Language.C), cache)
    return launcher


def launch(launcher: Path, invocation: Invocation, argv: list[str]) -> Execution:
    """Run `argv` (a program and its arguments) through the C launcher: posix_spawn -> wait4
    timed in C, in the sample's memory cgroup, with its stdin/stdout/stderr files and timeout.
    Its CPU time and peak RSS come from wait4's rusage: the program's own (and its waited-for
    children's), never the launcher's or the harness's."""
    cgroup = str(invocation.cgroup.procs_path) if invocation.cgroup else "-"
    command = [
        str(launcher),
        cgroup,
        str(round(invocation.timeout_s * 1000)),
        str(invocation.stdin_path or "/dev/null"),
        str(invocation.stdout_path),
        str(invocation.stderr_path),
        *argv,
    ]
    # The launcher enforces the timeout itself; this one only guards against the launcher.
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=invocation.timeout_s + 30
    )
    if completed.returncode != 0:
        return Execution(None, error=f"launcher: {completed.stderr.strip()}")
    report = parse_report(completed.stdout)
    signal_number = report["signal"]
    return Execution(
        wall_ns=None if report["timed_out"] else report["wall_ns"],
        phases_ns={"spawn_to_exit": report["wall_ns"]},
        exit_code=None if signal_number else report["exit_code"],
        crash=f"signal {signal_number}" if signal_number and not report["timed_out"] else "",
        timed_out=bool(report["timed_out"]),
        in_cgroup=invocation.cgroup is not None,
        cpu_ns=(report["user_us"] + report["sys_us"]) * 1000,
        rss_peak_bytes=report["maxrss_kb"] * 1024,
    )


# What the launcher's figures are, for every variant it runs as a process.
LAUNCHED_CPU_SCOPE = (
    "user + system CPU time of the process and the children it waited for (wait4's rusage, "
    "read by the launcher)"
)
LAUNCHED_RSS_SCOPE = "the process's peak resident set (wait4's ru_maxrss)"


class NativeTarget:
    name: ClassVar[str] = "native"
    binary: ClassVar[Binary] = Binary.NATIVE
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
        return launch(
            self.launcher,
            invocation,
            [invocation.artifact.path, *invocation.resolved_args(guest_paths=False)],
        )

    def cold_files(self, artifact: Artifact) -> list[Path]:
        return [Path(artifact.path)]

    def settings(self) -> dict[str, str]:
        return {"process_group": "the program leads its own process group (killed at timeout)"}

    def spawn(self, artifact: Artifact, args: Sequence[str], mark: str) -> Instance:
        return ProcessInstance([artifact.path, *args], mark)

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

    def close(self) -> None:
        pass
