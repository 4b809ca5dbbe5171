"""`isobench compare` (significance and the regression gate) and `isobench export` (read back by
pytest-benchmark's own loader and `compare` command), on scripted results files."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.compare import compare
from harness.results import Sample, Status, read_results
from tests.reportdata import cell, header, run_samples, write_results


def spread(samples: list[Sample], factor: float = 1.0) -> list[Sample]:
    """The same cells with a little spread (1.00, 1.01, ... x), times `factor` for the
    workload's wasm cell: real samples are never all equal."""
    out = []
    for index, sample in enumerate(samples):
        scale = 1 + (index % 5) / 100
        if sample.workload == "sieve" and sample.variant == "wasmtime":
            scale *= factor
        out.append(dataclasses.replace(sample, wall_ns=round((sample.wall_ns or 0) * scale)))
    return out


def test_a_clear_slowdown_is_significant_and_no_change_is_not(tmp_path: Path) -> None:
    base = read_results(write_results(tmp_path / "base.jsonl", spread(run_samples())))
    new = read_results(write_results(tmp_path / "new.jsonl", spread(run_samples(), 1.5)))
    changes = {(c.workload, c.variant, c.metric): c for c in compare(base, new).changes}
    slower = changes[("sieve", "wasmtime", "wall_ns")]
    assert slower.ratio == pytest.approx(1.5)
    assert slower.significant  # 5 vs 5 samples, fully separated: p = 0.012 (normal approx.)
    assert slower.p_value == pytest.approx(0.0122, abs=1e-4)
    assert slower.regression(20)
    assert not slower.regression(60)
    assert not changes[("sieve", "native", "wall_ns")].significant
    assert changes[("sieve", "native", "wall_ns")].ratio == 1.0
    assert not changes[("sieve", "wasmtime", "peak_memory_bytes")].significant


def test_fail_on_regression_exits_1_only_beyond_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_results(tmp_path / "base.jsonl", spread(run_samples()))
    new = write_results(tmp_path / "new.jsonl", spread(run_samples(), 1.5))
    assert main(["compare", str(base), str(new), "--fail-on-regression", "20"]) == 1
    captured = capsys.readouterr()
    assert "REGRESSION" in captured.out
    assert "1 significant regressions beyond 20%: sieve (c, wasmtime warm) wall_ns 1.50x" in (
        captured.err
    )
    assert main(["compare", str(base), str(new), "--fail-on-regression", "60"]) == 0
    assert main(["compare", str(new), str(base), "--fail-on-regression", "20"]) == 0  # faster


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
