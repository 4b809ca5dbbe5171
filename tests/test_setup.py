"""`.ci/setup`'s decisions per distribution, offline: the real script runs against a fake root
(its /etc/os-release, apt sources, binfmt_misc) with stub apt-get, apt-cache, dpkg, dpkg-query,
docker, dockerd, systemctl, mount, update-binfmts and Pythons that record what would run. Its
PATH holds only the stubs and a few harmless tools, so a command nobody stubbed is not found
and fails the case instead of running on this machine.

The fakes are drawn from the hosts the fleet meets: a debian:12 image (no Python, no Docker),
GitHub's ubuntu-22.04 runner (Python 3.10, Microsoft's moby Docker running, Chrome) and
ubuntu-24.04 runner (clang 18), and the states in between."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from harness import toolchains
from tests.conftest import PROJECT_ROOT

SETUP = PROJECT_ROOT / ".ci" / "setup"
HARMLESS_TOOLS = ("bash", "grep", "sed", "awk", "cat", "head", "tail", "seq", "sleep", "rm",
                  "mv", "cp", "mkdir", "chmod", "touch", "dirname", "ps", "setsid")  # fmt: skip

# One stub for every command, dispatched on its name. State lives in $STUB_STATE: installed
# packages, foreign architectures, whether the engine answers; every call is appended to the log.
STUB = r"""#!/bin/bash
name=${0##*/}
echo "$name $*" >>"$STUB_STATE/log"
has() { grep -qx "$1" "$STUB_STATE/installed" 2>/dev/null; }
case $name in
apt-get)
    if [[ $1 == update ]]; then touch "$STUB_STATE/lists"; exit 0; fi
    for package in "$@"; do
        [[ $package == -* || $package == install ]] && continue
        echo "$package" >>"$STUB_STATE/installed"
        # a package that brings a command: the case's stub for it joins PATH
        [[ -d $STUB_STATE/brings/$package ]] && cp "$STUB_STATE/brings/$package"/* "$STUB_BIN"/
    done ;;
apt-cache)
    [[ -e $STUB_STATE/lists || ! -e $STUB_STATE/lists-empty ]] || exit 0
    case $1 in
    depends) printf '%s\n  Depends: clang-%s\n' "$2" "$(cat "$STUB_STATE/clang-major")" ;;
    policy) grep -qx "$2" "$STUB_STATE/unavailable" 2>/dev/null \
                && echo "  Candidate: (none)" || echo "  Candidate: 1.0" ;;
    esac ;;
dpkg)
    case $1 in
    --print-architecture) cat "$STUB_STATE/arch" ;;
    --print-foreign-architectures) cat "$STUB_STATE/foreign" 2>/dev/null || true ;;
    --add-architecture) echo "$2" >>"$STUB_STATE/foreign" ;;
    esac ;;
dpkg-query) has "${@: -1}" && echo "install ok installed" || exit 1 ;;
docker)  # an engine that answers reports the runtimes its daemon.json names
    [[ $1 == info && -e $STUB_STATE/engine-answers ]] || exit 1
    [[ $2 != --format ]] || cat "$ISOBENCH_SETUP_ROOT/etc/docker/daemon.json" 2>/dev/null ;;
dockerd) touch "$STUB_STATE/engine-answers" ;;
systemctl) [[ $* != "start docker" ]] || touch "$STUB_STATE/engine-answers" ;;
python*)
    case "$1 $2" in
    "- "*) exec /usr/bin/python3 "$@" ;;  # a script on stdin (daemon.json's merge): run it
    "-c import sys"*) cat "$STUB_STATE/version-$name" ;;
    "-c import ensurepip") [[ -e $STUB_STATE/ensurepip-$name ]] || exit 1 ;;
    "-m venv")
        mkdir -p "$3/bin"
        cp "$0" "$3/bin/python"
        cp "$0" "$3/bin/isobench" ;;
    esac ;;
isobench) [[ $1 == --version ]] && echo "isobench (stub)" ;;
esac
exit 0
"""


@dataclass(frozen=True, slots=True)
class Host:
    """A machine as the setup finds it."""

    os_release: str
    clang_major: int
    arch: str = "amd64"
    installed: tuple[str, ...] = ()
    pythons: dict[str, str] = field(default_factory=dict)  # command: version
    pythons_with_ensurepip: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()  # other commands on PATH (node, google-chrome)
    engine_answers: bool = False
    systemd: bool = False
    lists_empty: bool = False
    unavailable: tuple[str, ...] = ()
    apt_sources: dict[str, str] = field(default_factory=dict)  # path under /etc/apt: text
    daemon_json: str | None = None  # /etc/docker/daemon.json, if there is one


DEBIAN_12 = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
UBUNTU_2204 = 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n'
UBUNTU_2404 = 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n'
UBUNTU_SOURCES = """Types: deb
URIs: http://azure.archive.ubuntu.com/ubuntu/
Suites: noble noble-updates noble-backports
Components: main universe restricted multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

Types: deb
URIs: http://azure.archive.ubuntu.com/ubuntu/
Suites: noble-security
Components: main universe restricted multiverse
Architectures: amd64
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
"""
MICROSOFT_LIST = (
    "deb [signed-by=/usr/share/keyrings/microsoft-prod.gpg] "
    "https://packages.microsoft.com/ubuntu/24.04/prod noble main\n"
    "deb https://ppa.launchpadcontent.net/git-core/ppa/ubuntu noble main\n"
)
MOBY = ("moby-engine", "moby-cli", "moby-containerd", "moby-runc")
DEBIAN_IMAGE = Host(DEBIAN_12, 14, lists_empty=True)  # debian:12 as a pod starts it
UBUNTU_2204_RUNNER = Host(
    UBUNTU_2204, 14, installed=MOBY, pythons={"python3": "3.10"},
    pythons_with_ensurepip=("python3",), commands=("node", "google-chrome"),
    engine_answers=True, systemd=True,
)  # fmt: skip
UBUNTU_2404_RUNNER = Host(
    UBUNTU_2404, 18, installed=MOBY, pythons={"python3": "3.12"}, commands=("node",),
    engine_answers=True, systemd=True,
    apt_sources={"sources.list.d/ubuntu.sources": UBUNTU_SOURCES,
                 "sources.list.d/microsoft-prod.list": MICROSOFT_LIST},
)  # fmt: skip
COMPILERS_14 = ("clang", "lld", "libc6-dev", "wasi-libc", "libclang-rt-14-dev-wasm32", "rustc",
                "cargo", "libstd-rust-dev-wasm32", "git", "ca-certificates", "procps")  # fmt: skip
CROSS = ("gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross", "libstd-rust-dev:arm64",
         "qemu-user-static", "binfmt-support")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    returncode: int
    output: str
    calls: list[str]  # each stub call: "command arg ..."
    root: Path

    def installs(self) -> list[str]:
        """The packages of every `apt-get install`, in order."""
        return [
            package
            for call in self.calls
            if call.startswith("apt-get") and " install " in call
            for package in call.split()[2:]
            if not package.startswith("-")
        ]

    def ran(self, prefix: str) -> bool:
        return any(call.startswith(prefix) for call in self.calls)


def write_system_files(root: Path, host: Host) -> None:
    """The host's files the setup reads: os-release, apt sources, systemd, daemon.json."""
    (root / "etc/os-release").write_text(host.os_release)
    for relative, text in host.apt_sources.items():
        (root / "etc/apt" / relative).write_text(text)
    if host.systemd:
        (root / "run/systemd/system").mkdir(parents=True)
    if host.daemon_json is not None:
        (root / "etc/docker").mkdir(parents=True)
        (root / "etc/docker/daemon.json").write_text(host.daemon_json)


def run_setup(tmp_path: Path, host: Host, *options: str, cross_variable: str = "") -> Outcome:
    root, state, stubs, tools = (tmp_path / name for name in ("root", "state", "bin", "tools"))
    project = tmp_path / "project"
    for folder in (root / "etc/apt/sources.list.d", root / "proc/sys/fs/binfmt_misc",
                   root / "var/log", state / "brings", stubs, tools, project / ".ci"):  # fmt: skip
        folder.mkdir(parents=True)
    shutil.copy(SETUP, project / ".ci" / "setup")
    write_system_files(root, host)
    (state / "arch").write_text(host.arch + "\n")
    (state / "clang-major").write_text(f"{host.clang_major}\n")
    (state / "installed").write_text("".join(f"{name}\n" for name in host.installed))
    (state / "unavailable").write_text("".join(f"{name}\n" for name in host.unavailable))
    for flag, name in ((host.engine_answers, "engine-answers"), (host.lists_empty, "lists-empty")):
        if flag:
            (state / name).touch()
    for tool in HARMLESS_TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)

    def stub(folder: Path, name: str) -> None:
        (folder / name).write_text(STUB)
        (folder / name).chmod(stat.S_IRWXU)

    for name in ("apt-get", "apt-cache", "dpkg", "dpkg-query", "docker", "dockerd", "systemctl",
                 "mount", "update-binfmts", *host.commands):  # fmt: skip
        stub(stubs, name)
    for python, version in host.pythons.items():
        stub(stubs, python)
        (state / f"version-{python}").write_text(version + "\n")
    for python in host.pythons_with_ensurepip:
        (state / f"ensurepip-{python}").touch()
    # what installing a package brings: Python 3.11 (with its venv) from python3 / python3.11
    (state / "brings" / "crun").mkdir()  # installing crun puts it on PATH
    stub(state / "brings" / "crun", "crun")
    for package, python in (("python3", "python3"), ("python3.11", "python3.11")):
        if python in host.pythons:
            continue
        (state / "brings" / package).mkdir()
        stub(state / "brings" / package, python)
        (state / f"version-{python}").write_text("3.11\n")
        (state / f"ensurepip-{python}").touch()
    environment = {
        "PATH": f"{stubs}:{tools}",
        "STUB_STATE": str(state),
        "STUB_BIN": str(stubs),
        "ISOBENCH_SETUP_ROOT": str(root),
    }
    if cross_variable:
        environment["ISOBENCH_CROSS"] = cross_variable
    completed = subprocess.run(
        [str(shutil.which("bash")), str(project / ".ci" / "setup"), *options],
        env=environment, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    calls = (state / "log").read_text().splitlines() if (state / "log").exists() else []
    return Outcome(completed.returncode, completed.stdout + completed.stderr, calls, root)


def assert_no_foreign_architecture(outcome: Outcome) -> None:
    assert not outcome.ran("dpkg --add-architecture"), outcome.calls
    assert not outcome.ran("mount"), outcome.calls
    assert not outcome.ran("update-binfmts"), outcome.calls
    assert not any(package.endswith(":arm64") for package in outcome.installs())
    assert not list((outcome.root / "etc/apt/sources.list.d").glob("isobench-*"))


def test_a_debian_12_image_gets_everything_from_debian(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, DEBIAN_IMAGE)
    assert outcome.returncode == 0, outcome.output
    assert outcome.calls[outcome.calls.index("apt-get update -qq") - 1].startswith("apt-cache")
    assert set(outcome.installs()) == {
        *COMPILERS_14, "python3", "python3-venv", "nodejs", "docker.io", "crun", "criu"
    }  # fmt: skip
    assert "dockerd " in outcome.calls
    assert not outcome.ran("systemctl")
    assert outcome.ran("python3 -m venv .venv")
    assert outcome.ran("python -m pip install -q --disable-pip-version-check -e .")
    assert not outcome.ran("python -m pip install -q --disable-pip-version-check -e .[dev]")
    assert outcome.ran("isobench doctor")
    assert "chromium" not in outcome.installs()  # the main job needs no browser
    assert_no_foreign_architecture(outcome)


def test_the_tests_on_debian_get_its_chromium(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, DEBIAN_IMAGE, "--tests")
    assert outcome.returncode == 0, outcome.output
    assert {"chromium", "hyperfine", "librust-fnv-dev"} <= set(outcome.installs())
    assert outcome.ran("python -m pip install -q --disable-pip-version-check -e .[dev]")
    assert_no_foreign_architecture(outcome)


def test_ubuntu_22_04_runner_keeps_its_docker_and_gets_python_3_11(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, UBUNTU_2204_RUNNER, "--tests")
    assert outcome.returncode == 0, outcome.output
    installs = set(outcome.installs())
    assert installs == {*COMPILERS_14, "python3.11", "python3.11-venv", "crun", "criu", "hyperfine",
                        "librust-fnv-dev"}  # fmt: skip
    assert outcome.ran("python3.11 -m venv .venv")
    assert "Docker Engine: the one running" in outcome.output
    assert not outcome.ran("dockerd")
    assert not outcome.ran("systemctl start")
    assert not outcome.ran("python -m playwright")  # the runner's Chrome is used
    assert_no_foreign_architecture(outcome)


def test_ubuntu_24_04_pairs_clang_18_with_its_builtins(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, UBUNTU_2404_RUNNER, "--tests")
    assert outcome.returncode == 0, outcome.output
    installs = outcome.installs()
    assert "libclang-rt-18-dev-wasm32" in installs
    assert "libclang-rt-14-dev-wasm32" not in installs
    assert "python3.12-venv" in installs  # Ubuntu's python3 has no ensurepip without it
    assert not {*MOBY, "docker.io", "containerd", "runc", "chromium"} & set(installs)
    assert outcome.ran("python -m playwright install --with-deps chromium")
    assert_no_foreign_architecture(outcome)


def test_installed_moby_engine_is_started_not_replaced(tmp_path: Path) -> None:
    host = Host(UBUNTU_2404, 18, installed=MOBY, pythons={"python3": "3.12"},
                pythons_with_ensurepip=("python3",), commands=("node",), systemd=True)  # fmt: skip
    outcome = run_setup(tmp_path, host)
    assert outcome.returncode == 0, outcome.output
    assert "systemctl start docker" in outcome.calls
    assert not {"docker.io", "moby-engine"} & set(outcome.installs())


def test_moby_runtime_without_its_engine_gets_moby_engine(tmp_path: Path) -> None:
    host = Host(UBUNTU_2404, 18, installed=("moby-containerd", "moby-runc"),
                pythons={"python3": "3.12"}, pythons_with_ensurepip=("python3",),
                commands=("node",), systemd=True)  # fmt: skip
    outcome = run_setup(tmp_path, host)
    assert outcome.returncode == 0, outcome.output
    assert {"moby-engine", "moby-cli"} <= set(outcome.installs())
    assert "docker.io" not in outcome.installs()  # its containerd and runc would conflict


def test_a_ready_machine_installs_nothing(tmp_path: Path) -> None:
    everything = (
        *COMPILERS_14,
        "hyperfine",
        "librust-fnv-dev",
        "docker.io",
        "crun",
        "criu",
        "chromium",
    )
    host = Host(DEBIAN_12, 14, installed=everything, pythons={"python3": "3.11"},
                pythons_with_ensurepip=("python3",), commands=("node", "chromium", "crun"),
                engine_answers=True,
                daemon_json='{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}')  # fmt: skip
    outcome = run_setup(tmp_path, host, "--tests")
    assert outcome.returncode == 0, outcome.output
    assert not outcome.ran("apt-get")
    assert not outcome.ran("dockerd")
    assert "crun registered" not in outcome.output  # it was: nothing written, nothing reloaded


def test_an_optional_package_the_archive_lacks_is_left_out(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, replace(UBUNTU_2404_RUNNER, unavailable=("criu",)))
    assert outcome.returncode == 0, outcome.output
    assert "criu" not in outcome.installs()
    assert "criu: not in ubuntu 24.04's archive (optional: left out)" in outcome.output


def test_crun_is_registered_with_a_docker_engine_it_starts(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, DEBIAN_IMAGE)
    assert outcome.returncode == 0, outcome.output
    config = json.loads((outcome.root / "etc/docker/daemon.json").read_text())
    assert config == {"runtimes": {"crun": {"path": str(tmp_path / "bin" / "crun")}}}
    # written before dockerd starts, which reads it: nothing to reload
    assert outcome.calls.index("dockerd ") > 0
    assert not outcome.ran("systemctl")


def test_crun_joins_a_running_engines_own_daemon_json_which_is_reloaded(tmp_path: Path) -> None:
    runner = {"exec-opts": ["native.cgroupdriver=cgroupfs"], "runtimes": {"other": {"path": "x"}}}
    host = replace(UBUNTU_2204_RUNNER, daemon_json=json.dumps(runner))
    outcome = run_setup(tmp_path, host)
    assert outcome.returncode == 0, outcome.output
    config = json.loads((outcome.root / "etc/docker/daemon.json").read_text())
    assert config["exec-opts"] == runner["exec-opts"]  # the runner's own settings are kept
    assert set(config["runtimes"]) == {"other", "crun"}
    assert "systemctl reload docker" in outcome.calls
    assert "reloading the Docker Engine's configuration" in outcome.output


def test_a_daemon_json_that_is_no_object_is_one_line_and_exit_2(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, replace(UBUNTU_2204_RUNNER, daemon_json="[1, 2]"))
    assert outcome.returncode == 2
    daemon_json = outcome.root / "etc/docker/daemon.json"
    assert outcome.output.strip().splitlines()[-1].startswith(f"setup: {daemon_json}: not a JSON")
    assert daemon_json.read_text() == "[1, 2]"  # left as it was
    assert not outcome.ran("systemctl reload")


def test_cross_on_ubuntu_qualifies_sources_and_takes_arm64_from_ports(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, UBUNTU_2404_RUNNER, "--cross")
    assert outcome.returncode == 0, outcome.output
    assert "dpkg --add-architecture arm64" in outcome.calls
    assert set(CROSS) <= set(outcome.installs())
    # the lists are fetched again after the sources and the architecture changed
    assert outcome.calls.index("apt-get update -qq") > outcome.calls.index(
        "dpkg --add-architecture arm64"
    )
    apt = outcome.root / "etc/apt"
    ports = (apt / "sources.list.d/isobench-arm64-ports.sources").read_text()
    assert "URIs: http://ports.ubuntu.com/ubuntu-ports" in ports
    assert "Suites: noble noble-updates noble-security" in ports
    assert "Architectures: arm64" in ports
    stanzas = (apt / "sources.list.d/ubuntu.sources").read_text().strip().split("\n\n")
    assert [stanza.count("Architectures: amd64") for stanza in stanzas] == [1, 1]
    assert (apt / "sources.list.d/microsoft-prod.list").read_text().splitlines() == [
        "deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] "
        "https://packages.microsoft.com/ubuntu/24.04/prod noble main",
        "deb [arch=amd64] https://ppa.launchpadcontent.net/git-core/ppa/ubuntu noble main",
    ]
    assert outcome.ran("mount -t binfmt_misc")
    assert outcome.ran("update-binfmts --enable")


def test_cross_on_debian_needs_no_other_archive(tmp_path: Path) -> None:
    outcome = run_setup(tmp_path, DEBIAN_IMAGE, cross_variable="1")
    assert outcome.returncode == 0, outcome.output
    assert "dpkg --add-architecture arm64" in outcome.calls
    assert set(CROSS) <= set(outcome.installs())
    assert not list((outcome.root / "etc/apt/sources.list.d").iterdir())


def test_cross_on_an_arm_host_is_declined(tmp_path: Path) -> None:
    host = Host(UBUNTU_2404, 18, arch="arm64", pythons={"python3": "3.12"},
                pythons_with_ensurepip=("python3",), commands=("node",),
                engine_answers=True)  # fmt: skip
    outcome = run_setup(tmp_path, host, "--cross")
    assert outcome.returncode == 0, outcome.output
    assert "this arm64 host builds natively" in outcome.output
    assert_no_foreign_architecture(outcome)


def cgroup_v2_files(root: Path, own_group: str, *, namespace_root: bool) -> Path:
    """A cgroup v2 mount as a process sees it: the pod's namespace root (a group with a
    cgroup.type, holding the pod's processes) or the host's root (no cgroup.type)."""
    cgroup = root / "sys/fs/cgroup"
    cgroup.mkdir(parents=True)
    (cgroup / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (cgroup / "cgroup.subtree_control").write_text("")
    (cgroup / "cgroup.procs").write_text("1\n7\n42\n")
    if namespace_root:
        (cgroup / "cgroup.type").write_text("domain\n")
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(f"0::{own_group}\n")
    return cgroup


def test_a_pod_on_cgroup_v2_moves_its_processes_into_a_leaf_and_delegates(
    tmp_path: Path,
) -> None:
    cgroup = cgroup_v2_files(tmp_path / "root", "/", namespace_root=True)
    outcome = run_setup(tmp_path, DEBIAN_IMAGE)
    assert outcome.returncode == 0, outcome.output
    assert (cgroup / "init/cgroup.procs").read_text().split() == ["1", "7", "42"]
    assert (cgroup / "cgroup.subtree_control").read_text().split() == [
        "+cpuset", "+cpu", "+io", "+memory", "+pids"
    ]  # fmt: skip
    # before the inner dockerd starts, so that its containers get the controllers too
    assert outcome.output.index("cgroup v2 namespace root") < outcome.output.index(
        "starting dockerd"
    )


@pytest.mark.parametrize(
    ("own_group", "namespace_root"), [("/", False), ("/system.slice/runner.service", True)]
)
def test_a_hosts_cgroups_are_left_alone(
    tmp_path: Path, own_group: str, namespace_root: bool
) -> None:
    """The host's root group (no cgroup.type) may hold processes; a process in a group of its
    own is not at a namespace root."""
    cgroup = cgroup_v2_files(tmp_path / "root", own_group, namespace_root=namespace_root)
    outcome = run_setup(tmp_path, DEBIAN_IMAGE)
    assert outcome.returncode == 0, outcome.output
    assert not (cgroup / "init").exists()
    assert (cgroup / "cgroup.subtree_control").read_text() == ""


@pytest.mark.parametrize(("unified_controllers", "mounted"), [("hugetlb\n", True), ("", False)])
def test_a_hybrid_hosts_controllers_left_on_v2_get_v1_hierarchies(
    tmp_path: Path, unified_controllers: str, mounted: bool
) -> None:
    """crun refuses a hybrid host whose cgroup v2 still holds a controller (this VM: hugetlb)."""
    cgroup = tmp_path / "root/sys/fs/cgroup"
    (cgroup / "memory").mkdir(parents=True)
    (cgroup / "unified").mkdir()
    (cgroup / "unified/cgroup.controllers").write_text(unified_controllers)
    outcome = run_setup(tmp_path, DEBIAN_IMAGE)
    assert outcome.returncode == 0, outcome.output
    mount = f"mount -t cgroup -o hugetlb cgroup {cgroup}/hugetlb"
    assert (mount in outcome.calls) == mounted, outcome.calls
    assert (cgroup / "hugetlb").is_dir() == mounted


@pytest.mark.parametrize(
    ("host", "options", "message"),
    [
        (Host('ID=fedora\nVERSION_ID="40"\n', 18), (),
         "/etc/os-release: ID=fedora; this setup knows Debian and Ubuntu"),
        (Host(UBUNTU_2404, 18, pythons={"python3": "3.12"}, pythons_with_ensurepip=("python3",),
              commands=("node",), engine_answers=True, unavailable=("libclang-rt-18-dev-wasm32",)),
         (), "no installation candidate on ubuntu 24.04 for libclang-rt-18-dev-wasm32"),
        (DEBIAN_IMAGE, ("--arm",), "unknown option '--arm' (options: --tests, --cross)"),
    ],
)  # fmt: skip
def test_what_cannot_be_done_is_one_line_and_exit_2(
    tmp_path: Path, host: Host, options: tuple[str, ...], message: str
) -> None:
    outcome = run_setup(tmp_path, host, *options)
    assert outcome.returncode == 2, outcome.output
    last = outcome.output.strip().splitlines()[-1]
    assert message in last
    assert not outcome.ran("apt-get install")


def test_the_doctor_names_the_builtins_of_clangs_own_llvm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clang 18 whose wasm32 builtins are not installed (the Ubuntu 24.04 trap): the doctor
    fails the check and names the package of clang's own version."""
    clang = tmp_path / "clang"
    missing = tmp_path / "llvm-18/lib/clang/18/lib/wasi/libclang_rt.builtins-wasm32.a"
    clang.write_text(f"#!/bin/sh\necho {missing}\n")
    clang.chmod(stat.S_IRWXU)
    monkeypatch.setattr(toolchains, "CLANG", str(clang))
    check = toolchains.wasm_c_check("Ubuntu clang version 18.1.3 (1ubuntu1)")
    assert not check.found
    assert str(missing) in check.detail
    assert "libclang-rt-18-dev-wasm32" in check.install
