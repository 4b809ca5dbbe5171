"""The Kubernetes Job of deploy/kubernetes rehearsed on this machine, end to end (`nox -s
kubernetes`): no cluster and no registry, so

1. a Debian 12 image is made here as the pod's `debian:12`: debootstrap (minbase) from Debian's
   archive with the official image's apt sources, then `docker import`;
2. the Job's container for this host's architecture runs in it exactly as written (its command,
   script, environment and emptyDir volumes; its memory limit), with the repository given as a
   local clone (file:// of this checkout's committed HEAD) and `ISOBENCH_OPTIONS` set to the
   quick suite. `privileged: true` fails on this VM ("unable to apply caps"), so the container
   gets what Docker-in-Docker needs of it instead: every capability but CAP_SYS_RESOURCE, no
   seccomp or AppArmor profile, the host's cgroup namespace and /sys/fs/cgroup writable. This
   machine's network answers TLS with its own certificate authority: the pod is given the
   host's CA bundle, for pip (PIP_CERT), as a cluster behind such a proxy would have to;
3. its log is kept (build/rehearsal/<job>.log), the results file collected from it by the
   README's own `collect` function and checked (every sample ok; on cgroup v1, peaks measured
   in groups below the container's own, not the host's), and a report rendered from it.

Any step that fails ends the rehearsal with its reason and exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import yaml
from docker.types import Mount

from harness.cgroups import V1_MEMORY_ROOT
from harness.report import write_report
from harness.results import Status, read_results
from harness.toolchains import host_arch

PROJECT_ROOT = Path(__file__).resolve().parents[1]
JOBS = PROJECT_ROOT / "deploy" / "kubernetes" / "isobench-jobs.yaml"
GUIDE = PROJECT_ROOT / "deploy" / "kubernetes" / "README.md"
WORKDIR = PROJECT_ROOT / "build" / "rehearsal"
IMAGE_REPOSITORY, IMAGE_TAG = "isobench-rehearsal/debian", "12"
MIRROR = "http://deb.debian.org/debian"
# The apt sources of Docker Hub's debian:12, which debootstrap does not write.
DEBIAN_SOURCES = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
KUBERNETES_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
# What `privileged: true` would give, less what this VM refuses (../shared/FIELD-NOTES.md).
IN_PLACE_OF_PRIVILEGED: dict[str, Any] = {
    "cap_add": ["ALL"],
    "cap_drop": ["SYS_RESOURCE"],
    "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
    "cgroupns": "host",
}


class RehearsalError(Exception):
    """A step of the rehearsal failed: one line, exit 1."""


@dataclass(frozen=True, slots=True)
class PodContainer:
    """The parts of a Job's one container that the rehearsal reproduces."""

    job: str
    image: str
    argv: tuple[str, ...]  # command + args, as the kubelet runs them
    environment: dict[str, str]
    empty_dirs: tuple[str, ...]  # mount paths of emptyDir volumes
    memory_limit: str  # Kubernetes quantity, e.g. 8Gi
    privileged: bool


def job_for(arch: str, jobs_file: Path = JOBS) -> PodContainer:
    """The Job pinned to `arch` (kubernetes.io/arch) in `jobs_file`."""
    for job in (document for document in yaml.safe_load_all(jobs_file.read_text()) if document):
        spec = job["spec"]["template"]["spec"]
        if spec.get("nodeSelector", {}).get("kubernetes.io/arch") != KUBERNETES_ARCH[arch]:
            continue
        (container,) = spec["containers"]
        empty = {volume["name"] for volume in spec.get("volumes", []) if "emptyDir" in volume}
        return PodContainer(
            job=job["metadata"]["name"],
            image=container["image"],
            argv=(*container["command"], *container["args"]),
            environment={entry["name"]: entry["value"] for entry in container["env"]},
            empty_dirs=tuple(
                mount["mountPath"]
                for mount in container.get("volumeMounts", [])
                if mount["name"] in empty
            ),
            memory_limit=container["resources"]["limits"]["memory"],
            privileged=bool(container.get("securityContext", {}).get("privileged")),
        )
    raise RehearsalError(f"{jobs_file}: no Job for kubernetes.io/arch={KUBERNETES_ARCH[arch]}")


def collect_function(guide: Path = GUIDE) -> str:
    """The README's `collect` shell function, as a user copies it."""
    match = re.search(r"^collect\(\) \{.*?^\}$", guide.read_text(), re.MULTILINE | re.DOTALL)
    if not match:
        raise RehearsalError(f"{guide}: no collect() function")
    return match.group(0)


def collect(log: Path, arch: str, into: Path) -> list[Path]:
    """Run the README's `collect` on a Job's log; the results files it extracted."""
    into.mkdir(parents=True, exist_ok=True)
    kubernetes_arch = KUBERNETES_ARCH[arch]
    with log.open("rb") as stdin:
        completed = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", f"{collect_function()}\ncollect {kubernetes_arch}"],
            stdin=stdin, cwd=into, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if completed.returncode != 0:
        raise RehearsalError(f"collect failed: {completed.stderr.strip()}")
    return sorted((into / f"collected-{kubernetes_arch}" / "results").glob("*.jsonl"))


def memory_bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti)?", quantity)
    if not match:
        raise RehearsalError(f"{JOBS}: memory limit {quantity!r} is not a quantity I read")
    return int(match.group(1)) * units.get(match.group(2) or "", 1)


