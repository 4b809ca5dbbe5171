"""A run's samples in columns: a pandas DataFrame, one row per sample, in file order. What the
statistics, the report, compare and the exports work on, and what a notebook starts from
(`api.to_frame`):

    frame = api.to_frame(api.read_results(Path("results/example/run.jsonl")))
    frame[frame.status == "ok"].groupby(["workload", "variant", "state"]).wall_ns.median()

Columns: every Sample field but `phases_ns` (names, statuses and other labels as categories;
counts and figures in ns or bytes as nullable integers, <NA> where the sample recorded none),
then one `phase.<name>_ns` column per phase any sample recorded.

A results file is read into columns by pyarrow's JSON reader (`read_columns`: a million samples
in 3.5 to 9 s here, by the hour, where building a record per line took 61 s and more), checked
column by column against the same types and ranges as the row reader's; anything not clean
(a bad value, a missing field, a line cut short) goes back to the row reader
(harness.results), which names the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import IO, TYPE_CHECKING, Any, cast

from harness.names import is_name
from harness.records import (
    FLOOR_TYPES,
    NAMED,
    NON_NEGATIVE,
    SAMPLE_TYPES,
    SCENARIO_TYPES,
    STATUSES,
    FloorStart,
    Sample,
    ScenarioSample,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# Labels: few distinct values over many rows
CATEGORIES = ("workload", "language", "variant", "size", "profile", "state", "arch", "status")
INTEGERS = ("round", "wall_ns", "peak_memory_bytes", "linear_memory_bytes", "exit_code",
            "cpu_ns", "rss_peak_bytes", "steal_ns", "cold_resident_bytes")  # fmt: skip
BOOLEANS = ("warmup", "emulated")
TEXTS = ("stdout_sha256", "detail", "artifact_id")
SAMPLE_COLUMNS = tuple(field.name for field in fields(Sample) if field.name != "phases_ns")
PHASE_PREFIX, PHASE_SUFFIX = "phase.", "_ns"
# pyarrow's reader parses JSON blocks of this size on each core: its default 1 MiB read a
# million samples in 4.5 s here against 3.7 s at 8 MiB (one trial); 2 to 16 MiB were within
# noise of each other
BLOCK_BYTES = 8 << 20


def phase_column(phase: str) -> str:
    return f"{PHASE_PREFIX}{phase}{PHASE_SUFFIX}"


def phase_columns(frame: pd.DataFrame) -> list[str]:
    """The frame's phase columns, in the order the samples first recorded them."""
    return [str(name) for name in frame.columns if str(name).startswith(PHASE_PREFIX)]


def phase_of(column: str) -> str:
    return column.removeprefix(PHASE_PREFIX).removesuffix(PHASE_SUFFIX)


def _typed(frame: pd.DataFrame, phases: Sequence[str]) -> pd.DataFrame:
    types: dict[str, str] = dict.fromkeys(CATEGORIES, "category")
    types |= dict.fromkeys((*INTEGERS, *phases), "Int64")
    types |= dict.fromkeys(BOOLEANS, "bool") | dict.fromkeys(TEXTS, "string")
    return frame.astype(types)


def frame_of(samples: Sequence[Sample]) -> pd.DataFrame:
    """Samples held as records (a run's, as it measured them) in columns."""
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.4 s: commands that read no samples skip it

    columns: dict[str, list[Any]] = {name: [] for name in SAMPLE_COLUMNS}
    phases: dict[str, list[int | None]] = {}
    for row, sample in enumerate(samples):
        for name in SAMPLE_COLUMNS:
            columns[name].append(getattr(sample, name))
        for phase, value in sample.phases_ns.items():
            phases.setdefault(phase_column(phase), [None] * row).append(value)
        for values in phases.values():  # phases this sample did not record
            if len(values) == row:
                values.append(None)
    columns["status"] = [status.value for status in columns["status"]]
    return _typed(pd.DataFrame({**columns, **phases}), list(phases))


