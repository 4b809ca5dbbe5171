"""Benchmark (not a test): render the report of a 100 000-sample results file.

`nox -s report_bench` runs it. The samples are generated (seeded), shaped like a real run: the
header of the committed example run, every cell of it, ~640 samples a cell with log-normal
spread around the example's own medians and a few failures. The figures printed are measured:
the time to read, summarize, plot and render (each of --repeat renders in a fresh process, as
`isobench report` runs: the median is held to the target, min and max are shown), and the
size of the HTML. Exits 1 when a target is missed (median under 5 s, under 3 MB).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.report import write_report
from harness.results import ResultsWriter, Status, read_results

EXAMPLE = sorted((Path(__file__).resolve().parent.parent / "results" / "example").glob("*.jsonl"))
TARGET_SECONDS = 5.0
TARGET_BYTES = 3 * 10**6


def generate(path: Path, total: int, seed: int) -> int:
    example = read_results(EXAMPLE[-1])
    header = example.header
    cells: dict[tuple[str, ...], list[int]] = {}
    templates = {}
    for sample in example.samples:
        if sample.status is Status.OK and sample.wall_ns and not sample.warmup:
            key = (sample.workload, sample.language, sample.variant, sample.size, sample.state)
            cells.setdefault(key, []).append(sample.wall_ns)
            templates[key] = sample
    rng = random.Random(seed)
    per_cell = -(-total // len(cells))
    written = 0
    with ResultsWriter(path, header) as writer:
        for round_index in range(per_cell):
            for key in sorted(cells):
                if written == total:
                    break
                median = statistics.median(cells[key])
                failed = rng.random() < 0.002
                writer.add(
                    dataclasses.replace(
                        templates[key],
                        round=round_index + 1,
                        wall_ns=None if failed else round(median * rng.lognormvariate(0, 0.05)),
                        status=Status.CRASHED if failed else Status.OK,
                        detail="signal 11 (generated)" if failed else "",
                    )
                )
                written += 1
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--render", nargs=2, metavar=("RESULTS", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:  # one timed render, in a process of its own
        started = time.perf_counter()
        write_report([Path(args.render[0])], Path(args.render[1]))
        print(time.perf_counter() - started)
        return 0
    with tempfile.TemporaryDirectory(prefix="isobench-report-bench-") as scratch:
        results = Path(scratch) / "generated.jsonl"
        count = generate(results, args.samples, args.seed)
        output = Path(scratch) / "report.html"
        times = [
            float(
                subprocess.run(
                    [sys.executable, "-m", "tests.bench_report", "--render", str(results),
                     str(output)],
                    capture_output=True, text=True, check=True,
                ).stdout
            )
            for _ in range(args.repeat)
        ]  # fmt: skip
        size = output.stat().st_size
        results_size = results.stat().st_size
    seconds = statistics.median(times)
    print(json.dumps({"samples": count, "results_bytes": results_size,
                      "render_s": [round(t, 2) for t in times]}))  # fmt: skip
    print(f"report of {count} samples: median {seconds:.2f} s over {len(times)} renders "
          f"(min {min(times):.2f}, max {max(times):.2f}; target < {TARGET_SECONDS:g} s), "
          f"{size / 1e6:.2f} MB of HTML (target < {TARGET_BYTES / 1e6:g} MB)")  # fmt: skip
    missed = seconds >= TARGET_SECONDS or size >= TARGET_BYTES
    if missed:
        print("report_bench: a target was missed", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
