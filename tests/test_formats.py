"""Results for the tools engineers use (issue 19, part 2): a DataFrame of samples
(harness.frame), `export --format csv|parquet`, `summary --format csv|markdown|json` and
`compare --format csv|markdown`, on scripted results files whose figures are known by hand."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from harness.cli import main
from harness.export.samples_parquet import HEADERS_KEY
from harness.results import read_results, to_frame
from tests.reportdata import header, run_samples, spread, write_results


def scripted(path: Path, factor: float = 1.0) -> Path:
    return write_results(path, spread(run_samples(count=10), factor, steps=10),
                         header(run_id=f"run-{path.stem}"))  # fmt: skip


def test_a_results_file_is_a_frame_of_typed_sample_rows(tmp_path: Path) -> None:
    first = read_results(scripted(tmp_path / "a.jsonl"))
    second = read_results(scripted(tmp_path / "b.jsonl", 1.5))
    frame = to_frame([first, second])
    assert len(frame) == len(first.samples) + len(second.samples)
    assert str(frame.workload.dtype) == "category"
    assert str(frame.wall_ns.dtype) == "Int64"
    assert frame.warmup.dtype == bool
    assert set(frame.attrs["headers"]) == {first.header.run_id, second.header.run_id}
    ok = frame[(frame.status == "ok") & (frame.workload == "sieve") & ~frame.warmup]
    medians = ok.groupby(["variant", "run_id"], observed=True).wall_ns.median()
    assert medians["wasmtime"][second.header.run_id] / medians["wasmtime"][first.header.run_id] == (
        pytest.approx(1.5)  # reportdata's spread scales wasmtime's times by the factor
    )


def test_samples_export_as_csv_and_as_parquet_with_the_header(tmp_path: Path) -> None:
    path = scripted(tmp_path / "run.jsonl")
    results = read_results(path)
    assert main(["export", str(path), "--format", "csv", "-o", str(tmp_path / "s.csv")]) == 0
    from_csv = pd.read_csv(tmp_path / "s.csv")
    assert len(from_csv) == len(results.samples)
    assert from_csv.wall_ns.tolist() == [s.wall_ns for s in results.samples]
    parquet = tmp_path / "s.parquet"
    assert main(["export", str(path), "--format", "parquet", "-o", str(parquet)]) == 0
    from_parquet = pd.read_parquet(parquet)
    assert str(from_parquet.wall_ns.dtype) == "Int64"
    headers = json.loads(pq.read_schema(parquet).metadata[HEADERS_KEY])
    assert headers[results.header.run_id]["run_id"] == results.header.run_id


def test_the_summary_comes_as_csv_json_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = scripted(tmp_path / "run.jsonl")
    assert main(["summary", str(path), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["kind"], document["schema_version"]) == ("isobench-summary", 1)
    rows = {(r["workload"], r["variant"], r["state"]): r for r in document["rows"]}
    assert rows[("sieve", "native", "warm")]["ratio_to_native"] == 1.0
    assert rows[("sieve", "native", "warm")]["wall_ci_low_ns"] <= rows[
        ("sieve", "native", "warm")]["median_wall_ns"]  # fmt: skip
    assert main(["summary", str(path), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(table) == len(document["rows"])
    assert {"median_wall_ns", "wall_ci_low_ns", "cpu_net_ratio_to_native"} <= set(table.columns)
    assert main(["summary", str(path), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out.splitlines()
    assert markdown[2].startswith("| workload")
    assert markdown[3].startswith("|:---")
    assert len(markdown) == 4 + len(document["rows"])


def test_a_comparison_comes_as_csv_and_as_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, new = scripted(tmp_path / "base.jsonl"), scripted(tmp_path / "new.jsonl", 1.5)
    assert main(["compare", str(base), str(new), "--format", "csv",
                 "--fail-on-regression", "20"]) == 1  # fmt: skip
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    wasmtime = table[(table.workload == "sieve") & (table.variant == "wasmtime")]
    slower = wasmtime[wasmtime.metric == "wall_ns"].iloc[0]
    assert slower.ratio == pytest.approx(1.5)
    assert bool(slower.significant)
    assert bool(slower.regression)
    assert main(["compare", str(base), str(new), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| sieve" in markdown
    assert "1.50 (" in markdown
    assert main(["compare", str(base), str(base), "--format", "markdown"]) == 0
    assert "No significant change." in capsys.readouterr().out
