"""The physical floors (harness/floors.py): their loops on the real mechanisms (a static no-op
spawned by isobench-barestart, wasmtime-py in a warm process, runc and crun with no daemon),
how they are written and read back, and the startup ladder they make with the variants' noop
cells (scripted figures: every difference is known by hand)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from harness.cache import Artifact, BuildCache
from harness.cli import main
from harness.errors import IsobenchError
from harness.floors import (
    CONTAINERD,
    CONTAINERD_NAMESPACE,
    CRUN,
    FLOORS,
    RUNC,
    SPAWN,
    STARTS_PER_ROUND,
    WASM_EMPTY,
    WASM_NOOP,
    Floors,
    floor_records,
    parse_timings,
)
from harness.ladder import ladder_of
from harness.report import write_report
from harness.results import FloorStart, Status, read_results
from harness.stats import Cells, startup_ladder, summarize_cells, summarize_floors
from harness.targets.containerd_events import READY_TIMEOUT_S, EventLog, containerd_socket
from harness.terminal import print_ladder
from harness.toolchains import host_arch
from tests import reportdata
from tests.conftest import WORKLOADS

US = 1_000


def floor_rows(floor: str, walls_us: list[float], round_index: int = 1) -> list[FloorStart]:
    return [FloorStart(floor, round_index, index, Status.OK, round(wall * US), arch="x86_64")
            for index, wall in enumerate(walls_us)]  # fmt: skip


def ladder_header() -> dict[str, Any]:
    """reportdata's run, its variants standing on the spawn and wasm-noop floors."""
    header = reportdata.header()
    variants = json.loads(json.dumps(reportdata.VARIANTS))
    variants["native"]["floor"] = SPAWN.name
    variants["wasmtime"]["floor"] = WASM_NOOP.name
    records = floor_records([SPAWN, WASM_EMPTY, WASM_NOOP, RUNC])
    return {**header, "variants": variants,
            "floors": {name: record.to_json() for name, record in records.items()}}  # fmt: skip


def write_ladder_run(path: Path) -> Path:
    """native noop 1 ms over a 600 µs spawn floor; wasmtime noop 2 ms over a 50 µs wasm-noop
    floor; wasm-empty 10 µs; runc missing."""
    samples = reportdata.spread(reportdata.run_samples())
    missing = FloorStart(RUNC.name, 1, 0, Status.UNAVAILABLE, None,
                         "runc is not installed (apt-get install -y runc)", "x86_64")  # fmt: skip
    floors = (floor_rows(SPAWN.name, [600, 598, 602, 600, 601])
              + floor_rows(WASM_EMPTY.name, [10, 10, 11, 9, 10])
              + floor_rows(WASM_NOOP.name, [50, 49, 51, 50, 50]) + [missing])  # fmt: skip
    reportdata.write_results(path, samples, ladder_header())
    with path.open("a") as stream:
        for row in floors:
            stream.write(json.dumps(row.to_json()) + "\n")
    return path


def test_floor_rows_are_written_and_read_back(tmp_path: Path) -> None:
    path = write_ladder_run(tmp_path / "run.jsonl")
    results = read_results(path)
    assert [row.floor for row in results.floor_starts].count(SPAWN.name) == 5
    assert results.floor_starts[-1].status is Status.UNAVAILABLE
    assert set(results.header.floors) == {SPAWN.name, WASM_EMPTY.name, WASM_NOOP.name, RUNC.name}
    assert results.header.floors[SPAWN.name].instance == "process"
    assert results.header.variants["wasmtime"].floor == WASM_NOOP.name


def test_a_bad_floor_row_is_named_by_its_line(tmp_path: Path) -> None:
    path = write_ladder_run(tmp_path / "run.jsonl")
    lines = path.read_text().splitlines()
    row = json.loads(lines[-2])
    row["wall_ns"] = -5
    path.write_text("\n".join([*lines[:-2], json.dumps(row), lines[-1]]) + "\n")
    with pytest.raises(IsobenchError, match=rf"line {len(lines) - 1}: bad floor: field 'wall_ns'"):
        read_results(path)


def test_the_ladder_ranks_floors_and_starts_and_subtracts_each_ones_floor(
    tmp_path: Path,
) -> None:
    results = read_results(write_ladder_run(tmp_path / "run.jsonl"))
    cells = Cells(results.frame)
    summaries = summarize_cells(cells)
    floors = {floor.floor: floor for floor in summarize_floors(results.floor_starts)}
    assert floors[SPAWN.name].median_wall_ns == 600 * US
    assert floors[SPAWN.name].starts == 5
    assert floors[RUNC.name].median_wall_ns is None
    assert "runc is not installed" in floors[RUNC.name].unavailable

    rows = ladder_of(results.header, cells, summaries, results.floor_starts).rows
    names = [row.name for row in rows]
    assert names[:3] == [WASM_EMPTY.name, WASM_NOOP.name, SPAWN.name]  # from the quickest up
    native = next(row for row in rows if row.name == "native warm (noop, c)")
    wasm = next(row for row in rows if row.name == "wasmtime warm (noop, c)")
    assert native.rung.over_floor_ns == pytest.approx(reportdata.MS * 1.02 - 600 * US)
    assert native.over_floor.startswith("spawn + 420 µs (")
    assert wasm.over_floor.startswith("wasm-noop + 1.99 ms (")
    assert native.scope == "spawn to exit"  # the variant's own words for its state
    assert rows[0].scope == WASM_EMPTY.scope
    interval = wasm.rung.over_floor_ci_ns
    assert interval is not None
    assert interval[0] <= (wasm.rung.over_floor_ns or 0) <= interval[1]


