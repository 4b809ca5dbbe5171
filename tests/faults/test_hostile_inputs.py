"""Property tests: whatever bytes a manifest or a results file holds, isobench either reads it
or stops with one IsobenchError naming the file, never with another exception; and a report of
whatever it read renders (every string escaped) or stops the same way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cli import main
from harness.errors import IsobenchError
from harness.report import write_report
from harness.results import (
    SCHEMA_VERSION,
    FloorStart,
    Sample,
    ScenarioSample,
    Status,
    read_by_rows,
    read_results,
)
from harness.workloads import load_workload
from tests.conftest import PROJECT_ROOT, WORKLOADS

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REPORTS = settings(EXAMPLES, max_examples=40)  # each example renders a whole report
NOOP_MANIFEST = (WORKLOADS / "noop" / "workload.toml").read_text()

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
    st.text(max_size=20),
)  # fmt: skip
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def toml_value(value: Any) -> str:
    """A TOML rendering of a JSON-like value (enough for the mutations below)."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def refusal(action: Callable[[], object]) -> str | None:
    """None when `action` succeeds; the message when it raises IsobenchError (any other
    exception fails the test)."""
    try:
        action()
    except IsobenchError as error:
        return str(error)
    return None


def load_manifest(text: str) -> None:
    folder = Path(tempfile.mkdtemp()) / "noop"
    try:
        shutil.copytree(WORKLOADS / "noop", folder)
        (folder / "workload.toml").write_text(text, encoding="utf-8")
        message = refusal(lambda: load_workload(folder))
        assert message is None or str(folder / "workload.toml") in message  # names the file
    finally:
        shutil.rmtree(folder.parent)


@EXAMPLES
@given(st.text(max_size=400))
def test_any_text_as_a_manifest_is_read_or_refused_with_one_error(text: str) -> None:
    load_manifest(text)


@EXAMPLES
@given(
    st.sampled_from(["name", "description", "sources", "sizes", "sizes.tiny", "sizes.tiny.args",
                     "sizes.default.expected_stdout", "sizes.tiny.work_units", "serve", "other"]),
    json_values,
)  # fmt: skip
def test_a_manifest_field_of_any_value_is_read_or_refused_with_one_error(
    field: str, value: Any
) -> None:
    """Replace (or add) one field of a good manifest by any value."""
    table, _, key = field.rpartition(".")
    lines = NOOP_MANIFEST.splitlines()
    header = f"[{table}]" if table else None
    start = lines.index(header) + 1 if header in lines else 0
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    kept = [line for line in lines[start:end] if not line.startswith(f"{key} ")]
    body = [*lines[:start], f"{key} = {toml_value(value)}", *kept, *lines[end:]]
    if header is not None and header not in lines:
        body = [*lines, header, f"{key} = {toml_value(value)}"]
    load_manifest("\n".join(body) + "\n")


def sample_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "sample", "workload": "noop", "language": "c", "variant": "native",
        "size": "tiny", "profile": "portable", "state": "warm", "arch": "x86_64", "round": 0,
        "warmup": False, "status": "ok", "wall_ns": 1_000_000, "phases_ns": {},
        "peak_memory_bytes": None, "linear_memory_bytes": None, "exit_code": 0,
        "stdout_sha256": "", "detail": "", "artifact_id": "", "emulated": False,
    }  # fmt: skip
    return row | changes


def read_and_report(lines: list[str]) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        path = folder / "run.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        message = refusal(lambda: read_results(path))
        if message is not None:
            assert str(path) in message
            return
        for sample in read_results(path).samples:
            assert isinstance(sample.status, Status)
        message = refusal(lambda: write_report([path], folder / "report.html"))
        assert message is None or str(path) in message or "report" in message
    finally:
        shutil.rmtree(folder)


@EXAMPLES
@given(st.lists(st.text(max_size=80), max_size=6))
def test_any_lines_as_a_results_file_are_read_or_refused_with_one_error(
    lines: list[str],
) -> None:
    read_and_report(lines)


@REPORTS
@given(st.dictionaries(st.sampled_from(["host", "plan", "variants", "workloads", "artifacts",
                                        "run_id", "started_at", "host_costs", "scenarios",
                                        "unavailable", "tools"]),
                       json_values, max_size=6))  # fmt: skip
def test_a_hostile_header_never_breaks_the_report(header: dict[str, Any]) -> None:
    good = {"kind": "header", "schema_version": SCHEMA_VERSION}
    rows = [sample_row(), sample_row(variant="wasmtime", wall_ns=2_000_000)]
    read_and_report([json.dumps(good | header), *(json.dumps(row) for row in rows)])


