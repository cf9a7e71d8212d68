"""How an engine process uses memory (glibc's malloc, where there is one).

The engine scores thousands of candidates at once in NumPy arrays of a few MiB, allocated and
freed many times per request. By default glibc maps every block over 128 KiB fresh from the
kernel and unmaps it when freed, so each array costs page faults: measured here, a 500-node
node-evacuate spent two thirds of its engine time in them. Keeping such blocks in the heap
makes the search about three times faster; the peak RSS is the same.
"""

from __future__ import annotations

import ctypes
from functools import cache

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20  # blocks below this come from the heap
TRIM_THRESHOLD = 256 << 20  # free heap kept before it is given back
# Documents from this size on are followed by a trim; a smaller one leaves little to give back,
# and a trim walks the whole heap (about 1 ms, a fifth of a 20-node answer).
TRIM_AFTER = 1 << 20
_SETTINGS = ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, libc's among them (no ldconfig run)
    except OSError:
        return None
    # only glibc has both (musl and macOS do not): elsewhere the defaults stay
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def tune_malloc() -> bool:
    """Keep the engine's arrays in the heap; True if this malloc took the settings."""
    libc = _libc()
    if libc is None:
        return False
    done = [libc.mallopt(option, value) == 1 for option, value in _SETTINGS]
    return all(done)


def release_memory() -> None:
    """Give the free heap back to the system (a long-lived worker, after a big request)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
