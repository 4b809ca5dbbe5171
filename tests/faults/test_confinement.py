"""What a workload's code runs as (issue 16, part 2): the sample account, no_new_privs, nothing
of the harness's environment, limits it cannot raise, a fork bomb held, and nothing left behind;
against the real launcher, kernel and cgroups. Needs root (the account, the cgroups)."""

from __future__ import annotations

import os
import pwd
import resource
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from harness.build import build
from harness.cache import BuildCache
from harness.cgroups import MemoryCgroups, SampleCgroup
from harness.cli import main
from harness.confine import (
    OUTPUT_LIMIT_BYTES,
    PIDS_PER_INSTANCE,
    SAMPLE_USER,
    SampleAccount,
    sample_account,
)
from harness.results import Status, read_results
from harness.scenarios import FrameReader, ask
from harness.targets.base import Confinement
from harness.targets.launcher import confining_flags
from harness.targets.native import NativeTarget
from harness.toolchains import Profile
from harness.workloads import Language, select
from tests.conftest import WORKLOADS
from tests.faults.test_faults import isobench_argv

CONFINED = Path(__file__).parent / "confined"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sample account needs root")


def processes_of(uid: int) -> list[str]:
    return [
        f"{process.pid} {process.info['name']}"
        for process in psutil.process_iter(["name", "uids", "status"])
        if process.info["uids"] is not None
        and process.info["uids"].real == uid
        and process.info["status"] != psutil.STATUS_ZOMBIE
    ]


@pytest.mark.integration
@needs_root
def test_a_hostile_native_sample_is_refused_everything_and_leaves_nothing(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path
) -> None:
    """escaper tries each escape natively and prints, per attempt, whether it was refused; its
    expected output is every one refused (as root, before, it was allowed all but the fork
    bomb's cap). Its fork bomb's children and a child in a session of its own are left for the
    harness to kill."""
    argv = isobench_argv(CONFINED, cache_dir, tmp_path, "run", "-w", "escaper",
                         "--variant=native", "-n", "2", "--warmup", "0")  # fmt: skip
    code = main(argv)
    captured = capsys.readouterr()
    (path,) = tmp_path.glob("*.jsonl")
    results = read_results(path)
    details = [sample.detail for sample in results.samples]
    assert code == 0, (captured.err, details)
    assert all(sample.status is Status.OK for sample in results.samples)
    account = sample_account()
    assert account is not None
    assert processes_of(account.uid) == []  # the escapee and the bomb's children: killed
    confinement = results.header.confinement
    assert confinement.account.startswith(f"{SAMPLE_USER} (uid {account.uid}")
    assert str(PIDS_PER_INSTANCE) in confinement.tasks
    assert confinement.not_enforced == ()


@pytest.mark.integration
@needs_root
def test_a_scenario_instance_runs_as_the_sample_account_in_its_run_group(
    cache_dir: Path, tmp_path: Path
) -> None:
    account = sample_account()
    cgroups = MemoryCgroups.detect()
    assert account is not None
    assert cgroups is not None
    cache = BuildCache(cache_dir)
    target = NativeTarget.open(cache)
    outcome = build(select(WORKLOADS, ["webhook"]), languages=[Language.C],
                    profiles=[Profile.PORTABLE], targets=[target], cache=cache,
                    on_step=lambda artifact, built: None)  # fmt: skip
    artifact = outcome.artifacts[("webhook", "c", "native", Profile.PORTABLE.value)]
    serve = select(WORKLOADS, ["webhook"])[0].serve
    assert serve is not None
    group = cgroups.new_sample(64 << 20, 8)
    instance = target.spawn(artifact, serve.args, "test", Confinement(account, group))
    try:
        ask(FrameReader(instance), serve.requests[0], time.monotonic() + 30)  # it serves
        (pid,) = instance.pids()
        process = psutil.Process(pid)
        assert process.uids().real == account.uid
        assert process.gids().real == account.gid
        assert set(process.environ()) == {"PATH", "ISOBENCH_SCENARIO"}
        assert pid in {int(line) for line in group.procs_path.read_text().split()}
    finally:
        instance.stop()
        group.kill_all()
        group.remove()


@needs_root
def test_the_sample_account_is_made_on_first_use_without_rights() -> None:
    name = "isobench-test-acct"
    subprocess.run(["userdel", name], capture_output=True, check=False)
    try:
        account = sample_account(name)
        assert account is not None
        entry = pwd.getpwnam(name)
        assert (account.uid, account.gid) == (entry.pw_uid, entry.pw_gid)
        assert 0 not in {account.uid, account.gid}
        assert entry.pw_shell == "/usr/sbin/nologin"
        assert os.getgrouplist(name, entry.pw_gid) == [entry.pw_gid]  # no other groups
        assert sample_account(name) == account  # found, not made again
    finally:
        subprocess.run(["userdel", name], capture_output=True, check=False)


