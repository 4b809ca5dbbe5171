"""crun: the runc variant's bundle run by crun in its place (`crun run`, no daemon): the two OCI
runtimes compared on every workload with nothing above them. Opt-in: `--variant crun`."""

from __future__ import annotations

from typing import ClassVar

from harness.targets.runc import RuncTarget


class CrunTarget(RuncTarget):
    name: ClassVar[str] = "crun"
    oci_runtime: ClassVar[str] = "crun"
    states: ClassVar[dict[str, str]] = {
        state: scope.replace("`runc run`", "`crun run`")
        for state, scope in RuncTarget.states.items()
    }
    memory_scope: ClassVar[str] = RuncTarget.memory_scope.replace("runc init", "crun's init")
    cpu_scope: ClassVar[str] = RuncTarget.cpu_scope.replace("runc init", "crun's init")
