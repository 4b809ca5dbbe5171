from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from harness.build import compile_binary
from harness.cache import Artifact, BuildCache, artifact_id
from harness.errors import IsobenchError
from harness.toolchains import Binary, Compiler, Profile, find_compiler
from harness.workloads import Language, Sources, Workload, load_workload
from tests.conftest import WORKLOADS


def compile_portable(
    workload: Workload, language: Language, binary: Binary, compiler: Compiler, cache: BuildCache
) -> tuple[Artifact, bool]:
    return compile_binary(
        workload,
        language,
        binary=binary,
        profile=Profile.PORTABLE,
        compiler=compiler,
        cache=cache,
    )


X_SHA256 = hashlib.sha256(b"x").hexdigest()
RECIPE = {"sources": {"main.c": "ab"}, "compiler": "clang 14", "flags": ["-O2"]}


def test_artifact_id_is_stable_and_ignores_key_order() -> None:
    reordered = {"flags": ["-O2"], "compiler": "clang 14", "sources": {"main.c": "ab"}}
    assert artifact_id("native", RECIPE) == artifact_id("native", reordered)


@pytest.mark.parametrize(
    "changed",
    [
        {**RECIPE, "sources": {"main.c": "ac"}},
        {**RECIPE, "compiler": "clang 15"},
        {**RECIPE, "flags": ["-O3"]},
        {**RECIPE, "flags": ["-O2", "-static"]},
    ],
)
def test_artifact_id_changes_with_sources_toolchain_and_flags(changed: dict[str, object]) -> None:
    assert artifact_id("native", RECIPE) != artifact_id("native", changed)


def test_artifact_id_depends_on_kind() -> None:
    assert artifact_id("native", RECIPE) != artifact_id("wasm", RECIPE)


