"""The one user-facing error type.

Anything the user can fix (a malformed manifest, a missing toolchain, an unreachable Docker
Engine) is raised as `IsobenchError` with a one-line message naming the file and field or the
command that fixes it. The CLI catches it once, prints the line and exits with code 2.
Failures *during* a measurement are not errors: they become sample statuses.
"""


class IsobenchError(Exception):
    """A problem the user can fix; its message is one line, shown without a traceback."""
