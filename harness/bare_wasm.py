"""A wasm start alone, in a warm process, with no harness around it: run as a script, it makes
one Engine (isobench's settings), loads the module once, then starts ROUNDS instances in a row
and prints each start's wall time as one line `wall_ns=N`. Besides the standard
library it imports only wasmtime.

usage: python -I bare_wasm.py ROUNDS WARMUP ENGINE_SETTINGS_JSON [MODULE.cwasm]

Without a module: an empty module, `(module)`, each round a new Store and its instantiation:
what any wasm instance costs at the least. With a module (an AOT artifact of a WASI command):
each round a new Store, WASI context (stdio /dev/null; no folders, no environment),
instantiation through a Linker with WASI, and `_start` to its exit, which must be 0. The module
is a workload's (the noop's): its store may hold at most MEMORY_LIMIT_BYTES, and the caller
ends the process at its timeout.
"""

import json
import sys
import time
from collections.abc import Callable

import wasmtime


def empty_start(engine: wasmtime.Engine) -> None:
    module = wasmtime.Module(engine, "(module)")

    def start() -> None:
        store = wasmtime.Store(engine)
        wasmtime.Instance(store, module, [])

    loop(start)


def command_start(engine: wasmtime.Engine, path: str) -> None:
    module = wasmtime.Module.deserialize_file(engine, path)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()

    def start() -> None:
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["noop"]
        wasi.stdin_file = "/dev/null"
        wasi.stdout_file = "/dev/null"
        wasi.stderr_file = "/dev/null"
        store = wasmtime.Store(engine)
        store.set_limits(memory_size=MEMORY_LIMIT_BYTES)
        store.set_wasi(wasi)
        instance = linker.instantiate(store, module)
        try:
            instance.exports(store)["_start"](store)  # type: ignore[operator]
        except wasmtime.ExitTrap as exit_trap:
            if exit_trap.code != 0:
                raise SystemExit(f"bare_wasm: {path}: exit code {exit_trap.code}") from None

    loop(start)


ROUNDS, WARMUP = int(sys.argv[1]), int(sys.argv[2])
MEMORY_LIMIT_BYTES = 64 << 20  # a noop's instance needs a few pages


def loop(start: Callable[[], None]) -> None:
    for _ in range(WARMUP):
        start()
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter_ns()
        start()
        timings.append(time.perf_counter_ns() - started)
    sys.stdout.write("".join(f"wall_ns={wall_ns}\n" for wall_ns in timings))


def main() -> None:
    config = wasmtime.Config()
    for setting, value in json.loads(sys.argv[3]).items():
        setattr(config, setting, value)
    engine = wasmtime.Engine(config)
    try:
        if len(sys.argv) > 4:
            command_start(engine, sys.argv[4])
        else:
            empty_start(engine)
    except KeyError:
        raise SystemExit(
            f"bare_wasm: {sys.argv[4]}: no _start export (not a WASI command)"
        ) from None
    except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
        # wasmtime's message: a backtrace, then the cause on its last line
        lines = str(error).strip().splitlines()
        raise SystemExit(f"bare_wasm: {lines[-1].strip() if lines else 'failed'}") from None


if __name__ == "__main__":
    main()
