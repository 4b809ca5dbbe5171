"""Sessions: `tests` (unit + integration), `lint` (ruff, mypy strict), `bench` (prints figures).

Speed and memory figures belong in `bench`, never in timed tests.
"""

from __future__ import annotations

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


@nox.session
def bench(session: nox.Session) -> None:
    """The default suite on this host, 20 measured rounds: prints the summary, writes results/."""
    session.install("-e", ".")
    session.run("isobench", "run", "--repetitions", "20", *session.posargs)


@nox.session
def overhead(session: nox.Session) -> None:
    """isobench's measuring overhead against hyperfine (native) and the Docker CLI (docker), on
    the same noop executable, interleaved; fails when a target is missed. Needs hyperfine."""
    session.install("-e", ".")
    session.run("python", "-m", "harness.overhead", *session.posargs)
