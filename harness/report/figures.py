"""The report's plots: matplotlib figures written as inline SVG text.

No pyplot (no global figure state): each plot is a `Figure` of its own. The SVG is made
deterministic (fixed hash salt for ids, no date), keeps text as text (small, searchable, no
embedded font), and loses its XML prolog so it can sit inside the HTML.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cbook import boxplot_stats
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
from matplotlib.transforms import ScaledTranslation

from harness.report.model import (
    CrossHostRow,
    Ratio,
    Run,
    phase_medians,
    shown_size,
    wall_phases,
)
from harness.results import BASELINE_VARIANT, FLOOR_WORKLOAD
from harness.scopes import IN_HOST
from harness.stats import NO_VALUES, FloatArray, Summary, variant_order

# One colour per variant, the same in every plot (Okabe-Ito: readable with colour blindness).
PALETTE = ["#000000", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
PHASE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
ROW_INCHES = 0.22  # a box or a bar
BAR_ROW_INCHES = 0.2  # a stacked bar of the startup phases
DOT_ROW_INCHES = 0.3  # a workload build's dots, one per variant
CHAR_INCHES = 0.065  # the width of an average character of an 8-point label
WIDTH_INCHES = 7.5
_PROLOG = re.compile(r"\A.*?(?=<svg)", re.DOTALL)
_RC: dict[Any, Any] = {
    "svg.hashsalt": "isobench",  # ids from content, not from a random salt
    "svg.fonttype": "none",  # text stays text
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.parse_math": False,  # a label is text: "$" in a host name is not mathtext
}


def variant_colours(variants: list[str]) -> dict[str, str]:
    ordered = sorted(set(variants), key=variant_order)
    return {variant: PALETTE[index % len(PALETTE)] for index, variant in enumerate(ordered)}


@contextmanager
def styled() -> Iterator[None]:
    """The figures' matplotlib settings, for drawing one and writing it."""
    with mpl.rc_context(_RC), warnings.catch_warnings():
        # A label in a script DejaVu lacks: the SVG keeps it as text and the browser draws it;
        # only matplotlib's width estimate is off. Not worth a warning per figure.
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
        yield


def _margins(figure: Figure, labels: Iterable[str], *, top_inches: float = 0.15,
             hspace: float = 0.2) -> None:  # fmt: skip
    """Fixed margins from the longest y label: a layout engine would draw every figure twice
    (constrained layout doubled the time of a 100 000-sample report)."""
    width, height = figure.get_size_inches()
    longest = max((len(label) for label in labels), default=0)
    left_inches = min(0.25 + CHAR_INCHES * longest, width * 0.55)
    figure.subplots_adjust(
        left=left_inches / width,
        right=1 - 0.25 / width,
        top=1 - top_inches / height,
        bottom=0.5 / height,
        hspace=hspace,
    )


def _row_labels(ax: Axes, positions: Iterable[float], labels: Iterable[str]) -> None:
    """Each row's label left of the axes, as one text: a y tick per row (five artists each,
    laid out twice) took half the drawing time of a 100-row figure (0.24 -> 0.12 s)."""
    ax.set_yticks([])
    # x in axes fraction, y in data, moved left by a tick's length and padding (7 points)
    beside = ax.get_yaxis_transform() + ScaledTranslation(-7 / 72, 0, ax.figure.dpi_scale_trans)
    for position, label in zip(positions, labels, strict=True):
        ax.text(0, position, label, transform=beside, ha="right", va="center")


def to_svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _PROLOG.sub("", buffer.getvalue(), count=1)


def startup_phases(run: Run) -> str | None:
    with styled():
        figure = startup_figure(run)
        return None if figure is None else to_svg(figure)


