"""`isobench export --format parquet`: every sample a row, typed as harness.frame types it,
the run's header in the file's metadata under `isobench.headers` (run id -> header, JSON), so
that the file carries what each figure spans."""

from __future__ import annotations

import json
from pathlib import Path

from harness.results import Results, to_frame

HEADERS_KEY = b"isobench.headers"


def write(results: Results, output: Path) -> int:
    import pyarrow as pa  # noqa: PLC0415 - pyarrow and pandas: only when this format is asked for
    import pyarrow.parquet as pq  # noqa: PLC0415 - the same

    frame = to_frame(results)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}),
                HEADERS_KEY: json.dumps(frame.attrs["headers"]).encode()}  # fmt: skip
    pq.write_table(table.replace_schema_metadata(metadata), output)
    return len(frame)
