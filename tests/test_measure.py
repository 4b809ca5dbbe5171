from __future__ import annotations

import dataclasses
import os
import random
import time
from collections import Counter
from pathlib import Path

from harness.frame import frame_of
from harness.header import Header
from harness.judge import Output, judge
from harness.measure import PRIMER_RUNS, Plan, run_plan, take_sample
from harness.results import ResultsWriter, Sample, Status, read_results
from harness.scopes import CONTAINER, IN_HOST, PROCESS
from harness.session import wider_than
from harness.stats import precision_of, summarize
from harness.targets import Execution, Invocation
from harness.workloads import sha256_bytes
from tests.conftest import fake_artifact, fake_cell
from tests.fakes import FakeTarget, OldKernelCgroups, ok

EXPECTED = b"228\nPfannkuchen(7) = 16\n"  # fannkuch-redux, size tiny


def test_judge_keeps_only_exact_output_with_the_expected_exit_code() -> None:
    size = fake_cell().size  # fannkuch-redux tiny: expects exit code 0
    assert judge(ok(5), Output.of(EXPECTED), b"", size) == (Status.OK, "")
    status, detail = judge(ok(5), Output.of(b"229\n"), b"", size)
    assert status is Status.WRONG_OUTPUT
    assert "'229'" in detail
    status, detail = judge(Execution(5, exit_code=3), Output.of(EXPECTED), b"boom", size)
    assert status is Status.WRONG_EXIT_CODE
    assert "exit code 3, expected 0" in detail
    assert "boom" in detail
    assert judge(Execution(5, crash="signal 11"), Output.of(b""), b"", size)[0] is Status.CRASHED
    assert judge(Execution(None, timed_out=True), Output.of(b""), b"", size)[0] is Status.TIMEOUT
    assert judge(Execution(None, error="no engine"), Output.of(b""), b"", size) == (
        Status.ERROR,
        "no engine",
    )


def test_a_size_may_expect_a_non_zero_exit_code() -> None:
    size = dataclasses.replace(fake_cell().size, expected_exit_code=3)
    assert judge(Execution(5, exit_code=3), Output.of(EXPECTED), b"", size) == (Status.OK, "")
    assert judge(ok(5), Output.of(EXPECTED), b"", size)[0] is Status.WRONG_EXIT_CODE
    limited = Execution(None, output_limited=True, exit_code=1)
    assert judge(limited, Output.of(b""), b"", size)[0] is Status.OUTPUT_LIMIT


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
    assert invocation.resolved_args() == ["-i", "/input/a.txt", "--out=/output"]
    assert invocation.resolved_args("/proc/self/fd/4", "/proc/self/fd/5") == [
        "-i",
        "/proc/self/fd/4/a.txt",
        "--out=/proc/self/fd/5",
    ]


def run_fakes(
    tmp_path: Path, plan: Plan, targets: dict[str, FakeTarget]
) -> tuple[list[Sample], list[tuple[str, Sample]]]:
    """Runs `plan` against fake targets: (samples returned, every (variant, sample) taken)."""
    taken: list[tuple[str, Sample]] = []
    with ResultsWriter(tmp_path / f"run-{plan.seed}.jsonl", Header.read({"run_id": "t"})) as writer:
        samples = run_plan(
            plan,
            targets,
            cgroups=None,
            writer=writer,
            scratch=tmp_path,
            on_sample=lambda cell, sample: taken.append((cell.variant, sample)),
        )
    return samples, taken


def endless(wall_ns: int) -> FakeTarget:
    return FakeTarget([(ok(wall_ns), EXPECTED)] * 1000)


def test_rounds_interleave_every_cell_in_a_seeded_order_after_unrecorded_warmups(
    tmp_path: Path,
) -> None:
    variants = ("a", "b", "c", "d")
    plan = Plan([fake_cell(v) for v in variants], repetitions=5, warmup=1, seed=7, timeout_s=1)
    samples, taken = run_fakes(tmp_path, plan, {v: endless(100) for v in variants})
    assert len(taken) == plan.expected_total == 24
    assert [sample.warmup for _, sample in taken[:4]] == [True] * 4
    assert len(samples) == 20  # the warm-ups were checked but not recorded
    assert all(not sample.warmup for sample in samples)
    assert len(read_results(tmp_path / "run-7.jsonl").samples) == 20
    rounds = [sorted(v for v, _ in taken[i : i + 4]) for i in range(0, 24, 4)]
    assert rounds == [list(variants)] * 6  # every cell once in every round
    order = [v for v, _ in taken]
    assert len({tuple(order[i : i + 4]) for i in range(0, 24, 4)}) > 1  # shuffled per round
    again = run_fakes(tmp_path / "again", plan, {v: endless(100) for v in variants})[1]
    assert [v for v, _ in again] == order  # same seed, same order
    other_plan = Plan(plan.cells, repetitions=5, warmup=1, seed=8, timeout_s=1)
    assert [
        v for v, _ in run_fakes(tmp_path, other_plan, {v: endless(100) for v in variants})[1]
    ] != order


