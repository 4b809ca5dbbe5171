from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import IsobenchError
from harness.workloads import Language, discover, load_workload, select, sha256_bytes
from tests.conftest import WORKLOADS, write_workload

GOOD = """
name = "demo"
description = "a demo"
[sources]
c = "main.c"
rust = ["main.rs"]
[sizes.tiny]
args = ["1"]
expected_stdout = "expected/tiny.stdout"
[sizes.default]
args = []
expected_sha256 = "{digest}"
""".format(digest=sha256_bytes(b"42\n"))
FILES = {
    "main.c": "int main(void){return 0;}",
    "main.rs": "fn main(){}",
    "expected/tiny.stdout": "1\n",
}


def test_the_projects_workloads_load_with_both_languages() -> None:
    workloads = {w.name: w for w in discover(WORKLOADS)}
    assert {"noop", "fannkuch-redux"} <= set(workloads)
    for workload in workloads.values():
        assert set(workload.sources) == {Language.C, Language.RUST}
        assert {"tiny", "default"} <= set(workload.sizes)


def test_a_good_manifest_loads(tmp_path: Path) -> None:
    workload = load_workload(write_workload(tmp_path, "demo", GOOD, FILES))
    assert workload.sources[Language.RUST] == (tmp_path / "demo" / "main.rs",)
    assert workload.size("tiny").args == ("1",)
    assert workload.size("tiny").expected_stdout_sha256 == sha256_bytes(b"1\n")
    assert workload.size("default").expected_stdout_sha256 == sha256_bytes(b"42\n")
    assert workload.size("default").expected_stdout_path is None


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (lambda m: m.replace('name = "demo"', 'name = "other"'), "'name'", "folder name"),
        (lambda m: m.replace('name = "demo"', ""), "'name'", "missing"),
        (
            lambda m: m.replace('description = "a demo"', "description = 3"),
            "'description'",
            "non-empty string",
        ),
        (
            lambda m: m.replace('c = "main.c"', 'cobol = "main.c"'),
            "'sources.cobol'",
            "unknown language",
        ),
        (lambda m: m.replace('c = "main.c"', 'c = "missing.c"'), "'sources.c'", "does not exist"),
        (
            lambda m: m.replace('c = "main.c"', 'c = "../../etc/passwd"'),
            "'sources.c'",
            "outside the workload folder",
        ),
        (lambda m: m.replace("[sizes.tiny]", "[sizes.small]"), "'sizes.tiny'", "missing size"),
        (lambda m: m.replace('args = ["1"]', 'args = "1"'), "'sizes.tiny.args'", "list of strings"),
        (
            lambda m: m.replace('expected_sha256 = "', 'expected_sha256 = "X'),
            "'sizes.default.expected_sha256'",
            "64 lowercase hex",
        ),
        (
            lambda m: m.replace(
                "args = []\n", 'args = []\nexpected_stdout = "expected/tiny.stdout"\n'
            ),
            "'sizes.default.expected_stdout'",
            "exactly one",
        ),
        (lambda m: m.replace("[sources]", "sources = 1\n[other]"), "'sources'", "must be a table"),
    ],
)
def test_a_malformed_manifest_names_file_and_field(tmp_path: Path, edit, field, problem) -> None:
    directory = write_workload(tmp_path, "demo", edit(GOOD), FILES)
    with pytest.raises(IsobenchError) as caught:
        load_workload(directory)
    message = str(caught.value)
    assert str(directory / "workload.toml") in message
    assert field in message
    assert problem in message
    assert "\n" not in message


def test_invalid_toml_is_reported_with_its_file(tmp_path: Path) -> None:
    directory = write_workload(tmp_path, "demo", "name = ", FILES)
    with pytest.raises(IsobenchError, match=r"workload\.toml: not valid TOML"):
        load_workload(directory)


def test_select_unknown_workload_lists_the_known_ones() -> None:
    with pytest.raises(IsobenchError, match=r"unknown workload 'nope'.*fannkuch-redux"):
        select(WORKLOADS, ["nope"])


def test_unknown_size_lists_the_known_ones() -> None:
    workload = load_workload(WORKLOADS / "noop")
    with pytest.raises(IsobenchError, match=r"no size 'huge' \(it has: tiny, default\)"):
        workload.size("huge")
