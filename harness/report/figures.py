"""The report's plots: matplotlib figures written as inline SVG text.

No pyplot (no global figure state): each plot is a `Figure` of its own. The SVG is made
deterministic (fixed hash salt for ids, no date), keeps text as text (small, searchable, no
embedded font), and loses its XML prolog so it can sit inside the HTML.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from harness.report.model import (
    VERDICT_STATE,
    CrossHostRow,
    Run,
    phase_medians,
    shown_size,
    wall_phases,
)
from harness.stats import (
    BASELINE_STATE,
    BASELINE_VARIANT,
    FLOOR_WORKLOAD,
    counts,
    variant_order,
)

# One colour per variant, the same in every plot (Okabe-Ito: readable with colour blindness).
PALETTE = ["#000000", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
PHASE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
ROW_INCHES = 0.22  # a box or a bar
DOT_ROW_INCHES = 0.3  # a workload build's dots, one per variant
WIDTH_INCHES = 7.5
_PROLOG = re.compile(r"\A.*?(?=<svg)", re.DOTALL)
_RC: dict[Any, Any] = {
    "svg.hashsalt": "isobench",  # ids from content, not from a random salt
    "svg.fonttype": "none",  # text stays text
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def variant_colours(variants: list[str]) -> dict[str, str]:
    ordered = sorted(set(variants), key=variant_order)
    return {variant: PALETTE[index % len(PALETTE)] for index, variant in enumerate(ordered)}


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(_RC):
        yield


def to_svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return _PROLOG.sub("", buffer.getvalue(), count=1)


def startup_phases(run: Run) -> str | None:
    """Stacked phase bars of the noop workload: one panel per variant (each its own scale:
    a container's start and a process spawn differ a hundredfold), a bar per state and language.
    Only the phases inside wall time are stacked; the others are listed in the table."""
    medians = phase_medians(run, FLOOR_WORKLOAD)
    if not medians:
        return None
    variants = sorted({variant for variant, _, _ in medians}, key=variant_order)
    with _style():
        figure = Figure(figsize=(WIDTH_INCHES, 0.5 + 1.1 * len(variants)))
        axes = figure.subplots(len(variants), 1, squeeze=False)[:, 0]
        phase_colour: dict[str, str] = {}
        for ax, variant in zip(axes, variants, strict=True):
            bars = sorted(key for key in medians if key[0] == variant)
            for row, (_, state, language) in enumerate(bars):
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
            ax.set_yticks(
                range(len(bars)), [f"{state} ({language})" for _, state, language in bars]
            )
            ax.set_title(variant, loc="left", fontsize=8, fontweight="bold")
            ax.set_xlim(0, ax.get_xlim()[1] * 1.15)
        axes[-1].set_xlabel("median ms, phases inside wall time stacked (noop workload)")
        handles = {
            label: handle
            for ax in axes
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)
        }
        figure.legend(
            handles.values(), handles.keys(), loc="outside upper right", ncols=len(handles)
        )
        figure.set_layout_engine("constrained")
        return to_svg(figure)


def _log_axis(ax: Axes, label: str) -> None:
    """A log x axis labelled in plain numbers (0.5, 1, 2, 5, 10 ...), not powers of ten."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
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
        if s.state == VERDICT_STATE
        and s.variant != BASELINE_VARIANT
        and s.net_ratio is not None
        and s.net_ratio > 0
        and s.size == shown_size(run.summaries, s.workload)
    ]
    if not rows:
        return None
    labels = sorted({(s.workload, s.language) for s in rows}, reverse=True)
    variants = sorted({s.variant for s in rows}, key=variant_order)
    colours = variant_colours(run.variants)
    with _style():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + DOT_ROW_INCHES * len(labels)))
        ax = figure.subplots()
        step = 0.8 / len(variants)
        for index, variant in enumerate(variants):
            for s in rows:
                if s.variant != variant or s.net_ratio is None:
                    continue
                y = (
                    labels.index((s.workload, s.language))
                    + (index - (len(variants) - 1) / 2) * step
                )
                low, high = s.net_ratio_ci or (s.net_ratio, s.net_ratio)
                ax.errorbar(
                    s.net_ratio,
                    y,
                    xerr=[[s.net_ratio - low], [high - s.net_ratio]],
                    fmt="o",
                    color=colours[variant],
                    markersize=3,
                    capsize=2,
                    linewidth=1,
                    label=variant,
                )
        ax.set_yticks(range(len(labels)), [f"{w} ({lang})" for w, lang in labels])
        _ratio_axis(ax, "compute time net of startup / native (log scale; 1 = as fast as native)")
        _dedup_legend(ax)
        figure.set_layout_engine("constrained")
        return to_svg(figure)


def _dedup_legend(ax: Axes) -> None:
    handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    ax.legend(handles.values(), handles.keys(), loc="best", fontsize=7)


