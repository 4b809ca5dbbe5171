"""Benchmark (not a test): `isobench report` of generated 100 000- and 1 000 000-sample runs.

`nox -s report_bench` runs it. The samples are generated (seeded), shaped like a real run: the
header of the committed example run, every cell of it, samples spread log-normally around the
example's own medians, a few failures. The figures printed are measured: the time an
`isobench report` command takes, as its user waits for it (a fresh process each of --repeat
times: interpreter, imports, read, summarize, plot, render, write; the median is held to the
target, min and max are shown), the size of the HTML, and the most memory a render held. Exits
1 when a target is missed: 100 000 samples in under 2 s, 1 000 000 in under 10 s (issue 19, on
the 2-core VM), either under 3 MB of HTML.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.results import ResultsWriter, Status, read_results

EXAMPLE = sorted((Path(__file__).resolve().parent.parent / "results" / "example").glob("*.jsonl"))
TARGET_SECONDS = {100_000: 2.0, 1_000_000: 10.0}  # samples -> the most a render may take
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


def render(results: Path, output: Path) -> tuple[float, float, float]:
    """One `isobench report` command: the seconds from its start to its exit, its CPU seconds
    (user + system: the quieter figure on a shared host, whose wall time varies twofold by the
    hour here) and the most memory it held (MiB resident); its own rusage, as wait4 gives it."""
    command = [sys.executable, "-m", "harness", "report", str(results), "-o", str(output)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"report_bench: isobench report exited {process.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bench(count: int, seed: int, repeat: int, scratch: Path) -> bool:
    """Renders `count` generated samples `repeat` times; prints the figures; whether the
    targets were met."""
    results = scratch / f"generated-{count}.jsonl"
    generated = generate(results, count, seed)
    output = scratch / f"report-{count}.html"
    times, cpu, peaks = zip(*(render(results, output) for _ in range(repeat)), strict=True)
    seconds = statistics.median(times)
    size = output.stat().st_size
    peak_mib = max(peaks)
    target = TARGET_SECONDS.get(count)
    print(json.dumps({"samples": generated, "results_bytes": results.stat().st_size,
                      "render_s": [round(t, 2) for t in times],
                      "cpu_s": [round(t, 2) for t in cpu], "html_bytes": size,
                      "peak_rss_mib": round(peak_mib)}))  # fmt: skip
    print(f"report of {generated} samples ({results.stat().st_size / 1e6:.0f} MB of results): "
          f"median {seconds:.2f} s over {len(times)} renders (min {min(times):.2f}, max "
          f"{max(times):.2f}; target {f'< {target:g} s' if target else 'none'}; CPU median "
          f"{statistics.median(cpu):.2f} s), "
          f"{size / 1e6:.2f} MB of HTML (target < {TARGET_BYTES / 1e6:g} MB), "
          f"at most {peak_mib:.0f} MiB resident")  # fmt: skip
    results.unlink()
    return (target is None or seconds < target) and size < TARGET_BYTES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=sorted(TARGET_SECONDS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="isobench-report-bench-") as scratch:
        met = [bench(count, args.seed, args.repeat, Path(scratch)) for count in args.samples]
    if not all(met):
        print("report_bench: a target was missed", file=sys.stderr)
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
