"""Compilers: where they are, their versions, the exact flags isobench uses.

One LLVM (14) for every target: clang builds C for native and wasm32-wasi, Debian's rustc 1.63
(called by path, never a rustup toolchain that lacks the wasm std) builds Rust for both, and
Debian's cargo drives it for workloads that are Cargo packages. Every flag lives here so that it
is recorded with each artifact and hashed into its id.
"""

from __future__ import annotations

import platform
import subprocess
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from harness.errors import IsobenchError
from harness.workloads import Language, Sources

CLANG = "clang"
RUSTC = "/usr/bin/rustc"  # Debian's: the one with libstd for wasm32-wasi
CARGO = "/usr/bin/cargo"  # Debian's, which pairs with that rustc
WASI_SYSROOT = "/usr"  # Debian's wasi-libc lives in /usr/{include,lib}/wasm32-wasi
DEBIAN_CRATES = Path("/usr/share/cargo/registry")  # librust-*-dev packages put sources here

# -ffp-contract=off: clang would fuse a*b+c into one FMA wherever the target has FMA (every
# aarch64, x86-64 with -mfma); Rust never fuses, and C and Rust must compute the same numbers.
C_FLAGS = ("-O2", "-s", "-ffp-contract=off")
# After the sources: static glibc keeps the math functions in libm (wasi-libc has a stub libm).
C_LIBRARIES = ("-lm",)
RUST_OPT_LEVEL, RUST_CODEGEN_UNITS, RUST_STRIP = "2", "1", "symbols"
RUST_FLAGS = (
    "--edition", "2021", "-C", f"opt-level={RUST_OPT_LEVEL}",
    "-C", f"codegen-units={RUST_CODEGEN_UNITS}", "-C", f"strip={RUST_STRIP}",
)  # fmt: skip


class Binary(StrEnum):
    """What a compile produces."""

    NATIVE = "native"  # a static executable for this host
    WASM = "wasm"  # a wasm32-wasi module


class Profile(StrEnum):
    """Build profiles: what a user can compare to see what SIMD changes on each side."""

    PORTABLE = "portable"  # baseline ISA natively; wasm32-wasi without the simd128 proposal
    SIMD = "simd"  # + the host's common vector extension natively; wasm with simd128


TARGET_FLAGS: dict[tuple[Language, Binary], tuple[str, ...]] = {
    (Language.C, Binary.NATIVE): ("-static",),
    (Language.C, Binary.WASM): ("--target=wasm32-wasi", f"--sysroot={WASI_SYSROOT}"),
    # static-pie glibc: runs FROM scratch
    (Language.RUST, Binary.NATIVE): ("-C", "target-feature=+crt-static"),
    (Language.RUST, Binary.WASM): ("--target", "wasm32-wasi"),
}

# The vector extension the simd profile adds, per host architecture. aarch64 has NEON in its
# baseline: there the simd profile changes only the wasm side.
NATIVE_SIMD_FEATURE = {"x86_64": "avx2", "aarch64": ""}
RUST_TRIPLES = {
    Binary.WASM: "wasm32-wasi",
    "x86_64": "x86_64-unknown-linux-gnu",
    "aarch64": "aarch64-unknown-linux-gnu",
}


def host_arch() -> str:
    return platform.machine()


