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
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from harness.errors import IsobenchError
from harness.header import SCHEMA_VERSION, Header
from harness.names import RULE as NAME_RULE
from harness.names import is_name

READABLE_VERSIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
SAMPLE_FIELDS_SINCE = 7  # a sample has had exactly its fields since this schema version
_STATE_BEFORE_3 = {"docker": "cold"}  # the only variant whose old samples were cold


# Every figure is read against the same run's native warm cell (its baseline), and a net figure
# subtracts each variant's noop cells (its startup floor) first.
BASELINE_VARIANT = "native"
BASELINE_STATE = "warm"
FLOOR_WORKLOAD = "noop"


class FloorKey(NamedTuple):
    """A variant's startup floor: its noop cells, at any size (noop does the same at each)."""

    language: str
    variant: str
    profile: str
    state: str


class CellKey(NamedTuple):
    """What identifies a cell (a workload in one language, variant, size, build profile and
    state): its samples in a results file, its summary, its comparison."""

    workload: str
    language: str
    variant: str
    size: str
    profile: str
    state: str

    @property
    def label(self) -> str:
        """How a cell is named to a reader: matmul (c, docker warm, default, portable)."""
        return (f"{self.workload} ({self.language}, {self.variant} {self.state}, {self.size}, "
                f"{self.profile})")  # fmt: skip

    @property
    def baseline(self) -> CellKey:
        """The cell this one is a ratio to: native warm, same workload, language, size and
        profile."""
        return self._replace(variant=BASELINE_VARIANT, state=BASELINE_STATE)

    @property
    def floor(self) -> FloorKey:
        """The startup floor subtracted from this cell for its net figures."""
        return FloorKey(self.language, self.variant, self.profile, self.state)


class Status(StrEnum):
    OK = "ok"  # exited 0 and printed exactly the expected output: the only timings kept
    WRONG_OUTPUT = "wrong-output"
    WRONG_EXIT_CODE = "wrong-exit-code"  # not the exit code the size expects
    CRASHED = "crashed"  # killed by a signal, or a wasm trap
    TIMEOUT = "timeout"
    OOM = "oom"  # stopped at the memory limit (killed by the OOM killer, or by Docker)
    UNAVAILABLE = "unavailable"  # the variant's engine could not be reached (Docker daemon gone)
    # a cold sample whose files stayed (partly) in the page cache: it was not taken cold
    NOT_EVICTED = "not-evicted"
    ERROR = "error"  # the harness could not take the sample
    # wrote past what an instance may (harness.confine.OUTPUT_LIMIT_BYTES): stopped there
    OUTPUT_LIMIT = "output-limit"


@dataclass(frozen=True, slots=True)
class Sample:
    workload: str
    language: str
    variant: str
    size: str
    profile: str  # build profile: portable or simd
    state: str  # cold or warm: what the header's variants say each means
    arch: str
    round: int  # position of the round in the run; variants are shuffled within a round
    warmup: bool  # warm-up samples are kept as raw data but left out of statistics
    status: Status
    wall_ns: int | None  # what it spans depends on the variant: see header `variants`
    phases_ns: dict[str, int] = field(default_factory=dict)
    peak_memory_bytes: int | None = None  # None when no memory cgroup was available
    linear_memory_bytes: int | None = None  # wasm only: the instance's memory at exit
    exit_code: int | None = None
    stdout_sha256: str = ""
    detail: str = ""  # why the status is not ok
    artifact_id: str = ""
    # Run under emulation (an artifact for another architecture): a correctness check only,
    # never in performance summaries or comparisons.
    emulated: bool = False
    # The instance's CPU time, user + system: the header's `variants[v].cpu_scope` says whose.
    # (One figure: the kernel's user/system split is sampled per tick, far too coarse here.)
    cpu_ns: int | None = None
    # Peak resident memory by a second method (rusage maxrss, VmHWM): `variants[v].rss_scope`
    rss_peak_bytes: int | None = None
    steal_ns: int | None = None  # the host's steal time during the sample (/proc/stat, in ticks)
    # Cold samples: bytes of the evicted files still in the page cache when the clock started
    # (0: verified cold); None in a state that evicts nothing
    cold_resident_bytes: int | None = None

    @property
    def cell_key(self) -> CellKey:
        """The cell the sample belongs to."""
        return CellKey(self.workload, self.language, self.variant, self.size, self.profile,
                       self.state)  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"kind": "sample", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any], schema_version: int = SCHEMA_VERSION) -> Sample:
        if schema_version >= SAMPLE_FIELDS_SINCE and len(data) == _KNOWN_KEYS and "kind" in data:
            values = dict(data)  # the usual case, and the quick path of a big file
            del values["kind"]
        else:  # fields this isobench does not know are left out
            values = {key: value for key, value in data.items() if key in _SAMPLE_FIELDS}
        if schema_version < 3:
            values.setdefault("state", _STATE_BEFORE_3.get(values["variant"], "warm"))
        if schema_version == 1:
            values.setdefault("profile", "portable")
            if values["status"] == "nonzero-exit":
                values["status"] = Status.WRONG_EXIT_CODE.value
        values["status"] = _STATUSES[values["status"]]  # KeyError: not a status
        return cls(**values)


