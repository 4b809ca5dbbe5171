"""wasmtime: the wasm32-wasi module, AOT-compiled by wasmtime-py and run through it."""

from __future__ import annotations

import json
import platform
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from harness.cache import Artifact, BuildCache, artifact_id
from harness.errors import IsobenchError
from harness.targets.base import COLD, WARM, Execution, Invocation, probe_failure
from harness.toolchains import Binary, Check
from harness.workloads import sha256_file

# Applied to wasmtime.Config both when compiling ahead of time and when loading: an artifact
# made with other settings may still load (cranelift_opt_level is not checked), so every setting
# is part of the artifact id.
ENGINE_SETTINGS: dict[str, Any] = {"cranelift_opt_level": "speed"}
WORKER = Path(__file__).with_name("wasmtime_worker.py")
INSTALL = "pip install 'wasmtime>=50,<51'"


def wasmtime_version() -> str:
    return metadata.version("wasmtime")


def _engine() -> Any:
    import wasmtime  # noqa: PLC0415 - costs ~50 ms: only when a module is compiled

    config = wasmtime.Config()
    for setting, value in ENGINE_SETTINGS.items():
        setattr(config, setting, value)
    return wasmtime.Engine(config)


class WasmtimeTarget:
    name: ClassVar[str] = "wasmtime"
    binary: ClassVar[Binary] = Binary.WASM
    states: ClassVar[dict[str, str]] = {
        COLD: "compile the .wasm with Cranelift (no cache) + instantiate (Store, WASI context, "
        "linking) + _start to exit, timed with perf_counter_ns in a fresh worker process whose "
        "Python start-up, `import wasmtime` and Engine creation happen before the clock starts",
        WARM: "deserialize the AOT artifact + instantiate + _start to exit, timed the same way",
    }
    phases: ClassVar[tuple[str, ...]] = ("compile", "load", "instantiate", "run")
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {
        COLD: ("compile", "instantiate", "run"),
        WARM: ("load", "instantiate", "run"),
    }
    memory_scope: ClassVar[str] = (
        "what one instance adds to a worker process that already holds the Engine: the "
        "loaded module, Store, WASI context, linear memory"
    )

    @classmethod
    def open(cls, cache: BuildCache) -> WasmtimeTarget:
        try:
            wasmtime_version()
        except metadata.PackageNotFoundError:
            raise IsobenchError(f"wasmtime-py is not installed: {INSTALL}") from None
        return cls()

    @staticmethod
    def probe() -> list[Check]:
        try:
            version = wasmtime_version()
        except metadata.PackageNotFoundError as error:
            return [probe_failure("wasmtime-py", error, INSTALL)]
        return [Check("wasmtime-py", True, f"{version} (in {sys.executable})")]

    def package(self, binary: Artifact, cache: BuildCache) -> tuple[Artifact, bool]:
        recipe = {
            "procedure": 2,  # 2: the record names the .wasm it came from (the cold state's input)
            "wasm_sha256": binary.sha256,
            "wasmtime": wasmtime_version(),
            "engine_settings": ENGINE_SETTINGS,
            "host_arch": platform.machine(),
        }
        ident = artifact_id("cwasm", recipe)
        cached = cache.lookup("cwasm", ident)
        if cached is not None:
            return cached, False
        import wasmtime  # noqa: PLC0415 - costs ~50 ms: only when a module is compiled

        output = cache.fresh_directory("cwasm", ident) / f"{binary.workload}.cwasm"
        started = time.perf_counter_ns()
        module = wasmtime.Module.from_file(_engine(), binary.path)
        output.write_bytes(module.serialize())
        artifact = Artifact(
            id=ident,
            kind="cwasm",
            workload=binary.workload,
            language=binary.language,
            profile=binary.profile,
            path=str(output),
            sha256=sha256_file(output),
            size_bytes=output.stat().st_size,
            recipe={**recipe, "from_artifact": binary.id},
            extra={"wasm_path": binary.path, "build_ns": time.perf_counter_ns() - started},
        )
        return cache.store(artifact), True

    def run(self, invocation: Invocation) -> Execution:
        request = {
            # cold: compile the .wasm; warm: deserialize the AOT artifact.
            "compile": invocation.state == COLD,
            "module": invocation.artifact.extra["wasm_path"]
            if invocation.state == COLD
            else invocation.artifact.path,
            "argv": [invocation.artifact.workload, *invocation.resolved_args(guest_paths=True)],
            "stdin": str(invocation.stdin_path or "/dev/null"),
            "stdout": str(invocation.stdout_path),
            "stderr": str(invocation.stderr_path),
            "input_dir": str(invocation.input_dir) if invocation.input_dir else None,
            "output_dir": str(invocation.output_dir) if invocation.output_dir else None,
            "cgroup_procs": str(invocation.cgroup.procs_path) if invocation.cgroup else None,
            "timeout_s": invocation.timeout_s,
            "engine_settings": ENGINE_SETTINGS,
        }
        # -I: no user site or PYTHON* variables; the worker imports nothing from isobench.
        completed = subprocess.run(
            [sys.executable, "-I", str(WORKER), json.dumps(request)],
            capture_output=True,
            text=True,
            check=False,
            timeout=invocation.timeout_s + 60,
        )
        if completed.returncode == -signal.SIGALRM:
            return Execution(None, timed_out=True, in_cgroup=invocation.cgroup is not None)
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["no message"])[-1]
            return Execution(None, error=f"wasmtime worker exited {completed.returncode}: {last}")
        reply = json.loads(completed.stdout)
        phases = reply["phases_ns"]
        return Execution(
            wall_ns=sum(phases.values()),
            phases_ns=phases,
            exit_code=None if reply["trap"] else reply["exit_code"],
            crash=f"trap: {reply['trap']}" if reply["trap"] else "",
            in_cgroup=invocation.cgroup is not None,
            linear_memory_bytes=reply["linear_memory_bytes"],
        )

    def versions(self) -> dict[str, str]:
        return {"wasmtime_py": wasmtime_version()}

    def host_costs(self) -> dict[str, object]:
        return {}  # nothing outside the sample's memory group

    def close(self) -> None:
        pass
