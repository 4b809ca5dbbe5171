"""node: the wasm32-wasi module under Node.js's WASI (V8), a node process per sample.

The process is spawned by the C launcher like a native executable (wall time: spawn -> exit);
inside it, `node_wasi.mjs` times compile, instantiate and run and writes them to a file, so a
sample also shows where node's time goes. V8 compiles lazily by default (a function when first
called); `--no-wasm-lazy-compilation` makes `compile` compile the whole module, so that phase
means the same as wasmtime's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from harness.cache import Artifact, BuildCache
from harness.errors import IsobenchError
from harness.scopes import PROCESS
from harness.targets.base import (
    COLD,
    GUEST_INPUT_DIR,
    GUEST_OUTPUT_DIR,
    Confinement,
    Execution,
    Instance,
    Invocation,
)
from harness.targets.launcher import (
    LAUNCHED_CPU_SCOPE,
    LAUNCHED_RSS_SCOPE,
    Handover,
    launch,
    launched_instance,
    open_launcher,
)
from harness.toolchains import Binary, Check

RUNNER = Path(__file__).with_name("node_wasi.mjs")
NODE_FLAGS = ("--no-warnings", "--no-wasm-lazy-compilation")
INSTALL = "apt-get install nodejs"
NODE_PHASES = ("compile", "instantiate", "run")


class NodeTarget:
    name: ClassVar[str] = "node"
    binary: ClassVar[Binary] = Binary.WASM
    artifact_kind: ClassVar[str] = Binary.WASM.value  # the compiled module itself
    artifact_caption: ClassVar[str] = Binary.WASM.caption
    runs_emulated: ClassVar[bool] = False
    states: ClassVar[dict[str, str]] = {
        COLD: "spawn -> exit (reaped) of a node process ("
        + " ".join(NODE_FLAGS)
        + ") that reads the .wasm (evicted from the page cache first), compiles it whole with "
        "V8, instantiates it under node:wasi (preview1) and runs _start; timed by the C "
        "launcher. compile, instantiate and run are timed inside node (process.hrtime) and "
        "recorded beside it: they lie within spawn_to_exit",
    }
    phases: ClassVar[tuple[str, ...]] = ("spawn_to_exit", *NODE_PHASES)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {COLD: ("spawn_to_exit",)}
    memory_scope: ClassVar[str] = "the node process (V8, node's runtime, the instance)"
    instance: ClassVar[str] = PROCESS
    cpu_scope: ClassVar[str] = LAUNCHED_CPU_SCOPE
    rss_scope: ClassVar[str] = LAUNCHED_RSS_SCOPE
    cold_evicts: ClassVar[str] = "the .wasm (node stays cached: every instance shares it)"

    def __init__(self, launcher: Artifact, node: str) -> None:
        self.launcher = Path(launcher.path)
        self.node = node

    @classmethod
    def open(cls, cache: BuildCache) -> NodeTarget:
        node = shutil.which("node")
        if node is None:
            raise IsobenchError(f"node is not installed: {INSTALL}")
        return cls(open_launcher(cache), node)

    @staticmethod
    def probe() -> list[Check]:
        node = shutil.which("node")
        if node is None:
            return [Check("node", False, "not found on PATH", INSTALL)]
        return [Check("node", True, f"{_version(node)} ({node})")]

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        return binary, False  # node compiles the .wasm itself, every run

    def run(self, invocation: Invocation) -> Execution:
        # node's own account of its phases: a file of the sample account's, handed to it
        phases_file = invocation.stdout_path.with_name("node-phases.json")
        phases_file.unlink(missing_ok=True)
        phases_file.touch()
        if invocation.account is not None:
            invocation.account.give(phases_file)
        handover = Handover()
        phases_path = handover.hand(phases_file)
        module = handover.hand(invocation.artifact.path)
        input_path, output_path = handover.folders(invocation)
        preopens = {}
        if input_path is not None:
            preopens[GUEST_INPUT_DIR] = input_path
        if output_path is not None:
            preopens[GUEST_OUTPUT_DIR] = output_path
        argv = self.command(phases_path, preopens, module, invocation.resolved_args())
        execution = launch(self.launcher, invocation, argv, handover)
        try:
            inside = json.loads(phases_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return execution  # node did not get as far as running the module
        trap = inside.pop("trap", "")
        phases = {**execution.phases_ns, **{p: int(inside[p]) for p in NODE_PHASES if p in inside}}
        return replace(
            execution,
            phases_ns=phases,
            exit_code=None if trap else execution.exit_code,
            crash=f"trap: {trap}" if trap else execution.crash,
        )

    def cold_files(self, artifact: Artifact) -> list[Path]:
        return [Path(artifact.path)]

    def settings(self) -> dict[str, str]:
        return {"node_flags": " ".join(NODE_FLAGS), "wasi": "node:wasi, version preview1"}

    def command(
        self, phases_path: str, preopens: dict[str, str], module: str, args: Sequence[str]
    ) -> list[str]:
        """node's argv: the runner (the harness's own script, which every account can read),
        where it writes its phases, the folders it preopens, the module, then the args."""
        return [self.node, *NODE_FLAGS, str(RUNNER), phases_path, json.dumps(preopens), module,
                *args]  # fmt: skip

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> Instance:
        handover = Handover()
        argv = self.command("/dev/null", {}, handover.hand(artifact.path), args)
        return launched_instance(self.launcher, argv, handover, mark, confinement)

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        return []  # node is the instance's own process

    def versions(self) -> dict[str, str]:
        return {"node": _version(self.node), "node_flags": " ".join(NODE_FLAGS)}

    def host_costs(self) -> dict[str, object]:
        return {}  # the runtime is the process: all of it is in the sample's memory group

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        return 0  # its instances are processes: nothing is left outside them

    def close(self) -> None:
        pass


def _version(node: str) -> str:
    completed = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True, timeout=30
    )
    return completed.stdout.strip()
