from __future__ import annotations

from handlers.domain.outbox_marks import OutboxMarks


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