def startup_figure(run: Run) -> Figure | None:
    """Stacked phase bars of the noop workload: one panel per variant (each its own scale:
    a container's start and a process spawn differ a hundredfold), a bar per state and language.
    Only the phases inside wall time are stacked; the others are listed in the table. Made
    (and then drawn) inside `styled()`."""
    medians = phase_medians(run, FLOOR_WORKLOAD)
    if not medians:
        return None
    variants = sorted({variant for variant, _, _ in medians}, key=variant_order)
    bars = {variant: sorted(key for key in medians if key[0] == variant) for variant in variants}
    labels = {variant: [f"{state} ({language})" for _, state, language in bars[variant]]
              for variant in variants}  # fmt: skip
    # each panel as tall as its bars, with room above it for its title and legend
    panel_inches = [BAR_ROW_INCHES * len(bars[variant]) for variant in variants]
    gap_inches = 0.5
    height_inches = 0.6 + sum(panel_inches) + gap_inches * len(variants)
    figure = Figure(figsize=(WIDTH_INCHES, height_inches))
    axes = figure.subplots(len(variants), 1, squeeze=False,
                           gridspec_kw={"height_ratios": panel_inches})[:, 0]  # fmt: skip
    for ax, variant in zip(axes, variants, strict=True):
        # a panel's own colours and legend: the phases of a container and of a wasm
        # instance differ, and one palette across all of them repeats its colours
        phase_colour: dict[str, str] = {}
        for row, (_, state, language) in enumerate(bars[variant]):
            recorded = list(medians[(variant, state, language)])
            left = 0.0
            for phase in wall_phases(run, variant, state, recorded):
                width = medians[(variant, state, language)][phase] / 1e6
                colour = phase_colour.setdefault(
                    phase, PHASE_COLOURS[len(phase_colour) % len(PHASE_COLOURS)]
                )
                ax.barh(row, width, left=left, color=colour, height=0.6, label=phase)
                left += width
            ax.text(left, row, f" {left:.3g} ms", va="center", fontsize=7)
        _row_labels(ax, range(len(labels[variant])), labels[variant])
        ax.set_title(variant, loc="left", fontsize=8, fontweight="bold")
        ax.set_ylim(-0.6, len(bars[variant]) - 0.4)
        ax.set_xlim(0, ax.get_xlim()[1] * 1.15)
        _dedup_legend(ax, loc="lower right", bbox_to_anchor=(1, 1), ncols=len(phase_colour),
                      frameon=False, borderaxespad=0.2)  # fmt: skip
    axes[-1].set_xlabel("median ms, phases inside wall time stacked (noop workload)")
    _margins(
        figure,
        [label for panel in labels.values() for label in panel],
        top_inches=gap_inches,
        hspace=gap_inches / (sum(panel_inches) / len(variants)),
    )
    return figure


def _log_axis(ax: Axes, label: str) -> None:
    """A log x axis labelled in plain numbers (0.5, 1, 2, 5, 10 ...), not powers of ten."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())  # unlabelled minor ticks cost draw time, say nothing
    ax.set_xlabel(label)
    ax.grid(axis="x", which="major", color="#e4e4e4", linewidth=0.5)


def _ratio_axis(ax: Axes, label: str) -> None:
    _log_axis(ax, label)
    ax.axvline(1.0, color="#888888", linewidth=0.8)


def throughput_ratios(run: Run) -> str | None:
    """Compute time net of startup as a ratio to native, with its interval, per workload build
    and variant, in the verdict's state."""
    rows = [
        s
        for s in run.summaries
        if run.in_verdict_state(s)
        and s.variant != BASELINE_VARIANT
        and s.net_ratio is not None
        and s.net_ratio > 0
        and s.size == shown_size(run.summaries, s.workload)
    ]
    if not rows:
        return None
    labels, series = _dot_rows(rows)
    colours = variant_colours(run.variants)
    with styled():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + DOT_ROW_INCHES * len(labels)))
        ax = figure.subplots()
        nudge = 0.25 * DOT_ROW_INCHES / len(series)  # the CPU diamond just below its circle
        for variant, cells, positions in series:
            ratios = [Ratio(s.net_ratio, s.net_ratio_ci) for s in cells]
            _dots_with_intervals(ax, ratios, positions, colour=colours[variant], label=variant)
            cpu = [(Ratio(s.cpu.net, s.cpu.net_interval), position - nudge)
                   for s, position in zip(cells, positions, strict=True)
                   if s.cpu.net is not None and s.cpu.net > 0]  # fmt: skip
            if cpu:
                _dots_with_intervals(ax, [r for r, _ in cpu], [y for _, y in cpu],
                                     colour=colours[variant], label=f"{variant} (CPU)",
                                     marker="d")  # fmt: skip
        names = [f"{w} ({lang})" for w, lang in labels]
        _row_labels(ax, range(len(names)), names)
        _ratio_axis(ax, "compute time net of startup / native, wall (o) and CPU (◆) "
                        "(log scale; 1 = as fast as native)")  # fmt: skip
        _dedup_legend(ax)
        _margins(figure, names)
        return to_svg(figure)


