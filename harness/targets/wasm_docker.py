"""wasm-docker: WebAssembly inside a container, as it ships where a platform only runs
containers. A FROM-scratch image holds wasmtime-min, the shared libraries it links (found with
ldd, copied from this host), and the module's AOT artifact; the container runs exactly as the
docker variant's (same Engine API calls, phases, states, memory group), so the two compare the
cost of the wasm runtime inside a container against the executable itself.
"""

from __future__ import annotations

import platform
import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from harness.cache import Artifact, BuildCache, Image
from harness.errors import IsobenchError
from harness.targets.base import COLD, GUEST_INPUT_DIR, GUEST_OUTPUT_DIR, WARM
from harness.targets.docker import IMAGE_REPOSITORY, DockerTarget, connect
from harness.targets.wasmtime_cli import MIN_RUN_FLAGS, cli_executable, compile_cwasm
from harness.toolchains import Binary, Check
from harness.workloads import sha256_file

RUNTIME = "/wasmtime-min"
MODULE = "/module.cwasm"
_LDD_PATH = re.compile(r"(/\S+) \(0x[0-9a-f]+\)$")


def shared_libraries(executable: str) -> list[Path]:
    """The absolute paths of the shared libraries `executable` loads, its loader included."""
    completed = subprocess.run(
        ["ldd", executable], capture_output=True, text=True, check=False, timeout=30
    )
    if completed.returncode != 0:
        raise IsobenchError(f"ldd {executable}: {completed.stderr.strip()}")
    found = [match.group(1) for line in completed.stdout.splitlines()
             if (match := _LDD_PATH.search(line.strip()))]  # fmt: skip
    return [Path(path) for path in found]


def dockerfile() -> str:
    entrypoint = ", ".join(f'"{part}"' for part in (RUNTIME, "run", *MIN_RUN_FLAGS))
    return f"FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [{entrypoint}]\n"


class WasmDockerTarget(DockerTarget):
    name: ClassVar[str] = "wasm-docker"
    binary: ClassVar[Binary] = Binary.WASM
    artifact_kind: ClassVar[str] = "wasm-docker-image"
    artifact_caption: ClassVar[str] = "wasm docker image"
    runs_emulated: ClassVar[bool] = False
    states: ClassVar[dict[str, str]] = {
        COLD: "create + attach + start + wait + remove of a container from a present "
        "FROM-scratch image holding wasmtime-min, its shared libraries and the module's AOT "
        "artifact, its layer files evicted from the page cache first, network none: the docker "
        "variant's calls and clock, with wasmtime-min loading the artifact inside",
        WARM: "start + wait + remove of such a container created and attached ahead, image "
        "cached (create and attach still recorded as phases, outside wall_ns)",
    }
    memory_scope: ClassVar[str] = (
        "the container's cgroup (runc init, wasmtime-min and the instance), from create to exit"
    )
    cold_evicts: ClassVar[str] = (
        "the image's layer files: wasmtime-min, the libraries it links and the AOT artifact "
        "ship in each image (the Engine, containerd and runc stay cached)"
    )

    def __init__(self, client: Any, cache: BuildCache) -> None:
        super().__init__(client, cache)
        self.compiler = cli_executable("wasmtime", cache)
        self.runtime = cli_executable("wasmtime-min", cache)

    @classmethod
    def open(cls, cache: BuildCache) -> WasmDockerTarget:
        return cls(connect(), cache)

    @staticmethod
    def probe() -> list[Check]:
        return []  # the Docker Engine and wasmtime CLI checks cover it

    def package(
        self, binary: Artifact, cache: BuildCache, arch: str | None = None
    ) -> tuple[Artifact, bool]:
        if arch not in (None, platform.machine()):
            raise IsobenchError(
                f"wasm-docker is not built for {arch} here: its image needs wasmtime-min for "
                f"{arch} and the libraries it links, which this host does not have"
            )
        cwasm, _ = compile_cwasm(binary, cache, self.compiler)
        libraries = shared_libraries(self.runtime.path)
        instructions = dockerfile()
        recipe = {
            "cwasm_sha256": cwasm.sha256,
            "runtime": self.runtime.recipe,
            "libraries": {str(path): sha256_file(path) for path in libraries},
            "dockerfile": instructions,
        }
        name = f"{binary.workload}-{binary.language}-{binary.profile}-wasm"

        def make(ident: str, directory: Path) -> Artifact:
            tag = f"{IMAGE_REPOSITORY}/{name}:{ident[:16]}"
            started = time.perf_counter_ns()
            files = [
                ("Dockerfile", instructions.encode(), 0o644),
                (f"rootfs{RUNTIME}", Path(self.runtime.path).read_bytes(), 0o755),
                (f"rootfs{MODULE}", Path(cwasm.path).read_bytes(), 0o644),
                *((f"rootfs{path}", path.read_bytes(), 0o755) for path in libraries),
            ]
            image = self.build_image(tag, ident, files)
            return cwasm.derive(
                ident,
                WasmDockerTarget.artifact_kind,
                path=cwasm.path,
                sha256=cwasm.sha256,
                size_bytes=int(image["Size"]),
                recipe=recipe,
                build_ns=time.perf_counter_ns() - started,
                image=Image(tag, image["Id"]),
            )

        return cache.get_or_build(WasmDockerTarget.artifact_kind, recipe, make,
                                  self._image_present)  # fmt: skip

    def container_command(
        self, args: Sequence[str], *, input_dir: bool = False, output_dir: bool = False
    ) -> list[str]:
        """wasmtime-min's folders and the module, then the workload's arguments. The container
        sees /input and /output as bind mounts; wasmtime-min hands them on as they are."""
        folders = []
        for mounted, guest in ((input_dir, GUEST_INPUT_DIR), (output_dir, GUEST_OUTPUT_DIR)):
            if mounted:
                folders += ["--dir", f"{guest}::{guest}"]
        return [*folders, "--allow-precompiled", MODULE, *args]

    def settings(self) -> dict[str, str]:
        return {**super().settings(), "runtime_flags": " ".join(MIN_RUN_FLAGS)}

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "wasm-docker_runtime": self.runtime.recipe["version"]}