@REPORTS
@given(st.sampled_from(list(sample_row())), json_values)
def test_a_sample_field_of_any_value_is_read_or_refused_with_one_error(
    field: str, value: Any
) -> None:
    header = {"kind": "header", "schema_version": SCHEMA_VERSION, "run_id": "<script>x</script>"}
    rows = [sample_row(), sample_row(**{field: value})]
    read_and_report([json.dumps(header), *(json.dumps(row) for row in rows)])


HOSTILE_NAMES = ["[/x]", "[bold]x", "a\x1b[31mred\x1b]0;title\x07", "$\\x$", "../../x", "/tmp/x",
                 "-x", "@file", "x" * 65, ""]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("field", ["workload", "language", "variant", "size", "profile", "state"])
def test_a_hostile_name_in_a_results_file_is_refused_by_every_reader(
    name: str, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = {"kind": "header", "schema_version": SCHEMA_VERSION, "run_id": "r"}
    path = tmp_path / "run.jsonl"
    rows = [sample_row(), sample_row(**{field: name})]
    path.write_text("\n".join(json.dumps(row) for row in [header, *rows]) + "\n")
    for argv in (["summary", str(path)], ["report", str(path), "-o", str(tmp_path / "r.html")],
                 ["compare", str(path), str(path)],
                 ["export", str(path), "--format", "pytest-benchmark", "-o",
                  str(tmp_path / "x.json")]):  # fmt: skip
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        assert f"{path}: line 3: bad sample: field {field!r}" in captured.err
        assert "\x1b" not in captured.err + captured.out  # nothing reaches the terminal raw


def plan_header(**plan: Any) -> dict[str, Any]:
    recorded = {"workloads": ["noop"], "sizes": ["tiny"], "states": ["warm"],
                "profiles": ["portable"], "languages": ["c"], "repetitions": 1,
                "min_time_s": 0.0, "max_repetitions": 1, "warmup": 0, "timeout_s": 10.0,
                "seed": 1} | plan  # fmt: skip
    variants = {"native": {"states": {"warm": "x"}, "phases": [], "memory_scope": "x"}}
    return {"kind": "header", "schema_version": SCHEMA_VERSION, "run_id": "r",
            "plan": recorded, "variants": variants}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "plan"),
    [("plan.workloads", {"workloads": ["../../etc"]}), ("plan.workloads", {"workloads": ["/x"]}),
     ("plan.sizes", {"sizes": ["[/x]"]}), ("plan.states", {"states": ["warm\x1b[2J"]})],
)  # fmt: skip
@pytest.mark.parametrize("option", ["--same-plan-as", "--resume"])
def test_names_from_a_header_are_held_to_the_manifests_rule_before_anything_is_built(
    field: str, plan: dict[str, Any], option: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / "base.jsonl"
    path.write_text(json.dumps(plan_header(**plan)) + "\n" + json.dumps(sample_row()) + "\n")
    argv = ["--workloads-dir", str(WORKLOADS), "--cache-dir", str(tmp_path / "cache"),
            "--results-dir", str(tmp_path), "run", option, str(path)]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 1: field '{field}'" in err
    assert "is not a name" in err
    assert not (tmp_path / "cache").exists()  # nothing was built


@pytest.mark.parametrize(
    "suites",
    ["default = 1\n", "[default]\ndescription = 'x'\nworkloads = ['../noop']\nsizes = ['tiny']\n",
     "[default]\ndescription = 'x'\nworkloads = '*'\nsizes = ['$x$']\n"],
)  # fmt: skip
def test_a_hostile_suites_file_is_one_line_and_exit_2(
    suites: str, workloads_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workloads_copy / "suites.toml").write_text(suites)
    assert main(["--workloads-dir", str(workloads_copy), "build", "--suite", "default"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"{workloads_copy / 'suites.toml'}: field 'default" in err


def test_control_characters_and_dollars_from_a_header_reach_no_terminal_and_no_mathtext(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = {"kind": "header", "schema_version": SCHEMA_VERSION, "run_id": "r\x1b[2J",
              "host": {"hostname": "$\\x$\x1b]0;owned\x07", "arch": "x86_64"}}  # fmt: skip
    path = tmp_path / "run.jsonl"
    rows = [sample_row(), sample_row(variant="wasmtime", wall_ns=2_000_000)]
    path.write_text("\n".join(json.dumps(row) for row in [header, *rows]) + "\n")
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps(row) for row in [header | {"run_id": "s"}, *rows]))
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "r\\x1b[2J" in out  # shown, escaped
    # two runs of one host: the host name labels the figures, and "$" is not mathtext there
    assert main(["report", str(path), str(other), "-o", str(tmp_path / "r.html")]) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("timeout_s", -1.0), ("timeout_s", 1e9), ("repetitions", 0), ("warmup", -3),
     ("memory_limit_bytes", 0), ("precision", 5.0), ("budget_s", -60.0)],
)  # fmt: skip
def test_counts_and_limits_from_a_header_are_held_to_their_ranges(
    field: str, value: float, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "base.jsonl"
    path.write_text(json.dumps(plan_header(**{field: value})) + "\n" + json.dumps(sample_row()))
    argv = ["--workloads-dir", str(WORKLOADS), "--cache-dir", str(tmp_path / "cache"),
            "--results-dir", str(tmp_path), "run", "--same-plan-as", str(path)]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 1: field 'plan.{field}': {value!r} (must be at least" in err
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "argv",
    [["run", "--timeout", "-1"], ["run", "--timeout", "nan"], ["run", "--min-time", "-2"],
     ["all", "--batch-time-limit", "0"], ["compare", "a", "b", "--alpha", "1.5"],
     ["compare", "a", "b", "--fail-on-regression", "-10"], ["run", "--timeout", "inf"]],
)  # fmt: skip
def test_a_limit_out_of_its_range_on_the_command_line_is_refused_by_name(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    option = next(arg for arg in argv if arg.startswith("--"))
    assert f"argument {option}" in capsys.readouterr().err


FULL_ROWS = {
    "sample": Sample("noop", "c", "native", "tiny", "portable", "warm", "x86_64", 1, False,
                     Status.OK, 1_000, {"spawn_to_exit": 900}, cpu_ns=800).to_json(),
    "scenario": ScenarioSample("density", "noop", "c", "native", "idle", 1, 4, 1, 0, Status.OK,
                               0, 5_000).to_json(),
    "floor": FloorStart("fork-exec", 1, 0, Status.OK, 700).to_json(),
}  # fmt: skip
MISSING = object()  # a field left out of its row


@EXAMPLES
@given(st.sampled_from([(kind, name) for kind, row in FULL_ROWS.items() for name in row]),
       json_values | st.just(MISSING))  # fmt: skip
def test_the_columns_read_a_file_exactly_as_the_rows_do_or_leave_it_to_them(
    field: tuple[str, str], value: Any
) -> None:
    """Whatever one field of one row holds (or its absence), reading in columns gives what
    reading row by row gives: the same records, or (the columns refusing it) the same error."""
    kind, name = field
    changed = dict(FULL_ROWS[kind])
    if value is MISSING:
        del changed[name]
    else:
        changed[name] = value
    rows = [*FULL_ROWS.values(), changed, *FULL_ROWS.values()]
    header = {"kind": "header", "schema_version": SCHEMA_VERSION, "run_id": "r"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.jsonl"
        path.write_text("\n".join(json.dumps(row) for row in [header, *rows]) + "\n")
        by_rows = refusal(lambda: read_by_rows(path, path.read_bytes()))
        read = refusal(lambda: read_results(path))
        assert read == by_rows
        if read is None:
            results = read_results(path)
            _, samples, scenario_samples, floor_starts, _ = read_by_rows(path, path.read_bytes())
            assert results.samples == samples
            assert (results.scenario_samples, results.floor_starts) == (
                scenario_samples, floor_starts
            )  # fmt: skip


def test_a_list_the_json_reader_builds_wrong_is_refused_by_name_not_a_crash(
    tmp_path: Path,
) -> None:
    """pyarrow's JSON reader (26.0) builds a list of many nulls then a string as an array whose
    offsets run past its values; any compute over it reads beyond its buffers, and filtering the
    rows by kind killed the process with a segfault (hypothesis found the short form of it, one
    run in seven). Such a file is the row reader's, which names the field: in a child process,
    as a crash is what this guards against."""
    scenario = dict(FULL_ROWS["scenario"], host_used_after_bytes=[None] * 100_000 + ["x"])
    header = {"kind": "header", "schema_version": SCHEMA_VERSION, "run_id": "r"}
    rows = [header, FULL_ROWS["sample"], scenario, FULL_ROWS["floor"]]
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "summary", str(path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.count("\n") == 1
    assert str(path) in done.stderr
    assert "host_used_after_bytes" in done.stderr
