"""`isobench export --format csv`: every sample a row, harness.frame's columns (the header is
not in a CSV: `export --format parquet` keeps it)."""

from __future__ import annotations

from pathlib import Path

from harness.results import Results


def write(results: Results, output: Path) -> int:
    from harness.frame import to_frame  # noqa: PLC0415 - pandas costs 0.2 s: only when a format asks for it, not at every start

    frame = to_frame(results)
    frame.to_csv(output, index=False)
    return len(frame)