def distributions(run: Run) -> str | None:
    """Box plots of every ok sample's wall time over the native median of the same workload
    build (verdict state): the spread behind each median. Whiskers at 1.5 IQR, no fliers."""
    boxes: list[tuple[str, list[float], str]] = []
    colours = variant_colours(run.variants)
    for key, group in sorted(
        run.groups.items(),
        key=lambda item: (item[0][0], item[0][1], variant_order(item[0][2])),
        reverse=True,
    ):
        workload, language, variant, size, profile, state = key
        if state != VERDICT_STATE and variant != BASELINE_VARIANT:
            continue
        if variant == BASELINE_VARIANT and state != BASELINE_STATE:
            continue
        if size != shown_size(run.summaries, workload):
            continue
        baseline = run.groups.get(
            (workload, language, BASELINE_VARIANT, size, profile, BASELINE_STATE)
        )
        base = [s.wall_ns for s in baseline or [] if counts(s) and s.wall_ns]
        walls = [s.wall_ns for s in group if counts(s) and s.wall_ns]
        if not base or not walls:
            continue
        median = statistics.median(base)
        boxes.append(
            (f"{workload} ({language}) {variant}", [w / median for w in walls], colours[variant])
        )
    if not boxes:
        return None
    with _style():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + ROW_INCHES * len(boxes)))
        ax = figure.subplots()
        parts = ax.boxplot(
            [values for _, values, _ in boxes],
            orientation="horizontal",
            showfliers=False,
            widths=0.6,
            patch_artist=True,
            tick_labels=[label for label, _, _ in boxes],
        )
        for patch, (_, _, colour) in zip(parts["boxes"], boxes, strict=True):
            patch.set_facecolor(colour)
            patch.set_alpha(0.45)
        for line in parts["medians"]:
            line.set_color("#000000")
        _ratio_axis(ax, "wall time / native median (log scale), every ok sample")
        figure.set_layout_engine("constrained")
        return to_svg(figure)


def memory_peaks(run: Run) -> str | None:
    """Median peak memory per instance, per workload build and variant (verdict state), on a log
    scale: peaks run from a fraction of a MiB to hundreds."""
    rows = [
        s
        for s in run.summaries
        if s.median_peak_memory_bytes is not None
        and s.size == shown_size(run.summaries, s.workload)
        and s.state == (BASELINE_STATE if s.variant == BASELINE_VARIANT else VERDICT_STATE)
    ]
    if not rows:
        return None
    labels = sorted({(s.workload, s.language) for s in rows}, reverse=True)
    variants = sorted({s.variant for s in rows}, key=variant_order)
    colours = variant_colours(run.variants)
    with _style():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + DOT_ROW_INCHES * len(labels)))
        ax = figure.subplots()
        step = 0.8 / len(variants)
        for index, variant in enumerate(variants):
            cells = [s for s in rows if s.variant == variant]
            ax.plot(
                [(s.median_peak_memory_bytes or 0) / 2**20 for s in cells],
                [
                    labels.index((s.workload, s.language))
                    + (index - (len(variants) - 1) / 2) * step
                    for s in cells
                ],
                "o",
                markersize=4,
                color=colours[variant],
                label=variant,
            )
        ax.set_yticks(range(len(labels)), [f"{w} ({lang})" for w, lang in labels])
        _log_axis(ax, "median peak memory per instance, MiB, log scale (scopes: see Method)")
        ax.legend(fontsize=7, loc="best")
        figure.set_layout_engine("constrained")
        return to_svg(figure)


def cross_host(rows: list[CrossHostRow], labels: list[str]) -> str | None:
    """Each host's ratio to native, side by side, for every cell the hosts share."""
    shown = [row for row in rows if any(r.value for r in row.per_host)]
    if not shown:
        return None
    names = [f"{r.workload} ({r.language}) {r.variant} {r.state}" for r in shown][::-1]
    with _style():
        figure = Figure(figsize=(WIDTH_INCHES, 0.8 + ROW_INCHES * len(shown) * len(labels)))
        ax = figure.subplots()
        step = 0.8 / len(labels)
        for index, label in enumerate(labels):
            for position, row in enumerate(shown[::-1]):
                ratio = row.per_host[index]
                if ratio.value is None or ratio.value <= 0:
                    continue
                low, high = ratio.interval or (ratio.value, ratio.value)
                ax.errorbar(
                    ratio.value,
                    position + (index - (len(labels) - 1) / 2) * step,
                    xerr=[[ratio.value - low], [high - ratio.value]],
                    fmt="os^Dv"[index % 5],
                    color=PALETTE[(index + 1) % len(PALETTE)],
                    markersize=3,
                    capsize=2,
                    linewidth=1,
                    label=label,
                )
        ax.set_yticks(range(len(names)), names)
        _ratio_axis(ax, "ratio to native on the same host (noop: startup; others: net of startup)")
        _dedup_legend(ax)
        figure.set_layout_engine("constrained")
        return to_svg(figure)
