"""`isobench bless`: a new workload's expected outputs, recorded from its native builds.

The workload is built natively in each of its languages and run once at each size, confined
as every sample is (the sample account, a memory group of its own, the timeout). A size can
be blessed when every language printed the same bytes and exited as its manifest expects,
neither crashed nor timed out; its output then goes to the file its `expected_stdout` names
(the CLI asks first, or takes --yes). Languages that disagree are the point of having two:
nothing of such a workload is written.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.errors import IsobenchError
from harness.measure import Cell, open_to_samples, take_sample
from harness.names import RULE as NAME_RULE
from harness.names import is_name
from harness.results import Status
from harness.session import (
    DEFAULT_MEMORY_LIMIT_BYTES,
    Jail,
    Listener,
    Registry,
    Selection,
    build_selected,
    open_jail,
    opened_targets,
    refuse_writable_inputs,
    scratch_parent,
)
from harness.targets.base import WARM, Target
from harness.targets.native import NativeTarget
from harness.toolchains import Profile
from harness.workloads import MANIFEST_NAME, Size, load_workload

TIMEOUT_S = 120.0  # a run's default per sample


@dataclass(frozen=True, slots=True)
class Printed:
    """What one language's native build did at one size."""

    language: str
    stdout: bytes
    exit_code: int | None
    crash: str  # a signal, or "timed out"; "" when it exited on its own
    stderr: str  # its last line, for why it failed

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.stdout).hexdigest()


@dataclass(frozen=True, slots=True)
class SizeOutputs:
    size: Size
    printed: tuple[Printed, ...]  # a language each

    @property
    def stdout(self) -> bytes:
        return self.printed[0].stdout

    @property
    def problem(self) -> str:
        """Why this size cannot be blessed ("" when it can)."""
        for printed in self.printed:
            if printed.crash:
                return f"{printed.language} {printed.crash}: {printed.stderr}".rstrip(": ")
            if printed.exit_code != self.size.expected_exit_code:
                return (f"{printed.language} exited {printed.exit_code}, the manifest expects "
                        f"{self.size.expected_exit_code} (expected_exit_code)")  # fmt: skip
        digests = {printed.sha256 for printed in self.printed}
        if len(digests) > 1:
            said = ", ".join(f"{p.language} {p.sha256[:12]} ({len(p.stdout):,} B)"
                             for p in self.printed)  # fmt: skip
            return f"the languages print different outputs: {said}"
        if self.size.expected_stdout_path is None:
            digest = self.printed[0].sha256
            return (f"the manifest gives expected_sha256; to bless, name a file in "
                    f"expected_stdout (this output's sha256 is {digest})")  # fmt: skip
        return ""

    @property
    def change(self) -> str:
        """new (no expected file yet), unchanged, or changed (the file says otherwise)."""
        path = self.size.expected_stdout_path
        if path is None or not path.is_file():
            return "new"
        return "unchanged" if path.read_bytes() == self.stdout else "changed"


def take_outputs(selection: Selection, registry: Registry, listener: Listener) -> list[SizeOutputs]:
    """Build `selection`'s one workload natively and run it once at each of its sizes (the
    selection's, or all) in each of its languages (the selection's, or all it has)."""
    if len(selection.workloads) != 1:
        raise IsobenchError("bless takes one workload: -w NAME")
    name = selection.workloads[0]
    if not is_name(name):
        raise IsobenchError(f"workload {name!r}: not a workload name ({NAME_RULE})")
    workload = load_workload(selection.workloads_dir / name, blessing=True)
    languages = [language for language in selection.chosen_languages
                 if language in workload.sources]  # fmt: skip
    if not languages:
        asked = ", ".join(language.value for language in selection.chosen_languages)
        raise IsobenchError(f"{workload.directory / MANIFEST_NAME}: field 'sources': has none "
                            f"of {asked}")  # fmt: skip
    sizes = [workload.size(name) for name in selection.sizes] or list(workload.sizes.values())
    native = replace(selection, variants=(NativeTarget.name,), languages=tuple(languages),
                     profiles=(Profile.PORTABLE,), arch=None)  # fmt: skip
    with opened_targets(native, registry, listener) as targets:
        outcome = build_selected(native, targets, [workload], listener)
        jail, _ = open_jail(listener)
        refuse_writable_inputs(sizes, jail.account)
        target = targets[NativeTarget.name]
        outputs = []
        with tempfile.TemporaryDirectory(prefix="isobench-bless-", dir=scratch_parent()) as name:
            scratch = open_to_samples(Path(name))
            for size in sizes:
                printed = []
                for language in languages:
                    key = (workload.name, language.value, NativeTarget.name,
                           Profile.PORTABLE.value)  # fmt: skip
                    artifact = outcome.artifacts[key]
                    cell = Cell(workload, language, NativeTarget.name, size,
                                Profile.PORTABLE.value, WARM, artifact)  # fmt: skip
                    printed.append(run_once(target, cell, scratch, jail))
                outputs.append(SizeOutputs(size, tuple(printed)))
    return outputs


def run_once(target: Target, cell: Cell, scratch: Path, jail: Jail) -> Printed:
    """One sample of `cell` as the measure loop takes it (confined, judged), and what it
    printed: the sample's stdout file, kept where the loop leaves it."""
    sample = take_sample(cell, target, round_index=0, warmup=True, cgroups=jail.cgroups,
                         scratch=scratch, timeout_s=TIMEOUT_S,
                         memory_limit_bytes=DEFAULT_MEMORY_LIMIT_BYTES,
                         account=jail.account)  # fmt: skip
    ran = sample.status in {Status.OK, Status.WRONG_OUTPUT, Status.WRONG_EXIT_CODE}
    stderr = (scratch / "stderr").read_text(errors="replace").strip().splitlines()
    return Printed(cell.language.value, (scratch / "stdout").read_bytes(), sample.exit_code,
                   "" if ran else f"{sample.status.value} ({sample.detail})",
                   stderr[-1] if stderr else "")  # fmt: skip


def write_expected(outputs: Sequence[SizeOutputs]) -> list[Path]:
    """Write each blessable size's output to its expected_stdout file; the files written."""
    written = []
    for outputs_of_size in outputs:
        path = outputs_of_size.size.expected_stdout_path
        if outputs_of_size.problem or path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(outputs_of_size.stdout)
        written.append(path)
    return written
