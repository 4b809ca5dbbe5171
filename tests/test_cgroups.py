"""The in-host wasm host at home in its sample's memory group (cgroup v1, the real kernel): what
the host holds when the instance starts is not the instance's peak."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.cgroups import MemoryCgroups

pytestmark = pytest.mark.integration
MiB = 1 << 20
CHARGE_BATCH_BYTES = 64 * 4096

# The worker's own steps, in a process of its own (joining moves the whole process): it joins,
# goes through 40 MiB (its primer) and holds 24 MiB as a host would, sets the peak back, then
# allocates 8 MiB as an instance would.
HOST = """
import sys
from pathlib import Path
from harness.targets import wasmtime_worker as worker
procs = Path(sys.argv[1])
worker.join(procs)
primer = b"\\x03" * (40 << 20)
del primer
host = b"\\x01" * (24 << 20)
print(worker.reset_peak(procs.parent))
instance = b"\\x02" * (8 << 20)
"""


def test_the_peak_counts_what_the_instance_adds_above_its_host() -> None:
    cgroups = MemoryCgroups.detect()
    if cgroups is None or cgroups.version != 1:
        pytest.skip("needs root and cgroup v1 (v2's memory.peak is not set back this way)")
    cgroup = cgroups.new_sample()
    try:
        completed = subprocess.run(
            [sys.executable, "-c", HOST, str(cgroup.procs_path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        charged_before = int(completed.stdout)
        charged_after = cgroup.peak_bytes()
        assert charged_after is not None
        peak = charged_after - charged_before
    finally:
        cgroup.kill_all()
        cgroup.remove()
    assert charged_before >= 24 * MiB  # the host's own memory, charged before the reset
    # the instance's alone, within a batch of pages either way: the counter charges per CPU
    # in batches (64 pages), and a page the host held at the reset may go to the instance
    assert 8 * MiB - CHARGE_BATCH_BYTES <= peak < 9 * MiB
