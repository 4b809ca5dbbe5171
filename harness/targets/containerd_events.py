"""Docker's start seen from inside: the events containerd publishes for each container Docker
has it run (`ctr events`, one subscriber process for the whole run), timestamped by containerd
on the host's real-time clock, the clock the docker variant also reads at the ends of its
timed region. Between them, a start falls into segments, each named by who acts in it:

    daemon_in         the clock's start -> /containers/create: dockerd's API calls and its own
                      set-up, until containerd holds the container
    task_create       -> /tasks/create: dockerd asking for the task, the shim started, the
                      runtime's `create` with the hook Docker gives it (libnetwork-setkey:
                      dockerd's own binary run again, which has dockerd set up the
                      container's network sandbox) and Docker's seccomp profile
    task_start        -> /tasks/start: the runtime's `start`
    task_run          -> /tasks/exit: the program, and its exit reaching containerd
    task_delete       -> /tasks/delete: dockerd told of the exit, the runtime's `delete`, the
                      shim's end
    container_delete  -> /containers/delete: containerd's record of the container removed
    daemon_out        -> the clock's end: dockerd's own removal, the API's answer

The segments add up to the sample's wall time (less the harness's own step between the wait and
the removal, which the clock leaves out too), each recorded apart from it. A sample whose events
did not all arrive (in time, or at all) has none.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import shutil
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path

# Where Docker's containerd listens: a containerd of its own (a service), or the one dockerd
# starts for itself when there is none
CONTAINERD_SOCKETS = (
    "/run/containerd/containerd.sock",
    "/var/run/docker/containerd/containerd.sock",
)
DOCKER_NAMESPACE = "moby"  # where dockerd keeps its containers in containerd
# What containerd sends the subscriber (its filters, either one: a filter's clauses joined by
# commas must all hold, separate filters are alternatives): Docker's events, and the creation of
# its own probes' namespaces. Not the floors' containerd loop (`ctr run` in a namespace of its
# own, while the subscriber lives): those events reached it too, unread until the next sample
SUBSCRIPTION = (f"namespace=={DOCKER_NAMESPACE}", 'topic=="/namespaces/create"')
# containerd's topics, in the order a container meets them
TOPICS = ("/containers/create", "/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete",
          "/containers/delete")  # fmt: skip
SEGMENTS = ("daemon_in", "task_create", "task_start", "task_run", "task_delete",
            "container_delete", "daemon_out")  # fmt: skip
READY_TIMEOUT_S = 10.0  # for the subscriber to see its own probe event
PROBE_WAIT_S = 0.5  # for one probe's event, before the next probe
TAKE_TIMEOUT_S = 2.0  # for a container's last event, once Docker said it is removed
CHUNK = 1 << 16


def containerd_socket() -> str | None:
    return next((path for path in CONTAINERD_SOCKETS if Path(path).is_socket()), None)


def parse_line(line: str) -> tuple[int, str, str] | None:
    """`2026-12-04 05:07:47.702179846 +0000 UTC moby /tasks/create {json}` -> (ns since the
    epoch, topic, the container's id); None for any other line."""
    parts = line.split(" ", 6)
    if len(parts) != 7 or parts[5] not in TOPICS:
        return None
    day, clock, offset, _, _, topic, payload = parts
    seconds, _, fraction = clock.partition(".")
    try:
        moment = datetime.strptime(f"{day} {seconds} {offset}", "%Y-%m-%d %H:%M:%S %z")
        data = json.loads(payload)
    except ValueError:
        return None
    container = data.get("container_id") or data.get("id") if isinstance(data, dict) else None
    if not isinstance(container, str) or not fraction.isdigit():
        return None
    return (
        int(moment.timestamp()) * 1_000_000_000 + int(fraction[:9].ljust(9, "0")),
        topic,
        container,
    )


def segments_ns(
    events: dict[str, int], begin_ns: int, end_ns: int, pause: tuple[int, int] = (0, 0)
) -> dict[str, int]:
    """The segments between the clock's ends (real-time ns) and a container's events (topic ->
    ns), less the harness's own step between two timed calls (`pause`, outside the clock);
    empty unless every event is there, in order, between the ends."""
    if any(topic not in events for topic in TOPICS):
        return {}
    moments = [begin_ns, *(events[topic] for topic in TOPICS), end_ns]
    if any(after < before for before, after in itertools.pairwise(moments)):
        return {}
    paused_from, paused_to = pause
    return {
        name: after - before - max(min(after, paused_to) - max(before, paused_from), 0)
        for name, (before, after) in zip(SEGMENTS, itertools.pairwise(moments), strict=True)
    }


class EventLog:
    """One `ctr events` subscriber to Docker's events (SUBSCRIPTION), started once (ready when
    it has seen an event of its own making) and read between samples: what it printed waits in
    its pipe meanwhile."""

    def __init__(self, ctr: str, address: str, subscription: tuple[str, ...]) -> None:
        self._client = [ctr, "--address", address]
        self._process = subprocess.Popen(
            [*self._client, "events", *subscription],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._fd = self._process.stdout.fileno() if self._process.stdout else -1
        self._pending = b""
        try:
            self._wait_until_subscribed()
        except BaseException:
            self.close()  # no subscriber left behind, whatever stopped the wait
            raise

    @staticmethod
    def missing() -> str:
        """Why no subscriber can start here (no ctr, no containerd socket); "" when one can."""
        if shutil.which("ctr") is None:
            return "ctr is not installed (containerd's CLI: it comes with containerd)"
        if containerd_socket() is None:
            return f"no containerd socket at {' or '.join(CONTAINERD_SOCKETS)}"
        return ""

    @classmethod
    def start(cls, subscription: tuple[str, ...] = SUBSCRIPTION) -> tuple[EventLog | None, str]:
        """A subscriber (to every event, `subscription` empty: tests.bench_subscriber's
        comparison), or None and why there is none."""
        ctr, address = shutil.which("ctr"), containerd_socket()
        if ctr is None or address is None:
            return None, cls.missing()
        try:
            return cls(ctr, address, subscription), ""
        except (OSError, TimeoutError, subprocess.TimeoutExpired) as error:
            return None, f"ctr events: {error}"

    def _wait_until_subscribed(self) -> None:
        """Make namespaces of its own until the subscriber prints one's event: from then on it
        loses none (one made before it had subscribed is never printed)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            probe = f"isobench-probe-{uuid.uuid4().hex[:8]}"
            if self._probe(probe, min(time.monotonic() + PROBE_WAIT_S, deadline)):
                return
        raise TimeoutError(f"no event in {READY_TIMEOUT_S:.0f} s")

    def _probe(self, probe: str, until: float) -> bool:
        """Make and remove the namespace `probe`; whether its event was printed by `until`."""
        namespaces = [*self._client, "namespaces"]
        made = subprocess.run([*namespaces, "create", probe], capture_output=True, check=False,
                              timeout=READY_TIMEOUT_S)  # fmt: skip
        try:
            if made.returncode != 0:
                raise OSError(made.stderr.decode(errors="replace").strip())
            while time.monotonic() < until:
                if any(probe in line for line in self._lines(until)):
                    return True
            return False
        finally:
            subprocess.run([*namespaces, "remove", probe], capture_output=True, check=False,
                           timeout=READY_TIMEOUT_S)  # fmt: skip

    def _lines(self, deadline: float) -> list[str]:
        """The complete lines the subscriber printed, waiting for some until `deadline`."""
        ready, _, _ = select.select([self._fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            return []
        chunk = os.read(self._fd, CHUNK)
        if not chunk:  # the subscriber is gone
            raise OSError("ctr events ended")
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        return [line.decode(errors="replace") for line in lines]

    def take(self, container: str) -> dict[str, int]:
        """A container's events (topic -> ns since the epoch), read until its last one or
        TAKE_TIMEOUT_S; the events of other containers are dropped."""
        events: dict[str, int] = {}
        deadline = time.monotonic() + TAKE_TIMEOUT_S
        with contextlib.suppress(OSError):
            while TOPICS[-1] not in events and time.monotonic() < deadline:
                for line in self._lines(deadline):
                    parsed = parse_line(line)
                    if parsed is not None and parsed[2] == container:
                        events.setdefault(parsed[1], parsed[0])
        return events

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