def _dot_rows(
    rows: list[Summary],
) -> tuple[list[tuple[str, str]], list[tuple[str, list[Summary], list[float]]]]:
    """A row per workload build (workload, language), top to bottom by name, and per variant
    its cells with their y positions: the variants side by side within each row."""
    labels = sorted({(s.workload, s.language) for s in rows}, reverse=True)
    variants = sorted({s.variant for s in rows}, key=variant_order)
    step = 0.8 / len(variants)
    series = []
    for index, variant in enumerate(variants):
        cells = [s for s in rows if s.variant == variant]
        offset = (index - (len(variants) - 1) / 2) * step
        positions = [labels.index((s.workload, s.language)) + offset for s in cells]
        series.append((variant, cells, positions))
    return labels, series


def _dots_with_intervals(
    ax: Axes, ratios: list[Ratio], positions: list[float], *, colour: str, label: str,
    marker: str = "o",
) -> None:  # fmt: skip
    """One errorbar artist for a whole series (one per point made a big report slow)."""
    values = [r.value or 0.0 for r in ratios]
    lows = [v - (r.interval[0] if r.interval else v) for v, r in zip(values, ratios, strict=True)]
    highs = [(r.interval[1] if r.interval else v) - v for v, r in zip(values, ratios, strict=True)]
    ax.errorbar(values, positions, xerr=[lows, highs], fmt=marker, color=colour, markersize=3,
                capsize=2, linewidth=1, label=label)  # fmt: skip


def _dedup_legend(ax: Axes, **placement: Any) -> None:
    """A legend entry per label (a series drawn in several calls repeats its label), placed
    where matplotlib finds room unless `placement` says."""
    handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    options: dict[str, Any] = {"loc": "best", "fontsize": 7} | placement
    ax.legend(handles.values(), handles.keys(), **options)


def distributions(run: Run) -> str | None:
    """Box plots of every ok sample's wall time over the native median of the same workload
    build (verdict state): the spread behind each median. Boxes span the quartiles, whiskers
    reach the furthest sample within 1.5 IQR (matplotlib's boxplot_stats), no fliers. Drawn as
    three collections, not as hundreds of artists: a big run's report stays quick."""
    labels: list[str] = []
    values: list[FloatArray] = []
    colours: list[str] = []
    by_variant = variant_colours(run.variants)
    order = sorted(run.cells.rows,
                   key=lambda k: (k.workload, k.language, variant_order(k.variant)),
                   reverse=True)  # fmt: skip
    for key in order:
        if key.state != run.verdict_state(key.variant) or key.size != shown_size(
            run.summaries, key.workload
        ):
            continue
        base = run.cells.walls.get(key.baseline, NO_VALUES)
        walls = run.cells.walls[key]
        if not len(base) or not len(walls):
            continue
        labels.append(f"{key.workload} ({key.language}) {key.variant}")
        values.append(walls / np.median(base))
        colours.append(by_variant[key.variant])
    if not labels:
        return None
    stats = boxplot_stats(values)
    half = 0.3
    with styled():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + ROW_INCHES * len(labels)))
        ax = figure.subplots()
        ax.add_collection(
            LineCollection(
                [segment for row, s in enumerate(stats)
                 for segment in (((s["whislo"], row), (s["q1"], row)),
                                 ((s["q3"], row), (s["whishi"], row)))],
                colors="#333333", linewidths=0.8,
            )
        )  # fmt: skip
        ax.add_collection(
            PolyCollection(
                [((s["q1"], row - half), (s["q3"], row - half), (s["q3"], row + half),
                  (s["q1"], row + half)) for row, s in enumerate(stats)],
                facecolors=colours, edgecolors="#333333", linewidths=0.6, alpha=0.6,
            )
        )  # fmt: skip
        ax.add_collection(
            LineCollection(
                [((s["med"], row - half), (s["med"], row + half)) for row, s in enumerate(stats)],
                colors="#000000", linewidths=1.2,
            )
        )  # fmt: skip
        ax.autoscale_view()
        _row_labels(ax, range(len(labels)), labels)
        ax.set_ylim(-0.7, len(labels) - 0.3)
        _ratio_axis(ax, "wall time / native median (log scale), every ok sample")
        _margins(figure, labels)
        return to_svg(figure)


