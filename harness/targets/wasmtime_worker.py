"""Takes one wasm sample in a fresh process; run as a script, it imports only wasmtime.

Request (argv[1], JSON): compile (true: `module` is a .wasm to compile, the cold state; false:
an AOT artifact to deserialize), module, argv, stdin, stdout, stderr (paths), input_dir and
output_dir (host folders preopened as /input read-only and /output, or null), cgroup_procs,
timeout_s, memory_limit_bytes (or null), engine_settings. Reply (one JSON line on stdout):
phases in ns, exit_code, trap, timed_out, linear_memory_bytes.

The timeout interrupts the wasm code itself: the engine has epoch interruption on, the store's
deadline is one epoch ahead, and a timer thread advances the epoch at the timeout, so the next
loop back-edge or call traps. SIGALRM, a little later, ends the process if the instance sits in
a host call (a blocking read) where no epoch check happens. The memory limit caps the store's
linear memory: memory.grow past it fails, as it would on a host out of memory. No environment
variable is passed in, and no folder is preopened unless the workload asks for one.

Python start-up, `import wasmtime` (~50 ms) and Engine creation happen before the clock starts:
they are the runtime's fixed cost, shared by every instance of a real host process. The
process joins the sample's memory cgroup only then, so the group is charged for what one
instance adds: the loaded module, its store, linear memory and stack.
"""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import wasmtime

BACKSTOP_S = 5.0  # after the timeout, if the epoch could not stop the instance


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


def main() -> int:
    request = json.loads(sys.argv[1])
    config = wasmtime.Config()
    for setting, value in request["engine_settings"].items():
        setattr(config, setting, value)
    engine = wasmtime.Engine(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasi_config(request)
    if request["cgroup_procs"]:
        Path(request["cgroup_procs"]).write_text(f"{os.getpid()}\n")
    # The backstop: a wasm call cannot be interrupted by a Python signal handler, so SIGALRM
    # ends the process (the harness reads it as a timeout) if the epoch did not stop it.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, request["timeout_s"] + BACKSTOP_S)
    timer = threading.Timer(request["timeout_s"], engine.increment_epoch)
    timer.daemon = True

    exit_code, trap = 0, ""
    start = time.perf_counter_ns()
    if request["compile"]:
        module = wasmtime.Module.from_file(engine, request["module"])
    else:
        module = wasmtime.Module.deserialize_file(engine, request["module"])
    loaded = time.perf_counter_ns()
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    store.set_epoch_deadline(1)  # trap once the timer advances the epoch
    if request["memory_limit_bytes"] is not None:
        store.set_limits(memory_size=request["memory_limit_bytes"])
    instance = linker.instantiate(store, module)
    entry = instance.exports(store)["_start"]
    timer.start()
    instantiated = time.perf_counter_ns()
    timed_out = False
    try:
        entry(store)  # type: ignore[operator]
    except wasmtime.ExitTrap as exit_trap:
        exit_code = exit_trap.code
    except wasmtime.Trap as error:
        exit_code, trap = -1, str(error).strip().splitlines()[0]
        timed_out = error.trap_code == wasmtime.TrapCode.INTERRUPT
    except wasmtime.WasmtimeError as error:
        exit_code, trap = -1, str(error).strip().splitlines()[0]
    finished = time.perf_counter_ns()
    timer.cancel()
    signal.setitimer(signal.ITIMER_REAL, 0)
    memory = instance.exports(store).get("memory")
    linear_memory_bytes = memory.data_len(store) if isinstance(memory, wasmtime.Memory) else None

    reply = {
        "phases_ns": {
            "compile" if request["compile"] else "load": loaded - start,
            "instantiate": instantiated - loaded,
            "run": finished - instantiated,
        },
        "exit_code": exit_code,
        "trap": trap,
        "timed_out": timed_out,
        "linear_memory_bytes": linear_memory_bytes,
    }
    sys.stdout.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
