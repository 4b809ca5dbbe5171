"""The workloads' expected outputs against independent references (Python's hashlib, hmac,
json, a dict), and the PRNG against the values PRNG.md documents."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import WORKLOADS

sys.path.insert(0, str(WORKLOADS / "tools"))
from splitmix64 import SplitMix64


def test_splitmix64_gives_the_documented_first_values() -> None:
    rng = SplitMix64(42)
    values = [rng.next_u64() for _ in range(3)]
    assert values == [0xBDD732262FEB6E95, 0x28EFE333B266F103, 0x47526757130F9F52]
    assert all(f"{value:016X}" in (WORKLOADS / "PRNG.md").read_text() for value in values)


def test_every_tiny_expected_output_matches_its_independent_reference() -> None:
    completed = subprocess.run(
        [sys.executable, str(WORKLOADS / "tools" / "expected.py"), "--check", "--sizes", "tiny"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    checked = {line.split()[1] for line in completed.stdout.splitlines() if line.startswith("ok")}
    assert {"sha256", "memtouch", "word-freq", "lz-compress", "fileio", "webhook"} <= checked
