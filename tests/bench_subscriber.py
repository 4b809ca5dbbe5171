"""Benchmark (not a test): what the containerd event subscriber does to Docker's figures.

`nox -s subscriber` runs it. The docker variant keeps one `ctr events` process for the whole
run (harness.targets.containerd_events) to see each start from inside; this takes docker noop
samples (C, warm) with that subscriber and without it, in blocks opened in a seeded shuffled
order (each block its own target: the subscriber exists only in its blocks), on the CPU the
measure loop uses, and prints the medians and their ratio with its 95% bootstrap interval
(samples resampled), then the median of the rounds' paired block ratios with its interval
(rounds resampled: blocks drift against each other here by more than the first allows for).
Exits 1 when the paired interval lies wholly beyond the band (±5%): the subscriber moves the
figures.

`--unread N`: the other arm runs N subscribers that nothing reads (and the target none), as
every docker target opened to build or to start the scenarios' instances did before the
subscriber waited for the first sample; it also prints how much containerd's memory (PSS) grew
over each block.

`--floor`: times the containerd floor's loop instead (harness.floors: `ctr run --rm` in a
namespace of its own, 20 starts a block after 3 untimed), which runs while the docker variant's
subscriber lives, with that subscriber (to Docker's namespace alone, SUBSCRIPTION) against one
to every event (what the variant ran before it subscribed to Docker's namespace alone, and so
was told of the floor's containers).
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
from harness.floors import CONTAINERD, Floors
from harness.stats import bootstrap_median_ci, bootstrap_ratio_ci
from harness.targets.base import WARM, Invocation
from harness.targets.containerd_events import SUBSCRIPTION, EventLog
from harness.targets.docker import DockerTarget, connect
from harness.toolchains import Profile, host_arch
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
    parser.add_argument(
        "--floor",
        action="store_true",
        help="time the containerd floor, Docker's subscriber against one to all",
    )
    args = parser.parse_args(argv)
    cache = BuildCache(args.cache_dir)
    if args.floor:
        return _floor(cache, args.blocks, random.Random(args.seed))
    client = connect()
    packager = DockerTarget(client, cache, timeline=False)
    outcome = build([load_workload(ROOT / "workloads" / "noop")], languages=[Language.C],
                    profiles=[Profile.PORTABLE], targets=[packager], cache=cache,
                    on_step=lambda artifact, built: None)  # fmt: skip
    image = outcome.artifacts[("noop", "c", DockerTarget.name, Profile.PORTABLE.value)]
    blocks: dict[bool, list[list[float]]] = {True: [], False: []}  # each block's walls
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
                walls: list[float] = []
                blocks[with_subscriber].append(walls)
                try:
                    for index in range(args.per_block + 1):
                        execution = target.run(Invocation(image, (), scratch / "out",
                                                          scratch / "err", 60.0, None,
                                                          state=WARM))  # fmt: skip
                        if index and execution.wall_ns is not None and execution.exit_code == 0:
                            walls.append(float(execution.wall_ns))
                finally:
                    grown[with_subscriber].append(_containerd_pss() - before)
                    for log in [target.events, *unread]:
                        if log is not None:
                            log.close()
    on, off = _pooled(blocks[True]), _pooled(blocks[False])
    arm = f"{args.unread} unread subscribers" if args.unread else "the subscriber"
    print(f"docker noop warm (C), {len(on)} and {len(off)} samples, on CPUs {cpus}")
    print(f"with {arm} {np.median(on) / 1e6:.1f} ms, without {np.median(off) / 1e6:.1f} ms")
    print(f"containerd's PSS over a block of {args.per_block + 1} starts, median: with "
          f"{np.median(grown[True]) / 2**10:+.0f} KiB, without "
          f"{np.median(grown[False]) / 2**10:+.0f} KiB")  # fmt: skip
    return _verdict(blocks[True], blocks[False])


def _pooled(blocks: list[list[float]]) -> list[float]:
    return [wall for block in blocks for wall in block]


def _verdict(on: list[list[float]], off: list[list[float]]) -> int:
    """Prints the ratio of the arms' medians (on / off) with its interval, resampling samples,
    and the median of the blocks' paired ratios (each round's block of one arm over the other's)
    with its interval, resampling rounds: the one to trust when blocks drift against each other
    more than samples vary within one (here, by 2-3%), and the one held to the band (1 beyond)."""
    on_walls, off_walls = _pooled(on), _pooled(off)
    pooled = bootstrap_ratio_ci(on_walls, off_walls)
    ratio = float(np.median(on_walls) / np.median(off_walls))
    print(f"ratio of the medians {ratio:.3f} (95% CI {pooled[0]:.3f}-{pooled[1]:.3f}, samples "
          "resampled)" if pooled else "")  # fmt: skip
    paired = [float(np.median(a) / np.median(b)) for a, b in zip(on, off, strict=True) if a and b]
    interval = bootstrap_median_ci(paired)
    if interval:
        print(f"paired block ratio, median of {len(paired)}: {np.median(paired):.3f} (95% CI "
              f"{interval[0]:.3f}-{interval[1]:.3f}, rounds resampled)")  # fmt: skip
    beyond = interval is not None and (interval[0] > BAND or interval[1] < 1 / BAND)
    print("BEYOND the ±5% band" if beyond else "within the ±5% band, or not resolved")
    return 1 if beyond else 0


def _floor(cache: BuildCache, rounds: int, order: random.Random) -> int:
    """The containerd floor's starts with Docker's subscriber (True) and one to every event."""
    blocks: dict[bool, list[list[float]]] = {True: [], False: []}  # each block's walls
    subscriber_cpu: dict[bool, list[float]] = {True: [], False: []}  # seconds, each block
    with Floors([CONTAINERD], cache, None, host_arch()) as floors, pinned(parse_cpus(AUTO)):
        cpus = sorted(os.sched_getaffinity(0))
        for _ in range(rounds):
            arms = [True, False]
            order.shuffle(arms)
            for dockers in arms:
                log = _started(SUBSCRIPTION if dockers else ())
                try:
                    rows = floors.measure(1)
                    subscriber_cpu[dockers].append(_subscriber_cpu_s())
                finally:
                    log.close()
                blocks[dockers].append([float(row.wall_ns) for row in rows if row.wall_ns])
    on, off = _pooled(blocks[True]), _pooled(blocks[False])
    print(f"containerd floor, {len(on)} and {len(off)} starts, on CPUs {cpus}")
    print(f"with Docker's subscriber {np.median(on) / 1e6:.2f} ms, with one to every event "
          f"{np.median(off) / 1e6:.2f} ms")  # fmt: skip
    print(f"the subscriber's CPU time a block (its start and probes included), median: "
          f"{np.median(subscriber_cpu[True]) * 1e3:.0f} ms against "
          f"{np.median(subscriber_cpu[False]) * 1e3:.0f} ms")  # fmt: skip
    return _verdict(blocks[True], blocks[False])


def _subscriber_cpu_s() -> float:
    """The user and system time of this process's one `ctr` child (the subscriber)."""
    (ctr,) = [child for child in psutil.Process().children() if child.name() == "ctr"]
    times = ctr.cpu_times()
    return float(times.user + times.system)


def _started(subscription: tuple[str, ...] = SUBSCRIPTION) -> EventLog:
    log, why = EventLog.start(subscription)
    if log is None:
        raise SystemExit(f"bench_subscriber: no subscriber: {why}")
    return log


def _containerd_pss() -> int:
    return sum(process.memory_full_info().pss
               for process in psutil.process_iter(["name"])
               if process.info["name"] == "containerd")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
