"""Suites are plain lists, in `workloads/suites.toml`:

    [default]
    description = "what it is for"
    workloads = ["noop", "nbody"]   # or "*": every workload folder
    sizes = ["default"]

`isobench run --suite NAME` runs each listed workload at each listed size; -w and -s override.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.errors import IsobenchError
from harness.names import RULE as NAME_RULE
from harness.names import is_name
from harness.workloads import MANIFEST_NAME, Workload, discover, select

SUITES_FILE = "suites.toml"
ALL_WORKLOADS = "*"


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    description: str
    workloads: tuple[Workload, ...]
    sizes: tuple[str, ...]


def _suite_fields(path: Path, name: str, suite: object) -> tuple[list[str] | str, list[str], str]:
    """A suite's workloads (names, or "*"), sizes and description, each checked."""
    if not isinstance(suite, dict):
        raise IsobenchError(f"{path}: field '{name}': a table ([{name}] with workloads, sizes "
                            "and description)")  # fmt: skip

    def field(key: str) -> object:
        if key not in suite:
            raise IsobenchError(f"{path}: field '{name}.{key}': missing")
        return suite[key]

    names, sizes, description = field("workloads"), field("sizes"), field("description")
    if names != ALL_WORKLOADS and not (
        isinstance(names, list) and names and all(isinstance(n, str) for n in names)
    ):
        raise IsobenchError(f"{path}: field '{name}.workloads': a list of names, or \"*\"")
    if not (isinstance(sizes, list) and sizes and all(isinstance(s, str) for s in sizes)):
        raise IsobenchError(f"{path}: field '{name}.sizes': a non-empty list of size names")
    if not isinstance(description, str):
        raise IsobenchError(f"{path}: field '{name}.description': must be a string")
    for listed in [*(names if isinstance(names, list) else []), *sizes]:
        if not is_name(listed):
            raise IsobenchError(f"{path}: field '{name}': {listed!r} is not a name ({NAME_RULE})")
    return names, sizes, description


def load_suite(workloads_dir: Path, name: str) -> Suite:
    path = workloads_dir / SUITES_FILE
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IsobenchError(f"{path}: no suites file (needed for --suite {name})") from None
    except tomllib.TOMLDecodeError as error:
        raise IsobenchError(f"{path}: not valid TOML: {error}") from None
    if name not in table:
        raise IsobenchError(f"{path}: no suite {name!r} (it has: {', '.join(table)})")
    names, sizes, description = _suite_fields(path, name, table[name])
    for listed in names if isinstance(names, list) else []:
        if not (workloads_dir / listed / MANIFEST_NAME).is_file():
            raise IsobenchError(f"{path}: field '{name}.workloads': no workload {listed!r}")
    workloads = select(workloads_dir, names) if isinstance(names, list) else discover(workloads_dir)
    for workload in workloads:
        for size in sizes:
            if size not in workload.sizes:
                raise IsobenchError(
                    f"{path}: field '{name}.sizes': workload {workload.name!r} has no size {size!r}"
                )
    return Suite(name, description, tuple(workloads), tuple(sizes))
