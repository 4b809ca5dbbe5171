"""`isobench bless` against the real compilers: a new workload's expected outputs recorded from
its native builds, only when they agree and only when confirmed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cli import main
from tests.conftest import WORKLOADS

pytestmark = pytest.mark.integration


def new_workload(root: Path) -> Path:
    """nbody as a new workload would arrive: its sources and manifest, no expected outputs."""
    folder = root / "my-kernel"
    shutil.copytree(WORKLOADS / "nbody", folder, ignore=shutil.ignore_patterns("expected"))
    manifest = folder / "workload.toml"
    manifest.write_text(manifest.read_text().replace('name = "nbody"', 'name = "my-kernel"'))
    return folder


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """A cache of its own: the builds blessing makes are its own, not the session's."""
    return tmp_path / "cache"


def bless(root: Path, cache_dir: Path, *options: str) -> int:
    return main(["--workloads-dir", str(root), "--cache-dir", str(cache_dir), "bless",
                 "-w", "my-kernel", *options])  # fmt: skip


def test_blessing_records_what_both_languages_print_at_every_size(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The outputs written are byte for byte nbody's published ones (computed elsewhere), and
    the workload then runs: every sample ok."""
    folder = new_workload(tmp_path)
    assert bless(tmp_path, cache_dir, "--yes") == 0
    for size in ("tiny", "default", "large"):
        written = (folder / "expected" / f"{size}.stdout").read_bytes()
        assert written == (WORKLOADS / "nbody" / "expected" / f"{size}.stdout").read_bytes()
    assert "wrote" in capsys.readouterr().out
    assert bless(tmp_path, cache_dir, "-s", "tiny") == 0  # nothing to write: no question asked
    assert "already holds" in capsys.readouterr().out
    code = main(["--workloads-dir", str(tmp_path), "--cache-dir", str(cache_dir),
                 "--results-dir", str(tmp_path / "results"), "run", "-w", "my-kernel",
                 "-s", "tiny", "--variant", "native", "-n", "1", "--warmup", "0"])  # fmt: skip
    assert code == 0, capsys.readouterr().err


def test_languages_that_disagree_are_refused_and_nothing_is_written(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = new_workload(tmp_path)
    source = folder / "main.c"
    source.write_text(source.read_text().replace('printf("%.9f\\n"', 'printf("%.8f\\n"'))
    assert bless(tmp_path, cache_dir, "-s", "tiny", "--yes") == 2
    error = capsys.readouterr().err
    assert f"{folder / 'workload.toml'}: field 'sizes.tiny': the languages print different" in error
    assert not (folder / "expected").exists()


def test_nothing_is_written_without_a_confirmation(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under pytest stdin is no terminal: without --yes, bless asks for it and writes nothing."""
    folder = new_workload(tmp_path)
    assert bless(tmp_path, cache_dir, "-s", "tiny") == 2
    assert "give --yes" in capsys.readouterr().err
    assert not (folder / "expected").exists()


def test_an_expected_file_outside_the_folder_is_refused_by_name(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = new_workload(tmp_path)
    manifest = folder / "workload.toml"
    manifest.write_text(manifest.read_text().replace('"expected/tiny.stdout"',
                                                     '"../elsewhere.stdout"'))  # fmt: skip
    assert bless(tmp_path, cache_dir, "--yes") == 2
    assert "field 'sizes.tiny.expected_stdout'" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.stdout").exists()
