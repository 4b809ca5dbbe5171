"""isobench's own measuring overhead, held against reference tools on the same executables.

    nox -s overhead          (or: python -m harness.overhead [--rounds N])

In one run, in rounds shuffled with a seeded random.Random, it measures:
- native `noop` (C): isobench's sample path (launcher, posix_spawn -> wait4) and hyperfine -N
  (no shell) on the very same executable;
- docker `noop` (C): isobench's cold path (create + attach + start + wait through the Engine API)
  and `docker run --rm --network none` through the Docker CLI, timed by hyperfine -N.
It prints the medians and their ratios, and exits 1 when a target is missed: isobench's native
median at most 1.10 x hyperfine's, and its docker median no slower than the CLI's.
A benchmark that prints figures, never a timed test.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness.build import build
from harness.cache import Artifact, BuildCache
from harness.errors import IsobenchError
from harness.measure import Cell, take_sample
from harness.results import Status
from harness.targets.base import COLD, WARM, Target
from harness.targets.docker import DockerTarget
from harness.targets.native import NativeTarget
from harness.toolchains import Profile
from harness.workloads import Language, load_workload

NATIVE_TARGET_RATIO = 1.10  # isobench native median <= this x hyperfine's
DOCKER_TARGET_RATIO = 1.00  # isobench docker median <= the CLI's


def hyperfine_times_ns(command: list[str], runs: int) -> list[float]:
    """Per-run wall times of `command`, by hyperfine with no shell in between."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine is None:
        raise IsobenchError("hyperfine not found: apt-get install -y hyperfine")
    with tempfile.TemporaryDirectory() as directory:
        export = Path(directory) / "hyperfine.json"
        subprocess.run(
            [hyperfine, "-N", "--runs", str(runs), "--style", "none", "--export-json",
             str(export), " ".join(command)],
            check=True, capture_output=True,
        )  # fmt: skip
        times = json.loads(export.read_text())["results"][0]["times"]
    return [seconds * 1e9 for seconds in times]


def isobench_times_ns(cell: Cell, target: Target, runs: int, scratch: Path) -> list[float]:
    """Wall times of `runs` samples taken exactly as `isobench run` takes them."""
    times = []
    for _ in range(runs):
        sample = take_sample(
            cell, target, round_index=0, warmup=False, cgroups=None, scratch=scratch, timeout_s=60
        )
        if sample.status is not Status.OK or sample.wall_ns is None:
            raise IsobenchError(f"overhead: a {cell.label} sample was {sample.status}")
        times.append(float(sample.wall_ns))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--native-runs", type=int, default=30, help="per round")
    parser.add_argument("--docker-runs", type=int, default=3, help="per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workloads-dir", type=Path, default=Path("workloads"))
    parser.add_argument("--cache-dir", type=Path, default=Path("build"))
    args = parser.parse_args(argv)

    cache = BuildCache(args.cache_dir)
    workload = load_workload(args.workloads_dir / "noop")
    native, docker = NativeTarget.open(cache), DockerTarget.open(cache)
    try:
        outcome = build(
            [workload], languages=[Language.C], profiles=[Profile.PORTABLE],
            targets=[native, docker], cache=cache, on_step=lambda artifact, built: None,
        )  # fmt: skip

        def cell(variant: str, state: str) -> Cell:
            artifact: Artifact = outcome.artifacts[("noop", "c", variant, "portable")]
            size = workload.size("tiny")
            return Cell(workload, Language.C, variant, size, "portable", state, artifact)

        executable = cell("native", WARM).artifact.path
        docker_cli = shutil.which("docker") or "docker"
        tag = cell("docker", COLD).artifact.extra["tag"]
        times: dict[str, list[float]] = {}
        with tempfile.TemporaryDirectory(prefix="isobench-overhead-") as scratch:
            measures: dict[str, Callable[[], list[float]]] = {
                "native noop, isobench": lambda: isobench_times_ns(
                    cell("native", WARM), native, args.native_runs, Path(scratch)
                ),
                "native noop, hyperfine -N": lambda: hyperfine_times_ns(
                    [executable], args.native_runs
                ),
                "docker noop, isobench cold": lambda: isobench_times_ns(
                    cell("docker", COLD), docker, args.docker_runs, Path(scratch)
                ),
                "docker noop, docker run --rm": lambda: hyperfine_times_ns(
                    [docker_cli, "run", "--rm", "--network", "none", tag], args.docker_runs
                ),
            }
            rng = random.Random(args.seed)
            for _ in range(args.rounds):
                order = list(measures)
                rng.shuffle(order)
                for name in order:
                    times.setdefault(name, []).extend(measures[name]())
    finally:
        native.close()
        docker.close()

    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in sorted(medians.items()):
        print(f"{name:<32} median {median / 1e6:9.3f} ms  ({len(times[name])} runs)")
    native_ratio = medians["native noop, isobench"] / medians["native noop, hyperfine -N"]
    docker_ratio = medians["docker noop, isobench cold"] / medians["docker noop, docker run --rm"]
    native_ok = native_ratio <= NATIVE_TARGET_RATIO
    docker_ok = docker_ratio <= DOCKER_TARGET_RATIO
    print(f"native: isobench / hyperfine = {native_ratio:.3f} "
          f"(target <= {NATIVE_TARGET_RATIO:.2f}: {'met' if native_ok else 'MISSED'})")  # fmt: skip
    print(f"docker: isobench / docker CLI = {docker_ratio:.3f} "
          f"(target <= {DOCKER_TARGET_RATIO:.2f}: {'met' if docker_ok else 'MISSED'})")  # fmt: skip
    print(f"docker CLI: {docker_cli}; seed {args.seed}; rounds {args.rounds}")
    return 0 if native_ok and docker_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
