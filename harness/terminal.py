"""What isobench shows on a terminal (or in a CI log): progress while it works, and the tables
of a run, a comparison and the doctor. Only the CLI calls it; it reads typed results and
summaries, never a results file's JSON."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from harness.bless import SizeOutputs
from harness.build import BuildOutcome, StepReport
from harness.cache import Artifact, BuildCache
from harness.compare import TEST_NAME, Comparison
from harness.header import Header, HostCost
from harness.ladder import Ladder, ladder_of
from harness.measure import Cell
from harness.results import FloorStart, Sample, ScenarioSample, Status
from harness.scenario_stats import density_summaries, rate_summaries
from harness.session import OnSample, Pacing
from harness.stability import Advice
from harness.stats import (
    CONFIDENCE,
    OUTLIER_MADS,
    Cells,
    Fit,
    Summary,
    fit_throughput,
    precision_outcome,
    summarize_cells,
)
from harness.toolchains import Check
from harness.units import clock, mib, ms, ms_with_ci, peak_mib, precision_text, ratio_with_ci

if TYPE_CHECKING:
    import pandas as pd

EXIT_FAILED = 1  # some sample was not ok, a variant went unmeasured, or a regression was found
PIPE_WIDTH = 220


def shown(text: str) -> str:
    """A string read from a file as it may reach a terminal: every character that is not
    printable (an escape sequence, a bell, a carriage return) written as its escape instead.
    Print it with markup off: "[" is not markup then either."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def console_for_output() -> Console:
    """The console of standard output; in a CI log or a file, wide enough that the summary
    rows stay unwrapped."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, PIPE_WIDTH)
    return console


def error_console() -> Console:
    return Console(stderr=True, highlight=False)


class ConsoleListener:
    """A session's Listener (harness.session) that shows progress on a console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def note(self, text: str) -> None:
        self.console.print(text, markup=False)

    def warning(self, text: str) -> None:
        self.console.print("[yellow]warning:[/] ", end="")
        self.console.print(text, markup=False)

    @contextmanager
    def building(self) -> Iterator[StepReport]:
        with progress_bar(self.console, "build") as progress:
            task = progress.add_task("", total=None)

            def on_step(artifact: Artifact, was_built: bool) -> None:
                progress.update(task, advance=1,
                                description=f"{artifact.workload} {artifact.language} "
                                f"{artifact.kind}")  # fmt: skip
                if was_built:
                    label = f"{artifact.workload} ({artifact.language})"
                    progress.console.print(
                        f"  built  {artifact.kind:<13} {label:<28} {artifact.size_bytes:>12,} B  "
                        f"id {artifact.id[:12]}",
                        markup=False,
                    )

            yield on_step

    def built(self, outcome: BuildOutcome, cache: BuildCache, arch: str | None) -> None:
        for variant, why in outcome.skipped.items():
            self.note(f"build: {variant} left out for {arch}: {why}")
        if outcome.built:
            self.note(f"build: {len(outcome.built)} artifacts built, {len(outcome.cached)} "
                      "already up to date")  # fmt: skip
        else:
            self.note(f"build: nothing to compile, all {len(outcome.cached)} artifacts "
                      f"up to date in {cache.root}")  # fmt: skip

    @contextmanager
    def measuring(self, pacing: Pacing) -> Iterator[OnSample]:
        """On a terminal, a bar with the counts and the time left; elsewhere (a CI log, a
        file), the same as a plain line every PLAIN_EVERY_S, and one at the end."""
        tally = Tally(pacing, time.monotonic())
        if not self.console.is_terminal:
            last_line = [tally.started]

            def on_line(cell: Cell, sample: Sample) -> None:
                tally.add(sample)
                now = time.monotonic()
                if now - last_line[0] >= PLAIN_EVERY_S:
                    self.note(f"run: {tally.line(now)}")
                    last_line[0] = now

            yield on_line
            self.note(f"run: {tally.line(time.monotonic(), ended=True)}")
            return
        with progress_bar(self.console, "run", TextColumn("{task.fields[counts]}")) as progress:
            task = progress.add_task("", total=pacing.minimum or None, counts="")

            def on_sample(cell: Cell, sample: Sample) -> None:
                tally.add(sample)
                progress.update(task, completed=min(tally.done, pacing.minimum),
                                description=cell.label,
                                counts=tally.line(time.monotonic()))  # fmt: skip

            yield on_sample

    def scenario_event(self, line: str) -> None:
        self.console.print(f"scenario: {line}", markup=False, highlight=False)


