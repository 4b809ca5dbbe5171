"""`isobench summary --format csv|markdown|json`: the summary's rows for other tools.

- csv and json: one row per cell, figures as numbers with their units in their names
  (`median_wall_ns`, `wall_ci_low_ns`, ...), intervals as low and high columns, empty (null)
  where a figure does not apply; json wraps the rows with the run they summarize and
  SUMMARY_SCHEMA (a field's meaning never changes within a version);
- markdown: a table to paste into a README or a post, each figure with its interval, as the
  terminal shows them.
"""

from __future__ import annotations

import json
from typing import Any

from harness.results import Results
from harness.stats import Cells, Summary, summarize_cells
from harness.units import ms, ms_with_ci, peak_mib, ratio_with_ci

SUMMARY_SCHEMA = 1
FORMATS = ("table", "csv", "markdown", "json")


def _interval(name: str, interval: tuple[float, float] | None, unit: str = "") -> dict[str, Any]:
    low, high = interval if interval is not None else (None, None)
    return {f"{name}_ci_low{unit}": low, f"{name}_ci_high{unit}": high}


def summary_rows(results: Results) -> list[dict[str, Any]]:
    """Every cell of the run, its figures as numbers."""
    instances = results.header.instances
    summaries = summarize_cells(Cells(results.frame), results.header.memory_resolution)
    return [_row(s, instances.get(s.variant, "")) for s in summaries]


def _row(s: Summary, instance: str) -> dict[str, Any]:
    cpu = s.cpu
    return {
        "workload": s.workload, "language": s.language, "size": s.size, "profile": s.profile,
        "variant": s.variant, "instance": instance, "state": s.state,
        "samples_ok": s.samples_ok, "samples_total": s.samples_total,
        "median_wall_ns": s.median_wall_ns, **_interval("wall", s.wall_ci_ns, "_ns"),
        "ratio_to_native": s.ratio_to_native, **_interval("ratio", s.ratio_ci),
        "net_ratio_to_native": s.net_ratio, **_interval("net_ratio", s.net_ratio_ci),
        "wall_cv": s.cv,
        "median_cpu_ns": cpu.median, **_interval("cpu", cpu.interval, "_ns"),
        "cpu_ratio_to_native": cpu.ratio, **_interval("cpu_ratio", cpu.ratio_interval),
        "cpu_net_ratio_to_native": cpu.net, **_interval("cpu_net_ratio", cpu.net_interval),
        "cpu_cv": cpu.cv,
        "median_peak_memory_bytes": s.median_peak_memory_bytes,
        "memory_ratio_to_native": s.memory_ratio,
        "precision": s.precision, "precision_metric": s.precision_metric,
        "not_ok": dict(s.failures),
    }  # fmt: skip


def summary_csv(results: Results) -> str:
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.2 s: only when a format asks for it, not at every start

    frame = pd.DataFrame(summary_rows(results))
    frame["not_ok"] = [";".join(f"{k}:{v}" for k, v in d.items()) for d in frame["not_ok"]]
    return str(frame.to_csv(index=False))


def summary_json(results: Results) -> str:
    header = results.header
    document = {
        "kind": "isobench-summary",
        "schema_version": SUMMARY_SCHEMA,
        "run": {
            "path": str(results.path),
            "run_id": header.run_id,
            "sha256": results.sha256,
            "host": header.host.hostname,
            "arch": header.host.arch,
            "measurement_revision": header.measurement_revision,
        },
        "rows": summary_rows(results),
    }
    return json.dumps(document, indent=2)


def summary_markdown(results: Results) -> str:
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.2 s: only when a format asks for it, not at every start

    instances = results.header.instances
    resolution = results.header.memory_resolution
    summaries = summarize_cells(Cells(results.frame), resolution)
    table = pd.DataFrame(
        [
            {
                "workload": s.workload,
                "lang": s.language,
                "size": s.size,
                "variant": s.variant,
                "instance": instances.get(s.variant, ""),
                "state": s.state,
                "ok/n": f"{s.samples_ok}/{s.samples_total}",
                "median ms (95% CI)": ms_with_ci(s.median_wall_ns, s.wall_ci_ns),
                "× native": ratio_with_ci(s.ratio_to_native, s.ratio_ci),
                "CPU ms": ms(s.cpu.median),
                "CPU net × native": ratio_with_ci(s.cpu.net, s.cpu.net_interval),
                "peak MiB": peak_mib(s.median_peak_memory_bytes, resolution),
            }
            for s in summaries
        ]
    )
    header = results.header
    said = (f"Run {header.run_id} on {header.host.hostname} ({header.host.arch}), measurement "
            f"revision {header.measurement_revision}: medians with 95% bootstrap intervals; × "
            "native: this median over native warm's, same run.")  # fmt: skip
    return f"{said}\n\n{table.to_markdown(index=False, disable_numparse=True)}\n"
