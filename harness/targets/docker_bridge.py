"""docker-bridge: the docker variant with the container on Docker's default bridge network
(a veth pair and iptables rules set up per container), for when a workload's startup should
include what a networked container pays. Opt-in: `--variant docker-bridge`."""

from __future__ import annotations

from typing import ClassVar

from harness.targets.docker import DockerTarget, noted_states


class DockerBridgeTarget(DockerTarget):
    name: ClassVar[str] = "docker-bridge"
    network_mode: ClassVar[str] = "bridge"
    states: ClassVar[dict[str, str]] = noted_states("the container on the default bridge network")
