"""SplitMix64 (see ../PRNG.md) in Python: the independent reference the workloads' expected
outputs are checked against."""

from __future__ import annotations

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed: int = 42) -> None:
        self.state = seed & MASK

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next_u64() % n

    def stream(self, length: int) -> bytes:
        """`length` bytes (a multiple of 8): each next_u64() gives 8 bytes, little-endian."""
        words = (self.next_u64() for _ in range(length // 8))
        return b"".join(word.to_bytes(8, "little") for word in words)
