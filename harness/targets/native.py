"""native: the static executable, spawned without a shell from a tiny C launcher."""

from __future__ import annotations

import os
import subprocess
from importlib import resources
from pathlib import Path
from typing import ClassVar

from harness.build import COMPILE_PROCEDURE
from harness.cache import Artifact, BuildCache, artifact_id
from harness.errors import IsobenchError
from harness.targets.base import WARM, Execution, Invocation
from harness.toolchains import C_FLAGS, Binary, Check, Compiler, find_compiler
from harness.workloads import Language, sha256_bytes, sha256_file

LAUNCHER_FLAGS = ("-static",)


def build_launcher(compiler: Compiler, cache: BuildCache) -> tuple[Artifact, bool]:
    """Compile `launcher.c` (content-addressed like every artifact)."""
    source = resources.files("harness").joinpath("launcher.c").read_bytes()
    flags = [*C_FLAGS, *LAUNCHER_FLAGS]
    recipe = {
        "source_sha256": sha256_bytes(source),
        "compiler": compiler.version,
        "flags": flags,
        "procedure": COMPILE_PROCEDURE,
    }
    ident = artifact_id("launcher", recipe)
    cached = cache.lookup("launcher", ident)
    if cached is not None:
        return cached, False
    directory = cache.fresh_directory("launcher", ident)
    source_path = directory / "launcher.c"
    source_path.write_bytes(source)
    output = directory / "isobench-launch"
    argv = [compiler.executable, *flags, source_path.name, "-o", str(output)]
    completed = subprocess.run(argv, cwd=directory, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise IsobenchError(f"could not compile the native launcher: {completed.stderr.strip()}")
    artifact = Artifact(
        id=ident,
        kind="launcher",
        workload="",
        language=Language.C.value,
        profile="",
        path=str(output),
        sha256=sha256_file(output),
        size_bytes=output.stat().st_size,
        recipe={**recipe, "argv": argv},
    )
    return cache.store(artifact), True


def parse_report(line: str) -> dict[str, int]:
    """`wall_ns=1 exit_code=0 ...` -> {"wall_ns": 1, "exit_code": 0, ...}."""
    return {key: int(value) for key, value in (item.split("=", 1) for item in line.split())}


class NativeTarget:
    name: ClassVar[str] = "native"
    binary: ClassVar[Binary] = Binary.NATIVE
    states: ClassVar[dict[str, str]] = {
        WARM: "posix_spawn -> wait4 of the static executable (in the page cache), timed with "
        "CLOCK_MONOTONIC inside a tiny C launcher (no shell, no Python in the timed region)",
    }
    phases: ClassVar[tuple[str, ...]] = ("spawn_to_exit",)
    memory_scope: ClassVar[str] = "the launcher and the program it spawns, from spawn to exit"

    def __init__(self, launcher: Artifact) -> None:
        self.launcher_artifact = launcher
        self.launcher = Path(launcher.path)

    @classmethod
    def open(cls, cache: BuildCache) -> NativeTarget:
        launcher, _ = build_launcher(find_compiler(Language.C), cache)
        return cls(launcher)

    @staticmethod
    def probe() -> list[Check]:
        return []  # needs only clang and static glibc, which the compiler checks cover

    def package(self, binary: Artifact, cache: BuildCache) -> tuple[Artifact, bool]:
        return binary, False  # the variant runs the compiled executable itself

    def run(self, invocation: Invocation) -> Execution:
        cgroup = str(invocation.cgroup.procs_path) if invocation.cgroup else "-"
        argv = [
            str(self.launcher),
            cgroup,
            str(round(invocation.timeout_s * 1000)),
            str(invocation.stdin_path or "/dev/null"),
            str(invocation.stdout_path),
            str(invocation.stderr_path),
            invocation.artifact.path,
            *invocation.resolved_args(guest_paths=False),
        ]
        # The launcher enforces the timeout itself; this one only guards against the launcher.
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            timeout=invocation.timeout_s + 30,
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
        )

    def versions(self) -> dict[str, str]:
        return {
            "kernel": os.uname().release,
            "native_launcher_sha256": self.launcher_artifact.sha256,
            "native_launcher_compiler": self.launcher_artifact.recipe["compiler"],
        }

    def close(self) -> None:
        pass
