"""One judge of how an instance ended, for samples and scenarios alike: a figure is kept only
when the instance ended by itself, with the exit code its size expects, having printed exactly
the expected output."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from harness.confine import OUTPUT_LIMIT_BYTES
from harness.results import Status
from harness.targets import Execution
from harness.workloads import Size, sha256_bytes

STDERR_EXCERPT_CHARS = 200
FIRST_LINE_CHARS = 80
READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Output:
    """What an instance printed, as much as a judge needs: its sha256 and its first line."""

    sha256: str
    first_line: str

    @classmethod
    def of(cls, data: bytes) -> Output:
        return cls(sha256_bytes(data), _first_line(data[: FIRST_LINE_CHARS * 4]))

    @classmethod
    def read(cls, path: Path) -> Output:
        """The output in the file at `path` (none when it is not there), read as a stream:
        however much there is, the harness holds one chunk of it at a time."""
        digest, head = hashlib.sha256(), b""
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(READ_CHUNK):
                    head = head or chunk[: FIRST_LINE_CHARS * 4]
                    digest.update(chunk)
        except FileNotFoundError:
            pass
        return cls(digest.hexdigest(), _first_line(head))


def _first_line(head: bytes) -> str:
    return head.decode(errors="replace").split("\n", 1)[0][:FIRST_LINE_CHARS]


def read_tail(path: Path, size: int = STDERR_EXCERPT_CHARS * 4) -> bytes:
    """The last `size` bytes of a file (b"" when it is not there): all a judge quotes."""
    try:
        with path.open("rb") as stream:
            stream.seek(max(path.stat().st_size - size, 0))
            return stream.read(size)
    except FileNotFoundError:
        return b""


def judge(
    execution: Execution, stdout: Output, stderr: bytes, expected: Size
) -> tuple[Status, str]:
    """The instance's status and, when it is not ok, why."""
    status, detail = judge_ending(execution, stderr, expected.expected_exit_code)
    if status is not Status.OK:
        return status, detail
    expected_sha256 = expected.expected_stdout_sha256
    if stdout.sha256 != expected_sha256:
        return Status.WRONG_OUTPUT, (
            f"output is not the expected one (sha256 {stdout.sha256[:12]}, expected "
            f"{expected_sha256[:12]}); its first line: {stdout.first_line!r}"
        )
    return Status.OK, ""


def judge_ending(  # noqa: PLR0911 - one return per way an instance can end
    execution: Execution, stderr: bytes, expected_exit_code: int
) -> tuple[Status, str]:
    """How the instance ended, whatever it printed: ok when by itself with the expected exit
    code (a serving instance's answers are judged one by one, as they come)."""
    stderr_text = stderr.decode(errors="replace").strip()[-STDERR_EXCERPT_CHARS:]
    if execution.unavailable:
        return Status.UNAVAILABLE, execution.error
    if execution.timed_out:
        return Status.TIMEOUT, "killed at the timeout"
    if execution.output_limited:
        return Status.OUTPUT_LIMIT, (
            f"stopped for writing more than {OUTPUT_LIMIT_BYTES >> 20} MiB to its stdout or a file"
        )
    if execution.out_of_memory:  # before error: a runtime killed at the limit is an error too
        return Status.OOM, f"stopped at the memory limit; stderr: {stderr_text!r}"
    if execution.error:
        return Status.ERROR, execution.error
    if execution.crash:
        return Status.CRASHED, f"{execution.crash}; stderr: {stderr_text!r}"
    if execution.exit_code != expected_exit_code:
        return Status.WRONG_EXIT_CODE, (
            f"exit code {execution.exit_code}, expected {expected_exit_code}; "
            f"stderr: {stderr_text!r}"
        )
    return Status.OK, ""
