"""Workloads are data: `workloads/<name>/workload.toml`, sources per language, expected output.

Manifest fields (all paths relative to the workload folder, which they may not leave):

    name = "fannkuch-redux"          # must equal the folder name
    description = "one line"
    stresses = "what it exercises"   # optional

    [sources]                        # short form: a file, or a list whose first file is the main
    c = "main.c"
    rust = "main.rs"

    [sources.c]                      # long form, C: several files, include folders, defines
    files = ["main.c", "util.c"]
    include_dirs = ["include"]
    defines = ["TABLE_BITS=12"]
    [sources.rust]                   # long form, Rust: files (the first is the crate root) ...
    files = ["main.rs"]
    cargo = "rust"                   # ... or a Cargo package folder (then no `files`)

    [sizes.<size>]                   # at least `tiny` and `default`
    args = ["10", "{input}", "{output}"]  # {input}/{output}: the input and output folders
    stdin = "fixtures/request.http"  # optional: the program's stdin (default: empty)
    input_dir = "fixtures/files"     # optional: read-only folder, its path given as {input}
    expected_stdout = "expected/default.stdout"   # or: expected_sha256 = "<64 hex>"
    expected_exit_code = 0           # optional, default 0
    work_units = 5000000             # optional: the size's amount of work, in the workload's
                                     # own unit (steps, pixels...): throughput fits use it

    [serve]                          # optional: the long-lived form, for the request
    args = ["secret", "--serve"]     # and density scenarios (see Serve)
    requests = ["tiny", "ping"]      # sizes whose stdin is one request

`{output}` in the args asks for a fresh, empty, writable folder per sample.
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
from harness.names import RULE as NAME_RULE
from harness.names import is_name

MANIFEST_NAME = "workload.toml"
REQUIRED_SIZES = ("tiny", "default")
INPUT_PLACEHOLDER = "{input}"
OUTPUT_PLACEHOLDER = "{output}"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DEFINE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(=\S*)?")
_GENERATED_PARTS = {"target", "__pycache__"}  # build and interpreter output, not the workload


class Language(StrEnum):
    C = "c"
    RUST = "rust"


@dataclass(frozen=True, slots=True)
class Sources:
    """One language's sources. Paths are absolute."""

    files: tuple[Path, ...]  # C: every file compiled; Rust: the first is the crate root
    include_dirs: tuple[Path, ...] = ()  # C only
    defines: tuple[str, ...] = ()  # C only: NAME or NAME=VALUE
    cargo_package: Path | None = None  # Rust only: a folder holding Cargo.toml

    def inputs(self) -> list[Path]:
        """Every file whose bytes can change the build: hashed into the artifact id."""
        found = set(self.files)
        if self.files:
            # Headers beside C sources; for Rust, the files `mod` declarations may pull in.
            pattern = {".c": "*.h", ".rs": "*.rs"}.get(self.files[0].suffix)
            if pattern:
                found.update(self.files[0].parent.rglob(pattern))
        for directory in self.include_dirs:
            found.update(p for p in directory.rglob("*") if p.is_file())
        if self.cargo_package is not None:
            found.update(
                p
                for p in self.cargo_package.rglob("*")
                if p.is_file() and "target" not in p.relative_to(self.cargo_package).parts
            )
        return sorted(found)


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    args: tuple[str, ...]
    expected_stdout_sha256: str
    expected_stdout_path: Path | None  # None when the manifest gives the sha256 directly
    expected_exit_code: int = 0
    stdin: Path | None = None
    input_dir: Path | None = None
    work_units: float | None = None

    @property
    def needs_output_dir(self) -> bool:
        return any(OUTPUT_PLACEHOLDER in arg for arg in self.args)


@dataclass(frozen=True, slots=True)
class ServeRequest:
    size: Size  # the one-shot form of the same request
    request: bytes  # the size's stdin
    response: bytes  # the expected answer