def print_stability(console: Console, advice: Sequence[Advice]) -> None:
    """The machine settings that move timings: which make them noisier, and the fix."""
    table = Table(title="machine stability (harness/stability.py; recorded in every run)")
    for column in ("", "setting", "here", "to steady it"):
        table.add_column(column)
    for line in advice:
        table.add_row("[yellow]noisy[/]" if line.noisy else "[green]ok[/]", line.name,
                      line.detail, line.fix)  # fmt: skip
    console.print(table)


def print_blessing(console: Console, outputs: Sequence[SizeOutputs]) -> None:
    """What each size printed in each language, and whether it can be blessed."""
    table = Table(title="what the native builds printed")
    for column in ("size", "lang", "exit", "bytes", "sha256", "first line", "expected file"):
        table.add_column(column)
    for size in outputs:
        for printed in size.printed:
            first = printed.stdout.split(b"\n", 1)[0].decode(errors="replace")
            table.add_row(Text(size.size.name), printed.language,
                          printed.crash or str(printed.exit_code), f"{len(printed.stdout):,}",
                          printed.sha256[:12], Text(shown(first[:60])),
                          Text(size.problem or size.change))  # fmt: skip
    console.print(table)


def print_doctor(console: Console, checks: list[Check]) -> None:
    table = Table(title="isobench doctor")
    for column in ("", "toolchain / engine", "found", "to install"):
        table.add_column(column)
    for check in checks:
        table.add_row(
            "[green]ok[/]"
            if check.found
            else "[yellow]unavailable[/]"
            if check.optional
            else "[red]missing[/]",
            check.name,
            check.detail,
            "" if check.found else check.install,
        )
    console.print(table)


def print_run(console: Console, header: Header, samples: pd.DataFrame,
              scenario_samples: list[ScenarioSample],
              floor_starts: Sequence[FloorStart] = ()) -> None:  # fmt: skip
    """Everything a run measured, as tables: samples (their frame: harness.frame), the startup
    ladder, host costs, throughput over sizes (where the header's plan gives work units),
    scenarios."""
    cells = Cells(samples)
    summaries = print_run_summary(console, cells, header)
    print_ladder(console, header, cells, summaries, floor_starts)
    print_host_costs(console, header.host_costs)
    print_fits(console, fit_throughput(cells, header.work_units))
    print_scenarios(console, scenario_samples)


def print_comparison(console: Console, comparison: Comparison, alpha: float,
                     threshold: float | None) -> None:  # fmt: skip
    significant = comparison.significant()
    if significant:
        table = Table(
            title=f"significant changes ({TEST_NAME}, Holm-adjusted p < {alpha:g})",
            caption="change: new median / base median with its 95% bootstrap interval; above 1 "
            "is slower (wall) or larger (memory); p: the test's own, then Holm's over every "
            "comparison; REGRESSION: the whole interval beyond the threshold",
        )
        for column in ("workload", "lang", "size", "variant", "state", "metric"):
            table.add_column(column)
        for column in ("base", "new", "change", "p", "Holm p", ""):
            table.add_column(column, justify="right")
        for change in significant:
            scale = ms if change.metric == "wall_ns" else mib
            flag = ""
            if threshold is not None and change.regression(threshold):
                flag = "[red]REGRESSION[/]"
            table.add_row(
                change.workload,
                change.language,
                change.size,
                change.variant,
                change.state,
                change.metric,
                scale(change.base_median),
                scale(change.new_median),
                ratio_with_ci(change.ratio, change.ratio_ci),
                f"{change.p_value:.2g}",
                f"{change.adjusted_p_value:.2g}",
                flag,
            )
        console.print(table)
    console.print(
        f"{len(comparison.changes)} comparisons (cells x metrics), {len(significant)} significant "
        f"at a Holm-adjusted p < {alpha:g} (the chance of any false one, if nothing changed, "
        f"at most {alpha:g})",
        markup=False,
    )
    for line in comparison.skipped:
        console.print(f"not compared: {line}", markup=False)


