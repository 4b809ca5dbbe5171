"""Raw results: one JSON Lines file per run, a header line then one line per sample.

Samples are written (and flushed) as they are measured, so an interrupted run leaves a valid
file. Summaries are never stored: they are recomputed from these rows.

Schema history (bump harness.header.SCHEMA_VERSION on any change a reader must know about):
  1 - first version: header {schema_version, run_id, host, tools, variants, artifacts, plan};
      sample {workload, language, variant, size, arch, round, warmup, status, wall_ns,
      phases_ns, peak_memory_bytes, exit_code, stdout_sha256, detail, artifact_id}.
  2 - sample gains `profile` (build profile) and `linear_memory_bytes` (wasm); status
      "nonzero-exit" becomes "wrong-exit-code" (a size may expect a non-zero exit code).
      Version 1 files are read as profile "portable".
  3 - sample gains `state` ("cold" or "warm", as the header's variants describe them).
      Older files are read as state "warm" for native and wasmtime (AOT), "cold" for docker
      (created inside the timed region).
  4 - header `plan` gains `work_units` ({workload: {size: units}}) for throughput fits over sizes.
  5 - header gains `workloads` ({workload: {revision, description, stresses}}: results of
      different revisions are never compared) and `variants[v].wall_phases` ({state: [phase]}:
      the phases whose sum is wall_ns); sample gains `emulated` (the artifact is for another
      architecture than the host's). Older files are read as not emulated, revisions unknown.
  6 - rows of kind "scenario" (ScenarioSample: density, start rate, requests) beside the
      samples, and header `scenarios` ({name: what its figures span}, the scenario plan);
      statuses "oom" and "unavailable"; header `plan.memory_limit_bytes`, `unavailable`
      ({variant: why it was not measured}). Older files hold no scenario rows.
  7 - what a figure spans, made uniform (the faithful-figures issue): wall_ns runs from "start
      this instance" to "this instance is gone" in every variant (wasm: teardown phase; docker:
      remove inside it). Sample gains `cpu_ns` (the instance's CPU time, user + system),
      `rss_peak_bytes` (peak RSS by a second method), `steal_ns` (the host's steal time during
      the sample), `cold_resident_bytes` (what stayed in the page cache of the files a cold
      sample evicts); status "not-evicted". Header gains `measurement_revision`, `memory.
      charge_granularity_bytes` and `memory.resolution_bytes`, `plan.primer`, and per variant
      `instance` (process, container, in-host), `cpu_scope`, `rss_scope`, `cold_evicts`,
      `settings` (what the engine is told). Older files are read with these fields empty.
  8 - header `artifact_kinds` ({kind: caption}: each artifact kind and what a reader calls it,
      in column order, from the compiled binaries and the variants themselves); an artifact's
      `extra` gives way to typed fields: `build_ns`, `source_path` (the .wasm an AOT artifact
      came from), `image` ({tag, id, executable_sha256}). Older files are read with no captions
      (a report names their kinds as they are) and their `extra.build_ns`.
  9 - header `confinement` ({account, tasks, memory, not_enforced}: what the process variants'
      samples and scenario instances ran as, how their tasks and memory were limited, and what
      the host could not hold); status "output-limit" (an instance that wrote past what it may
      was stopped). Older files ran them as the harness's user, unconfined, output unbounded.
  10 - rows of kind "floor" (FloorStart: one start of a physical floor's loop, harness.floors,
      after each round of samples) and header `floors` ({floor: {scope, instance}}); a variant's
      `floor` (the floor its startup is shown over). Older files hold no floors.
  11 - scenario rows gain `start_mode` (how an in-host instance started: loaded, prelinked,
      pooled; empty for processes and containers) and `instance_start_ns`, `instance_run_ns`
      (its own start and run as its host timed them; the rest of `latency_ns` is the harness's
      plumbing). The wasmtime variant gains the states loaded, prelinked and pooled, whose
      `load` and `prelink` phases are timed before the clock, outside `wall_ns` (the header's
      `wall_phases` says so). Older files hold none of these.
  12 - header `stability` (harness.stability: the CPU frequency governors, turbo boost, SMT,
      the load average before the run, ASLR, the isolated and tickless CPUs, as the kernel
      said them; "" where it says nothing). Docker's samples gain the phases of their start
      seen from inside (containerd's events: `daemon_in` .. `daemon_out`, recorded apart).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from harness.errors import IsobenchError
from harness.frame import CATEGORIES, SAMPLE_COLUMNS, Columns, frame_of, read_columns, samples_of
from harness.header import SCHEMA_VERSION, Header
from harness.records import (
    BASELINE_STATE,
    BASELINE_VARIANT,
    FLOOR_TYPES,
    FLOOR_WORKLOAD,
    SAMPLE_FIELDS_SINCE,
    SAMPLE_TYPES,
    SCENARIO_TYPES,
    CellKey,
    FloorKey,
    FloorStart,
    Sample,
    ScenarioSample,
    Status,
    check_row,
    columns_fit,
    subject_of,
)

if TYPE_CHECKING:
    import pandas as pd

# The records (harness.records) are read and written here: every layer imports them from here
__all__ = ["BASELINE_STATE", "BASELINE_VARIANT", "FLOOR_WORKLOAD", "SCHEMA_VERSION", "CellKey",
           "FloorKey", "FloorStart", "Results", "ResultsWriter", "Sample", "ScenarioSample",
           "Status", "latest_results", "read_results", "subject_of", "to_frame",
           "with_emulated_labelled"]  # fmt: skip

READABLE_VERSIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
MIN_FREE_BYTES = 16 << 20  # refuse to start a run on a disk with less room than this


class ResultsWriter:
    """Appends one JSON line per sample and flushes it at once. A line is written whole or, if
    the disk fills up, cut short: the reader then treats it as an interrupted last line."""

    def __init__(self, path: Path, header: Header | None) -> None:
        """A new file with `header`, or (header None) the end of an existing file, for a
        resumed run: a last line cut short by the interruption is dropped first."""
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(path.parent).free
            if free < MIN_FREE_BYTES:
                raise IsobenchError(
                    f"{path.parent}: only {free >> 20} MiB free; a run needs at least "
                    f"{MIN_FREE_BYTES >> 20} MiB for its results"
                )
            # One writer per file: the lock is taken before a resumed file is touched
            self._stream: IO[str] = path.open("a" if header is None else "x", encoding="utf-8")
            self._lock()
            if header is None:
                _drop_cut_last_line(path)
        except OSError as error:
            raise IsobenchError(f"{path}: cannot write results: {error.strerror}") from None
        if header is not None:
            self._write(
                {"kind": "header", "schema_version": header.schema_version, **header.to_json()}
            )

    def _lock(self) -> None:
        """An exclusive lock on the file for as long as it is open (released when it closes,
        however the process ends); another writer of it is refused, never waited for."""
        try:
            fcntl.flock(self._stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._stream.close()
            raise IsobenchError(
                f"{self.path}: another isobench is writing this results file (a run, or a "
                "--resume of it); let it end first"
            ) from None

    def _write(self, row: dict[str, Any]) -> None:
        try:
            self._stream.write(json.dumps(row, sort_keys=False) + "\n")
            self._stream.flush()
        except OSError as error:
            raise IsobenchError(
                f"{self.path}: cannot write results ({error.strerror}); every line before "
                "this one is kept"
            ) from None

    def add(self, sample: Sample | ScenarioSample | FloorStart) -> None:
        self._write(sample.to_json())

    def close(self) -> None:
        with contextlib.suppress(OSError):  # a full disk: the error was reported at the write
            self._stream.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _drop_cut_last_line(path: Path) -> None:
    """Truncate `path` after its last newline: the line an interruption cut short goes."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as stream:
            stream.truncate(end)