def samples_of(frame: pd.DataFrame) -> list[Sample]:
    """The frame's rows as records (for the few a caller needs one by one: the samples that
    failed, a resumed run's)."""
    import pandas as pd  # noqa: PLC0415 - see frame_of

    def values(column: str) -> list[Any]:
        return [None if value is pd.NA else value for value in frame[column].tolist()]

    columns = {name: values(name) for name in SAMPLE_COLUMNS}
    columns["status"] = [STATUSES[status] for status in columns["status"]]
    phases = {phase_of(column): values(column) for column in phase_columns(frame)}
    return [
        Sample(**{name: columns[name][row] for name in SAMPLE_COLUMNS},
               phases_ns={phase: by_row[row] for phase, by_row in phases.items()
                          if by_row[row] is not None})
        for row in range(len(frame))
    ]  # fmt: skip


# -- a results file in columns --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Columns:
    """The rows after a results file's header, read in columns and checked."""

    samples: pd.DataFrame
    scenario_samples: list[ScenarioSample]
    floor_starts: list[FloorStart]


_NULLABLE_INT = (int, type(None))


def _arrow_type(allowed: tuple[type, ...]) -> pa.DataType:
    """The pyarrow type a field's values have once checked (a field two kinds share has one)."""
    import pyarrow as pa  # noqa: PLC0415 - see frame_of

    types: dict[tuple[type, ...], pa.DataType] = {
        (str,): pa.string(), (bool,): pa.bool_(), (int,): pa.int64(), _NULLABLE_INT: pa.int64()
    }  # fmt: skip
    return types[allowed]


_KINDS: dict[str, dict[str, tuple[type, ...]]] = {
    "sample": {**SAMPLE_TYPES, "status": (str,)},
    "scenario": {**SCENARIO_TYPES, "status": (str,)},
    "floor": {**FLOOR_TYPES, "status": (str,)},
}  # fmt: skip


def read_columns(data: bytes, start: int) -> Columns | None:
    """The rows of `data` (a results file) from offset `start` (after its header line), read in
    columns; None unless every line is one whole object whose every field has its type and
    range, with none missing: the row reader then reads them, and names the line at fault."""
    import pyarrow as pa  # noqa: PLC0415 - see frame_of
    import pyarrow.compute as pc  # noqa: PLC0415

    table = _parsed(data, start)
    if table is None:
        return None
    kinds = table.column("kind")
    if pc.all(pc.equal(kinds, pa.scalar("sample")), skip_nulls=False).as_py():
        parts = dict.fromkeys(_KINDS, table.slice(0, 0)) | {"sample": table}  # no copy
    else:
        parts = {kind: table.filter(pc.equal(kinds, pa.scalar(kind))) for kind in _KINDS}
    if not all(_clean(parts[kind], types) for kind, types in _KINDS.items()):
        return None
    samples = _sample_frame(parts["sample"])
    if samples is None:
        return None
    return Columns(samples, [ScenarioSample(**row) for row in _rows(parts["scenario"], "scenario")],
                [FloorStart(**row) for row in _rows(parts["floor"], "floor")])  # fmt: skip