def host_has_feature(feature: str) -> bool:
    """Whether this CPU reports `feature` (e.g. avx2) in /proc/cpuinfo."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(
        feature in line.split(":", 1)[1].split()
        for line in cpuinfo.splitlines()
        if line.startswith(("flags", "Features")) and ":" in line
    )


def profile_flags(language: Language, binary: Binary, profile: Profile) -> tuple[str, ...]:
    if profile is Profile.PORTABLE:
        return ()
    if binary is Binary.WASM:
        return ("-msimd128",) if language is Language.C else ("-C", "target-feature=+simd128")
    arch = host_arch()
    if arch not in NATIVE_SIMD_FEATURE:
        raise IsobenchError(f"the simd profile knows no vector extension for {arch}")
    feature = NATIVE_SIMD_FEATURE[arch]
    if not feature:
        return ()
    if not host_has_feature(feature):
        raise IsobenchError(f"the simd profile needs {feature}, which this CPU does not report")
    return (f"-m{feature}",) if language is Language.C else ("-C", f"target-feature=+{feature}")


# How to get each missing piece on Debian/Ubuntu, as root.
INSTALL = {
    "clang": "apt-get install -y clang lld libc6-dev",
    "wasi-libc": "apt-get install -y wasi-libc libclang-rt-14-dev-wasm32 lld",
    "rustc": "apt-get install -y rustc",
    "rust-wasm32-wasi": "apt-get install -y libstd-rust-dev-wasm32",
    "cargo": "apt-get install -y cargo",
}


@dataclass(frozen=True, slots=True)
class Compiler:
    language: Language
    executable: str
    version: str  # the compiler's own version line, hashed into every artifact id

    def flags(self, binary: Binary, profile: Profile) -> tuple[str, ...]:
        common = C_FLAGS if self.language is Language.C else RUST_FLAGS
        return (
            *common,
            *TARGET_FLAGS[(self.language, binary)],
            *profile_flags(self.language, binary, profile),
        )

    def libraries(self) -> tuple[str, ...]:
        """Link inputs that go after the sources (part of the artifact id, like the flags)."""
        return C_LIBRARIES if self.language is Language.C else ()

    def argv(
        self,
        binary: Binary,
        profile: Profile,
        sources: Sources,
        relative_to: Path,
        output: Path,
    ) -> list[str]:
        """The command, with source paths relative to `relative_to` (the compiler's cwd)."""
        files = [str(path.relative_to(relative_to)) for path in sources.files]
        if self.language is Language.RUST:
            # rustc follows `mod` declarations from the crate root, the first file.
            return [self.executable, *self.flags(binary, profile), files[0], "-o", str(output)]
        return [
            self.executable,
            *self.flags(binary, profile),
            *(f"-I{path.relative_to(relative_to)}" for path in sources.include_dirs),
            *(f"-D{define}" for define in sources.defines),
            *files,
            *self.libraries(),
            "-o",
            str(output),
        ]


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


def cargo_version() -> str:
    version = _version_line([CARGO, "--version"])
    if version is None:
        raise IsobenchError(f"{CARGO} not found (needed for Cargo workloads): {INSTALL['cargo']}")
    return version


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `isobench doctor`: a toolchain or engine, found or with its install command."""

    name: str
    found: bool
    detail: str  # version when found, what is missing otherwise
    install: str = ""
    optional: bool = False  # an opt-in variant's engine: its absence is reported, not an error


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
    cargo = _version_line([CARGO, "--version"])
    checks.append(
        Check(f"cargo ({CARGO})", cargo is not None, cargo or "missing", INSTALL["cargo"])
    )
    avx2 = host_has_feature("avx2") if host_arch() == "x86_64" else None
    if avx2 is not None:
        checks.append(
            Check("AVX2 (simd profile)", avx2, "reported by the CPU" if avx2 else "not reported",
                  "the simd profile needs an AVX2 CPU; portable works anywhere")
        )  # fmt: skip
    return checks


def cargo_arguments(binary: Binary, profile: Profile) -> tuple[list[str], list[str]]:
    """`cargo build` arguments and RUSTFLAGS: the same optimisation settings as a single-file
    Rust workload (cargo's release profile is overridden to match RUST_FLAGS)."""
    triple = RUST_TRIPLES[Binary.WASM] if binary is Binary.WASM else RUST_TRIPLES[host_arch()]
    arguments = [
        "build", "--release", "--offline", "--target", triple,
        "--config", f"profile.release.opt-level={RUST_OPT_LEVEL}",
        "--config", f"profile.release.codegen-units={RUST_CODEGEN_UNITS}",
        "--config", f'profile.release.strip="{RUST_STRIP}"',
        "--message-format=json-render-diagnostics",
    ]  # fmt: skip
    static = ["-C", "target-feature=+crt-static"] if binary is Binary.NATIVE else []
    return arguments, [*static, *profile_flags(Language.RUST, binary, profile)]


def cargo_home_config() -> str:
    """Cargo configuration that resolves crates from Debian's packaged sources, offline."""
    return (
        '[source.crates-io]\nreplace-with = "debian"\n\n'
        f'[source.debian]\ndirectory = "{DEBIAN_CRATES}"\n'
    )


def debian_crates() -> list[str]:
    """The crate versions Debian has installed: what an offline resolution can pick from."""
    return sorted(p.name for p in DEBIAN_CRATES.iterdir()) if DEBIAN_CRATES.is_dir() else []