@dataclass(frozen=True, slots=True)
class Results:
    path: Path
    header: Header
    frame: pd.DataFrame = field(compare=False)  # the samples in columns (harness.frame)
    truncated: bool  # the last line was cut short (the run was interrupted mid-write)
    sha256: str = ""  # of the file as read
    scenario_samples: list[ScenarioSample] = field(default_factory=list)
    # Parts of the header left out for not having their expected shape (harness.shapes): the
    # header holds only what it validly says.
    header_problems: list[str] = field(default_factory=list)
    floor_starts: list[FloorStart] = field(default_factory=list)
    # the samples as records, made from the frame when first asked for: statistics and the
    # report read the frame, and a million records would take longer than the whole report
    _records: list[Sample] = field(default_factory=list, repr=False, compare=False)

    @property
    def schema_version(self) -> int:
        return self.header.schema_version

    @property
    def samples(self) -> list[Sample]:
        if not self._records and len(self.frame):
            self._records.extend(samples_of(self.frame))
        return self._records


def read_results(path: Path) -> Results:
    """A results file, checked: in columns where every line is clean (harness.frame), row by
    row otherwise, which names the first line at fault."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IsobenchError(f"{path}: no such results file") from None
    except OSError as error:
        raise IsobenchError(f"{path}: cannot read: {error.strerror}") from None
    header_end = data.find(b"\n")
    columns: Columns | None = None
    if header_end > 0:
        try:
            header = _read_header(path, data[:header_end].decode("utf-8"))
        except UnicodeDecodeError:
            pass  # the row reader names the byte
        else:
            if header["schema_version"] >= SAMPLE_FIELDS_SINCE:
                columns = read_columns(data, header_end + 1)
    if columns is not None:
        frame, samples, truncated = columns.samples, list[Sample](), False
        scenario_samples, floor_starts = columns.scenario_samples, columns.floor_starts
    else:
        header, samples, scenario_samples, floor_starts, truncated = read_by_rows(path, data)
        frame = frame_of(samples)
    dropped: list[str] = []
    return Results(path, Header.read(header, dropped), frame, truncated,
                   hashlib.sha256(data).hexdigest(), scenario_samples,
                   header_problems=dropped, floor_starts=floor_starts,
                   _records=samples)  # fmt: skip


def _read_header(path: Path, line: str) -> dict[str, Any]:
    header = _parse_line(path, 1, line)
    if header.get("kind") != "header":
        raise IsobenchError(f"{path}: line 1: field 'kind': expected 'header'")
    version = header.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise IsobenchError(
            f"{path}: line 1: field 'schema_version': {version!r:.40} is not a version this "
            f"isobench reads ({', '.join(map(str, READABLE_VERSIONS))})"
        )
    return header


def read_by_rows(
    path: Path, data: bytes
) -> tuple[dict[str, Any], list[Sample], list[ScenarioSample], list[FloorStart], bool]:
    """A results file's bytes read line by line, as records: its header, samples, scenario
    operations and floor starts, and whether its last line was cut short. What read_results
    falls back to where the columns refuse a file: this reader names the line at fault."""
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError as error:
        raise IsobenchError(
            f"{path}: not UTF-8 text (byte {error.start}): not a results file"
        ) from None
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise IsobenchError(f"{path}: empty results file")
    header = _read_header(path, lines[0])
    # Samples hold no reference cycles: the cycle collector would only rescan the growing list
    # again and again while a big file loads (a third of the time of 100 000 samples).
    collecting = gc.isenabled()
    gc.disable()
    try:
        rows = _read_samples(path, lines, header["schema_version"])
    finally:
        if collecting:
            gc.enable()
    return header, *rows


def _read_samples(
    path: Path, lines: list[str], version: int
) -> tuple[list[Sample], list[ScenarioSample], list[FloorStart], bool]:
    rows, truncated = _parse_rows(path, lines)
    samples: list[Sample] = []
    scenario_samples: list[ScenarioSample] = []
    floor_starts: list[FloorStart] = []
    numbers: dict[str, list[int]] = {"sample": [], "scenario": [], "floor": []}  # their lines
    for number, row in enumerate(rows, start=2):
        kind = row.get("kind")
        try:
            if kind == "sample":
                samples.append(Sample.from_json(row, version))
            elif kind == "scenario":
                scenario_samples.append(ScenarioSample.from_json(row))
            elif kind == "floor":
                floor_starts.append(FloorStart.from_json(row))
            else:
                continue
        except (KeyError, TypeError, ValueError) as error:
            raise IsobenchError(f"{path}: line {number}: bad {kind}: {error}") from None
        numbers[kind].append(number)
    checked: tuple[tuple[str, Sequence[Any], dict[str, tuple[type, ...]]], ...] = (
        ("sample", samples, SAMPLE_TYPES),
        ("scenario", scenario_samples, SCENARIO_TYPES),
        ("floor", floor_starts, FLOOR_TYPES),
    )
    for kind, records, types in checked:
        if not columns_fit(records, types):  # then find and name the first bad line
            for record, number in zip(records, numbers[kind], strict=True):
                try:
                    check_row({name: getattr(record, name) for name in types}, types)
                except ValueError as error:
                    raise IsobenchError(f"{path}: line {number}: bad {kind}: {error}") from None
    return samples, scenario_samples, floor_starts, truncated


def _parse_rows(path: Path, lines: list[str]) -> tuple[list[dict[str, Any]], bool]:
    """Every line after the header as a JSON object, and whether the last was cut short.
    The whole file is parsed as one JSON array first (one call into orjson, the quick path of a
    big file); line by line only when that fails, to name the bad line."""
    try:
        rows = orjson.loads("[" + ",".join(lines[1:]) + "]")
        # one object per line, exactly: a line holding `{...}, {...}` is not a results line
        if len(rows) == len(lines) - 1 and all(isinstance(row, dict) for row in rows):
            return rows, False
    except orjson.JSONDecodeError:
        pass
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            rows.append(_parse_line(path, number, line))
        except IsobenchError:
            if number == len(lines):  # an interrupted write can only cut the last line
                return rows, True
            raise
    return rows, False


def _parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        row = orjson.loads(line)  # the stdlib's json is ~3x slower on a 100 000-sample file
    except orjson.JSONDecodeError as error:
        raise IsobenchError(f"{path}: line {number}: not JSON: {error}") from None
    if not isinstance(row, dict):
        raise IsobenchError(f"{path}: line {number}: not a JSON object")
    return row


EMULATED_SUFFIX = " (emulated)"


def with_emulated_labelled(results: Results) -> Results:
    """The results with their emulated samples turned into samples of a variant of their own,
    "native (emulated)": asked for (--include-emulated), they enter summaries under that name,
    never mixed with the same variant measured on its own CPU."""
    frame = results.frame.copy()
    emulated = frame["emulated"].to_numpy(dtype=bool)
    variants = frame["variant"].astype(str)
    variants[emulated] = variants[emulated] + EMULATED_SUFFIX
    frame["variant"] = variants.astype("category")
    frame["emulated"] = False
    return replace(results, frame=frame, _records=[])


def to_frame(results: Results | Sequence[Results]) -> pd.DataFrame:
    """The samples of one or more runs in one frame (harness.frame), a `run_id` column first,
    each run's header, as its file wrote it, in `frame.attrs["headers"]` by run id."""
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.4 s: only for what reads samples

    runs = [results] if isinstance(results, Results) else list(results)
    frames = [run.frame.assign(run_id=run.header.run_id) for run in runs]
    frame = pd.concat(frames, ignore_index=True) if frames else frame_of([]).assign(run_id="")
    phases = [name for name in frame.columns if name not in (*SAMPLE_COLUMNS, "run_id")]
    # runs with other labels or phases than the first: categories and nullable integers again
    frame = frame[["run_id", *SAMPLE_COLUMNS, *phases]].astype(
        dict.fromkeys(("run_id", *CATEGORIES), "category") | dict.fromkeys(phases, "Int64")
    )
    frame.attrs["headers"] = {run.header.run_id: run.header.to_json() for run in runs}
    return frame


def latest_results(results_dir: Path) -> Path:
    candidates = sorted(results_dir.glob("*.jsonl"))
    if not candidates:
        raise IsobenchError(f"{results_dir}: holds no results (*.jsonl); run `isobench run` first")
    return candidates[-1]
