"""The C launcher (harness/launcher.c) that starts every process variant: posix_spawn -> wait4,
timed in C, in the sample's cgroups, as the sample account, with its files and timeout; the
program's own CPU time and peak RSS from wait4's rusage. native runs its executable through it;
node and the wasmtime CLIs run their runtime's process through it; a scenario's long-lived
process instances are exec'd by it (`-x`), confined the same way."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from harness.build import build_helper
from harness.cache import Artifact, BuildCache
from harness.cgroups import SampleCgroup
from harness.confine import (
    OUTPUT_LIMIT_BYTES,
    PIDS_PER_INSTANCE,
    SAMPLE_ENVIRONMENT,
    SampleAccount,
)
from harness.targets.base import MARK, Confinement, Execution, Invocation
from harness.targets.instances import ProcessInstance
from harness.toolchains import find_compiler
from harness.workloads import Language

FIRST_HANDED_FD = 3  # launcher.c's FIRST_HANDED_FD


def parse_report(line: str) -> dict[str, int]:
    """`wall_ns=1 exit_code=0 ...` -> {"wall_ns": 1, "exit_code": 0, ...}."""
    return {key: int(value) for key, value in (item.split("=", 1) for item in line.split())}


def open_launcher(cache: BuildCache) -> Artifact:
    launcher, _ = build_helper("launcher.c", "isobench-launch", find_compiler(Language.C), cache)
    return launcher


class Handover:
    """The files and folders a program is handed: the launcher opens each (O_PATH) with the
    harness's rights, before it switches to the sample account, and the program gets them as
    fds 3, 4, ..., reached as /proc/self/fd/N. The sample account then needs no right to the
    folders around them: the build cache stays private, the scratch space too."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def hand(self, path: Path | str) -> str:
        """Where the program reaches `path`."""
        self.paths.append(str(path))
        return f"/proc/self/fd/{FIRST_HANDED_FD + len(self.paths) - 1}"

    def folders(self, invocation: Invocation) -> tuple[str | None, str | None]:
        """Where the program reaches the sample's input and output folders (None: none)."""
        input_dir, output_dir = invocation.input_dir, invocation.output_dir
        return (
            self.hand(input_dir) if input_dir is not None else None,
            self.hand(output_dir) if output_dir is not None else None,
        )

    def flags(self) -> list[str]:
        return [flag for path in self.paths for flag in ("-f", path)]


def confining_flags(
    account: SampleAccount | None,
    cgroup: SampleCgroup | None,
    tasks: int,
    memory_limit_bytes: int | None,
) -> list[str]:
    """The launcher's flags that confine a program: its cgroups (their memory and pids limits),
    the sample account; where no group holds a limit, rlimits: the account's RLIMIT_NPROC (a
    harness that is not root has no account of its own to count), RLIMIT_DATA; and what it
    may write to its stdout or a file (RLIMIT_FSIZE)."""
    flags = [flag for path in (cgroup.procs_paths if cgroup else ()) for flag in ("-c", str(path))]
    if account is not None:
        flags += ["-u", account.launcher_flag]
        if cgroup is None or not cgroup.limits_pids:
            flags += ["-n", str(tasks)]
    if cgroup is None and memory_limit_bytes is not None:
        flags += ["-m", str(memory_limit_bytes)]
    return [*flags, "-l", str(OUTPUT_LIMIT_BYTES)]


def launch(
    launcher: Path, invocation: Invocation, argv: Sequence[str], handover: Handover
) -> Execution:
    """Run `argv` (a program and its arguments; the program reached through `handover`) through
    the C launcher: posix_spawn -> wait4 timed in C, in the sample's cgroups, as the sample
    account, with its stdin/stdout/stderr files and timeout. Its CPU time and peak RSS come
    from wait4's rusage: the program's own (and its waited-for children's), never the
    launcher's or the harness's."""
    command = [
        str(launcher),
        *confining_flags(invocation.account, invocation.cgroup, PIDS_PER_INSTANCE,
                         invocation.memory_limit_bytes),
        *handover.flags(),
        "-t", str(round(invocation.timeout_s * 1000)),
        "-i", str(invocation.stdin_path or "/dev/null"),
        "-o", str(invocation.stdout_path),
        "-e", str(invocation.stderr_path),
        *argv,
    ]  # fmt: skip
    # The launcher enforces the timeout itself; this one only guards against the launcher.
    # Its environment is the program's: nothing of the harness's.
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=invocation.timeout_s + 30,
        env=SAMPLE_ENVIRONMENT,
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
        output_limited=signal_number == signal.SIGXFSZ,
        in_cgroup=invocation.cgroup is not None,
        cpu_ns=(report["user_us"] + report["sys_us"]) * 1000,
        rss_peak_bytes=report["maxrss_kb"] * 1024,
    )


def launched_instance(
    launcher: Path,
    argv: Sequence[str],
    handover: Handover,
    mark: str,
    confinement: Confinement,
) -> ProcessInstance:
    """A scenario's long-lived instance of `argv`: the launcher confines it as a sample is
    (cgroups, account, handed files), then execs it in its own place (`-x`)."""
    command = [
        str(launcher),
        *confining_flags(
            confinement.account,
            confinement.cgroup,
            confinement.tasks,
            confinement.memory_limit_bytes,
        ),
        *handover.flags(),
        "-x",
        *argv,
    ]
    return ProcessInstance(command, {**SAMPLE_ENVIRONMENT, MARK: mark})


# What the launcher's figures are, for every variant it runs as a process.
LAUNCHED_CPU_SCOPE = (
    "user + system CPU time of the process and the children it waited for (wait4's rusage, "
    "read by the launcher)"
)
LAUNCHED_RSS_SCOPE = "the process's peak resident set (wait4's ru_maxrss)"