def test_the_launcher_is_told_every_limit_where_it_must_hold_it(tmp_path: Path) -> None:
    account = SampleAccount("a", 1000, 1001)
    memory_only = SampleCgroup(tmp_path / "m", 1, "m")
    both = SampleCgroup(tmp_path / "m", 1, "m", tmp_path / "p")
    # a group with a pids limit: the account's switch, both groups joined, no rlimit needed
    assert confining_flags(account, both, 256, 1 << 30) == [
        "-c", f"{tmp_path}/m/cgroup.procs", "-c", f"{tmp_path}/p/cgroup.procs", "-u", "1000:1001",
        *LIMIT,
    ]  # fmt: skip
    # no pids controller: the account's RLIMIT_NPROC holds the tasks
    assert confining_flags(account, memory_only, 256, 1 << 30) == [
        "-c", f"{tmp_path}/m/cgroup.procs", "-u", "1000:1001", "-n", "256", *LIMIT
    ]  # fmt: skip
    # no cgroup at all: RLIMIT_DATA holds the memory limit too
    assert confining_flags(account, None, 256, 1 << 30) == [
        "-u", "1000:1001", "-n", "256", "-m", str(1 << 30), *LIMIT
    ]  # fmt: skip
    # not root: no account to switch to, and none of its own to count tasks by
    # not root, no cgroup: what it may write is all that is left
    assert confining_flags(None, None, 256, None) == LIMIT


LIMIT = ["-l", str(OUTPUT_LIMIT_BYTES)]  # every program: what it may write to a file


@pytest.mark.integration
@needs_root
def test_an_input_the_sample_account_could_write_is_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path, workloads_copy: Path
) -> None:
    fixture = sorted(path for path in (workloads_copy / "fileio").rglob("*") if path.is_file()
                     and "fixtures" in path.parts)[0]  # fmt: skip
    fixture.chmod(0o666)  # anyone's to write: a sample could change what the next one reads
    argv = isobench_argv(workloads_copy, cache_dir, tmp_path / "results", "run", "-w", "fileio",
                         "--variant=native", "-n", "1")  # fmt: skip
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"{fixture}: the sample account {SAMPLE_USER} could write it" in line
    assert not list((tmp_path / "results").glob("*.jsonl"))  # nothing measured


@pytest.mark.integration
def test_a_flood_of_output_is_stopped_at_the_limit_in_every_variant_and_the_harness_stays_flat(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path
) -> None:
    """flood prints 4 GiB; every variant stops it at the output limit, recorded as such, and
    the harness holds a chunk of it at a time: its own peak grows by less than the limit."""
    variants = [f"--variant={variant}" for variant in FLOOD_VARIANTS]
    argv = isobench_argv(CONFINED, cache_dir, tmp_path, "run", "-w", "flood", "-s", "tiny",
                         "-n", "1", "--warmup", "0", *variants)  # fmt: skip
    main([*argv[: -len(variants)], "--variant=native"])  # built, and the harness's imports made
    capsys.readouterr()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    assert main(argv) == 1
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    assert "output-limit" in capsys.readouterr().err
    newest = max(tmp_path.glob("*.jsonl"), key=lambda path: path.stat().st_mtime)
    samples = read_results(newest).samples
    assert {sample.variant for sample in samples} == set(FLOOD_VARIANTS)
    assert all(sample.status is Status.OUTPUT_LIMIT for sample in samples), [
        (sample.variant, sample.status, sample.detail) for sample in samples
    ]
    assert peak_after - peak_before < OUTPUT_LIMIT_BYTES // 2


FLOOD_VARIANTS = ("native", "docker", "wasmtime", "wasmtime-cli", "node", "runc", "crun")


@pytest.mark.integration
@needs_root
def test_no_variant_lets_a_sample_change_its_inputs(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path
) -> None:
    """scribbler tries to append to an input file and to add one, natively or through WASI;
    each variant must refuse both (the CLIs and node once let the guest write /input)."""
    variants = [f"--variant={variant}" for variant in INPUT_VARIANTS]
    argv = isobench_argv(CONFINED, cache_dir, tmp_path, "run", "-w", "scribbler", "-s", "tiny",
                         "-n", "1", "--warmup", "0", *variants)  # fmt: skip
    code = main(argv)
    captured = capsys.readouterr()
    (path,) = tmp_path.glob("*.jsonl")
    samples = read_results(path).samples
    assert code == 0, captured.err
    assert {sample.variant for sample in samples} == set(INPUT_VARIANTS)
    assert all(sample.status is Status.OK for sample in samples)
    assert sorted(path.name for path in (CONFINED / "scribbler" / "input").iterdir()) == [
        "given.txt"
    ]


INPUT_VARIANTS = (
    "native",
    "docker",
    "wasmtime",
    "wasmtime-cli",
    "wasmtime-min",
    "node",
    "runc",
    "crun",
)
