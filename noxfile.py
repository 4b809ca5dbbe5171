"""Sessions: `tests` (unit + integration), `lint` (ruff, mypy strict, deptry); `wheel` (the
package built, installed alone and run); benchmarks that print
figures: `bench`, `scenarios`, `crosscheck`, `report_bench`, `aa` (the regression gate's false
alarms and power); `regression` (a baseline given: fail on slowdowns); `kubernetes` (the
Kubernetes Job rehearsed on this machine).

Speed and memory figures belong in benchmarks, never in timed tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests (fake target, fixture files) and integration tests (real compilers, a real
    Docker Engine, real wasmtime). Extra arguments go to pytest, e.g. `-- -m "not integration"`."""
    session.install("-e", ".[dev]")
    # success_codes=[0]: "no tests collected" (exit 5) fails the session.
    session.run("pytest", *session.posargs, success_codes=[0])


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    paths = ("harness", "tests", "workloads", "noxfile.py")
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("mypy")
    session.run("deptry", ".")


@nox.session
def wheel(session: nox.Session) -> None:
    """The package as a user installs it: a wheel built from the tree, installed alone into
    this session's clean environment, then `isobench report` and `summary --format markdown`
    run from it on the committed example, in a folder where the source tree cannot be
    imported (package data, templates included, must come from the wheel)."""
    # setuptools stages a wheel in build/lib (build/ is also isobench's cache): a module that
    # an earlier build staged there and the tree no longer has would ride along in the wheel
    for stale in [*Path("build").glob("lib*"), *Path("build").glob("bdist.*")]:
        shutil.rmtree(stale)
    wheels = Path(session.create_tmp()).resolve() / "wheels"
    session.run("python", "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), ".")
    (built,) = wheels.glob("isobench-*.whl")
    session.install(str(built))
    example = sorted(Path("results/example").resolve().glob("*.jsonl"))[-1]
    elsewhere = Path(session.create_tmp()).resolve() / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    with session.chdir(elsewhere):
        session.run("python", "-c", "import harness, sys; "
                    "sys.exit('harness from the tree' if 'site-packages' not in harness.__file__ "
                    "else 0)")  # fmt: skip
        session.run("isobench", "report", str(example), "-o", "report.html")
        session.run("isobench", "summary", "--format", "markdown", str(example), silent=True)
        if (elsewhere / "report.html").stat().st_size < 100_000:
            session.error("the report from the wheel is too small to hold the example")


@nox.session
def bench(session: nox.Session) -> None:
    """The default suite on this host, 20 measured rounds: prints the summary, writes results/."""
    session.install("-e", ".")
    session.run("isobench", "run", "--repetitions", "20", *session.posargs)


@nox.session
def scenarios(session: nox.Session) -> None:
    """Density, start rate and requests per instance on every variant that can start long-lived
    instances: prints instances per GiB, starts per second and webhook requests per second,
    writes results/. Extra arguments go to `isobench scenario` (e.g. `-- density --batches 1`)."""
    session.install("-e", ".")
    session.run("isobench", "scenario", "--variant=all", *session.posargs)


@nox.session
def crosscheck(session: nox.Session) -> None:
    """isobench held against independent methods in one interleaved run: native noop vs
    hyperfine -N, and with vs without isobench's memory group; docker cold vs `docker run --rm`
    (same sandbox, less the CLI's own start), wasmtime-cli vs hyperfine,
    wasmtime-py vs wasmtime-cli net CPU ratios on the CPU workloads, and the native floor amid
    other variants vs alone. Prints the table; fails when a ratio's interval leaves its band
    (5%; quiet 10%). Needs hyperfine. Extra arguments go to `python -m harness.crosscheck`."""
    session.install("-e", ".")
    session.run("python", "-m", "harness.crosscheck", *session.posargs)


@nox.session
def report_bench(session: nox.Session) -> None:
    """`isobench report` of generated 100 000- and 1 000 000-sample results files, timed from
    the command's call (its imports done) and as a whole process; prints the times, the HTML
    size and the memory held, and fails when a render takes 2 s (100 000), 10 s (1 000 000) or
    more, or writes 3 MB. Extra arguments go to `python -m tests.bench_report`
    (e.g. `-- --samples 100000 --repeat 5`)."""
    session.install("-e", ".")
    session.run("python", "-m", "tests.bench_report", *session.posargs)


@nox.session
def kubernetes(session: nox.Session) -> None:
    """The Kubernetes Job of deploy/kubernetes rehearsed here: a Debian 12 image made with
    debootstrap and `docker import`, the Job's container for this architecture run in it as
    written (Docker and cgroups inside, this checkout's committed HEAD cloned, the quick suite),
    its results collected from the log by the README's `collect`, and a report rendered. About
    15 minutes. Extra arguments go to `python -m tests.rehearse_kubernetes`."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "tests.rehearse_kubernetes", *session.posargs)


@nox.session
def subscriber(session: nox.Session) -> None:
    """What the containerd event subscriber (Docker's start seen from inside) does to docker's
    figures: docker noop samples with and without it (`-- --floor`: the containerd floor's loop
    with it and with one to every event), in shuffled blocks, on the measure loop's CPU; prints
    the ratio with its interval and fails when the rounds' paired ratio lies beyond ±5%. Extra
    arguments go to `python -m tests.bench_subscriber`."""
    session.install("-e", ".")
    session.run("python", "-m", "tests.bench_subscriber", *session.posargs)


@nox.session
def aa(session: nox.Session) -> None:
    """The regression gate's false alarms and power, on real runs: 20 seeded half-splits of one
    run (default: the committed example), two back-to-back quick-suite runs, and a third with
    one workload doing ~30% more work, each pair through `compare --fail-on-regression 10`.
    Prints what each found; fails above 1 false alarm in the splits, on any back to back, or
    when the planted slowdown goes unflagged. Extra arguments go to `python -m tests.bench_aa`."""
    session.install("-e", ".")
    session.run("python", "-m", "tests.bench_aa", *session.posargs)


@nox.session
def regression(session: nox.Session) -> None:
    """Measure again what a baseline results file measured (its workloads, sizes, states,
    variants, repetitions and CPUs), then `isobench compare --fail-on-regression`. The baseline:
    `nox -s regression -- BASELINE.jsonl` or $ISOBENCH_BASELINE; the threshold in percent:
    $ISOBENCH_REGRESSION_PCT (default 10). Skipped when no baseline is given."""
    baseline = session.posargs[0] if session.posargs else os.environ.get("ISOBENCH_BASELINE")
    if not baseline:
        session.skip("no baseline: give one as `-- BASELINE.jsonl` or in $ISOBENCH_BASELINE")
    threshold = os.environ.get("ISOBENCH_REGRESSION_PCT", "10")
    session.install("-e", ".")
    results_dir = Path(session.create_tmp()) / "regression-results"
    session.run("isobench", "--results-dir", str(results_dir), "run", "--same-plan-as", baseline)
    new = sorted(results_dir.glob("*.jsonl"))[-1]
    session.run("isobench", "compare", baseline, str(new), "--fail-on-regression", threshold)


@nox.session
def confinement(session: nox.Session) -> None:
    """What confining a sample costs the noop floor (as root): native, wasmtime-cli and docker
    noop samples as the sample account and without it, and a scenario's process instance
    started through the launcher and by Popen, interleaved; fails when a confined start costs
    more than 10% beyond its interval. Extra arguments go to `python -m tests.bench_confinement`
    (--rounds N)."""
    session.install("-e", ".")
    session.run("python", "-m", "tests.bench_confinement", *session.posargs)
