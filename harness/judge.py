"""One judge of how an instance ended, for samples and scenarios alike: a figure is kept only
when the instance ended by itself, with the exit code its size expects, having printed exactly
the expected output."""

from __future__ import annotations

from harness.results import Status
from harness.targets import Execution
from harness.workloads import Size, sha256_bytes

STDERR_EXCERPT_CHARS = 200


def judge(execution: Execution, stdout: bytes, stderr: bytes, expected: Size) -> tuple[Status, str]:
    """The instance's status and, when it is not ok, why."""
    status, detail = judge_ending(execution, stderr, expected.expected_exit_code)
    if status is not Status.OK:
        return status, detail
    actual = sha256_bytes(stdout)
    expected_sha256 = expected.expected_stdout_sha256
    if actual != expected_sha256:
        first_line = stdout.decode(errors="replace").split("\n", 1)[0][:80]
        return Status.WRONG_OUTPUT, (
            f"output is not the expected one (sha256 {actual[:12]}, expected "
            f"{expected_sha256[:12]}); its first line: {first_line!r}"
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