def warn_blind(console: Console, comparison: Comparison) -> None:
    """Say how many comparisons could not have been flagged at their sample counts: a gate
    that passes them has not looked."""
    blind = comparison.blind()
    if not blind:
        return
    fewest = min(blind, key=lambda c: c.base_samples + c.new_samples)
    console.print(
        f"[yellow]warning:[/] {len(blind)} of {len(comparison.changes)} comparisons could not be "
        "flagged on their own at their sample counts, whatever changed (e.g. "
        f"{fewest.base_samples} vs {fewest.new_samples} samples: the smallest exact p, "
        f"{fewest.smallest_p:.2g}, times {len(comparison.changes)} comparisons is not below "
        f"{comparison.alpha:g}); measure both runs with more samples (-n 10) to gate them",
        soft_wrap=True,
    )


def report_regressions(console: Console, comparison: Comparison, threshold: float) -> int:
    regressions = comparison.regressions(threshold)
    if not regressions:
        console.print(f"no significant regression with its interval beyond {threshold:g}%",
                      markup=False)  # fmt: skip
        return 0
    error_console().print(
        f"isobench: {len(regressions)} significant regressions beyond {threshold:g}%: "
        + ", ".join(
            f"{c.workload} ({c.language}, {c.variant} {c.state}) {c.metric} {c.ratio:.2f}x"
            for c in regressions
        ),
        markup=False,
        soft_wrap=True,
    )
    return EXIT_FAILED


def print_scenarios(console: Console, rows: list[ScenarioSample]) -> None:
    densities = density_summaries(rows)
    if densities:
        table = Table(
            title="density: K idle webhook instances up at once",
            caption="per instance: (with K up - before) / K; PSS: the instances' processes and "
            "the ones they share (daemons, the wasm host); host: MemTotal - MemAvailable",
        )
        for column in ("variant", "lang", "K", "all up", "PSS/inst", "host/inst", "inst/GiB"):
            table.add_column(column, justify="left" if column in ("variant", "lang") else "right")
        for summary in densities:
            for step in summary.steps:
                table.add_row(
                    summary.variant,
                    summary.language,
                    str(step.instances),
                    ms(step.start_all_ns),
                    mib(step.pss_per_instance_bytes) if step.pss_per_instance_bytes else "-",
                    mib(step.host_per_instance_bytes),
                    f"{step.instances_per_gib:,.0f}" if step.instances_per_gib else "-",
                )
        console.print(table)
    rates = rate_summaries(rows)
    if rates:
        table = Table(
            title="start rate (noop) and requests (webhook)",
            caption="per s: the median over batches of ok operations / the batch's span; "
            f"latency percentiles over every ok operation, p50 with its {CONFIDENCE:.0%} CI; "
            "in-host instances: the median of their own start + run as their host timed them "
            "(instance), and of the rest of each operation (plumbing: commands, FIFOs, thread)",
        )
        for column in ("scenario", "variant", "lang", "mode"):
            table.add_column(column)
        for column in ("ok", "per s", "p50", "p90", "p99", "instance", "plumbing"):
            table.add_column(column, justify="right")
        for rate in rates:
            table.add_row(
                rate.scenario,
                rate.subject,
                rate.language,
                rate.mode + (f" x{rate.concurrency}" if rate.concurrency > 1 else ""),
                f"{rate.ok}/{rate.total}",
                f"{rate.per_second:,.1f}" if rate.per_second else "-",
                ms_with_ci(rate.p50_ns, rate.p50_ci_ns, missing="-"),
                ms(rate.p90_ns) if rate.p90_ns is not None else "-",
                ms(rate.p99_ns) if rate.p99_ns is not None else "-",
                ms(rate.instance_p50_ns, missing=""),
                ms(rate.plumbing_p50_ns, missing=""),
            )
        console.print(table)


def report_unavailable(unavailable: Mapping[str, str]) -> int:
    """Names the variants asked for that could not be measured: the run is not complete."""
    if not unavailable:
        return 0
    error_console().print(
        f"isobench: not measured, engine unavailable: {', '.join(unavailable)}", markup=False
    )
    return EXIT_FAILED


