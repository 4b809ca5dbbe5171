"""`isobench export`: a results file in another tool's format, one module per format
(hyperfine's exporters): each `write(results, output) -> count` of what it wrote.

- `csv`: every sample a row (harness.frame's columns), for a spreadsheet or a notebook;
- `parquet`: the same, typed, with every header in the file's metadata (`isobench.headers`);
- `pytest-benchmark`: one benchmark per cell, in pytest-benchmark's JSON.

The summary and a comparison have formats of their own (`summary --format`, `compare
--format`: harness.export.summary_table, harness.export.compare_table).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.errors import IsobenchError
from harness.export import pytest_bench, samples_csv, samples_parquet
from harness.results import Results

WRITERS: dict[str, Callable[[Results, Path], int]] = {
    "csv": samples_csv.write,
    "parquet": samples_parquet.write,
    "pytest-benchmark": pytest_bench.write,
}
FORMATS = tuple(WRITERS)
WHAT_IS_WRITTEN = {"csv": "samples", "parquet": "samples", "pytest-benchmark": "benchmarks"}


def export(results: Results, output: Path, file_format: str) -> int:
    """Write `results` in `file_format` to `output`; how many rows (or benchmarks) it holds."""
    writer = WRITERS.get(file_format)
    if writer is None:
        raise IsobenchError(f"export: unknown format {file_format!r} (known: {', '.join(FORMATS)})")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        return writer(results, output)
    except OSError as error:
        raise IsobenchError(f"{output}: cannot write: {error.strerror}") from None
