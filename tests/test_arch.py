from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from harness.arch import elf_machine, runs_emulated
from harness.host import cpu_model


def elf_header(machine: int) -> bytes:
    # e_ident: magic, 64-bit, little endian, version 1; e_type EXEC; then e_machine
    return (
        b"\x7fELF\x02\x01\x01"
        + bytes(9)
        + (2).to_bytes(2, "little")
        + machine.to_bytes(2, "little")
    )


def test_this_interpreter_is_for_this_host() -> None:
    assert elf_machine(Path(os.path.realpath(sys.executable))) == platform.machine()
    assert not runs_emulated(Path(os.path.realpath(sys.executable)))


def test_an_aarch64_or_x86_executable_elsewhere_is_emulated(tmp_path: Path) -> None:
    for code, name in ((183, "aarch64"), (62, "x86_64")):
        path = tmp_path / name
        path.write_bytes(elf_header(code) + bytes(64))
        assert elf_machine(path) == name
        assert runs_emulated(path) is (name != platform.machine())


def test_wasm_and_missing_files_have_no_architecture(tmp_path: Path) -> None:
    module = tmp_path / "m.wasm"
    module.write_bytes(b"\0asm\x01\0\0\0")
    assert elf_machine(module) is None
    assert not runs_emulated(module)
    assert elf_machine(tmp_path / "absent") is None


ARM_CPUINFO = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1

processor\t: 1
CPU implementer\t: 0x42
"""


def test_an_arm_cpu_is_named_by_implementer_part_and_variant() -> None:
    assert cpu_model(ARM_CPUINFO) == "CPU implementer 0x41, CPU variant 0x3, CPU part 0xd0c"
    assert cpu_model("model name\t: Neoverse-N1\nCPU part\t: 0xd0c\n") == "Neoverse-N1"
