"""A fake Target for the statistics, measure-loop and summary tests: scripted, exact, instant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from harness.cache import Artifact, BuildCache
from harness.targets import Execution, Invocation
from harness.toolchains import Binary, Check


class FakeTarget:
    """Replays scripted executions; writes the scripted stdout where the real ones would."""

    name: ClassVar[str] = "fake"
    binary: ClassVar[Binary] = Binary.NATIVE
    states: ClassVar[dict[str, str]] = {"warm": "scripted"}
    phases: ClassVar[tuple[str, ...]] = ("all",)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {"warm": ("all",)}
    memory_scope: ClassVar[str] = "none"

    def __init__(self, script: list[tuple[Execution, bytes]]) -> None:
        self._script: Iterator[tuple[Execution, bytes]] = iter(script)
        self.invocations: list[Invocation] = []

    @classmethod
    def open(cls, cache: BuildCache) -> FakeTarget:
        return cls([])

    @staticmethod
    def probe() -> list[Check]:
        return [Check("fake", True, "scripted")]

    def package(self, binary: Artifact, cache: BuildCache) -> tuple[Artifact, bool]:
        return binary, False

    def run(self, invocation: Invocation) -> Execution:
        self.invocations.append(invocation)
        execution, stdout = next(self._script)
        invocation.stdout_path.write_bytes(stdout)
        return execution

    def versions(self) -> dict[str, str]:
        return {"fake": "1"}

    def host_costs(self) -> dict[str, object]:
        return {}

    def close(self) -> None:
        pass


def ok(wall_ns: int) -> Execution:
    return Execution(wall_ns, {"all": wall_ns}, exit_code=0)
