"""Results as a pandas DataFrame: one row per sample, typed columns, each file's header kept as
metadata. What a notebook, a spreadsheet export or a dashboard starts from:

    from harness import api
    frame = api.to_frame(api.read_results(Path("results/example/run.jsonl")))
    frame[frame.status == "ok"].groupby(["workload", "variant", "state"]).wall_ns.median()

Columns: `run_id`, then every Sample field (names, statuses and other labels as categories;
counts and figures in ns or bytes as nullable integers, <NA> where the sample recorded none),
then one `phase.<name>_ns` column per phase any sample recorded. `frame.attrs["headers"]`
maps each run id to its header, as the file wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import pandas as pd

from harness.results import Results, Sample

# Labels: few distinct values over many rows
CATEGORIES = ("run_id", "workload", "language", "variant", "size", "profile", "state", "arch",
              "status")  # fmt: skip
INTEGERS = ("round", "wall_ns", "peak_memory_bytes", "linear_memory_bytes", "exit_code",
            "cpu_ns", "rss_peak_bytes", "steal_ns", "cold_resident_bytes")  # fmt: skip
BOOLEANS = ("warmup", "emulated")
TEXTS = ("stdout_sha256", "detail", "artifact_id")
PHASE_PREFIX = "phase."
SAMPLE_COLUMNS = tuple(field.name for field in fields(Sample) if field.name != "phases_ns")


def to_frame(results: Results | Sequence[Results]) -> pd.DataFrame:
    """Every sample of one or more results files, a row each, in file order."""
    runs = [results] if isinstance(results, Results) else list(results)
    rows = []
    phases: dict[str, None] = {}
    for run in runs:
        for sample in run.samples:
            row = {"run_id": run.header.run_id,
                   **{name: getattr(sample, name) for name in SAMPLE_COLUMNS}}  # fmt: skip
            row["status"] = sample.status.value
            for phase, value in sample.phases_ns.items():
                column = f"{PHASE_PREFIX}{phase}_ns"
                phases.setdefault(column, None)
                row[column] = value
            rows.append(row)
    columns = ["run_id", *SAMPLE_COLUMNS, *phases]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    types: dict[str, str] = dict.fromkeys(CATEGORIES, "category")
    types |= dict.fromkeys((*INTEGERS, *phases), "Int64")
    types |= dict.fromkeys(BOOLEANS, "bool") | dict.fromkeys(TEXTS, "string")
    frame = frame.astype(types)
    frame.attrs["headers"] = {run.header.run_id: run.header.to_json() for run in runs}
    return frame