def _parsed(data: bytes, start: int) -> pa.Table | None:
    """Every line from `start` as a row of a table, each column's type inferred (values of one
    field that differ in type fail here, and are checked after: an explicit schema makes
    pyarrow convert as it parses, a third slower); None where a line is not one whole object."""
    import pyarrow as pa  # noqa: PLC0415 - see frame_of
    import pyarrow.json as pj  # noqa: PLC0415

    if not data.endswith(b"\n") or start >= len(data):
        return None  # a last line cut short, or no rows: the row reader's cases
    try:
        # On the system allocator: pyarrow's default pool (mimalloc) spent 7 to 12 s of system
        # time getting the memory of a million-sample parse here, glibc's malloc 0.5 to 1.2 s
        # (the report of a million samples, alternated: median 12.2 -> 10.4 s, each pair quicker)
        table = pj.read_json(
            cast("IO[bytes]", pa.BufferReader(pa.py_buffer(data)[start:])),
            read_options=pj.ReadOptions(block_size=BLOCK_BYTES),
            memory_pool=pa.system_memory_pool(),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if "kind" not in table.column_names or table.schema.field("kind").type != pa.string():
        return None
    # Nothing computes over a table pyarrow's reader built wrong: from a list whose first values
    # are null it builds offsets that run past the values (apache/arrow#51305), and filtering
    # such rows by kind read past the buffers and killed the process. No field holds a list
    # (phases_ns is the one object) and a full check costs 0.07 s a million samples: both here
    if not all(_readable(field.type) for field in table.schema):
        return None
    try:
        table.validate(full=True)
    except pa.ArrowInvalid:
        return None
    # pyarrow skips empty lines and reads two objects on one line: the row reader refuses both
    return table if table.num_rows == data.count(b"\n", start) else None


def _readable(column: pa.DataType) -> bool:
    """Whether a column's inferred type is one a clean field can have: a scalar (null where
    every value is null) or an object of scalars (phases_ns)."""
    import pyarrow as pa  # noqa: PLC0415 - see frame_of

    scalar = (pa.string(), pa.bool_(), pa.int64(), pa.null())
    if pa.types.is_struct(column):
        return all(child.type in scalar for child in column)
    return column in scalar


def _rows(part: pa.Table, kind: str) -> list[dict[str, Any]]:
    """The rows of a kind (few: scenario operations, floor starts) as its fields' values, the
    status a Status."""
    if part.num_rows == 0:
        return []
    rows = part.select(list(_KINDS[kind])).to_pylist()
    for row in rows:
        row["status"] = STATUSES[row["status"]]
    return rows


def _clean(part: pa.Table, types: dict[str, tuple[type, ...]]) -> bool:
    """Whether every row of one kind has each of its fields, of its type and in its range."""
    return part.num_rows == 0 or all(
        name in part.column_names and _column_clean(name, part.column(name), allowed)
        for name, allowed in types.items()
    )


def _column_clean(name: str, column: pa.ChunkedArray[Any], allowed: tuple[type, ...]) -> bool:
    import pyarrow as pa  # noqa: PLC0415 - see frame_of
    import pyarrow.compute as pc  # noqa: PLC0415

    if name == "phases_ns":
        return not column.null_count  # its values are checked as the frame's columns
    if column.type != _arrow_type(allowed) and not pa.types.is_null(column.type):
        return False  # as inferred: a float, a number where a string belongs, ...
    if type(None) not in allowed and column.null_count:
        return False  # missing or null: the row reader tells which (a default, or wrong)
    if name in NON_NEGATIVE and (pc.min(column).as_py() or 0) < 0:
        return False
    if name in NAMED and not all(map(is_name, pc.unique(column).to_pylist())):
        return False
    return name != "status" or set(pc.unique(column).to_pylist()) <= STATUSES.keys()


def _sample_frame(part: pa.Table) -> pd.DataFrame | None:
    """The sample rows as the frame (frame_of's columns and types); None when a phase is not a
    non-negative integer."""
    import pandas as pd  # noqa: PLC0415 - see frame_of
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    if part.num_rows == 0:
        return frame_of([])
    # (a column every row left null was inferred as of no type)
    columns: dict[str, pa.Array[Any] | pa.ChunkedArray[Any]] = {
        name: part.column(name).cast(_arrow_type(_KINDS["sample"][name])) for name in SAMPLE_COLUMNS
    }
    phases = part.column("phases_ns")
    if not pa.types.is_struct(phases.type):
        return None
    for index, child in enumerate(phases.type):
        # each phase's values chunk by chunk: no copy of the whole struct column first
        chunks = [cast("pa.StructArray", chunk).field(index) for chunk in phases.chunks]
        values = pa.chunked_array(chunks, child.type)
        if not (child.type == pa.int64() or pa.types.is_null(child.type)):
            return None
        if (pc.min(values).as_py() or 0) < 0:
            return None
        columns[phase_column(child.name)] = values.cast(pa.int64())
    for name in CATEGORIES:
        columns[name] = columns[name].dictionary_encode()
    table = pa.Table.from_arrays(list(columns.values()), names=list(columns))
    nullable = {pa.int64(): pd.Int64Dtype(), pa.string(): pd.StringDtype()}
    return table.to_pandas(types_mapper=nullable.get)
