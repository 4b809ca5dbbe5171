from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import IsobenchError
from harness.suites import load_suite
from tests.conftest import WORKLOADS

NOOP = """
name = "noop"
description = "nothing"
[sources]
c = "main.c"
[sizes.tiny]
args = []
expected_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
[sizes.default]
args = []
expected_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
"""


def test_the_projects_suites_cover_every_workload() -> None:
    every = {path.parent.name for path in WORKLOADS.glob("*/workload.toml")}
    for name, sizes in (("quick", ("tiny",)), ("default", ("default",)),
                        ("full", ("default", "large"))):  # fmt: skip
        suite = load_suite(WORKLOADS, name)
        assert {w.name for w in suite.workloads} == every
        assert suite.sizes == sizes


def suites_dir(tmp_path: Path, suites: str) -> Path:
    (tmp_path / "noop").mkdir()
    (tmp_path / "noop" / "workload.toml").write_text(NOOP)
    (tmp_path / "noop" / "main.c").write_text("int main(void){return 0;}")
    (tmp_path / "suites.toml").write_text(suites)
    return tmp_path


def test_a_listed_suite_loads(tmp_path: Path) -> None:
    directory = suites_dir(
        tmp_path, '[s]\ndescription = "d"\nworkloads = ["noop"]\nsizes = ["tiny"]\n'
    )
    suite = load_suite(directory, "s")
    assert [w.name for w in suite.workloads] == ["noop"]
    assert suite.sizes == ("tiny",)


@pytest.mark.parametrize(
    ("suites", "message"),
    [
        ('[s]\ndescription = "d"\nworkloads = ["nope"]\nsizes = ["tiny"]\n',
         "field 's.workloads': no workload 'nope'"),
        ('[s]\ndescription = "d"\nworkloads = "*"\nsizes = ["huge"]\n',
         "field 's.sizes': workload 'noop' has no size 'huge'"),
        ('[s]\ndescription = "d"\nworkloads = "*"\n', "field 's.sizes': missing"),
        ('[s]\ndescription = "d"\nworkloads = 3\nsizes = ["tiny"]\n', "field 's.workloads'"),
        ('[other]\ndescription = "d"\nworkloads = "*"\nsizes = ["tiny"]\n',
         "no suite 's' (it has: other)"),
    ],
)  # fmt: skip
def test_a_bad_suite_names_file_and_field(tmp_path: Path, suites: str, message: str) -> None:
    directory = suites_dir(tmp_path, suites)
    with pytest.raises(IsobenchError) as caught:
        load_suite(directory, "s")
    assert str(directory / "suites.toml") in str(caught.value)
    assert message in str(caught.value)
