"""The rows of a results file as typed records (a sample, a scenario operation, a floor start),
the keys that group them, and the exact JSON type each field must have: a results file is
checked, not trusted (harness.results reads it row by row, harness.frame in columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from itertools import chain
from operator import attrgetter
from typing import Any, NamedTuple

from harness.header import SCHEMA_VERSION
from harness.names import RULE as NAME_RULE
from harness.names import is_name

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
    # what it spans depends on the variant: see header `variants`; None (null or missing): not
    # timed
    wall_ns: int | None = None
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
        values["status"] = STATUSES[values["status"]]  # KeyError: not a status
        return cls(**values)


_SAMPLE_FIELDS = frozenset(f.name for f in fields(Sample))
_NONE = type(None)
# The exact JSON types of each field (bool is not an int here): a results file is checked, not
# trusted, since it may come from another host, tool or hand.
SAMPLE_TYPES: dict[str, tuple[type, ...]] = {
    # (status is checked by its conversion to Status: an unknown one is a KeyError)
    **dict.fromkeys(("workload", "language", "variant", "size", "profile", "state", "arch",
                     "stdout_sha256", "detail", "artifact_id"), (str,)),
    "round": (int,), "warmup": (bool,), "emulated": (bool,), "phases_ns": (dict,),
    **dict.fromkeys(("wall_ns", "peak_memory_bytes", "linear_memory_bytes", "exit_code",
                     "cpu_ns", "rss_peak_bytes", "steal_ns",
                     "cold_resident_bytes"), (int, _NONE)),
}  # fmt: skip
NON_NEGATIVE = ("wall_ns", "peak_memory_bytes", "linear_memory_bytes", "cpu_ns",
                 "rss_peak_bytes", "steal_ns", "cold_resident_bytes")  # fmt: skip
# Fields that name things (harness/names.py): they become labels in tables, figures and paths
NAMED = (
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


# Figures are held as 64-bit integers in columns (harness.frame): a value beyond is refused
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_row(values: dict[str, Any], types: dict[str, tuple[type, ...]]) -> None:
    """Raise ValueError naming the first field whose value has not its type."""
    for name, value in values.items():
        allowed = types.get(name)
        if allowed is not None and type(value) not in allowed:
            raise ValueError(f"field {name!r}: {type(value).__name__} {value!r:.40}")
        if allowed is not None and type(value) is int and not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"field {name!r}: {value:.3g} does not fit in 64 bits")
    for name in NON_NEGATIVE:
        value = values.get(name)
        if value is not None and value < 0:
            raise ValueError(f"field {name!r}: negative ({value})")
    phases = values.get("phases_ns")
    if phases and not all(type(ns) is int and 0 <= ns <= INT64_MAX for ns in phases.values()):
        raise ValueError("field 'phases_ns': not a map of phase names to nanoseconds")
    for name in NAMED:
        if name in values and not is_name(values[name]):
            raise ValueError(f"field {name!r}: {values[name]!r:.60} is not a name ({NAME_RULE})")


def columns_fit(records: Sequence[Any], types: dict[str, tuple[type, ...]]) -> bool:
    """Whether every record's fields have their types and ranges (as check_row checks them),
    in passes over the records in C (map, set, min), one per group of fields that allow the
    same types: 100 000 samples in a quarter of a second, not a second row by row."""
    fields_by_types: dict[tuple[type, ...], list[str]] = {}
    for name, allowed in types.items():
        fields_by_types.setdefault(allowed, []).append(name)
    for allowed, names in fields_by_types.items():
        tuples = map(attrgetter(*names), records)  # a tuple per record when several names
        values = list(chain.from_iterable(tuples) if len(names) > 1 else tuples)
        if not set(map(type, values)) <= set(allowed):
            return False
        numbers = [value for value in values if type(value) is int] if int in allowed else []
        if numbers and not INT64_MIN <= min(numbers) <= max(numbers) <= INT64_MAX:
            return False
    for name in NON_NEGATIVE:
        if name in types:
            known = [value for value in map(attrgetter(name), records) if value is not None]
            if min(known, default=0) < 0:
                return False
    for name in NAMED:  # few distinct values: each checked once
        if name in types and not all(map(is_name, set(map(attrgetter(name), records)))):
            return False
    if "phases_ns" in types:
        phases = map(dict.values, map(attrgetter("phases_ns"), records))
        nanoseconds = list(chain.from_iterable(phases))
        return (set(map(type, nanoseconds)) <= {int} and min(nanoseconds, default=0) >= 0
                and max(nanoseconds, default=0) <= INT64_MAX)  # fmt: skip
    return True


STATUSES = {status.value: status for status in Status}
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
    # (a figure missing from a row reads as null: not measured)
    start_offset_ns: int | None = None  # when the operation began, from the start of its batch
    latency_ns: int | None = None  # how long it took (density: to have all K instances answering)
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
    values["status"] = STATUSES[values["status"]]  # KeyError: not a status
    return values


_SCENARIO_FIELDS = frozenset(f.name for f in fields(ScenarioSample))
SCENARIO_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("scenario", "workload", "language", "variant", "mode", "request",
                     "detail", "arch", "artifact_id", "start_mode"), (str,)),
    **dict.fromkeys(("concurrency", "instances", "repetition", "index"), (int,)),
    **dict.fromkeys(("start_offset_ns", "latency_ns", "host_used_before_bytes",
                     "host_used_after_bytes", "pss_before_bytes", "pss_after_bytes",
                     "instance_start_ns", "instance_run_ns"),
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
    wall_ns: int | None = None  # (missing from a row: not timed, as null)
    detail: str = ""
    arch: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": "floor", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FloorStart:
        return cls(**_known_fields(data, _FLOOR_FIELDS))


_FLOOR_FIELDS = frozenset(f.name for f in fields(FloorStart))
FLOOR_TYPES: dict[str, tuple[type, ...]] = {
    "floor": (str,), "detail": (str,), "arch": (str,), "round": (int,), "index": (int,),
    "wall_ns": (int, _NONE),
}  # fmt: skip
