"""User mistakes: one line naming the file and field, or the missing tool and how to install it,
exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import toolchains
from harness.cli import main
from tests.conftest import WORKLOADS


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_an_unknown_size_is_named_with_the_sizes_there_are(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    err = refused(capsys, ["--workloads-dir", str(WORKLOADS), "--results-dir", str(tmp_path),
                           "run", "-w", "noop", "-s", "huge"])  # fmt: skip
    assert "workload 'noop' has no size 'huge' (it has: tiny, default, large)" in err


def test_a_missing_source_file_names_the_manifest_and_field(
    capsys: pytest.CaptureFixture[str], workloads_copy: Path
) -> None:
    (workloads_copy / "noop" / "main.c").unlink()
    err = refused(capsys, ["--workloads-dir", str(workloads_copy), "build", "-w", "noop"])
    assert f"{workloads_copy / 'noop' / 'workload.toml'}: field 'sources.c'" in err
    assert "'main.c' does not exist" in err


def test_a_missing_compiler_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(toolchains, "RUSTC", str(tmp_path / "no-rustc"))
    err = refused(capsys, ["--workloads-dir", str(WORKLOADS), "--cache-dir", str(tmp_path),
                           "build", "-w", "noop", "-l", "rust", "--variant", "native"])  # fmt: skip
    assert f"{tmp_path / 'no-rustc'} not found: apt-get install -y rustc" in err


@pytest.mark.parametrize("source", ["--ld-path=./x", "@args", "-O0.c"])
def test_a_source_named_like_an_option_never_reaches_the_compiler(
    source: str, capsys: pytest.CaptureFixture[str], workloads_copy: Path
) -> None:
    noop = workloads_copy / "noop"
    planted = noop / source
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text((noop / "main.c").read_text())
    manifest = noop / "workload.toml"
    manifest.write_text(manifest.read_text().replace('c = "main.c"', f"c = {source!r}"))
    err = refused(capsys, ["--workloads-dir", str(workloads_copy), "build", "-w", "noop",
                           "-l", "c", "--variant", "native"])  # fmt: skip
    assert f"{manifest}: field 'sources.c'" in err
    assert "starts with '-' or '@'" in err


def test_a_cargo_configuration_above_the_build_is_refused_before_cargo_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Cargo reads .cargo/config.toml in every folder above the one it builds in: a
    `rustc-wrapper` planted there (in /tmp, say) would run as the harness."""
    marker = tmp_path / "wrapper-ran"
    wrapper = tmp_path / "wrapper"
    wrapper.write_text(f'#!/bin/sh\ntouch {marker}\nexec "$@"\n')
    wrapper.chmod(0o755)
    config = tmp_path / ".cargo" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[build]\nrustc-wrapper = "{wrapper}"\n')
    err = refused(capsys, ["--workloads-dir", str(WORKLOADS), "--cache-dir",
                           str(tmp_path / "cache"), "build", "-w", "webhook", "-l", "rust",
                           "--variant", "native"])  # fmt: skip
    assert f"{config}: Cargo would read this configuration" in err
    assert not marker.exists()
