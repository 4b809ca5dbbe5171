"""isobench's figures held against independent methods, interleaved in one process.

    nox -s crosscheck          (or: python -m harness.crosscheck [--rounds N] [-w WORKLOAD ...])

In rounds shuffled with a seeded random.Random, each round takes a block of every check:
- native noop (C, warm): isobench's samples (launcher, primer, memory group, as `isobench run`
  takes them) and hyperfine -N (no shell) on the very same executable; and isobench's samples
  against the same without their memory group: the group's own cost, a harness mechanism
  around the instance, held to the same band;
- docker noop (C, cold): isobench's samples (create .. remove, image layers evicted first) and
  `docker run --rm` with the same sandbox flags through the Docker CLI, timed by hyperfine -N,
  the same layer files evicted by its --prepare, less the CLI's own process start (`docker
  --version`, no API call, timed beside it): isobench talks to the Engine from a running process;
- wasmtime-cli noop (C, warm): isobench's samples and hyperfine -N of the same command line;
- the spawn floor (harness.floors): isobench-barestart's loop and hyperfine -N of the same
  isobench-idle;
- throughput: one sample of every CPU workload (C, default size, warm) under native, wasmtime
  (wasmtime-py, in-host) and wasmtime-cli, the three taken one after another: the same
  Cranelift compiles both wasm variants, so their net CPU-time ratios to native should agree;
- quiet: native noop samples taken amid docker and wasmtime samples, against the native noop
  samples of the first check (taken back to back in the same minutes): the primer before
  every sample should leave the neighbours out of it.

Everything runs where `isobench run` runs it: on the CPUs of --affinity (default: one).
Each row is a ratio taken within each round (so the drift between minutes this VM shows
cancels), their median over rounds with its 95% bootstrap interval; a row agrees only when the
whole interval lies within its band (5%; 10% for quiet). It prints the table and exits 1 when
a row is beyond its band or inconclusive (the interval straddles it: add rounds). A benchmark
that prints figures, never a timed test.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.affinity import AUTO, format_cpus, parse_cpus, pinned
from harness.build import BuildOutcome, build
from harness.cache import BuildCache
from harness.cgroups import MemoryCgroups
from harness.confine import PIDS_PER_INSTANCE, sample_account
from harness.errors import IsobenchError, sigterm_unwinds
from harness.floors import SPAWN, Floors
from harness.frame import frame_of
from harness.measure import PRIMER_WORKLOAD, Cell, open_to_samples, take_sample
from harness.results import Sample, Status
from harness.session import scratch_parent
from harness.stats import Cells, bootstrap_median_ci, summarize_cells
from harness.targets import TARGETS, Target
from harness.targets.base import COLD, WARM
from harness.targets.docker import DockerTarget
from harness.targets.wasmtime_cli import WasmtimeCliTarget
from harness.toolchains import Profile, host_arch
from harness.workloads import Language, load_workload

# CPU-bound workloads: computation only, no stdin, no folder, no page-fault calibrator
CPU_WORKLOADS = ("nbody", "spectral-norm", "fannkuch-redux", "mandelbrot", "binary-trees",
                 "word-freq", "sha256", "lz-compress", "matmul")  # fmt: skip
BAND = 1.05  # agreement within 5%
QUIET_BAND = 1.10  # the native floor amid other variants, within 10% of it alone
MEMORY_LIMIT_BYTES = 4096 << 20  # what `isobench run` gives every instance by default
VARIANTS = ("native", "docker", "wasmtime", "wasmtime-cli")


@dataclass(frozen=True, slots=True)
class Row:
    check: str
    ours: str
    reference: str
    ours_median: float  # ns, or a ratio (throughput rows)
    reference_median: float
    ratio: float
    interval: tuple[float, float] | None
    band: float
    unit: str  # "ms" or "×"

    @property
    def verdict(self) -> str:
        """within: the whole interval inside [1/band, band]; beyond: wholly outside it."""
        if self.interval is None:
            return "inconclusive"
        low, high = self.interval
        if 1 / self.band <= low and high <= self.band:
            return "within"
        if high < 1 / self.band or low > self.band:
            return "beyond"
        return "inconclusive"


def hyperfine_times_ns(
    command: list[str], runs: int, prepare: list[str] | None = None
) -> list[float]:
    """Per-run wall times of `command`, by hyperfine with no shell in between."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine is None:
        raise IsobenchError("hyperfine not found: apt-get install -y hyperfine")
    with tempfile.TemporaryDirectory() as directory:
        export = Path(directory) / "hyperfine.json"
        options = ["--prepare", " ".join(prepare)] if prepare else []
        subprocess.run(
            [hyperfine, "-N", "--runs", str(runs), "--warmup", "1", "--style", "none",
             *options, "--export-json", str(export), " ".join(command)],
            check=True, capture_output=True,
        )  # fmt: skip
        times = json.loads(export.read_text())["results"][0]["times"]
    return [seconds * 1e9 for seconds in times]


