from __future__ import annotations

import os

import pytest

from harness.affinity import cpu_list, cpus_in, format_cpus, parse_cpus
from harness.cli import main
from harness.errors import IsobenchError

ALLOWED = sorted(os.sched_getaffinity(0))


def test_cpu_lists_parse_as_taskset_writes_them() -> None:
    assert parse_cpus("all") is None
    assert parse_cpus("auto") == (ALLOWED[-1],)  # one CPU: the last this process may use
    assert parse_cpus(f"{ALLOWED[0]}") == (ALLOWED[0],)
    assert parse_cpus(f"{ALLOWED[0]}-{ALLOWED[-1]},{ALLOWED[0]}") == tuple(ALLOWED)
    assert format_cpus(tuple(ALLOWED[:1])) == str(ALLOWED[0])
    assert format_cpus(None) == "all"


@pytest.mark.parametrize(("cpus", "listed"), [([0, 1, 2, 5], "0-2,5"), ([3], "3"),
                                              ([4, 0, 2, 1], "0-2,4"), ([], "")])  # fmt: skip
def test_cpus_are_listed_as_the_kernel_lists_them(cpus: list[int], listed: str) -> None:
    assert cpu_list(cpus) == listed
    if cpus:
        assert cpus_in(listed) == frozenset(cpus)


@pytest.mark.parametrize("listed", ["", "x", "1-", "-1", "2-1", "0,,1", f"0-{1 << 40}"])
def test_what_is_not_a_cpu_list_reads_as_none(listed: str) -> None:
    assert cpus_in(listed) is None


@pytest.mark.parametrize("text", ["", "x", "1-", "-1", "2-1", "0,,1", "99999", f"0-{1 << 40}"])
def test_a_bad_cpu_list_is_a_user_error(text: str) -> None:
    with pytest.raises(IsobenchError, match="--affinity"):
        parse_cpus(text)


def test_a_bad_affinity_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--workload", "noop", "--variant", "native", "--affinity", "2-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--affinity: '2-1' is not a CPU list" in err[0]
