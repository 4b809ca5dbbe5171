"""Published figures come from the code that ships: the committed example run, and the report
rendered from it, were measured by the code's current measurement revision (a hash of the files
that decide what is measured). Change what is measured, and this fails until the example is
measured again and the README's figures taken from it."""

from __future__ import annotations

import re

from harness.measure import measurement_revision
from harness.results import read_results
from tests.conftest import PROJECT_ROOT

EXAMPLE_RESULTS = PROJECT_ROOT / "results" / "example"
EXAMPLE_REPORT = PROJECT_ROOT / "reports" / "example.html"


def test_the_committed_example_was_measured_by_the_code_that_ships() -> None:
    (path,) = EXAMPLE_RESULTS.glob("*.jsonl")
    recorded = read_results(path).header.measurement_revision
    assert recorded == measurement_revision(), (
        f"{path.name} was measured by revision {recorded}, the code is at "
        f"{measurement_revision()}: run the README's main command again, commit its results as "
        "the example, re-render reports/example.html and update the README's figures"
    )


def test_the_example_report_shows_that_very_run_and_revision() -> None:
    (path,) = EXAMPLE_RESULTS.glob("*.jsonl")
    html = EXAMPLE_REPORT.read_text(encoding="utf-8")
    assert f"<code>{measurement_revision()}</code>" in html
    assert path.stem in html  # the run id
    assert re.search(rf'href="[^"]*{re.escape(path.name)}"', html)  # it links the raw file
