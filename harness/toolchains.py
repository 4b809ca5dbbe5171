"""Compilers: where they are, their versions, the exact flags isobench uses.

One LLVM (14) for every target: clang builds C for native and wasm32-wasi, Debian's rustc 1.63
(called by path, never a rustup toolchain that lacks the wasm std) builds Rust for both, and
Debian's cargo drives it for workloads that are Cargo packages. Every flag lives here so that it
is recorded with each artifact and hashed into its id.
"""

from __future__ import annotations

import platform
import re
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

    @property
    def caption(self) -> str:
        """What a reader calls the artifact (a report's column)."""
        return "native executable" if self is Binary.NATIVE else ".wasm"


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


ARCHES = ("x86_64", "aarch64")
GNU_TRIPLES = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}
# What cross builds for each architecture need, as Debian packages: the target's static glibc
# and, for Rust, its std and a linker driver. The compilers stay the same clang and rustc.
CROSS_PACKAGES = {
    "aarch64": "dpkg --add-architecture arm64 && apt-get update && apt-get install -y "
    "gcc-aarch64-linux-gnu libc6-dev-arm64-cross libstd-rust-dev:arm64 qemu-user-static",
    "x86_64": "dpkg --add-architecture amd64 && apt-get update && apt-get install -y "
    "gcc-x86-64-linux-gnu libc6-dev-amd64-cross libstd-rust-dev:amd64 qemu-user-static",
}


def host_arch() -> str:
    return platform.machine()


def native_target_flags(language: Language, arch: str) -> tuple[str, ...]:
    """Flags for a static executable for `arch`: this host's, or a cross build (the same clang
    and rustc; lld, or the cross gcc driver for Rust, links against the target's glibc)."""
    if arch == host_arch():
        return TARGET_FLAGS[(language, Binary.NATIVE)]
    if arch not in GNU_TRIPLES:
        raise IsobenchError(f"no cross build for {arch!r} (known: {', '.join(ARCHES)})")
    gnu = GNU_TRIPLES[arch]
    if language is Language.C:
        return (f"--target={gnu}", "-fuse-ld=lld", "-static")
    return ("--target", RUST_TRIPLES[arch], "-C", f"linker={gnu}-gcc",
            "-C", "target-feature=+crt-static")  # fmt: skip


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


def profile_flags(
    language: Language, binary: Binary, profile: Profile, arch: str | None = None
) -> tuple[str, ...]:
    if profile is Profile.PORTABLE:
        return ()
    if binary is Binary.WASM:
        return ("-msimd128",) if language is Language.C else ("-C", "target-feature=+simd128")
    arch = arch or host_arch()
    if arch not in NATIVE_SIMD_FEATURE:
        raise IsobenchError(f"the simd profile knows no vector extension for {arch}")
    feature = NATIVE_SIMD_FEATURE[arch]
    if not feature:
        return ()
    if arch == host_arch() and not host_has_feature(feature):
        raise IsobenchError(f"the simd profile needs {feature}, which this CPU does not report")
    return (f"-m{feature}",) if language is Language.C else ("-C", f"target-feature=+{feature}")


# How to get each missing piece on Debian/Ubuntu, as root (.ci/setup makes the same choices).
INSTALL = {
    "clang": "apt-get install -y clang lld libc6-dev",
    # the wasm32 builtins must be those of clang's own LLVM: 14 on Debian 12, 18 on Ubuntu 24.04
    "wasi-libc": "apt-get install -y wasi-libc libclang-rt-{major}-dev-wasm32 lld",
    "rustc": "apt-get install -y rustc",
    "rust-wasm32-wasi": "apt-get install -y libstd-rust-dev-wasm32",
    "cargo": "apt-get install -y cargo",
}


