"""Faults injected on purpose, against the real variants: workloads that hang, eat memory,
crash or lie; Ctrl-C and SIGTERM in the middle of a sample, then --resume; the Docker daemon
absent, or gone in the middle of a run; a results folder that cannot be written or fills up.
Each test checks the behaviour the README's "What happens when things go wrong" promises, and
that nothing is left running."""

from __future__ import annotations

import contextlib
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import docker
import psutil
import pytest

from harness.cli import main
from harness.confine import sample_account
from harness.results import Status, read_results
from harness.targets.docker import LABEL
from harness.targets.runc import STATE_ROOT
from tests.conftest import PROJECT_ROOT, WORKLOADS, write_workload

pytestmark = pytest.mark.integration
FAULTS = Path(__file__).parent / "workloads"
VARIANTS = ("native", "docker", "wasmtime")
FAULT_VARIANTS = (*VARIANTS, "runc", "crun")  # the OCI runtimes alone, too
FAULT_NAMES = ("hang", "hog", "crash", "liar", "forker")
SAMPLE_CGROUPS = Path("/sys/fs/cgroup/memory/isobench")
DOCKER_SOCKET = "/var/run/docker.sock"


def leftovers(there_before: frozenset[str]) -> list[str]:
    """Processes of the fault workloads still alive, containers isobench made, sample cgroups,
    scratch, other than those there before the test (another isobench on the machine, say a
    crosscheck, is not this test's). A zombie is not alive: a killed workload's orphaned child
    (forker's) is a zombie until PID 1 reaps it, which is PID 1's to do, not isobench's (CI saw
    one once)."""
    found = [
        f"process {process.pid} {process.info['name']}"
        for process in psutil.process_iter(["name", "status"])
        if process.info["name"] in (*FAULT_NAMES, "beacon", "isobench-launch")
        and process.info["status"] != psutil.STATUS_ZOMBIE
    ]
    client = docker.from_env()
    try:
        containers = client.containers.list(all=True, filters={"label": LABEL})
        found += [f"container {container.short_id}" for container in containers]
    finally:
        client.close()
    if SAMPLE_CGROUPS.is_dir():
        found += [f"cgroup {path}" for path in SAMPLE_CGROUPS.iterdir() if path.is_dir()]
    found += [f"scratch {path}" for path in Path("/dev/shm").glob("isobench-*")]
    found += [f"oci runtime state {path}" for path in STATE_ROOT.glob("*/*")]
    return [item for item in found if item not in there_before]


@pytest.fixture
def there_before() -> frozenset[str]:
    return frozenset(leftovers(frozenset()))


def isobench_argv(workloads: Path, cache_dir: Path, results: Path, *options: str) -> list[str]:
    return [
        *("--workloads-dir", str(workloads), "--cache-dir", str(cache_dir)),
        *("--results-dir", str(results), *options),
    ]


def test_faulty_workloads_are_stopped_recorded_and_left_out_in_every_variant(
    capsys: pytest.CaptureFixture[str],
    cache_dir: Path,
    tmp_path: Path,
    there_before: frozenset[str],
) -> None:
    variants = [f"--variant={variant}" for variant in FAULT_VARIANTS]
    argv = isobench_argv(FAULTS, cache_dir, tmp_path, "run", *variants, "-s", "tiny", "-n", "1",
                         "--warmup", "0", "--timeout", "3", "--memory-limit", "64")  # fmt: skip
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 1  # samples not ok: the run says so, and still completes
    (path,) = tmp_path.glob("*.jsonl")
    samples = read_results(path).samples
    statuses = {(s.workload, s.variant, s.language): s.status for s in samples}
    expected = {
        "hang": Status.TIMEOUT,
        "forker": Status.TIMEOUT,
        "hog": Status.OOM,
        "crash": Status.CRASHED,
        "liar": Status.WRONG_OUTPUT,
    }
    assert statuses == {
        (workload, variant, "c"): status
        for workload, status in expected.items()
        for variant in FAULT_VARIANTS
    }
    for sample in samples:
        assert sample.detail  # why, in words
        assert sample.wall_ns is None or sample.status is not Status.TIMEOUT
    # wasm: the kernel timer armed before the clock ended the worker at the timeout (SIGALRM);
    # had the harness's own guard (timeout + 60 s) stopped it instead, the status would be error
    hang = next(s for s in samples if (s.workload, s.variant) == ("hang", "wasmtime"))
    assert hang.status is Status.TIMEOUT
    assert hang.phases_ns == {}  # a timed-out worker reports nothing: no figure to mistake
    hog = [s for s in samples if s.workload == "hog"]
    assert all(s.peak_memory_bytes is None or s.peak_memory_bytes <= 80 << 20 for s in hog)
    for workload in expected:
        assert workload in captured.err  # each failing workload is named
    assert leftovers(there_before) == []


