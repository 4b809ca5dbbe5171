"""`isobench compare --format csv|markdown`: every comparison made, significant or not, for
other tools (`--format json` is harness.compare_json's versioned document).

- csv: one row per cell and metric, the medians, counts, ratio with its interval, both
  p-values, whether it is significant and (with a threshold) a regression;
- markdown: the significant changes (or a line saying there are none), each ratio with its
  interval, to paste into a pull request.
"""

from __future__ import annotations

from typing import Any

from harness.compare import CORRECTION, TEST_NAME, Change, Comparison
from harness.units import ratio_with_ci

FORMATS = ("table", "csv", "markdown", "json")


def change_rows(comparison: Comparison, threshold_pct: float | None) -> list[dict[str, Any]]:
    def row(change: Change) -> dict[str, Any]:
        low, high = change.ratio_ci if change.ratio_ci is not None else (None, None)
        return {
            "workload": change.workload, "language": change.language, "size": change.size,
            "profile": change.profile, "variant": change.variant, "state": change.state,
            "metric": change.metric, "base_median": change.base_median,
            "new_median": change.new_median, "base_samples": change.base_samples,
            "new_samples": change.new_samples, "ratio": change.ratio, "ratio_ci_low": low,
            "ratio_ci_high": high, "p_value": change.p_value,
            "adjusted_p_value": change.adjusted_p_value, "significant": change.significant,
            "regression": change.regression(threshold_pct)
            if threshold_pct is not None else None,
        }  # fmt: skip

    return [row(change) for change in comparison.changes]


def comparison_csv(comparison: Comparison, threshold_pct: float | None) -> str:
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.2 s: only when a format asks for it, not at every start

    return str(pd.DataFrame(change_rows(comparison, threshold_pct)).to_csv(index=False))


def comparison_markdown(comparison: Comparison, threshold_pct: float | None) -> str:
    import pandas as pd  # noqa: PLC0415 - pandas costs 0.2 s: only when a format asks for it, not at every start

    said = (f"{len(comparison.changes)} comparisons ({TEST_NAME}; p-values adjusted by "
            f"{CORRECTION}; alpha {comparison.alpha}); ratio: new median over base median, "
            "with its 95% interval.")  # fmt: skip
    significant = comparison.significant()
    if not significant:
        return f"{said}\n\nNo significant change.\n"
    table = pd.DataFrame([
        {"workload": c.workload, "lang": c.language, "size": c.size, "variant": c.variant,
         "state": c.state, "metric": c.metric,
         "new / base": ratio_with_ci(c.ratio, c.ratio_ci),
         "adjusted p": f"{c.adjusted_p_value:.2g}",
         **({"regression": "yes" if c.regression(threshold_pct) else "no"}
            if threshold_pct is not None else {})}
        for c in significant
    ])  # fmt: skip
    return f"{said}\n\n{table.to_markdown(index=False, disable_numparse=True)}\n"
