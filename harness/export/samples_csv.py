"""`isobench export --format csv`: every sample a row, harness.frame's columns (the header is
not in a CSV: `export --format parquet` keeps it)."""

from __future__ import annotations

from pathlib import Path

from harness.results import Results, to_frame


def write(results: Results, output: Path) -> int:
    frame = to_frame(results)
    frame.to_csv(output, index=False)
    return len(frame)
