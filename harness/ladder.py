"""The startup ladder as a reader sees it, in the terminal and in the report: each rung of
harness.stats.startup_ladder named, with what one of its starts spans (its scope, as the
results header records it) and what it adds over the floor it stands on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.header import Header
from harness.results import FloorStart
from harness.stats import Cells, Rung, Summary, startup_ladder, summarize_floors
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


def ladder_rows(
    header: Header, cells: Cells, summaries: Sequence[Summary], starts: Sequence[FloorStart]
) -> list[LadderRow]:
    """The ladder of a run that measured physical floors (none otherwise: a file before schema
    10, or a run with --no-floors, shows its noop rows alone)."""
    if not header.floors:
        return []
    floor_of = {name: record.floor for name, record in header.variants.items()}
    rows = []
    for rung in startup_ladder(cells, summaries, summarize_floors(starts), floor_of):
        if rung.summary is None:
            record = header.floors.get(rung.floor)
            rows.append(LadderRow(rung.floor, record.scope if record is not None else "", rung))
            continue
        s = rung.summary
        variant = header.variants.get(s.variant)
        scope = variant.states.get(s.state, "") if variant is not None else ""
        rows.append(LadderRow(f"{s.variant} {s.state} (noop, {s.language})", scope, rung))
    return rows


def unmeasured_floors(starts: Sequence[FloorStart]) -> list[tuple[str, str]]:
    """(floor, why) for every floor that took no start."""
    return [(floor.floor, floor.unavailable) for floor in summarize_floors(starts)
            if floor.median_wall_ns is None]  # fmt: skip