def make_image(client: docker.DockerClient, rebuild: bool) -> str:
    """This machine's stand-in for debian:12; made once, kept as a local image."""
    tag = f"{IMAGE_REPOSITORY}:{IMAGE_TAG}"
    if not rebuild and client.images.list(name=tag):
        return tag
    if shutil.which("debootstrap") is None:
        print("rehearsal: installing debootstrap", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=True)
    rootfs = WORKDIR / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    print(f"rehearsal: debootstrap bookworm into {rootfs}", flush=True)
    subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), MIRROR],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(DEBIAN_SOURCES)
    archive = WORKDIR / "rootfs.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
    client.api.import_image_from_file(str(archive), repository=IMAGE_REPOSITORY, tag=IMAGE_TAG)
    archive.unlink()
    shutil.rmtree(rootfs)
    return tag


def committed_branch() -> str:
    def git(*argv: str) -> str:
        return subprocess.run(["git", "-C", str(PROJECT_ROOT), *argv], capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip

    if git("status", "--porcelain", "--untracked-files=no"):
        print("rehearsal: uncommitted changes are not in it (the pod clones the committed HEAD)")
    branch = git("branch", "--show-current")
    if not branch:
        raise RehearsalError("the checkout is on no branch: the Job clones a branch")
    return branch


def check_collected(path: Path, container_id: str) -> None:
    """Every sample ok, and (cgroup v1, where the pod sees the host's hierarchy) the memory
    groups inside the container's own group: not at the host's root, among the host's."""
    results = read_results(path)
    statuses = sorted({sample.status for sample in results.samples}, key=str)
    counts = ", ".join(
        f"{sum(sample.status is status for sample in results.samples)} {status}"
        for status in statuses
    )
    print(f"rehearsal: {path.name}: {counts}")
    if statuses != [Status.OK]:
        raise RehearsalError(f"{path}: samples not ok ({counts})")
    method = (results.header.memory.method if results.header.memory else None) or ""
    print(f"rehearsal: memory measured by {method or 'nothing'}")
    own_group = str(V1_MEMORY_ROOT / "docker" / container_id / "isobench")
    if V1_MEMORY_ROOT.is_dir() and own_group not in method:
        raise RehearsalError(f"{path}: memory groups not under the pod's own {own_group}")


def run_pod(client: docker.DockerClient, pod: PodContainer, image: str, options: str,
            log: Path) -> tuple[int, str]:  # fmt: skip
    """The Job's container, run to its end (its exit status and id); its log written to `log`
    and echoed."""
    environment = {
        **pod.environment,
        "ISOBENCH_REPOSITORY": "file:///repository",
        "ISOBENCH_REF": committed_branch(),
        "ISOBENCH_OPTIONS": options,
        "PIP_CERT": "/etc/isobench-rehearsal/ca-certificates.crt",
    }
    name = f"isobench-rehearsal-{pod.job}"
    with contextlib.suppress(docker.errors.NotFound):  # a rehearsal interrupted before
        client.containers.get(name).remove(force=True, v=True)
    container = client.containers.run(
        image, list(pod.argv), name=name, environment=environment, detach=True,
        volumes={str(PROJECT_ROOT): {"bind": "/repository", "mode": "ro"},
                 "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                 HOST_CA_BUNDLE: {"bind": "/etc/isobench-rehearsal/ca-certificates.crt",
                                  "mode": "ro"}},
        mounts=[Mount(path, None, type="volume") for path in pod.empty_dirs],
        mem_limit=memory_bytes(pod.memory_limit),
        **(IN_PLACE_OF_PRIVILEGED if pod.privileged else {}),
    )  # fmt: skip
    try:
        with log.open("wb") as out:
            for chunk in container.logs(stream=True, follow=True):
                out.write(chunk)
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
        return int(container.wait()["StatusCode"]), str(container.id)
    finally:
        container.remove(force=True, v=True)


def rehearse(options: str, rebuild_image: bool) -> None:
    WORKDIR.mkdir(parents=True, exist_ok=True)
    client = docker.from_env()
    pod = job_for(host_arch())
    if pod.image != "debian:12":
        raise RehearsalError(f"{JOBS}: the Job's image is {pod.image}; this rehearses debian:12")
    image = make_image(client, rebuild_image)
    log = WORKDIR / f"{pod.job}.log"
    started = time.monotonic()
    status, container_id = run_pod(client, pod, image, options, log)
    minutes = (time.monotonic() - started) / 60
    print(f"rehearsal: the pod's script exited {status} after {minutes:.1f} min; log {log} "
          f"({log.stat().st_size} bytes)")  # fmt: skip
    collected_dir = WORKDIR / "collected"
    shutil.rmtree(collected_dir, ignore_errors=True)
    collected = collect(log, host_arch(), collected_dir)
    if not collected:
        raise RehearsalError(f"no results file between the markers of {log}")
    for path in collected:
        print(f"rehearsal: collected {path} ({path.stat().st_size} bytes)")
        check_collected(path, container_id)
    report = write_report(collected, WORKDIR / "kubernetes-rehearsal.html")
    print(f"rehearsal: report {report}")
    if status != 0:
        raise RehearsalError(f"the pod's script exited {status}: see {log}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.rehearse_kubernetes",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--options", default="--suite quick",
                        help="ISOBENCH_OPTIONS of the Job: options of `isobench all`")  # fmt: skip
    parser.add_argument("--rebuild-image", action="store_true",
                        help="debootstrap the Debian 12 image again")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        rehearse(args.options, args.rebuild_image)
    except (RehearsalError, docker.errors.DockerException, subprocess.CalledProcessError) as error:
        print(f"rehearsal: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