_SAMPLE_FIELDS = frozenset(f.name for f in fields(Sample))
_NONE = type(None)
# The exact JSON types of each field (bool is not an int here): a results file is checked, not
# trusted, since it may come from another host, tool or hand.
_SAMPLE_TYPES: dict[str, tuple[type, ...]] = {
    # (status is checked by its conversion to Status: an unknown one is a KeyError)
    **dict.fromkeys(("workload", "language", "variant", "size", "profile", "state", "arch",
                     "stdout_sha256", "detail", "artifact_id"), (str,)),
    "round": (int,), "warmup": (bool,), "emulated": (bool,), "phases_ns": (dict,),
    **dict.fromkeys(("wall_ns", "peak_memory_bytes", "linear_memory_bytes", "exit_code",
                     "cpu_ns", "rss_peak_bytes", "steal_ns",
                     "cold_resident_bytes"), (int, _NONE)),
}  # fmt: skip
_NON_NEGATIVE = ("wall_ns", "peak_memory_bytes", "linear_memory_bytes", "cpu_ns",
                 "rss_peak_bytes", "steal_ns", "cold_resident_bytes")  # fmt: skip
# Fields that name things (harness/names.py): they become labels in tables, figures and paths
_NAMED = (
    "workload",
    "language",
    "variant",
    "size",
    "profile",
    "state",
    "scenario",
    "mode",
    "floor",
)


def _check_row(values: dict[str, Any], types: dict[str, tuple[type, ...]]) -> None:
    """Raise ValueError naming the first field whose value has not its type."""
    for name, value in values.items():
        allowed = types.get(name)
        if allowed is not None and type(value) not in allowed:
            raise ValueError(f"field {name!r}: {type(value).__name__} {value!r:.40}")
    for name in _NON_NEGATIVE:
        value = values.get(name)
        if value is not None and value < 0:
            raise ValueError(f"field {name!r}: negative ({value})")
    phases = values.get("phases_ns")
    if phases and not all(type(ns) is int and ns >= 0 for ns in phases.values()):
        raise ValueError("field 'phases_ns': not a map of phase names to nanoseconds")
    for name in _NAMED:
        if name in values and not is_name(values[name]):
            raise ValueError(f"field {name!r}: {values[name]!r:.60} is not a name ({NAME_RULE})")


def _columns_fit(records: Sequence[Any], types: dict[str, tuple[type, ...]]) -> bool:
    """Whether every record's fields have their types and ranges (as _check_row checks them),
    in passes over the records in C (map, set, min), one per group of fields that allow the
    same types: 100 000 samples in a quarter of a second, not a second row by row."""
    fields_by_types: dict[tuple[type, ...], list[str]] = {}
    for name, allowed in types.items():
        fields_by_types.setdefault(allowed, []).append(name)
    for allowed, names in fields_by_types.items():
        values = map(attrgetter(*names), records)  # a tuple per record when several names
        found = set(map(type, chain.from_iterable(values) if len(names) > 1 else values))
        if not found <= set(allowed):
            return False
    for name in _NON_NEGATIVE:
        if name in types:
            known = [value for value in map(attrgetter(name), records) if value is not None]
            if min(known, default=0) < 0:
                return False
    for name in _NAMED:  # few distinct values: each checked once
        if name in types and not all(map(is_name, set(map(attrgetter(name), records)))):
            return False
    if "phases_ns" in types:
        phases = map(dict.values, map(attrgetter("phases_ns"), records))
        nanoseconds = list(chain.from_iterable(phases))
        return set(map(type, nanoseconds)) <= {int} and min(nanoseconds, default=0) >= 0
    return True


_STATUSES = {status.value: status for status in Status}
_KNOWN_KEYS = len(_SAMPLE_FIELDS) + 1  # and "kind"


@dataclass(frozen=True, slots=True)
class ScenarioSample:
    """One measured operation of a scenario (harness.scenarios says what each one spans): a
    density step (K instances up at once), one instance start, or one request."""

    scenario: str  # density, start-rate or requests
    workload: str
    language: str
    variant: str
    mode: str  # density: idle; start-rate: sequential or concurrent; requests: fresh or long-lived
    concurrency: int  # starters or clients working at once
    instances: int  # instances up at once (density: K; otherwise 1 per starter)
    repetition: int  # the batch: variants are interleaved between batches, in a seeded order
    index: int  # the operation's position in its batch
    status: Status
    start_offset_ns: int | None  # when the operation began, from the start of its batch
    latency_ns: int | None  # how long it took (density: to have all K instances answering)
    request: str = ""  # requests: the size the request is (its expected answer)
    # density: memory before the K instances and with all K up (MemTotal - MemAvailable, and
    # the PSS sum of the instances' own processes and the shared ones: daemons, a wasm host)
    host_used_before_bytes: int | None = None
    host_used_after_bytes: int | None = None
    pss_before_bytes: int | None = None
    pss_after_bytes: int | None = None
    detail: str = ""  # why the status is not ok
    arch: str = ""
    emulated: bool = False
    artifact_id: str = ""
    # An in-host instance: how it started (loaded, prelinked, pooled), and its own start and run
    # as its host timed them (harness.targets.base.Ended); latency_ns less both is the plumbing
    start_mode: str = ""
    instance_start_ns: int | None = None
    instance_run_ns: int | None = None

    @property
    def subject(self) -> str:
        return subject_of(self.variant, self.start_mode)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "scenario", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScenarioSample:
        return cls(**_known_fields(data, _SCENARIO_FIELDS))


