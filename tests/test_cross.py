"""aarch64 from this x86-64 host: cross builds with the same compilers, arm64 images, the same
.wasm, AOT artifacts for aarch64; then every workload's tiny size run under qemu (binfmt) as
aarch64 executable and arm64 container, outputs checked, every sample marked emulated and kept
out of every performance summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docker
import pytest

from harness.arch import elf_machine
from harness.cache import RECORD_NAME
from harness.cli import main
from harness.report import write_report
from harness.results import Status, read_results, with_emulated_labelled
from harness.stats import summarize
from harness.toolchains import host_arch
from tests.conftest import WORKLOADS

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        host_arch() != "x86_64",
        reason="cross builds are set up on x86-64 hosts (`bash .ci/setup --cross`)",
    ),
]
ALL_WORKLOADS = sorted(path.parent.name for path in WORKLOADS.glob("*/workload.toml"))


def records(cache_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in cache_dir.glob(f"*/*/{RECORD_NAME}")]


def build(cache_dir: Path, *options: str) -> int:
    return main(["--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir), "build",
                 *options])  # fmt: skip


def test_a_cross_build_for_aarch64_makes_aarch64_executables_images_and_aot_and_the_same_wasm(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path
) -> None:
    variants = ["--variant=native", "--variant=docker", "--variant=wasmtime-cli",
                "--variant=wasmtime"]  # fmt: skip
    assert build(cache_dir, "--arch", "aarch64", *variants) == 0
    out = capsys.readouterr().out
    assert "wasmtime left out for aarch64: wasmtime-py cannot compile for aarch64" in out
    built = records(cache_dir)
    cross = [r for r in built if r["recipe"].get("arch") == "aarch64"]
    assert {(r["workload"], r["language"]) for r in cross} == {
        (workload, language) for workload in ALL_WORKLOADS for language in ("c", "rust")
    }
    for record in cross:  # every native executable is a static aarch64 ELF
        assert elf_machine(Path(record["path"])) == "aarch64", record["path"]
    cwasm = [r for r in built if r["kind"] == "cli-cwasm" and r["recipe"]["host_arch"] == "aarch64"]
    assert len(cwasm) == len(cross)
    assert all(elf_machine(Path(r["path"])) == "aarch64" for r in cwasm)
    images = [r for r in built if r["kind"] == "docker-image" and r["recipe"].get("platform")]
    assert len(images) == len(cross)
    client = docker.from_env()
    try:
        for record in images:
            api: Any = client.api  # docker-py's APIClient is not annotated
            image = api.inspect_image(record["image"]["tag"])
            assert (image["Os"], image["Architecture"]) == ("linux", "arm64")
    finally:
        client.close()

    # The .wasm is architecture-neutral: a fresh build in another cache gives the same bytes
    # as the one the cross build used.
    fresh = tmp_path / "fresh-cache"
    assert build(fresh, "--variant=node", "-w", "sha256", "-w", "webhook") == 0
    wasm = {(r["workload"], r["language"]): r["sha256"] for r in built if r["kind"] == "wasm"}
    for record in records(fresh):
        if record["kind"] == "wasm":
            assert record["sha256"] == wasm[(record["workload"], record["language"])]


def test_aarch64_executables_and_arm64_images_run_right_under_qemu_and_count_as_emulated(
    capsys: pytest.CaptureFixture[str], cache_dir: Path, tmp_path: Path
) -> None:
    code = main([
        "--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir),
        "--results-dir", str(tmp_path), "run", "--arch", "aarch64", "--suite", "quick",
        "--variant=native", "--variant=docker", "--variant=wasmtime", "-n", "1", "--warmup", "0",
        "--state", "warm",
    ])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (path,) = tmp_path.glob("*.jsonl")
    results = read_results(path)
    samples = results.samples
    assert {(s.workload, s.language, s.variant) for s in samples} == {
        (w, lang, v) for w in ALL_WORKLOADS for lang in ("c", "rust") for v in ("native", "docker")
    }
    assert [s for s in samples if s.status is not Status.OK] == []  # the right outputs
    assert all(s.emulated for s in samples)
    assert summarize(results.frame) == []  # never in a performance summary
    assert results.header.plan is not None
    assert results.header.plan.arch == "aarch64"
    labelled = {row.variant for row in summarize(with_emulated_labelled(results).frame)}
    assert labelled == {"native (emulated)", "docker (emulated)"}  # only when asked for

    # With a run on this host's own CPU: the report has the cross-host layout, the emulated
    # samples counted apart, and, asked for, shown as labelled variants.
    host_run = tmp_path / "host"
    assert main([
        "--workloads-dir", str(WORKLOADS), "--cache-dir", str(cache_dir),
        "--results-dir", str(host_run), "run", "--suite", "quick", "-w", "noop", "-w", "sha256",
        "--variant=native", "--variant=docker", "-n", "2", "--warmup", "0", "--state", "warm",
    ]) == 0  # fmt: skip
    (host_path,) = host_run.glob("*.jsonl")
    plain = write_report([host_path, path], tmp_path / "plain.html").read_text()
    assert 'id="hosts"' in plain
    assert "native (emulated)" not in plain
    assert "Emulated samples" in plain
    labelled_report = write_report(
        [host_path, path], tmp_path / "labelled.html", include_emulated=True
    ).read_text()
    assert "native (emulated)" in labelled_report
