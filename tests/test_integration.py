"""Real compilers, a real Docker Engine, real wasmtime: the three variants end to end.

Builds go to one cache per test session, so each artifact is compiled once; the content-
addressed ids make every later build in the session a cache hit.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import statistics
import subprocess
import tarfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import psutil
import pytest

from harness.build import build, build_helper
from harness.cache import RECORD_NAME, BuildCache
from harness.cli import main
from harness.header import SCHEMA_VERSION, Header, HostCost
from harness.report import write_report
from harness.results import Results, Sample, Status, read_results
from harness.targets.base import Confinement, Invocation
from harness.targets.containerd_events import SEGMENTS
from harness.targets.docker import DockerTarget, criu_check
from harness.targets.runc import STATE_ROOT, RuncTarget, default_spec
from harness.toolchains import Profile, find_compiler, host_has_feature
from harness.workloads import Language, load_workload, sha256_bytes
from tests.conftest import WORKLOADS, write_workload

pytestmark = pytest.mark.integration
VARIANTS = ("native", "docker", "wasmtime")
# opt-in wasm runtimes: the CLIs and node as a process per sample, wasmtime-min in a container
WASM_RUNTIME_VARIANTS = ("wasmtime-cli", "wasmtime-min", "node", "wasm-docker")
MiB = 2**20
Built = dict[tuple[str, str, str], dict[str, Any]]  # (workload, language, kind) -> record
ALL_WORKLOADS = sorted(path.parent.name for path in WORKLOADS.glob("*/workload.toml"))


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    results: Results | None  # the run's results file, when one was written


def in_clock_phases(sample: Sample, header: Header) -> dict[str, int]:
    """The phases the header says happen inside the sample's wall time."""
    inside = header.variants[sample.variant].wall_phases[sample.state]
    return {name: ns for name, ns in sample.phases_ns.items() if name in inside}


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
def built(cache_dir: Path) -> Built:
    """Every project workload x language x variant, built once."""
    assert main(["--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir), "build"]) == 0
    records = [json.loads(path.read_text()) for path in cache_dir.glob(f"*/*/{RECORD_NAME}")]
    # The session's cache also holds what other tests built (aarch64 cross builds, the CLIs'
    # artifacts): only this host's default three ways count here.
    default_kinds = {"native", "wasm", "cwasm", "docker-image"}
    return {
        (r["workload"], r["language"], r["kind"]): r
        for r in records
        if r["workload"]
        and r["kind"] in default_kinds
        and not {"arch", "platform"} & set(r["recipe"])
    }


def test_every_workload_is_built_three_ways_in_both_languages(built: Built) -> None:
    for workload in ALL_WORKLOADS:
        for language in ("c", "rust"):
            kinds = {kind for (w, lang, kind) in built if (w, lang) == (workload, language)}
            assert kinds == {"native", "wasm", "cwasm", "docker-image"}, workload
            for kind in kinds:  # every artifact records its size and how long it took to build
                assert built[(workload, language, kind)]["size_bytes"] > 0
                assert built[(workload, language, kind)]["build_ns"] > 0
            wasm = Path(built[(workload, language, "wasm")]["path"])
            assert wasm.read_bytes()[:4] == b"\0asm"
            native = built[(workload, language, "native")]["recipe"]
            flags = native.get("flags") or native["rustflags"]
            assert "-static" in flags or "target-feature=+crt-static" in flags


def test_the_docker_image_holds_the_very_same_executable(built: Built) -> None:
    client = docker.from_env()
    for workload in ALL_WORKLOADS:
        for language in ("c", "rust"):
            native = built[(workload, language, "native")]
            image = built[(workload, language, "docker-image")]
            assert image["image"]["executable_sha256"] == native["sha256"]
            # Read /app back out of the image here too, independently of the build code.
            container = client.api.create_container(image["image"]["tag"])["Id"]
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
    artifacts = len(ALL_WORKLOADS) * 2 * 4  # languages x (native, wasm, cwasm, docker-image)
    assert f"nothing to compile, all {artifacts} artifacts up to date" in outcome.out
    assert {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*") if p.is_file()} == before


def test_every_workload_at_tiny_is_right_in_every_variant_and_language(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_isobench(capsys, WORKLOADS, cache_dir, tmp_path, "--suite", "quick")
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {(s.workload, s.language, s.variant) for s in samples} == {
        (w, lang, v) for w in ALL_WORKLOADS for lang in ("c", "rust") for v in VARIANTS
    }
    assert {s.status for s in samples} == {Status.OK}  # each output is its expected output
    for workload in ALL_WORKLOADS:
        digests = {s.stdout_sha256 for s in samples if s.workload == workload}
        assert len(digests) == 1, f"{workload}: C and Rust, or variants, printed different bytes"


def test_a_run_records_header_phases_warmups_and_memory(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_isobench(
        capsys, WORKLOADS, cache_dir, tmp_path, "-w", "noop", "-w", "fannkuch-redux",
        "-s", "tiny", "-n", "2", "--warmup", "1", "--seed", "3",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    header = outcome.results.header
    assert header.schema_version == SCHEMA_VERSION
    assert header.plan is not None
    assert header.plan.seed == 3
    assert header.plan.sizes == ("tiny",)
    assert header.host.arch
    assert header.host.logical_cores is not None
    assert header.host.logical_cores >= 1
    assert header.tools.compilers["c"].startswith("Debian clang version 14")
    assert header.tools.compilers["rust"].startswith("rustc 1.63")
    assert set(header.variants) == set(VARIANTS)
    for name in ("noop", "fannkuch-redux"):
        assert header.workloads[name].revision == load_workload(WORKLOADS / name).revision()
    assert {"docker_engine", "wasmtime_py", "native_launcher_sha256"} <= set(header.tools.engines)

    samples = outcome.results.samples
    # every variant in every state: wasmtime's start modes are states of its own
    assert {(s.variant, s.state) for s in samples} == {
        (variant, state) for variant in VARIANTS for state in ("cold", "warm")
    } | {("wasmtime", state) for state in ("loaded", "prelinked", "pooled")}
    # languages x cells x measured rounds (the warm-up round is not recorded): noop in 9
    # (variant, state) cells, fannkuch-redux in 6 (wasmtime's start modes only on noop)
    assert len(samples) == 2 * (9 + 6) * 2
    assert Counter(s.status for s in samples) == {Status.OK: 60}
    assert {s.state for s in samples if s.workload == "fannkuch-redux"} == {"cold", "warm"}
    assert not any(s.emulated for s in samples)  # host-arch artifacts, read from their ELF
    # The report reads the real run: a verdict column per variant, no sample listed as failed.
    html = write_report([outcome.results.path], tmp_path / "report.html").read_text()
    for variant in VARIANTS:
        assert variant == "native" or f'<th colspan="5">{variant} <span' in html
    assert "None: every measured sample printed the expected output" in html
    assert set(header.variants["native"].states) == {"cold", "warm"}
    assert set(header.variants["docker"].states) == {"cold", "warm"}
    # The shim beside every running container: real memory, reported apart from the peaks.
    shim = header.host_costs["docker"].containerd_shim
    assert shim is not None
    assert shim.processes >= 1
    assert shim.private_bytes > 1 * MiB
    assert header.host_costs["native"] == HostCost()
    expected = {
        "noop": sha256_bytes(b""),
        "fannkuch-redux": sha256_bytes(b"228\nPfannkuchen(7) = 16\n"),
    }
    for sample in samples:
        assert sample.stdout_sha256 == expected[sample.workload]
        assert sample.profile == "portable"
        assert sample.wall_ns is not None
        assert sample.wall_ns > 0
        assert set(sample.phases_ns) <= set(header.variants[sample.variant].phases)
        assert sample.wall_ns >= sum(in_clock_phases(sample, header).values()) > 0
        assert sample.peak_memory_bytes is not None
        # An in-host instance's marginal peak may read 0: the counter moves in batches, and the
        # batch its host has charged ahead can hold a small instance (below resolution).
        floor = 0 if sample.variant == "wasmtime" else 1
        assert floor <= sample.peak_memory_bytes < 64 * MiB
        assert (sample.linear_memory_bytes is not None) == (sample.variant == "wasmtime")
    assert not any(s.warmup for s in samples)
    assert {s.round for s in samples} == {1, 2}
    check_what_every_figure_spans(samples, header)
    assert "× native" in outcome.out
    check_the_floors(outcome.results, outcome.out, html)


def check_the_floors(results: Results, out: str, html: str) -> None:
    """The physical floors under the three variants: a loop of each after every measured
    round, every start ok, each variant standing on its own, the ladder shown."""
    header, floors = results.header, results.floor_starts
    assert list(header.floors) == [
        "spawn", "wasm-empty", "wasm-noop", "runc", "crun", "containerd"
    ]  # fmt: skip
    assert {(row.floor, row.round) for row in floors} == {
        (name, round_index) for name in header.floors for round_index in (1, 2)
    }  # fmt: skip
    assert [row.detail for row in floors if row.status is not Status.OK] == []
    assert {name: entry.floor for name, entry in header.variants.items()} == {
        "native": "spawn", "docker": "runc", "wasmtime": "wasm-noop"
    }  # fmt: skip
    assert "startup ladder" in out
    assert 'class="ladder"' in html


def check_what_every_figure_spans(samples: list[Sample], header: Header) -> None:
    """One wall-time scope in every variant, CPU time and a second memory figure per sample,
    cold verified, and the header saying what each variant's instance and settings are."""
    for sample in samples:
        # one scope: from "start this instance" to "this instance is gone", the phases inside
        # it and nothing else (the harness's own steps between them are not in wall time)
        assert sample.wall_ns == sum(in_clock_phases(sample, header).values())
        if sample.variant == "docker":  # gone means removed; created ahead when warm
            assert "remove" in in_clock_phases(sample, header)
            assert ("create" in in_clock_phases(sample, header)) == (sample.state == "cold")
        if sample.variant == "wasmtime":
            # the module compiled or loaded inside the clock (cold, warm), or kept by the host:
            # loaded before it, and for prelinked and pooled linked too, timed apart
            inside = set(in_clock_phases(sample, header))
            assert ("compile" in inside) == (sample.state == "cold")
            assert ("load" in inside) == (sample.state == "warm")
            assert ("load" in sample.phases_ns) == (sample.state != "cold")
            assert ("prelink" in sample.phases_ns) == (sample.state in {"prelinked", "pooled"})
            assert "prelink" not in inside
            assert sample.phases_ns["teardown"] > 0
        assert sample.cpu_ns is not None
        assert sample.cpu_ns > 0  # the instance's own CPU time, in every variant
        assert (sample.rss_peak_bytes is None) == (sample.variant == "docker")
        # cold: the variant's files were evicted, and checked gone, before the clock
        assert sample.cold_resident_bytes == (0 if sample.state == "cold" else None)
        assert sample.steal_ns is not None
    # what every figure spans, and how the engines were told to run
    assert header.plan is not None
    assert header.plan.primer
    assert len(header.measurement_revision) == 16
    instances = {name: entry.instance for name, entry in header.variants.items()}
    assert instances == {"native": "process", "docker": "container", "wasmtime": "in-host"}
    assert header.variants["wasmtime"].settings["epoch_interruption"] == "False"
    assert header.variants["docker"].settings["network_mode"] == "none"
    assert header.memory is not None
    step = header.memory.charge_granularity_bytes
    assert step is not None
    assert step > 0
    assert step % 4096 == 0  # the counter moves in whole pages (here, batches of them)
    assert header.memory.resolution_bytes is not None
    assert header.memory.resolution_bytes >= step


def test_memtouch_calibrates_memory_in_every_variant(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """64 MiB touched reads as 64 MiB above the variant's noop floor (within 10%) natively and
    in Docker; the wasm instance's linear memory reaches at least 64 MiB. All of it while the
    measuring process itself holds 256 MiB, which a method that reads the spawner's own peak
    (ru_maxrss after exec) would report as the instance's."""
    ballast = b"\x01" * (256 * MiB)  # bytes written, so resident, not merely reserved
    assert psutil.Process().memory_info().rss > 200 * MiB
    floors = run_isobench(capsys, WORKLOADS, cache_dir, tmp_path / "noop", "-w", "noop",
                          "-s", "tiny", "-n", "3", "--state", "warm")  # fmt: skip
    touched = run_isobench(capsys, WORKLOADS, cache_dir, tmp_path / "touch", "-w", "memtouch",
                           "-s", "calibrate", "-n", "3", "--state", "warm")  # fmt: skip
    assert len(ballast) == 256 * MiB  # held until both runs are done
    assert floors.results is not None
    assert touched.results is not None
    assert touched.code == 0, touched.err

    def median_peak(results: Results, language: str, variant: str) -> float:
        peaks = [s.peak_memory_bytes for s in results.samples
                 if (s.language, s.variant) == (language, variant)]  # fmt: skip
        assert all(peak is not None for peak in peaks)
        return statistics.median(peak for peak in peaks if peak is not None)

    for language in ("c", "rust"):
        for variant in ("native", "docker"):
            above_floor = median_peak(touched.results, language, variant) - median_peak(
                floors.results, language, variant
            )
            assert abs(above_floor - 64 * MiB) <= 0.1 * 64 * MiB, (language, variant, above_floor)
        linear = [s.linear_memory_bytes for s in touched.results.samples
                  if (s.language, s.variant) == (language, "wasmtime")]  # fmt: skip
        assert all(size is not None and size >= 64 * MiB for size in linear), linear


def test_webhook_rejects_a_tampered_signature_and_malformed_json_with_distinct_codes(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_isobench(
        capsys, WORKLOADS, cache_dir, tmp_path, "-w", "webhook",
        "-s", "tampered", "-s", "malformed", "-s", "ping", "-s", "pull-request",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert len(samples) == 4 * 2 * 6  # sizes x languages x (variant, state) cells
    assert {s.status for s in samples} == {Status.OK}  # ok: the expected exit code and stdout
    codes = {
        size: {s.exit_code for s in samples if s.size == size}
        for size in ("tampered", "malformed", "ping")
    }
    assert codes == {"tampered": {3}, "malformed": {4}, "ping": {0}}


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
    assert "isobench: fannkuch-redux (c, native warm, tiny): 1 wrong-output" in outcome.err
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
    "variants", [VARIANTS, WASM_RUNTIME_VARIANTS], ids=["default", "wasm-runtimes"]
)
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
    variants: tuple[str, ...],
) -> None:
    files = {"main.c": FAILING_C, "main.rs": FAILING_RUST, "expected.stdout": ""}
    write_workload(tmp_path / "workloads", "failing", FAILING_MANIFEST, files)
    selection = [f"--variant={variant}" for variant in variants]
    outcome = run_isobench(
        capsys, tmp_path / "workloads", cache_dir, tmp_path / "results", "-s", size, *options,
        *selection,
    )  # fmt: skip
    assert outcome.code == 1
    assert "samples not ok in workloads: failing" in outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {s.variant for s in samples} == set(variants)
    assert {s.status for s in samples} == {status}, [s.detail for s in samples]
    # a trap is a crash in every variant, whatever exit code the runtime chose to report it by
    if status is Status.CRASHED:
        assert all("trap" in s.detail or "signal" in s.detail for s in samples)


def test_every_workload_at_tiny_is_right_under_the_other_wasm_runtimes(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    selection = [f"--variant={variant}" for variant in WASM_RUNTIME_VARIANTS]
    outcome = run_isobench(capsys, WORKLOADS, cache_dir, tmp_path, "--suite", "quick", *selection)
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {(s.variant, s.state) for s in samples} == {
        ("wasmtime-cli", "cold"), ("wasmtime-cli", "warm"), ("wasmtime-min", "warm"),
        ("node", "cold"), ("wasm-docker", "cold"), ("wasm-docker", "warm"),
    }  # fmt: skip
    assert {s.status for s in samples} == {Status.OK}
    for workload in ALL_WORKLOADS:  # the same bytes as every other variant printed
        assert len({s.stdout_sha256 for s in samples if s.workload == workload}) == 1, workload
    engines = outcome.results.header.tools.engines
    assert engines["wasmtime-cli"].startswith("wasmtime 49")
    assert engines["node"].startswith("v")
    for sample in samples:
        assert sample.peak_memory_bytes is not None  # the runtime's process or container
        if sample.variant == "node":  # node's own phases lie within its spawn -> exit
            inside = sum(sample.phases_ns[p] for p in ("compile", "instantiate", "run"))
            assert 0 < inside < sample.phases_ns["spawn_to_exit"] == sample.wall_ns


CARGO_MANIFEST = """
name = "fnv-hash"
description = "FNV-1a of a word: C by hand, Rust through the fnv crate from Debian's registry"
[sources]
c = "main.c"
[sources.rust]
cargo = "rust"
[sizes.tiny]
args = ["isobench"]
expected_stdout = "expected.stdout"
[sizes.default]
args = ["isobench"]
expected_stdout = "expected.stdout"
"""
CARGO_FILES = {
    "main.c": r"""
#include <stdint.h>
#include <stdio.h>
int main(int argc, char **argv) {
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char *c = argv[1]; *c; c++) hash = (hash ^ (unsigned char)*c) * 0x100000001b3ULL;
    printf("%016llx\n", (unsigned long long)hash);
    return 0;
}
""",
    "rust/Cargo.toml": """
[package]
name = "fnv-hash"
version = "0.1.0"
edition = "2021"
[dependencies]
fnv = "1"
""",
    "rust/src/main.rs": """
use std::hash::Hasher;
fn main() {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(std::env::args().nth(1).unwrap().as_bytes());
    println!("{:016x}", hasher.finish());
}
""",
}


def test_a_cargo_package_with_a_debian_packaged_dependency_builds_and_runs_everywhere(
    cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = 0xCBF29CE484222325
    for byte in b"isobench":
        expected = ((expected ^ byte) * 0x100000001B3) & (2**64 - 1)
    files = {**CARGO_FILES, "expected.stdout": f"{expected:016x}\n"}
    write_workload(tmp_path / "workloads", "fnv-hash", CARGO_MANIFEST, files)
    outcome = run_isobench(capsys, tmp_path / "workloads", cache_dir, tmp_path / "results",
                           "-s", "tiny")  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {(s.language, s.variant) for s in samples} == {
        (language, variant) for language in ("c", "rust") for variant in VARIANTS
    }
    assert {s.status for s in samples} == {Status.OK}
    assert not (tmp_path / "workloads" / "fnv-hash" / "rust" / "Cargo.lock").exists()
    assert not (tmp_path / "workloads" / "fnv-hash" / "rust" / "target").exists()


@pytest.mark.skipif(not host_has_feature("avx2"), reason="the simd profile needs AVX2 here")
def test_the_simd_profile_builds_with_vector_flags_and_computes_the_same(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_isobench(
        capsys, WORKLOADS, cache_dir, tmp_path, "-w", "matmul", "-s", "tiny",
        "--profile", "portable", "--profile", "simd",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {(s.profile, s.variant) for s in samples} == {
        (profile, variant) for profile in ("portable", "simd") for variant in VARIANTS
    }
    assert {s.status for s in samples} == {Status.OK}
    simd_flags = [
        " ".join(a.flags or ()) for a in outcome.results.header.artifacts
        if a.profile == "simd" and a.kind in ("native", "wasm")
    ]  # fmt: skip
    assert any("-mavx2" in flags for flags in simd_flags)
    assert any("-msimd128" in flags for flags in simd_flags)
    assert any("+simd128" in flags for flags in simd_flags)


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


def test_docker_with_crun_is_an_opt_in_variant_on_the_crun_floor(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same daemon starting the container with crun (registered by .ci/setup), standing on
    the crun floor; and Docker's own start taken apart by runc and containerd beneath it."""
    outcome = run_isobench(
        capsys, WORKLOADS, cache_dir, tmp_path, "-w", "noop", "-l", "c", "-s", "tiny",
        "--variant", "docker", "--variant", "docker-crun", "-n", "2",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    variants = outcome.results.header.variants
    assert variants["docker-crun"].settings["runtime"] == "crun"
    assert variants["docker"].settings["runtime"] == "runc"
    assert {name: entry.floor for name, entry in variants.items()} == {
        "docker": "runc", "docker-crun": "crun"
    }  # fmt: skip
    assert {s.status for s in outcome.results.samples} == {Status.OK}
    assert "docker-crun cold (noop, c)" in outcome.out
    assert "docker cold (noop, c) taken apart" in outcome.out


def test_a_docker_start_is_seen_from_inside_in_containerds_events(
    cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each docker sample carries its start cut by containerd's events into segments that add
    up to its wall time (less the microseconds of Python between the timed calls), and the
    summary shows the start taken apart from inside."""
    outcome = run_isobench(capsys, WORKLOADS, cache_dir, tmp_path, "-w", "noop", "-l", "c",
                           "-s", "tiny", "--variant", "docker", "-n", "2")  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    assert "ctr events" in outcome.results.header.variants["docker"].settings["inside_timeline"]
    for sample in outcome.results.samples:
        segments = [sample.phases_ns[name] for name in SEGMENTS]
        assert sample.wall_ns is not None
        assert abs(sum(segments) - sample.wall_ns) < 1_000_000, sample.phases_ns
        assert all(span >= 0 for span in segments)
    assert "docker cold (noop, c) from inside" in outcome.out


def _event_subscribers() -> list[psutil.Process]:
    return [child for child in psutil.Process().children() if child.name() == "ctr"]


def test_the_docker_target_subscribes_to_containerds_events_at_its_first_sample(
    cache_dir: Path, tmp_path: Path
) -> None:
    """Opened (to build, or to start the scenarios' instances), the docker target runs no `ctr
    events` subscriber: one left unread is told of every container the scenarios time. Its
    first sample starts one, and has its start cut into segments; closing stops it."""
    cache = BuildCache(cache_dir)
    target = DockerTarget.open(cache)
    try:
        outcome = build([load_workload(WORKLOADS / "noop")], languages=[Language.C],
                        profiles=[Profile.PORTABLE], targets=[target], cache=cache,
                        on_step=lambda artifact, built: None)  # fmt: skip
        image = outcome.artifacts[("noop", "c", DockerTarget.name, Profile.PORTABLE.value)]
        instance = target.spawn(image, [], target.mark, Confinement())
        try:
            instance.end_input()
            assert instance.wait(60).exit_code == 0
        finally:
            instance.stop()
        assert _event_subscribers() == []
        execution = target.run(Invocation(image, (), tmp_path / "out", tmp_path / "err", 60.0,
                                          None))  # fmt: skip
        assert len(_event_subscribers()) == 1
        assert execution.exit_code == 0
        assert set(SEGMENTS) <= execution.phases_ns.keys()
    finally:
        target.close()
    assert _event_subscribers() == []


def test_the_oci_runtimes_alone_run_the_images_root_without_a_daemon(
    cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """runc and crun run a root holding the image's executable, no daemon: a workload with a
    stdin (webhook) and one with its folders (fileio) answer right, their memory and CPU read
    from the sample's group, each variant on its runtime's floor; and the workload's own files
    stay as they were (the runtimes make a container's stdio files its user's: stdin is a
    copy), with nothing left in the runtimes' state."""
    fixtures = WORKLOADS / "webhook" / "fixtures"
    owners = {path.name: path.stat().st_uid for path in fixtures.iterdir()}
    outcome = run_isobench(
        capsys, WORKLOADS, cache_dir, tmp_path, "-w", "noop", "-w", "webhook", "-w", "fileio",
        "-l", "c", "-s", "tiny", "--variant", "runc", "--variant", "crun",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    samples = outcome.results.samples
    assert {(s.workload, s.variant, s.status) for s in samples} == {
        (workload, variant, Status.OK)
        for workload in ("noop", "webhook", "fileio")
        for variant in ("runc", "crun")
    }
    assert all(s.peak_memory_bytes and s.cpu_ns for s in samples)
    variants = outcome.results.header.variants
    assert {name: (entry.floor, entry.settings["runtime"]) for name, entry in variants.items()} == {
        "runc": ("runc", "runc"), "crun": ("crun", "crun")
    }  # fmt: skip
    assert {path.name: path.stat().st_uid for path in fixtures.iterdir()} == owners
    assert list(STATE_ROOT.glob("*/*")) == []


def test_a_container_a_killed_run_left_in_a_runtime_is_deleted_at_the_next_open(
    cache_dir: Path, tmp_path: Path
) -> None:
    """A container created in the state folder of a run whose process is gone is deleted, and
    the folder with it, when the variant next opens."""
    cache = BuildCache(cache_dir)
    idle, _ = build_helper("idle.c", "isobench-idle", find_compiler(Language.C), cache)
    runc = shutil.which("runc")
    assert runc is not None
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    shutil.copy(idle.path, bundle / "rootfs" / "idle")
    spec = default_spec(runc)
    spec["process"].update(args=["/idle"], terminal=False)
    (bundle / "config.json").write_text(json.dumps(spec))
    stale = STATE_ROOT / "runc" / f"{2**22 + 1}-0dead0"  # past the kernel's largest pid
    subprocess.run([runc, "--root", str(stale), "create", "--bundle", str(bundle), "left"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True,
                   timeout=60)  # fmt: skip
    listed = [runc, "--root", str(stale), "list", "--quiet"]
    assert subprocess.run(listed, capture_output=True, text=True, check=True).stdout.split() == [
        "left"
    ]
    RuncTarget.open(cache).close()
    assert not stale.exists()


def test_docker_on_the_bridge_network_is_an_opt_in_variant(
    built: Built, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_isobench(
        capsys, WORKLOADS, cache_dir, tmp_path, "-w", "noop", "-l", "c", "-s", "tiny",
        "--variant", "docker-bridge",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert outcome.results is not None
    variants = outcome.results.header.variants
    assert set(variants) == {"docker-bridge"}
    assert all("bridge network" in scope for scope in variants["docker-bridge"].states.values())
    assert {(s.variant, s.status) for s in outcome.results.samples} == {
        ("docker-bridge", Status.OK)
    }


def test_the_doctor_says_whether_this_kernel_lets_criu_checkpoint_and_restore() -> None:
    """The doctor's CRIU line agrees with `criu check` run directly, and when the kernel
    refuses (this VM's does: criu 3.17 cannot read its vDSO), it gives criu's own error."""
    check = criu_check()
    assert check.optional
    criu = shutil.which("criu")
    assert criu is not None, "bash .ci/setup installs criu on Debian"
    completed = subprocess.run([criu, "check"], capture_output=True, text=True, check=False)
    assert check.found == (completed.returncode == 0)
    if not check.found:
        said = completed.stderr.splitlines()
        first_error = next(line for line in said if line.startswith("Error"))
        assert check.detail == f"criu check refuses on this kernel: {first_error}"