@dataclass(frozen=True, slots=True)
class Compiler:
    language: Language
    executable: str
    version: str  # the compiler's own version line, hashed into every artifact id

    def flags(self, binary: Binary, profile: Profile, arch: str | None = None) -> tuple[str, ...]:
        """`arch`: the architecture of a native executable (default: this host's)."""
        common = C_FLAGS if self.language is Language.C else RUST_FLAGS
        target = (
            TARGET_FLAGS[(self.language, binary)]
            if binary is Binary.WASM
            else native_target_flags(self.language, arch or host_arch())
        )
        return (*common, *target, *profile_flags(self.language, binary, profile, arch))

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
        *,
        arch: str | None = None,
    ) -> list[str]:
        """The command, with source paths relative to `relative_to` (the compiler's cwd), each
        as ./name: a file named like an option (-o..., --ld-path=...) or a response file (@...)
        is then a file to the compiler."""
        files = [f"./{path.relative_to(relative_to)}" for path in sources.files]
        flags = self.flags(binary, profile, arch)
        if self.language is Language.RUST:
            # rustc follows `mod` declarations from the crate root, the first file.
            return [self.executable, *flags, files[0], "-o", str(output)]
        return [
            self.executable,
            *flags,
            *(f"-I./{path.relative_to(relative_to)}" for path in sources.include_dirs),
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


def wasm_c_check(clang_version: str | None) -> Check:
    """wasi-libc, and the wasm32 builtins clang itself links (those of its own LLVM: builtins of
    another clang are not found, and C to wasm fails to link)."""
    major = re.search(r"clang version (\d+)", clang_version or "")
    install = INSTALL["wasi-libc"].format(major=major.group(1) if major else "<clang's major>")
    wasi_libc = Path(WASI_SYSROOT, "lib/wasm32-wasi/libc.a")
    builtins = _version_line([CLANG, "--target=wasm32-wasi", "-print-libgcc-file-name"])
    missing = [] if wasi_libc.is_file() else [str(wasi_libc)]
    if builtins is None:
        missing.append("clang's wasm32 builtins (clang cannot look for them)")
    elif not Path(builtins).is_file():
        missing.append(builtins)
    found = not missing
    detail = f"{wasi_libc}, {builtins}" if found else f"missing {', '.join(missing)}"
    return Check("wasi-libc + wasm32 builtins", found, detail, install)


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
    checks.append(wasm_c_check(clang))
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
    for arch in ARCHES:
        if arch != host_arch():
            checks.append(cross_check(arch))
    avx2 = host_has_feature("avx2") if host_arch() == "x86_64" else None
    if avx2 is not None:
        checks.append(
            Check("AVX2 (simd profile)", avx2, "reported by the CPU" if avx2 else "not reported",
                  "the simd profile needs an AVX2 CPU; portable works anywhere")
        )  # fmt: skip
    return checks


def cross_check(arch: str) -> Check:
    """Whether `isobench build --arch ARCH` can cross-build, and run under qemu: optional."""
    gnu = GNU_TRIPLES[arch]
    libc = Path(f"/usr/{gnu}/lib/libc.a")
    sysroot = _version_line([RUSTC, "--print", "sysroot"]) or "/nonexistent"
    rust_std = Path(sysroot, "lib/rustlib", RUST_TRIPLES[arch], "lib")
    linker = _version_line([f"{gnu}-gcc", "--version"])
    qemu = _version_line([f"qemu-{arch}-static", "--version"])
    found = libc.is_file() and rust_std.is_dir() and linker is not None
    detail = (
        f"{libc}, {rust_std}, {gnu}-gcc" + (f"; {qemu}" if qemu else "; no qemu: cannot run them")
        if found
        else f"missing {libc}, {rust_std} or {gnu}-gcc"
    )
    return Check(f"cross builds for {arch}", found, detail, CROSS_PACKAGES[arch], optional=True)


def cargo_arguments(
    binary: Binary, profile: Profile, arch: str | None = None
) -> tuple[list[str], list[str]]:
    """`cargo build` arguments and RUSTFLAGS: the same optimisation settings as a single-file
    Rust workload (cargo's release profile is overridden to match RUST_FLAGS)."""
    arch = arch or host_arch()
    triple = RUST_TRIPLES[Binary.WASM] if binary is Binary.WASM else RUST_TRIPLES[arch]
    cross = binary is Binary.NATIVE and arch != host_arch()
    linker = ["--config", f'target.{triple}.linker="{GNU_TRIPLES[arch]}-gcc"'] if cross else []
    arguments = [
        "build", "--release", "--offline", "--target", triple,
        "--config", f"profile.release.opt-level={RUST_OPT_LEVEL}",
        "--config", f"profile.release.codegen-units={RUST_CODEGEN_UNITS}",
        "--config", f'profile.release.strip="{RUST_STRIP}"',
        "--message-format=json-render-diagnostics", *linker,
    ]  # fmt: skip
    static = ["-C", "target-feature=+crt-static"] if binary is Binary.NATIVE else []
    return arguments, [*static, *profile_flags(Language.RUST, binary, profile, arch)]


def cargo_home_config() -> str:
    """Cargo configuration that resolves crates from Debian's packaged sources, offline."""
    return (
        '[source.crates-io]\nreplace-with = "debian"\n\n'
        f'[source.debian]\ndirectory = "{DEBIAN_CRATES}"\n'
    )


def debian_crates() -> list[str]:
    """The crate versions Debian has installed: what an offline resolution can pick from."""
    return sorted(p.name for p in DEBIAN_CRATES.iterdir()) if DEBIAN_CRATES.is_dir() else []
