"""`isobench export --format pytest-benchmark`: a results file as pytest-benchmark's JSON.

Dashboards and CI jobs that already read pytest-benchmark files (`pytest-benchmark compare`,
github-action-benchmark, ...) can then follow isobench cells. One benchmark per cell; its
statistics are computed by pytest-benchmark's own `Stats` from the ok wall times, in seconds,
so every field means what that tool says it means. isobench's own figures (ratio to native,
what the time spans) travel in `extra_info`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest_benchmark
from pytest_benchmark.stats import Stats

from harness.header import Header, PlanRecord
from harness.results import Results
from harness.stats import Cells, summarize_cells


def to_pytest_benchmark(results: Results) -> dict[str, Any]:
    header = results.header
    host = header.host
    plan = header.plan or PlanRecord()
    cells = Cells(results.frame)
    summaries = {s.key: s for s in summarize_cells(cells)}
    benchmarks = []
    for key, ok_walls in sorted(cells.walls.items()):
        walls = [wall / 1e9 for wall in ok_walls]
        if not walls:
            continue  # a cell with no ok sample has no statistics; the results file keeps it
        workload, language, variant, size, profile, state = key
        stats = Stats()
        for wall in walls:
            stats.update(wall)
        summary = summaries[key]
        params = {"language": language, "variant": variant, "state": state, "size": size,
                  "profile": profile}  # fmt: skip
        param = "-".join(params.values())
        benchmarks.append(
            {
                "group": f"{workload} {size}",
                "name": f"{workload}[{param}]",
                "fullname": f"isobench::{workload}[{param}]",
                "params": params,
                "param": param,
                "extra_info": {
                    "wall_scope": _wall_scope(header, variant, state),
                    "ratio_to_native": summary.ratio_to_native,
                    "net_ratio_to_native": summary.net_ratio,
                    "median_peak_memory_bytes": summary.median_peak_memory_bytes,
                    "samples_not_ok": sum(summary.failures.values()),
                },
                "options": {
                    "disable_gc": False,
                    "timer": "isobench (per variant: see extra_info.wall_scope)",
                    "min_rounds": plan.repetitions,
                    "max_time": None,
                    "min_time": plan.min_time_s,
                    "warmup": bool(plan.warmup),
                },
                "stats": {**stats.as_dict(), "data": walls, "iterations": 1},
            }
        )
    return {
        "machine_info": {
            "node": host.hostname,
            "processor": host.arch,
            "machine": host.arch,
            "python_version": host.python,
            "system": "Linux",
            "release": host.kernel,
            "cpu": {"brand_raw": host.cpu_model, "count": host.logical_cores},
        },
        "commit_info": {
            "id": header.git_revision.removesuffix("-dirty"),
            "dirty": header.git_revision.endswith("-dirty"),
            "project": "isobench",
        },
        "benchmarks": benchmarks,
        "datetime": header.started_at,
        "version": pytest_benchmark.__version__,
    }


def _wall_scope(header: Header, variant: str, state: str) -> str:
    """What wall_ns spans for the variant in that state, as the run's header says."""
    entry = header.variants.get(variant)
    return entry.states.get(state, "") if entry is not None else ""


def write(results: Results, output: Path) -> int:
    """`results` as pytest-benchmark's JSON in `output`; the number of benchmarks written."""
    document = to_pytest_benchmark(results)
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return len(document["benchmarks"])