def test_min_time_takes_more_samples_of_quick_cells_only(tmp_path: Path) -> None:
    # a takes 100 ms a sample, b 10 ms; at least 2 samples and 0.35 s each.
    plan = Plan([fake_cell("a"), fake_cell("b")], repetitions=2, warmup=0, seed=1,
                timeout_s=1, min_time_s=0.35)  # fmt: skip
    samples, _ = run_fakes(tmp_path, plan, {"a": endless(100_000_000), "b": endless(10_000_000)})
    counts = Counter(s.variant for s in samples)
    assert counts == {"a": 4, "b": 35}  # 4 x 100 ms and 35 x 10 ms reach 350 ms
    assert plan.expected_total is None
    capped = Plan(plan.cells, 2, 0, 1, 1, min_time_s=0.35, max_repetitions=20)
    samples, _ = run_fakes(tmp_path / "capped", capped,
                           {"a": endless(100_000_000), "b": endless(10_000_000)})  # fmt: skip
    assert Counter(s.variant for s in samples) == {"a": 4, "b": 20}


def test_a_failing_cell_stops_at_its_count_whatever_the_min_time(tmp_path: Path) -> None:
    plan = Plan([fake_cell("a")], repetitions=3, warmup=0, seed=1, timeout_s=1, min_time_s=60)
    failing = FakeTarget([(ok(1_000), b"wrong\n")] * 10)
    samples, _ = run_fakes(tmp_path, plan, {"a": failing})
    assert [s.status for s in samples] == [Status.WRONG_OUTPUT] * 3


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
    with ResultsWriter(path, Header.read({"run_id": "t"})) as writer:
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
    with ResultsWriter(tmp_path / "r.jsonl", Header.read({"run_id": "t"})) as writer:
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


def test_every_sample_follows_its_primers_by_instance_kind_and_an_in_host_target_primes_itself(
    tmp_path: Path,
) -> None:
    primer = fake_artifact("noop", "1" * 64)
    cell = dataclasses.replace(fake_cell("fake"), primer=primer)
    target = FakeTarget([(ok(100), b"")] * PRIMER_RUNS[PROCESS] + [(ok(200), EXPECTED)])
    sample = take_sample(cell, target, round_index=0, warmup=False, cgroups=None,
                         scratch=tmp_path, timeout_s=1, cpus=(0,))  # fmt: skip
    # the primers ran first, unrecorded, each an instance of its own; then the measured one
    assert [i.artifact.id for i in target.invocations] == [primer.id] * 3 + [cell.artifact.id]
    assert (sample.status, sample.wall_ns) == (Status.OK, 200)
    assert target.invocations[-1].cpus == (0,)  # for a target that starts it elsewhere

    class Container(FakeTarget):
        instance = CONTAINER

    contained = Container([(ok(100), b""), (ok(200), EXPECTED)])
    take_sample(cell, contained, round_index=0, warmup=False, cgroups=None, scratch=tmp_path,
                timeout_s=1)  # fmt: skip
    assert [i.artifact.id for i in contained.invocations] == [primer.id, cell.artifact.id]

    class InHost(FakeTarget):
        instance = IN_HOST

    hosted = InHost([(ok(300), EXPECTED)])
    sample = take_sample(cell, hosted, round_index=0, warmup=False, cgroups=None,
                         scratch=tmp_path, timeout_s=1)  # fmt: skip
    (invocation,) = hosted.invocations  # no instance of its own: its host runs the primer
    assert invocation.primer == primer
    assert (sample.status, sample.wall_ns) == (Status.OK, 300)


def test_a_cold_sample_whose_files_stay_cached_is_marked_not_cold(tmp_path: Path) -> None:
    """The file on disk leaves the page cache; one on tmpfs cannot (tmpfs *is* page cache)."""
    on_disk = Path(__file__)  # a file of the checkout: a disk filesystem with a page cache
    in_memory = Path("/dev/shm") / f"isobench-test-{tmp_path.name}"
    in_memory.write_bytes(b"x" * 3 * 4096)
    try:
        cell = dataclasses.replace(fake_cell("fake"), state="cold")
        for files, status in (([on_disk], Status.OK), ([on_disk, in_memory], Status.NOT_EVICTED)):
            target = FakeTarget([(ok(100), EXPECTED)], cold_files=files)
            sample = take_sample(cell, target, round_index=0, warmup=False, cgroups=None,
                                 scratch=tmp_path, timeout_s=1)  # fmt: skip
            assert sample.status is status
            if status is Status.OK:
                assert sample.cold_resident_bytes == 0
            else:
                assert sample.cold_resident_bytes == 3 * 4096
                assert in_memory.name in sample.detail
        warm = take_sample(fake_cell("fake"), FakeTarget([(ok(1), EXPECTED)], [in_memory]),
                           round_index=0, warmup=False, cgroups=None, scratch=tmp_path,
                           timeout_s=1)  # fmt: skip
        assert (warm.status, warm.cold_resident_bytes) == (Status.OK, None)  # nothing evicted
    finally:
        in_memory.unlink()


