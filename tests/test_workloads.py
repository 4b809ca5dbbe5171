from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import IsobenchError
from harness.workloads import Language, Sources, discover, load_workload, select, sha256_bytes
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
    assert workload.sources[Language.RUST] == Sources((tmp_path / "demo" / "main.rs",))
    assert workload.size("tiny").args == ("1",)
    assert workload.size("tiny").expected_stdout_sha256 == sha256_bytes(b"1\n")
    assert workload.size("default").expected_stdout_sha256 == sha256_bytes(b"42\n")
    assert workload.size("default").expected_stdout_path is None


def test_the_revision_changes_with_any_file_but_not_with_build_output(tmp_path: Path) -> None:
    directory = write_workload(tmp_path, "demo", GOOD, FILES)
    first = load_workload(directory).revision()
    assert first == load_workload(directory).revision()
    (directory / "target").mkdir()
    (directory / "target" / "junk.o").write_text("cargo output")
    assert load_workload(directory).revision() == first
    (directory / "main.c").write_text("int main(void) { return 1; }\n")
    assert load_workload(directory).revision() != first


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
        (
            lambda m: m.replace('[sources]\nc = "main.c"\nrust = ["main.rs"]', "sources = 1"),
            "'sources'",
            "must be a table",
        ),
    ],
)
def test_a_malformed_manifest_names_file_and_field(
    tmp_path: Path, edit: Callable[[str], str], field: str, problem: str
) -> None:
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
    with pytest.raises(IsobenchError, match=r"no size 'huge' \(it has: tiny, default, large\)"):
        workload.size("huge")


LONG_FORM = """
name = "demo"
description = "several C files, a Cargo package, stdin and folders"
[sources.c]
files = ["src/main.c", "src/util.c"]
include_dirs = ["include"]
defines = ["TABLE_BITS=12", "FAST"]
[sources.rust]
cargo = "rust"
[sizes.tiny]
args = ["{input}", "{output}"]
stdin = "fixtures/request.txt"
input_dir = "fixtures/files"
expected_stdout = "expected/tiny.stdout"
expected_exit_code = 3
[sizes.default]
args = []
expected_stdout = "expected/tiny.stdout"
"""
LONG_FORM_FILES = {
    "src/main.c": "int main(void){return 0;}",
    "src/util.c": "",
    "include/util.h": "",
    "rust/Cargo.toml": "[package]\nname = 'demo'\nversion = '0.1.0'\n",
    "rust/src/main.rs": "fn main(){}",
    "fixtures/request.txt": "hello",
    "fixtures/files/a.txt": "a",
    "expected/tiny.stdout": "",
}


def test_the_long_form_declares_files_folders_defines_stdin_and_exit_code(
    tmp_path: Path,
) -> None:
    root = write_workload(tmp_path, "demo", LONG_FORM, LONG_FORM_FILES)
    workload = load_workload(root)
    c = workload.sources[Language.C]
    assert c.files == (root / "src/main.c", root / "src/util.c")
    assert c.include_dirs == (root / "include",)
    assert c.defines == ("TABLE_BITS=12", "FAST")
    assert root / "include/util.h" in c.inputs()
    rust = workload.sources[Language.RUST]
    assert rust.cargo_package == root / "rust"
    assert root / "rust/src/main.rs" in rust.inputs()
    tiny = workload.size("tiny")
    assert tiny.stdin == root / "fixtures/request.txt"
    assert tiny.input_dir == root / "fixtures/files"
    assert tiny.needs_output_dir
    assert tiny.expected_exit_code == 3
    assert not workload.size("default").needs_output_dir


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (lambda m: m.replace('cargo = "rust"', 'cargo = "src"'), "'sources.rust.cargo'",
         "holds no Cargo.toml"),
        (lambda m: m.replace('cargo = "rust"', 'cargo = "rust"\nfiles = ["src/main.c"]'),
         "'sources.rust.files'", "exactly one of files, cargo"),
        (lambda m: m.replace('defines = ["TABLE_BITS=12", "FAST"]', 'defines = ["A B"]'),
         "'sources.c.defines'", "NAME or NAME=VALUE"),
        (lambda m: m.replace('include_dirs = ["include"]', 'include_dirs = ["nope"]'),
         "'sources.c.include_dirs'", "does not exist"),
        (lambda m: m.replace("expected_exit_code = 3", "expected_exit_code = 300"),
         "'sizes.tiny.expected_exit_code'", "0..125"),
        (lambda m: m.replace('input_dir = "fixtures/files"\n', ""), "'sizes.tiny.args'",
         "no input_dir"),
        (lambda m: m.replace('stdin = "fixtures/request.txt"', 'stdin = "nope"'),
         "'sizes.tiny.stdin'", "does not exist"),
        (lambda m: m.replace("expected_exit_code = 3", "expected_exit = 3"),
         "'sizes.tiny.expected_exit'", "unknown field"),
        (lambda m: m.replace("[sources.c]", "[sources.c]\nflags = []"), "'sources.c.flags'",
         "unknown field"),
    ],
)  # fmt: skip
def test_a_malformed_long_form_names_file_and_field(
    tmp_path: Path, edit: Callable[[str], str], field: str, problem: str
) -> None:
    directory = write_workload(tmp_path, "demo", edit(LONG_FORM), LONG_FORM_FILES)
    with pytest.raises(IsobenchError) as caught:
        load_workload(directory)
    message = str(caught.value)
    assert str(directory / "workload.toml") in message
    assert field in message
    assert problem in message
