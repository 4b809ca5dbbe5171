"""Benchmark (not a test): `isobench report` of generated 100 000- and 1 000 000-sample runs.

`nox -s report_bench` runs it. The samples are generated (seeded), shaped like a real run: the
header of the committed example run, every cell of it, samples spread log-normally around the
example's own medians, a few failures. The figures printed are measured, in a fresh process for
each of --repeat renders, in two scopes:
- render: from the `isobench report` command's call to its exit code, its module imports done
  (read, summarize, plot, render, write): the scope the issue's targets were set in (its
  baseline, 2.2 s for 100 000 samples, was this benchmark timing `write_report` after its
  imports). The median is held to the target, min and max are shown.
- command: the whole process as its user waits for it, interpreter start and imports included
  (about a second more on the 2-core VM).
Beside them: each process's CPU time (user + system: the quieter figure on a shared host, whose
wall time varies twofold by the hour here) and its system time alone (the kernel's share: at a
million samples mostly pages zeroed for fresh memory, and what moves most between hours), the
size of the HTML and the most memory a render held. Exits 1 when a target is missed: 100 000
samples rendered in under 2 s, 1 000 000 in under 10 s (issue 19, on the 2-core VM), either
under 3 MB of HTML.
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

from harness.results import ResultsWriter, Sample, Status, read_results

EXAMPLE = sorted((Path(__file__).resolve().parent.parent / "results" / "example").glob("*.jsonl"))
TARGET_SECONDS = {100_000: 2.0, 1_000_000: 10.0}  # samples -> the most a render may take
TARGET_BYTES = 3 * 10**6


def generate(path: Path, total: int, seed: int) -> int:
    example = read_results(EXAMPLE[-1])
    header = example.header
    cells: dict[tuple[str, ...], list[int]] = {}
    templates: dict[tuple[str, ...], Sample] = {}
    for sample in example.samples:
        if sample.status is Status.OK and sample.wall_ns and not sample.warmup:
            key: tuple[str, ...] = (
                sample.workload, sample.language, sample.variant, sample.size, sample.state
            )  # fmt: skip
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


# The command as `python -m harness` runs it, timing its own call apart from its imports.
_TIMED_COMMAND = """
import sys, time
from harness.cli import main
imported = time.perf_counter()
code = main(sys.argv[1:])
print(f"render_s={time.perf_counter() - imported}", file=sys.stderr)
sys.exit(code)
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Render:
    render_s: float  # the command's call, its imports done
    command_s: float  # the whole process: interpreter, imports, call, exit
    cpu_s: float  # the process's user + system time
    system_s: float  # its system time alone: the kernel's share, what moves most by the hour here
    peak_rss_mib: float


def render(results: Path, output: Path) -> Render:
    """One `isobench report` command, timed in both scopes; its CPU time and the most memory it
    held, its own rusage as wait4 gives it."""
    command = [sys.executable, "-c", _TIMED_COMMAND, "report", str(results), "-o", str(output)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    said = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode or "render_s=" not in said:
        raise SystemExit(f"report_bench: isobench report exited {process.returncode}: {said}")
    render_s = float(said.rsplit("render_s=", 1)[1])
    return Render(
        render_s, seconds, usage.ru_utime + usage.ru_stime, usage.ru_stime, usage.ru_maxrss / 1024
    )


def bench(count: int, seed: int, repeat: int, scratch: Path) -> bool:
    """Renders `count` generated samples `repeat` times; prints the figures; whether the
    targets were met."""
    results = scratch / f"generated-{count}.jsonl"
    generated = generate(results, count, seed)
    output = scratch / f"report-{count}.html"
    renders = [render(results, output) for _ in range(repeat)]
    times = [r.render_s for r in renders]
    commands = [r.command_s for r in renders]
    cpu = [r.cpu_s for r in renders]
    system = [r.system_s for r in renders]
    seconds = statistics.median(times)
    size = output.stat().st_size
    peak_mib = max(r.peak_rss_mib for r in renders)
    target = TARGET_SECONDS.get(count)
    print(json.dumps({"samples": generated, "results_bytes": results.stat().st_size,
                      "render_s": [round(t, 2) for t in times],
                      "command_s": [round(t, 2) for t in commands],
                      "cpu_s": [round(t, 2) for t in cpu],
                      "system_s": [round(t, 2) for t in system], "html_bytes": size,
                      "peak_rss_mib": round(peak_mib)}))  # fmt: skip
    print(f"report of {generated} samples ({results.stat().st_size / 1e6:.0f} MB of results): "
          f"render median {seconds:.2f} s over {len(times)} renders (min {min(times):.2f}, max "
          f"{max(times):.2f}; target {f'< {target:g} s' if target else 'none'}); whole command "
          f"median {statistics.median(commands):.2f} s, CPU {statistics.median(cpu):.2f} s "
          f"(system {statistics.median(system):.2f} s); "
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
