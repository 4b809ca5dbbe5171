"""The results header, typed: what a run was (host, tools, workloads, variants, artifacts, its
plan), as frozen records. A header read from a file is first conformed to HEADER_SHAPE (parts
of another shape are left out and named, harness.shapes), then made into these records: every
module reads a header through them, never through dict lookups.

A field a file did not record reads as its empty value ("" or None, an empty map), which the
schema history in harness.results dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.shapes import ANY, NUMBER, DictOf, Fields, ListOf, Optional, conform

SCHEMA_VERSION = 12  # of results files: harness.results keeps the history
_STRINGS = DictOf(str)
HEADER_SHAPE = Fields({
    **dict.fromkeys(("run_id", "started_at", "isobench_version", "git_revision"), str),
    "host": DictOf(ANY),  # shown as text, its known fields read as HostRecord says
    "tools": Fields({"compilers": _STRINGS, "engines": _STRINGS}),
    "workloads": DictOf(Fields({"revision": str, "description": str, "stresses": str})),
    "measurement_revision": str,
    "variants": DictOf(Fields({"states": _STRINGS, "phases": ListOf(str), "memory_scope": str,
                               "wall_phases": DictOf(ListOf(str)), "instance": str,
                               "cpu_scope": str, "rss_scope": str, "cold_evicts": str,
                               "settings": _STRINGS, "floor": str},
                              required=("states", "phases", "memory_scope"))),
    "artifacts": ListOf(Fields(
        {"id": str, "kind": str, "workload": str, "language": str, "profile": str,
         "size_bytes": int, "recipe": Fields({"flags": ListOf(str)}),
         "build_ns": Optional(NUMBER),
         "extra": Fields({"build_ns": NUMBER})},  # before schema 8
        required=("id", "kind", "workload", "language", "profile"),
    )),
    "artifact_kinds": _STRINGS,
    "plan": Fields({
        "suite": Optional(str), "repetitions": int, "max_repetitions": int, "warmup": int,
        "seed": int, "min_time_s": NUMBER, "timeout_s": NUMBER,
        "precision": Optional(NUMBER), "budget_s": Optional(NUMBER),
        "memory_limit_bytes": Optional(int), "work_units": DictOf(DictOf(NUMBER)), "arch": str,
        **{name: ListOf(str) for name in ("workloads", "sizes", "profiles", "states",
                                           "languages")},
        "primer": Optional(str), "affinity": str, "order": str,
    }),
    "memory": Fields({"method": Optional(str), "field": str,
                      "charge_granularity_bytes": Optional(int),
                      "resolution_bytes": Optional(int)}),
    "host_costs": DictOf(Fields({
        "containerd_shim": Optional(Fields(dict.fromkeys(
            ("processes", "rss_bytes", "pss_bytes", "private_bytes"), int),
            required=("processes", "rss_bytes", "pss_bytes", "private_bytes"))),
        "method": str, "note": str,
    })),
    "confinement": Fields({"account": str, "tasks": str, "memory": str,
                           "not_enforced": ListOf(str)}),
    "scenarios": _STRINGS,
    "scenario_plan": DictOf(ANY),
    "floors": DictOf(Fields({"scope": str, "instance": str}, required=("scope", "instance"))),
    "unavailable": _STRINGS,
    "stability": Fields({
        "governors": _STRINGS, "load_average": Optional(ListOf(NUMBER)),
        **dict.fromkeys(("boost", "smt", "aslr", "isolated_cpus", "nohz_full_cpus"), str),
        "online_cpus": Optional(int),
    }),
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class HostRecord:
    """The host fingerprint (harness.host): the fields read by name, and all it recorded."""

    hostname: str = ""
    arch: str = ""
    cpu_model: str = ""
    logical_cores: int | None = None
    kernel: str = ""
    python: str = ""
    recorded: Mapping[str, Any] = field(default_factory=dict)  # shown as text, field by field

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HostRecord:
        def text(name: str) -> str:
            value = data.get(name)
            return value if isinstance(value, str) else ""

        cores = data.get("logical_cores")
        return cls(text("hostname"), text("arch"), text("cpu_model"),
                   cores if type(cores) is int else None, text("kernel"), text("python"),
                   dict(data))  # fmt: skip

    @property
    def identity(self) -> tuple[object, ...]:
        """What tells two machines apart: raw times from two of them compare machines."""
        return (self.hostname, self.arch, self.cpu_model, self.logical_cores)

    def to_json(self) -> dict[str, Any]:
        return dict(self.recorded)


@dataclass(frozen=True, slots=True)
class StabilityRecord:
    """The settings that move timings, as the kernel said them before the run ("": it does
    not say; harness.stability reads them)."""

    governors: Mapping[str, str] = field(default_factory=dict)  # governor -> the CPUs on it
    boost: str = ""  # "on", "off"
    smt: str = ""  # the kernel's smt/control: "on", "off", "forceoff", "notsupported"
    load_average: tuple[float, float, float] | None = None  # 1, 5, 15 minutes, before the run
    aslr: str = ""  # ASLR_MODES' words
    isolated_cpus: str = ""  # the kernel's list ("" none)
    nohz_full_cpus: str = ""
    online_cpus: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "governors": dict(self.governors),
            "boost": self.boost,
            "smt": self.smt,
            "load_average": list(self.load_average) if self.load_average else None,
            "aslr": self.aslr,
            "isolated_cpus": self.isolated_cpus,
            "nohz_full_cpus": self.nohz_full_cpus,
            "online_cpus": self.online_cpus,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StabilityRecord:
        """From a conformed header (HEADER_SHAPE: each field has its type, or is absent)."""
        load = data.get("load_average")
        return cls(
            governors=dict(data.get("governors", {})),
            **{name: data.get(name, "") for name in
               ("boost", "smt", "aslr", "isolated_cpus", "nohz_full_cpus")},
            load_average=(float(load[0]), float(load[1]), float(load[2]))
            if load is not None and len(load) == 3 else None,
            online_cpus=data.get("online_cpus"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ToolsRecord:
    compilers: Mapping[str, str] = field(default_factory=dict)  # language -> version line
    engines: Mapping[str, str] = field(default_factory=dict)  # engine -> version

    def to_json(self) -> dict[str, Any]:
        return {"compilers": dict(self.compilers), "engines": dict(self.engines)}


@dataclass(frozen=True, slots=True)
class WorkloadRecord:
    revision: str = ""  # a hash of the workload's files: other revisions are never compared
    description: str = ""
    stresses: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "description": self.description,
                "stresses": self.stresses}  # fmt: skip


@dataclass(frozen=True, slots=True)
class VariantRecord:
    """What a variant's figures span, as its target declared it when the run began."""

    states: Mapping[str, str]  # state -> what wall_ns spans in it
    phases: tuple[str, ...]  # the phases it records
    memory_scope: str  # what its memory group holds
    wall_phases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # their sum: wall
    instance: str = ""  # what one instance is (process, container, in-host)
    cpu_scope: str = ""  # whose CPU time cpu_ns is
    rss_scope: str = ""  # whose peak RSS rss_peak_bytes is
    cold_evicts: str = ""  # what a cold sample evicts from the page cache
    settings: Mapping[str, str] = field(default_factory=dict)  # what the engine is told
    floor: str = ""  # the physical floor its startup is shown over (header `floors`)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VariantRecord:
        return cls(
            states=dict(data["states"]),
            phases=tuple(data["phases"]),
            memory_scope=data["memory_scope"],
            wall_phases={state: tuple(phases)
                         for state, phases in data.get("wall_phases", {}).items()},
            instance=data.get("instance", ""),
            cpu_scope=data.get("cpu_scope", ""),
            rss_scope=data.get("rss_scope", ""),
            cold_evicts=data.get("cold_evicts", ""),
            settings=dict(data.get("settings", {})),
            floor=data.get("floor", ""),
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "states": dict(self.states),
            "phases": list(self.phases),
            "memory_scope": self.memory_scope,
            "wall_phases": {state: list(phases) for state, phases in self.wall_phases.items()},
            "instance": self.instance,
            "cpu_scope": self.cpu_scope,
            "rss_scope": self.rss_scope,
            "cold_evicts": self.cold_evicts,
            "settings": dict(self.settings),
            "floor": self.floor,
        }


