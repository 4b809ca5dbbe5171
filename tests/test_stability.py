"""The machine settings that make timings noisy (harness/stability.py), read from a fake /sys
and /proc: what each kernel says, what doctor advises, how the header keeps it and the report
shows it."""

from __future__ import annotations

import os
from pathlib import Path

from harness.header import Header, StabilityRecord
from harness.report import write_report
from harness.stability import advice, read_stability
from tests import reportdata

CPU = "sys/devices/system/cpu"


def fake_root(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return tmp_path


def governors(*names: str) -> dict[str, str]:
    return {f"{CPU}/cpu{index}/cpufreq/scaling_governor": name for index, name in enumerate(names)}


def test_a_tuned_bare_metal_host_reads_as_such_and_draws_no_warning(tmp_path: Path) -> None:
    root = fake_root(tmp_path, {
        **governors("performance", "performance", "performance", "performance"),
        f"{CPU}/cpufreq/boost": "0", f"{CPU}/smt/control": "off", f"{CPU}/online": "0-3",
        f"{CPU}/isolated": "3", f"{CPU}/nohz_full": "3",
        "proc/loadavg": "0.05 0.10 0.20 1/200 4242",
        "proc/sys/kernel/randomize_va_space": "2",
    })  # fmt: skip
    stability = read_stability(root)
    assert stability == StabilityRecord({"performance": "0-3"}, "off", "off", (0.05, 0.10, 0.20),
                                        "full", "3", "3", 4)  # fmt: skip
    assert [line for line in advice(stability) if line.noisy] == []


def test_each_noisy_setting_is_advised_with_its_fix(tmp_path: Path) -> None:
    root = fake_root(tmp_path, {
        **governors("powersave", "performance", "powersave", "schedutil"),
        f"{CPU}/intel_pstate/no_turbo": "0", f"{CPU}/smt/control": "on", f"{CPU}/online": "0-3",
        "proc/loadavg": "3.50 2.00 1.00 3/200 4242",
        "proc/sys/kernel/randomize_va_space": "1",
    })  # fmt: skip
    stability = read_stability(root)
    assert stability.governors == {"powersave": "0,2", "performance": "1", "schedutil": "3"}
    assert stability.boost == "on"  # intel_pstate's no_turbo 0
    assert stability.aslr == "partial (stack, mmap, vDSO)"
    warned = {line.name: line for line in advice(stability) if line.noisy}
    assert set(warned) == {"CPU frequency governor", "turbo boost", "SMT", "load"}
    assert warned["CPU frequency governor"].detail == "powersave on CPUs 0,2; schedutil on CPUs 3"
    assert "cpupower frequency-set -g performance" in warned["CPU frequency governor"].fix
    assert "no_turbo" in warned["turbo boost"].fix
    assert "smt/control" in warned["SMT"].fix
    assert warned["load"].detail == "load average 3.50 on 4 CPUs"


def test_a_vm_without_cpufreq_says_so_and_is_not_warned(tmp_path: Path) -> None:
    root = fake_root(tmp_path, {f"{CPU}/smt/control": "notsupported", f"{CPU}/online": "0-1",
                                "proc/loadavg": "0.30 0.2 0.1 1/90 7"})  # fmt: skip
    stability = read_stability(root)
    assert (stability.governors, stability.boost, stability.aslr) == ({}, "", "")
    lines = advice(stability)
    assert not any(line.noisy for line in lines)
    assert any("no cpufreq" in line.detail for line in lines)


def test_an_empty_root_reads_as_unknown_everywhere(tmp_path: Path) -> None:
    stability = read_stability(tmp_path)
    assert stability.load_average is None
    assert (stability.boost, stability.smt, stability.isolated_cpus) == ("", "", "")


def test_an_online_list_that_is_not_one_counts_the_cpus_python_sees(tmp_path: Path) -> None:
    online = tmp_path / "sys/devices/system/cpu/online"
    online.parent.mkdir(parents=True)
    online.write_text("0-3,6\n")
    assert read_stability(tmp_path).online_cpus == 5
    online.write_text("0-\n")
    assert read_stability(tmp_path).online_cpus == os.cpu_count()


def test_the_header_keeps_it_and_the_report_shows_it(tmp_path: Path) -> None:
    stability = StabilityRecord({"powersave": "0-1"}, "on", "notsupported", (1.5, 1.0, 0.5),
                                "full", "", "", 2)  # fmt: skip
    header = reportdata.header() | {"stability": stability.to_json()}
    assert Header.read(header).stability == stability
    path = reportdata.write_results(tmp_path / "run.jsonl", reportdata.run_samples(), header)
    html = write_report([path], tmp_path / "report.html").read_text()
    environment = html[html.index('<section id="environment">') :]
    assert "<code>stability.governors.powersave</code></td><td>0-1</td>" in environment
    assert "<code>stability.load_average</code></td><td>1.5, 1.0, 0.5</td>" in environment


def test_a_header_without_it_reads_as_none() -> None:
    assert Header.read(reportdata.header()).stability is None
    bad = reportdata.header() | {"stability": {"load_average": "high", "boost": 3}}
    problems: list[str] = []
    assert Header.read(bad, problems).stability == StabilityRecord()
    assert problems
