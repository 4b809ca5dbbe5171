"""`isobench build`: compile each workload x language x profile for native and wasm32-wasi, then
let each variant package what it runs (the executable itself, a FROM-scratch image, an AOT
module). Every step is content-addressed: with nothing changed, a build compiles nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from harness.cache import Artifact, BuildCache
from harness.errors import IsobenchError
from harness.toolchains import (
    C_FLAGS,
    CARGO,
    RUSTC,
    Binary,
    Compiler,
    Profile,
    cargo_arguments,
    cargo_home_config,
    cargo_version,
    debian_crates,
    find_compiler,
    host_arch,
)
from harness.workloads import Language, Workload, sha256_file

# Part of every compiled artifact's id. Bump it when *how* a binary is compiled changes in a way
# the flags do not show, so that no cached artifact built the old way is reused:
#   1 - first version
#   2 - compilers run inside the workload folder on relative paths (rustc embeds the path)
#   3 - those paths as ./name (a source named like an option is a file to the compiler)
COMPILE_PROCEDURE = 3

# (workload, language, variant, profile) -> the artifact that variant runs
ArtifactKey = tuple[str, str, str, str]
StepReport = Callable[[Artifact, bool], None]  # (artifact, had to be built)


class Packager(Protocol):
    """What a build needs of a variant (every Target is one): which compiled binary it takes,
    and how it turns that into the artifact it runs."""

    @property
    def name(self) -> str: ...

    @property
    def binary(self) -> Binary: ...

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]: ...


@dataclass(slots=True)
class BuildOutcome:
    artifacts: dict[ArtifactKey, Artifact] = field(default_factory=dict)
    built: list[Artifact] = field(default_factory=list)
    cached: list[Artifact] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # variant -> why it has no artifact

    def record(self, artifact: Artifact, was_built: bool) -> None:
        (self.built if was_built else self.cached).append(artifact)

    def all_artifacts(self) -> list[Artifact]:
        """Every artifact once (two variants may run the same image)."""
        return list({artifact.id: artifact for artifact in [*self.built, *self.cached]}.values())


def _failure(workload: Workload, language: Language, kind: str, stderr: str) -> IsobenchError:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()] or ["(no message)"]
    # The first line that names a cause: "linker command failed" only says that one did.
    causes = [
        line
        for line in lines
        if ("error" in line.lower() or "undefined reference" in line)
        and "linker command failed" not in line
    ]
    first_error = (causes or lines)[0]
    return IsobenchError(
        f"{workload.directory}: {language.value} {kind} build failed: {first_error}"
    )


def compile_binary(
    workload: Workload,
    language: Language,
    *,
    binary: Binary,
    profile: Profile,
    compiler: Compiler,
    cache: BuildCache,
    arch: str | None = None,
) -> tuple[Artifact, bool]:
    """`arch`: the architecture of a native executable, when not this host's (a cross build).
    A wasm module is the same for every architecture."""
    sources = workload.sources[language]
    cross = binary is Binary.NATIVE and arch is not None and arch != host_arch()
    arch = arch if cross else None
    # Compilers run inside the workload folder on relative paths: rustc embeds the source path
    # it was given (panic locations), and the bytes must not depend on where the checkout is.
    recipe: dict[str, Any] = {
        # the artifact's record names its workload: two workloads of the same sources (a copy
        # of one) build two artifacts, each named for its own
        "workload": workload.name,
        "sources": {
            str(path.relative_to(workload.directory)): sha256_file(path)
            for path in sources.inputs()
        },
        "compiler": compiler.version,
        "profile": profile.value,
        "procedure": COMPILE_PROCEDURE,
    }
    if arch is not None:
        recipe["arch"] = arch  # only cross builds say so: host builds keep their ids
    if sources.cargo_package is not None:
        arguments, rustflags = cargo_arguments(binary, profile, arch)
        recipe |= {"cargo": cargo_version(), "cargo_arguments": arguments,
                   "rustflags": rustflags, "debian_crates": debian_crates()}  # fmt: skip
    else:
        recipe["flags"] = [*compiler.flags(binary, profile, arch), *compiler.libraries()]
    kind = binary.value

    def make(ident: str, directory: Path) -> Artifact:
        output = directory / (f"{workload.name}.wasm" if binary is Binary.WASM else workload.name)
        started = time.perf_counter_ns()
        if sources.cargo_package is not None:
            command = _cargo_build(
                workload,
                sources.cargo_package,
                binary=binary,
                profile=profile,
                directory=directory,
                output=output,
                arch=arch,
            )
        else:
            argv = compiler.argv(binary, profile, sources, workload.directory, output, arch=arch)
            completed = subprocess.run(
                argv, cwd=workload.directory, capture_output=True, text=True, check=False
            )
            if completed.returncode != 0:
                raise _failure(workload, language, kind, completed.stderr)
            command = {"argv": argv, "cwd": str(workload.directory)}
        return Artifact(
            id=ident,
            kind=kind,
            workload=workload.name,
            language=language.value,
            profile=profile.value,
            path=str(output),
            sha256=sha256_file(output),
            size_bytes=output.stat().st_size,
            recipe={**recipe, **command},
            build_ns=time.perf_counter_ns() - started,
        )

    return cache.get_or_build(kind, recipe, make)


def _cargo_build(
    workload: Workload,
    package: Path,
    *,
    binary: Binary,
    profile: Profile,
    directory: Path,
    output: Path,
    arch: str | None = None,
) -> dict[str, Any]:
    """Build a Cargo package offline, in a copy (cargo writes Cargo.lock and target/ beside the
    manifest: the workload folder stays untouched), with crates from Debian's registry."""
    copy = directory / "package"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("target"))
    refuse_parent_cargo_configs(copy)
    manifest = copy / "Cargo.toml"
    if "[workspace]" not in manifest.read_text(encoding="utf-8", errors="replace"):
        # its own workspace: Cargo looks for none in the folders above the copy
        with manifest.open("a", encoding="utf-8") as stream:
            stream.write("\n[workspace]\n")
    cargo_home = directory / "cargo-home"
    cargo_home.mkdir()
    (cargo_home / "config.toml").write_text(cargo_home_config())
    arguments, rustflags = cargo_arguments(binary, profile, arch)
    # Nothing of the harness's environment: a CARGO_* or RUSTC_WRAPPER there would change
    # (or run) what builds the artifact without being in its recipe
    environment = {
        "CARGO_HOME": str(cargo_home),
        "HOME": str(cargo_home),
        "CARGO_TARGET_DIR": str(directory / "target"),
        "RUSTC": RUSTC,
        "RUSTFLAGS": " ".join(rustflags),
        # Debian's cargo and rustc: a rustup toolchain on PATH has no wasm32-wasi std.
        "PATH": "/usr/bin:/bin",
    }
    argv = [CARGO, *arguments]
    completed = subprocess.run(
        argv, cwd=copy, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise _failure(workload, Language.RUST, binary.value, completed.stderr)
    executables = [
        message["executable"]
        for message in map(json.loads, completed.stdout.splitlines())
        if message.get("reason") == "compiler-artifact" and message.get("executable")
    ]
    if len(executables) != 1:
        raise IsobenchError(
            f"{package}: a Cargo workload must build exactly one binary, it built "
            f"{len(executables)}"
        )
    shutil.copyfile(executables[0], output)
    output.chmod(0o755)
    return {"argv": argv, "rustflags_env": environment["RUSTFLAGS"], "cwd": "<copy of package>"}


CARGO_CONFIGS = (".cargo/config", ".cargo/config.toml")


def refuse_parent_cargo_configs(folder: Path) -> None:
    """Cargo reads the configuration in every folder above the one it builds in (a
    `rustc-wrapper` there runs as the harness): refuse to build under one."""
    for parent in folder.resolve().parents:
        for name in CARGO_CONFIGS:
            if (parent / name).is_file():
                raise IsobenchError(
                    f"{parent / name}: Cargo would read this configuration while building in "
                    f"{folder}; build elsewhere (--cache-dir) or remove it"
                )


HELPER_FLAGS = ("-static",)


def build_helper(source_name: str, output_name: str, compiler: Compiler,
                 cache: BuildCache) -> tuple[Artifact, bool]:  # fmt: skip
    """Compile one of harness's own static C programs (launcher.c, idle.c), content-addressed
    like every artifact."""
    source = resources.files("harness").joinpath(source_name).read_bytes()
    flags = [*C_FLAGS, *HELPER_FLAGS]
    recipe = {
        "source": source_name,
        "source_sha256": hashlib.sha256(source).hexdigest(),
        "compiler": compiler.version,
        "flags": flags,
        "procedure": COMPILE_PROCEDURE,
    }

    def make(ident: str, directory: Path) -> Artifact:
        (directory / source_name).write_bytes(source)
        output = directory / output_name
        argv = [compiler.executable, *flags, source_name, "-o", str(output)]
        completed = subprocess.run(argv, cwd=directory, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise IsobenchError(f"could not compile {source_name}: {completed.stderr.strip()}")
        return Artifact(
            id=ident,
            kind="helper",
            workload="",
            language=Language.C.value,
            profile="",
            path=str(output),
            sha256=sha256_file(output),
            size_bytes=output.stat().st_size,
            recipe={**recipe, "argv": argv},
        )

    return cache.get_or_build("helper", recipe, make)


def build(
    workloads: Iterable[Workload],
    *,
    languages: Sequence[Language],
    profiles: Sequence[Profile],
    targets: Sequence[Packager],
    cache: BuildCache,
    on_step: StepReport,
    arch: str | None = None,
) -> BuildOutcome:
    """Every workload x language x profile, compiled, then packaged by each target. `arch`:
    build for that architecture (a cross build when it is not this host's); a variant that
    cannot package for it is left out, and why is in `skipped`."""
    outcome = BuildOutcome()
    compilers: dict[Language, Compiler] = {}
    binaries_needed = {target.binary for target in targets}
    for workload in workloads:
        for language in languages:
            if language not in workload.sources:
                continue
            if language not in compilers:
                compilers[language] = find_compiler(language)
            for profile in profiles:
                binaries: dict[Binary, Artifact] = {}
                for binary in sorted(binaries_needed):
                    artifact, was_built = compile_binary(
                        workload,
                        language,
                        binary=binary,
                        profile=profile,
                        compiler=compilers[language],
                        cache=cache,
                        arch=arch,
                    )
                    binaries[binary] = artifact
                    outcome.record(artifact, was_built)
                    on_step(artifact, was_built)
                for target in targets:
                    if target.name in outcome.skipped:
                        continue
                    try:
                        artifact, was_built = target.package(binaries[target.binary], cache, arch)
                    except IsobenchError as error:
                        if arch in (None, host_arch()):
                            raise
                        outcome.skipped[target.name] = str(error)
                        continue
                    key = (workload.name, language.value, target.name, profile.value)
                    outcome.artifacts[key] = artifact
                    if artifact.kind != binaries[target.binary].kind:  # new, not the binary
                        outcome.record(artifact, was_built)
                        on_step(artifact, was_built)
    return outcome
