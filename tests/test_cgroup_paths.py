"""Where the sample groups go (unit): at each hierarchy's root on the host; inside a
container on cgroup v1, which sees the host's hierarchy, under the container's own group (a
pod's limits and accounting then hold its samples, and two harnesses on one host never meet);
and the path Docker is given as `cgroup_parent`."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cgroups import (
    INITIAL_PID_NAMESPACE_INODE,
    V1_CONTROLLERS_ROOT,
    V1_MEMORY_ROOT,
    V2_ROOT,
    SampleCgroup,
    own_base,
)


def fake_proc(tmp_path: Path, cgroup: str) -> Path:
    """/proc/self of a process in a container: a pid namespace that is not the host's (the
    inode of a plain file is not the kernel's initial one) and its /proc/self/cgroup."""
    proc = tmp_path / "proc-self"
    (proc / "ns").mkdir(parents=True)
    (proc / "ns/pid").write_text("")
    (proc / "cgroup").write_text(cgroup)
    return proc


@pytest.mark.parametrize(
    ("cgroup", "base"),
    [
        ("12:pids:/docker/5e1f\n4:memory:/docker/5e1f\n0::/\n", "docker/5e1f"),
        ("9:memory:/kubepods/burstable/pod7/c0ffee\n", "kubepods/burstable/pod7/c0ffee"),
        ("3:cpu,cpuacct:/x\n4:memory:/\n", ""),  # a container that shares the host's groups
    ],
)
def test_inside_a_container_groups_nest_in_its_own(tmp_path: Path, cgroup: str, base: str) -> None:
    assert own_base(fake_proc(tmp_path, cgroup)) == base


def test_on_the_host_groups_are_at_the_root() -> None:
    if Path("/proc/self/ns/pid").stat().st_ino != INITIAL_PID_NAMESPACE_INODE:
        pytest.skip("these tests run inside a container")
    assert own_base() == ""


def test_docker_is_given_the_groups_path_from_its_hierarchys_root() -> None:
    memory = SampleCgroup(V1_MEMORY_ROOT / "docker/5e1f/isobench/sample-1-ab", 1, "sample-1-ab")
    assert memory.docker_parent == "/docker/5e1f/isobench/sample-1-ab"
    pids = SampleCgroup(V1_CONTROLLERS_ROOT / "pids/isobench/sample-1-ab", 1, "sample-1-ab")
    assert pids.relative_path == "/isobench/sample-1-ab"
    unified = SampleCgroup(V2_ROOT / "isobench/sample-1-ab", 2, "sample-1-ab")
    assert unified.docker_parent == "/isobench/sample-1-ab"
