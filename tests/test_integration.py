"""Real compilers, a real Docker Engine, real wasmtime: the three variants end to end.

Builds go to one cache per test session, so each artifact is compiled once; the content-
addressed ids make every later build in the session a cache hit.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from harness.cache import RECORD_NAME
from harness.cli import main
from harness.results import Results, Status, read_results
from harness.workloads import sha256_bytes
from tests.conftest import WORKLOADS, write_workload

pytestmark = pytest.mark.integration
VARIANTS = ("native", "docker", "wasmtime")
MiB = 2**20
Built = dict[tuple[str, str, str], dict[str, Any]]  # (workload, language, kind) -> record


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    results: Results | None  # the run's results file, when one was written


def isobench(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    code = main(list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err, None)


def run_isobench(
    capsys: pytest.CaptureFixture[str],
    workloads: Path,
    cache_dir: Path,
    results_dir: Path,
    *options: str,
) -> Outcome:
    """`isobench run`, one measured round and no warm-up unless `options` say otherwise."""
    outcome = isobench(
        capsys,
        *("--workloads-dir", str(workloads), "--cache-dir", str(cache_dir)),
        *("--results-dir", str(results_dir), "run", "-n", "1", "--warmup", "0", *options),
    )
    files = list(results_dir.glob("*.jsonl"))
    assert len(files) <= 1
    return Outcome(**{**outcome.__dict__, "results": read_results(files[0]) if files else None})


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def built(cache_dir: Path) -> Built:
    """Every project workload x language x variant, built once."""
    assert main(["--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir), "build"]) == 0
    records = [json.loads(path.read_text()) for path in cache_dir.glob(f"*/*/{RECORD_NAME}")]
    return {(r["workload"], r["language"], r["kind"]): r for r in records if r["workload"]}


def test_every_workload_is_built_three_ways_in_both_languages(built: Built) -> None:
    for workload in ("noop", "fannkuch-redux"):
        for language in ("c", "rust"):
            kinds = {kind for (w, lang, kind) in built if (w, lang) == (workload, language)}
            assert kinds == {"native", "wasm", "cwasm", "docker-image"}
            wasm = Path(built[(workload, language, "wasm")]["path"])
            assert wasm.read_bytes()[:4] == b"\0asm"
            flags = built[(workload, language, "native")]["recipe"]["flags"]
            assert "-static" in flags or "target-feature=+crt-static" in flags


def test_the_docker_image_holds_the_very_same_executable(built: Built) -> None:
    client = docker.from_env()
    for workload in ("noop", "fannkuch-redux"):
        for language in ("c", "rust"):
            native = built[(workload, language, "native")]
            image = built[(workload, language, "docker-image")]
            assert image["extra"]["executable_sha256_in_image"] == native["sha256"]
            # Read /app back out of the image here too, independently of the build code.
            container = client.api.create_container(image["extra"]["tag"])["Id"]
            try:
                stream, _ = client.api.get_archive(container, "/app")
                with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                    member = archive.extractfile("app")
                    assert member is not None
                    assert hashlib.sha256(member.read()).hexdigest() == native["sha256"]
            finally:
                client.api.remove_container(container, force=True)
    client.close()


def test_a_second_build_compiles_nothing(
    built: Built, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*") if p.is_file()}
    outcome = isobench(
        capsys, "--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir), "build"
    )
    assert outcome.code == 0
    assert "nothing to compile, all 16 artifacts up to date" in outcome.out
    assert {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*") if p.is_file()} == before


def test_a_run_checks_and_records_every_variant(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_isobench(
        capsys, WORKLOADS, cache_dir, tmp_path, "-s", "tiny", "-n", "2", "--warmup", "1",
        "--seed", "3",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    header = outcome.results.header
    assert header["plan"]["seed"] == 3
    assert header["host"]["arch"]
    assert header["host"]["logical_cores"] >= 1
    assert header["tools"]["compilers"]["c"].startswith("Debian clang version 14")
    assert header["tools"]["compilers"]["rust"].startswith("rustc 1.63")
    assert set(header["variants"]) == set(VARIANTS)
    assert {"docker_engine", "wasmtime_py", "native_launcher_sha256"} <= set(
        header["tools"]["engines"]
    )

    samples = outcome.results.samples
    assert len(samples) == 2 * 2 * 3 * 3  # workloads x languages x variants x rounds
    assert Counter(s.status for s in samples) == {Status.OK: 36}
    expected = {
        "noop": sha256_bytes(b""),
        "fannkuch-redux": sha256_bytes(b"228\nPfannkuchen(7) = 16\n"),
    }
    for sample in samples:
        assert sample.stdout_sha256 == expected[sample.workload]
        assert sample.wall_ns is not None
        assert sample.wall_ns > 0
        # Every declared phase but docker's stdin attach (neither workload reads stdin).
        declared = set(header["variants"][sample.variant]["phases"]) - {"attach"}
        assert set(sample.phases_ns) == declared
        assert sample.peak_memory_bytes is not None
        assert 0 < sample.peak_memory_bytes < 64 * MiB
    assert [s.warmup for s in samples[:12]] == [True] * 12
    assert "× native" in outcome.out


def test_a_wrong_expected_output_fails_every_variant_and_names_the_workload(
    built: Built,
    cache_dir: Path,
    workloads_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (workloads_copy / "fannkuch-redux" / "expected" / "tiny.stdout").write_text("0\n")
    outcome = run_isobench(
        capsys, workloads_copy, cache_dir, tmp_path, "-w", "fannkuch-redux", "-s", "tiny"
    )
    assert outcome.code == 1
    assert "isobench: fannkuch-redux (c, native, tiny): 1 wrong-output" in outcome.err
    assert "samples not ok in workloads: fannkuch-redux" in outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {(s.language, s.variant) for s in samples} == {
        (language, variant) for language in ("c", "rust") for variant in VARIANTS
    }
    assert {s.status for s in samples} == {Status.WRONG_OUTPUT}


FAILING_C = r"""
#include <string.h>
int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "exit") == 0) return 3;
    if (argc > 1 && strcmp(argv[1], "spin") == 0) { for (volatile int i = 0;; i++) {} }
    __builtin_trap();
}
"""
FAILING_RUST = r"""
fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("exit") => std::process::exit(3),
        Some("spin") => {
            let zero = 0u8;
            loop {
                // A volatile read the optimiser must keep (black_box is unstable in rustc 1.63).
                unsafe { std::ptr::read_volatile(&zero) };
            }
        }
        _ => std::process::abort(),
    }
}
"""
FAILING_MANIFEST = """
name = "failing"
description = "exits 3, crashes, or spins, by its argument"
[sources]
c = "main.c"
rust = "main.rs"
[sizes.tiny]
args = ["exit"]
expected_stdout = "expected.stdout"
[sizes.default]
args = ["crash"]
expected_stdout = "expected.stdout"
[sizes.spin]
args = ["spin"]
expected_stdout = "expected.stdout"
"""


@pytest.mark.parametrize(
    ("size", "status", "options"),
    [
        ("tiny", Status.WRONG_EXIT_CODE, []),
        ("default", Status.CRASHED, []),
        ("spin", Status.TIMEOUT, ["--timeout", "1", "-l", "c"]),
    ],
)
def test_failures_get_their_status_in_every_variant(
    cache_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    size: str,
    status: Status,
    options: list[str],
) -> None:
    files = {"main.c": FAILING_C, "main.rs": FAILING_RUST, "expected.stdout": ""}
    write_workload(tmp_path / "workloads", "failing", FAILING_MANIFEST, files)
    outcome = run_isobench(
        capsys, tmp_path / "workloads", cache_dir, tmp_path / "results", "-s", size, *options
    )
    assert outcome.code == 1
    assert "samples not ok in workloads: failing" in outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {s.variant for s in samples} == set(VARIANTS)
    assert {s.status for s in samples} == {status}, [s.detail for s in samples]


TOUCH_C = r"""
#include <stdio.h>
#include <stdlib.h>
/* Allocates N MiB and writes every page, then reads them back so nothing is optimised away. */
int main(int argc, char **argv) {
    size_t bytes = (size_t)atoi(argv[1]) << 20;
    unsigned char *buffer = malloc(bytes);
    if (!buffer) return 1;
    for (size_t i = 0; i < bytes; i += 4096) buffer[i] = (unsigned char)(i >> 12);
    unsigned long sum = 0;
    for (size_t i = 0; i < bytes; i += 4096) sum += buffer[i];
    printf("%lu\n", sum);
    return 0;
}
"""


def test_peak_memory_is_measured_per_instance_in_every_variant(
    cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mib = 64
    expected = sum((i >> 12) & 0xFF for i in range(0, mib << 20, 4096))
    manifest = f"""