class Checks:
    """Everything the checks run, built and opened once."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.cache = BuildCache(args.cache_dir)
        self.cpus = parse_cpus(args.affinity)
        self.cgroups = MemoryCgroups.detect()
        self.targets: dict[str, Target] = {}
        for name in VARIANTS:
            self.targets[name] = TARGETS[name].open(self.cache)
        names = [PRIMER_WORKLOAD, *args.workloads]
        self.workloads = {name: load_workload(args.workloads_dir / name) for name in names}
        self.outcome: BuildOutcome = build(
            self.workloads.values(), languages=[Language.C], profiles=[Profile.PORTABLE],
            targets=list(self.targets.values()), cache=self.cache,
            on_step=lambda artifact, built: None,
        )  # fmt: skip
        self.scratch = open_to_samples(
            Path(tempfile.mkdtemp(prefix="isobench-crosscheck-", dir=scratch_parent()))
        )
        self.account = sample_account()
        self.floors = Floors([SPAWN], self.cache, None, host_arch())

    def spawn_floor(self) -> list[float]:
        """One loop of the spawn floor, as a run takes it after each round."""
        starts = self.floors.measure(0)
        if any(start.status is not Status.OK for start in starts):
            raise IsobenchError(f"crosscheck: the spawn floor: {starts[0].detail}")
        return [float(start.wall_ns or 0) for start in starts]

    def cell(self, workload: str, variant: str, state: str, size: str = "default") -> Cell:
        artifacts = {
            name: self.outcome.artifacts[(name, "c", variant, Profile.PORTABLE.value)]
            for name in (workload, PRIMER_WORKLOAD)
        }
        loaded = self.workloads[workload]
        return Cell(loaded, Language.C, variant, loaded.size(size), Profile.PORTABLE.value,
                    state, artifacts[workload], artifacts[PRIMER_WORKLOAD])  # fmt: skip

    def sample(self, cell: Cell, memory_group: bool = True) -> Sample:
        """One sample as `isobench run` takes it; without its memory group when asked (the
        group's own cost, apart)."""
        sample = take_sample(cell, self.targets[cell.variant], round_index=0, warmup=False,
                             cgroups=self.cgroups if memory_group else None,
                             scratch=self.scratch, timeout_s=120,
                             memory_limit_bytes=MEMORY_LIMIT_BYTES, cpus=self.cpus,
                             account=self.account)  # fmt: skip
        if sample.status is not Status.OK or sample.wall_ns is None:
            raise IsobenchError(f"crosscheck: a {cell.label} sample was {sample.status.value}: "
                                f"{sample.detail}")  # fmt: skip
        return sample

    def walls(self, cell: Cell, count: int, memory_group: bool = True) -> list[float]:
        return [float(self.sample(cell, memory_group).wall_ns or 0) for _ in range(count)]

    def close(self) -> None:
        for target in self.targets.values():
            target.close()
        self.floors.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def docker_cli_command(checks: Checks, cell: Cell) -> list[str]:
    """`docker run --rm` with the sandbox every isobench container gets (DockerTarget)."""
    docker = shutil.which("docker") or "docker"
    limit = f"{MEMORY_LIMIT_BYTES >> 20}m"
    return [docker, "run", "--rm", "--network", DockerTarget.network_mode, "--read-only",
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--pids-limit",
            str(PIDS_PER_INSTANCE), "--memory", limit, "--memory-swap", limit,
            *(["--cpuset-cpus", format_cpus(checks.cpus)] if checks.cpus else []),
            cell.artifact.image_tag]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--process-runs", type=int, default=20, help="per round and check")
    parser.add_argument("--docker-runs", type=int, default=2, help="per round and check")
    parser.add_argument("--amid-runs", type=int, default=6,
                        help="native samples amid others per round")  # fmt: skip
    parser.add_argument("--affinity", default=AUTO, help="as isobench run's (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-w", "--workload", dest="workloads", action="append",
                        default=None, help="CPU workloads of the throughput check")  # fmt: skip
    parser.add_argument("--workloads-dir", type=Path, default=Path("workloads"))
    parser.add_argument("--cache-dir", type=Path, default=Path("build"))
    args = parser.parse_args(argv)
    args.workloads = args.workloads or list(CPU_WORKLOADS)
    console = Console(highlight=False, width=160)
    with sigterm_unwinds():  # a cancelled crosscheck still removes its scratch and containers
        try:
            checks = Checks(args)
        except IsobenchError as error:
            console.print(f"crosscheck: {error}", markup=False)
            return 2
        try:
            with pinned(checks.cpus):  # hyperfine and the Docker CLI too
                rows = measure(checks, args, console)
        finally:
            checks.close()
    table = Table(title=f"crosscheck: isobench against independent methods ({args.rounds} "
                  f"interleaved rounds, seed {args.seed}, CPUs {format_cpus(checks.cpus)})",
                  caption="ratio: the median over rounds of each round's isobench / reference "
                  "(throughput: wasmtime-py / wasmtime-cli net CPU time), with its 95% bootstrap "
                  "interval; within: the whole interval inside the band")  # fmt: skip
    for column in ("check", "isobench", "reference", "ratio (95% CI)", "band", "verdict"):
        table.add_column(column, justify="left" if column == "check" else "right")
    for row in rows:
        scale = 1e6 if row.unit == "ms" else 1.0
        interval = f" ({row.interval[0]:.3f}–{row.interval[1]:.3f})" if row.interval else ""
        table.add_row(
            row.check,
            f"{row.ours_median / scale:.3f} {row.unit}  {row.ours}",
            f"{row.reference_median / scale:.3f} {row.unit}  {row.reference}",
            f"{row.ratio:.3f}{interval}",
            f"±{row.band - 1:.0%}",
            row.verdict,
        )
    console.print(table)
    failing = [row.check for row in rows if row.verdict != "within"]
    if failing:
        console.print(f"crosscheck: not within their band: {', '.join(failing)}", markup=False)
        return 1
    return 0


def measure(checks: Checks, args: argparse.Namespace, console: Console) -> list[Row]:
    native = checks.cell("noop", "native", WARM)
    docker = checks.cell("noop", "docker", COLD)
    cli = checks.cell("noop", "wasmtime-cli", WARM)
    cli_target = checks.targets["wasmtime-cli"]
    if not isinstance(cli_target, WasmtimeCliTarget):
        raise TypeError("wasmtime-cli is not the wasmtime CLI's target")
    cli_command = cli_target.command(
        cli_target.runner.path, ["--allow-precompiled", cli.artifact.path], []
    )
    docker_version = [shutil.which("docker") or "docker", "--version"]
    evict = [sys.executable, "-m", "harness.pagecache",
             *map(str, checks.targets["docker"].cold_files(docker.artifact))]  # fmt: skip
    amid = [checks.cell("noop", variant, WARM) for variant in ("docker", "wasmtime")]
    throughput = {workload: [checks.cell(workload, variant, WARM)
                             for variant in ("native", "wasmtime", "wasmtime-cli")]
                  for workload in (PRIMER_WORKLOAD, *args.workloads)}  # fmt: skip
    rng = random.Random(args.seed)

    def interleaved_native() -> list[float]:
        """Native noop samples, each amid a docker and a wasmtime sample, in shuffled order."""
        found = []
        for _ in range(args.amid_runs):
            order = [native, *amid]
            rng.shuffle(order)
            for cell in order:
                sample = checks.sample(cell)
                if cell is native:
                    found.append(float(sample.wall_ns or 0))
        return found

    throughput_samples: list[list[Sample]] = []  # per round

    def throughput_round() -> list[float]:
        """Every workload under the three variants, those three one right after another (the
        ratio between them then spans seconds, not a whole round's drift); workloads and the
        variants within each shuffled."""
        workloads = list(throughput)
        rng.shuffle(workloads)
        samples = []
        for workload in workloads:
            trio = list(throughput[workload])
            rng.shuffle(trio)
            samples += [checks.sample(cell) for cell in trio]
        throughput_samples.append(samples)
        return []

    blocks: dict[str, Callable[[], list[float]]] = {
        "native isobench": lambda: checks.walls(native, args.process_runs),
        "native isobench without its memory group": lambda: checks.walls(
            native, args.process_runs, memory_group=False
        ),
        "native hyperfine": lambda: hyperfine_times_ns([native.artifact.path], args.process_runs),
        "docker isobench": lambda: checks.walls(docker, args.docker_runs),
        "docker cli": lambda: hyperfine_times_ns(
            docker_cli_command(checks, docker), args.docker_runs, evict
        ),
        "docker client": lambda: hyperfine_times_ns(docker_version, args.process_runs),
        "cli isobench": lambda: checks.walls(cli, args.process_runs),
        "cli hyperfine": lambda: hyperfine_times_ns(cli_command, args.process_runs),
        "spawn barestart": checks.spawn_floor,
        "spawn hyperfine": lambda: hyperfine_times_ns([checks.floors.idle.path], args.process_runs),
        "native amid others": interleaved_native,
        "throughput": throughput_round,
    }
    rounds: list[dict[str, list[float]]] = []
    for round_index in range(args.rounds):
        order = list(blocks)
        rng.shuffle(order)
        rounds.append({name: blocks[name]() for name in order})
        console.print(f"crosscheck: round {round_index + 1} of {args.rounds} done", markup=False)

    def paired(
        check: str, ours: str, reference: str, band: float = BAND, less: str | None = None
    ) -> Row:
        """The ratio of medians in each round (both sides measured minutes apart at most),
        and the median of those ratios with its bootstrap interval: drift between rounds, which
        this VM shows, cancels within a round. `less`: a block whose median comes off the
        reference's in each round (what the reference pays and isobench does not)."""

        def reference_ns(r: dict[str, list[float]]) -> float:
            return statistics.median(r[reference]) - (statistics.median(r[less]) if less else 0)

        ratios = [statistics.median(r[ours]) / reference_ns(r) for r in rounds]
        mine = [value for r in rounds for value in r[ours]]
        theirs = [reference_ns(r) for r in rounds]
        label = reference.split(" ", 1)[1] + (f" less {less.split(' ', 1)[1]}" if less else "")
        return Row(check, ours.split(" ", 1)[1], label, statistics.median(mine),
                   statistics.median(theirs), statistics.median(ratios),
                   bootstrap_median_ci(ratios), band, "ms")  # fmt: skip

    rows = [
        paired("native noop (c, warm)", "native isobench", "native hyperfine"),
        paired(
            "native noop (c, warm): its memory group's cost",
            "native isobench",
            "native isobench without its memory group",
        ),
        paired("docker noop (c, cold)", "docker isobench", "docker cli", less="docker client"),
        paired("wasmtime-cli noop (c, warm)", "cli isobench", "cli hyperfine"),
        paired("spawn floor (isobench-idle)", "spawn barestart", "spawn hyperfine"),
        paired(
            "quiet: native noop amid others vs alone",
            "native amid others",
            "native isobench",
            QUIET_BAND,
        ),
    ]
    return rows + throughput_rows(throughput_samples, args.workloads)


def throughput_rows(by_round: list[list[Sample]], workloads: list[str]) -> list[Row]:
    """wasmtime-py's net CPU time over wasmtime-cli's, per workload, paired by round: the same
    Cranelift compiles both, so their ratios to native (printed) should agree. Each side's noop
    median over the whole check is its floor."""
    every = frame_of([sample for samples in by_round for sample in samples])
    summaries = {(s.workload, s.variant): s for s in summarize_cells(Cells(every))}

    def floor(variant: str) -> float:
        return summaries[(PRIMER_WORKLOAD, variant)].cpu.median or 0.0

    rows = []
    for workload in workloads:
        ratios = []
        for samples in by_round:
            cpu = {s.variant: s.cpu_ns for s in samples if s.workload == workload}
            py, cli = cpu.get("wasmtime"), cpu.get("wasmtime-cli")
            if py is not None and cli is not None:
                ratios.append((py - floor("wasmtime")) / (cli - floor("wasmtime-cli")))
        py_ratio = summaries[(workload, "wasmtime")].cpu.net
        cli_ratio = summaries[(workload, "wasmtime-cli")].cpu.net
        if not ratios or py_ratio is None or cli_ratio is None:
            continue
        rows.append(Row(f"throughput {workload}: net CPU ratio to native", "wasmtime-py",
                        "wasmtime-cli", py_ratio, cli_ratio, statistics.median(ratios),
                        bootstrap_median_ci(ratios), BAND, "×"))  # fmt: skip
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