def test_dockers_start_is_taken_apart_by_the_floors_beneath_it(tmp_path: Path) -> None:
    """docker cold 306 ms (300 to 312, spread) over containerd 120 ms over runc 40 ms: runc
    alone, containerd over runc 80 ms, dockerd over containerd 186 ms: docker's median."""
    header = ladder_header()
    header["variants"]["docker"] = {
        "states": {"cold": "create to removed"}, "phases": ["start"],
        "wall_phases": {"cold": ["start"]}, "memory_scope": "the container",
        "instance": "container", "floor": RUNC.name,
    }  # fmt: skip
    header["floors"] |= {name: record.to_json()
                         for name, record in floor_records([CRUN, CONTAINERD]).items()}  # fmt: skip
    docker = [replace(sample, state="cold") for sample in reportdata.cell("noop", "docker", 300)]
    path = reportdata.write_results(tmp_path / "run.jsonl", reportdata.spread(docker), header)
    with path.open("a") as stream:
        for row in floor_rows(RUNC.name, [40_000, 39_000, 41_000, 40_000, 40_500]) + floor_rows(
            CONTAINERD.name, [120_000, 119_000, 121_000, 120_000, 120_500]
        ):
            stream.write(json.dumps(row.to_json()) + "\n")  # fmt: skip
    results = read_results(path)
    cells = Cells(results.frame)
    ladder = ladder_of(results.header, cells, summarize_cells(cells), results.floor_starts)
    ((cell, layers),) = ladder.stacks.items()
    assert cell == "docker cold (noop, c)"
    assert [layer.measured_as for layer in layers] == [
        "runc", "containerd - runc", "docker cold - containerd"
    ]  # fmt: skip
    shares = [layer.share.share_ns for layer in layers]
    assert shares == [40 * reportdata.MS, 80 * reportdata.MS, 186 * reportdata.MS]
    assert sum(shares) == pytest.approx(
        next(r.rung.median_wall_ns for r in ladder.rows if r.name == cell)
    )  # fmt: skip
    for layer in layers:
        low, high = layer.share.share_ci_ns or (0.0, 0.0)
        assert low <= layer.share.share_ns <= high
    console = Console(record=True, width=200)
    print_ladder(console, results.header, cells, summarize_cells(cells), results.floor_starts)
    assert "docker cold (noop, c) taken apart" in console.export_text()
    html = write_report([path], tmp_path / "report.html").read_text()
    assert 'class="stack"' in html
    assert "containerd and its runc shim" in html


def test_a_variant_whose_floor_took_no_start_stands_alone(tmp_path: Path) -> None:
    results = read_results(write_ladder_run(tmp_path / "run.jsonl"))
    cells = Cells(results.frame)
    rungs = startup_ladder(cells, summarize_cells(cells), summarize_floors(results.floor_starts),
                           {"native": RUNC.name, "wasmtime": WASM_NOOP.name})  # fmt: skip
    native = next(r for r in rungs if r.summary is not None and r.summary.variant == "native")
    assert native.floor == ""
    assert native.over_floor_ns is None


def test_the_report_opens_startup_with_the_ladder(tmp_path: Path) -> None:
    path = write_ladder_run(tmp_path / "run.jsonl")
    html = write_report([path], tmp_path / "report.html").read_text()
    startup = html[html.index('<section id="startup">') :]
    assert startup.index('class="ladder"') < startup.index("phases in wall")
    assert "<b>floor: wasm-empty</b>" in startup
    assert "spawn + 420 µs" in startup
    assert "runc is not installed (apt-get install -y runc)" in startup


def test_a_file_without_floors_shows_no_ladder(tmp_path: Path) -> None:
    path = reportdata.write_results(tmp_path / "old.jsonl", reportdata.run_samples())
    html = write_report([path], tmp_path / "report.html").read_text()
    assert 'class="ladder"' not in html


def test_parse_timings_takes_only_its_lines() -> None:
    assert parse_timings("wall_ns=5\nwall_ns=7\n", "x") == (5, 7)
    with pytest.raises(IsobenchError, match="x: unexpected output line 'hello'"):
        parse_timings("wall_ns=5\nhello\n", "x")


# -- the real mechanisms -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def noop_module(cache_dir: Path) -> Artifact:
    """The C noop's AOT artifact for wasmtime, built into the session's cache."""
    assert main(["--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir), "build",
                 "-w", "noop", "-l", "c", "--variant", "wasmtime"]) == 0  # fmt: skip
    records = [json.loads(p.read_text()) for p in cache_dir.glob("cwasm/*/artifact.json")]
    return Artifact(**next(r for r in records if r["workload"] == "noop" and r["language"] == "c"
                           and not {"arch", "platform"} & set(r["recipe"])))  # fmt: skip


