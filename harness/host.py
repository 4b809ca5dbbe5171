"""The host fingerprint written in every results header, so runs from different machines can
be told apart (and refused where they should not be mixed)."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any

import psutil

# /proc/cpuinfo keys that name the CPU: x86 has "model name"; Arm has "CPU implementer" and
# "CPU part" (codes: 0x41 is Arm Ltd, 0xd0c a Neoverse N1), and "model name" only on some
# kernels, "Model" on some boards.
CPU_KEYS = ("model name", "Model", "CPU implementer", "CPU part", "CPU variant")


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's name as the first core reports it (`cpuinfo`: /proc/cpuinfo's text): "model
    name" on x86; on Arm whichever of model name, implementer, part and variant it gives."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    found: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not key and found:
            break  # the first core's block has ended
        if key in CPU_KEYS and value and key not in found:
            found[key] = value
    if "model name" in found:
        return found["model name"]
    if found:
        return ", ".join(f"{key} {value}" for key, value in found.items())
    return platform.processor() or "unknown"


def cgroup_version() -> int:
    return 2 if Path("/sys/fs/cgroup/cgroup.controllers").is_file() else 1


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def fingerprint() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "arch": platform.machine(),
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_bytes": psutil.virtual_memory().total,
        "kernel": platform.release(),
        "os": os_name(),
        "cgroup_version": cgroup_version(),
        "python": platform.python_version(),
    }


def git_revision(directory: Path) -> str:
    """The checkout's commit, with `-dirty` when it has uncommitted changes; "" outside git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        status = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")
