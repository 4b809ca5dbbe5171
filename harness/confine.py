"""Who a workload's code runs as: the sample account, and what every process instance gets.

A workload is untrusted code. Native executables and the runtimes of the process variants
(the wasmtime CLIs, node) run as `isobench-sample`, a system account with no home, no shell and
no supplementary groups, made on first use (`.ci/setup` makes it too); the C launcher switches
to it before the clock, with no_new_privs and an environment of PATH alone. The account owns
nothing but the output folder of the sample it runs, so what it can reach is what any local
user can: world-readable files, no write to the harness's, the cache's or the inputs' files.
A harness that is not root has no rights to give away: its samples run as its own user.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import IsobenchError

SAMPLE_USER = "isobench-sample"
USERADD = "/usr/sbin/useradd"
# The environment of every sample and instance: nothing of the harness's (no CI tokens).
SAMPLE_ENVIRONMENT = {"PATH": "/usr/bin:/bin"}
# Tasks (processes and threads) one instance may have at once: node starts about a dozen
# threads, the workloads one process each; a fork bomb meets it at once.
PIDS_PER_INSTANCE = 256
# What an instance may write to its stdout or to any one file: past it, it is stopped and its
# sample recorded as output-limit (RLIMIT_FSIZE for processes and the wasm worker; Docker's
# attach stream is cut there). The harness reads what is kept as a stream: its memory stays flat.
OUTPUT_LIMIT_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class SampleAccount:
    """The unprivileged account samples run as."""

    name: str
    uid: int
    gid: int

    @property
    def launcher_flag(self) -> str:
        """What the C launcher is given to switch to it (`-u UID:GID`)."""
        return f"{self.uid}:{self.gid}"

    def give(self, path: Path) -> None:
        """Make `path` the account's own: an output folder, a file the instance writes."""
        os.chown(path, self.uid, self.gid)

    def can_write(self, path: Path) -> bool:
        """Whether the account may write `path` (its own, its group's writable, anyone's)."""
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return False  # what it points to is checked where it is opened, as the account
        return (info.st_uid == self.uid
                or (info.st_gid == self.gid and bool(info.st_mode & stat.S_IWGRP))
                or bool(info.st_mode & stat.S_IWOTH))  # fmt: skip

    def first_writable(self, paths: Iterable[Path]) -> Path | None:
        """The first of `paths`, or of the files and folders under those that are folders,
        that the account may write; None when it may write none."""
        for path in paths:
            under = [path, *path.rglob("*")] if path.is_dir() else [path]
            for found in under:
                if self.can_write(found):
                    return found
        return None

    def describe(self) -> str:
        return (f"{self.name} (uid {self.uid}, gid {self.gid}, no supplementary groups), "
                "no_new_privs, environment PATH=/usr/bin:/bin only")  # fmt: skip


def sample_account(name: str = SAMPLE_USER) -> SampleAccount | None:
    """The account samples run as, made when it is missing; None when the harness is not root
    (it then has nothing to drop). An account of that name with uid or gid 0 is refused."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = _create(name)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise IsobenchError(
            f"/etc/passwd: account {name!r}: uid or gid 0; samples would run as root: "
            "give it its own (userdel it, isobench makes it again)"
        )
    return SampleAccount(name, entry.pw_uid, entry.pw_gid)


def account_state(name: str = SAMPLE_USER) -> tuple[bool, str]:
    """For `isobench doctor`, without making anything: whether samples can run confined, and
    as whom."""
    if os.geteuid() != 0:
        return False, "not root: samples would run as this user, with its rights"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return True, f"{name}: made on the first run (useradd --system)"
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        return False, f"{name} has uid or gid 0: samples would run as root"
    return True, f"{name} (uid {entry.pw_uid}): samples of process variants run as it"


def _create(name: str) -> pwd.struct_passwd:
    argv = [USERADD, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
            "--shell", "/usr/sbin/nologin", "--comment", "isobench samples", name]  # fmt: skip
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except OSError as error:
        raise IsobenchError(f"cannot make the sample account {name}: {error}") from None
    try:
        return pwd.getpwnam(name)  # made now, or by a concurrent run (useradd exit 9)
    except KeyError:
        why = completed.stderr.strip().splitlines()[:1] or [f"exit {completed.returncode}"]
        raise IsobenchError(f"cannot make the sample account {name}: {why[0]}") from None
