"""docker-crun: the docker variant with crun, not runc, as the OCI runtime under the same
daemon (registered with it as `crun` by .ci/setup: "runtimes" in /etc/docker/daemon.json), so
that runc and crun are compared with everything above them the same. Opt-in:
`--variant docker-crun`."""

from __future__ import annotations

from typing import ClassVar

from harness.errors import IsobenchError
from harness.targets.docker import INSTALL, RUNTIME_FIX, DockerTarget, connect, noted_states
from harness.toolchains import Check


class DockerCrunTarget(DockerTarget):
    name: ClassVar[str] = "docker-crun"
    oci_runtime: ClassVar[str] = "crun"
    states: ClassVar[dict[str, str]] = noted_states(
        "the container started by crun in place of runc"
    )
    memory_scope: ClassVar[str] = DockerTarget.memory_scope.replace("runc init", "crun's init")
    cpu_scope: ClassVar[str] = DockerTarget.cpu_scope.replace("runc init", "crun's init")

    @staticmethod
    def probe() -> list[Check]:
        """Whether the Engine knows the crun runtime (the Engine itself is docker's line)."""
        try:
            runtimes = sorted(connect().info().get("Runtimes") or {})
        except IsobenchError as error:
            return [Check("docker-crun (crun under dockerd)", False, str(error), INSTALL,
                          optional=True)]  # fmt: skip
        registered = DockerCrunTarget.oci_runtime in runtimes
        return [Check(
            "docker-crun (crun under dockerd)", registered,
            "crun registered" if registered else f"the Engine's runtimes are {', '.join(runtimes)}",
            RUNTIME_FIX, optional=True,
        )]  # fmt: skip
