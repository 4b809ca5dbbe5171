"""Long-lived instances that are host processes (native, the wasmtime CLIs, node): the program
with pipes on stdin and stdout, in its own session and process group; and what every instance
whose stdin and stdout are file descriptors (pipes, FIFOs) shares."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence

from harness.targets.base import Ended

READ_CHUNK = 1 << 16


class FdStreams:
    """An instance's stdin and stdout as file descriptors the harness holds: writing, the end
    of input, reading with a timeout, and closing what is still open."""

    def __init__(self, stdin_fd: int, stdout_fd: int) -> None:
        self._stdin_fd, self._stdout_fd = stdin_fd, stdout_fd
        self._open_fds = [stdin_fd, stdout_fd]

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._stdin_fd, view) :]

    def end_input(self) -> None:
        self._close(self._stdin_fd)

    def _close(self, fd: int) -> None:
        if fd in self._open_fds:
            self._open_fds.remove(fd)
            os.close(fd)

    def close_streams(self) -> None:
        for fd in list(self._open_fds):
            self._close(fd)

    def read(self, timeout_s: float) -> bytes:
        ready, _, _ = select.select([self._stdout_fd], [], [], max(timeout_s, 0))
        if not ready:
            raise TimeoutError
        try:
            return os.read(self._stdout_fd, READ_CHUNK)
        except BlockingIOError:  # a non-blocking FIFO woken with nothing to read: not the end
            return self.read(0.0)


class ProcessInstance(FdStreams):
    def __init__(self, argv: Sequence[str], environment: Mapping[str, str]) -> None:
        # stderr goes to an unnamed file: a pipe nobody reads could fill and block the program.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        child_stdin, stdin_fd = os.pipe()
        stdout_fd, child_stdout = os.pipe()
        super().__init__(stdin_fd, stdout_fd)
        try:
            # The program's own session: a Ctrl-C at the terminal reaches the harness alone,
            # which then stops every instance itself; killpg takes the program's children too.
            self._process = subprocess.Popen(
                list(argv),
                stdin=child_stdin,
                stdout=child_stdout,
                stderr=self._stderr,
                start_new_session=True,
                env=dict(environment),
            )
        except BaseException:
            self.close_streams()
            self._stderr.close()
            raise
        finally:
            os.close(child_stdin)
            os.close(child_stdout)

    def wait(self, timeout_s: float) -> Ended:
        try:
            code = self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            raise TimeoutError from None
        self._stderr.seek(0)
        stderr = self._stderr.read()
        if code < 0:
            return Ended(None, f"signal {-code}", stderr)
        return Ended(code, "", stderr)

    def pids(self) -> list[int]:
        return [self._process.pid]

    def stop(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self.close_streams()
        self._stderr.close()
