"""`isobench compare --json`: a comparison for machines (a CI step, a dashboard).

One JSON document on stdout: which runs, how they were judged (test, correction, alpha,
threshold), what differs between them, how many comparisons were too small to flag anything
(`blind`), and every comparison made, significant or not, with its regression flag and the
smallest p its sample counts allow. Versioned by COMPARE_SCHEMA: a field's meaning never
changes within a version.
"""

from __future__ import annotations

import dataclasses
import json

from harness.compare import CORRECTION, TEST_NAME, Comparison
from harness.results import Results

COMPARE_SCHEMA = 1


def comparison_json(
    comparison: Comparison, base: Results, new: Results, threshold_pct: float | None
) -> str:
    def run(results: Results) -> dict[str, str]:
        return {"path": str(results.path), "run_id": results.header.run_id,
                "sha256": results.sha256}  # fmt: skip

    regressions = comparison.regressions(threshold_pct) if threshold_pct is not None else []
    document = {
        "kind": "isobench-compare",
        "schema_version": COMPARE_SCHEMA,
        "base": run(base),
        "new": run(new),
        "test": TEST_NAME,
        "correction": CORRECTION,
        "alpha": comparison.alpha,
        "threshold_pct": threshold_pct,
        "different_hosts": comparison.different_hosts,
        "differences": comparison.differences,
        "skipped": comparison.skipped,
        "comparisons": len(comparison.changes),
        "significant": len(comparison.significant()),
        "regressions": len(regressions),
        "blind": len(comparison.blind()),
        "changes": [
            {
                **dataclasses.asdict(change),
                "regression": threshold_pct is not None and change.regression(threshold_pct),
            }
            for change in comparison.changes
        ],
    }
    return json.dumps(document, indent=1, allow_nan=False)
