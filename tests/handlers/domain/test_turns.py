"""Writers of one key take turns in the process; other keys do not wait; no lock outlives
its last user."""

from __future__ import annotations

import asyncio

import pytest

from handlers.domain.turns import Turns

pytestmark = pytest.mark.anyio


async def test_writers_of_one_key_run_one_at_a_time_and_leave_no_lock_behind() -> None:
    turns, inside, most = Turns(), 0, 0

    async def writer() -> None:
        nonlocal inside, most
        async with turns.turn("prac_1"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(writer() for _ in range(20)))
    assert most == 1
    assert len(turns) == 0


async def test_writers_of_other_keys_do_not_wait_for_each_other() -> None:
    turns, both = Turns(), asyncio.Event()
    entered: list[str] = []

    async def writer(key: str) -> None:
        async with turns.turn(key):
            entered.append(key)
            if len(entered) == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 1)

    await asyncio.gather(writer("prac_1"), writer("prac_2"))
    assert sorted(entered) == ["prac_1", "prac_2"]


async def test_a_failing_writer_frees_its_turn() -> None:
    turns = Turns()
    with pytest.raises(RuntimeError):
        async with turns.turn("prac_1"):
            raise RuntimeError("conflict")
    assert len(turns) == 0
    async with turns.turn("prac_1"):
        assert len(turns) == 1
