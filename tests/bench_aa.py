"""Benchmark (not a test): the regression gate's false alarms and power, on real runs.

`nox -s aa` runs it. Three parts, each through `isobench compare BASE NEW --fail-on-regression
PCT --json` in a process of its own, as CI would call it:

1. Splits: one run's measured samples split in two halves, cell by cell, at random (seeded
   20 ways: split 0 to 19). Nothing differs between the halves but chance: every regression
   found is a false alarm. Target: at most 1 in 20.
2. Back to back: the quick suite measured twice on this machine (`isobench run`, then `isobench
   run --same-plan-as` the first, as `nox -s regression` does). Target: no false alarm.
3. Planted: the quick suite measured a third time with one workload doing about 30% more work
   (a copy of the workloads folder in which memtouch's tiny size touches 21 MiB, not 16, with
   its expected output computed by workloads/tools/expected.py). A slower workload changes its
   folder, and compare never gates a workload whose files differ; so the planted run's header
   names the baseline's workload revision, as a regression from outside the folder (a slower
   compiler or engine) would. Every figure in it was measured. Target: flagged.

Prints what each part found, with the smallest adjusted p-value and how many comparisons were
too small to flag anything (`blind`); exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.results import ResultsWriter, Sample, read_results

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = sorted((ROOT / "results" / "example").glob("*.jsonl"))
PLANTED_WORKLOAD = "memtouch"
PLANTED_SIZE = "tiny"
PLANTED_ARGS = ("16", "21")  # MiB touched: 21 / 16 = 1.31 times the work


def isobench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip


def gate(base: Path, new: Path, threshold: float) -> dict[str, Any]:
    """`isobench compare --json --fail-on-regression`: its document and exit code."""
    done = isobench("compare", str(base), str(new), "--json", "--fail-on-regression",
                    f"{threshold:g}")  # fmt: skip
    if done.returncode not in (0, 1):
        raise SystemExit(f"compare {base} {new}: exit {done.returncode}: {done.stderr.strip()}")
    document: dict[str, Any] = json.loads(done.stdout)
    document["exit_code"] = done.returncode
    return document


def flagged(document: dict[str, Any]) -> list[str]:
    return [
        f"{c['workload']} ({c['language']}, {c['variant']} {c['state']}) {c['metric']} "
        f"{c['ratio']:.2f}x [{c['ratio_ci'][0]:.2f}-{c['ratio_ci'][1]:.2f}], "
        f"Holm p {c['adjusted_p_value']:.2g}"
        for c in document["changes"]
        if c["regression"]
    ]


def smallest_adjusted_p(document: dict[str, Any]) -> float:
    return min((c["adjusted_p_value"] for c in document["changes"]), default=1.0)


def split(run: Path, seed: int, directory: Path) -> tuple[Path, Path]:
    """The run's measured samples in two halves, each cell's shuffled with `seed` and cut in
    the middle (an odd count: the extra one to either half at random)."""
    results = read_results(run)
    cells: dict[object, list[Sample]] = {}
    for sample in results.samples:
        if not sample.warmup:
            cells.setdefault(sample.cell_key, []).append(sample)
    rng = random.Random(seed)
    halves: tuple[list[Sample], list[Sample]] = ([], [])
    for key in sorted(cells, key=str):
        samples = cells[key]
        rng.shuffle(samples)
        cut = len(samples) // 2 + (len(samples) % 2 and rng.random() < 0.5)
        halves[0].extend(samples[:cut])
        halves[1].extend(samples[cut:])
    paths = (directory / f"split{seed}-a.jsonl", directory / f"split{seed}-b.jsonl")
    for path, half in zip(paths, halves, strict=True):
        with ResultsWriter(path, results.header) as writer:
            for sample in half:
                writer.add(sample)
    return paths


def planted_workloads(directory: Path) -> Path:
    """A copy of the workloads folder whose planted workload does ~30% more work at its size,
    with the expected output of that work."""
    copy = directory / "workloads"
    shutil.copytree(ROOT / "workloads", copy)
    manifest = copy / PLANTED_WORKLOAD / "workload.toml"
    old, new = PLANTED_ARGS
    text, count = re.subn(rf'(\[sizes\.{PLANTED_SIZE}\]\s*\nargs = \["){old}"', rf'\g<1>{new}"',
                          manifest.read_text())  # fmt: skip
    if count != 1:
        raise SystemExit(f"{manifest}: found no {PLANTED_SIZE} size with args [{old!r}]")
    manifest.write_text(text)
    subprocess.run([sys.executable, str(copy / "tools" / "expected.py"), "--sizes", PLANTED_SIZE,
                    PLANTED_WORKLOAD], check=True, capture_output=True)  # fmt: skip
    return copy


def relabelled(planted: Path, baseline: Path) -> Path:
    """The planted run with the baseline's revision of the planted workload in its header."""
    results, base = read_results(planted), read_results(baseline)
    header = results.header
    workloads = dict(header.workloads)
    workloads[PLANTED_WORKLOAD] = base.header.workloads[PLANTED_WORKLOAD]
    path = planted.with_name(f"{planted.stem}-relabelled.jsonl")
    with ResultsWriter(path, dataclasses.replace(header, workloads=workloads)) as writer:
        for sample in results.samples:
            writer.add(sample)
    return path


