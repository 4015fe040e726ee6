"""Giving freed memory back to the system during a large build.

glibc keeps freed blocks below its mmap threshold (which rises to 32 MB as large blocks
come and go) inside the heap, and returns only a free stretch at its very top. A build
that frees a batch's temporaries, or an index's chunks as it lays them out, would keep
all of that resident beside the data that replaces it, and its peak would count both.
malloc_trim(0) returns every free page; elsewhere (macOS, musl) this does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

_trim: Callable[[int], int] | None = None
_looked = False


def release_free_memory() -> None:
    """Return the heap's free pages to the system (a few ms; call between large steps)."""
    global _trim, _looked
    if not _looked:
        _looked = True
        try:
            import ctypes

            _trim = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            _trim = None
    if _trim is not None:
        _trim(0)