def memory_peaks(run: Run) -> str | None:
    """Median peak memory per instance, per workload build and variant (verdict state), on a log
    scale: peaks run from a fraction of a MiB to hundreds."""
    rows = [
        s
        for s in run.summaries
        if s.median_peak_memory_bytes is not None
        and s.size == shown_size(run.summaries, s.workload)
        and run.in_verdict_state(s)
    ]
    if not rows:
        return None
    labels, series = _dot_rows(rows)
    colours = variant_colours(run.variants)
    with styled():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + DOT_ROW_INCHES * len(labels)))
        ax = figure.subplots()
        for variant, cells, positions in series:
            marginal = run.instance(variant) == IN_HOST  # what an instance adds to its host
            ax.plot(
                [(s.median_peak_memory_bytes or 0) / 2**20 for s in cells],
                positions,
                "o",
                markersize=4,
                color=colours[variant],
                markerfacecolor="none" if marginal else colours[variant],
                label=f"{variant} (marginal)" if marginal else variant,
            )
        resolution = run.memory_resolution
        if resolution:
            low = min(ax.get_xlim()[0], resolution / 2**20 / 4)
            ax.axvspan(low, resolution / 2**20, color="#dddddd", alpha=0.6, linewidth=0,
                       label="below resolution")  # fmt: skip
            ax.set_xlim(left=low)
        names = [f"{w} ({lang})" for w, lang in labels]
        _row_labels(ax, range(len(names)), names)
        _log_axis(ax, "median peak memory per instance, MiB, log scale (scopes: see Method)")
        ax.legend(fontsize=7, loc="best")
        _margins(figure, names)
        return to_svg(figure)


def cross_host(rows: list[CrossHostRow], labels: list[str]) -> str | None:
    """Each host's ratio to native, side by side, for every cell the hosts share."""
    shown = [row for row in rows if any(r.value for r in row.per_host)]
    if not shown:
        return None
    names = [f"{r.workload} ({r.language}) {r.variant} {r.state}" for r in shown][::-1]
    with styled():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + ROW_INCHES * len(shown) * len(labels)))
        ax = figure.subplots()
        step = 0.8 / len(labels)
        for index, label in enumerate(labels):
            offset = (index - (len(labels) - 1) / 2) * step
            points = [
                (row.per_host[index], position + offset)
                for position, row in enumerate(shown[::-1])
                if (row.per_host[index].value or 0) > 0
            ]
            _dots_with_intervals(
                ax,
                [ratio for ratio, _ in points],
                [position for _, position in points],
                colour=PALETTE[(index + 1) % len(PALETTE)],
                label=label,
                marker="os^Dv"[index % 5],
            )
        _row_labels(ax, range(len(names)), names)
        _ratio_axis(ax, "ratio to native on the same host (noop: startup; others: net of startup)")
        _dedup_legend(ax)
        _margins(figure, names)
        return to_svg(figure)


def _plain(value: float) -> str:
    """3 significant figures, never in exponent form: 0.512, 15.4, 986, 21,845."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _bars(rows: list[tuple[str, str, float]], axis_label: str) -> str | None:
    """Horizontal bars on a log axis, one per (label, variant, value), coloured by variant: the
    scenario figures, whose values span three orders of magnitude between variants."""
    rows = [row for row in rows if row[2] > 0]
    if not rows:
        return None
    colours = variant_colours([variant for _, variant, _ in rows])
    with styled():
        figure = Figure(figsize=(WIDTH_INCHES, 0.7 + ROW_INCHES * len(rows)))
        ax = figure.subplots()
        positions = range(len(rows))
        values = [value for _, _, value in rows]
        ax.barh(positions, values, height=0.6, color=[colours[v] for _, v, _ in rows])
        for position, value in zip(positions, values, strict=True):
            ax.text(value, position, f" {_plain(value)}", va="center", fontsize=7)
        _row_labels(ax, positions, [label for label, _, _ in rows])
        ax.invert_yaxis()  # the first row on top, as in the table
        _log_axis(ax, axis_label)
        ax.set_xlim(min(values) / 2, max(values) * 4)
        _margins(figure, [label for label, _, _ in rows])
        return to_svg(figure)


def instances_per_gib(run: Run) -> str | None:
    """Density: instances per GiB at the largest K every batch reached, from PSS."""
    rows = [
        (f"{summary.variant} ({summary.language}) K={step.instances}", summary.variant,
         step.instances_per_gib or 0.0)
        for summary in run.densities
        if (step := summary.largest) is not None
    ]  # fmt: skip
    return _bars(rows, "idle webhook instances per GiB of host memory (PSS), log scale")


def rates(run: Run, scenario: str, unit: str) -> str | None:
    """Start rate or requests: the median of the batches' rates, per variant and mode."""
    rows = [
        (f"{rate.subject} ({rate.language}) {rate.mode}"
         + (f" x{rate.concurrency}" if rate.concurrency > 1 else ""), rate.variant,
         rate.per_second or 0.0)
        for rate in run.rates_of(scenario)
    ]  # fmt: skip
    return _bars(rows, f"{unit} per second (median of batches), log scale")