@dataclass(frozen=True, slots=True)
class FloorRecord:
    """A physical floor (harness.floors): what one of its starts spans, and the kind of
    instance it is the floor of (process, container, in-host)."""

    scope: str
    instance: str

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "instance": self.instance}


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """A built artifact as the header lists it (harness.cache.Artifact's record)."""

    id: str
    kind: str
    workload: str  # "" for the harness's own helpers
    language: str
    profile: str
    size_bytes: int | None = None
    flags: tuple[str, ...] | None = None  # the compiler's flags, where a compiler ran
    build_ns: float | None = None  # how long its build took, where it was built in this run
    recorded: Mapping[str, Any] = field(default_factory=dict)  # the whole record, as written

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArtifactRecord:
        flags = data.get("recipe", {}).get("flags")
        build_ns = data.get("build_ns", data.get("extra", {}).get("build_ns"))
        return cls(
            data["id"], data["kind"], data["workload"], data["language"], data["profile"],
            data.get("size_bytes"), tuple(flags) if flags is not None else None,
            build_ns, dict(data),
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return dict(self.recorded)


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """The plan of a run's samples. Its counts are None where a file did not record them."""

    workloads: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    suite: str | None = None
    work_units: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    repetitions: int | None = None
    min_time_s: float | None = None
    max_repetitions: int | None = None
    warmup: int | None = None
    seed: int | None = None
    timeout_s: float | None = None
    memory_limit_bytes: int | None = None
    affinity: str = "all"  # runs before it was recorded were not pinned
    arch: str = ""  # what the artifacts are for ("" before it was recorded: the host's)
    order: str = ""
    primer: str | None = None  # what ran before each sample (None: nothing)
    # A cell's target: its median's interval no wider than this (half-width over the median),
    # within the run's budget (None: a fixed count, or no budget)
    precision: float | None = None
    budget_s: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanRecord:
        def names(key: str) -> tuple[str, ...]:
            return tuple(data.get(key, ()))

        return cls(
            workloads=names("workloads"), sizes=names("sizes"), profiles=names("profiles"),
            states=names("states"), languages=names("languages"), suite=data.get("suite"),
            work_units={workload: dict(sizes)
                        for workload, sizes in data.get("work_units", {}).items()},
            repetitions=data.get("repetitions"), min_time_s=data.get("min_time_s"),
            max_repetitions=data.get("max_repetitions"), warmup=data.get("warmup"),
            seed=data.get("seed"), timeout_s=data.get("timeout_s"),
            memory_limit_bytes=data.get("memory_limit_bytes"),
            affinity=data.get("affinity", "all"), arch=data.get("arch", ""),
            order=data.get("order", ""), primer=data.get("primer"),
            precision=data.get("precision"), budget_s=data.get("budget_s"),
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "workloads": list(self.workloads),
            "sizes": list(self.sizes),
            "profiles": list(self.profiles),
            "states": list(self.states),
            "work_units": {workload: dict(sizes) for workload, sizes in self.work_units.items()},
            "repetitions": self.repetitions,
            "min_time_s": self.min_time_s,
            "max_repetitions": self.max_repetitions,
            "warmup": self.warmup,
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "memory_limit_bytes": self.memory_limit_bytes,
            "affinity": self.affinity,
            "languages": list(self.languages),
            "arch": self.arch,
            "order": self.order,
            "primer": self.primer,
            "precision": self.precision,
            "budget_s": self.budget_s,
        }


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    """How peaks were measured, and how finely."""

    method: str | None = None  # None: no memory cgroup, no peak recorded
    field: str = "peak_memory_bytes"
    charge_granularity_bytes: int | None = None  # the step the counter moves in
    resolution_bytes: int | None = None  # a peak at or below it says little (a step per CPU)

    def to_json(self) -> dict[str, Any]:
        if self.method is None:
            return {"method": None, "field": self.field}
        return {"method": self.method, "field": self.field,
                "charge_granularity_bytes": self.charge_granularity_bytes,
                "resolution_bytes": self.resolution_bytes}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConfinementRecord:
    """What the process variants' instances ran as and under (samples and scenario instances;
    containers and in-host wasm have their engine's own, in their variants' settings). Empty
    before schema 9."""

    account: str = ""  # who they ran as
    tasks: str = ""  # how their tasks were limited
    memory: str = ""  # how the memory limit was held
    not_enforced: tuple[str, ...] = ()  # what this host could not hold, in words

    def to_json(self) -> dict[str, Any]:
        return {"account": self.account, "tasks": self.tasks, "memory": self.memory,
                "not_enforced": list(self.not_enforced)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ShimCost:
    """The containerd shim that accompanies every running container."""

    processes: int
    rss_bytes: int
    pss_bytes: int
    private_bytes: int


@dataclass(frozen=True, slots=True)
class HostCost:
    """What one running instance of a variant costs the host outside its own memory group."""

    containerd_shim: ShimCost | None = None
    method: str = ""  # how it was measured
    note: str = ""  # why it was not

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HostCost:
        shim = data.get("containerd_shim")
        return cls(
            ShimCost(shim["processes"], shim["rss_bytes"], shim["pss_bytes"],
                     shim["private_bytes"]) if shim else None,
            data.get("method", ""), data.get("note", ""),
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.containerd_shim is not None:
            shim = self.containerd_shim
            fields["containerd_shim"] = {"processes": shim.processes, "rss_bytes": shim.rss_bytes,
                                         "pss_bytes": shim.pss_bytes,
                                         "private_bytes": shim.private_bytes}  # fmt: skip
        if self.method:
            fields["method"] = self.method
        if self.note:
            fields["note"] = self.note
        return fields


@dataclass(frozen=True, slots=True)
class Header:
    """A results file's first line."""

    schema_version: int
    run_id: str = ""
    started_at: str = ""
    isobench_version: str = ""
    git_revision: str = ""
    host: HostRecord = field(default_factory=HostRecord)
    workloads: Mapping[str, WorkloadRecord] = field(default_factory=dict)
    tools: ToolsRecord = field(default_factory=ToolsRecord)
    # A hash of the code that decides what is measured (harness.measure.MEASUREMENT_FILES)
    measurement_revision: str = ""
    variants: Mapping[str, VariantRecord] = field(default_factory=dict)
    artifacts: tuple[ArtifactRecord, ...] = ()
    # kind -> what a reader calls it, in the order a report shows them (the compiled binaries,
    # then each variant's package); none before schema 8
    artifact_kinds: Mapping[str, str] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)  # variant -> why not measured
    scenarios: Mapping[str, str] = field(default_factory=dict)  # scenario -> what it spans
    scenario_plan: Mapping[str, Any] = field(default_factory=dict)
    floors: Mapping[str, FloorRecord] = field(default_factory=dict)  # none before schema 10
    plan: PlanRecord | None = None  # None: a run of scenarios only
    memory: MemoryRecord | None = None
    host_costs: Mapping[str, HostCost] = field(default_factory=dict)
    confinement: ConfinementRecord = field(default_factory=ConfinementRecord)
    stability: StabilityRecord | None = None  # none before schema 12

    @classmethod
    def read(cls, data: Mapping[str, Any], problems: list[str] | None = None) -> Header:
        """The header a JSON object says, its parts of another shape than HEADER_SHAPE left
        out (and named in `problems`). Without a schema_version: this isobench's."""
        conformed = conform(
            dict(data), HEADER_SHAPE, "header", [] if problems is None else problems
        )
        return cls.from_json({"schema_version": SCHEMA_VERSION, **conformed})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Header:
        """The header of a conformed first line (HEADER_SHAPE: every field has its shape)."""
        tools = data.get("tools", {})
        memory = data.get("memory")
        plan = data.get("plan")
        confinement = data.get("confinement", {})
        return cls(
            schema_version=data["schema_version"],
            **{name: data.get(name, "") for name in
               ("run_id", "started_at", "isobench_version", "git_revision",
                "measurement_revision")},
            host=HostRecord.from_json(data.get("host", {})),
            workloads={name: WorkloadRecord(entry.get("revision", ""),
                                            entry.get("description", ""),
                                            entry.get("stresses", ""))
                       for name, entry in data.get("workloads", {}).items()},
            tools=ToolsRecord(dict(tools.get("compilers", {})), dict(tools.get("engines", {}))),
            variants={name: VariantRecord.from_json(entry)
                      for name, entry in data.get("variants", {}).items()},
            artifacts=tuple(ArtifactRecord.from_json(entry)
                            for entry in data.get("artifacts", ())),
            artifact_kinds=dict(data.get("artifact_kinds", {})),
            unavailable=dict(data.get("unavailable", {})),
            scenarios=dict(data.get("scenarios", {})),
            scenario_plan=dict(data.get("scenario_plan", {})),
            floors={name: FloorRecord(entry["scope"], entry["instance"])
                    for name, entry in data.get("floors", {}).items()},
            plan=PlanRecord.from_json(plan) if plan is not None else None,
            memory=MemoryRecord(memory.get("method"), memory.get("field", "peak_memory_bytes"),
                                memory.get("charge_granularity_bytes"),
                                memory.get("resolution_bytes")) if memory is not None else None,
            host_costs={name: HostCost.from_json(cost)
                        for name, cost in data.get("host_costs", {}).items()},
            confinement=ConfinementRecord(
                confinement.get("account", ""), confinement.get("tasks", ""),
                confinement.get("memory", ""), tuple(confinement.get("not_enforced", ()))),
            stability=StabilityRecord.from_json(data["stability"])
            if "stability" in data else None,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The header's fields (the writer adds its kind and schema version)."""
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "isobench_version": self.isobench_version,
            "git_revision": self.git_revision,
            "host": self.host.to_json(),
            "workloads": {name: entry.to_json() for name, entry in self.workloads.items()},
            "tools": self.tools.to_json(),
            "measurement_revision": self.measurement_revision,
            "variants": {name: entry.to_json() for name, entry in self.variants.items()},
            "artifacts": [artifact.to_json() for artifact in self.artifacts],
            "artifact_kinds": dict(self.artifact_kinds),
            "unavailable": dict(self.unavailable),
        }
        if self.confinement.account:
            data["confinement"] = self.confinement.to_json()
        if self.scenarios:
            data |= {"scenarios": dict(self.scenarios), "scenario_plan": dict(self.scenario_plan)}
        if self.floors:
            data["floors"] = {name: entry.to_json() for name, entry in self.floors.items()}
        if self.plan is not None:
            data["plan"] = self.plan.to_json()
        if self.memory is not None:
            data["memory"] = self.memory.to_json()
        if self.plan is not None:
            data["host_costs"] = {name: cost.to_json() for name, cost in self.host_costs.items()}
        if self.stability is not None:
            data["stability"] = self.stability.to_json()
        return data

    def workload_revision(self, workload: str) -> str | None:
        """The revision the run measured; None before schema 5."""
        entry = self.workloads.get(workload)
        return entry.revision if entry is not None and entry.revision else None

    @property
    def memory_resolution(self) -> int | None:
        """The bytes at or below which a peak says little (the memory counter's step per CPU,
        as the run probed it); None before schema 7 or without a memory cgroup."""
        return self.memory.resolution_bytes if self.memory is not None else None

    @property
    def instances(self) -> dict[str, str]:
        """variant -> what one of its instances is; a variant before schema 7 is left out."""
        return {name: entry.instance for name, entry in self.variants.items() if entry.instance}

    @property
    def work_units(self) -> Mapping[str, Mapping[str, float]]:
        """{workload: {size: work units}} from the plan, for throughput fits over sizes."""
        return self.plan.work_units if self.plan is not None else {}
