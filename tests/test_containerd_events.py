"""Docker's start seen from inside (harness/targets/containerd_events.py): containerd's event
lines read, a start cut into segments by them, and the segments grouped by who acts (scripted
figures: every sum is known by hand)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from harness.frame import frame_of
from harness.ladder import ladder_of
from harness.report import write_report
from harness.results import Sample, read_results
from harness.stats import INSIDE_LAYERS, Cells, inside_stack, summarize_cells
from harness.targets import containerd_events
from harness.targets.containerd_events import (
    SEGMENTS,
    TOPICS,
    EventLog,
    parse_line,
    segments_ns,
)
from harness.terminal import print_ladder
from tests import reportdata

ID = "fcc10c7befa7ce27923b7d59b7e6e1cbda37d1dd569c90dc36a13bb1c799998a"
EPOCH_NS = 1_796_360_867_000_000_000  # 2026-12-04 05:07:47 UTC


def test_an_event_line_gives_its_moment_topic_and_container() -> None:
    line = (f'2026-12-04 05:07:47.702179846 +0000 UTC moby /tasks/create {{"container_id":"{ID}",'
            '"bundle":"/run/x","pid":6980}')  # fmt: skip
    assert parse_line(line) == (EPOCH_NS + 702_179_846, "/tasks/create", ID)
    # another offset, a shorter fraction, the id under "id"
    line = f'2026-12-04 06:07:47.7 +0100 CET moby /containers/delete {{"id":"{ID}"}}'
    assert parse_line(line) == (EPOCH_NS + 700_000_000, "/containers/delete", ID)


@pytest.mark.parametrize(
    "line",
    [
        "",
        '2026-12-04 05:07:47.70 +0000 UTC default /namespaces/create {"name":"isobench-probe"}',
        "2026-12-04 05:07:47.70 +0000 UTC moby /tasks/create {not json",
        '2026-12-04 05:07:47.70 +0000 UTC moby /tasks/create ["a list"]',
        '2026-12-04 05:07:47.xx +0000 UTC moby /tasks/create {"container_id":"a"}',
        '2026-13-04 05:07:47.70 +0000 UTC moby /tasks/create {"container_id":"a"}',
    ],
)
def test_any_other_line_is_none(line: str) -> None:
    assert parse_line(line) is None


def events(*offsets_ns: int) -> dict[str, int]:
    return {topic: EPOCH_NS + offset for topic, offset in zip(TOPICS, offsets_ns, strict=True)}


def test_a_start_is_cut_into_segments_that_add_up_to_its_clock() -> None:
    got = segments_ns(events(20, 200, 210, 215, 230, 250), EPOCH_NS, EPOCH_NS + 300)
    assert got == dict(zip(SEGMENTS, [20, 180, 10, 5, 15, 20, 50], strict=True))


def test_the_harnesss_own_step_is_taken_out_of_the_segments_it_falls_in() -> None:
    """A pause from 240 to 260 falls half in container_delete (230-250), half in daemon_out."""
    got = segments_ns(events(20, 200, 210, 215, 230, 250), EPOCH_NS, EPOCH_NS + 300,
                      (EPOCH_NS + 240, EPOCH_NS + 260))  # fmt: skip
    assert got["container_delete"] == 10
    assert got["daemon_out"] == 40
    assert sum(got.values()) == 300 - 20


def test_a_start_with_an_event_missing_or_out_of_order_has_no_segments() -> None:
    whole = events(20, 200, 210, 215, 230, 250)
    for topic in TOPICS:
        assert segments_ns({k: v for k, v in whole.items() if k != topic}, EPOCH_NS,
                           EPOCH_NS + 300) == {}  # fmt: skip
    assert segments_ns(events(20, 210, 200, 215, 230, 250), EPOCH_NS, EPOCH_NS + 300) == {}
    assert segments_ns(whole, EPOCH_NS + 30, EPOCH_NS + 300) == {}  # an event before the clock


MS = reportdata.MS


def inside_samples() -> list[Sample]:
    """docker cold noop, five samples: dockerd 40+i, containerd's part 200+2i, program 5 ms;
    each wall the sum of its segments."""
    samples = []
    for index, sample in enumerate(reportdata.cell("noop", "docker", 300)[:5]):
        spans_ms = [30 + index, 150, 10, 5, 20 + 2 * index, 20, 10]
        segments = {name: ms * MS for name, ms in zip(SEGMENTS, spans_ms, strict=True)}
        samples.append(replace(sample, state="cold", phases_ns=segments,
                               wall_ns=sum(segments.values())))  # fmt: skip
    return samples


def test_a_cells_starts_are_grouped_by_who_acts_with_medians_that_add_up() -> None:
    stack = inside_stack(frame_of(inside_samples()))
    assert stack is not None
    assert [layer.segments for layer in stack.layers] == [names for _, names in INSIDE_LAYERS]
    assert [layer.median_ns for layer in stack.layers] == [42 * MS, 204 * MS, 5 * MS]
    assert stack.samples == 5
    assert stack.wall_median_ns == 251 * MS
    assert stack.adds_up_to == pytest.approx(1.0)
    for layer in stack.layers:
        low, high = layer.ci_ns or (0.0, 0.0)
        assert low <= layer.median_ns <= high


def test_samples_without_their_events_give_no_stack() -> None:
    samples = inside_samples()
    bare = [replace(sample, phases_ns={"start": 1}) for sample in samples]
    assert inside_stack(frame_of(bare)) is None
    assert inside_stack(frame_of(samples[:1])) is None  # one sample: no interval, no stack


def test_the_terminal_and_the_report_show_the_start_from_inside(tmp_path: Path) -> None:
    header = reportdata.header()
    header["variants"]["docker"] = {
        "states": {"cold": "create to removed"}, "phases": ["create", *SEGMENTS],
        "wall_phases": {"cold": ["create"]}, "memory_scope": "the container",
        "instance": "container",
    }  # fmt: skip
    path = reportdata.write_results(tmp_path / "run.jsonl", inside_samples(), header)
    results = read_results(path)
    cells = Cells(results.frame)
    ladder = ladder_of(results.header, cells, summarize_cells(cells), results.floor_starts)
    view = ladder.inside["docker cold (noop, c)"]
    assert [row.median for row in view.rows] == ["42 ms", "204 ms", "5 ms"]
    assert view.adds_up_to == "100.0%"
    console = Console(record=True, width=240)
    print_ladder(console, results.header, cells, summarize_cells(cells), results.floor_starts)
    assert "docker cold (noop, c) from inside" in console.export_text()
    html = write_report([path], tmp_path / "report.html").read_text()
    assert "docker cold (noop, c) taken apart from inside" in html
    assert "libnetwork-setkey" in html


def _stub_ctr(folder: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ctr` on PATH as `script` (a stub), a containerd socket said to be there, and short
    waits."""
    ctr = folder / "ctr"
    ctr.write_text(f"#!/bin/sh\n{script}\n")
    ctr.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(containerd_events, "containerd_socket", lambda: "/run/stub.sock")
    monkeypatch.setattr(containerd_events, "READY_TIMEOUT_S", 0.5)
    monkeypatch.setattr(containerd_events, "PROBE_WAIT_S", 0.1)


def _children() -> set[int]:
    listed = Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()
    return {int(pid) for pid in listed}


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("exec sleep 30", "timed out"),  # `namespaces create` hangs
        ('[ "$3" = events ] && exec sleep 30; echo refused >&2; exit 1', "refused"),
        ('[ "$3" = events ] && exec sleep 30; exit 0', "no event in"),  # never printed
    ],
)
def test_a_ctr_that_hangs_fails_or_stays_silent_gives_no_subscriber_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, why: str
) -> None:
    _stub_ctr(tmp_path, script, monkeypatch)
    before = _children()
    log, said = EventLog.start()
    assert log is None
    assert said.startswith("ctr events: ")
    assert why in said
    assert _children() <= before  # the subscriber was stopped, not left running
