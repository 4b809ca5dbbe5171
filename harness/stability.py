"""The machine settings that make timings noisy, read once before a run (pyperf's `system show`
reads the same): the CPU frequency governor, turbo boost, SMT, the load average, ASLR, the CPUs
isolated from the scheduler and from its tick. Recorded in the results header (`stability`),
shown in the report's Environment, and turned into `isobench doctor` advice with the fix.

Every reader takes the filesystem root, so that the logic runs offline on a fake /sys and /proc
(tests/test_stability.py). A file a kernel or a VM does not have reads as "" (unknown): a VM's
CPUs often have no cpufreq at all, their frequency is the hypervisor's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.affinity import cpu_list, cpus_in
from harness.header import StabilityRecord as Stability

CPU_DIR = "sys/devices/system/cpu"
ASLR_MODES = {"0": "off", "1": "partial (stack, mmap, vDSO)", "2": "full"}
STEADY_GOVERNORS = ("performance",)
BUSY_LOAD_PER_CPU = 0.5  # a load average above this many runnable tasks per CPU: not idle


def _text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def read_governors(root: Path) -> dict[str, str]:
    """governor -> the CPUs that run it, as a list ("0-1", "0,2")."""
    by_governor: dict[str, list[int]] = {}
    for governor_file in sorted((root / CPU_DIR).glob("cpu[0-9]*/cpufreq/scaling_governor")):
        cpu = int(governor_file.parent.parent.name.removeprefix("cpu"))
        governor = _text(governor_file)
        if governor:
            by_governor.setdefault(governor, []).append(cpu)
    return {governor: cpu_list(cpus) for governor, cpus in by_governor.items()}


def read_boost(root: Path) -> str:
    """Turbo boost: acpi-cpufreq's and amd-pstate's `cpufreq/boost` (1: on), intel_pstate's
    `no_turbo` (1: off)."""
    boost = _text(root / CPU_DIR / "cpufreq/boost")
    if boost in {"0", "1"}:
        return "on" if boost == "1" else "off"
    no_turbo = _text(root / CPU_DIR / "intel_pstate/no_turbo")
    if no_turbo in {"0", "1"}:
        return "off" if no_turbo == "1" else "on"
    return ""


def read_stability(root: Path = Path("/")) -> Stability:
    proc = root / "proc"
    load = _text(proc / "loadavg").split()[:3]
    try:
        load_average = (float(load[0]), float(load[1]), float(load[2]))
    except (IndexError, ValueError):
        load_average = None
    online = cpus_in(_text(root / CPU_DIR / "online"))
    return Stability(
        governors=read_governors(root),
        boost=read_boost(root),
        smt=_text(root / CPU_DIR / "smt/control"),
        load_average=load_average,
        aslr=ASLR_MODES.get(_text(proc / "sys/kernel/randomize_va_space"), ""),
        isolated_cpus=_text(root / CPU_DIR / "isolated"),
        nohz_full_cpus=_text(root / CPU_DIR / "nohz_full").replace("(null)", ""),
        online_cpus=len(online) if online else os.cpu_count(),
    )


@dataclass(frozen=True, slots=True)
class Advice:
    """One `isobench doctor` line on the machine: a setting, what it is, and when it makes
    timings noisier, how to change it."""

    name: str
    detail: str
    fix: str = ""  # "": nothing to change

    @property
    def noisy(self) -> bool:
        return bool(self.fix)


def advice(stability: Stability) -> list[Advice]:
    """`isobench doctor` lines: each setting that makes timings noisier, with how to change it,
    and what is worth knowing of the others."""
    checks = []
    unsteady = {g: cpus for g, cpus in stability.governors.items() if g not in STEADY_GOVERNORS}
    if unsteady:
        said = "; ".join(f"{governor} on CPUs {cpus}" for governor, cpus in unsteady.items())
        checks.append(
            Advice(
                "CPU frequency governor",
                said,
                "cpupower frequency-set -g performance (linux-cpupower)",
            )
        )
    if stability.boost == "on":
        checks.append(
            Advice(
                "turbo boost",
                "on: the clock rises and falls with temperature and load",
                "echo 0 > /sys/devices/system/cpu/cpufreq/boost (intel_pstate:"
                " echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo)",
            )
        )
    if stability.smt == "on":
        checks.append(Advice("SMT", "on: a sibling thread shares the measured core's execution "
                             "units",
                             "echo off > /sys/devices/system/cpu/smt/control (or pin the run "
                             "to CPUs whose siblings stay idle)"))  # fmt: skip
    cpus = stability.online_cpus or 1
    if stability.load_average and stability.load_average[0] > BUSY_LOAD_PER_CPU * cpus:
        checks.append(Advice("load", f"load average {stability.load_average[0]:.2f} on {cpus} "
                             "CPUs", "stop other work before measuring"))  # fmt: skip
    if stability.aslr == "full":
        checks.append(
            Advice(
                "ASLR",
                "full randomization: each start lays out its memory anew "
                "(as in production; pyperf leaves it on too)",
            )
        )
    if not stability.isolated_cpus:
        checks.append(Advice("isolated CPUs", "none: the measure loop's CPU (--affinity) also "
                             "runs other tasks (isolcpus=N on the kernel command line keeps "
                             "them away)"))  # fmt: skip
    if not stability.governors and not stability.boost:
        checks.append(
            Advice(
                "CPU frequency",
                "no cpufreq: the kernel does not set this CPU's clock (a VM's host does)",
            )
        )
    return checks