def test_the_measure_loop_runs_pinned_and_gives_the_harness_its_cpus_back(
    tmp_path: Path,
) -> None:
    seen = []

    class Recording(FakeTarget):
        def run(self, invocation: Invocation) -> Execution:
            seen.append((os.sched_getaffinity(0), invocation.cpus))
            return super().run(invocation)

    before = os.sched_getaffinity(0)
    last = max(before)
    cpus = (last,)
    plan = Plan([fake_cell("fake")], repetitions=2, warmup=1, seed=1, timeout_s=1, cpus=cpus)
    with ResultsWriter(tmp_path / "r.jsonl", Header.read({"run_id": "t"})) as writer:
        run_plan(plan, {"fake": Recording([(ok(100), EXPECTED)] * 3)}, cgroups=None,
                 writer=writer, scratch=tmp_path, on_sample=lambda cell, sample: None)  # fmt: skip
    assert seen == [({last}, cpus)] * 3  # warm-up included; processes inherit it
    assert os.sched_getaffinity(0) == before


def noisy(seed: int, cv: float) -> FakeTarget:
    """Wall times around 1 ms with this coefficient of variation."""
    rng = random.Random(seed)
    return FakeTarget([(ok(round(rng.gauss(1e6, cv * 1e6))), EXPECTED) for _ in range(1000)])


def test_precision_gives_further_rounds_to_the_wide_cells_only(tmp_path: Path) -> None:
    plan = Plan([fake_cell("quiet"), fake_cell("noisy")], repetitions=5, warmup=0, seed=3,
                timeout_s=1, precision=0.05)  # fmt: skip
    with ResultsWriter(tmp_path / "run.jsonl", Header.read({"run_id": "t"})) as writer:
        samples = run_plan(plan, {"quiet": endless(1_000_000), "noisy": noisy(1, 0.10)},
                           cgroups=None, writer=writer, scratch=tmp_path,
                           on_sample=lambda cell, sample: None,
                           wider_than_wanted=wider_than(plan.precision or 0))  # fmt: skip
    by_cell = {v: [s for s in samples if s.variant == v] for v in ("quiet", "noisy")}
    assert len(by_cell["quiet"]) == 5  # every value the same: +-0% at the minimum
    assert len(by_cell["noisy"]) > 10
    metric, reached = precision_of(plan.cells[1].key, by_cell["noisy"])
    assert metric == "wall_ns"  # the fake records no CPU time
    assert reached is not None
    assert reached <= 0.05
    # one sample fewer was still wider: it stopped as soon as the target was met
    assert (precision_of(plan.cells[1].key, by_cell["noisy"][:-1])[1] or 0) > 0.05
    # the summary reports the very precision the planner stopped at
    summary = next(s for s in summarize(frame_of(samples)) if s.variant == "noisy")
    assert (summary.precision_metric, summary.precision) == (metric, reached)


def test_a_spent_budget_stops_the_extra_rounds_never_the_minimum(tmp_path: Path) -> None:
    plan = Plan([fake_cell("noisy")], repetitions=4, warmup=0, seed=3, timeout_s=1,
                precision=0.001)  # fmt: skip
    with ResultsWriter(tmp_path / "run.jsonl", Header.read({"run_id": "t"})) as writer:
        samples = run_plan(plan, {"noisy": noisy(1, 0.10)}, cgroups=None, writer=writer,
                           scratch=tmp_path, on_sample=lambda cell, sample: None,
                           wider_than_wanted=wider_than(0.001),
                           deadline=time.monotonic() - 1)  # fmt: skip
    assert len(samples) == 4


def test_cgroup_v2_without_memory_peak_records_no_peak_and_says_so(tmp_path: Path) -> None:
    cgroups = OldKernelCgroups(tmp_path / "isobench", 2)
    cgroups.parent.mkdir()
    assert not cgroups.records_peak
    assert "no memory.peak on this kernel (before Linux 5.19)" in cgroups.describe()
    target = FakeTarget([(Execution(1_000, {"all": 1_000}, exit_code=0, in_cgroup=True),
                          b"228\nPfannkuchen(7) = 16\n")])  # fmt: skip
    sample = take_sample(fake_cell(), target, round_index=0, warmup=False, cgroups=cgroups,
                         scratch=tmp_path, timeout_s=1, memory_limit_bytes=64 << 20)  # fmt: skip
    assert (sample.status, sample.wall_ns, sample.peak_memory_bytes) == (Status.OK, 1_000, None)
    # the limit was still set on the sample's group
    assert [path.read_text() for path in cgroups.parent.glob("sample-*/memory.max")] == [
        f"{64 << 20}\n"
    ]