@dataclass(frozen=True, slots=True)
class Serve:
    """A workload's long-lived form: run with `args`, it reads requests on stdin framed as a
    decimal byte count, a newline and that many bytes, until stdin ends, and answers each with
    a frame of the same shape. The answer to a request must be exactly what the one-shot
    program prints for the size the request comes from, or `rejected CODE` and a newline for a
    size that expects exit code CODE."""

    args: tuple[str, ...]
    requests: tuple[ServeRequest, ...]

    @staticmethod
    def frame(payload: bytes) -> bytes:
        return b"%d\n" % len(payload) + payload


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    description: str
    stresses: str
    directory: Path
    sources: dict[Language, Sources]
    sizes: dict[str, Size]
    serve: Serve | None = None

    def revision(self) -> str:
        """sha256 over every file of the workload folder (manifest, sources, expected outputs,
        fixtures) with its relative path: results of different revisions are never compared."""
        digest = hashlib.sha256()
        for path in sorted(self.directory.rglob("*")):
            relative = path.relative_to(self.directory)
            if path.is_file() and not _GENERATED_PARTS.intersection(relative.parts):
                digest.update(f"{relative.as_posix()}\0{sha256_file(path)}\n".encode())
        return digest.hexdigest()

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

    def __init__(
        self, manifest: Path, table: dict[str, Any], prefix: str = "", blessing: bool = False
    ) -> None:
        self.manifest = manifest
        self.table = table
        self.prefix = prefix
        self.blessing = blessing  # expected outputs may be missing: `isobench bless` writes them

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

    def string_list(self, field: str, *, allow_empty: bool = True) -> list[str]:
        value = self.table.get(field, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(field, "must be a list of strings")
        if not value and not allow_empty:
            raise self.fail(field, "must not be empty")
        return value

    def sub_table(self, field: str) -> _Fields:
        value = self.table.get(field)
        if value is None:
            raise self.fail(field, "missing table")
        if not isinstance(value, dict):
            raise self.fail(field, f"must be a table, got {type(value).__name__}")
        return _Fields(self.manifest, value, f"{self.prefix}{field}.", self.blessing)

    def reject_unknown(self, known: set[str]) -> None:
        for field in self.table:
            if field not in known:
                raise self.fail(field, f"unknown field (known: {', '.join(sorted(known))})")

    def inside(self, field: str, relative: str) -> Path:
        directory = self.manifest.parent
        path = (directory / relative).resolve()
        if not path.is_relative_to(directory.resolve()):
            raise self.fail(field, f"{relative!r} points outside the workload folder")
        # Built from, these paths become compiler arguments, relative to the folder: a part
        # starting with '-' would be read as an option, '@' as a file of arguments
        if any(part.startswith(("-", "@")) for part in path.relative_to(directory.resolve()).parts):
            raise self.fail(field, f"{relative!r}: a part of it starts with '-' or '@' (it would "
                            "be read as a compiler option or a file of them)")  # fmt: skip
        return path

    def existing_file(self, field: str, relative: str) -> Path:
        path = self.inside(field, relative)
        if not path.is_file():
            raise self.fail(field, f"file {relative!r} does not exist")
        return path

    def existing_dir(self, field: str, relative: str) -> Path:
        path = self.inside(field, relative)
        if not path.is_dir():
            raise self.fail(field, f"folder {relative!r} does not exist")
        return path


def load_workload(directory: Path, *, blessing: bool = False) -> Workload:
    """The workload a folder's manifest describes. `blessing`: its expected_stdout files may be
    missing yet (their sizes then expect nothing: `isobench bless` is about to write them)."""
    directory = directory.resolve()
    manifest = directory / MANIFEST_NAME
    try:
        table = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IsobenchError(f"{manifest}: no such manifest") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise IsobenchError(f"{manifest}: not valid TOML: {error}") from None
    fields = _Fields(manifest, table, blessing=blessing)
    fields.reject_unknown({"name", "description", "stresses", "sources", "sizes", "serve"})

    name = fields.string("name")
    if not is_name(name):
        raise fields.fail("name", f"{name!r} is not a name ({NAME_RULE})")
    if name != directory.name:
        raise fields.fail("name", f"{name!r} must equal the folder name {directory.name!r}")
    sizes = _load_sizes(fields.sub_table("sizes"))
    return Workload(
        name=name,
        description=fields.string("description"),
        stresses=fields.optional_string("stresses") or "",
        directory=directory,
        sources=_load_sources(fields.sub_table("sources")),
        sizes=sizes,
        serve=_load_serve(fields.sub_table("serve"), sizes) if "serve" in table else None,
    )


def _load_serve(fields: _Fields, sizes: dict[str, Size]) -> Serve:
    fields.reject_unknown({"args", "requests"})
    if "args" not in fields.table:
        raise fields.fail("args", "missing")
    requests = []
    for name in fields.string_list("requests", allow_empty=False):
        size = sizes.get(name)
        if size is None:
            raise fields.fail("requests", f"{name!r} is not a size (sizes: {', '.join(sizes)})")
        if size.stdin is None:
            raise fields.fail("requests", f"size {name!r} has no stdin to send as a request")
        if size.expected_exit_code:
            response = b"rejected %d\n" % size.expected_exit_code
        elif size.expected_stdout_path is not None and size.expected_stdout_path.is_file():
            response = size.expected_stdout_path.read_bytes()
        elif size.expected_stdout_path is not None and fields.blessing:
            response = b""  # not blessed yet
        else:
            raise fields.fail("requests", f"size {name!r} needs an expected_stdout file")
        requests.append(ServeRequest(size, size.stdin.read_bytes(), response))
    return Serve(tuple(fields.string_list("args")), tuple(requests))


def _load_sources(fields: _Fields) -> dict[Language, Sources]:
    sources: dict[Language, Sources] = {}
    for key, value in fields.table.items():
        try:
            language = Language(key)
        except ValueError:
            known = ", ".join(language.value for language in Language)
            raise fields.fail(key, f"unknown language (known: {known})") from None
        if isinstance(value, dict):
            sources[language] = _long_form(fields.sub_table(key), language)
            continue
        files = [value] if isinstance(value, str) else value
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            raise fields.fail(key, "must be a file name, a non-empty list of them, or a table")
        sources[language] = Sources(tuple(fields.existing_file(key, f) for f in files))
    if not sources:
        raise fields.fail("", "declares no language")
    return sources


def _long_form(fields: _Fields, language: Language) -> Sources:
    if language is Language.RUST:
        fields.reject_unknown({"files", "cargo"})
        cargo = fields.optional_string("cargo")
        files = fields.string_list("files")
        if (cargo is None) == (not files):
            raise fields.fail("files", "give exactly one of files, cargo")
        if cargo is not None:
            package = fields.existing_dir("cargo", cargo)
            if not (package / "Cargo.toml").is_file():
                raise fields.fail("cargo", f"{cargo!r} holds no Cargo.toml")
            return Sources((), cargo_package=package)
        return Sources(tuple(fields.existing_file("files", f) for f in files))
    fields.reject_unknown({"files", "include_dirs", "defines"})
    files = fields.string_list("files", allow_empty=False)
    defines = fields.string_list("defines")
    for define in defines:
        if not _DEFINE.fullmatch(define):
            raise fields.fail("defines", f"{define!r} is not NAME or NAME=VALUE")
    return Sources(
        files=tuple(fields.existing_file("files", f) for f in files),
        include_dirs=tuple(
            fields.existing_dir("include_dirs", d) for d in fields.string_list("include_dirs")
        ),
        defines=tuple(defines),
    )


def _load_sizes(fields: _Fields) -> dict[str, Size]:
    sizes: dict[str, Size] = {}
    for size_name in fields.table:
        if not is_name(size_name):
            raise fields.fail(size_name, f"{size_name!r} is not a size name ({NAME_RULE})")
        size_fields = fields.sub_table(size_name)
        size_fields.reject_unknown(
            {"args", "stdin", "input_dir", "expected_stdout", "expected_sha256",
             "expected_exit_code", "work_units"}
        )  # fmt: skip
        if "args" not in size_fields.table:
            raise size_fields.fail("args", "missing (an empty list is fine)")
        args = size_fields.string_list("args")
        stdin = size_fields.optional_string("stdin")
        input_dir = size_fields.optional_string("input_dir")
        input_path = size_fields.existing_dir("input_dir", input_dir) if input_dir else None
        if input_path is None and any(INPUT_PLACEHOLDER in arg for arg in args):
            raise size_fields.fail("args", f"uses {INPUT_PLACEHOLDER} but there is no input_dir")
        exit_code = size_fields.table.get("expected_exit_code", 0)
        valid = isinstance(exit_code, int) and not isinstance(exit_code, bool)
        if not valid or not 0 <= exit_code < 126:
            raise size_fields.fail("expected_exit_code", "must be an integer in 0..125")
        units = size_fields.table.get("work_units")
        if units is not None and (
            isinstance(units, bool) or not isinstance(units, int | float) or units <= 0
        ):
            raise size_fields.fail("work_units", "must be a positive number")
        digest, expected_path = _expected_output(size_fields)
        sizes[size_name] = Size(
            name=size_name,
            args=tuple(args),
            expected_stdout_sha256=digest,
            expected_stdout_path=expected_path,
            expected_exit_code=exit_code,
            stdin=size_fields.existing_file("stdin", stdin) if stdin else None,
            input_dir=input_path,
            work_units=float(units) if units is not None else None,
        )
    for required in REQUIRED_SIZES:
        if required not in sizes:
            raise fields.fail(required, "missing size (every workload needs tiny and default)")
    return sizes


def _expected_output(fields: _Fields) -> tuple[str, Path | None]:
    path_field = fields.optional_string("expected_stdout")
    digest = fields.optional_string("expected_sha256")
    if path_field is not None and digest is None:
        if fields.blessing:
            path = fields.inside("expected_stdout", path_field)
            return (sha256_file(path) if path.is_file() else ""), path
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
        if not is_name(name):
            raise IsobenchError(f"workload {name!r}: not a workload name ({NAME_RULE})")
        if not (workloads_dir / name / MANIFEST_NAME).is_file():
            known = ", ".join(w.name for w in discover(workloads_dir))
            raise IsobenchError(f"unknown workload {name!r} in {workloads_dir} (known: {known})")
        chosen.append(load_workload(workloads_dir / name))
    return chosen
