"""The startup ladder as a reader sees it, in the terminal and in the report: each rung of
harness.stats.startup_ladder named, with what one of its starts spans (its scope, as the
results header records it) and what it adds over the floor it stands on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.header import Header
from harness.results import FLOOR_WORKLOAD, FloorStart
from harness.stats import (
    INSIDE_COLUMNS,
    Cells,
    FloorSummary,
    Rung,
    StackLayer,
    Summary,
    container_stack,
    inside_stack,
    startup_ladder,
    summarize_floors,
)
from harness.units import fine_duration, fine_interval


@dataclass(frozen=True, slots=True)
class LadderRow:
    name: str  # "spawn", or "native warm (noop, c)"
    scope: str  # what one start spans
    rung: Rung

    @property
    def median(self) -> str:
        return fine_duration(self.rung.median_wall_ns)

    @property
    def interval(self) -> str:
        return fine_interval(self.rung.wall_ci_ns)

    @property
    def over_floor(self) -> str:
        """ "spawn + 53.2 µs (20.7 µs–212 µs)"; empty for a floor, or with no floor measured."""
        rung = self.rung
        if rung.over_floor_ns is None:
            return ""
        sign = "+" if rung.over_floor_ns >= 0 else "-"
        return (f"{rung.floor} {sign} {fine_duration(abs(rung.over_floor_ns))} "
                f"({fine_interval(rung.over_floor_ci_ns)})")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ladder:
    rows: list[LadderRow]  # the floors and every noop cell, from the quickest start up
    unmeasured: list[tuple[str, str]]  # (floor, why) for every floor that took no start
    stacks: dict[str, list[StackRow]]  # cell label -> Docker's start taken apart by floors
    # cell label -> the same start taken apart from inside, by containerd's events
    inside: dict[str, InsideView] = field(default_factory=dict)


def ladder_of(
    header: Header, cells: Cells, summaries: Sequence[Summary], starts: Sequence[FloorStart]
) -> Ladder:
    """A run's startup ladder, its unmeasured floors and Docker's start taken apart (the
    floors summarized once, for all three)."""
    floors = summarize_floors(starts)
    return Ladder(
        ladder_rows(header, cells, summaries, floors),
        [(floor.floor, floor.unavailable) for floor in floors if floor.median_wall_ns is None],
        docker_stacks(cells, summaries, floors) if header.floors else {},
        inside_stacks(cells, summaries),
    )


def ladder_rows(
    header: Header, cells: Cells, summaries: Sequence[Summary], floors: Sequence[FloorSummary]
) -> list[LadderRow]:
    """The ladder of a run that measured physical floors (none otherwise: a file before schema
    10, or a run with --no-floors, shows its noop rows alone)."""
    if not header.floors:
        return []
    floor_of = {name: record.floor for name, record in header.variants.items()}
    rows = []
    for rung in startup_ladder(cells, summaries, floors, floor_of):
        if rung.summary is None:
            record = header.floors.get(rung.floor)
            rows.append(LadderRow(rung.floor, record.scope if record is not None else "", rung))
            continue
        s = rung.summary
        variant = header.variants.get(s.variant)
        scope = variant.states.get(s.state, "") if variant is not None else ""
        rows.append(LadderRow(f"{s.variant} {s.state} (noop, {s.language})", scope, rung))
    return rows


# Docker's start taken apart: the floors beneath it from the bottom up (the names harness.floors
# records them by), and what each layer is, in words
DOCKER_VARIANT, DOCKER_STATE = "docker", "cold"  # create to removed, as `docker run --rm`
DOCKER_LAYERS = ("runc", "containerd")
LAYER_NAMES = {
    "runc": "the OCI runtime alone (runc)",
    "containerd": "containerd and its runc shim",
    DOCKER_VARIANT: "dockerd: its Engine API, the container's attach, network sandbox and records",
}


@dataclass(frozen=True, slots=True)
class StackRow:
    layer: str  # what the layer is
    measured_as: str  # "runc", "containerd - runc", "docker cold - containerd"
    share: StackLayer

    @property
    def median(self) -> str:
        return fine_duration(self.share.share_ns)

    @property
    def interval(self) -> str:
        return fine_interval(self.share.share_ci_ns)


def docker_stacks(
    cells: Cells, summaries: Sequence[Summary], floors: Sequence[FloorSummary]
) -> dict[str, list[StackRow]]:
    """Docker's cold noop start, per language, taken apart by the floors beneath it (none where
    a floor was not measured)."""
    stacks = {}
    for s in summaries:
        if (s.workload, s.variant, s.state) != (FLOOR_WORKLOAD, DOCKER_VARIANT, DOCKER_STATE):
            continue
        layers = container_stack(cells, s, floors, DOCKER_LAYERS)
        if layers:
            names = [LAYER_NAMES[name] for name in (*DOCKER_LAYERS, DOCKER_VARIANT)]
            stacks[f"{s.variant} {s.state} (noop, {s.language})"] = [
                StackRow(name, f"{layer.above} - {layer.below}" if layer.below else layer.above,
                         layer)
                for name, layer in zip(names, layers, strict=True)
            ]  # fmt: skip
    return stacks


@dataclass(frozen=True, slots=True)
class InsideRow:
    layer: str  # who acts
    segments: str  # the segments summed, as the samples' phases name them
    median: str
    interval: str


@dataclass(frozen=True, slots=True)
class InsideView:
    """A container start taken apart from inside, as a reader sees it."""

    rows: list[InsideRow]
    samples: int
    wall_median: str  # of the same samples
    sum_of_medians: str
    adds_up_to: str  # "100.4%": the layers' medians summed, over the wall's median


def inside_stacks(cells: Cells, summaries: Sequence[Summary]) -> dict[str, InsideView]:
    """Every container noop cell whose samples carry containerd's events, taken apart from
    inside (docker's and its kin's)."""
    stacks = {}
    for s in summaries:
        if s.workload != FLOOR_WORKLOAD:
            continue
        stack = inside_stack(cells.cell(s.key, INSIDE_COLUMNS))
        if stack is None:
            continue
        rows = [InsideRow(layer.name, " + ".join(layer.segments), fine_duration(layer.median_ns),
                          fine_interval(layer.ci_ns)) for layer in stack.layers]  # fmt: skip
        stacks[f"{s.variant} {s.state} (noop, {s.language})"] = InsideView(
            rows, stack.samples, fine_duration(stack.wall_median_ns),
            fine_duration(stack.sum_of_medians_ns), f"{stack.adds_up_to:.1%}",
        )  # fmt: skip
    return stacks
