"""Variants: one module each. Register a new one in TARGETS (and DEFAULT_VARIANTS, if every run
should measure it)."""

from __future__ import annotations

from harness.targets.base import Execution, Invocation, Target
from harness.targets.crun import CrunTarget
from harness.targets.docker import DockerTarget
from harness.targets.docker_bridge import DockerBridgeTarget
from harness.targets.docker_crun import DockerCrunTarget
from harness.targets.native import NativeTarget
from harness.targets.node import NodeTarget
from harness.targets.runc import RuncTarget
from harness.targets.wasm_docker import WasmDockerTarget
from harness.targets.wasmtime import WasmtimeTarget
from harness.targets.wasmtime_cli import WasmtimeCliTarget, WasmtimeMinTarget

TARGETS: dict[str, type[Target]] = {
    target.name: target
    for target in (
        NativeTarget,
        DockerTarget,
        WasmtimeTarget,
        DockerBridgeTarget,
        DockerCrunTarget,
        RuncTarget,
        CrunTarget,
        WasmtimeCliTarget,
        WasmtimeMinTarget,
        NodeTarget,
        WasmDockerTarget,
    )
}
DEFAULT_VARIANTS = ("native", "docker", "wasmtime")  # the rest only when asked for

__all__ = ["DEFAULT_VARIANTS", "TARGETS", "Execution", "Invocation", "Target"]
