"""Takes one wasm sample in a worker process made a warm host first; run as a script, it imports
only wasmtime.

Request (argv[1], JSON): start (how the instance starts, below), module (the .wasm for
"compile", else the AOT artifact), primer (an AOT artifact to run once first, or null), argv,
stdin, stdout, stderr (paths), input_dir and output_dir (host folders preopened as /input
read-only and /output, or null), cgroup_procs, timeout_s, memory_limit_bytes (or null),
engine_settings, pooling (the pooling allocator's settings, for "pooled"). Reply (one JSON line
on stdout): phases in ns, exit_code, trap, linear_memory_bytes, cpu_ns, rss_peak_bytes,
charged_before_bytes.

How the instance starts (`start`), from the most work per instance to the least:
  compile    the .wasm compiled with Cranelift inside the clock (the cold state)
  deserialize  the AOT artifact deserialized inside the clock (the warm state)
  loaded     the AOT artifact deserialized before the clock, as a host keeps its modules
  prelinked  and linked to WASI before the clock (an InstancePre): the clock holds the Store
             and the instantiation from it
  pooled     as prelinked, in an Engine with the pooling allocator (instance, memory and table
             slots reserved up front and reused; linear memory copy-on-write from the module's
             image, as the Engine does by default)
What comes before the clock is timed too (load, prelink) and reported apart from the wall time.

Before the clock: Python start-up, `import wasmtime` (~50 ms), the Engine, and one primer
instance (the variant's noop, run to its end and released), so the measured instance starts in
a host that has already run one, as in a serving host process. The process joins the sample's
memory cgroup before its primer, so it is a host at home in its group, as a serving host is in
its own; then the group's high-water mark is set back to its usage (cgroup v1), which the reply
gives as charged_before_bytes: the peak above it is what the measured instance adds (marginal).
cgroup v2's memory.peak cannot be set back that way: there the process joins after its primer.
(Whether the tokio worker threads wasmtime's WASI started for the primer are still there when
the instance starts splits the warm noop time in two clusters here, 0.26 and 0.32 ms, whichever
the join: not settled yet.)

The clock runs from loading (or compiling) the module to the instance being gone: its Store
(with the WASI context and linear memory), the instance and the module released (`teardown`).

Nothing of the harness runs inside the generated code: the engine has no epoch interruption
(it slowed matmul 3.4x here). The timeout is a kernel timer (SIGALRM, default action) armed
before the clock: it ends the whole process, which the harness reads as a timeout. The memory
limit caps the store's linear memory: memory.grow past it fails, as it would on a host out of
memory. No environment variable is passed in, and no folder is preopened unless the workload
asks for one.
"""

import contextlib
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import _bindings

V1_PEAK = "memory.max_usage_in_bytes"  # writable: a write sets it back to the usage
# The starts that load the module inside the clock, and the phase that loading is
CLOCKED_LOAD = {"compile": "compile", "deserialize": "load"}


def engine_for(request: dict[str, Any]) -> wasmtime.Engine:
    """isobench's Engine settings; with the pooling allocator for the "pooled" start."""
    config = wasmtime.Config()
    for setting, value in request["engine_settings"].items():
        setattr(config, setting, value)
    if request["start"] == "pooled":
        use_pooling_allocator(config, request["pooling"])
    return wasmtime.Engine(config)


def use_pooling_allocator(config: wasmtime.Config, settings: dict[str, int]) -> None:
    """wasmtime-py has no Python API for the pooling allocator; its C API is in wasmtime-py's
    bindings: a pooling config, each setting (wasmtime_pooling_allocation_config_NAME_set),
    then the strategy set on the Config, which copies it."""
    pool = _bindings.wasmtime_pooling_allocation_config_new()
    try:
        for name, value in settings.items():
            setter = getattr(_bindings, f"wasmtime_pooling_allocation_config_{name}_set")
            setter(pool, value)
        _bindings.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
    finally:
        _bindings.wasmtime_pooling_allocation_config_delete(pool)


def wasi_config(request: dict[str, Any]) -> wasmtime.WasiConfig:
    """argv and stdio files only: no environment, no folder unless the workload has one."""
    wasi = wasmtime.WasiConfig()
    wasi.argv = request["argv"]
    wasi.stdin_file = request["stdin"]
    wasi.stdout_file = request["stdout"]
    wasi.stderr_file = request["stderr"]
    if request["input_dir"]:
        wasi.preopen_dir(request["input_dir"], "/input", fs_mutable=False)
    if request["output_dir"]:
        wasi.preopen_dir(request["output_dir"], "/output")
    return wasi


def run_primer(engine: wasmtime.Engine, linker: wasmtime.Linker, path: str) -> None:
    """One whole instance of `path`, its output discarded, everything released after. Its
    stdio are files, as every instance's are: the first stdin file a process gives WASI costs
    0.3-0.7 ms once (measured here), which a serving host has paid long before."""
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["primer"]
    wasi.stdin_file = wasi.stdout_file = wasi.stderr_file = "/dev/null"
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    instance = linker.instantiate(store, wasmtime.Module.deserialize_file(engine, path))
    with contextlib.suppress(wasmtime.ExitTrap):  # its exit code is not the sample's concern
        instance.exports(store)["_start"](store)  # type: ignore[operator]


