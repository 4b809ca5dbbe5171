"""docker-bridge: the docker variant with the container on Docker's default bridge network
(a veth pair and iptables rules set up per container), for when a workload's startup should
include what a networked container pays. Opt-in: `--variant docker-bridge`."""

from __future__ import annotations

from typing import ClassVar

from harness.targets.base import COLD, WARM
from harness.targets.docker import DockerTarget


class DockerBridgeTarget(DockerTarget):
    name: ClassVar[str] = "docker-bridge"
    network_mode: ClassVar[str] = "bridge"
    states: ClassVar[dict[str, str]] = {
        state: f"{scope}; the container on the default bridge network"
        for state, scope in DockerTarget.states.items()
        if state in (COLD, WARM)
    }
