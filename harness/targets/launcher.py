"""The C launcher (harness/launcher.c) that starts every process variant: posix_spawn -> wait4,
timed in C, in the sample's memory group, with its files and timeout; the program's own CPU
time and peak RSS from wait4's rusage. native runs its executable through it; node and the
wasmtime CLIs run their runtime's process through it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.build import build_helper
from harness.cache import Artifact, BuildCache
from harness.targets.base import Execution, Invocation
from harness.toolchains import find_compiler
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
