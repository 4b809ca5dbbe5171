"""The physical floors under every variant's startup: each start mechanism measured alone, in a
loop of its own with no harness inside it, on programs that are the harness's own (never a
workload), so that a variant's startup reads as floor + what the variant adds.

- `spawn`: posix_spawn of a static no-op (isobench-idle on an empty stdin) to reaped, timed in
  C by isobench-barestart's loop: what a process instance costs at the least.
- `wasm-empty`: a new Store and the instantiation of an empty module, `(module)`, in a warm
  process (wasmtime-py, the wasmtime variant's Engine settings), timed in that process's loop:
  what any in-host wasm instance costs at the least.
- `wasm-noop`: the same with a WASI command: Store, WASI context, instantiation through a Linker
  and `_start` to exit, of the noop's AOT artifact that the wasmtime variant runs: a bare
  warm-process loop over the same module.
- `runc`, `crun`: an OCI runtime alone, `<runtime> run` of a bundle whose root holds only
  isobench-idle (read-only, no daemon, no containerd, no shim), timed by isobench-barestart's
  loop from spawning the runtime's CLI to its exit (the runtime deletes the container).
- `containerd`: `ctr run --rm` of the same root, read-only, through the containerd that Docker
  uses (its runc shim, then runc: Docker's stack without dockerd), timed the same way from
  spawning ctr to its exit (the container and its task deleted).

A run measures the floors of the kinds of instance its variants are, one short loop of each
after every round of samples (harness.measure.run_plan), on the same CPUs: the floors are
interleaved with what stands on them. A floor whose mechanism is missing (crun not installed,
no noop module) gives one row per loop with status unavailable and the reason, never an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.build import build_helper
from harness.cache import Artifact, BuildCache
from harness.errors import IsobenchError
from harness.header import FloorRecord
from harness.results import FloorStart, Status
from harness.scopes import CONTAINER, IN_HOST, PROCESS
from harness.targets.base import OnOciRuntime, Target
from harness.targets.containerd_events import CONTAINERD_SOCKETS, containerd_socket
from harness.targets.runc import default_spec, installed
from harness.targets.wasmtime import ENGINE_SETTINGS
from harness.toolchains import find_compiler
from harness.workloads import Language

BARE_WASM = Path(__file__).with_name("bare_wasm.py")
STARTS_PER_ROUND = 20  # timed starts of each floor after each round of samples
WARMUP_STARTS = 3  # untimed starts before them in the same loop: the first pays one-time costs
LOOP_TIMEOUT_S = 120.0  # one loop: a runtime that hangs this long is stuck
CONTAINER_ID = "isobench-floor"  # in a state folder of the run's own: no other runtime user sees it


@dataclass(frozen=True, slots=True)
class FloorSpec:
    name: str
    instance: str  # the kind of instance it is the floor of
    scope: str  # what one start spans, said wherever its figure is shown


SPAWN = FloorSpec("spawn", PROCESS, "posix_spawn of a static no-op to reaped, timed in C")
WASM_EMPTY = FloorSpec(
    "wasm-empty", IN_HOST, "new Store + instantiate of an empty module, in a warm process"
)
WASM_NOOP = FloorSpec(
    "wasm-noop", IN_HOST,
    "new Store + WASI + instantiate + _start of the noop module, in a warm process",
)  # fmt: skip
RUNC = FloorSpec("runc", CONTAINER, "`runc run` of a bundle of a static no-op, no daemon")
CRUN = FloorSpec("crun", CONTAINER, "`crun run` of a bundle of a static no-op, no daemon")
CONTAINERD = FloorSpec(
    "containerd", CONTAINER,
    "`ctr run --rm` of the same no-op root: containerd, its runc shim and runc, no dockerd",
)  # fmt: skip
FLOORS = (SPAWN, WASM_EMPTY, WASM_NOOP, RUNC, CRUN, CONTAINERD)
# What a variant's startup is shown over, by the kind of instance it is: the mechanism it cannot
# do without (a container: its OCI runtime, see floor_of; the wasmtime variant runs the noop).
FLOOR_OF_INSTANCE = {PROCESS: SPAWN.name, CONTAINER: RUNC.name, IN_HOST: WASM_NOOP.name}
CONTAINERD_NAMESPACE = "isobench-floor"  # apart from Docker's (moby): nothing of Docker's is seen
NOOP_LANGUAGE = Language.C  # the wasm-noop floor's module (Rust's std start does more WASI calls)


def floor_of(target: Target) -> str:
    """The floor a variant's startup is shown over: a container variant's OCI runtime alone
    (docker: runc, docker-crun: crun), else the floor of its kind of instance."""
    if isinstance(target, OnOciRuntime) and target.oci_runtime in {RUNC.name, CRUN.name}:
        return target.oci_runtime
    return FLOOR_OF_INSTANCE.get(target.instance, "")


def floors_for(instances: Iterable[str]) -> list[FloorSpec]:
    """The floors of these kinds of instance, in ladder order."""
    kinds = set(instances)
    return [spec for spec in FLOORS if spec.instance in kinds]


def floor_records(specs: Sequence[FloorSpec]) -> dict[str, FloorRecord]:
    return {spec.name: FloorRecord(spec.scope, spec.instance) for spec in specs}


def parse_timings(output: str, source: str) -> tuple[int, ...]:
    """`wall_ns=N` lines (isobench-barestart's, bare_wasm.py's) -> the values."""
    values = []
    for line in output.splitlines():
        key, _, value = line.partition("=")
        if key != "wall_ns" or not value.isdigit():
            raise IsobenchError(f"{source}: unexpected output line {line!r:.80}")
        values.append(int(value))
    return tuple(values)


def _loop(argv: Sequence[str], source: str) -> tuple[int, ...]:
    try:
        completed = subprocess.run(list(argv), capture_output=True, text=True, check=False,
                                   timeout=LOOP_TIMEOUT_S)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise IsobenchError(f"{source}: no answer in {LOOP_TIMEOUT_S:.0f} s") from None
    if completed.returncode != 0:
        last = completed.stderr.strip().splitlines()[-1:] or [f"exit {completed.returncode}"]
        raise IsobenchError(f"{source}: {last[0]}")
    return parse_timings(completed.stdout, source)


class Floors:
    """Measures a run's floors, one loop of each at a time; builds the harness's own programs
    it needs once. `noop_module`: the wasmtime variant's AOT artifact of the noop (None: the
    wasm-noop floor is unavailable)."""

    def __init__(
        self, specs: Sequence[FloorSpec], cache: BuildCache, noop_module: Artifact | None,
        arch: str,
    ) -> None:  # fmt: skip
        self.specs = list(specs)
        self.arch = arch
        compiler = find_compiler(Language.C)
        self.barestart, _ = build_helper("barestart.c", "isobench-barestart", compiler, cache)
        self.idle, _ = build_helper("idle.c", "isobench-idle", compiler, cache)
        self.noop_module = noop_module
        self._scratch = Path(tempfile.mkdtemp(prefix="isobench-floors-"))
        self._bundle: Path | None = None
        self._takers: dict[str, Callable[[], tuple[int, ...]]] = {
            SPAWN.name: lambda: self._barestart([self.idle.path]),
            WASM_EMPTY.name: lambda: self._wasm(None),
            WASM_NOOP.name: lambda: self._wasm(self._noop_path()),
            RUNC.name: lambda: self._oci(RUNC.name),
            CRUN.name: lambda: self._oci(CRUN.name),
            CONTAINERD.name: self._containerd,
        }

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Floors:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def measure(self, round_index: int) -> list[FloorStart]:
        """One loop of each floor: its starts, or one unavailable row saying why."""
        rows = []
        for spec in self.specs:
            try:
                timings = self._takers[spec.name]()
            except (OSError, IsobenchError) as error:
                rows.append(FloorStart(spec.name, round_index, 0, Status.UNAVAILABLE, None,
                                       str(error), self.arch))  # fmt: skip
                continue
            rows.extend(FloorStart(spec.name, round_index, index, Status.OK, wall_ns,
                                   arch=self.arch)
                        for index, wall_ns in enumerate(timings))  # fmt: skip
        return rows

    def _barestart(self, argv: Sequence[str]) -> tuple[int, ...]:
        timings = _loop([self.barestart.path, str(WARMUP_STARTS + STARTS_PER_ROUND), *argv],
                        "isobench-barestart")  # fmt: skip
        return timings[WARMUP_STARTS:]

    def _noop_path(self) -> str:
        if self.noop_module is None:
            raise IsobenchError(f"no {NOOP_LANGUAGE.value} noop module built for wasmtime")
        return self.noop_module.path

    def _wasm(self, module: str | None) -> tuple[int, ...]:
        argv = [sys.executable, "-I", str(BARE_WASM), str(STARTS_PER_ROUND), str(WARMUP_STARTS),
                json.dumps(ENGINE_SETTINGS)]  # fmt: skip
        return _loop([*argv, module] if module else argv, "bare_wasm.py")

    def _oci(self, runtime: str) -> tuple[int, ...]:
        executable = installed(runtime)
        state = self._scratch / f"{runtime}-state"
        argv = [executable, "--root", str(state), "run", "--bundle", str(self._oci_bundle()),
                CONTAINER_ID]  # fmt: skip
        try:
            return self._barestart(argv)
        finally:  # a start that failed may leave its container behind: the next loop reuses the id
            subprocess.run([executable, "--root", str(state), "delete", "--force", CONTAINER_ID],
                           capture_output=True, check=False, timeout=LOOP_TIMEOUT_S)  # fmt: skip

    def _containerd(self) -> tuple[int, ...]:
        ctr = shutil.which("ctr")
        if ctr is None:
            raise IsobenchError("ctr is not installed (containerd's CLI: it comes with containerd)")
        address = containerd_socket()
        if address is None:
            raise IsobenchError(f"no containerd socket at {' or '.join(CONTAINERD_SOCKETS)}")
        client = [ctr, "--address", address, "--namespace", CONTAINERD_NAMESPACE]
        ident = f"{CONTAINER_ID}-{os.getpid()}"  # a run's own: two runs never share one
        rootfs = self._oci_bundle() / "rootfs"
        try:
            return self._barestart([*client, "run", "--rm", "--null-io", "--read-only",
                                    "--rootfs", str(rootfs), ident, "/idle"])  # fmt: skip
        finally:  # a start that failed may leave its task and container behind
            for leftover in (["tasks", "delete", "--force"], ["containers", "delete"]):
                subprocess.run([*client, *leftover, ident], capture_output=True, check=False,
                               timeout=LOOP_TIMEOUT_S)  # fmt: skip

    def _oci_bundle(self) -> Path:
        """A bundle whose root holds only isobench-idle, read-only; its config is runc's default
        (`runc spec`: the namespaces, capabilities, masked paths and mounts any container gets),
        run without a terminal. Both runtimes run the same bundle."""
        if self._bundle is not None:
            return self._bundle
        config = default_spec(installed(RUNC.name))
        bundle = self._scratch / "bundle"
        (bundle / "rootfs").mkdir(parents=True, exist_ok=True)
        shutil.copy(self.idle.path, bundle / "rootfs" / "idle")
        config["process"]["args"] = ["/idle"]
        config["process"]["terminal"] = False
        config["root"] = {"path": "rootfs", "readonly": True}
        (bundle / "config.json").write_text(json.dumps(config))
        self._bundle = bundle
        return bundle
