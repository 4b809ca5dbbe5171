"""wasmtime: the wasm32-wasi module, AOT-compiled by wasmtime-py and run through it."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from harness.cache import Artifact, BuildCache
from harness.confine import OUTPUT_LIMIT_BYTES
from harness.errors import IsobenchError
from harness.scopes import IN_HOST
from harness.targets.base import (
    COLD,
    MARK,
    MARKED_FOLDER_PREFIX,
    WARM,
    Confinement,
    Ended,
    Execution,
    Instance,
    Invocation,
    Spawner,
    probe_failure,
)
from harness.targets.instances import FdStreams
from harness.toolchains import Binary, Check
from harness.workloads import sha256_file

# Applied to wasmtime.Config both when compiling ahead of time and when loading: an artifact
# made with other settings may still load (cranelift_opt_level is not checked), so every setting
# is part of the artifact id. No epoch interruption: its checks in every loop slowed matmul
# (C) from 0.36 s to 1.22 s here; a timeout ends the worker process instead.
ENGINE_SETTINGS: dict[str, Any] = {"cranelift_opt_level": "speed", "epoch_interruption": False}
# How the in-host instance starts in each state (harness/targets/wasmtime_worker.py says what
# each does): the module compiled or deserialized per instance, or kept by the host and started
# ever more ready
LOADED, PRELINKED, POOLED = "loaded", "prelinked", "pooled"
START_OF_STATE = {COLD: "compile", WARM: "deserialize", LOADED: LOADED, PRELINKED: PRELINKED,
                  POOLED: POOLED}  # fmt: skip
# The pooling allocator's slots (wasmtime_pooling_allocation_config_*_set): a sample holds two
# instances at most (its primer, then itself), a scenario's host one per running instance
POOL_SLOTS = {"total_core_instances": 128, "total_memories": 128, "total_tables": 128}
WASM32_MEMORY_MAX_BYTES = 4 << 30
WORKER = Path(__file__).with_name("wasmtime_worker.py")
HOST = Path(__file__).with_name("wasmtime_host.py")
HOST_REPLY_TIMEOUT_S = 60.0  # a host command (load, start) that takes longer: the host is stuck
WASM_PAGE_BYTES = 64 << 10
INSTALL = "pip install 'wasmtime>=50,<51'"


def pooling(memory_limit_bytes: int | None) -> dict[str, int]:
    """The pooling allocator's settings: POOL_SLOTS, each memory slot as large as the run's
    memory limit (at most what a wasm32 memory can be)."""
    slot = min(memory_limit_bytes or WASM32_MEMORY_MAX_BYTES, WASM32_MEMORY_MAX_BYTES)
    return {**POOL_SLOTS, "max_memory_size": slot}


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
    artifact_kind: ClassVar[str] = "cwasm"
    artifact_caption: ClassVar[str] = "AOT (wasmtime-py)"
    runs_emulated: ClassVar[bool] = False
    # How a scenario's instance can start in the warm host (wasmtime_host.py), the first the
    # default: the module kept (loaded), kept prelinked, or prelinked in a pooling Engine
    start_modes: ClassVar[tuple[str, ...]] = (LOADED, PRELINKED, POOLED)
    states: ClassVar[dict[str, str]] = {
        COLD: "compile the .wasm (evicted from the page cache first) with Cranelift (no cache) + "
        "instantiate (Store, WASI context made with its stdio files opened, linking) + _start to "
        "exit + teardown (Store, linear memory, instance and module released), timed with "
        "perf_counter_ns in a worker process made a warm host first: its Python start-up, "
        "`import wasmtime`, the Engine and one primer instance (the variant's noop) come before "
        "the clock",
        WARM: "deserialize the AOT artifact + instantiate + _start to exit + teardown, timed the "
        "same way",
        LOADED: "instantiate (Store, WASI context, linking) + _start to exit + teardown of the "
        "instance, the AOT artifact deserialized before the clock and kept (as a host keeps "
        "its modules), timed the same way",
        PRELINKED: "a Store and instantiation from an InstancePre (the module loaded and "
        "linked to WASI before the clock) + _start to exit + teardown of the instance, timed "
        "the same way",
        POOLED: "as prelinked, in an Engine with the pooling allocator (slots reserved before "
        "the clock and reused: the primer's instance ran in one; linear memory copy-on-write "
        "from the module's image), timed the same way",
    }
    # load and prelink, when outside the clock, are timed before it and recorded apart
    phases: ClassVar[tuple[str, ...]] = (
        "compile",
        "load",
        "prelink",
        "instantiate",
        "run",
        "teardown",
    )
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {
        COLD: ("compile", "instantiate", "run", "teardown"),
        WARM: ("load", "instantiate", "run", "teardown"),
        **dict.fromkeys((LOADED, PRELINKED, POOLED), ("instantiate", "run", "teardown")),
    }
    memory_scope: ClassVar[str] = (
        "what one instance adds to a host process that already holds the Engine and has run a "
        "primer instance in the group (marginal, not a whole process: the group's peak above "
        "its usage when the instance starts): Store, WASI context, linear memory, and the "
        "module where it is loaded inside the clock (cold, warm)"
    )
    instance: ClassVar[str] = IN_HOST
    cpu_scope: ClassVar[str] = (
        "user + system CPU time of the host process over the timed phases (every thread: "
        "Cranelift compiles on several)"
    )
    rss_scope: ClassVar[str] = (
        "the host process's peak RSS during the instance above its RSS before it (VmHWM reset "
        "by /proc/self/clear_refs, minus VmRSS): what the instance adds, marginal"
    )
    cold_evicts: ClassVar[str] = "the .wasm (the host process and wasmtime are already running)"

    def __init__(self) -> None:
        self.host: WasmHost | None = None  # started by the first scenario that needs it

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

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        if arch not in (None, platform.machine()):
            # wasmtime-py aborts the process when asked for another target (FIELD-NOTES)
            raise IsobenchError(
                f"wasmtime-py cannot compile for {arch}: its AOT artifact is made on the {arch} "
                "host that runs it (wasmtime-cli can cross-compile)"
            )
        recipe = {
            "procedure": 2,  # 2: the record names the .wasm it came from (the cold state's input)
            "wasm_sha256": binary.sha256,
            "wasmtime": wasmtime_version(),
            "engine_settings": ENGINE_SETTINGS,
            "host_arch": platform.machine(),
        }

        def make(ident: str, directory: Path) -> Artifact:
            import wasmtime  # noqa: PLC0415 - costs ~50 ms: only when a module is compiled

            output = directory / f"{binary.workload}.cwasm"
            started = time.perf_counter_ns()
            module = wasmtime.Module.from_file(_engine(), binary.path)
            output.write_bytes(module.serialize())
            return binary.derive(
                ident,
                WasmtimeTarget.artifact_kind,
                path=str(output),
                sha256=sha256_file(output),
                size_bytes=output.stat().st_size,
                recipe=recipe,
                build_ns=time.perf_counter_ns() - started,
                source_path=binary.path,
            )

        return cache.get_or_build(WasmtimeTarget.artifact_kind, recipe, make)

    def run(self, invocation: Invocation) -> Execution:
        limit = invocation.memory_limit_bytes
        request = {
            "start": START_OF_STATE[invocation.state],
            # cold: compile the .wasm; otherwise: the AOT artifact.
            "module": invocation.artifact.source_path
            if invocation.state == COLD
            else invocation.artifact.path,
            "pooling": pooling(limit) if invocation.state == POOLED else None,
            "primer": invocation.primer.path if invocation.primer else None,
            "argv": [invocation.artifact.workload, *invocation.resolved_args()],
            "stdin": str(invocation.stdin_path or "/dev/null"),
            "stdout": str(invocation.stdout_path),
            "stderr": str(invocation.stderr_path),
            "input_dir": str(invocation.input_dir) if invocation.input_dir else None,
            "output_dir": str(invocation.output_dir) if invocation.output_dir else None,
            "cgroup_procs": str(invocation.cgroup.procs_path) if invocation.cgroup else None,
            "timeout_s": invocation.timeout_s,
            "memory_limit_bytes": invocation.memory_limit_bytes,
            "output_limit_bytes": OUTPUT_LIMIT_BYTES,
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
        if completed.returncode == -signal.SIGXFSZ:  # the guest wrote past its output limit
            return Execution(None, output_limited=True, in_cgroup=invocation.cgroup is not None)
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["no message"])[-1]
            return Execution(None, error=f"wasmtime worker exited {completed.returncode}: {last}")
        reply = json.loads(completed.stdout)
        phases = reply["phases_ns"]
        linear = reply["linear_memory_bytes"]
        failed = bool(reply["trap"]) or reply["exit_code"] != 0
        return Execution(
            wall_ns=sum(phases[phase] for phase in self.wall_phases[invocation.state]),
            phases_ns=phases,
            exit_code=None if reply["trap"] else reply["exit_code"],
            crash=f"trap: {reply['trap']}" if reply["trap"] else "",
            in_cgroup=invocation.cgroup is not None,
            linear_memory_bytes=linear,
            # The program failed with its linear memory within an eighth of the store's limit:
            # memory.grow was refused (wasmtime-py reports no refusal itself), for want of memory.
            out_of_memory=failed
            and limit is not None
            and linear is not None
            and linear + max(WASM_PAGE_BYTES, limit // 8) > limit,
            cpu_ns=reply["cpu_ns"],
            rss_peak_bytes=reply["rss_peak_bytes"],
            charged_before_bytes=reply["charged_before_bytes"],
        )

    def cold_files(self, artifact: Artifact) -> list[Path]:
        return [Path(artifact.source_path)]

    def settings(self) -> dict[str, str]:
        return {
            **{setting: str(value) for setting, value in ENGINE_SETTINGS.items()},
            "timeout": "a SIGALRM timer armed before the clock ends the host process",
            "memory_limit": "Store.set_limits(memory_size): the run's --memory-limit",
            "pooled": "pooling allocator (wasmtime-py's C bindings): "
            + ", ".join(f"{name} {value}" for name, value in POOL_SLOTS.items())
            + ", max_memory_size the memory limit (at most 4 GiB); memory_init_cow left on "
            "(the default: every state maps linear memory copy-on-write from the image)",
            "wasi": "argv and stdio files; no environment; /input (read-only), /output if asked",
        }

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> Instance:
        """An instance in the warm host, started in the first of `start_modes`."""
        return self.in_start_mode(LOADED).spawn(artifact, args, mark, confinement)

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        return self.in_start_mode(LOADED).shared_processes(artifact, mark)

    def in_start_mode(self, start_mode: str) -> Spawner:
        return HostSpawner(self, start_mode)

    def warm_host(self, mark: str) -> WasmHost:
        """The host the scenarios' instances run in (one per target: a concurrent starter
        opens a target of its own), started when first asked for, or again if it has died."""
        if self.host is None or not self.host.alive():
            self.host = WasmHost(mark)
        return self.host

    def versions(self) -> dict[str, str]:
        return {"wasmtime_py": wasmtime_version()}

    def host_costs(self) -> dict[str, object]:
        return {}  # nothing outside the sample's memory group

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        return 0  # its instances are processes: nothing is left outside them

    def close(self) -> None:
        if self.host is not None:
            self.host.stop()
            self.host = None


@dataclass(frozen=True, slots=True)
class HostSpawner:
    """Starts instances in a target's warm host, each in one start mode: the module is
    deserialized once; each instance gets its own Store, WASI context and thread (confined by
    wasm itself: its Store's memory limit, WASI's preopens)."""

    target: WasmtimeTarget
    start_mode: str

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> Instance:
        command = {"module": artifact.path, "start": self.start_mode,
                   "argv": [artifact.workload, *args],
                   "memory_limit_bytes": confinement.memory_limit_bytes}  # fmt: skip
        return HostedInstance(self.target.warm_host(mark), command)

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        host = self.target.warm_host(mark)
        host.call({"op": "load", "module": artifact.path, "start": self.start_mode})
        return [host.pid]


class WasmHost:
    """The client side of wasmtime_host.py: one process holding the Engine and the modules."""

    def __init__(self, mark: str) -> None:
        # named for the run's mark: a sweep after an interrupted run finds and removes it
        self.folder = Path(tempfile.mkdtemp(prefix=f"{MARKED_FOLDER_PREFIX}{mark}-"))
        self._stderr = (self.folder / "host.stderr").open("wb")
        self._process = subprocess.Popen(
            # its pooling Engine's memory slots as large as a wasm32 memory: each instance's
            # own limit is its Store's
            [
                sys.executable,
                "-I",
                str(HOST),
                json.dumps(ENGINE_SETTINGS),
                json.dumps(pooling(None)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,  # stopped by the harness, never by the terminal's Ctrl-C
            env={MARK: mark},
        )
        self.pid = self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def call(self, command: dict[str, Any], timeout_s: float = HOST_REPLY_TIMEOUT_S) -> Any:
        """Send one command and return its reply; TimeoutError when none comes in time."""
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None or not self.alive():
            raise IsobenchError(f"the wasm host has exited: {self._last_error()}")
        stdin.write(json.dumps(command).encode() + b"\n")
        stdin.flush()
        ready, _, _ = select.select([stdout], [], [], timeout_s)
        if not ready:
            raise TimeoutError
        line = stdout.readline()
        if not line:
            raise IsobenchError(f"the wasm host has exited: {self._last_error()}")
        reply = json.loads(line)
        if "error" in reply:
            raise IsobenchError(f"wasm host: {reply['error']}")
        return reply

    def _last_error(self) -> str:
        lines = (self.folder / "host.stderr").read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no message"

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class HostedInstance(FdStreams):
    """An instance inside the warm host. Its stdin and stdout are FIFOs: the harness opens the
    write end of stdin read-write (so opening it never blocks, and closing it is the end of
    input) and the read end of stdout before the host opens the other ends."""

    def __init__(self, host: WasmHost, command: dict[str, Any]) -> None:
        self._host = host
        self.ident = uuid.uuid4().hex[:12]
        self._paths = {
            name: host.folder / f"{self.ident}.{name}" for name in ("stdin", "stdout", "stderr")
        }
        for name in ("stdin", "stdout"):
            os.mkfifo(self._paths[name])
        stdin_fd = os.open(self._paths["stdin"], os.O_RDWR)
        super().__init__(stdin_fd, os.open(self._paths["stdout"], os.O_RDONLY | os.O_NONBLOCK))
        self._ended: Ended | None = None
        try:
            host.call({"op": "start", "id": self.ident, **command}
                      | {name: str(path) for name, path in self._paths.items()})  # fmt: skip
        except BaseException:
            self.stop()
            raise

    def wait(self, timeout_s: float) -> Ended:
        reply = self._host.call({"op": "wait", "id": self.ident, "timeout_s": timeout_s},
                                timeout_s + HOST_REPLY_TIMEOUT_S)  # fmt: skip
        if reply.get("timed_out"):
            raise TimeoutError
        stderr_path = self._paths["stderr"]
        stderr = stderr_path.read_bytes() if stderr_path.exists() else b""
        trap = reply["trap"]
        self._ended = Ended(None if trap else reply["exit_code"], f"trap: {trap}" if trap else "",
                            stderr, reply["start_ns"], reply["run_ns"])  # fmt: skip
        return self._ended

    def pids(self) -> list[int]:
        return []  # it lives in the host process, which shared_processes() names

    def stop(self) -> None:
        """An instance still running after the end of its input is stopped with its host: a
        wasm thread cannot be killed alone."""
        self.end_input()
        if self._ended is None and self._host.alive():
            try:
                self.wait(1.0)
            except (TimeoutError, IsobenchError, KeyError):
                self._host.stop()
        self.close_streams()
        for path in self._paths.values():
            path.unlink(missing_ok=True)
