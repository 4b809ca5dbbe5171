"""Content-addressed build cache.

An artifact's id is the sha256 of everything that decides its bytes: the kind of artifact, the
hashes of its inputs (sources or a parent artifact), the toolchain's version line and every
flag. Each artifact lives in `<cache>/<kind>/<id>/` with an `artifact.json` record; a record
present means the artifact is complete (it is written last, atomically).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RECORD_NAME = "artifact.json"


def artifact_id(kind: str, recipe: dict[str, Any]) -> str:
    """The id of the artifact that `recipe` (inputs, toolchain, flags) produces."""
    canonical = json.dumps({"kind": kind, "recipe": recipe}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Artifact:
    """A built thing, with everything needed to trust and reproduce it."""

    id: str
    kind: str  # native | wasm | cwasm | docker-image | launcher
    workload: str  # "" for harness-internal artifacts (the launcher)
    language: str
    profile: str  # build profile (portable, simd); "" where it does not apply
    path: str  # the file; for an image, the file it was made from
    sha256: str  # of the file at `path`
    size_bytes: int  # of the artifact itself (for an image: the image size)
    recipe: dict[str, Any]  # inputs, toolchain version, the exact command
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific facts

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        return cls(**data)


class BuildCache:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()  # artifact records hold absolute paths

    def directory(self, kind: str, ident: str) -> Path:
        return self.root / kind / ident

    def lookup(self, kind: str, ident: str) -> Artifact | None:
        record = self.directory(kind, ident) / RECORD_NAME
        try:
            artifact = Artifact.from_json(json.loads(record.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None  # absent, half-written, or written by an older isobench: rebuild
        if artifact.path and not Path(artifact.path).exists():
            return None
        return artifact

    def fresh_directory(self, kind: str, ident: str) -> Path:
        """An empty directory for building `ident` (anything half-built before is discarded)."""
        directory = self.directory(kind, ident)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        return directory

    def store(self, artifact: Artifact) -> Artifact:
        directory = self.directory(artifact.kind, artifact.id)
        temporary = directory / f".{RECORD_NAME}.tmp"
        temporary.write_text(json.dumps(artifact.to_json(), indent=2, sort_keys=True) + "\n")
        temporary.replace(directory / RECORD_NAME)
        return artifact
