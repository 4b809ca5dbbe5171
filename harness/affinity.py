"""Which CPUs the measure loop and every instance it starts run on.

Measured here (2-CPU VM, native noop C warm, primed, interleaved in one process), the same
spawn over its time right after another spawn: unpinned, 1.01-1.04x after a container sample,
1.04-1.21x after a wasm sample and 1.10-1.30x after 20-100 ms of other work, whatever the
primers; with the harness and its instances on one CPU, 0.96-1.01x in the same conditions.
Where the scheduler places the launcher, the program and the harness after other work is what
moved the floor, so by default the loop takes one CPU: the last one it may run on (CPU 0 takes
more interrupts).
Processes inherit it; containers get it as their cpuset; an engine's own threads (parallel
compilation, a JIT's helpers) share it. Like pyperf's --affinity.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from harness.errors import IsobenchError

AUTO = "auto"  # the last CPU the harness may run on
ALL = "all"  # no pinning: wherever the scheduler puts things
MOST_CPUS = 1 << 16  # beyond any kernel's CPU count: a list naming more is not one


def cpus_in(listed: str) -> frozenset[int] | None:
    """The CPUs of a list as the kernel and taskset write it ("1", "0,2-3"); None when `listed`
    is not one."""
    cpus: set[int] = set()
    for part in listed.split(","):
        first, dash, last = part.partition("-")
        last = last if dash else first
        if not (first.isdigit() and last.isdigit() and int(first) <= int(last) < MOST_CPUS):
            return None
        cpus.update(range(int(first), int(last) + 1))
    return frozenset(cpus)


def cpu_list(cpus: Iterable[int]) -> str:
    """[0, 1, 2, 5] -> "0-2,5": the kernel's own list format."""
    parts: list[str] = []
    for cpu in sorted(cpus):
        if parts and parts[-1].split("-")[-1] == str(cpu - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{cpu}"
        else:
            parts.append(str(cpu))
    return ",".join(parts)


def parse_cpus(text: str) -> tuple[int, ...] | None:
    """`auto`, `all`, or a CPU list such as `1` or `0,2-3` (as in /sys and taskset -c): the
    CPUs to pin to, None for no pinning. Every CPU must be one this process may run on."""
    allowed = sorted(os.sched_getaffinity(0))
    if text == ALL:
        return None
    if text == AUTO:
        return (allowed[-1],)
    cpus = cpus_in(text)
    if cpus is None:
        raise IsobenchError(f"--affinity: {text!r} is not a CPU list (e.g. 1 or 0,2-3), "
                            f"{AUTO} or {ALL}")  # fmt: skip
    outside = sorted(cpus - set(allowed))
    if outside:
        raise IsobenchError(f"--affinity: CPU {outside[0]} is not one this process may run on "
                            f"({format_cpus(tuple(allowed))})")  # fmt: skip
    return tuple(sorted(cpus))


def format_cpus(cpus: tuple[int, ...] | None) -> str:
    """The CPU list as Docker's cpuset and taskset write it, `all` for None."""
    return ALL if cpus is None else ",".join(str(cpu) for cpu in cpus)


@contextmanager
def pinned(cpus: tuple[int, ...] | None) -> Iterator[None]:
    """Run the block, and every process it starts, on `cpus` (unchanged for None); the
    harness's own affinity is restored after."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
