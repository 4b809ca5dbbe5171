"""The one user-facing error type.

Anything the user can fix (a malformed manifest, a missing toolchain, an unreachable Docker
Engine) is raised as `IsobenchError` with a one-line message naming the file and field or the
command that fixes it. The CLI catches it once, prints the line and exits with code 2.
Failures *during* a measurement are not errors: they become sample statuses.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class IsobenchError(Exception):
    """A problem the user can fix; its message is one line, shown without a traceback."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled, `kill`): unwinds like Ctrl-C, so every cleanup runs."""


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within it, SIGTERM raises Terminated: `finally` blocks remove containers, cgroups and
    scratch instead of the process vanishing with them in place."""

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous_handler = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
