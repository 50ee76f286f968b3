"""Random hex for ids, from the kernel's CSPRNG a block at a time, not a system call an id.

`secrets.token_hex` and `uuid.uuid4` read `os.urandom` for every id, and that call gives the
GIL away: on the sandbox's writer thread each id meant winning the GIL back from a busy event
loop (bench/RESULTS.md, "POST with group commit"). Here one `os.urandom` read fills a block
that is handed out in slices, each byte once, so the ids are exactly as unpredictable as
`secrets.token_hex`'s. A forked child starts with an empty block of its own (it must never
hand out the bytes its parent also holds).

    token_hex(12)  # -> '3f9a...' (24 hex digits)
"""

from __future__ import annotations

import os
import threading

BLOCK = 4096  # bytes read at a time (about 340 ids of 12 bytes)


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.block = b""
        self.used = 0

    def take(self, n: int) -> bytes:
        with self.lock:
            at = self.used
            if at + n > len(self.block):
                self.block, at = os.urandom(max(BLOCK, n)), 0
            self.used = at + n
            return self.block[at : at + n]


_pool = _Pool()


def _forget() -> None:
    """In a forked child: a new, empty pool (and a lock no other thread holds)."""
    global _pool
    _pool = _Pool()


os.register_at_fork(after_in_child=_forget)


def token_hex(nbytes: int) -> str:
    """`nbytes` random bytes as 2 * `nbytes` hex digits (as `secrets.token_hex`)."""
    return _pool.take(nbytes).hex()
