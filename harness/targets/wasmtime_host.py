"""A warm wasm host for the scenarios: one process holding the Engine, a Linker with WASI and
the loaded modules, that starts instances on request, each on its own thread, as a serverless
host process does. Run as a script; it imports only wasmtime.

Commands arrive on stdin, one JSON object per line; one JSON reply per command on stdout:
  {"op": "load", "module": PATH}                     deserialize an AOT artifact, keep it
  {"op": "start", "id": ID, "module": PATH, "argv": [...], "stdin": PATH, "stdout": PATH,
   "stderr": PATH}                                   instantiate, run _start on a new thread
  {"op": "wait", "id": ID, "timeout_s": S}           until that instance's _start returns
Replies: {"ok": true, ...} or {"error": MESSAGE}. `wait` replies exit_code and trap, or
timed_out. stdin and stdout are FIFOs the harness made and holds open, so an instance reads
its requests as they come and the harness reads each answer as soon as it is written.
"""

import json
import sys
import threading
from typing import Any

import wasmtime


class Host:
    def __init__(self, engine_settings: dict[str, object]) -> None:
        config = wasmtime.Config()
        for setting, value in engine_settings.items():
            setattr(config, setting, value)
        self.engine = wasmtime.Engine(config)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.modules: dict[str, wasmtime.Module] = {}
        self.running: dict[str, tuple[threading.Thread, dict[str, object]]] = {}

    def load(self, command: dict[str, Any]) -> dict[str, Any]:
        if command["module"] not in self.modules:
            self.modules[command["module"]] = wasmtime.Module.deserialize_file(
                self.engine, command["module"]
            )
        return {"ok": True}

    def start(self, command: dict[str, Any]) -> dict[str, Any]:
        self.load(command)
        wasi = wasmtime.WasiConfig()
        wasi.argv = command["argv"]
        wasi.stdin_file = command["stdin"]
        wasi.stdout_file = command["stdout"]
        wasi.stderr_file = command["stderr"]
        store = wasmtime.Store(self.engine)
        store.set_wasi(wasi)  # an instance that hangs is stopped with the host, by the harness
        instance = self.linker.instantiate(store, self.modules[command["module"]])
        outcome: dict[str, object] = {}
        thread = threading.Thread(target=run, args=(store, instance, outcome), daemon=True)
        del store, instance  # the thread owns them: its end closes the instance's files
        thread.start()
        self.running[command["id"]] = (thread, outcome)
        return {"ok": True}

    def wait(self, command: dict[str, Any]) -> dict[str, Any]:
        thread, outcome = self.running[command["id"]]
        thread.join(command["timeout_s"])
        if thread.is_alive():
            return {"ok": True, "timed_out": True}
        del self.running[command["id"]]
        return {"ok": True, **outcome}


def run(store: wasmtime.Store, instance: wasmtime.Instance, outcome: dict[str, object]) -> None:
    exit_code, trap = 0, ""
    try:
        instance.exports(store)["_start"](store)  # type: ignore[operator]
    except wasmtime.ExitTrap as exit_trap:
        exit_code = exit_trap.code
    except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
        exit_code, trap = -1, str(error).strip().splitlines()[0]
    outcome.update(exit_code=exit_code, trap=trap)


def main() -> int:
    host = Host(json.loads(sys.argv[1]))
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
