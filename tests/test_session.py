"""The run session driven end to end by a throwaway variant, registered only here: real builds
and real programs, a variant the harness has never heard of. It must reach the plan, the
results file, the summary, the report, a resumed run and the same plan measured again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness import api
from harness.cgroups import MemoryCgroups
from harness.errors import IsobenchError
from harness.results import Status
from harness.session import Measuring, RunConfig, Selection, Silent, measured_state
from harness.targets.native import NativeTarget
from harness.targets.wasmtime import WasmtimeTarget
from harness.toolchains import Profile
from harness.workloads import Language
from tests.conftest import WORKLOADS
from tests.fakes import OldKernelCgroups, SubprocessTarget

REGISTRY = {SubprocessTarget.name: SubprocessTarget}


def config(cache_dir: Path, results_dir: Path) -> RunConfig:
    return RunConfig(
        Selection(workloads_dir=WORKLOADS, cache_dir=cache_dir, workloads=("noop", "matmul"),
                  sizes=("tiny",), languages=(Language.C,), variants=("subprocess",)),
        Measuring(repetitions=3, warmup=1, seed=7, affinity="all"),
        results_dir=results_dir,
    )  # fmt: skip


def test_a_variant_registered_in_a_test_runs_the_whole_main_job(
    cache_dir: Path, tmp_path: Path
) -> None:
    outcome = api.run(config(cache_dir, tmp_path / "results"), REGISTRY)

    assert outcome.path.parent == tmp_path / "results"
    plan = outcome.header.plan
    assert plan is not None
    assert (plan.workloads, plan.sizes, plan.seed, plan.languages) == (
        ("matmul", "noop"), ("tiny",), 7, ("c",)
    )  # fmt: skip
    assert outcome.header.variants["subprocess"].states == SubprocessTarget.states
    assert not outcome.unavailable

    results = api.read_results(outcome.path)
    assert results.header == outcome.header  # what was written is what is read back
    assert len(results.samples) == 2 * 3  # workloads x repetitions (warm-up not recorded)
    assert {(s.workload, s.variant, s.state, s.status) for s in results.samples} == {
        (workload, "subprocess", "warm", Status.OK) for workload in ("noop", "matmul")
    }

    rows = api.summarize(results)
    assert {(row.workload, row.variant, row.samples_ok) for row in rows} == {
        ("noop", "subprocess", 3), ("matmul", "subprocess", 3)
    }  # fmt: skip

    html = api.write_report([outcome.path], tmp_path / "report.html").read_text()
    assert "subprocess.run, timed around it by Python" in html  # the Method, from the header


def test_a_resumed_run_completes_the_file_with_the_plan_it_began_with(
    cache_dir: Path, tmp_path: Path
) -> None:
    first = api.run(config(cache_dir, tmp_path / "results"), REGISTRY)
    lines = first.path.read_text().splitlines(keepends=True)
    first.path.write_text("".join(lines[:3]) + lines[3][:20])  # two samples and a cut line

    # folders only: the plan, the variants and the seed come from the file
    folders = RunConfig(Selection(workloads_dir=WORKLOADS, cache_dir=cache_dir))
    resumed = api.run(folders, REGISTRY, resume=first.path)

    assert resumed.path == first.path
    results = api.read_results(first.path)
    assert not results.truncated
    assert len(results.samples) == 6
    assert {s.status for s in results.samples} == {Status.OK}


def test_the_same_plan_again_is_the_recorded_plan_with_a_new_seed(
    cache_dir: Path, tmp_path: Path
) -> None:
    asked = config(cache_dir, tmp_path / "results")
    asked = replace(asked, measuring=replace(asked.measuring, precision=0.5, budget_s=600.0))
    baseline = api.run(asked, REGISTRY)

    folders = RunConfig(Selection(workloads_dir=WORKLOADS, cache_dir=cache_dir),
                        results_dir=tmp_path / "results")  # fmt: skip
    again = api.same_plan_as(baseline.path, folders)

    recorded = replace(asked.selection, workloads=("matmul", "noop"), profiles=(Profile.PORTABLE,))
    assert again.selection == recorded
    assert again.measuring == replace(asked.measuring, seed=None, states=("warm",),
                                      max_repetitions=1000, timeout_s=120.0)  # fmt: skip
    second = api.run(again, REGISTRY)
    assert second.path.parent == baseline.path.parent
    assert second.path != baseline.path
    assert second.header.plan is not None
    assert second.header.plan.workloads == ("matmul", "noop")


def test_a_plan_that_names_a_variant_this_isobench_lacks_is_refused(
    cache_dir: Path, tmp_path: Path
) -> None:
    baseline = api.run(config(cache_dir, tmp_path / "results"), REGISTRY)
    again = api.same_plan_as(baseline.path, RunConfig(Selection(workloads_dir=WORKLOADS)))
    with pytest.raises(IsobenchError, match="unknown variant 'subprocess'"):
        api.run(again, {})  # a registry without it: another isobench's results


class Warnings(Silent):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, text: str) -> None:
        self.warnings.append(text)


def test_a_kernel_without_memory_peak_is_said_and_the_run_goes_on(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "cgroup" / "isobench"
    parent.mkdir(parents=True)  # a cgroup v2 parent without memory.peak (Linux before 5.19)
    monkeypatch.setattr(MemoryCgroups, "detect", lambda: OldKernelCgroups(parent, 2))
    listener = Warnings()
    outcome = api.run(config(cache_dir, tmp_path / "results"), REGISTRY, listener)
    assert any("no memory.peak on this kernel" in warning for warning in listener.warnings)
    assert {s.status for s in outcome.samples} == {Status.OK}
    assert {s.peak_memory_bytes for s in outcome.samples} == {None}


def test_start_modes_are_measured_on_the_startup_workload_unless_asked_for() -> None:
    """wasmtime's start modes answer a startup question: by default on noop alone; asked for
    (--state), on every workload; every other state of every variant everywhere."""
    wasm, native = WasmtimeTarget(), NativeTarget
    assert measured_state(wasm, "pooled", "noop", ())
    assert not measured_state(wasm, "pooled", "nbody", ())
    assert measured_state(wasm, "warm", "nbody", ())
    assert measured_state(wasm, "pooled", "nbody", ("pooled",))
    assert not measured_state(wasm, "warm", "noop", ("pooled",))
    assert measured_state(native, "cold", "nbody", ())  # type: ignore[arg-type]
