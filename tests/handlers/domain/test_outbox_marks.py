from __future__ import annotations

import pytest

from handlers.domain import outbox_marks
from handlers.domain.outbox_marks import OutboxMarks


def test_an_event_stored_by_this_process_is_known_once_to_the_bridge() -> None:
    marks = OutboxMarks(lambda: None)
    marks.stored("evt_1")
    assert marks.known("evt_1")
    assert not marks.known("evt_1")  # asked once: the entry is gone
    assert not marks.known("evt_other")


def test_a_lost_publication_is_forgotten() -> None:
    marks = OutboxMarks(lambda: None)
    marks.stored("evt_1")
    marks.lost("evt_1")
    assert not marks.known("evt_1")


def test_sent_events_wake_the_worker_and_are_taken_once_per_round() -> None:
    woken: list[int] = []
    marks = OutboxMarks(lambda: woken.append(1))
    marks.sent(["evt_1", "evt_2"])
    marks.sent(["evt_3"])
    assert woken == [1, 1] and marks.pending
    taken = marks.take()
    assert taken == ["evt_1", "evt_2", "evt_3"] and not marks.pending
    marks.sent(["evt_4"])
    marks.give_back(taken)  # a failed round: the next one marks them all
    assert marks.take() == ["evt_1", "evt_2", "evt_3", "evt_4"]


def test_the_stored_ids_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_marks, "LIMIT", 3)
    marks = OutboxMarks(lambda: None)
    for n in range(5):
        marks.stored(f"evt_{n}")
    # the oldest left: the bridge's read check decides for them, as for other workers' events
    assert [marks.known(f"evt_{n}") for n in range(5)] == [False, False, True, True, True]
