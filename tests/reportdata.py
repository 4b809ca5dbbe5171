"""Results files with exact, scripted figures, for the report, compare and export tests.

The figures are chosen so that every ratio is known by hand: native takes `native_ms`, the other
variants a fixed multiple of it, noop gives each variant its startup floor.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from harness.header import Header
from harness.results import ResultsWriter, Sample, Status

MS = 1_000_000
BASE = Sample(
    workload="noop",
    language="c",
    variant="native",
    size="default",
    profile="portable",
    state="warm",
    arch="x86_64",
    round=1,
    warmup=False,
    status=Status.OK,
    wall_ns=MS,
    phases_ns={"spawn_to_exit": MS},
    peak_memory_bytes=2 * 2**20,
    exit_code=0,
)
VARIANTS = {
    "native": {"states": {"warm": "spawn to exit"}, "phases": ["spawn_to_exit"],
               "wall_phases": {"warm": ["spawn_to_exit"]}, "memory_scope": "the process",
               "instance": "process"},
    "wasmtime": {"states": {"warm": "load + instantiate + run"},
                 "phases": ["load", "instantiate", "run"],
                 "wall_phases": {"warm": ["load", "instantiate", "run"]},
                 "memory_scope": "the instance", "instance": "in-host"},
}  # fmt: skip
CPU_SHARE = 0.9  # every sample's CPU time: this much of its wall time (ratios stay the same)


def header(
    hostname: str = "x86-box",
    arch: str = "x86_64",
    *,
    revision: str = "r1",
    run_id: str | None = None,
    workload: str = "sieve",
) -> dict[str, Any]:
    return {
        "run_id": run_id or f"20260101T000000Z-{hostname}",
        "started_at": "2026-01-01T00:00:00+00:00",
        "isobench_version": "test",
        "git_revision": "",
        "host": {"hostname": hostname, "arch": arch, "cpu_model": f"{arch} cpu"},
        "workloads": {
            workload: {"revision": revision, "description": "", "stresses": ""},
            "noop": {"revision": "n1", "description": "", "stresses": ""},
        },
        "tools": {"compilers": {"c": "clang 14"}},
        "plan": {"seed": 42, "repetitions": 5},
        "memory": {"method": "a cgroup per sample"},
        "host_costs": {},
        "variants": VARIANTS,
        "artifacts": [],
    }


def cell(
    workload: str, variant: str, wall_ms: float, *, count: int = 5, **changes: Any
) -> list[Sample]:
    wall = round(wall_ms * MS)
    phases = (
        {"spawn_to_exit": wall}
        if variant == "native"
        else {"load": wall // 10, "instantiate": wall // 10, "run": wall - 2 * (wall // 10)}
    )
    return [
        dataclasses.replace(
            BASE, workload=workload, variant=variant, wall_ns=wall, phases_ns=phases,
            **{"cpu_ns": round(wall * CPU_SHARE), **changes},
        )
        for _ in range(count)
    ]  # fmt: skip


def run_samples(
    *, native_ms: float = 10.0, wasm_factor: float = 2.0, workload: str = "sieve", count: int = 5
) -> list[Sample]:
    """native: noop 1 ms, the workload `native_ms`; wasmtime: noop 2 ms, the workload's compute
    (net of noop) `wasm_factor` times native's."""
    wasm_ms = 2.0 + wasm_factor * (native_ms - 1.0)
    return (
        cell("noop", "native", 1.0, count=count)
        + cell("noop", "wasmtime", 2.0, count=count, peak_memory_bytes=3 * 2**20)
        + cell(workload, "native", native_ms, count=count)
        + cell(workload, "wasmtime", wasm_ms, count=count, peak_memory_bytes=4 * 2**20)
    )


def write_two_hosts(directory: Path) -> tuple[Path, Path]:
    """An x86 run where wasm's compute is 2x native's and an Arm run where it is 3x."""
    x86 = write_results(directory / "x86.jsonl", run_samples(wasm_factor=2.0))
    arm = write_results(
        directory / "arm.jsonl",
        [dataclasses.replace(s, arch="aarch64") for s in run_samples(wasm_factor=3.0)],
        header("arm-box", "aarch64"),
    )
    return x86, arm


def write_results(
    path: Path, samples: list[Sample], run_header: dict[str, Any] | None = None
) -> Path:
    """A results file as `isobench run` writes it (a header key `schema_version` overrides the
    current one, to make an older file)."""
    with ResultsWriter(path, Header.read(run_header or header())) as writer:
        for sample in samples:
            writer.add(sample)
    return path


def spread(samples: list[Sample], factor: float = 1.0, steps: int = 5) -> list[Sample]:
    """The same cells with a little spread (1.00, 1.01, ... x, `steps` values), times `factor`
    for the workload's wasm cell: real samples are never all equal."""
    out = []
    for index, sample in enumerate(samples):
        scale = 1 + (index % steps) / 100
        if sample.workload == "sieve" and sample.variant == "wasmtime":
            scale *= factor
        out.append(dataclasses.replace(sample, wall_ns=round((sample.wall_ns or 0) * scale)))
    return out
