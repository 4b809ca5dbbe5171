"""Per-sample memory cgroups: one way to measure peak memory for every variant.

Each sample gets a fresh cgroup under `isobench/`; the target places its instance in it (the
native launcher and the wasm worker write their pid to `cgroup.procs`, Docker gets it as
`cgroup_parent`), and after the instance is gone the group's high-water mark is read:
cgroup v1 `memory.max_usage_in_bytes`, v2 `memory.peak`. A container's own cgroup vanishes at
exit, but this parent keeps the peak (FIELD-NOTES). The figure counts everything charged
while the instance lived in the group: process memory and the page cache it faulted in, and for
Docker the runc init process too. Needs root; without it, peaks are simply not recorded.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

V1_MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
V2_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS_ROOT = Path("/sys/fs/cgroup")
PARENT_NAME = "isobench"


@dataclass(frozen=True, slots=True)
class SampleCgroup:
    """A fresh memory cgroup holding one instance for one sample."""

    path: Path
    version: int
    name: str

    @property
    def procs_path(self) -> Path:
        return self.path / "cgroup.procs"

    @property
    def docker_parent(self) -> str:
        """The `cgroup_parent` that makes Docker create the container's group inside this one."""
        return f"/{PARENT_NAME}/{self.name}"

    def peak_bytes(self) -> int:
        peak_file = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        return int((self.path / peak_file).read_text())

    def remove(self) -> None:
        # Docker (cgroup v1, cgroupfs driver) creates the parent in every controller; remove them
        # all, deepest first. A directory still busy is left for the next run to reuse the name.
        candidates = [self.path]
        if self.version == 1:
            candidates = list(V1_CONTROLLERS_ROOT.glob(f"*/{PARENT_NAME}/{self.name}"))
        for directory in candidates:
            for child in sorted(directory.glob("**/"), key=lambda p: len(p.parts), reverse=True):
                with contextlib.suppress(OSError):
                    child.rmdir()


class MemoryCgroups:
    """Creates per-sample cgroups; `detect()` returns None where that is not possible."""

    def __init__(self, parent: Path, version: int) -> None:
        self.parent = parent
        self.version = version

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
            return cls(parent, 2)
        if (V1_MEMORY_ROOT / "memory.max_usage_in_bytes").is_file():
            parent = V1_MEMORY_ROOT / PARENT_NAME
            try:
                parent.mkdir(exist_ok=True)
            except OSError:
                return None
            return cls(parent, 1)
        return None

    def describe(self) -> str:
        peak = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        return f"cgroup v{self.version} per-sample group under {self.parent} ({peak})"

    def new_sample(self) -> SampleCgroup:
        name = f"sample-{uuid.uuid4().hex[:16]}"
        path = self.parent / name
        path.mkdir()
        return SampleCgroup(path, self.version, name)


def join(procs_path: Path) -> None:
    """Move the calling process into the group (its later allocations are charged there)."""
    procs_path.write_text(f"{os.getpid()}\n")
