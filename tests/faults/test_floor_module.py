"""The wasm-noop floor runs a workload's module (the noop's, the one the wasmtime variant
starts) in a process of the harness's own: a module that exits non-zero, traps, is no WASI
command, grows past its store's limit or never ends costs the floor its starts, with the
reason, and nothing else."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import wasmtime

from harness import floors
from harness.cache import BuildCache
from harness.floors import WASM_NOOP, Floors
from harness.results import Status
from harness.targets.wasmtime import ENGINE_SETTINGS
from harness.toolchains import host_arch
from tests.conftest import fake_artifact

PROC_EXIT = '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
MODULES = {
    "exits 3": (f'(module {PROC_EXIT} (memory (export "memory") 1) '
                '(func (export "_start") (call $exit (i32.const 3))))',
                "exit code 3"),
    # 2000 pages are 125 MiB, past the store's 64 MiB: the grow fails, and the module says so
    "grows past its limit": ('(module (memory (export "memory") 1) (func (export "_start") '
                             "(if (i32.lt_s (memory.grow (i32.const 2000)) (i32.const 0)) "
                             "(then unreachable))))",
                             "wasm trap: wasm `unreachable` instruction executed"),
    "no _start": ('(module (memory (export "memory") 1))', "no _start export"),
}  # fmt: skip
LOOPS_FOREVER = '(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))'


def compiled(tmp_path: Path, wat: str) -> Path:
    config = wasmtime.Config()
    for setting, value in ENGINE_SETTINGS.items():
        setattr(config, setting, value)
    path = tmp_path / "noop.cwasm"
    path.write_bytes(wasmtime.Module(wasmtime.Engine(config), wat).serialize())
    return path


def floor_of(tmp_path: Path, cache_dir: Path, wat: str) -> tuple[Status, str]:
    module = dataclasses.replace(fake_artifact("noop"), path=str(compiled(tmp_path, wat)))
    with Floors([WASM_NOOP], BuildCache(cache_dir), module, host_arch()) as measurer:
        (row,) = measurer.measure(1)
    return row.status, row.detail


@pytest.mark.parametrize("case", list(MODULES))
def test_a_hostile_noop_module_costs_the_floor_its_starts_and_says_why(
    tmp_path: Path, cache_dir: Path, case: str
) -> None:
    wat, reason = MODULES[case]
    status, detail = floor_of(tmp_path, cache_dir, wat)
    assert status is Status.UNAVAILABLE
    assert reason in detail
    assert detail.startswith("bare_wasm.py: bare_wasm: ")


def test_a_noop_module_that_never_ends_is_ended_at_the_loops_timeout(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(floors, "LOOP_TIMEOUT_S", 3.0)
    status, detail = floor_of(tmp_path, cache_dir, LOOPS_FOREVER)
    assert (status, detail) == (Status.UNAVAILABLE, "bare_wasm.py: no answer in 3 s")