def measure(directory: Path, *args: str) -> Path:
    done = isobench("--results-dir", str(directory), *args)
    if done.returncode != 0:
        raise SystemExit(f"isobench {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return max(directory.glob("*.jsonl"), key=lambda path: path.stat().st_mtime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=EXAMPLE[-1] if EXAMPLE else None,
                        help="the run to split (default: the committed example)")  # fmt: skip
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--threshold", type=float, default=10.0, help="percent")
    parser.add_argument("--repetitions", type=int, default=10,
                        help="samples a cell in the quick-suite runs")  # fmt: skip
    parser.add_argument("--skip-runs", action="store_true",
                        help="the splits only (no measuring)")  # fmt: skip
    options = parser.parse_args()
    if options.run is None:
        raise SystemExit("no run to split: give --run FILE")
    missed = []
    with tempfile.TemporaryDirectory(prefix="isobench-aa-") as scratch:
        work = Path(scratch)
        alarms, smallest, blind = 0, 1.0, set()
        for seed in range(options.splits):
            document = gate(*split(options.run, seed, work), options.threshold)
            alarms += document["exit_code"] == 1
            smallest = min(smallest, smallest_adjusted_p(document))
            blind.add((document["blind"], document["comparisons"]))
            for line in flagged(document):
                print(f"  split {seed}: false alarm: {line}")
        blind_text = ", ".join(f"{b} of {c}" for b, c in sorted(blind))
        print(f"splits of {options.run.name}: {alarms} false alarms in {options.splits} "
              f"(target at most 1); smallest Holm p {smallest:.2g}; comparisons too small to "
              f"flag anything: {blind_text}")  # fmt: skip
        if alarms > 1:
            missed.append("splits")
        if not options.skip_runs:
            missed += back_to_back_and_planted(work, options.repetitions, options.threshold)
    print("targets: " + ("all met" if not missed else f"missed: {', '.join(missed)}"))
    return 1 if missed else 0


def back_to_back_and_planted(work: Path, repetitions: int, threshold: float) -> list[str]:
    missed = []
    quick = ("run", "--suite", "quick", "-n", str(repetitions), "--precision", "off")
    first = measure(work / "first", *quick)
    second = measure(work / "second", "run", "--same-plan-as", str(first))
    document = gate(first, second, threshold)
    smallest = smallest_adjusted_p(document)
    print(f"back to back ({first.name}, {second.name}): {len(flagged(document))} false alarms "
          f"(target 0) among {document['comparisons']} comparisons, {document['blind']} too "
          f"small to flag anything; smallest Holm p {smallest:.2g}")  # fmt: skip
    for line in flagged(document):
        print(f"  false alarm: {line}")
    if document["exit_code"] != 0:
        missed.append("back to back")
    workloads = planted_workloads(work / "planted-workloads")
    planted = measure(work / "planted", "--workloads-dir", str(workloads), "run",
                      "--same-plan-as", str(first))  # fmt: skip
    document = gate(first, relabelled(planted, first), threshold)
    lines = flagged(document)
    caught = [line for line in lines if line.startswith(f"{PLANTED_WORKLOAD} ")]
    others = [line for line in lines if not line.startswith(f"{PLANTED_WORKLOAD} ")]
    print(f"planted ({PLANTED_WORKLOAD} {PLANTED_SIZE}: {PLANTED_ARGS[1]} MiB, not "
          f"{PLANTED_ARGS[0]}): {len(caught)} of its cells flagged, {len(others)} other "
          "regressions (false alarms)")  # fmt: skip
    for line in lines:
        print(f"  {'detected' if line in caught else 'false alarm'}: {line}")
    if not caught:
        missed.append("planted slowdown")
    if others:
        missed.append("planted run's other cells")
    return missed


if __name__ == "__main__":
    raise SystemExit(main())