def report_scenario_failures(rows: list[ScenarioSample]) -> int:
    failing: dict[tuple[str, str, str, str], ScenarioSample] = {}
    for row in rows:
        if row.status is not Status.OK:
            failing.setdefault((row.scenario, row.subject, row.language, row.mode), row)
    err = error_console()
    for (scenario, variant, language, mode), row in failing.items():
        err.print(
            f"isobench: {scenario} {variant} ({language}) {mode}: {row.status.value}: "
            f"{shown(row.detail)}",
            markup=False,
            soft_wrap=True,
        )
    return EXIT_FAILED if failing else 0


def progress_bar(console: Console, verb: str, counts: TextColumn | None = None) -> Progress:
    """A transient bar; `counts`: a column of its own in place of done-of-total."""
    return Progress(
        TextColumn(f"{verb:<5}"),
        BarColumn(),
        counts or MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


PLAIN_EVERY_S = 30.0  # a progress line in a log, at most this often


class Tally:
    """The measure loop's samples as they come: how many, how many not ok, the time left."""

    def __init__(self, pacing: Pacing, started: float) -> None:
        self.pacing = pacing
        self.started = started
        self.done = 0
        self.not_ok = 0

    def add(self, sample: Sample) -> None:
        self.done += 1
        self.not_ok += sample.status is not Status.OK

    def left(self, now: float) -> str:
        """The time left, as far as the pacing tells it: the minimum at the rate so far, then
        (precision rounds) at most the budget's end."""
        pacing = self.pacing
        if not self.done:
            return ""
        minimum_s = (now - self.started) / self.done * max(pacing.minimum - self.done, 0)
        if pacing.exact:
            return f"about {clock(minimum_s)} left"
        if pacing.deadline is not None:
            return f"at most {clock(max(minimum_s, pacing.deadline - now))} left (the budget)"
        if self.done < pacing.minimum:
            return f"the minimum in about {clock(minimum_s)}, then rounds until precise"
        return "rounds until every cell is precise"

    def line(self, now: float, ended: bool = False) -> str:
        minimum = self.pacing.minimum
        if ended or (not self.pacing.exact and self.done >= minimum):
            counted = f"{self.done} samples"
        elif self.pacing.exact:
            counted = f"{self.done} of {minimum} samples"
        else:
            counted = f"{self.done} of at least {minimum} samples"
        said = [counted, f"{self.not_ok} not ok", f"{clock(now - self.started)} elapsed"]
        left = "" if ended else self.left(now)
        return ", ".join([*said, left] if left else said)


def report_failures(samples: list[Sample]) -> int:
    """Names every cell with samples that were not ok, with one example of why."""
    failing: dict[tuple[str, str, str, str, str], list[Sample]] = {}
    for sample in samples:
        if sample.status is not Status.OK:
            cell = (sample.workload, sample.language, sample.variant, sample.state, sample.size)
            failing.setdefault(cell, []).append(sample)
    if not failing:
        return 0
    err = error_console()
    for (workload, language, variant, state, size), bad in failing.items():
        counts = Counter(sample.status.value for sample in bad)
        statuses = ", ".join(f"{count} {status}" for status, count in counts.items())
        err.print(
            f"isobench: {workload} ({language}, {variant} {state}, {size}): {statuses}: "
            f"{shown(bad[0].detail)}",
            markup=False,
            soft_wrap=True,
        )
    workloads = ", ".join(sorted({workload for workload, *_ in failing}))
    err.print(f"isobench: samples not ok in workloads: {workloads}", markup=False)
    return EXIT_FAILED


def print_run_summary(console: Console, cells: Cells, header: Header) -> list[Summary]:
    """The summary table of a run's samples, read with what its header says (instance kinds,
    the memory counter's resolution); returns the summaries."""
    resolution = header.memory_resolution
    summaries = summarize_cells(cells, resolution)
    print_summary(console, summaries, header.instances, resolution)
    if header.plan is not None and header.plan.precision:
        print_precision(console, summaries, header.plan.precision)
    return summaries


def print_ladder(console: Console, header: Header, cells: Cells, summaries: list[Summary],
                 starts: Sequence[FloorStart]) -> None:  # fmt: skip
    """The startup ladder: the physical floors and every variant's noop start, from the
    quickest up, each start's scope beside it; a floor that took no start, and why."""
    ladder = ladder_of(header, cells, summaries, starts)
    if ladder.rows:
        print_rungs(console, ladder)
    print_inside(console, ladder)


def print_rungs(console: Console, ladder: Ladder) -> None:
    """The ladder's rungs, its unmeasured floors and Docker's start taken apart by floors."""
    table = Table(
        title=f"startup ladder: median, {CONFIDENCE:.0%} bootstrap CI",
        caption="a floor: one start mechanism alone, timed by its own loop (harness/floors.py); "
        "a variant: its noop samples' wall time, and what it adds over the floor it stands on",
    )
    for column in ("rung", "what one start spans"):
        table.add_column(column)
    for column in ("median", "95% CI", "over its floor"):
        table.add_column(column, justify="right")
    for row in ladder.rows:  # names and scopes come from the file: Text, never markup
        table.add_row(Text(shown(row.name)), Text(shown(row.scope)), row.median, row.interval,
                      Text(shown(row.over_floor)))  # fmt: skip
    console.print(table)
    for floor, why in ladder.unmeasured:
        console.print(f"floor {shown(floor)}: not measured: {shown(why)}", markup=False,
                      highlight=False)  # fmt: skip
    for cell, layers in ladder.stacks.items():
        stack = Table(
            title=f"{shown(cell)} taken apart: median, {CONFIDENCE:.0%} bootstrap CI",
            caption="each layer the difference of the medians of two starts measured apart "
            "(a floor's loop, the variant's samples): they add up to the variant's median",
        )
        stack.add_column("layer")
        stack.add_column("measured as")
        for column in ("share", "95% CI"):
            stack.add_column(column, justify="right")
        for layer in layers:
            stack.add_row(layer.layer, layer.measured_as, layer.median, layer.interval)
        console.print(stack)


def print_inside(console: Console, ladder: Ladder) -> None:
    """Container starts taken apart from inside, by containerd's events."""
    for cell, view in ladder.inside.items():
        inside = Table(
            title=f"{shown(cell)} from inside, by containerd's events: median, "
            f"{CONFIDENCE:.0%} bootstrap CI",
            caption=f"in the same {view.samples} samples, each layer the sum of its segments "
            f"per sample; their medians add up to {view.sum_of_medians}, {view.adds_up_to} of "
            f"the wall time's median ({view.wall_median})",
        )
        inside.add_column("who acts")
        inside.add_column("segments")
        for column in ("median", "95% CI"):
            inside.add_column(column, justify="right")
        for part in view.rows:
            inside.add_row(part.layer, part.segments, part.median, part.interval)
        console.print(inside)


def print_precision(console: Console, summaries: list[Summary], precision: float) -> None:
    """How many cells reached the plan's precision, what they reached, and which did not."""
    outcome = precision_outcome(summaries, precision)
    spread = (f"; reached: median ±{outcome.median_reached:.1%}, widest "
              f"±{outcome.widest_reached or 0:.1%}"
              if outcome.median_reached is not None else "")  # fmt: skip
    console.print(
        f"precision: ±{precision:.1%} wanted (half the width of each median's {CONFIDENCE:.0%} "
        f"interval, over the median: CPU time for compute, wall time for noop); met by "
        f"{outcome.met} of {outcome.cells} cells{spread}",
        markup=False,
    )
    if outcome.missed:
        console.print(
            "missed (the budget was spent, or samples failed): "
            + ", ".join(
                f"{s.key.label} ({precision_text(s.precision, s.precision_metric)})"
                for s in outcome.missed
            ),
            markup=False,
            soft_wrap=True,
        )


def print_summary(
    console: Console,
    rows: list[Summary],
    instances: dict[str, str] | None = None,
    resolution_bytes: int | None = None,
) -> None:
    instances = instances or {}
    profiles = sorted({row.profile for row in rows})
    show_profile = len(profiles) > 1  # one profile: named in the title instead
    below = (
        f"; peak ≤ {resolution_bytes / 2**20:.1f}: below what the memory counter resolves"
        if resolution_bytes
        else ""
    )
    table = Table(
        title=f"time per sample (ms), wall and CPU: median, {CONFIDENCE:.0%} bootstrap CI",
        caption=f"× native: this median / the native warm median of the same run "
        f"({CONFIDENCE:.0%} CI); net: the same with each side's noop median subtracted, compute "
        "time apart from startup; cpu: the instance's user + system CPU time (whose: the "
        "header's cpu_scope); CV: coefficient of variation. noop rows compare startup across "
        "instance kinds (a process, a container, an instance in a warm host): compare them "
        f"within one kind{below}; profile {', '.join(profiles) if profiles else '-'}",
    )
    columns = ["workload", "lang", "size", *(["profile"] if show_profile else []), "variant",
               "instance", "state"]  # fmt: skip
    for column in columns:
        table.add_column(column)
    for column in ("ok/n", "median", "95% CI", "× native", "net × native", "CV", "cpu",
                   "cpu × native", "cpu net ×", "cpu CV", "peak MiB"):  # fmt: skip
        table.add_column(column, justify="right")
    for row in rows:
        ci = f"{ms(row.wall_ci_ns[0])}–{ms(row.wall_ci_ns[1])}" if row.wall_ci_ns else "—"
        peak = row.median_peak_memory_bytes
        table.add_row(
            row.workload,
            row.language,
            row.size,
            *([row.profile] if show_profile else []),
            row.variant,
            instances.get(row.variant, ""),
            row.state,
            f"{row.samples_ok}/{row.samples_total}",
            ms(row.median_wall_ns) if row.median_wall_ns is not None else "—",
            ci if row.median_wall_ns is not None else "—",
            ratio_with_ci(row.ratio_to_native, row.ratio_ci),
            ratio_with_ci(row.net_ratio, row.net_ratio_ci),
            f"{row.cv:.0%}" if row.cv is not None else "—",
            ms(row.cpu.median) if row.cpu.median is not None else "—",
            ratio_with_ci(row.cpu.ratio, row.cpu.ratio_interval),
            ratio_with_ci(row.cpu.net, row.cpu.net_interval),
            f"{row.cpu.cv:.0%}" if row.cpu.cv is not None else "—",
            peak_mib(peak, resolution_bytes),
        )
    console.print(table)
    for row in rows:
        cell = row.key.label
        if row.noisy and row.cv is not None:
            console.print(
                f"[yellow]NOISY[/] {cell}: CV {row.cv:.0%}; close other work, or raise "
                "--repetitions",
                highlight=False,
            )
        if row.outliers:
            console.print(
                f"[yellow]OUTLIERS[/] {cell}: {row.outliers} of {row.samples_ok} samples beyond "
                f"{OUTLIER_MADS:g} MADs (kept in the results; the median resists them)",
                highlight=False,
            )


def print_host_costs(console: Console, costs: Mapping[str, HostCost]) -> None:
    """One line per variant whose running instances cost the host more than their own peak."""
    for variant, cost in costs.items():
        shim = cost.containerd_shim
        if shim is not None:
            console.print(
                f"{variant}: each running container also costs the host its containerd-shim: "
                f"{shim.pss_bytes / 2**20:.1f} MiB PSS ({shim.private_bytes / 2**20:.1f} "
                "MiB private), not in the peak MiB column",
                highlight=False,
            )


def print_fits(console: Console, fits: list[Fit]) -> None:
    """Throughput apart from startup, for cells run at two or more sizes."""
    if not fits:
        return
    table = Table(
        title="throughput over sizes: wall = fixed + per unit x work units (least squares)",
        caption="× native: this per-unit cost / the native warm one, with its "
        f"{CONFIDENCE:.0%} bootstrap CI; run phase: wasm's own `run` slope, a cross-check",
    )
    for column in ("workload", "lang", "variant", "state", "sizes"):
        table.add_column(column)
    for column in ("n", "fixed ms", "ns / unit", "× native", "R²", "run phase ns / unit"):
        table.add_column(column, justify="right")
    for fit in fits:
        table.add_row(
            fit.workload,
            fit.language,
            fit.variant,
            fit.state,
            ", ".join(fit.sizes),
            str(fit.samples),
            f"{fit.fixed_ns / 1e6:.2f}",
            f"{fit.per_unit_ns:.4g}",
            ratio_with_ci(fit.per_unit_ratio, fit.per_unit_ratio_ci),
            f"{fit.r_squared:.3f}",
            f"{fit.run_phase_per_unit_ns:.4g}" if fit.run_phase_per_unit_ns is not None else "",
        )
    console.print(table)
