"""The one-way flow: workloads -> build -> targets/measure -> results <- stats <- report, compare,
export; session runs them; cli (parse, configure, render through terminal) and api on top. The
report reads result files only: it can never build or run anything.

Read from the source with `ast`, so a new import against the flow fails here, by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "harness"

ABOVE_THE_LIBRARY = {"session", "terminal", "api", "cli"}
EVERY_LAYER = {"workloads", "build", "targets", "measure", "results", "stats", "report",
               *ABOVE_THE_LIBRARY}  # fmt: skip
# compare, its JSON and export read results files as the report does, never the report itself
BESIDE_THE_REPORT = {"workloads", "build", "targets", "measure", "cgroups", "report",
                     *ABOVE_THE_LIBRARY}  # fmt: skip
# module -> harness modules it must never import
FORBIDDEN = {
    # the records and formats every layer reads: they import none of them
    "header": EVERY_LAYER,
    "records": EVERY_LAYER,
    "units": EVERY_LAYER,
    "names": EVERY_LAYER,
    "workloads": {"build", "targets", "measure", "results", "stats", *ABOVE_THE_LIBRARY},
    "build": {"targets", "measure", "results", "stats", *ABOVE_THE_LIBRARY},
    "targets": {"measure", "results", "stats", *ABOVE_THE_LIBRARY},
    "measure": {"build", "stats", *ABOVE_THE_LIBRARY},
    "results": {"workloads", "build", "targets", "measure", "stats", *ABOVE_THE_LIBRARY},
    # the samples in columns: part of the results layer, beneath results itself (which reads
    # files with it)
    "frame": {"workloads", "build", "targets", "measure", "results", "stats", *ABOVE_THE_LIBRARY},
    "stats": {"build", "targets", "measure", "report", "compare", "export", *ABOVE_THE_LIBRARY},
    "report": {
        "workloads",
        "build",
        "targets",
        "measure",
        "cgroups",
        "compare",
        "export",
        *ABOVE_THE_LIBRARY,
    },
    "compare": BESIDE_THE_REPORT,
    "compare_json": BESIDE_THE_REPORT,
    "export": BESIDE_THE_REPORT,
    # the session runs the library; it neither prints nor renders
    "session": {"report", "terminal", "api", "cli"},
    "terminal": {"report", "api", "cli"},
    "api": {"terminal", "cli"},
}


def harness_imports(path: Path) -> set[str]:
    """First component under `harness.` of every module `path` imports."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "harness" and len(parts) > 1:
                imported.add(parts[1])
    return imported


def sources_of(module: str) -> list[Path]:
    package = HARNESS / module
    return sorted(package.glob("*.py")) if package.is_dir() else [HARNESS / f"{module}.py"]


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_imports_follow_the_one_way_flow(module: str) -> None:
    for path in sources_of(module):
        against_the_flow = harness_imports(path) & FORBIDDEN[module]
        assert not against_the_flow, f"{path.name} imports {sorted(against_the_flow)}"