@pytest.mark.integration
def test_every_floor_takes_its_starts_on_this_host(cache_dir: Path, noop_module: Artifact) -> None:
    with Floors(FLOORS, BuildCache(cache_dir), noop_module, host_arch()) as floors:
        rows = floors.measure(4)
    problems = [f"{row.floor}: {row.detail}" for row in rows if row.status is not Status.OK]
    assert not problems
    by_floor: dict[str, list[int]] = {}
    for row in rows:
        assert row.round == 4
        assert row.wall_ns is not None
        by_floor.setdefault(row.floor, []).append(row.wall_ns)
    assert list(by_floor) == [spec.name for spec in FLOORS]
    assert all(len(walls) == STARTS_PER_ROUND for walls in by_floor.values())
    median = {name: sorted(walls)[len(walls) // 2] for name, walls in by_floor.items()}
    # the orders of magnitude every host shows: an empty instance in microseconds, a process
    # in a fraction of a millisecond or so, an OCI runtime in milliseconds
    assert median[WASM_EMPTY.name] < median[WASM_NOOP.name] < median[SPAWN.name] * 10
    assert median[SPAWN.name] < median[RUNC.name]
    assert median["crun"] < median[RUNC.name] * 2
    assert median[RUNC.name] < median[CONTAINERD.name]  # containerd and its shim run runc


@pytest.mark.integration
def test_a_missing_mechanism_is_a_row_that_says_why(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "crun" else real_which(name))
    crun = next(spec for spec in FLOORS if spec.name == "crun")
    with Floors([crun, WASM_NOOP], BuildCache(cache_dir), None, host_arch()) as floors:
        rows = floors.measure(1)
    assert [(row.floor, row.status) for row in rows] == [
        ("crun", Status.UNAVAILABLE), (WASM_NOOP.name, Status.UNAVAILABLE)
    ]  # fmt: skip
    assert rows[0].detail == "crun is not installed (apt-get install -y crun)"
    assert rows[1].detail == "no c noop module built for wasmtime"


@pytest.mark.integration
def test_barestart_stops_at_a_start_that_fails(cache_dir: Path) -> None:
    with Floors([SPAWN], BuildCache(cache_dir), None, host_arch()) as floors:
        completed = subprocess.run([floors.barestart.path, "3", "/bin/false"],
                                   capture_output=True, text=True, check=False)  # fmt: skip
        assert completed.returncode == 1
        assert "/bin/false ended with exit code 1" in completed.stderr
        assert completed.stdout == ""
        usage = subprocess.run([floors.barestart.path, "0", "/bin/true"], capture_output=True,
                               text=True, check=False)  # fmt: skip
        assert usage.returncode == 2


def test_the_ladder_in_the_terminal_shows_a_files_words_as_they_are(tmp_path: Path) -> None:
    """A header's scope is free text from a file: neither markup nor an escape sequence."""
    header = ladder_header()
    header["floors"][SPAWN.name]["scope"] = "[red]spawn[/red] \x1b[2J"
    path = tmp_path / "hostile.jsonl"
    reportdata.write_results(path, reportdata.run_samples(), header)
    with path.open("a") as stream:
        for row in floor_rows(SPAWN.name, [600, 610]):
            stream.write(json.dumps(row.to_json()) + "\n")
    results = read_results(path)
    console = Console(record=True, width=300)
    cells = Cells(results.frame)
    print_ladder(console, results.header, cells, summarize_cells(cells), results.floor_starts)
    text = console.export_text()
    assert "[red]spawn[/red] \\x1b[2J" in text


@pytest.mark.integration
def test_the_containerd_floors_containers_reach_no_event_subscriber(cache_dir: Path) -> None:
    """The floors' containerd loop runs while the docker variant's `ctr events` subscriber
    lives; containerd keeps the loop's events (its own namespace) from it: none is waiting in
    the subscriber's pipe when an event it does take (a probe namespace made after the loop)
    arrives, and containerd sends events in order."""
    log, why = EventLog.start()
    assert log is not None, why
    try:
        with Floors([CONTAINERD], BuildCache(cache_dir), None, host_arch()) as floors:
            rows = floors.measure(1)
        assert {row.status for row in rows} == {Status.OK}, rows[0].detail
        marker = f"isobench-probe-{uuid.uuid4().hex[:8]}"
        client = [shutil.which("ctr") or "ctr", "--address", containerd_socket() or ""]
        for action in ("create", "remove"):
            subprocess.run([*client, "namespaces", action, marker], check=True, timeout=30)
        seen: list[str] = []
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not any(marker in line for line in seen) and time.monotonic() < deadline:
            seen += log._lines(deadline)
        assert any(marker in line for line in seen)
        namespaces = {line.split(" ")[4] for line in seen if line.count(" ") >= 5}
        assert CONTAINERD_NAMESPACE not in namespaces, seen[:3]
    finally:
        log.close()
