"""`isobench compare` (significance and the regression gate) and `isobench export` (read back by
pytest-benchmark's own loader and `compare` command), on scripted results files."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.compare import compare, holm
from harness.results import Sample, Status, read_results
from tests.reportdata import cell, header, run_samples, spread, write_results


def test_a_clear_slowdown_is_significant_and_no_change_is_not(tmp_path: Path) -> None:
    base = read_results(
        write_results(tmp_path / "base.jsonl", spread(run_samples(count=10), steps=10))
    )
    new = read_results(
        write_results(tmp_path / "new.jsonl", spread(run_samples(count=10), 1.5, steps=10))
    )
    changes = {(c.workload, c.variant, c.metric): c for c in compare(base, new).changes}
    slower = changes[("sieve", "wasmtime", "wall_ns")]
    assert slower.ratio == pytest.approx(1.5)
    assert slower.significant  # 10 vs 10 samples, fully separated: exact p = 2 / C(20, 10)
    assert slower.p_value == pytest.approx(2 / 184756)
    # Holm over the run pair's 8 comparisons: the smallest p is multiplied by 8
    assert slower.adjusted_p_value == pytest.approx(8 * 2 / 184756)
    assert slower.regression(20)
    assert not slower.regression(60)
    assert not changes[("sieve", "native", "wall_ns")].significant
    assert changes[("sieve", "native", "wall_ns")].ratio == 1.0
    assert not changes[("sieve", "wasmtime", "peak_memory_bytes")].significant


def test_fail_on_regression_exits_1_only_beyond_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_results(tmp_path / "base.jsonl", spread(run_samples(count=10), steps=10))
    new = write_results(tmp_path / "new.jsonl", spread(run_samples(count=10), 1.5, steps=10))
    assert main(["compare", str(base), str(new), "--fail-on-regression", "20"]) == 1
    captured = capsys.readouterr()
    assert "REGRESSION" in captured.out
    assert "1 significant regressions beyond 20%: sieve (c, wasmtime warm) wall_ns 1.50x" in (
        captured.err
    )
    assert main(["compare", str(base), str(new), "--fail-on-regression", "60"]) == 0
    assert main(["compare", str(new), str(base), "--fail-on-regression", "20"]) == 0  # faster


def test_compare_json_gives_every_comparison_to_machines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_results(tmp_path / "base.jsonl", spread(run_samples(count=10), steps=10))
    new = write_results(tmp_path / "new.jsonl", spread(run_samples(count=10), 1.5, steps=10))
    code = main(["compare", str(base), str(new), "--json", "--fail-on-regression", "20"])
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # stdout holds the document and nothing else
    assert code == 1
    assert "1 significant regressions beyond 20%" in captured.err
    assert (document["kind"], document["schema_version"]) == ("isobench-compare", 1)
    assert document["base"]["path"] == str(base)
    assert (document["comparisons"], document["significant"], document["regressions"]) == (8, 1, 1)
    slower = next(c for c in document["changes"] if c["regression"])
    assert (slower["workload"], slower["variant"], slower["metric"]) == ("sieve", "wasmtime",
                                                                          "wall_ns")  # fmt: skip
    assert slower["ratio"] == pytest.approx(1.5)
    assert slower["adjusted_p_value"] == pytest.approx(8 * 2 / 184756)
    assert document["alpha"] == 0.05
    assert document["threshold_pct"] == 20


def test_compare_says_when_its_sample_counts_leave_it_blind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 5 against 5, fully apart (1.5x): the smallest exact p, 2 / C(10, 5) = 0.0079, times the 8
    # comparisons is above 0.05: nothing can be flagged, and the gate says so
    base = write_results(tmp_path / "base.jsonl", spread(run_samples(count=5)))
    new = write_results(tmp_path / "new.jsonl", spread(run_samples(count=5), 1.5))
    assert main(["compare", str(base), str(new), "--fail-on-regression", "20"]) == 0
    out = capsys.readouterr().out
    assert "8 of 8 comparisons could not be flagged on their own" in out
    assert "5 vs 5 samples: the smallest exact p, 0.0079, times 8 comparisons" in out
    seen = read_results(base), read_results(new)
    assert [c.smallest_p for c in compare(*seen).changes] == [pytest.approx(2 / 252)] * 8
    base = write_results(tmp_path / "base10.jsonl", spread(run_samples(count=10), steps=10))
    assert main(["compare", str(base), str(base)]) == 0
    assert "could not be flagged" not in capsys.readouterr().out


def test_compare_refuses_what_it_cannot_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_results(tmp_path / "base.jsonl", run_samples())
    old = write_results(tmp_path / "old.jsonl", run_samples(), {**header(), "schema_version": 4})
    other = write_results(tmp_path / "other.jsonl", cell("noop", "native", 1.0, size="tiny"))
    assert main(["compare", str(base), str(old)]) == 2
    assert "different schema versions" in capsys.readouterr().err
    assert main(["compare", str(base), str(other)]) == 2
    assert "no cell with ok samples in common" in capsys.readouterr().err
    changed = write_results(tmp_path / "changed.jsonl", run_samples(), header(revision="r2"))
    assert main(["compare", str(base), str(changed)]) == 0
    assert "sieve (c, native warm, default, portable): the workload's sources differ" in (
        capsys.readouterr().out
    )


def test_failed_samples_are_never_compared(tmp_path: Path) -> None:
    crashed = [
        dataclasses.replace(s, status=Status.CRASHED, wall_ns=1)
        if s.workload == "sieve" and s.variant == "wasmtime"
        else s
        for s in spread(run_samples())
    ]
    base = read_results(write_results(tmp_path / "base.jsonl", spread(run_samples())))
    new = read_results(write_results(tmp_path / "new.jsonl", crashed))
    assert ("sieve", "wasmtime") not in {
        (c.workload, c.variant) for c in compare(base, new).changes
    }


def test_export_is_read_back_by_pytest_benchmark_compare(tmp_path: Path) -> None:
    results = write_results(tmp_path / "run.jsonl", spread(run_samples()))
    exported = tmp_path / "0001_isobench.json"
    assert main(["export", "--format", "pytest-benchmark", str(results), "-o", str(exported)]) == 0
    document = json.loads(exported.read_text())
    by_name = {bench["name"]: bench for bench in document["benchmarks"]}
    sieve = by_name["sieve[c-wasmtime-warm-default-portable]"]
    assert sieve["stats"]["rounds"] == 5
    assert sieve["stats"]["median"] == pytest.approx(20e-3 * 1.02)  # seconds
    assert sieve["extra_info"]["ratio_to_native"] == pytest.approx(2.0)
    # pytest-benchmark's own command reads it and prints every benchmark, without a warning
    shown = subprocess.run(
        [sys.executable, "-m", "pytest_benchmark", "compare", str(exported), "--group-by", "name"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "Failed to load" not in shown.stdout + shown.stderr
    for name in by_name:
        assert name in shown.stdout


def test_holm_by_hand() -> None:
    # sorted 0.01, 0.02, 0.04 of 3: x3, x2, x1 -> 0.03, 0.04, 0.04 (kept non-decreasing)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # capped at 1


def test_two_runs_of_the_same_thing_give_no_regression(tmp_path: Path) -> None:
    """A/A: the same cells, their samples drawn from one distribution, in two orders."""
    rng = random.Random(7)
    samples = run_samples(count=20)

    def draw() -> list[Sample]:
        return [
            dataclasses.replace(s, wall_ns=round((s.wall_ns or 0) * rng.lognormvariate(0, 0.05)))
            for s in samples
        ]

    base = read_results(write_results(tmp_path / "a.jsonl", draw()))
    new = read_results(write_results(tmp_path / "b.jsonl", draw()))
    comparison = compare(base, new)
    assert comparison.regressions(10) == []
    assert comparison.regressions(0) == []
    assert all(change.adjusted_p_value >= change.p_value for change in comparison.changes)


def test_memory_grown_by_less_than_the_counter_resolves_is_no_change(tmp_path: Path) -> None:
    grown = [dataclasses.replace(s, peak_memory_bytes=(s.peak_memory_bytes or 0) + 64 * 1024)
             for s in spread(run_samples(count=10), steps=10)]  # fmt: skip
    resolution = {**header(), "memory": {"method": "cgroup", "resolution_bytes": 512 * 1024}}
    base = read_results(
        write_results(tmp_path / "a.jsonl", spread(run_samples(count=10), steps=10), resolution)
    )
    new = read_results(write_results(tmp_path / "b.jsonl", grown, resolution))
    memory = [c for c in compare(base, new).changes if c.metric == "peak_memory_bytes"]
    assert memory
    assert min(c.p_value for c in memory) < 0.05  # every sample grew: the test alone would flag
    assert not any(c.significant for c in memory)  # 64 KiB, below the 512 KiB resolution


def test_raw_times_from_two_hosts_are_not_gated_and_other_code_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_results(tmp_path / "x86.jsonl", spread(run_samples()))
    arm = write_results(tmp_path / "arm.jsonl", spread(run_samples()), header("arm-box", "aarch64"))
    assert main(["compare", str(base), str(arm), "--fail-on-regression", "10"]) == 2
    assert "come from different hosts: raw times are not gated" in capsys.readouterr().err
    assert main(["compare", str(base), str(arm), "--fail-on-regression", "10", "--json"]) == 2
    assert capsys.readouterr().out == ""  # no document for a refused gate
    other = write_results(tmp_path / "other.jsonl", spread(run_samples()),
                          {**header(), "measurement_revision": "another"})  # fmt: skip
    assert main(["compare", str(base), str(other)]) == 0
    assert "measured by different code" in capsys.readouterr().out
