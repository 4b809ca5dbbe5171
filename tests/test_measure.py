from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

from harness.measure import Plan, judge, run_plan
from harness.results import ResultsWriter, Status, read_results
from harness.targets import Execution, Invocation
from harness.workloads import sha256_bytes
from tests.conftest import fake_cell
from tests.fakes import FakeTarget, ok

EXPECTED = b"228\nPfannkuchen(7) = 16\n"  # fannkuch-redux, size tiny


def test_judge_keeps_only_exact_output_with_the_expected_exit_code() -> None:
    size = fake_cell().size  # fannkuch-redux tiny: expects exit code 0
    assert judge(ok(5), EXPECTED, b"", size) == (Status.OK, "")
    status, detail = judge(ok(5), b"229\n", b"", size)
    assert status is Status.WRONG_OUTPUT
    assert "'229'" in detail
    status, detail = judge(Execution(5, exit_code=3), EXPECTED, b"boom", size)
    assert status is Status.WRONG_EXIT_CODE
    assert "exit code 3, expected 0" in detail
    assert "boom" in detail
    assert judge(Execution(5, crash="signal 11"), b"", b"", size)[0] is Status.CRASHED
    assert judge(Execution(None, timed_out=True), b"", b"", size)[0] is Status.TIMEOUT
    assert judge(Execution(None, error="no engine"), b"", b"", size) == (Status.ERROR, "no engine")


def test_a_size_may_expect_a_non_zero_exit_code() -> None:
    size = dataclasses.replace(fake_cell().size, expected_exit_code=3)
    assert judge(Execution(5, exit_code=3), EXPECTED, b"", size) == (Status.OK, "")
    assert judge(ok(5), EXPECTED, b"", size)[0] is Status.WRONG_EXIT_CODE


def test_placeholders_become_host_or_guest_folders(tmp_path: Path) -> None:
    cell = fake_cell()
    invocation = Invocation(
        artifact=cell.artifact,
        args=("-i", "{input}/a.txt", "--out={output}"),
        stdout_path=tmp_path / "o",
        stderr_path=tmp_path / "e",
        timeout_s=1,
        cgroup=None,
        input_dir=tmp_path / "in",
        output_dir=tmp_path / "out",
    )
    assert invocation.resolved_args(guest_paths=True) == ["-i", "/input/a.txt", "--out=/output"]
    assert invocation.resolved_args(guest_paths=False) == [
        "-i",
        f"{tmp_path}/in/a.txt",
        f"--out={tmp_path}/out",
    ]


def test_every_round_holds_every_cell_once_in_a_seeded_order() -> None:
    cells = [fake_cell(variant) for variant in ("a", "b", "c", "d")]
    plan = Plan(cells, repetitions=5, warmup=1, seed=7, timeout_s=1)
    order = list(plan.rounds())
    assert len(order) == plan.total == 24
    for round_index in range(6):
        in_round = [cell.variant for r, _, cell in order if r == round_index]
        assert sorted(in_round) == ["a", "b", "c", "d"]
    assert [warm for r, warm, _ in order if r == 0] == [True] * 4
    assert order == list(Plan(cells, 5, 1, 7, 1).rounds())
    orders = {tuple(c.variant for r, _, c in order if r == i) for i in range(6)}
    assert len(orders) > 1  # shuffled, not the same order every round
    assert order != list(Plan(cells, 5, 1, 8, 1).rounds())


def test_run_plan_records_every_sample_with_its_status(tmp_path: Path) -> None:
    cell = fake_cell("fake")
    target = FakeTarget(
        [
            (ok(100), EXPECTED),
            (ok(200), b"wrong\n"),
            (Execution(None, timed_out=True), b""),
            (ok(300), EXPECTED),
        ]
    )
    plan = Plan([cell], repetitions=4, warmup=0, seed=1, timeout_s=2.5)
    path = tmp_path / "run.jsonl"
    with ResultsWriter(path, {"run_id": "t"}) as writer:
        samples = run_plan(
            plan,
            {"fake": target},
            cgroups=None,
            writer=writer,
            scratch=tmp_path,
            on_sample=lambda cell, sample: None,
        )
    assert [s.status for s in samples] == [
        Status.OK,
        Status.WRONG_OUTPUT,
        Status.TIMEOUT,
        Status.OK,
    ]
    assert [s.wall_ns for s in samples] == [100, 200, None, 300]
    assert read_results(path).samples == samples
    assert samples[0].stdout_sha256 == sha256_bytes(EXPECTED)
    assert all(s.peak_memory_bytes is None for s in samples)  # no cgroup: no figure, not zero
    invocation = target.invocations[0]
    assert (invocation.args, invocation.timeout_s) == (("7",), 2.5)


def test_a_target_that_raises_gives_an_error_sample_not_a_crash(tmp_path: Path) -> None:
    class Exploding(FakeTarget):
        def run(self, invocation: Invocation) -> Execution:
            raise RuntimeError("engine went away")

    plan = Plan([fake_cell("fake")], repetitions=2, warmup=0, seed=1, timeout_s=1)
    with ResultsWriter(tmp_path / "r.jsonl", {"run_id": "t"}) as writer:
        samples = run_plan(
            plan,
            {"fake": Exploding([])},
            cgroups=None,
            writer=writer,
            scratch=tmp_path,
            on_sample=lambda cell, sample: None,
        )
    assert Counter(s.status for s in samples) == {Status.ERROR: 2}
    assert samples[0].detail == "RuntimeError: engine went away"
