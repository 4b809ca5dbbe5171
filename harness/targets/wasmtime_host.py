"""A warm wasm host for the scenarios: one process holding the Engine, a Linker with WASI and
the loaded modules, that starts instances on request, each on its own thread, as a serverless
host process does. Run as a script; it imports only wasmtime and its sibling wasmtime_worker
(the same Engine settings and pooling allocator a sample's worker uses).

Commands arrive on stdin, one JSON object per line; one JSON reply per command on stdout:
  {"op": "load", "module": PATH, "start": START}      deserialize an AOT artifact, keep it
  {"op": "start", "id": ID, "module": PATH, "start": START, "argv": [...], "stdin": PATH,
   "stdout": PATH, "stderr": PATH, "memory_limit_bytes": N or null}
                                                      instantiate, run _start on a new thread
  {"op": "wait", "id": ID, "timeout_s": S}            until that instance's _start returns
START is how the instance starts, as wasmtime_worker says: "loaded" (the module kept, linked
per instance), "prelinked" (an InstancePre kept) or "pooled" (the same, in a second Engine with
the pooling allocator). Replies: {"ok": true, ...} or {"error": MESSAGE}. `wait` replies
exit_code, trap, and the instance's own times as the host took them: start_ns (WASI context,
Store, instantiation, the _start export found) and run_ns (_start to its return, then the
instance released, on its thread); or timed_out. stdin and stdout are FIFOs the harness made and
holds open, so an instance reads its requests as they come and the harness reads each answer as
soon as it is written: the time between the harness's call and these is the plumbing.
"""

import json
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import wasmtime

# Run with python -I, which leaves the script's own folder off sys.path: put it back, for the
# sibling alone (the worker's settings of the pooling allocator, the one definition of them)
sys.path.insert(0, str(Path(__file__).parent))
from wasmtime_worker import use_pooling_allocator  # type: ignore[import-not-found]

POOLED = "pooled"
# Threads the instances run on: made as needed, and kept and reused once their instance has
# ended, as a serving host's pool is (a new thread per instance would pay for its creation and
# wasmtime's per-thread set-up on every start); as many as density's instances at once, and more
RUNNING_MAX = 1024


class EngineSide:
    """One Engine, its Linker with WASI, and what it keeps of each module."""

    def __init__(self, settings: dict[str, Any], pooling: dict[str, int] | None) -> None:
        config = wasmtime.Config()
        for setting, value in settings.items():
            setattr(config, setting, value)
        if pooling is not None:
            use_pooling_allocator(config, pooling)
        self.engine = wasmtime.Engine(config)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.modules: dict[str, wasmtime.Module] = {}
        self.prelinked: dict[str, wasmtime.InstancePre] = {}

    def module(self, path: str) -> wasmtime.Module:
        if path not in self.modules:
            self.modules[path] = wasmtime.Module.deserialize_file(self.engine, path)
        return self.modules[path]

    def pre(self, path: str) -> wasmtime.InstancePre:
        if path not in self.prelinked:
            self.prelinked[path] = self.linker.instantiate_pre(self.module(path))
        return self.prelinked[path]


class Host:
    def __init__(self, settings: dict[str, Any], pooling: dict[str, int]) -> None:
        self.sides = {"on-demand": EngineSide(settings, None)}
        self.settings, self.pooling = settings, pooling
        self.threads = ThreadPoolExecutor(RUNNING_MAX, thread_name_prefix="instance")
        self.running: dict[str, Future[dict[str, object]]] = {}

    def side(self, start: str) -> EngineSide:
        kind = POOLED if start == POOLED else "on-demand"
        if kind not in self.sides:  # made when first asked for: its slots are reserved then
            self.sides[kind] = EngineSide(self.settings, self.pooling)
        return self.sides[kind]

    def load(self, command: dict[str, Any]) -> dict[str, Any]:
        side = self.side(command["start"])
        if command["start"] == "loaded":
            side.module(command["module"])
        else:
            side.pre(command["module"])
        return {"ok": True}

    def start(self, command: dict[str, Any]) -> dict[str, Any]:
        self.load(command)
        side = self.side(command["start"])
        began = time.perf_counter_ns()
        wasi = wasmtime.WasiConfig()
        wasi.argv = command["argv"]
        wasi.stdin_file = command["stdin"]
        wasi.stdout_file = command["stdout"]
        wasi.stderr_file = command["stderr"]
        store = wasmtime.Store(side.engine)
        store.set_wasi(wasi)  # an instance that hangs is stopped with the host, by the harness
        if command["memory_limit_bytes"] is not None:
            store.set_limits(memory_size=command["memory_limit_bytes"])
        if command["start"] == "loaded":
            instance = side.linker.instantiate(store, side.module(command["module"]))
        else:
            instance = side.pre(command["module"]).instantiate(store)
        entry = instance.exports(store)["_start"]
        start_ns = time.perf_counter_ns() - began
        # The thread takes the only references: its end releases the instance, closing its files
        held = [(store, entry)]
        del store, instance, entry
        self.running[command["id"]] = self.threads.submit(run, held, start_ns)
        return {"ok": True}

    def wait(self, command: dict[str, Any]) -> dict[str, Any]:
        try:
            outcome = self.running[command["id"]].result(command["timeout_s"])
        except FutureTimeout:
            return {"ok": True, "timed_out": True}
        del self.running[command["id"]]
        return {"ok": True, **outcome}


def run(held: list[tuple[wasmtime.Store, Any]], start_ns: int) -> dict[str, object]:
    """_start to its return, then the instance released: `held` has the only references to its
    Store and entry, taken out here so that they are gone before the clock stops."""
    exit_code, trap = 0, ""
    began = time.perf_counter_ns()
    store, entry = held.pop()
    try:
        entry(store)
    except wasmtime.ExitTrap as exit_trap:
        exit_code = exit_trap.code
    except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
        exit_code, trap = -1, str(error).strip().splitlines()[0]
    del entry, store
    run_ns = time.perf_counter_ns() - began
    return {"exit_code": exit_code, "trap": trap, "start_ns": start_ns, "run_ns": run_ns}


def main() -> int:
    host = Host(json.loads(sys.argv[1]), json.loads(sys.argv[2]))
    operations = {"load": host.load, "start": host.start, "wait": host.wait}
    for line in sys.stdin:
        command = json.loads(line)
        try:
            reply = operations[command["op"]](command)
        except Exception as error:  # one bad command is that command's reply, not the host's end
            reply = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
