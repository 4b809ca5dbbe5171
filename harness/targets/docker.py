"""docker: the *same* static executable in a `FROM scratch` image, run through the Engine API."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import platform
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import docker
import docker.errors
import psutil
import requests

from harness.affinity import format_cpus
from harness.arch import elf_machine
from harness.build import build_helper
from harness.cache import Artifact, BuildCache, Image
from harness.cgroups import SampleCgroup
from harness.confine import OUTPUT_LIMIT_BYTES, PIDS_PER_INSTANCE
from harness.errors import IsobenchError
from harness.scopes import CONTAINER
from harness.targets.base import (
    COLD,
    GUEST_INPUT_DIR,
    GUEST_OUTPUT_DIR,
    MARK,
    WARM,
    Confinement,
    Ended,
    Execution,
    Instance,
    Invocation,
    mark_is_stale,
    new_mark,
    probe_failure,
)
from harness.targets.containerd_events import SEGMENTS, EventLog, segments_ns
from harness.toolchains import Binary, Check, find_compiler
from harness.workloads import Language

DOCKERFILE = 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n'
INSTALL = "apt-get install -y docker.io && (setsid dockerd >/var/log/dockerd.log 2>&1 &)"
IMAGE_REPOSITORY = "isobench"
READ_CHUNK = 1 << 16
LABEL = "org.isobench"
RUNTIME_FIX = (
    'bash .ci/setup registers crun with the Engine ("runtimes" in /etc/docker/daemon.json, '
    "then dockerd reloads on SIGHUP)"
)
ENGINE_DAEMONS = ("dockerd", "containerd")
DOCKER_ARCHES = {"x86_64": "amd64", "aarch64": "arm64"}  # machine -> Docker's platform name


def connect() -> Any:
    client = None
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
        reason = str(error)
    else:
        return client
    if client is not None:
        client.close()
    # docker-py leaves the socket of a failed API-version probe to the garbage collector, which
    # would warn about it later, somewhere else: collect it here, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    raise IsobenchError(f"Docker Engine not reachable ({reason}): {INSTALL}")


def _exchange(
    stream: Any, stdin: bytes | None, timeout_s: float, stdout: BinaryIO, stderr: BinaryIO
) -> None:
    """Feed a container's stdin (then end of file) and copy its stdout and stderr from its
    attach socket to the files as they come, until it exits; raises TimeoutError past
    `timeout_s`, OutputLimitError past what a container may write (the harness holds one
    chunk at a time, however much it writes)."""
    raw = stream._sock  # docker-py's attach socket wraps the connected socket
    if stdin is not None:

        def feed() -> None:
            with contextlib.suppress(OSError):  # the container may exit before reading it all
                raw.sendall(stdin)
                raw.shutdown(socket.SHUT_WR)

        threading.Thread(target=feed, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    frames, written = AttachFrames(), 0
    while True:
        raw.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = raw.recv(1 << 16)  # raises TimeoutError (socket.timeout) at the deadline
        if not chunk:
            break
        written += len(chunk)
        if written > 2 * OUTPUT_LIMIT_BYTES:  # stdout and stderr, each up to the limit
            raise OutputLimitError  # the caller stops the container
        stdout.write(frames.feed(chunk))
        stderr.write(frames.stderr)
        frames.stderr.clear()


def _close_attach(stream: Any) -> None:
    """Close docker-py's attach socket: the wrapper's close() drops, but does not close, the
    connected socket it wraps."""
    raw = stream._sock
    stream.close()
    raw.close()


class OutputLimitError(Exception):
    """A container wrote more than harness.confine.OUTPUT_LIMIT_BYTES to its attach stream."""


class AttachFrames:
    """Docker's attach stream (no tty), split as it comes: frames of [stream id, 0, 0, 0, size
    (u32 BE)] then `size` bytes; stream 1 is stdout, 2 is stderr."""

    def __init__(self) -> None:
        self._pending = bytearray()  # bytes not yet split into frames
        self.stderr = bytearray()

    def feed(self, chunk: bytes) -> bytes:
        """The stdout of every frame `chunk` completes (their stderr goes to `stderr`)."""
        self._pending += chunk
        stdout = bytearray()
        while len(self._pending) >= 8:
            size = int.from_bytes(self._pending[4:8], "big")
            if len(self._pending) < 8 + size:
                break
            payload = self._pending[8 : 8 + size]
            (stdout if self._pending[0] == 1 else self.stderr).extend(payload)
            del self._pending[: 8 + size]
        return bytes(stdout)


def signal_crash(exit_code: int) -> str:
    """runc reports death by signal N as exit code 128 + N: that is a crash, said so; "" for
    an exit code the program chose."""
    return f"signal {exit_code - 128} (exit code {exit_code})" if 128 < exit_code <= 192 else ""


def context_tar(files: list[tuple[str, bytes, int]]) -> io.BytesIO:
    """A build context holding `files` (name, bytes, mode), Dockerfile included."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data, mode in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def noted_states(note: str) -> dict[str, str]:
    """The docker variant's states, each scope with `note` (what a kin of it changes)."""
    return {state: f"{scope}; {note}" for state, scope in DockerTarget.states.items()}