def beacon_workload(root: Path, fifo: Path) -> None:
    """A workload that, natively, tells the test it is running (it writes to `fifo`, which the
    test holds open) and then spins until it is killed; where it cannot open the fifo (a
    container, wasm, or nobody reading) it exits at once with nothing to say."""
    write_workload(
        root,
        "beacon",
        f"""name = "beacon"
description = "says it runs, then spins (tests/faults)"
[sources]
c = "main.c"
[sizes.tiny]
args = ["{fifo}"]
expected_stdout = "empty"
[sizes.default]
args = ["{fifo}"]
expected_stdout = "empty"
""",
        {
            "empty": "",
            "main.c": """#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int fd = argc > 1 ? open(argv[1], O_WRONLY | O_NONBLOCK) : -1;
    if (fd < 0) return 0;
    write(fd, "running\\n", 8);
    close(fd);
    volatile unsigned long counter = 0;
    for (;;) counter++;
}
""",
        },
    )


@pytest.fixture
def beacon_fifo() -> Iterator[Path]:
    """A fifo the beacon can reach: samples run as the sample account, which can neither
    traverse pytest's folders (0700) nor write a fifo it does not own."""
    folder = Path(tempfile.mkdtemp(prefix="beacon-", dir="/dev/shm"))
    try:
        folder.chmod(0o711)
        fifo = folder / "beacon.fifo"
        os.mkfifo(fifo)
        account = sample_account()
        if account is not None:
            account.give(fifo)
        yield fifo
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize(("stop", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_stops_at_once_leaves_nothing_and_resumes(
    cache_dir: Path,
    tmp_path: Path,
    stop: signal.Signals,
    exit_code: int,
    there_before: frozenset[str],
    beacon_fifo: Path,
) -> None:
    workloads = tmp_path / "workloads"
    fifo = beacon_fifo
    beacon_workload(workloads, fifo)
    (workloads / "noop").symlink_to(WORKLOADS / "noop")
    results = tmp_path / "results"
    argv = isobench_argv(workloads, cache_dir, results, "run", "-s", "tiny", "-n", "3",
                         "--warmup", "0", "-l", "c", "--timeout", "60", "--state", "warm",
                         *(f"--variant={variant}" for variant in VARIANTS))  # fmt: skip
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the beacon can open it from now on
    keeper = os.open(fifo, os.O_WRONLY)  # a writer always there: reading waits for the beacon
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "harness", *argv],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            # the beacon sample is under way (or isobench died first: its stderr says why)
            if not select.select([reader], [], [], 120)[0]:
                process.kill()
                assert process.stderr is not None
                pytest.fail(f"no beacon sample within 120 s: {process.stderr.read()}")
            os.set_blocking(reader, True)
            assert os.read(reader, 8) == b"running\n"
            process.send_signal(stop)
            try:
                code = process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail(f"isobench did not stop within 15 s of {stop.name}")
            assert process.stderr is not None
            assert code == exit_code, process.stderr.read()
    finally:
        os.close(keeper)
        os.close(reader)
    assert leftovers(there_before) == []
    (path,) = results.glob("*.jsonl")
    before = read_results(path)  # valid up to the last finished sample
    assert len(before.samples) < 2 * 3 * 3  # 2 workloads x 3 variants x 3 repetitions

    assert main([*isobench_argv(workloads, cache_dir, results, "run", "--resume", str(path))]) == 0
    after = read_results(path)
    assert after.samples[: len(before.samples)] == before.samples  # kept as they were
    cells = Counter((s.workload, s.variant) for s in after.samples if not s.warmup)
    assert cells == {(w, v): 3 for w in ("beacon", "noop") for v in VARIANTS}
    assert all(sample.status is Status.OK for sample in after.samples)
    assert leftovers(there_before) == []


def test_without_a_docker_daemon_the_other_variants_are_measured(
    capsys: pytest.CaptureFixture[str],
    cache_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    argv = isobench_argv(WORKLOADS, cache_dir, tmp_path, "run", "-w", "noop", "-s", "tiny",
                         "-n", "2", "--warmup", "0",
                         *(f"--variant={variant}" for variant in VARIANTS))  # fmt: skip
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 1
    assert "docker: unavailable, not measured" in captured.out
    assert "not measured, engine unavailable: docker" in captured.err
    (path,) = tmp_path.glob("*.jsonl")
    results = read_results(path)
    assert set(results.header.unavailable) == {"docker"}
    assert {s.variant for s in results.samples} == {"native", "wasmtime"}
    assert all(s.status is Status.OK for s in results.samples)


class DyingDaemon:
    """A proxy to the Docker socket that dies (socket removed, every connection dropped) once
    it has forwarded `starts` container starts: the daemon going away in the middle of a run,
    without touching the real one."""

    def __init__(self, path: Path, starts: int) -> None:
        self.path = path
        self.starts_left = starts
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen(64)
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.dead = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.dead.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(DOCKER_SOCKET)
            with self.lock:
                self.connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        try:
            while chunk := source.recv(1 << 16):
                sink.sendall(chunk)
                if requests and b"/start HTTP/1.1" in chunk:
                    with self.lock:
                        self.starts_left -= 1
                        if self.starts_left == 0:
                            self.die()
            sink.shutdown(socket.SHUT_WR)  # one side done writing (a container's stdin ends)
        except OSError:
            return

    def die(self) -> None:
        self.dead.set()
        self.path.unlink(missing_ok=True)
        self.listener.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


@pytest.fixture
def dying_daemon(tmp_path: Path) -> Iterator[DyingDaemon]:
    # the run's header measures one container (the shim's cost), then every docker sample
    # starts two: its primer and itself
    proxy = DyingDaemon(tmp_path / "docker.sock", starts=6)
    yield proxy
    proxy.die()


def test_when_the_docker_daemon_goes_away_mid_run_the_others_complete(
    cache_dir: Path, tmp_path: Path, dying_daemon: DyingDaemon, there_before: frozenset[str]
) -> None:
    variants = [f"--variant={variant}" for variant in VARIANTS]
    argv = isobench_argv(WORKLOADS, cache_dir, tmp_path / "results", "run", "-w", "noop", "-s",
                         "tiny", "-n", "6", "--warmup", "0", "--seed", "1", "-l", "c",
                         *variants)  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "harness", *argv],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DOCKER_HOST": f"unix://{dying_daemon.path}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert dying_daemon.dead.is_set()
    (path,) = (tmp_path / "results").glob("*.jsonl")
    samples = read_results(path).samples
    by_variant = Counter((s.variant, s.status) for s in samples)
    assert by_variant[("native", Status.OK)] == 12  # 2 states x 6
    assert by_variant[("wasmtime", Status.OK)] == 30  # 5 states (its start modes on noop) x 6
    assert by_variant[("docker", Status.OK)] >= 1
    assert by_variant[("docker", Status.UNAVAILABLE)] >= 1
    unavailable = [s for s in samples if s.status is Status.UNAVAILABLE]
    assert all("Docker Engine unreachable" in s.detail for s in unavailable)
    # The container the daemon was running when it went away is still there; the next run
    # (its harness's process is gone) finds it by its label and removes it first.
    again = isobench_argv(WORKLOADS, cache_dir, tmp_path / "next", "run", "-w", "noop", "-s",
                          "tiny", "-n", "1", "--warmup", "0", "--variant=docker")  # fmt: skip
    code = main(again)
    assert code == 0
    assert leftovers(there_before) == []


def test_an_unwritable_results_folder_is_refused_before_measuring(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    argv = isobench_argv(WORKLOADS, cache_dir, blocker / "results", "run", "-w", "noop", "-s",
                         "tiny", "-n", "1", "--warmup", "0", "--variant=native")  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{blocker}" in err
    assert "cannot write results" in err
    assert "Traceback" not in err


def test_a_results_file_that_cannot_grow_stops_the_run_with_every_finished_line_kept(
    cache_dir: Path, tmp_path: Path, there_before: frozenset[str]
) -> None:
    """The disk filling up mid-run, as the process sees it: a file size limit (RLIMIT_FSIZE)
    makes the write that would cross it fail (EFBIG), as ENOSPC would."""
    results = tmp_path / "results"
    argv = isobench_argv(WORKLOADS, cache_dir, results, "run", "-w", "noop", "-s", "tiny", "-n",
                         "40", "--warmup", "0", "--variant=native")  # fmt: skip
    primed = isobench_argv(WORKLOADS, cache_dir, tmp_path / "primed", "run", "-w", "noop", "-s",
                           "tiny", "-n", "1", "--warmup", "0", "--variant=native")  # fmt: skip
    # What the run compiles, compiled without the limit (the test alone starts from no cache).
    subprocess.run([sys.executable, "-m", "harness", *primed], cwd=PROJECT_ROOT, check=True)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (24_000, 24_000))

    completed = subprocess.run(
        [sys.executable, "-m", "harness", *argv],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=small_files,
    )
    assert completed.returncode == 2, completed.stderr
    assert "cannot write results" in completed.stderr
    assert "every line before this one is kept" in completed.stderr
    assert "Traceback" not in completed.stderr
    (path,) = results.glob("*.jsonl")
    kept = read_results(path)  # the header and every sample written whole
    assert 0 < len(kept.samples) < 80
    assert leftovers(there_before) == []