def prime_in_group(
    request: dict[str, Any], engine: wasmtime.Engine, linker: wasmtime.Linker
) -> int:
    """Run the primer with this process in the sample's memory group: joined before it where the
    group's peak can then be set back (cgroup v1), after it elsewhere. What the group holds
    charged when the instance starts (0 without a group, or where the peak was not set back)."""
    procs = Path(request["cgroup_procs"]) if request["cgroup_procs"] else None
    resettable = procs is not None and (procs.parent / V1_PEAK).is_file()
    if procs and resettable:
        join(procs)
    if request["primer"]:
        run_primer(engine, linker, request["primer"])
    if procs is None:
        return 0
    if not resettable:
        join(procs)
        return 0
    return reset_peak(procs.parent)


def join(procs: Path) -> None:
    """Move this process into the sample's memory group: its charges go there from now on."""
    procs.write_text(f"{os.getpid()}\n")


def reset_peak(group: Path) -> int:
    """Set the group's high-water mark back to its usage (cgroup v1); that usage."""
    (group / V1_PEAK).write_text("0\n")
    return int((group / "memory.usage_in_bytes").read_text())


def memory_status(field: str) -> int:
    """A field of /proc/self/status in bytes (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


def kept_module(
    request: dict[str, Any], engine: wasmtime.Engine, linker: wasmtime.Linker
) -> tuple[wasmtime.Module | None, wasmtime.InstancePre | None, dict[str, int]]:
    """What a host keeps before the clock, for the starts that do not load inside it: the
    module, and for prelinked and pooled its InstancePre; and how long each took (ns)."""
    if request["start"] in CLOCKED_LOAD:
        return None, None, {}
    began = time.perf_counter_ns()
    module = wasmtime.Module.deserialize_file(engine, request["module"])
    loaded = time.perf_counter_ns()
    if request["start"] not in {"prelinked", "pooled"}:
        return module, None, {"load": loaded - began}
    prelinked = linker.instantiate_pre(module)
    return module, prelinked, {"load": loaded - began, "prelink": time.perf_counter_ns() - loaded}


def arm_limits(request: dict[str, Any]) -> None:
    """From here on, what the guest writes (its stdout, its output files) past the output limit
    ends the process (SIGXFSZ; the worker itself writes only to pipes), and so does the end of
    the timeout (SIGALRM)."""
    limit = request["output_limit_bytes"]
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python starts with it ignored
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, request["timeout_s"])


def main() -> int:
    request = json.loads(sys.argv[1])
    how = request["start"]
    engine = engine_for(request)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module, prelinked, apart = kept_module(request, engine, linker)
    # The module a host keeps is loaded before the primer, so the memory group's peak, set back
    # after it, counts what the instance adds alone
    charged_before = prime_in_group(request, engine, linker)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS: the peak from here on
    rss_before = memory_status("VmRSS")
    arm_limits(request)

    exit_code, trap = 0, ""
    cpu_before = time.process_time_ns()  # every thread: Cranelift compiles on several
    start = time.perf_counter_ns()
    if how == "compile":
        module = wasmtime.Module.from_file(engine, request["module"])
    elif how == "deserialize":
        module = wasmtime.Module.deserialize_file(engine, request["module"])
    loaded = time.perf_counter_ns()
    assert module is not None  # noqa: S101 - every start above has its module by now
    store = wasmtime.Store(engine)
    store.set_wasi(wasi_config(request))  # its stdio files opened: per-instance work
    if request["memory_limit_bytes"] is not None:
        store.set_limits(memory_size=request["memory_limit_bytes"])
    if prelinked is not None:
        instance = prelinked.instantiate(store)
    else:
        instance = linker.instantiate(store, module)
    entry = instance.exports(store)["_start"]
    instantiated = time.perf_counter_ns()
    try:
        entry(store)  # type: ignore[operator]
    except wasmtime.ExitTrap as exit_trap:
        exit_code = exit_trap.code
    except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
        exit_code, trap = -1, str(error).strip().splitlines()[0]
    finished = time.perf_counter_ns()
    memory = instance.exports(store).get("memory")  # read before it is released, off the clock
    linear_memory_bytes = memory.data_len(store) if isinstance(memory, wasmtime.Memory) else None
    released = time.perf_counter_ns()
    del entry, memory, instance, store  # the last references: freed here, not later
    if how in CLOCKED_LOAD:
        del module  # loaded inside the clock, released inside it; a host keeps the others
    gone = time.perf_counter_ns()
    cpu_after = time.process_time_ns()
    signal.setitimer(signal.ITIMER_REAL, 0)
    timed = {CLOCKED_LOAD[how]: loaded - start} if how in CLOCKED_LOAD else {}
    reply = {
        "phases_ns": {
            **apart,
            **timed,
            "instantiate": instantiated - loaded,
            "run": finished - instantiated,
            "teardown": gone - released,
        },
        "exit_code": exit_code,
        "trap": trap,
        "linear_memory_bytes": linear_memory_bytes,
        # (with the memory size read between run and teardown: a microsecond or so)
        "cpu_ns": cpu_after - cpu_before,
        "rss_peak_bytes": max(memory_status("VmHWM") - rss_before, 0),
        "charged_before_bytes": charged_before,
    }
    sys.stdout.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
