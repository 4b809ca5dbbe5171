"""Variants: one module each. Register a new one in TARGETS (and nowhere else)."""

from __future__ import annotations

from harness.targets.base import Execution, Invocation, Target
from harness.targets.docker import DockerTarget
from harness.targets.native import NativeTarget
from harness.targets.wasmtime import WasmtimeTarget

TARGETS: dict[str, type[Target]] = {
    target.name: target for target in (NativeTarget, DockerTarget, WasmtimeTarget)
}

__all__ = ["TARGETS", "Execution", "Invocation", "Target"]
