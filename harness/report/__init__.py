"""`isobench report`: one self-contained HTML file from results files.

results files -> model (summaries, ratios, cross-host comparisons) -> figures (inline SVG) ->
Jinja2 template (autoescaped: every string from a results file is escaped). Nothing is fetched
and nothing is run; the same files give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from harness import __version__, units
from harness.errors import IsobenchError
from harness.report import figures
from harness.report.model import Report, build_report, load_runs
from harness.results import read_results, with_emulated_labelled
from harness.stats import CONFIDENCE


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(ms=units.ms, bytes=units.size, precision=units.precision_text)
    return environment


def render(report: Report) -> str:
    runs = report.runs
    context: dict[str, Any] = {
        "report": report,
        "has_scenarios": any(run.densities or run.rates for run in runs),
        "version": __version__,
        "confidence": CONFIDENCE,
        "figures": {
            run.label: {
                "startup": figures.startup_phases(run),
                "throughput": figures.throughput_ratios(run),
                "distributions": figures.distributions(run),
                "memory": figures.memory_peaks(run),
                "density": figures.instances_per_gib(run),
                "start_rate": figures.rates(run, "start-rate", "instance starts"),
                "requests": figures.rates(run, "requests", "requests"),
            }
            for run in runs
        },
        "cross_host_figure": figures.cross_host(report.cross_host, [run.label for run in runs])
        if report.cross_host
        else None,
    }
    return _environment().get_template("report.html.j2").render(context)


def write_report(result_paths: list[Path], output: Path, *, include_emulated: bool = False) -> Path:
    """Render the report of `result_paths` to `output`, written whole or not at all.
    `include_emulated`: emulated samples enter the figures as variants of their own, labelled
    "(emulated)" (by default they are only counted, in Quality)."""
    results = [read_results(path) for path in result_paths]
    if include_emulated:
        results = [with_emulated_labelled(result) for result in results]
    runs = load_runs(results, output)
    html = render(build_report(runs))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(f".{output.name}.partial")
        partial.write_text(html, encoding="utf-8")
        partial.replace(output)
    except OSError as error:
        raise IsobenchError(f"{output}: cannot write the report: {error.strerror}") from None
    return output
