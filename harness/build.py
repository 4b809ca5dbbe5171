"""`isobench build`: compile each workload x language for native and wasm32-wasi, then let each
variant package what it runs (the executable itself, a FROM-scratch image, an AOT module).
Every step is content-addressed: with nothing changed, a build compiles nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from harness.cache import Artifact, BuildCache, artifact_id
from harness.errors import IsobenchError
from harness.toolchains import Binary, Compiler, find_compiler
from harness.workloads import Language, Workload, sha256_file

# Part of every compiled artifact's id. Bump it when *how* a binary is compiled changes in a way
# the flags do not show, so that no cached artifact built the old way is reused:
#   1 - first version
#   2 - compilers run inside the workload folder on relative paths (rustc embeds the path)
COMPILE_PROCEDURE = 2

# (workload, language, variant) -> the artifact that variant runs
ArtifactKey = tuple[str, str, str]
StepReport = Callable[[Artifact, bool], None]  # (artifact, had to be built)


class Packager(Protocol):
    """What a build needs of a variant (every Target is one): which compiled binary it takes,
    and how it turns that into the artifact it runs."""

    @property
    def name(self) -> str: ...

    @property
    def binary(self) -> Binary: ...

    def package(self, binary: Artifact, cache: BuildCache) -> tuple[Artifact, bool]: ...


@dataclass(slots=True)
class BuildOutcome:
    artifacts: dict[ArtifactKey, Artifact] = field(default_factory=dict)
    built: list[Artifact] = field(default_factory=list)
    cached: list[Artifact] = field(default_factory=list)

    def record(self, artifact: Artifact, was_built: bool) -> None:
        (self.built if was_built else self.cached).append(artifact)

    def all_artifacts(self) -> list[Artifact]:
        return [*self.built, *self.cached]


def compile_binary(
    workload: Workload, language: Language, binary: Binary, compiler: Compiler, cache: BuildCache
) -> tuple[Artifact, bool]:
    # Compilers run inside the workload folder on relative paths: rustc embeds the source path
    # it was given (panic locations), and the bytes must not depend on where the checkout is.
    sources = tuple(path.relative_to(workload.directory) for path in workload.sources[language])
    output_name = f"{workload.name}.wasm" if binary is Binary.WASM else workload.name
    recipe = {
        "sources": {str(path): sha256_file(workload.directory / path) for path in sources},
        "compiler": compiler.version,
        "flags": list(compiler.flags(binary)),
        "procedure": COMPILE_PROCEDURE,
    }
    kind = binary.value
    ident = artifact_id(kind, recipe)
    cached = cache.lookup(kind, ident)
    if cached is not None:
        return cached, False
    output = cache.fresh_directory(kind, ident) / output_name
    argv = compiler.argv(binary, sources, output)
    completed = subprocess.run(
        argv, cwd=workload.directory, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        message = (completed.stderr.strip().splitlines() or ["(no message)"])[0]
        raise IsobenchError(
            f"{workload.directory}: {language.value} {kind} build failed: {message}"
        )
    artifact = Artifact(
        id=ident,
        kind=kind,
        workload=workload.name,
        language=language.value,
        path=str(output),
        sha256=sha256_file(output),
        size_bytes=output.stat().st_size,
        recipe={**recipe, "argv": argv, "cwd": str(workload.directory)},
    )
    return cache.store(artifact), True


def build(
    workloads: Iterable[Workload],
    languages: Sequence[Language],
    targets: Sequence[Packager],
    cache: BuildCache,
    on_step: StepReport,
) -> BuildOutcome:
    outcome = BuildOutcome()
    compilers: dict[Language, Compiler] = {}
    binaries_needed = {target.binary for target in targets}
    for workload in workloads:
        for language in languages:
            if language not in workload.sources:
                continue
            if language not in compilers:
                compilers[language] = find_compiler(language)
            binaries: dict[Binary, Artifact] = {}
            for binary in sorted(binaries_needed):
                artifact, was_built = compile_binary(
                    workload, language, binary, compilers[language], cache
                )
                binaries[binary] = artifact
                outcome.record(artifact, was_built)
                on_step(artifact, was_built)
            for target in targets:
                artifact, was_built = target.package(binaries[target.binary], cache)
                outcome.artifacts[(workload.name, language.value, target.name)] = artifact
                if artifact.kind != binaries[target.binary].kind:  # a new artifact, not the binary
                    outcome.record(artifact, was_built)
                    on_step(artifact, was_built)
    return outcome
