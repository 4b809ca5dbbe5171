"""The page cache for the cold state: evict a sample's files, then check that they are gone.

A cold sample starts with the files its variant names (`Target.cold_files`: the executable, an
image's layer files, the .wasm) out of the page cache, so that the instance reads them from
disk. `posix_fadvise(DONTNEED)` asks the kernel to drop them, and `mincore` over a read-only
mapping counts what is still resident (mapping a file does not read it in). Pages the kernel
keeps (a file mapped by a running process, a file on a filesystem without a page cache of its
own) show up there, and the sample is marked instead of passing for cold.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import sys
from collections.abc import Iterable
from pathlib import Path

_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_LIBC.mmap.restype = ctypes.c_void_p
_LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]  # fmt: skip
_LIBC.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_LIBC.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
_MAP_FAILED = ctypes.c_void_p(-1).value
PAGE_BYTES = mmap.PAGESIZE


def resident_bytes(path: Path) -> int:
    """How much of the file is in the page cache now."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return 0
        address = _LIBC.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if address in (None, _MAP_FAILED):
            raise OSError(ctypes.get_errno(), f"mmap {path}")
        try:
            pages = (size + PAGE_BYTES - 1) // PAGE_BYTES
            vector = (ctypes.c_ubyte * pages)()
            if _LIBC.mincore(address, size, vector) != 0:
                raise OSError(ctypes.get_errno(), f"mincore {path}")
            return sum(byte & 1 for byte in vector) * PAGE_BYTES
        finally:
            _LIBC.munmap(address, size)
    finally:
        os.close(fd)


def evict(paths: Iterable[Path]) -> int:
    """Drop the files from the page cache; the bytes of them still resident afterwards (0 when
    every page went). Dirty pages are written first: DONTNEED only drops clean ones. OSError
    when a file cannot be opened or mapped."""
    left = 0
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        left += resident_bytes(path)
    return left


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.pagecache FILE...`: evict the files (hyperfine's --prepare in
    `nox -s crosscheck` uses it to take the Docker CLI's runs cold, as isobench takes its own);
    exit 1 when some of them stayed in the page cache."""
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    return 1 if evict(paths) else 0


if __name__ == "__main__":
    raise SystemExit(main())
