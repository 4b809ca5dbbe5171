from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main, make_parser, run_config_of, selection_of
from harness.header import Header
from harness.results import ResultsWriter
from harness.targets import TARGETS
from tests.test_results import SAMPLE


def test_a_malformed_manifest_is_one_line_and_exit_2(workloads_copy: Path, tmp_path: Path) -> None:
    manifest = workloads_copy / "noop" / "workload.toml"
    manifest.write_text(manifest.read_text().replace('name = "noop"', 'name = "Noop!"'))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "--workloads-dir",
            str(workloads_copy),
            "--cache-dir",
            str(tmp_path / "cache"),
            "build",
            "--variant",
            "native",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert str(manifest) in lines[0]
    assert "field 'name'" in lines[0]
    assert "Traceback" not in completed.stderr


def test_an_unknown_workload_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--workload", "nope", "--variant", "native"]) == 2
    assert "unknown workload 'nope'" in capsys.readouterr().err


def test_summary_recomputes_from_a_results_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ResultsWriter(
        tmp_path / "20260101T000000Z-h-1.jsonl", Header.read({"run_id": "r"})
    ) as writer:
        for wall_ns in (1_000_000, 2_000_000, 3_000_000):
            writer.add(dataclasses.replace(SAMPLE, wall_ns=wall_ns))
    assert main(["--results-dir", str(tmp_path), "summary"]) == 0
    out = capsys.readouterr().out
    assert "noop" in out
    assert "2.000" in out  # the median of 1, 2 and 3 ms


def test_summary_without_results_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--results-dir", str(tmp_path), "summary"]) == 2
    assert "run `isobench run` first" in capsys.readouterr().err


def test_summary_fits_throughput_over_sizes_from_the_headers_work_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = {"run_id": "r", "plan": {"work_units": {"noop": {"tiny": 10, "default": 1000}}}}
    with ResultsWriter(tmp_path / "20260101T000000Z-h-1.jsonl", Header.read(header)) as writer:
        for size, units in (("tiny", 10), ("default", 1000)):
            for _ in range(3):  # 2 ms + 50 us a unit, exactly
                writer.add(
                    dataclasses.replace(SAMPLE, size=size, wall_ns=2_000_000 + 50_000 * units)
                )
    assert main(["--results-dir", str(tmp_path), "summary"]) == 0
    out = capsys.readouterr().out
    assert "throughput over sizes" in out
    assert "5e+04" in out  # 50,000 ns a unit
    assert "1.000" in out  # R squared of an exact line


def test_every_variant_is_one_word_and_the_registry_says_which() -> None:
    args = make_parser().parse_args(["scenario", "--variant", "all"])
    assert selection_of(args).variants == tuple(TARGETS)


def test_a_results_file_without_a_plan_cannot_give_its_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenarios-only.jsonl"
    ResultsWriter(path, Header.read({"run_id": "r"})).close()
    assert main(["--results-dir", str(tmp_path), "run", "--same-plan-as", str(path)]) == 2
    assert f"{path}: line 1: no plan to take" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "paced"),
    [
        (["all"], (5, 0.02, 840.0)),  # the main job: a precision within its 14 minutes
        (["run"], (10, None, None)),  # a fixed count unless asked
        (["run", "--precision", "1.5", "--budget", "1h30m"], (10, 0.015, 5400.0)),
        (["all", "-n", "3", "--precision", "off", "--budget", "none"], (3, None, None)),
    ],
)
def test_each_verb_paces_its_samples_its_own_way(
    argv: list[str], paced: tuple[int, float | None, float | None]
) -> None:
    measuring = run_config_of(make_parser().parse_args(argv)).measuring
    assert (measuring.repetitions, measuring.precision, measuring.budget_s) == paced


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--precision", "0"],
        ["run", "--budget", "15x"],
        ["all", "--precision", "nope"],
        ["all", "--budget", "0s"],
    ],
)
def test_a_bad_precision_or_budget_is_refused_by_name(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        make_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert f"argument {argv[1]}" in capsys.readouterr().err
