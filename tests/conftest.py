from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cache import Artifact
from harness.measure import Cell
from harness.workloads import Language, load_workload

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = PROJECT_ROOT / "workloads"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build cache for the test session: each artifact is compiled once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def workloads_copy(tmp_path: Path) -> Path:
    """A private copy of the project's workloads, safe to edit."""
    destination = tmp_path / "workloads"
    shutil.copytree(WORKLOADS, destination)
    return destination


def write_workload(root: Path, name: str, manifest: str, files: dict[str, str]) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "workload.toml").write_text(manifest)
    for relative, text in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text)
    return directory


def fake_artifact(workload: str, ident: str = "0" * 64) -> Artifact:
    """An artifact record for a C workload that points at no file: for logic that never runs it."""
    return Artifact(
        id=ident,
        kind="native",
        workload=workload,
        language="c",
        profile="portable",
        path="/nonexistent",
        sha256="",
        size_bytes=0,
        recipe={},
    )


def fake_cell(variant: str = "fake", workload: str = "fannkuch-redux") -> Cell:
    loaded = load_workload(WORKLOADS / workload)
    artifact = fake_artifact(workload)
    return Cell(loaded, Language.C, variant, loaded.size("tiny"), "portable", "warm", artifact)
