"""Content-addressed build cache.

An artifact's id is the sha256 of everything that decides its bytes: the kind of artifact, the
hashes of its inputs (sources or a parent artifact), the toolchain's version line and every
flag. Each artifact lives in `<cache>/<kind>/<id>/` with an `artifact.json` record; a record
present means the artifact is complete (it is written last, atomically).

The cache is private: made 0700 (an older, wider one is narrowed), and refused when another
user owns it, who could have planted the programs the harness runs. Samples reach their
artifacts only as files the launcher hands them (harness.targets.launcher.Handover), and each
artifact's bytes are checked against its record before it runs (`changed`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.errors import IsobenchError
from harness.workloads import sha256_file

RECORD_NAME = "artifact.json"


def artifact_id(kind: str, recipe: dict[str, Any]) -> str:
    """The id of the artifact that `recipe` (inputs, toolchain, flags) produces."""
    canonical = json.dumps({"kind": kind, "recipe": recipe}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Image:
    """A container image an artifact is."""

    tag: str  # what the engine runs it by
    id: str  # the engine's content id
    executable_sha256: str = ""  # the program read back out of the image ("": not checked)


@dataclass(frozen=True, slots=True)
class Artifact:
    """A built thing, with everything needed to trust and reproduce it."""

    id: str
    kind: str  # what made it: a compiled binary (native, wasm) or a variant's package
    workload: str  # "" for harness-internal artifacts (the launcher)
    language: str
    profile: str  # build profile (portable, simd); "" where it does not apply
    path: str  # the file; for an image, the file it was made from
    sha256: str  # of the file at `path`
    size_bytes: int  # of the artifact itself (for an image: the image size)
    recipe: dict[str, Any]  # inputs, toolchain version, the exact command
    build_ns: int | None = None  # how long making it took (None: not timed)
    # The file it was made from, where a runtime still reads it (a .wasm compiled when cold)
    source_path: str = ""
    image: Image | None = None  # when the artifact is a container image

    def derive(
        self,
        ident: str,
        kind: str,
        *,
        path: str,
        sha256: str,
        size_bytes: int,
        recipe: dict[str, Any],
        build_ns: int | None = None,
        source_path: str = "",
        image: Image | None = None,
    ) -> Artifact:
        """An artifact made from this one: the same workload, language and profile, its recipe
        naming this one as its source."""
        return Artifact(ident, kind, self.workload, self.language, self.profile, path, sha256,
                        size_bytes, {**recipe, "from_artifact": self.id}, build_ns,
                        source_path, image)  # fmt: skip

    def changed(self) -> str:
        """Why the file this artifact runs from is not the one that was built ("" when it is;
        when it is gone, which whatever opens it says; or when it is an image: the engine's
        content id holds that)."""
        if self.image is not None or not self.path:
            return ""
        try:
            digest = sha256_file(Path(self.path))
        except FileNotFoundError:
            return ""
        except OSError as error:
            return f"{self.path}: {error.strerror}"
        if digest != self.sha256:
            return (f"{self.path} changed since it was built (sha256 {digest[:12]}, recorded "
                    f"{self.sha256[:12]}): not run; isobench build makes it again")  # fmt: skip
        return ""

    @property
    def image_tag(self) -> str:
        """The tag of the container image the artifact is."""
        if self.image is None:
            raise ValueError(f"artifact {self.id[:12]} ({self.kind}) is not an image")
        return self.image.tag

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        image = data.get("image")
        return cls(**{**data, "image": Image(**image) if image is not None else None})


# Makes an artifact in the fresh directory it is given, under the id it is given.
Maker = Callable[[str, Path], Artifact]


class BuildCache:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()  # artifact records hold absolute paths
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            owner = self.root.stat().st_uid
            if owner != os.geteuid():
                raise IsobenchError(
                    f"{self.root}: the build cache belongs to uid {owner}, not to this user "
                    f"(uid {os.geteuid()}): it could hold programs they planted; give "
                    "--cache-dir a folder of your own"
                )
            self.root.chmod(0o700)
        except OSError as error:
            raise IsobenchError(f"{self.root}: cannot use as the build cache: {error}") from None

    def directory(self, kind: str, ident: str) -> Path:
        return self.root / kind / ident

    def lookup(self, kind: str, ident: str) -> Artifact | None:
        record = self.directory(kind, ident) / RECORD_NAME
        try:
            artifact = Artifact.from_json(json.loads(record.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None  # absent, half-written, or written by an older isobench: rebuild
        if (artifact.path and not Path(artifact.path).exists()) or artifact.changed():
            return None  # gone, or not the bytes that were built: made again
        return artifact

    def fresh_directory(self, kind: str, ident: str) -> Path:
        """An empty directory for building `ident` (anything half-built before is discarded)."""
        directory = self.directory(kind, ident)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        return directory

    def get_or_build(
        self,
        kind: str,
        recipe: dict[str, Any],
        make: Maker,
        still_there: Callable[[Artifact], bool] = lambda artifact: True,
    ) -> tuple[Artifact, bool]:
        """The artifact `recipe` makes, and whether it had to be made now: the cached one when
        its record is complete (and `still_there` says what lives outside the cache, an image
        in an engine, is still there), else what `make(id, directory)` makes in a fresh
        directory, stored."""
        ident = artifact_id(kind, recipe)
        with self._locked(kind, ident):  # a second build of it waits, then finds it made
            cached = self.lookup(kind, ident)
            if cached is not None and still_there(cached):
                return cached, False
            return self.store(make(ident, self.fresh_directory(kind, ident))), True

    @contextmanager
    def _locked(self, kind: str, ident: str) -> Iterator[None]:
        """An exclusive lock on one artifact, held while it is looked up and made: two
        isobench processes building the same artifact take turns instead of writing the same
        directory at once. Waiting is the kernel's (flock), released however the holder ends."""
        lock = self.root / kind / f".{ident}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with lock.open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def store(self, artifact: Artifact) -> Artifact:
        directory = self.directory(artifact.kind, artifact.id)
        temporary = directory / f".{RECORD_NAME}.tmp"
        temporary.write_text(json.dumps(artifact.to_json(), indent=2, sort_keys=True) + "\n")
        temporary.replace(directory / RECORD_NAME)
        return artifact
