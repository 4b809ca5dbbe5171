"""The scenarios on the real variants: every answer checked, figures recorded, and nothing left
behind, after a clean run and after a Ctrl-C in the middle of one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
import psutil
import pytest

from harness.cli import main
from harness.report import write_report
from harness.results import Status, read_results
from harness.scenarios import DENSITY, REQUESTS, SCENARIOS, START_RATE
from harness.targets.base import MARK
from tests.conftest import PROJECT_ROOT, WORKLOADS

pytestmark = pytest.mark.integration
SPAWNERS = ("native", "docker", "wasmtime", "wasmtime-cli", "wasmtime-min", "node", "wasm-docker")
CGROUP_PARENTS = ("/sys/fs/cgroup/memory/docker", "/sys/fs/cgroup/pids/docker",
                  "/sys/fs/cgroup/memory/isobench")  # fmt: skip


def leftovers() -> list[str]:
    """Every process, container and folder a scenario marks, wherever it came from."""
    found = []
    for process in psutil.process_iter(["pid", "name"]):
        try:
            if MARK in process.environ():
                found.append(f"process {process.info['pid']} {process.info['name']}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    client = docker.from_env()
    try:
        containers = client.containers.list(all=True, filters={"label": MARK})
        found += [f"container {container.short_id}" for container in containers]
    finally:
        client.close()
    found += [f"folder {path}" for path in Path(tempfile.gettempdir()).glob("isobench-scenario-*")]
    return found


def cgroups() -> set[str]:
    """The cgroup folders of containers and samples (a container's vanish with it)."""
    return {
        str(child)
        for parent in map(Path, CGROUP_PARENTS)
        if parent.is_dir()
        for child in parent.iterdir()
        if child.is_dir()
    }


def scenario_argv(cache_dir: Path, results_dir: Path, *options: str) -> list[str]:
    return [
        *("--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir)),
        *("--results-dir", str(results_dir), "scenario", *options),
    ]


def test_every_scenario_runs_on_every_variant_with_every_answer_checked(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path
) -> None:
    before = cgroups()
    selection = [f"--variant={variant}" for variant in SPAWNERS]
    small = ["--batches", "1", "--density-steps", "1,3", "--starts", "3", "--requests", "6"]
    code = main(scenario_argv(cache_dir, tmp_path, *selection, *small))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (path,) = tmp_path.glob("*.jsonl")
    results = read_results(path)
    rows = results.scenario_samples
    assert [row for row in rows if row.status is not Status.OK] == []
    assert set(results.header.scenarios) == set(SCENARIOS)
    expected_modes = {DENSITY: {"idle"}, START_RATE: {"sequential", "concurrent"},
                      REQUESTS: {"fresh-instance", "long-lived"}}  # fmt: skip
    for variant in SPAWNERS:
        for language in ("c", "rust"):
            mine = [row for row in rows if (row.variant, row.language) == (variant, language)]
            modes = {scenario: {r.mode for r in mine if r.scenario == scenario}
                     for scenario in SCENARIOS}  # fmt: skip
            assert modes == expected_modes, (variant, language)
            density = [row for row in mine if row.scenario == DENSITY]
            assert sorted(row.instances for row in density) == [1, 3]
            for row in density:  # the memory with all K up was read, and grew
                assert row.pss_before_bytes is not None
                assert row.pss_after_bytes is not None
                assert row.pss_after_bytes > row.pss_before_bytes, (variant, language)
            # the in-host variant starts fresh instances in each start mode, each timed by its
            # host inside the harness's own latency (what is left over: the plumbing)
            modes_started = {row.start_mode for row in mine if row.scenario == START_RATE}
            in_host = variant == "wasmtime"
            assert modes_started == ({"loaded", "prelinked", "pooled"} if in_host else {""})
            fresh = [r for r in mine if r.scenario == START_RATE or r.mode == "fresh-instance"]
            for row in fresh:
                assert (row.instance_start_ns is not None) == in_host
                if row.instance_start_ns is not None and row.instance_run_ns is not None:
                    assert row.latency_ns is not None
                    assert 0 < row.instance_start_ns + row.instance_run_ns < row.latency_ns
            assert len([r for r in mine if r.scenario == REQUESTS]) == (24 if in_host else 12)
    assert leftovers() == []
    assert cgroups() <= before  # the containers' cgroups went with them
    report = write_report([path], tmp_path / "report.html").read_text()
    for section in ('id="density"', 'id="start-rate"', 'id="requests"'):
        assert section in report


@pytest.mark.parametrize(
    ("scenario", "signal_after", "occurrence"),
    [(DENSITY, "3 instances up", 2), (START_RATE, "batch 1: ", 2)],
)
def test_ctrl_c_in_the_middle_of_a_scenario_leaves_nothing_behind(
    cache_dir: Path, tmp_path: Path, scenario: str, signal_after: str, occurrence: int
) -> None:
    """Ctrl-C at the terminal: SIGINT to the whole foreground process group while the scenario
    has instances up (the second variant's first density step; the third start-rate batch);
    then no process, container, folder or cgroup of it may be left, and the results file holds
    every row finished before."""
    build = ["--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir), "build"]
    assert main([*build, "-w", "noop", "-w", "webhook"]) == 0  # so the run starts measuring at once
    before = cgroups()
    variants = ["--variant=native", "--variant=docker", "--variant=wasmtime"]
    argv = scenario_argv(cache_dir, tmp_path, scenario, *variants, "--seed", "3", "--batches",
                         "3", "--density-steps", "3,40", "--starts", "40")  # fmt: skip
    with subprocess.Popen(
        [sys.executable, "-m", "harness", *argv],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's foreground job
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        seen = []
        for line in process.stdout:  # blocks until isobench says the instances are up
            seen.append(line)
            if sum(signal_after in earlier for earlier in seen) == occurrence:
                break
        else:
            pytest.fail(f"isobench ended before {signal_after!r}: {''.join(seen)}")
        os.killpg(process.pid, signal.SIGINT)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("isobench did not stop within 60 s of Ctrl-C")
        assert code == 130, process.stderr.read()
    assert leftovers() == []
    assert cgroups() <= before
    (path,) = tmp_path.glob("*.jsonl")
    rows = read_results(path).scenario_samples  # a valid file, up to the interruption
    assert rows
    assert all(row.scenario == scenario and row.status is Status.OK for row in rows)