name = "touch"
description = "allocates and touches {mib} MiB"
[sources]
c = "main.c"
[sizes.tiny]
args = ["{mib}"]
expected_stdout = "expected.stdout"
[sizes.default]
args = ["{mib}"]
expected_stdout = "expected.stdout"
"""
    files = {"main.c": TOUCH_C, "expected.stdout": f"{expected}\n"}
    write_workload(tmp_path / "workloads", "touch", manifest, files)
    outcome = run_isobench(
        capsys, tmp_path / "workloads", cache_dir, tmp_path / "results", "-s", "tiny"
    )
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    assert {s.variant for s in outcome.results.samples} == set(VARIANTS)
    for sample in outcome.results.samples:
        assert sample.peak_memory_bytes is not None
        # The buffer, plus what the variant adds (runc init for docker: ~4 MiB), no more.
        assert mib * MiB <= sample.peak_memory_bytes <= (mib + 16) * MiB, sample


def test_a_source_that_does_not_compile_is_a_user_error(
    cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(WORKLOADS / "noop", tmp_path / "noop")
    (tmp_path / "noop" / "main.c").write_text("int main(void) { return }\n")
    outcome = isobench(
        capsys,
        *("--workloads-dir", str(tmp_path), "--cache-dir", str(cache_dir)),
        *("build", "-l", "c", "--variant", "native"),
    )
    assert outcome.code == 2
    assert f"{tmp_path / 'noop'}: c native build failed" in outcome.err
