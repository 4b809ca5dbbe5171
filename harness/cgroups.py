"""Per-sample memory cgroups: one way to measure peak memory for every variant.

Each sample gets a fresh cgroup under `isobench/` (on the host at each hierarchy's root; inside
a container on cgroup v1, a Kubernetes pod say, under the container's own group: see
`own_base`); the target places its instance in it (the
native launcher and the wasm worker write their pid to `cgroup.procs`, Docker gets it as
`cgroup_parent`), and after the instance is gone the group's high-water mark is read:
cgroup v1 `memory.max_usage_in_bytes`, v2 `memory.peak`. A container's own cgroup vanishes at
exit, but this parent keeps the peak (FIELD-NOTES). The figure counts everything charged
while the instance lived in the group: process memory and the page cache it faulted in, and for
Docker the runc init process too. Needs root; without it, peaks are simply not recorded.

The same group caps the instance: its memory limit, and where the kernel has the pids
controller, a limit on its tasks (cgroup v2: the same group; v1: a group of the same name in
the pids hierarchy, which the launcher joins too).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

V1_MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
V2_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS_ROOT = Path("/sys/fs/cgroup")
V1_PIDS_ROOT = V1_CONTROLLERS_ROOT / "pids"
PARENT_NAME = "isobench"
INITIAL_PID_NAMESPACE_INODE = 0xEFFFFFFC  # the kernel's PROC_PID_INIT_INO: the host's
KILL_ROUNDS = 10
KILL_WAIT_S = 5.0  # for killed processes to be gone
PROBE_PAGES = 1024  # pages the charge probe touches: 4 MiB, some sixteen batches of 64 pages


def _peak_file(version: int) -> str:
    return "memory.max_usage_in_bytes" if version == 1 else "memory.peak"


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:  # the group went away meanwhile
        return []


@dataclass(frozen=True, slots=True)
class SampleCgroup:
    """A fresh memory cgroup holding one instance for one sample."""

    path: Path
    version: int
    name: str
    pids_path: Path | None = None  # the group holding its pids limit (None: no pids controller)

    @property
    def procs_path(self) -> Path:
        return self.path / "cgroup.procs"

    @property
    def procs_paths(self) -> tuple[Path, ...]:
        """Every `cgroup.procs` an instance joins: the memory group's, and on cgroup v1 the
        pids group's (another hierarchy)."""
        if self.pids_path is None or self.pids_path == self.path:
            return (self.procs_path,)
        return (self.procs_path, self.pids_path / "cgroup.procs")

    @property
    def limits_pids(self) -> bool:
        return self.pids_path is not None

    def limit_pids(self, tasks: int) -> None:
        if self.pids_path is not None:
            (self.pids_path / "pids.max").write_text(f"{tasks}\n")

    @property
    def relative_path(self) -> str:
        """The group's path from its hierarchy's root, as /proc/<pid>/cgroup names groups
        (cgroup v1: below the controller's folder, memory/ or pids/)."""
        if self.version == 2:
            return f"/{self.path.relative_to(V2_ROOT)}"
        _, *below = self.path.relative_to(V1_CONTROLLERS_ROOT).parts
        return "/" + "/".join(below)

    @property
    def docker_parent(self) -> str:
        """The `cgroup_parent` that makes Docker create the container's group inside this one
        (on cgroup v1, at the same path in every hierarchy)."""
        return self.relative_path

    def cpu_ns(self) -> int | None:
        """User + system CPU time of every process that ran in the group (and the groups below
        it, gone or not: a container's own group): v1 `cpuacct.usage` of the group of that name
        Docker made in the cpuacct hierarchy (None where it made none), v2 `cpu.stat`."""
        if self.version == 1:
            try:
                usage = f"cpuacct{self.relative_path}/cpuacct.usage"
                return int((V1_CONTROLLERS_ROOT / usage).read_text())
            except OSError:
                return None
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        return int(stat["usage_usec"]) * 1000

    def peak_bytes(self) -> int | None:
        """The group's high-water mark; None where the kernel keeps none (cgroup v2 before
        Linux 5.19 has no memory.peak: a stock Ubuntu 22.04 kernel)."""
        try:
            return int((self.path / _peak_file(self.version)).read_text())
        except FileNotFoundError:
            return None

    def limit(self, limit_bytes: int) -> None:
        """Cap the group's memory: past it the kernel reclaims, then its OOM killer kills a
        process of the group (never one outside it)."""
        limit_file = "memory.limit_in_bytes" if self.version == 1 else "memory.max"
        (self.path / limit_file).write_text(f"{limit_bytes}\n")

    def oom_kills(self) -> int:
        """How many processes the OOM killer killed in the group (and the groups below it)."""
        counters = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in (self.path / counters).read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
        return 0

    def oom_notice(self) -> OomNotice | None:
        """A notice of this group running out of memory, whichever group below it holds the
        process killed, for instances whose group is one of their own below the sample's (a
        container's, deleted with it). cgroup v2 needs none (memory.events counts the kills of
        the groups below: oom_kills); v1 counts a kill only in the killed process's group, but
        signals an eventfd registered on memory.oom_control when this group runs out."""
        if self.version != 1:
            return None
        notice = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        control = os.open(self.path / "memory.oom_control", os.O_RDONLY | os.O_CLOEXEC)
        try:
            (self.path / "cgroup.event_control").write_text(f"{notice} {control}")
        except OSError:
            os.close(notice)
            raise
        finally:
            os.close(control)  # the registration holds what it needs
        return OomNotice(notice)

    def kill_all(self) -> int:
        """SIGKILL every process left in the group and the groups below it (a sample cut short
        by an interrupt: the launcher, the program and whatever it started); how many."""
        killed = 0
        for _ in range(KILL_ROUNDS):  # a process may fork while the previous round kills
            pids = {
                int(line)
                for procs in self.path.glob("**/cgroup.procs")
                for line in _read_lines(procs)
            }
            if not pids:
                break
            processes = []
            for pid in pids:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process = psutil.Process(pid)
                    process.kill()
                    processes.append(process)
            killed += len(processes)
            # A group is removable only once its processes are gone, not merely signalled.
            psutil.wait_procs(processes, timeout=KILL_WAIT_S)
        return killed

    def remove(self) -> None:
        # Docker (cgroup v1, cgroupfs driver) creates the parent in every controller; remove them
        # all, deepest first. A directory still busy is left for the next run to reuse the name.
        candidates = [self.path]
        if self.version == 1:
            candidates = list(V1_CONTROLLERS_ROOT.glob(f"*{self.relative_path}"))
        for directory in candidates:
            for child in sorted(directory.glob("**/"), key=lambda p: len(p.parts), reverse=True):
                with contextlib.suppress(OSError):
                    child.rmdir()


