"""runc: the docker variant's container without Docker: the OCI runtime alone (`runc run`) on a
bundle whose root is the image's (the same static executable as /app, nothing else), no daemon,
no containerd, no shim. Docker's start less everything above its runtime, on every workload.
Opt-in: `--variant runc` (and `--variant crun`, harness.targets.crun)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from harness.affinity import format_cpus
from harness.cache import Artifact, BuildCache
from harness.confine import PIDS_PER_INSTANCE, SAMPLE_ENVIRONMENT
from harness.errors import IsobenchError
from harness.scopes import CONTAINER
from harness.targets.base import (
    COLD,
    GUEST_INPUT_DIR,
    GUEST_OUTPUT_DIR,
    WARM,
    Execution,
    Invocation,
    mark_is_stale,
    new_mark,
)
from harness.targets.docker import signal_crash
from harness.targets.launcher import Handover, launch, open_launcher
from harness.toolchains import Binary, Check

# Each run's runtime state (its containers' records) in a folder of its own, named by its mark,
# so that a later run finds what a killed one left: <STATE_ROOT>/<runtime>/<mark>
STATE_ROOT = Path("/run/isobench-oci")
GUEST_PROGRAM = "/app"  # where the image has the program (harness.targets.docker.DOCKERFILE)
COMMAND_TIMEOUT_S = 60.0  # `spec`, `list`, `delete`: a runtime that takes longer is stuck


def default_spec(runc: str) -> dict[str, Any]:
    """runc's default config (`runc spec`): the namespaces (a network namespace of its own, so
    no network), masked and read-only paths and the mounts (/proc, /dev, /sys) any container
    gets. Read once; every bundle of both runtimes starts from it."""
    with tempfile.TemporaryDirectory(prefix="isobench-spec-") as bundle:
        completed = subprocess.run([runc, "spec", "--bundle", bundle], capture_output=True,
                                   text=True, check=False, timeout=COMMAND_TIMEOUT_S)  # fmt: skip
        if completed.returncode != 0:
            raise IsobenchError(f"runc spec: {completed.stderr.strip() or completed.returncode}")
        spec: dict[str, Any] = json.loads((Path(bundle) / "config.json").read_text())
    return spec


def installed(runtime: str) -> str:
    executable = shutil.which(runtime)
    if executable is None:
        raise IsobenchError(f"{runtime} is not installed (apt-get install -y {runtime})")
    return executable


class RuncTarget:
    name: ClassVar[str] = "runc"
    oci_runtime: ClassVar[str] = "runc"  # the executable, and the floor this variant stands on
    binary: ClassVar[Binary] = Binary.NATIVE
    artifact_kind: ClassVar[str] = "oci-rootfs"
    artifact_caption: ClassVar[str] = "OCI root filesystem"
    runs_emulated: ClassVar[bool] = True  # a static executable of another CPU runs under qemu
    states: ClassVar[dict[str, str]] = {
        COLD: "`runc run` of the bundle, spawned by the C launcher to reaped (the runtime creates, "
        "starts, waits for and deletes the container), timed with CLOCK_MONOTONIC in C, after "
        "the root's executable was evicted from the page cache (before the clock)",
        WARM: "`runc run` of the bundle, spawned by the C launcher to reaped (the runtime creates, "
        "starts, waits for and deletes the container), timed with CLOCK_MONOTONIC in C; no "
        "daemon, containerd or shim; its config written before the clock",
    }
    phases: ClassVar[tuple[str, ...]] = ("spawn_to_exit",)
    wall_phases: ClassVar[dict[str, tuple[str, ...]]] = {COLD: phases, WARM: phases}
    memory_scope: ClassVar[str] = (
        "the container's cgroup (runc init and the program), nested in the sample's group; not "
        "the runtime's own process"
    )
    instance: ClassVar[str] = CONTAINER
    cpu_scope: ClassVar[str] = (
        "user + system CPU time charged to the container's cgroup (runc init and the program; "
        "not the runtime's own process), from the sample group's cpuacct / cpu.stat"
    )
    rss_scope: ClassVar[str] = ""  # the container's processes are gone before one can be read
    cold_evicts: ClassVar[str] = "the root's executable (the runtime stays cached)"

    def __init__(self, runtime: str, launcher: Artifact, spec: dict[str, Any]) -> None:
        self.runtime = runtime
        self.launcher = Path(launcher.path)
        self.spec = spec
        self.mark = new_mark()
        self.state = STATE_ROOT / self.oci_runtime / self.mark
        self._bundle = Path(tempfile.mkdtemp(prefix=f"isobench-{self.oci_runtime}-"))
        self.remove_marked(mark_is_stale)  # what runs that were killed left

    @classmethod
    def open(cls, cache: BuildCache) -> RuncTarget:
        if os.geteuid() != 0:
            raise IsobenchError(f"the {cls.name} variant runs its containers itself: run as root")
        return cls(installed(cls.oci_runtime), open_launcher(cache),
                   default_spec(installed(RuncTarget.oci_runtime)))  # fmt: skip

    @classmethod
    def probe(cls) -> list[Check]:
        name = f"{cls.name} (the OCI runtime alone, no daemon)"
        try:
            runtime = installed(cls.oci_runtime)
        except IsobenchError as error:
            return [Check(name, False, str(error), f"apt-get install -y {cls.oci_runtime}",
                          optional=True)]  # fmt: skip
        return [Check(name, True, first_line([runtime, "--version"]), optional=True)]

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        recipe = {"executable_sha256": binary.sha256, "rootfs": f"{GUEST_PROGRAM} alone, 0755"}

        def make(ident: str, directory: Path) -> Artifact:
            started = time.perf_counter_ns()
            rootfs = directory / "rootfs"
            rootfs.mkdir(mode=0o755)
            rootfs.chmod(0o755)  # the sample account walks it once it is the container's root
            program = rootfs / GUEST_PROGRAM.lstrip("/")
            shutil.copyfile(binary.path, program)
            program.chmod(0o755)
            return binary.derive(ident, RuncTarget.artifact_kind, path=str(program),
                                 sha256=binary.sha256, size_bytes=program.stat().st_size,
                                 recipe=recipe,
                                 build_ns=time.perf_counter_ns() - started)  # fmt: skip

        return cache.get_or_build(RuncTarget.artifact_kind, recipe, make)

    def config(self, invocation: Invocation, container_cgroup: str | None) -> dict[str, Any]:
        """The bundle's config for one sample: the default spec, the root read-only, the
        program and its arguments, the environment of every process variant, no capabilities,
        the sample account, its folders bound, its CPUs and tasks limited, its group nested in
        the sample's (which holds its memory)."""
        spec: dict[str, Any] = json.loads(json.dumps(self.spec))  # a deep copy: kept as read
        process = spec["process"]
        process["args"] = [GUEST_PROGRAM, *invocation.resolved_args()]
        process["terminal"] = False  # the runtime hands the container its own stdio
        process["env"] = [f"{name}={value}" for name, value in SAMPLE_ENVIRONMENT.items()]
        process["capabilities"] = {}
        process["noNewPrivileges"] = True
        if invocation.account is not None:
            process["user"] = {"uid": invocation.account.uid, "gid": invocation.account.gid}
        spec["root"] = {"path": str(Path(invocation.artifact.path).parent), "readonly": True}
        for source, destination, mode in (
            (invocation.input_dir, GUEST_INPUT_DIR, "ro"),
            (invocation.output_dir, GUEST_OUTPUT_DIR, "rw"),
        ):
            if source is not None:
                spec["mounts"].append({"destination": destination, "type": "bind",
                                       "source": str(source),
                                       "options": ["rbind", mode, "nosuid", "nodev"]})  # fmt: skip
        linux = spec["linux"]
        resources = linux.setdefault("resources", {})
        resources["pids"] = {"limit": PIDS_PER_INSTANCE}
        if invocation.cpus:
            resources["cpu"] = {"cpus": format_cpus(invocation.cpus)}
        if container_cgroup is not None:
            linux["cgroupsPath"] = container_cgroup
        elif invocation.memory_limit_bytes is not None:  # no sample group to hold it
            limit = invocation.memory_limit_bytes
            resources["memory"] = {"limit": limit, "swap": limit}
        return spec

    def run(self, invocation: Invocation) -> Execution:
        container = f"isobench-{uuid.uuid4().hex[:12]}"
        cgroup = invocation.cgroup
        container_cgroup = f"{cgroup.relative_path}/{container}" if cgroup else None
        (self._bundle / "config.json").write_text(
            json.dumps(self.config(invocation, container_cgroup))
        )
        argv = [self.runtime, "--root", str(self.state), "run", "--bundle", str(self._bundle),
                container]  # fmt: skip
        # The runtime runs as root, outside the sample's group (its container is in it): the
        # launcher only times it and hands it the sample's stdio, which it hands the container
        # after making each file the container user's own (runc's and crun's fchown of a
        # container's stdio): its stdin is therefore a copy, never the workload's own file.
        stdin = None
        if invocation.stdin_path is not None:
            stdin = self._bundle / "stdin"
            stdin.unlink(missing_ok=True)
            shutil.copyfile(invocation.stdin_path, stdin)
        as_root = replace(invocation, account=None, cgroup=None, memory_limit_bytes=None,
                          stdin_path=stdin)  # fmt: skip
        # The container's own group, the one its OOM kill is counted in, is gone with it
        notice = cgroup.oom_notice() if cgroup else None
        try:
            execution = launch(self.launcher, as_root, argv, Handover())
        finally:  # a container the runtime did not delete (stopped at the timeout)
            self._delete(self.state, container)
            out_of_memory = notice.fired() if notice else False
        code = execution.exit_code
        crash = signal_crash(code) if code is not None else execution.crash
        return replace(
            execution,
            exit_code=None if crash else code,
            crash="" if execution.timed_out else crash,
            in_cgroup=cgroup is not None,
            cpu_ns=cgroup.cpu_ns() if cgroup else None,
            rss_peak_bytes=None,
            out_of_memory=execution.out_of_memory or out_of_memory,
        )

    def _delete(self, state: Path, container: str) -> None:
        subprocess.run([self.runtime, "--root", str(state), "delete", "--force", container],
                       capture_output=True, check=False, timeout=COMMAND_TIMEOUT_S)  # fmt: skip

    def cold_files(self, artifact: Artifact) -> list[Path]:
        return [Path(artifact.path)]

    def settings(self) -> dict[str, str]:
        return {
            "runtime": self.oci_runtime,
            "config": "`runc spec`'s default (its own network namespace: no network)",
            "read_only_rootfs": "true",
            "capabilities": "none",
            "no_new_privileges": "true",
            "pids_limit": str(PIDS_PER_INSTANCE),
            "memory_limit": "the run's --memory-limit, on the sample's group that holds the "
            "container's",
            "user": "the sample account's uid:gid (root when the harness has no account)",
        }

    def versions(self) -> dict[str, str]:
        return {self.oci_runtime: first_line([self.runtime, "--version"])}

    def host_costs(self) -> dict[str, object]:
        return {}  # no daemon and no shim: the runtime's process is gone when the container is

    def remove_marked(self, marks: Callable[[str], bool]) -> int:
        """Delete the containers left in the state folders of runs whose mark passes `marks`,
        then the folders; how many containers."""
        removed = 0
        folders = STATE_ROOT / self.oci_runtime
        for state in sorted(folders.iterdir()) if folders.is_dir() else []:
            if not marks(state.name):
                continue
            listed = subprocess.run([self.runtime, "--root", str(state), "list", "--quiet"],
                                    capture_output=True, text=True, check=False,
                                    timeout=COMMAND_TIMEOUT_S)  # fmt: skip
            for container in listed.stdout.split():
                self._delete(state, container)
                removed += 1
            shutil.rmtree(state, ignore_errors=True)
        return removed

    def close(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self.remove_marked(lambda mark: mark == self.mark)
        shutil.rmtree(self._bundle, ignore_errors=True)


def first_line(argv: list[str]) -> str:
    completed = subprocess.run(argv, capture_output=True, text=True, check=False,
                               timeout=COMMAND_TIMEOUT_S)  # fmt: skip
    return (completed.stdout.strip().splitlines() or [""])[0]