def test_a_record_is_found_only_when_its_file_exists(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    directory = cache.fresh_directory("native", "abc")
    (directory / "app").write_bytes(b"x")
    artifact = Artifact(
        "abc", "native", "w", "c", "portable", str(directory / "app"), X_SHA256, 1, RECIPE
    )
    cache.store(artifact)
    assert cache.lookup("native", "abc") == artifact
    (directory / "app").unlink()
    assert cache.lookup("native", "abc") is None


def test_a_real_compile_is_cached_until_a_source_byte_changes(tmp_path: Path) -> None:
    shutil.copytree(WORKLOADS / "noop", tmp_path / "noop")
    cache = BuildCache(tmp_path / "cache")
    clang = find_compiler(Language.C)
    workload = load_workload(tmp_path / "noop")

    first, built = compile_portable(workload, Language.C, Binary.WASM, clang, cache)
    assert built
    again, built_again = compile_portable(workload, Language.C, Binary.WASM, clang, cache)
    assert (again, built_again) == (first, False)

    (tmp_path / "noop" / "main.c").write_text("int main(void) { return 0; }\n/* changed */\n")
    changed, built_changed = compile_portable(
        load_workload(tmp_path / "noop"), Language.C, Binary.WASM, clang, cache
    )
    assert built_changed
    assert changed.id != first.id
    assert changed.recipe["flags"] == [*clang.flags(Binary.WASM, Profile.PORTABLE), "-lm"]
    assert changed.recipe["compiler"].startswith("Debian clang version 14")


def test_a_different_compiler_version_is_a_different_artifact(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    workload = load_workload(WORKLOADS / "noop")
    real = find_compiler(Language.C)
    other = Compiler(Language.C, real.executable, real.version + " (patched)")
    first, _ = compile_portable(workload, Language.C, Binary.WASM, real, cache)
    second, built = compile_portable(workload, Language.C, Binary.WASM, other, cache)
    assert built
    assert first.id != second.id


def test_two_workloads_of_the_same_sources_are_two_artifacts_each_named_for_its_own(
    tmp_path: Path,
) -> None:
    shutil.copytree(WORKLOADS / "noop", tmp_path / "copy")
    manifest = tmp_path / "copy" / "workload.toml"
    manifest.write_text(manifest.read_text().replace('name = "noop"', 'name = "copy"'))
    cache = BuildCache(tmp_path / "cache")
    clang = find_compiler(Language.C)
    workloads = [load_workload(WORKLOADS / "noop"), load_workload(tmp_path / "copy")]
    built = [compile_portable(w, Language.C, Binary.WASM, clang, cache) for w in workloads]
    assert [(artifact.workload, made) for artifact, made in built] == [("noop", True),
                                                                       ("copy", True)]  # fmt: skip
    assert cache.lookup("wasm", built[0][0].id) == built[0][0]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("binary", list(Binary))
def test_the_same_sources_give_the_same_bytes_wherever_the_checkout_is(
    tmp_path: Path, language: Language, binary: Binary
) -> None:
    compiler = find_compiler(language)
    artifacts = []
    for checkout in ("one", "elsewhere/two"):
        shutil.copytree(WORKLOADS / "fannkuch-redux", tmp_path / checkout / "fannkuch-redux")
        workload = load_workload(tmp_path / checkout / "fannkuch-redux")
        cache = BuildCache(tmp_path / checkout / "cache")
        artifacts.append(compile_portable(workload, language, binary, compiler, cache)[0])
    assert artifacts[0].id == artifacts[1].id
    assert artifacts[0].sha256 == artifacts[1].sha256


def test_a_record_in_an_older_format_is_a_miss_not_a_crash(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    directory = cache.fresh_directory("native", "abc")
    (directory / "artifact.json").write_text('{"id": "abc", "kind": "native"}')
    assert cache.lookup("native", "abc") is None


def test_two_builds_of_one_artifact_take_turns(tmp_path: Path) -> None:
    """The second build waits on the first (another process would, the same way: flock) and
    then finds the artifact made: made once, never two writers in one directory."""
    cache = BuildCache(tmp_path / "cache")
    inside, release = threading.Event(), threading.Event()
    made: list[str] = []

    def make(ident: str, directory: Path) -> Artifact:
        made.append(ident)
        inside.set()
        release.wait(timeout=30)
        output = directory / "out"
        output.write_bytes(b"x")
        return Artifact(ident, "native", "w", "c", "portable", str(output), X_SHA256, 1, {})

    outcomes: dict[str, bool] = {}  # who built it
    first = threading.Thread(target=lambda: outcomes.update(
        first=cache.get_or_build("native", {"a": 1}, make)[1]))  # fmt: skip
    first.start()
    assert inside.wait(timeout=30)
    second = threading.Thread(target=lambda: outcomes.update(
        second=cache.get_or_build("native", {"a": 1}, make)[1]))  # fmt: skip
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive()  # waiting for the first, not building beside it
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert outcomes == {"first": True, "second": False}
    assert len(made) == 1


def test_the_cache_is_made_private_and_an_older_wider_one_is_narrowed(tmp_path: Path) -> None:
    fresh = BuildCache(tmp_path / "fresh" / "cache")
    assert stat.S_IMODE(fresh.root.stat().st_mode) == 0o700
    wide = tmp_path / "wide"
    wide.mkdir(mode=0o777)
    wide.chmod(0o777)
    BuildCache(wide)
    assert stat.S_IMODE(wide.stat().st_mode) == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_cache_another_user_owns_is_refused(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    planted.mkdir()
    os.chown(planted, 65534, 65534)  # nobody's: they could have put programs in it
    with pytest.raises(IsobenchError, match="belongs to uid 65534"):
        BuildCache(planted)


def test_an_artifact_whose_bytes_changed_is_not_reused_and_not_run(
    tmp_path: Path,
) -> None:
    cache = BuildCache(tmp_path / "cache")
    noop = load_workload(WORKLOADS / "noop")
    compiler = find_compiler(Language.C)
    built, _ = compile_portable(noop, Language.C, Binary.NATIVE, compiler, cache)
    assert built.changed() == ""
    Path(built.path).write_bytes(b"#!/bin/sh\necho planted\n")  # replaced behind the cache
    assert "changed since it was built" in built.changed()
    again, rebuilt = compile_portable(noop, Language.C, Binary.NATIVE, compiler, cache)
    assert rebuilt  # made again, not found
    assert again.changed() == ""
    assert again.sha256 == built.sha256  # the same bytes as the first time


def test_every_source_reaches_the_compiler_as_a_path_never_as_an_option(tmp_path: Path) -> None:
    """The manifest refuses such names already; the argv holds without it: `-o.c` is a file."""
    (tmp_path / "-o.c").write_text("int helper(void) { return 0; }\n")
    (tmp_path / "main.c").write_text("int helper(void);\nint main(void) { return helper(); }\n")
    sources = Sources(files=(tmp_path / "main.c", tmp_path / "-o.c"))
    compiler = find_compiler(Language.C)
    argv = compiler.argv(Binary.NATIVE, Profile.PORTABLE, sources, tmp_path, tmp_path / "out")
    assert [arg for arg in argv if arg.endswith(".c")] == ["./main.c", "./-o.c"]
    completed = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "out").is_file()
