"""Compilers: where they are, their versions, the exact flags isobench uses.

One LLVM (14) for every target: clang builds C for native and wasm32-wasi, Debian's rustc 1.63
(called by path, never a rustup toolchain that lacks the wasm std) builds Rust for both.
Every flag lives here so that it is recorded with each artifact and hashed into its id.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from harness.errors import IsobenchError
from harness.workloads import Language

CLANG = "clang"
RUSTC = "/usr/bin/rustc"  # Debian's: the one with libstd for wasm32-wasi
WASI_SYSROOT = "/usr"  # Debian's wasi-libc lives in /usr/{include,lib}/wasm32-wasi

C_FLAGS = ("-O2", "-s")
RUST_FLAGS = (
    "--edition",
    "2021",
    "-C",
    "opt-level=2",
    "-C",
    "codegen-units=1",
    "-C",
    "strip=symbols",
)


class Binary(StrEnum):
    """What a compile produces."""

    NATIVE = "native"  # a static executable for this host
    WASM = "wasm"  # a wasm32-wasi module


TARGET_FLAGS: dict[tuple[Language, Binary], tuple[str, ...]] = {
    (Language.C, Binary.NATIVE): ("-static",),
    (Language.C, Binary.WASM): ("--target=wasm32-wasi", f"--sysroot={WASI_SYSROOT}"),
    # static-pie glibc: runs FROM scratch
    (Language.RUST, Binary.NATIVE): ("-C", "target-feature=+crt-static"),
    (Language.RUST, Binary.WASM): ("--target", "wasm32-wasi"),
}

# How to get each missing piece on Debian/Ubuntu, as root.
INSTALL = {
    "clang": "apt-get install -y clang lld libc6-dev",
    "wasi-libc": "apt-get install -y wasi-libc libclang-rt-14-dev-wasm32 lld",
    "rustc": "apt-get install -y rustc",
    "rust-wasm32-wasi": "apt-get install -y libstd-rust-dev-wasm32",
}


@dataclass(frozen=True, slots=True)
class Compiler:
    language: Language
    executable: str
    version: str  # the compiler's own version line, hashed into every artifact id

    def flags(self, binary: Binary) -> tuple[str, ...]:
        common = C_FLAGS if self.language is Language.C else RUST_FLAGS
        return (*common, *TARGET_FLAGS[(self.language, binary)])

    def argv(self, binary: Binary, sources: tuple[Path, ...], output: Path) -> list[str]:
        # rustc follows `mod` declarations from the crate root, the first source; clang takes all.
        inputs = sources if self.language is Language.C else sources[:1]
        return [self.executable, *self.flags(binary), *map(str, inputs), "-o", str(output)]


def _version_line(argv: list[str]) -> str | None:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    except (FileNotFoundError, PermissionError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0 or not completed.stdout.strip():
        return None
    return completed.stdout.strip().splitlines()[0]


def find_compiler(language: Language) -> Compiler:
    """The compiler for `language`, or an error that says how to install it."""
    if language is Language.C:
        version = _version_line([CLANG, "--version"])
        if version is None:
            raise IsobenchError(f"clang not found: {INSTALL['clang']}")
        return Compiler(language, CLANG, version)
    version = _version_line([RUSTC, "--version"])
    if version is None:
        raise IsobenchError(f"{RUSTC} not found: {INSTALL['rustc']}")
    return Compiler(language, RUSTC, version)


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `isobench doctor`: a toolchain or engine, found or with its install command."""

    name: str
    found: bool
    detail: str  # version when found, what is missing otherwise
    install: str = ""


def compiler_checks() -> list[Check]:
    checks = []
    clang = _version_line([CLANG, "--version"])
    checks.append(Check("clang", clang is not None, clang or "not on PATH", INSTALL["clang"]))
    static_libc = _version_line([CLANG, "-print-file-name=libc.a"]) if clang else None
    checks.append(
        Check(
            "static glibc (libc.a)",
            static_libc is not None and Path(static_libc).is_file(),
            static_libc or "clang cannot look for it",
            INSTALL["clang"],
        )
    )
    wasi_libc = Path(WASI_SYSROOT, "lib/wasm32-wasi/libc.a")
    builtins = sorted(
        Path("/usr/lib").glob("llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a")
    )
    wasi_ok = wasi_libc.is_file() and bool(builtins)
    checks.append(
        Check(
            "wasi-libc + wasm32 builtins",
            wasi_ok,
            f"{wasi_libc}, {builtins[0]}" if wasi_ok else f"missing {wasi_libc} or builtins",
            INSTALL["wasi-libc"],
        )
    )
    rustc = _version_line([RUSTC, "--version"])
    checks.append(
        Check(f"rustc ({RUSTC})", rustc is not None, rustc or "missing", INSTALL["rustc"])
    )
    sysroot = _version_line([RUSTC, "--print", "sysroot"]) if rustc else None
    wasm_std = Path(sysroot or "/nonexistent", "lib/rustlib/wasm32-wasi/lib")
    checks.append(
        Check(
            "Rust std for wasm32-wasi",
            wasm_std.is_dir(),
            str(wasm_std) if wasm_std.is_dir() else f"missing {wasm_std}",
            INSTALL["rust-wasm32-wasi"],
        )
    )
    return checks
