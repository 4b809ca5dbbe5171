"""Benchmark (not a test): what confining a sample costs the noop floor, on this machine.

`nox -s confinement` runs it (as root: the sample account needs it). Interleaved in one run, in
a seeded order, the noop sample of native (warm), wasmtime-cli (warm) and docker (warm) is taken
the way `isobench run` takes it (harness.measure.take_sample: cgroup, primer, launcher), once as
the sample account and once without it (the launcher then keeps the harness's user, root, with
everything else the same), and a scenario's process instance of native noop is started once
through the launcher (`-x`, confined) and once by Popen directly, spawn to exit.

Prints each median with its 95% bootstrap interval and the ratio's; exits 1 when an interval
lies wholly above the target (confinement costing more than 10% beyond doubt).
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from harness.confine import SAMPLE_ENVIRONMENT, SampleAccount
from harness.crosscheck import Checks
from harness.measure import take_sample
from harness.results import Status
from harness.stats import bootstrap_median_ci, bootstrap_ratio_ci
from harness.targets.base import WARM, Confinement, Instance
from harness.targets.instances import ProcessInstance
from harness.targets.launcher import Handover, launched_instance
from harness.targets.native import NativeTarget

TARGET = 1.10  # the most a confined start may cost, as a ratio to an unconfined one
VARIANTS = ("native", "wasmtime-cli", "docker")


def sample_ms(checks: Checks, variant: str, account: SampleAccount | None) -> float:
    cell = checks.cell("noop", variant, WARM)
    sample = take_sample(cell, checks.targets[variant], round_index=0, warmup=False,
                         cgroups=checks.cgroups, scratch=checks.scratch, timeout_s=60,
                         cpus=checks.cpus, account=account)  # fmt: skip
    if sample.status is not Status.OK or sample.wall_ns is None:
        raise SystemExit(f"{variant}: {sample.status.value}: {sample.detail}")
    return sample.wall_ns / 1e6


def instance_ms(start: Callable[[], Instance]) -> float:
    """Spawn to exit of one noop instance (its stdin ended at once), as a scenario times it."""
    began = time.perf_counter_ns()
    instance = start()
    try:
        instance.end_input()
        instance.wait(30)
    finally:
        instance.stop()
    return (time.perf_counter_ns() - began) / 1e6


def line(name: str, base: list[float], confined: list[float]) -> bool:
    """Print one comparison; whether its ratio's interval lies wholly above the target."""
    low, high = bootstrap_ratio_ci(confined, base) or (float("nan"), float("nan"))
    base_ci = bootstrap_median_ci(base) or (0.0, 0.0)
    confined_ci = bootstrap_median_ci(confined) or (0.0, 0.0)
    ratio = statistics.median(confined) / statistics.median(base)
    missed = low > TARGET
    print(f"{name:34s} {statistics.median(base):8.3f} ms ({base_ci[0]:.3f}-{base_ci[1]:.3f})  "
          f"{statistics.median(confined):8.3f} ms ({confined_ci[0]:.3f}-{confined_ci[1]:.3f})  "
          f"x{ratio:.3f} ({low:.3f}-{high:.3f}){'  ABOVE TARGET' if missed else ''}")  # fmt: skip
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    checks = Checks(argparse.Namespace(cache_dir=Path("build"), affinity="auto",
                                       workloads_dir=Path("workloads"), workloads=[]))  # fmt: skip
    account = checks.account
    if account is None:
        raise SystemExit("the sample account needs root: run as root")
    native = checks.targets["native"]
    if not isinstance(native, NativeTarget):
        raise TypeError("native is not the native target")
    noop = checks.cell("noop", "native", WARM).artifact
    launcher = native.launcher

    def confined_start() -> Instance:
        handover = Handover()
        program = handover.hand(noop.path)
        return launched_instance(launcher, [program], handover, "bench", Confinement(account))

    def direct_start() -> Instance:
        return ProcessInstance([noop.path], SAMPLE_ENVIRONMENT)

    measures: dict[str, Callable[[], float]] = {}
    for variant in VARIANTS:
        measures[f"{variant}|root"] = functools.partial(sample_ms, checks, variant, None)
        measures[f"{variant}|account"] = functools.partial(sample_ms, checks, variant, account)
    measures["instance|direct"] = lambda: instance_ms(direct_start)
    measures["instance|launcher"] = lambda: instance_ms(confined_start)
    values: dict[str, list[float]] = {name: [] for name in measures}
    rng = random.Random(options.seed)
    try:
        for _ in range(options.rounds):
            order = list(measures)
            rng.shuffle(order)
            for name in order:
                values[name].append(measures[name]())
    finally:
        checks.close()
    print(f"{'noop, spawn to exit (warm)':34s} {'unconfined':>27s}  {'confined':>27s}  ratio")
    missed = [line(f"{variant} sample: root / account", values[f"{variant}|root"],
                   values[f"{variant}|account"]) for variant in VARIANTS]  # fmt: skip
    missed.append(line("scenario instance: Popen / launcher", values["instance|direct"],
                       values["instance|launcher"]))  # fmt: skip
    return 1 if any(missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