def criu_check() -> Check:
    """Whether this kernel lets CRIU checkpoint and restore processes (a container's snapshot
    start): `criu check`, and its first error when it refuses. isobench has no snapshot start
    yet (a host where CRIU worked was never at hand): the line says whether one could run."""
    name = "CRIU (checkpoint/restore starts)"
    criu = shutil.which("criu")
    if criu is None:
        return Check(name, False, "criu is not installed", "apt-get install -y criu",
                     optional=True)  # fmt: skip
    completed = subprocess.run([criu, "check"], capture_output=True, text=True, check=False,
                               timeout=60)  # fmt: skip
    said = (completed.stdout + completed.stderr).strip().splitlines()
    if completed.returncode != 0:
        first = next((line for line in said if line.startswith("Error")), said[0] if said else "")
        return Check(name, False, f"criu check refuses on this kernel: {first}",
                     "a kernel and CRIU that agree (criu check passes)", optional=True)  # fmt: skip
    return Check(name, True, f"criu check: {said[-1] if said else 'ok'} (no snapshot start yet)",
                 optional=True)  # fmt: skip


class DockerTarget:
    name: ClassVar[str] = "docker"
    binary: ClassVar[Binary] = Binary.NATIVE
    artifact_kind: ClassVar[str] = "docker-image"
    artifact_caption: ClassVar[str] = "docker image"
    runs_emulated: ClassVar[bool] = True
    states: ClassVar[dict[str, str]] = {
        COLD: "create + attach + start + wait + remove of a container from a present FROM-scratch "
        "image whose layer files were evicted from the page cache first, network none, as "
        "`docker run --rm` does it: each an Engine API call through docker-py, timed with "
        "perf_counter_ns; wait runs until the attached output ends and the exit code is read; "
        "the instance is gone once removed",
        WARM: "start + wait + remove of a container created and attached ahead, image cached "
        "(create and attach are still recorded as phases, outside wall_ns)",
    }
    # The client's calls, then the same start seen from inside, in containerd's events
    # (harness.targets.containerd_events), recorded apart from the wall time they add up to
    phases: ClassVar[tuple[str, ...]] = ("create", "attach", "start", "wait", "remove", *SEGMENTS)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {
        COLD: ("create", "attach", "start", "wait", "remove"),
        WARM: ("start", "wait", "remove"),
    }
    network_mode: ClassVar[str] = "none"  # a sample's container has no network unless asked
    # The OCI runtime the daemon starts its containers with, named on every container rather
    # than left to the daemon's default (which a daemon.json can change)
    oci_runtime: ClassVar[str] = "runc"
    memory_scope: ClassVar[str] = (
        "the container's cgroup (runc init and the program), from create to exit"
    )
    instance: ClassVar[str] = CONTAINER
    cpu_scope: ClassVar[str] = (
        "user + system CPU time charged to the container's cgroup (runc init and the program; "
        "not dockerd, containerd or the shim), from the sample group's cpuacct / cpu.stat"
    )
    rss_scope: ClassVar[str] = ""  # the container's processes are gone before one can be read
    cold_evicts: ClassVar[str] = (
        "the image's layer files (the Engine, containerd and runc stay cached: every container "
        "shares them)"
    )

    def __init__(self, client: Any, cache: BuildCache, timeline: bool = True) -> None:
        self.client = client
        self.cache = cache
        self.api = client.api
        self.mark = new_mark()  # on every container it creates
        self._layer_files: dict[str, list[Path]] = {}  # image tag -> its layers' files
        # Containers of runs that died (killed, or the daemon restarted them): removed first.
        remove_marked_containers(self.api, mark_is_stale)
        info = client.info()
        if self.oci_runtime not in (info.get("Runtimes") or {}):
            raise IsobenchError(
                f"the Docker Engine has no runtime {self.oci_runtime} (it has "
                f"{', '.join(sorted(info.get('Runtimes') or {})) or 'none'}): {RUNTIME_FIX}"
            )
        # Docker can nest a container's group in ours only with the cgroupfs driver.
        self.cgroups_usable = info.get("CgroupDriver") == "cgroupfs"
        # The event subscriber starts with the first sample (a primer's, before any clock), not
        # here: a target opened to build, or to start the scenarios' instances, never reads it,
        # and an unread subscriber is told of every container the scenarios time while
        # containerd keeps what it cannot take
        self.events: EventLog | None = None
        self.events_missing = EventLog.missing() if timeline else "not asked"

    @classmethod
    def open(cls, cache: BuildCache) -> DockerTarget:
        return cls(connect(), cache)

    @staticmethod
    def probe() -> list[Check]:
        try:
            client = connect()
            version = client.version()
            info = client.info()
        except IsobenchError as error:
            return [probe_failure("Docker Engine", error, INSTALL)]
        detail = (
            f"{version['Version']} (API {version['ApiVersion']}, cgroup driver "
            f"{info.get('CgroupDriver')}, cgroup v{info.get('CgroupVersion')})"
        )
        # runwasi: a containerd shim that runs wasm in place of runc. Only listed when the Engine
        # reports one; Debian packages none, so here the doctor says so rather than fake it.
        runtimes = sorted(info.get("Runtimes") or {})
        wasm_runtimes = [name for name in runtimes if "wasm" in name or "wasi" in name]
        shim = Check(
            "docker-wasi (containerd wasm shim)",
            bool(wasm_runtimes),
            ", ".join(wasm_runtimes)
            if wasm_runtimes
            else f"unavailable: the Engine's runtimes are {', '.join(runtimes) or 'unknown'}",
            "a runwasi shim (containerd-shim-wasmtime-v1) registered as a Docker runtime; "
            "not packaged for Debian 12",
            optional=True,
        )
        return [Check("Docker Engine", True, detail), shim, criu_check()]

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        recipe = {"executable_sha256": binary.sha256, "dockerfile": DOCKERFILE}
        # The executable's own architecture names the image's platform: another than this
        # host's (a cross build) makes a linux/arm64 (or amd64) image, run here under qemu.
        machine = elf_machine(Path(binary.path))
        platform_name = None
        if machine is not None and machine != platform.machine():
            platform_name = f"linux/{DOCKER_ARCHES.get(machine, machine)}"
            recipe["platform"] = platform_name
        # A workload's image, or one of harness's own programs (the idle one).
        name = (
            f"{binary.workload}-{binary.language}-{binary.profile}"
            if binary.workload
            else Path(binary.path).name
        )

        def make(ident: str, directory: Path) -> Artifact:
            tag = f"{IMAGE_REPOSITORY}/{name}:{ident[:16]}"
            started = time.perf_counter_ns()
            executable = Path(binary.path).read_bytes()
            image = self.build_image(
                tag,
                ident,
                [("Dockerfile", DOCKERFILE.encode(), 0o644), ("app", executable, 0o755)],
                platform_name,
            )
            inside = self._executable_sha256(tag)
            if inside != binary.sha256:
                raise IsobenchError(
                    f"{tag}: /app has sha256 {inside}, the native build has {binary.sha256}"
                )
            return binary.derive(
                ident,
                DockerTarget.artifact_kind,
                path=binary.path,
                sha256=binary.sha256,
                size_bytes=int(image["Size"]),
                recipe=recipe,
                build_ns=time.perf_counter_ns() - started,  # docker build + reading /app back
                image=Image(tag, image["Id"], inside),
            )

        return cache.get_or_build(DockerTarget.artifact_kind, recipe, make, self._image_present)

    def build_image(
        self,
        tag: str,
        ident: str,
        files: list[tuple[str, bytes, int]],
        platform_name: str | None = None,
    ) -> dict[str, Any]:
        """Build `files` (a Dockerfile and what it copies) as `tag`, for `platform_name` (e.g.
        linux/arm64; default this host's); the image's inspect data."""
        for chunk in self.api.build(
            platform=platform_name,
            fileobj=context_tar(files),
            custom_context=True,
            tag=tag,
            rm=True,
            forcerm=True,
            decode=True,
            pull=False,
            labels={f"{LABEL}.artifact-id": ident},
        ):
            if "error" in chunk:
                raise IsobenchError(f"docker build of {tag} failed: {chunk['error'].strip()}")
        image: dict[str, Any] = self.api.inspect_image(tag)
        return image

    def container_command(
        self, args: Sequence[str], *, input_dir: bool = False, output_dir: bool = False
    ) -> list[str]:
        """The container's command: the workload's arguments (the image's entrypoint runs it).
        `input_dir`, `output_dir`: whether /input and /output are mounted."""
        return list(args)

    def _image_present(self, artifact: Artifact) -> bool:
        """Whether the Engine still has the artifact's image (the cache only remembers it)."""
        try:
            self.api.inspect_image(artifact.image_tag)
        except docker.errors.ImageNotFound:
            return False
        return True

    def _executable_sha256(self, tag: str) -> str:
        """sha256 of /app as stored in the image (read back, not assumed)."""
        container = self.api.create_container(
            tag, network_disabled=True, labels={LABEL: "check", MARK: self.mark}
        )["Id"]
        try:
            stream, _ = self.api.get_archive(container, "/app")
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                member = archive.extractfile("app")
                if member is None:
                    raise IsobenchError(f"{tag}: /app is not a regular file")
                return hashlib.sha256(member.read()).hexdigest()
        finally:
            self.api.remove_container(container, force=True)

    def sandbox(self, **settings: Any) -> Any:
        """Every container's host config: no network (unless the variant says otherwise), a
        read-only root filesystem, no capabilities, no privilege gain, a pids limit, and the
        settings given (memory limit, binds, cgroup parent)."""
        return self.api.create_host_config(
            runtime=self.oci_runtime,
            network_mode=self.network_mode,
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            pids_limit=PIDS_PER_INSTANCE,
            **settings,
        )

    def _host_config(self, invocation: Invocation, cgroup: SampleCgroup | None) -> Any:
        binds = {}
        if invocation.input_dir is not None:
            binds[str(invocation.input_dir)] = {"bind": GUEST_INPUT_DIR, "mode": "ro"}
        if invocation.output_dir is not None:
            binds[str(invocation.output_dir)] = {"bind": GUEST_OUTPUT_DIR, "mode": "rw"}
        limit = invocation.memory_limit_bytes
        return self.sandbox(
            cgroup_parent=cgroup.docker_parent if cgroup else None,
            binds=binds or None,
            mem_limit=limit,
            memswap_limit=limit,  # no swap beyond the limit
            cpuset_cpus=format_cpus(invocation.cpus) if invocation.cpus else None,
        )

    def run(self, invocation: Invocation) -> Execution:
        try:
            return self._run(invocation)
        except (requests.exceptions.ConnectionError, ConnectionError) as error:
            # The daemon is gone (its socket refuses, or the connection dropped mid-call).
            return Execution(None, error=f"Docker Engine unreachable: {error}", unavailable=True)

    def _run(self, invocation: Invocation) -> Execution:
        if self.events is None and not self.events_missing:  # the first sample: subscribe
            self.events, self.events_missing = EventLog.start()  # (once: a failure stays)
        # The output files are opened before the clock and filled as the output comes: the
        # harness holds one chunk of it at a time, however much a container writes.
        with (invocation.stdout_path.open("wb") as stdout,
              invocation.stderr_path.open("wb") as stderr):  # fmt: skip
            return self._run_into(invocation, stdout, stderr)

    def _run_into(self, invocation: Invocation, stdout: BinaryIO, stderr: BinaryIO) -> Execution:
        cgroup = invocation.cgroup if self.cgroups_usable else None
        host_config = self._host_config(invocation, cgroup)
        stdin = invocation.stdin_path.read_bytes() if invocation.stdin_path else None
        tag = invocation.artifact.image_tag
        phases: dict[str, int] = {}
        # The real-time clock at the ends of the timed region, for containerd's events
        begin_real = time.time_ns()
        start = time.perf_counter_ns()
        container = self.api.create_container(
            tag,
            command=self.container_command(
                invocation.resolved_args(),
                input_dir=invocation.input_dir is not None,
                output_dir=invocation.output_dir is not None,
            ),
            host_config=host_config,
            labels={LABEL: "sample", MARK: self.mark},
            user=invocation.account.launcher_flag if invocation.account else None,
            stdin_open=stdin is not None,  # docker-py then sets StdinOnce
        )["Id"]
        phases["create"] = time.perf_counter_ns() - start
        try:
            # Attach before start, as `docker run` does: the only binary-safe way to get the
            # output (the json-file log driver stores text lines).
            before = time.perf_counter_ns()
            stream = self.api.attach_socket(
                container,
                params={"stdin": int(stdin is not None), "stdout": 1, "stderr": 1, "stream": 1},
            )
            phases["attach"] = time.perf_counter_ns() - before
            if invocation.state == WARM:  # its clock starts here
                begin_real = time.time_ns()
            before = time.perf_counter_ns()
            self.api.start(container)
            phases["start"] = time.perf_counter_ns() - before
            before = time.perf_counter_ns()
            timed_out = output_limited = False
            try:
                _exchange(stream, stdin, invocation.timeout_s, stdout, stderr)
            except TimeoutError:
                timed_out = True
                self.api.kill(container)
            except OutputLimitError:
                output_limited = True
                self.api.kill(container)
            finally:
                _close_attach(stream)
            status = self.api.wait(container)
            phases["wait"] = time.perf_counter_ns() - before
            pause_real = time.time_ns()  # the harness's own step, outside the clock
            killed_at_limit = bool(self.api.inspect_container(container)["State"]["OOMKilled"])
        finally:
            resume_real = time.time_ns()
            before_remove = time.perf_counter_ns()
            self.api.remove_container(container, force=True)
            phases["remove"] = time.perf_counter_ns() - before_remove
            end_real = time.time_ns()
        if self.events is not None:
            events = self.events.take(container)
            phases |= segments_ns(events, begin_real, end_real, (pause_real, resume_real))
        code = int(status["StatusCode"])
        crash = signal_crash(code)
        # The phases the state puts inside the clock, from its first call until the container is
        # gone (removed), without the harness's own steps between them (reading OOMKilled).
        wall = sum(phases[phase] for phase in self.wall_phases[invocation.state])
        cpu = cgroup.cpu_ns() if cgroup else None
        return Execution(
            wall_ns=None if timed_out or output_limited else wall,
            phases_ns=phases,
            exit_code=None if crash else code,
            crash="" if timed_out or output_limited else crash,
            timed_out=timed_out,
            output_limited=output_limited,
            in_cgroup=cgroup is not None,
            out_of_memory=killed_at_limit,
            cpu_ns=cpu,
        )

    def cold_files(self, artifact: Artifact) -> list[Path]:
        """Every regular file of the image's layers (overlay2 folders under the Engine's root:
        the container reads these very files through its overlay mount)."""
        tag = artifact.image_tag
        if tag not in self._layer_files:
            data = self.api.inspect_image(tag)["GraphDriver"]["Data"] or {}
            folders = [data.get("UpperDir", ""), *data.get("LowerDir", "").split(":")]
            self._layer_files[tag] = sorted(
                path for folder in folders if folder
                for path in Path(folder).rglob("*") if path.is_file() and not path.is_symlink()
            )  # fmt: skip
        return self._layer_files[tag]

    def settings(self) -> dict[str, str]:
        return {
            "runtime": self.oci_runtime,
            "network_mode": self.network_mode,
            "read_only_rootfs": "true",
            "cap_drop": "ALL",
            "security_opt": "no-new-privileges",
            "pids_limit": str(PIDS_PER_INSTANCE),
            "memory_limit": "the run's --memory-limit (memswap the same: no swap)",
            "user": "the sample account's uid:gid (the image's default when the harness is "
            "not root)",
            "inside_timeline": "containerd's events for each container (one `ctr events` "
            "subscriber to Docker's namespace alone, from the first sample to the run's end, "
            "read between samples): the "
            f"phases {', '.join(SEGMENTS)}, recorded apart (a sample whose events did not all "
            "arrive has none)"
            if not self.events_missing
            else f"none: {self.events_missing}",
        }

    def spawn(
        self, artifact: Artifact, args: Sequence[str], mark: str, confinement: Confinement
    ) -> Instance:
        # a container is confined by its engine (sandbox()), as the sample account
        account = confinement.account
        return ContainerInstance(
            self.api,
            self.api.create_container(
                artifact.image_tag,
                command=self.container_command(args),
                host_config=self.sandbox(),
                labels={LABEL: "scenario", MARK: mark},
                stdin_open=True,
                user=account.launcher_flag if account else None,
            )["Id"],
        )

    def shared_processes(self, artifact: Artifact, mark: str) -> list[int]:
        """The Engine's daemons: every container costs them some memory too."""
        return [
            process.pid
            for process in psutil.process_iter(["name"])
            if process.info["name"] in ENGINE_DAEMONS
        ]

    def host_costs(self) -> dict[str, object]:
        """The memory of the containerd shim that accompanies every running container: the host
        pays it per instance, outside the container's own memory group."""
        idle, _ = build_helper("idle.c", "isobench-idle", find_compiler(Language.C), self.cache)
        image, _ = DockerTarget.package(self, idle, self.cache)  # a FROM-scratch image of it
        container = self.api.create_container(
            image.image_tag,
            stdin_open=True,  # isobench-idle runs until its stdin ends
            host_config=self.sandbox(),
            labels={LABEL: "host-costs", MARK: self.mark},
        )["Id"]
        try:
            stream = self.api.attach_socket(container, params={"stdin": 1, "stream": 1})
            try:
                self.api.start(container)
                shims = [
                    process
                    for process in psutil.process_iter(["cmdline"])
                    if container in " ".join(process.info["cmdline"] or [])
                    and "containerd-shim" in " ".join(process.info["cmdline"] or [])
                ]
                memory = [process.memory_full_info() for process in shims]
            finally:
                _close_attach(stream)  # closing stdin ends isobench-idle
            self.api.wait(container, timeout=60)
        finally:
            self.api.remove_container(container, force=True)
        if not memory:
            return {"containerd_shim": None, "note": "no containerd-shim process found"}
        return {
            "containerd_shim": {
                "processes": len(memory),
                "rss_bytes": sum(m.rss for m in memory),
                "pss_bytes": sum(m.pss for m in memory),
                "private_bytes": sum(m.uss for m in memory),
            },
            "method": "psutil memory_full_info (smaps) of the containerd-shim process(es) of one "
            "running FROM-scratch container that idles on stdin, once per run",
        }

    def versions(self) -> dict[str, str]:
        version = self.client.version()
        components = {c["Name"]: c["Version"] for c in version.get("Components", [])}
        return {
            "docker_engine": version["Version"],
            "docker_api": version["ApiVersion"],
            "runc": components.get("runc", ""),
            "containerd": components.get("containerd", ""),
        }

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        return remove_marked_containers(self.api, marks)

    def close(self) -> None:
        """Remove any container this target created and could not remove itself (an interrupt
        in the middle of creating one), then disconnect and stop the event subscriber."""
        if self.events is not None:
            self.events.close()
        with contextlib.suppress(
            docker.errors.DockerException, requests.exceptions.RequestException
        ):
            remove_marked_containers(self.api, lambda mark: mark == self.mark)
        self.client.close()


