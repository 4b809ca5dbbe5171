"""Workloads are data: `workloads/<name>/workload.toml`, sources per language, expected output.

Manifest fields (all paths relative to the workload folder):

    name = "fannkuch-redux"          # must equal the folder name
    description = "one line"
    stresses = "what it exercises"   # optional
    [sources]
    c = "main.c"                     # a file or a list of files; the first is compiled
    rust = "main.rs"
    [sizes.<size>]                   # at least `tiny` and `default`
    args = ["10"]
    expected_stdout = "expected/default.stdout"   # or: expected_sha256 = "<64 hex>"
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.errors import IsobenchError

MANIFEST_NAME = "workload.toml"
REQUIRED_SIZES = ("tiny", "default")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


class Language(StrEnum):
    C = "c"
    RUST = "rust"


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    args: tuple[str, ...]
    expected_stdout_sha256: str
    expected_stdout_path: Path | None  # None when the manifest gives the sha256 directly


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    description: str
    stresses: str
    directory: Path
    sources: dict[Language, tuple[Path, ...]]
    sizes: dict[str, Size]

    def size(self, name: str) -> Size:
        try:
            return self.sizes[name]
        except KeyError:
            known = ", ".join(self.sizes)
            raise IsobenchError(
                f"workload {self.name!r} has no size {name!r} (it has: {known})"
            ) from None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Fields:
    """Reads typed fields from a TOML table, naming file and field in every error."""

    def __init__(self, manifest: Path, table: dict[str, Any], prefix: str = "") -> None:
        self.manifest = manifest
        self.table = table
        self.prefix = prefix

    def fail(self, field: str, problem: str) -> IsobenchError:
        return IsobenchError(f"{self.manifest}: field '{self.prefix}{field}': {problem}")

    def optional_string(self, field: str) -> str | None:
        value = self.table.get(field)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"must be a non-empty string, got {value!r}")
        return value

    def string(self, field: str) -> str:
        value = self.optional_string(field)
        if value is None:
            raise self.fail(field, "missing")
        return value

    def sub_table(self, field: str) -> _Fields:
        value = self.table.get(field)
        if value is None:
            raise self.fail(field, "missing table")
        if not isinstance(value, dict):
            raise self.fail(field, f"must be a table, got {type(value).__name__}")
        return _Fields(self.manifest, value, f"{self.prefix}{field}.")

    def existing_file(self, field: str, relative: str) -> Path:
        directory = self.manifest.parent
        path = (directory / relative).resolve()
        if not path.is_relative_to(directory.resolve()):
            raise self.fail(field, f"{relative!r} points outside the workload folder")
        if not path.is_file():
            raise self.fail(field, f"file {relative!r} does not exist")
        return path


def load_workload(directory: Path) -> Workload:
    directory = directory.resolve()
    manifest = directory / MANIFEST_NAME
    try:
        table = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IsobenchError(f"{manifest}: no such manifest") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise IsobenchError(f"{manifest}: not valid TOML: {error}") from None
    fields = _Fields(manifest, table)

    name = fields.string("name")
    if not _NAME.fullmatch(name):
        raise fields.fail("name", f"{name!r} must be lowercase letters, digits and '-'")
    if name != directory.name:
        raise fields.fail("name", f"{name!r} must equal the folder name {directory.name!r}")
    description = fields.string("description")
    stresses = fields.optional_string("stresses") or ""

    return Workload(
        name=name,
        description=description,
        stresses=stresses,
        directory=directory,
        sources=_load_sources(fields.sub_table("sources")),
        sizes=_load_sizes(fields.sub_table("sizes")),
    )


def _load_sources(fields: _Fields) -> dict[Language, tuple[Path, ...]]:
    sources: dict[Language, tuple[Path, ...]] = {}
    for key, value in fields.table.items():
        try:
            language = Language(key)
        except ValueError:
            known = ", ".join(language.value for language in Language)
            raise fields.fail(key, f"unknown language (known: {known})") from None
        files = [value] if isinstance(value, str) else value
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            raise fields.fail(key, "must be a file name or a non-empty list of file names")
        sources[language] = tuple(fields.existing_file(key, f) for f in files)
    if not sources:
        raise fields.fail("", "declares no language")
    return sources


def _load_sizes(fields: _Fields) -> dict[str, Size]:
    sizes: dict[str, Size] = {}
    for size_name in fields.table:
        size_fields = fields.sub_table(size_name)
        args = size_fields.table.get("args")
        if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
            raise size_fields.fail("args", "must be a list of strings (may be empty)")
        sizes[size_name] = Size(size_name, tuple(args), *_expected_output(size_fields))
    for required in REQUIRED_SIZES:
        if required not in sizes:
            raise fields.fail(required, "missing size (every workload needs tiny and default)")
    return sizes


def _expected_output(fields: _Fields) -> tuple[str, Path | None]:
    path_field = fields.optional_string("expected_stdout")
    digest = fields.optional_string("expected_sha256")
    if path_field is not None and digest is None:
        path = fields.existing_file("expected_stdout", path_field)
        return sha256_file(path), path
    if digest is not None and path_field is None:
        if not _SHA256_HEX.fullmatch(digest):
            raise fields.fail("expected_sha256", "must be 64 lowercase hex digits")
        return digest, None
    raise fields.fail("expected_stdout", "give exactly one of expected_stdout, expected_sha256")


def discover(workloads_dir: Path) -> list[Workload]:
    """Every workload folder (one holding a manifest) under `workloads_dir`, sorted by name."""
    if not workloads_dir.is_dir():
        raise IsobenchError(f"{workloads_dir}: workloads folder does not exist")
    return [load_workload(path.parent) for path in sorted(workloads_dir.glob(f"*/{MANIFEST_NAME}"))]


def select(workloads_dir: Path, names: list[str] | None) -> list[Workload]:
    """The named workloads (all of them when `names` is empty), in the order given."""
    if not names:
        found = discover(workloads_dir)
        if not found:
            raise IsobenchError(f"{workloads_dir}: holds no */{MANIFEST_NAME}")
        return found
    chosen = []
    for name in names:
        if not (workloads_dir / name / MANIFEST_NAME).is_file():
            known = ", ".join(w.name for w in discover(workloads_dir))
            raise IsobenchError(f"unknown workload {name!r} in {workloads_dir} (known: {known})")
        chosen.append(load_workload(workloads_dir / name))
    return chosen
