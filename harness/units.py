"""Figures as text, one way everywhere: the terminal's tables and the report print a duration,
a size or a ratio the same way."""

from __future__ import annotations

MISSING = "—"  # a figure that was not measured


def ms(value_ns: float | None, missing: str = MISSING) -> str:
    """Milliseconds to about four significant figures, without the unit (0.853, 12.34, 612.0,
    5621): a table column's cells."""
    if value_ns is None:
        return missing
    value = value_ns / 1e6
    decimals = 3 if value < 10 else 2 if value < 100 else 1 if value < 1000 else 0
    return f"{value:.{decimals}f}"


def duration(value_ns: float | None) -> str:
    """A duration in prose, with its unit, to three significant figures (0.853 ms, 1.21 s)."""
    if value_ns is None:
        return MISSING
    value = value_ns / 1e6
    return f"{value:.3g} ms" if value < 1000 else f"{value / 1000:.3g} s"


def fine_duration(value_ns: float | None) -> str:
    """A duration with its unit, in microseconds below a millisecond (12.6 µs, 537 µs, 43.4 ms,
    1.21 s): the startup ladder spans four orders of magnitude."""
    if value_ns is None:
        return MISSING
    if abs(value_ns) < 1e6:
        return f"{value_ns / 1e3:.3g} µs"
    return duration(value_ns)


def fine_interval(interval: tuple[float, float] | None) -> str:
    """An interval of durations, each with its unit: 12.1 µs–13.0 µs."""
    if interval is None:
        return MISSING
    return f"{fine_duration(interval[0])}–{fine_duration(interval[1])}"


def ms_with_ci(value_ns: float | None, interval: tuple[float, float] | None,
               missing: str = MISSING) -> str:  # fmt: skip
    """A median in milliseconds with its interval: 0.853 (0.841–0.866)."""
    if value_ns is None:
        return missing
    if interval is None:
        return ms(value_ns)
    return f"{ms(value_ns)} ({ms(interval[0])}–{ms(interval[1])})"


def ratio_with_ci(ratio: float | None, interval: tuple[float, float] | None) -> str:
    """A ratio with its interval: 1.04 (1.01–1.07)."""
    if ratio is None:
        return MISSING
    if interval is None:
        return f"{ratio:.2f}"
    return f"{ratio:.2f} ({interval[0]:.2f}–{interval[1]:.2f})"


def mib(value_bytes: float) -> str:
    """Bytes in MiB, one decimal, with the unit: 12.3 MiB."""
    return f"{value_bytes / 2**20:.1f} MiB"


def size(value_bytes: float | None) -> str:
    """Bytes in the largest unit that keeps a whole number before the point: 12.3 MiB, 640 B; a
    negative size (a growth that shrank) keeps its sign."""
    if value_bytes is None:
        return MISSING
    sign, magnitude = ("\N{MINUS SIGN}", -value_bytes) if value_bytes < 0 else ("", value_bytes)
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if magnitude >= scale:
            return f"{sign}{magnitude / scale:.1f} {unit}"
    return f"{sign}{magnitude:.0f} B"


def precision_text(precision: float | None, metric: str) -> str:
    """A cell's reached precision and in what: "±3.1% wall", "±0.8% CPU", "no interval"."""
    if precision is None:
        return "no interval"
    return f"±{precision:.1%} {'CPU' if metric == 'cpu_ns' else 'wall'}"


def clock(seconds: float) -> str:
    """A span of wall-clock time as a log reads it: "42s", "7m05s", "1h02m"."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def below_resolution(peak: float | None, resolution_bytes: int | None) -> bool:
    """A peak at or below what the memory counter resolves (one step per CPU): all it says is
    that the instance used no more than that."""
    return peak is not None and resolution_bytes is not None and peak <= resolution_bytes


def peak_mib(peak_bytes: float | None, resolution_bytes: int | None) -> str:
    """A peak in MiB, or "≤ R" where it is within what the memory counter resolves (R MiB),
    or "—" when none was recorded."""
    if peak_bytes is None:
        return MISSING
    if resolution_bytes and below_resolution(peak_bytes, resolution_bytes):
        return f"≤ {resolution_bytes / 2**20:.1f}"
    return f"{peak_bytes / 2**20:.1f}"