class OomNotice:
    """An eventfd the kernel signals each time a cgroup v1 group runs out of memory."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fired(self) -> bool:
        """Whether the group ran out of memory since the notice was made; closes it."""
        try:
            return os.eventfd_read(self._fd) > 0
        except BlockingIOError:
            return False
        finally:
            os.close(self._fd)


class MemoryCgroups:
    """Creates per-sample cgroups; `detect()` returns None where that is not possible."""

    def __init__(self, parent: Path, version: int, pids_parent: Path | None = None) -> None:
        self.parent = parent
        self.version = version
        self.pids_parent = pids_parent  # where pids limits are set (None: no pids controller)

    @classmethod
    def detect(cls) -> MemoryCgroups | None:
        if os.geteuid() != 0:
            return None
        controllers = V2_ROOT / "cgroup.controllers"
        if controllers.is_file() and "memory" in controllers.read_text().split():
            parent = V2_ROOT / PARENT_NAME
            try:
                parent.mkdir(exist_ok=True)
                (parent / "cgroup.subtree_control").write_text("+memory")
            except OSError:
                return None
            return cls._ready(parent, 2, _v2_pids(parent))
        if (V1_MEMORY_ROOT / "memory.max_usage_in_bytes").is_file():
            base = own_base()
            parent = V1_MEMORY_ROOT / base / PARENT_NAME
            try:
                parent.mkdir(exist_ok=True)
            except OSError:
                return None
            return cls._ready(parent, 1, _v1_pids(base))
        return None

    @classmethod
    def _ready(cls, parent: Path, version: int, pids_parent: Path | None) -> MemoryCgroups:
        cgroups = cls(parent, version, pids_parent)
        cgroups.remove_stale()
        return cgroups

    @property
    def records_peak(self) -> bool:
        """Whether a group keeps its high-water mark here (not on cgroup v2 before Linux 5.19,
        where a sample's group still enforces the memory limit but records no peak)."""
        return self.version == 1 or (self.parent / _peak_file(self.version)).is_file()

    def describe(self) -> str:
        peak = _peak_file(self.version)
        if not self.records_peak:
            return (f"cgroup v{self.version} per-sample group under {self.parent}: no {peak} "
                    "on this kernel (before Linux 5.19): no peak, the limit enforced")  # fmt: skip
        return f"cgroup v{self.version} per-sample group under {self.parent} ({peak})"

    def describe_pids(self, tasks: int) -> str:
        if self.pids_parent is None:
            return "no pids controller: RLIMIT_NPROC of the sample account instead"
        return f"at most {tasks} tasks per instance (cgroup v{self.version} pids.max)"

    def remove_stale(self) -> None:
        """Remove the sample groups of runs that are gone (named for their harness's pid): a
        run killed, or a container its daemon kept, can leave one behind."""
        parents = {self.parent, *([self.pids_parent] if self.pids_parent else [])}
        for path in [path for parent in parents for path in parent.glob("sample-*")]:
            owner = path.name.split("-")[1]
            if owner.isdigit() and not psutil.pid_exists(int(owner)):
                SampleCgroup(path, self.version, path.name).remove()

    def charge_granularity(self, probe: Path) -> int | None:
        """The step in which a group's usage counter moves (the kernel's per-CPU charge batch),
        read off a fresh group by `probe` (harness/chargeprobe.c); None when it cannot be read."""
        cgroup = self.new_sample()
        usage = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        try:
            completed = subprocess.run(
                [str(probe), str(cgroup.path), usage, str(PROBE_PAGES)],
                capture_output=True, text=True, check=False, timeout=60,
            )  # fmt: skip
        finally:
            cgroup.kill_all()
            cgroup.remove()
        steps = [int(line.split("=", 1)[1]) for line in completed.stdout.split()]
        if completed.returncode != 0 or not steps:
            return None
        return statistics.mode(steps)

    def new_sample(self, limit_bytes: int | None = None, tasks: int | None = None) -> SampleCgroup:
        """A fresh group, capped at `limit_bytes` of memory and `tasks` tasks (where the pids
        controller is there) when given."""
        name = f"sample-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        path = self.parent / name
        path.mkdir()
        pids_path = None
        if tasks is not None and self.pids_parent is not None:
            pids_path = self.pids_parent / name
            pids_path.mkdir(exist_ok=True)  # v2: the group itself
        cgroup = SampleCgroup(path, self.version, name, pids_path)
        if limit_bytes is not None:
            cgroup.limit(limit_bytes)
        if tasks is not None:
            cgroup.limit_pids(tasks)
        return cgroup


def own_base(proc: Path = Path("/proc/self")) -> str:
    """Where, below each cgroup v1 hierarchy's root, this harness makes its groups: nowhere
    below it on the host; inside a container (another pid namespace) the container's own memory
    group, so that its samples stay inside the container's limits and accounting (a pod's,
    which the kubelet watches), and apart from another harness on the same host, whose groups
    this one must neither see nor clean up. A cgroup v1 container sees the host's hierarchy:
    a group at its root would be the host's. Relative, without a leading slash."""
    if (proc / "ns/pid").stat().st_ino == INITIAL_PID_NAMESPACE_INODE:
        return ""
    for line in (proc / "cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return path.strip("/")
    return ""


def _v2_pids(parent: Path) -> Path | None:
    """The v2 parent again, with pids delegated to its groups; None without the controller."""
    if "pids" not in (V2_ROOT / "cgroup.controllers").read_text().split():
        return None
    try:
        (parent / "cgroup.subtree_control").write_text("+pids")
    except OSError:
        return None
    return parent


def _v1_pids(base: str) -> Path | None:
    parent = V1_PIDS_ROOT / base / PARENT_NAME
    if not (V1_PIDS_ROOT / "cgroup.procs").is_file():
        return None
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return parent
