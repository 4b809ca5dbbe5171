from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import IsobenchError
from harness.frame import frame_of, read_columns, samples_of
from harness.header import SCHEMA_VERSION, Header
from harness.results import ResultsWriter, Sample, Status, read_by_rows, read_results

SAMPLE = Sample(
    workload="noop",
    language="c",
    variant="native",
    size="tiny",
    profile="portable",
    state="warm",
    arch="x86_64",
    round=0,
    warmup=False,
    status=Status.OK,
    wall_ns=1234,
    phases_ns={"spawn_to_exit": 1234},
    peak_memory_bytes=4096,
    exit_code=0,
    stdout_sha256="e3b0",
    artifact_id="abc",
)


def two_samples(path: Path) -> list[str]:
    """A results file at `path` holding SAMPLE twice; its lines, the header first."""
    with ResultsWriter(path, Header.read({"run_id": "r1"})) as writer:
        writer.add(SAMPLE)
        writer.add(SAMPLE)
    return path.read_text().splitlines()


def test_header_then_one_line_per_sample_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with ResultsWriter(path, Header.read({"run_id": "r1", "host": {"arch": "x86_64"}})) as writer:
        writer.add(SAMPLE)
        writer.add(SAMPLE)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["schema_version"] == SCHEMA_VERSION
    assert json.loads(lines[1])["wall_ns"] == 1234
    results = read_results(path)
    assert results.header.run_id == "r1"
    assert results.samples == [SAMPLE, SAMPLE]
    assert not results.truncated


def test_each_sample_is_on_disk_before_the_next_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    writer = ResultsWriter(path, Header.read({"run_id": "r1"}))
    writer.add(SAMPLE)
    assert len(read_results(path).samples) == 1  # not closed: a crash here keeps the sample
    writer.close()


def test_an_interrupted_write_keeps_the_complete_samples(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with ResultsWriter(path, Header.read({"run_id": "r1"})) as writer:
        writer.add(SAMPLE)
    with path.open("a") as stream:
        stream.write('{"kind": "sample", "workl')
    results = read_results(path)
    assert results.samples == [SAMPLE]
    assert results.truncated


def test_a_results_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    ResultsWriter(path, Header.read({"run_id": "r1"})).close()
    with pytest.raises(IsobenchError, match=r"run.jsonl: cannot write results: File exists"):
        ResultsWriter(path, Header.read({"run_id": "r1"}))


def test_another_schema_version_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"kind": "header", "schema_version": 999}) + "\n")
    with pytest.raises(IsobenchError, match=r"old.jsonl: line 1: field 'schema_version': 999"):
        read_results(path)


def test_a_hostile_schema_version_is_shown_clipped(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"kind": "header", "schema_version": "9" * 5000}) + "\n")
    with pytest.raises(IsobenchError, match=r"'schema_version': '9{39} is not a version") as error:
        read_results(path)
    assert len(str(error.value)) < len(str(path)) + 200


def test_a_corrupt_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with ResultsWriter(path, Header.read({"run_id": "r1"})) as writer:
        writer.add(SAMPLE)
    content = path.read_text().splitlines()
    path.write_text("\n".join([content[0], "garbage", content[1]]) + "\n")
    with pytest.raises(IsobenchError, match="line 2: not JSON"):
        read_results(path)


def test_a_version_1_file_is_read_with_its_meaning_kept(tmp_path: Path) -> None:
    path = tmp_path / "v1.jsonl"
    old_sample = {
        k: v
        for k, v in SAMPLE.to_json().items()
        if k not in {"profile", "linear_memory_bytes", "state"}
    }
    rows = [
        {"kind": "header", "schema_version": 1, "run_id": "old"},
        {**old_sample, "status": "nonzero-exit"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    (sample,) = read_results(path).samples
    assert sample.profile == "portable"
    assert sample.state == "warm"  # native samples before schema 3 were warm
    assert sample.status is Status.WRONG_EXIT_CODE


def test_a_line_holding_two_objects_is_named_not_read_as_two(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultsWriter(path, Header.read({"run_id": "r"})) as writer:
        writer.add(SAMPLE)
    line = path.read_text().splitlines()[1]
    path.write_text(path.read_text() + f"{line}, {line}\n" + line + "\n")
    with pytest.raises(IsobenchError, match="line 3: not JSON"):
        read_results(path)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"wall_ns": "1234"}, "field 'wall_ns': str"),
        ({"round": True}, "field 'round': bool"),
        ({"peak_memory_bytes": -1}, "field 'peak_memory_bytes': negative"),
        ({"phases_ns": {"spawn_to_exit": 1.5}}, "field 'phases_ns'"),
    ],
)
def test_a_sample_of_the_wrong_type_is_named_by_its_line(
    tmp_path: Path, changes: dict[str, object], problem: str
) -> None:
    path = tmp_path / "run.jsonl"
    lines = two_samples(path)
    lines[2] = json.dumps({**json.loads(lines[2]), **changes})
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(IsobenchError, match=rf"run.jsonl: line 3: bad sample: {problem}"):
        read_results(path)


