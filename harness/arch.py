"""Which CPU architecture an artifact is for, read from its ELF header.

Native executables, the executables inside docker images and wasmtime's AOT `.cwasm` files are
all ELF: their `e_machine` names the architecture. A `.wasm` module is architecture-neutral.
"""

from __future__ import annotations

import platform
from pathlib import Path

_ELF_MAGIC = b"\x7fELF"
_E_MACHINE_OFFSET = 18
# e_machine -> the name `platform.machine()` gives on such a host
_MACHINES = {3: "i686", 40: "armv7l", 62: "x86_64", 183: "aarch64", 243: "riscv64"}


def elf_machine(path: Path) -> str | None:
    """The architecture an ELF file is for; None for anything that is not ELF."""
    try:
        with path.open("rb") as stream:
            header = stream.read(_E_MACHINE_OFFSET + 2)
    except OSError:
        return None
    if len(header) < _E_MACHINE_OFFSET + 2 or not header.startswith(_ELF_MAGIC):
        return None
    field = header[_E_MACHINE_OFFSET : _E_MACHINE_OFFSET + 2]
    # EI_DATA (byte 5): 1 little endian, 2 big endian
    code = int.from_bytes(field, "little") if header[5] == 1 else int.from_bytes(field, "big")
    return _MACHINES.get(code, f"elf-machine-{code}")


def runs_emulated(artifact_path: Path) -> bool:
    """True when the artifact is for another architecture than this host's, so it can only run
    under emulation (qemu-user through binfmt): such timings say nothing about either CPU."""
    machine = elf_machine(artifact_path)
    return machine is not None and machine != platform.machine()
