"""server.randomhex: ids' random hex from a block of os.urandom, each byte handed out once,
and a forked child never hands out its parent's bytes."""

from __future__ import annotations

import os
import re
import threading

from hypothesis import given
from hypothesis import strategies as st

from handlers.storage.ids import new_id
from server import randomhex
from server.events import new_event_id


@given(st.integers(1, 64))
def test_token_hex_gives_twice_as_many_hex_digits_as_bytes(n: int) -> None:
    assert re.fullmatch(f"[0-9a-f]{{{2 * n}}}", randomhex.token_hex(n))


def test_ids_keep_their_format_and_never_repeat_across_blocks_and_threads() -> None:
    found: list[str] = []

    def take() -> None:
        found.extend(new_event_id() for _ in range(2000))  # (several blocks each)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == len(found) == 8000
    assert all(re.fullmatch(r"evt_[0-9a-f]{24}", i) for i in found)
    assert re.fullmatch(r"booking_[0-9a-f]{24}", new_id("booking"))


def test_a_forked_child_does_not_hand_out_its_parents_bytes() -> None:
    randomhex.token_hex(1)  # (a block in the parent, with bytes left to hand out)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        try:
            os.write(write, randomhex.token_hex(12).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as r:
        childs = r.read().decode()
    assert len(childs) == 24 and childs != randomhex.token_hex(12)