def test_a_results_file_has_one_writer_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with ResultsWriter(path, Header.read({"run_id": "r"})) as running:
        running.add(SAMPLE)
        with pytest.raises(IsobenchError, match="another isobench is writing this results file"):
            ResultsWriter(path, None)  # a --resume of it while it runs
        running.add(SAMPLE)
    with ResultsWriter(path, None) as resumed:  # the run ended: resuming is fine
        resumed.add(SAMPLE)
    assert len(read_results(path).samples) == 3


EXAMPLE = sorted((Path(__file__).resolve().parent.parent / "results" / "example").glob("*.jsonl"))


def test_a_clean_file_is_read_in_columns_exactly_as_row_by_row() -> None:
    """The committed example (samples, scenario operations, floor starts) takes the columnar
    path, and gives what the row reader gives, record for record and column for column."""
    data = EXAMPLE[-1].read_bytes()
    rows = read_columns(data, data.index(b"\n") + 1)
    assert rows is not None  # the quick path was taken, not the fallback
    _, samples, scenario_samples, floor_starts, truncated = read_by_rows(EXAMPLE[-1], data)
    assert (samples_of(rows.samples), rows.scenario_samples, rows.floor_starts) == (
        samples,
        scenario_samples,
        floor_starts,
    )
    assert not truncated
    pd.testing.assert_frame_equal(rows.samples, frame_of(samples), check_categorical=False)
    assert {"phase.daemon_in_ns", "phase.spawn_to_exit_ns"} <= set(rows.samples.columns)


@pytest.mark.parametrize(
    ("written", "edited"),
    [
        ('"wall_ns": 1234', '"wall_ns": 1234.5'),  # a float: the row reader names it
        ('"workload": "noop"', '"workload": 7'),
        ('"warmup": false', '"warmup": 0'),
        ('"status": "ok"', '"status": "fine"'),
        ('"workload": "noop"', '"workload": "../x"'),
        ('"spawn_to_exit": 1234', '"spawn_to_exit": -1'),
        ('"detail": ""', '"detail": null'),
        ('"round": 0, ', ""),  # a field missing
    ],
)
def test_a_line_the_columns_refuse_is_named_by_the_row_reader(
    written: str, edited: str, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    lines = two_samples(path)
    assert written in lines[2]
    lines[2] = lines[2].replace(written, edited)
    path.write_text("\n".join(lines) + "\n")
    data = path.read_bytes()
    assert read_columns(data, data.index(b"\n") + 1) is None
    with pytest.raises(IsobenchError, match=f"{path}: line 3: bad sample"):
        read_results(path)


@pytest.mark.parametrize("between", ["\n\n", " ", ""])
def test_the_columns_read_only_one_whole_object_per_line(between: str, tmp_path: Path) -> None:
    """pyarrow's reader skips an empty line and reads two objects on one line; the columns are
    then refused and the row reader names the line (before the last: a last line that is not
    one object is a write cut short)."""
    path = tmp_path / "run.jsonl"
    with ResultsWriter(path, Header.read({"run_id": "r1"})) as writer:
        writer.add(SAMPLE)
    line = path.read_text().splitlines()[1]
    path.write_text(path.read_text().rstrip("\n") + between + line + "\n" + line + "\n")
    data = path.read_bytes()
    assert read_columns(data, data.index(b"\n") + 1) is None
    with pytest.raises(IsobenchError, match=f"{path}: line"):
        read_results(path)
