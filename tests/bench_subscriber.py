"""Benchmark (not a test): what the containerd event subscriber does to Docker's figures.

`nox -s subscriber` runs it. The docker variant keeps one `ctr events` process for the whole
run (harness.targets.containerd_events) to see each start from inside; this takes docker noop
samples (C, warm) with that subscriber and without it, in blocks opened in a seeded shuffled
order (each block its own target: the subscriber exists only in its blocks), on the CPU the
measure loop uses, and prints the medians and the ratio with its 95% bootstrap interval.
Exits 1 when the whole interval lies beyond the band (±5%): the subscriber moves the figures.

`--unread N`: the other arm runs N subscribers that nothing reads (and the target none), as
every docker target opened to build or to start the scenarios' instances did before the
subscriber waited for the first sample; it also prints how much containerd's memory (PSS) grew
over each block.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np
import psutil

from harness.affinity import AUTO, parse_cpus, pinned
from harness.build import build
from harness.cache import BuildCache
from harness.stats import bootstrap_ratio_ci
from harness.targets.base import WARM, Invocation
from harness.targets.containerd_events import EventLog
from harness.targets.docker import DockerTarget, connect
from harness.toolchains import Profile
from harness.workloads import Language, load_workload

ROOT = Path(__file__).resolve().parent.parent
BAND = 1.05
PER_BLOCK = 5  # timed samples a block (by default), after one untimed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_subscriber")
    parser.add_argument("--blocks", type=int, default=30, help="blocks of each arm")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--per-block", type=int, default=PER_BLOCK, help="timed samples a block")
    parser.add_argument("--unread", type=int, default=0, help="this many unread subscribers")
    args = parser.parse_args(argv)
    cache = BuildCache(args.cache_dir)
    client = connect()
    packager = DockerTarget(client, cache, timeline=False)
    outcome = build([load_workload(ROOT / "workloads" / "noop")], languages=[Language.C],
                    profiles=[Profile.PORTABLE], targets=[packager], cache=cache,
                    on_step=lambda artifact, built: None)  # fmt: skip
    image = outcome.artifacts[("noop", "c", DockerTarget.name, Profile.PORTABLE.value)]
    walls: dict[bool, list[float]] = {True: [], False: []}
    grown: dict[bool, list[int]] = {True: [], False: []}  # containerd's PSS over each block
    scratch = Path(tempfile.mkdtemp(prefix="isobench-subscriber-"))
    order = random.Random(args.seed)
    with pinned(parse_cpus(AUTO)):
        cpus = sorted(os.sched_getaffinity(0))
        for _ in range(args.blocks):
            arms = [True, False]
            order.shuffle(arms)
            for with_subscriber in arms:
                target = DockerTarget(client, cache, timeline=with_subscriber and not args.unread)
                unread = [_started() for _ in range(args.unread if with_subscriber else 0)]
                before = _containerd_pss()
                try:
                    for index in range(args.per_block + 1):
                        execution = target.run(Invocation(image, (), scratch / "out",
                                                          scratch / "err", 60.0, None,
                                                          state=WARM))  # fmt: skip
                        if index and execution.wall_ns is not None and execution.exit_code == 0:
                            walls[with_subscriber].append(float(execution.wall_ns))
                finally:
                    grown[with_subscriber].append(_containerd_pss() - before)
                    for log in [target.events, *unread]:
                        if log is not None:
                            log.close()
    on, off = walls[True], walls[False]
    interval = bootstrap_ratio_ci(on, off)
    ratio = float(np.median(on) / np.median(off))
    arm = f"{args.unread} unread subscribers" if args.unread else "the subscriber"
    print(f"docker noop warm (C), {len(on)} and {len(off)} samples, on CPUs {cpus}")
    print(f"with {arm} {np.median(on) / 1e6:.1f} ms, without {np.median(off) / 1e6:.1f} ms")
    print(f"containerd's PSS over a block of {args.per_block + 1} starts, median: with "
          f"{np.median(grown[True]) / 2**10:+.0f} KiB, without "
          f"{np.median(grown[False]) / 2**10:+.0f} KiB")  # fmt: skip
    print(f"ratio {ratio:.3f} (95% CI {interval[0]:.3f}-{interval[1]:.3f})" if interval else "")
    beyond = interval is not None and (interval[0] > BAND or interval[1] < 1 / BAND)
    print("BEYOND the ±5% band" if beyond else "within the ±5% band, or not resolved")
    return 1 if beyond else 0


def _started() -> EventLog:
    log, why = EventLog.start()
    if log is None:
        raise SystemExit(f"bench_subscriber: no subscriber: {why}")
    return log


def _containerd_pss() -> int:
    return sum(process.memory_full_info().pss
               for process in psutil.process_iter(["name"])
               if process.info["name"] == "containerd")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
