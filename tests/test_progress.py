"""Progress while the measure loop works (harness.terminal.Tally, ConsoleListener.measuring):
counts and the time left from a scripted clock, and plain lines where there is no terminal."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console

from harness.measure import Cell
from harness.results import Sample, Status
from harness.session import Pacing
from harness.terminal import ConsoleListener, Tally
from harness.units import clock
from tests import reportdata


def samples(count: int, failed: int = 0) -> list[Sample]:
    ok = reportdata.cell("noop", "native", 1)[:1] * count
    return [replace(s, status=Status.CRASHED) if i < failed else s for i, s in enumerate(ok)]


def tally_after(pacing: Pacing, count: int, failed: int = 0) -> Tally:
    tally = Tally(pacing, started=100.0)
    for sample in samples(count, failed):
        tally.add(sample)
    return tally


def test_a_fixed_count_says_how_many_of_how_many_and_the_time_left_at_the_rate_so_far() -> None:
    tally = tally_after(Pacing(minimum=40, exact=True), 10, failed=2)
    # 10 samples in 30 s: 30 left take 90 s
    assert tally.line(130.0) == "10 of 40 samples, 2 not ok, 30s elapsed, about 1m30s left"
    assert tally.line(130.0, ended=True) == "10 samples, 2 not ok, 30s elapsed"


def test_a_precision_paced_run_gives_the_minimum_then_at_most_the_budget() -> None:
    pacing = Pacing(minimum=40, exact=False, deadline=1000.0)
    assert tally_after(pacing, 10).line(130.0) == (
        "10 of at least 40 samples, 0 not ok, 30s elapsed, at most 14m30s left (the budget)"
    )
    unbudgeted = Pacing(minimum=40, exact=False)
    assert tally_after(unbudgeted, 10).left(130.0) == (
        "the minimum in about 1m30s, then rounds until precise"
    )
    assert tally_after(unbudgeted, 50).left(130.0) == "rounds until every cell is precise"
    assert tally_after(unbudgeted, 0).left(130.0) == ""  # no rate yet


def test_without_a_terminal_progress_is_plain_lines_with_a_last_one_at_the_end() -> None:
    output = io.StringIO()
    listener = ConsoleListener(Console(file=output, width=200))
    cell = Cell.__new__(Cell)  # the listener reads nothing of the cell without a terminal
    with listener.measuring(Pacing(minimum=3, exact=True)) as on_sample:
        for sample in samples(3, failed=1):
            on_sample(cell, sample)
    lines = output.getvalue().splitlines()
    assert lines[-1].startswith("run: 3 samples, 1 not ok, ")
    assert "\x1b" not in output.getvalue()  # no bar drawn: nothing a log shows as garbage
    assert "\r" not in output.getvalue()


def test_spans_read_as_a_log_reads_them() -> None:
    assert [clock(s) for s in (0, 42.4, 425, 3725, -3)] == ["0s", "42s", "7m05s", "1h02m", "0s"]