def subject_of(variant: str, start_mode: str) -> str:
    """A scenario's variant, with its start mode where it has one ("wasmtime pooled")."""
    return f"{variant} {start_mode}" if start_mode else variant


def _known_fields(data: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """A row's fields this isobench knows (others are left out), its status made a Status."""
    values = {key: value for key, value in data.items() if key in known}
    values["status"] = _STATUSES[values["status"]]  # KeyError: not a status
    return values


_SCENARIO_FIELDS = frozenset(f.name for f in fields(ScenarioSample))
_SCENARIO_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("scenario", "workload", "language", "variant", "mode", "request",
                     "detail", "arch", "artifact_id"), (str,)),
    **dict.fromkeys(("concurrency", "instances", "repetition", "index"), (int,)),
    **dict.fromkeys(("start_offset_ns", "latency_ns", "host_used_before_bytes",
                     "host_used_after_bytes", "pss_before_bytes", "pss_after_bytes"),
                    (int, _NONE)),
    "emulated": (bool,),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FloorStart:
    """One start of a physical floor's loop (harness.floors): a start mechanism alone, timed by
    the loop that made it, with no harness inside. A floor whose mechanism is missing has one
    row per loop: status unavailable, no time, the reason in `detail`."""

    floor: str  # the header's `floors` say what one start spans
    round: int  # the round of samples the loop followed
    index: int  # the start's position in its loop
    status: Status  # ok or unavailable
    wall_ns: int | None
    detail: str = ""
    arch: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": "floor", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FloorStart:
        return cls(**_known_fields(data, _FLOOR_FIELDS))


_FLOOR_FIELDS = frozenset(f.name for f in fields(FloorStart))
_FLOOR_TYPES: dict[str, tuple[type, ...]] = {
    "floor": (str,), "detail": (str,), "arch": (str,), "round": (int,), "index": (int,),
    "wall_ns": (int, _NONE),
}  # fmt: skip


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
    samples: list[Sample]
    truncated: bool  # the last line was cut short (the run was interrupted mid-write)
    sha256: str = ""  # of the file as read
    scenario_samples: list[ScenarioSample] = field(default_factory=list)
    # Parts of the header left out for not having their expected shape (harness.shapes): the
    # header holds only what it validly says.
    header_problems: list[str] = field(default_factory=list)
    floor_starts: list[FloorStart] = field(default_factory=list)

    @property
    def schema_version(self) -> int:
        return self.header.schema_version


def read_results(path: Path) -> Results:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IsobenchError(f"{path}: no such results file") from None
    except OSError as error:
        raise IsobenchError(f"{path}: cannot read: {error.strerror}") from None
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
    header = _parse_line(path, 1, lines[0])
    if header.get("kind") != "header":
        raise IsobenchError(f"{path}: line 1: field 'kind': expected 'header'")
    version = header.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise IsobenchError(
            f"{path}: line 1: field 'schema_version': {version!r} is not a version this "
            f"isobench reads ({', '.join(map(str, READABLE_VERSIONS))})"
        )
    # Samples hold no reference cycles: the cycle collector would only rescan the growing list
    # again and again while a big file loads (a third of the time of 100 000 samples).
    collecting = gc.isenabled()
    gc.disable()
    try:
        samples, scenario_samples, floor_starts, truncated = _read_samples(path, lines, version)
    finally:
        if collecting:
            gc.enable()
    dropped: list[str] = []
    return Results(path, Header.read(header, dropped), samples, truncated,
                   hashlib.sha256(data).hexdigest(), scenario_samples,
                   header_problems=dropped, floor_starts=floor_starts)  # fmt: skip


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
        ("sample", samples, _SAMPLE_TYPES),
        ("scenario", scenario_samples, _SCENARIO_TYPES),
        ("floor", floor_starts, _FLOOR_TYPES),
    )
    for kind, records, types in checked:
        if not _columns_fit(records, types):  # then find and name the first bad line
            for record, number in zip(records, numbers[kind], strict=True):
                try:
                    _check_row({name: getattr(record, name) for name in types}, types)
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
    samples = [
        replace(sample, variant=sample.variant + EMULATED_SUFFIX, emulated=False)
        if sample.emulated
        else sample
        for sample in results.samples
    ]
    return replace(results, samples=samples)


def latest_results(results_dir: Path) -> Path:
    candidates = sorted(results_dir.glob("*.jsonl"))
    if not candidates:
        raise IsobenchError(f"{results_dir}: holds no results (*.jsonl); run `isobench run` first")
    return candidates[-1]