def remove_marked_containers(api: Any, marks: Callable[[str], bool]) -> int:
    """Remove every container (running or not) whose MARK label passes `marks`; how many."""
    removed = 0
    for container in api.containers(all=True, filters={"label": MARK}):
        if marks(container["Labels"].get(MARK, "")):
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_container(container["Id"], force=True)
                removed += 1
    return removed


class ContainerInstance:
    """A started container with its stdin, stdout and stderr attached (Docker's multiplexed
    stream, read as it comes)."""

    def __init__(self, api: Any, container: str) -> None:
        self._api = api
        self.container = container
        self._stopped = False
        try:
            self._stream = api.attach_socket(
                container, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            self._socket = self._stream._sock  # the connected socket docker-py wraps
            api.start(container)
        except BaseException:
            self.stop()
            raise
        self._frames = AttachFrames()

    def send(self, data: bytes) -> None:
        self._socket.sendall(data)

    def end_input(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_WR)

    def read(self, timeout_s: float) -> bytes:
        """The next stdout bytes; stderr frames are kept for `wait`."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._socket.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = self._socket.recv(READ_CHUNK)  # TimeoutError at the deadline
            if not chunk:
                return b""
            stdout = self._frames.feed(chunk)
            if stdout:
                return stdout

    def wait(self, timeout_s: float) -> Ended:
        try:
            code = int(self._api.wait(self.container, timeout=timeout_s)["StatusCode"])
        except requests.exceptions.ConnectionError:  # docker-py's read timeout
            raise TimeoutError from None
        crash = signal_crash(code)
        return Ended(None if crash else code, crash, bytes(self._frames.stderr))

    def pids(self) -> list[int]:
        """The container's init process and the containerd shim that holds it."""
        pid = int(self._api.inspect_container(self.container)["State"]["Pid"])
        if not pid:
            return []
        try:
            shim = psutil.Process(pid).ppid()
        except psutil.NoSuchProcess:
            return []
        return [pid, shim]

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if hasattr(self, "_stream"):
            with contextlib.suppress(OSError):
                _close_attach(self._stream)
        with contextlib.suppress(docker.errors.NotFound):
            self._api.remove_container(self.container, force=True)
