"""The live loop's hand-offs: a one-slot newest-item box and worker threads."""

from __future__ import annotations

import threading
import time

import pytest

from livedigits.errors import LivedigitsError
from livedigits.live.handoff import Slot, Worker


def test_slot_keeps_only_the_newest_item():
    slot: Slot[int] = Slot()
    assert slot.take(timeout=0) is None
    for k in range(5):
        slot.put(k)
    assert slot.dropped == 4
    assert slot.take(timeout=0) == 4
    assert slot.take(timeout=0.01) is None  # taken items are gone


def test_slot_take_waits_for_a_put_from_another_thread():
    slot: Slot[str] = Slot()
    threading.Timer(0.05, slot.put, args=("late",)).start()
    start = time.monotonic()
    assert slot.take(timeout=2.0) == "late"
    assert time.monotonic() - start < 1.0


def test_closed_slot_gives_what_is_left_then_none_at_once():
    slot: Slot[int] = Slot()
    slot.put(7)
    slot.close()
    assert not slot.exhausted
    assert slot.take(timeout=5) == 7
    start = time.monotonic()
    assert slot.take(timeout=5) is None and slot.exhausted
    assert time.monotonic() - start < 0.5  # closing wakes the taker, no timeout waited


def test_wait_empty_lets_a_producer_hand_on_every_item():
    slot: Slot[int] = Slot()
    got = []

    def consume():
        while (item := slot.take(timeout=2)) is not None:
            got.append(item)
            time.sleep(0.002)  # a slow consumer

    consumer = threading.Thread(target=consume)
    consumer.start()
    for k in range(50):
        assert slot.wait_empty(timeout=2)
        slot.put(k)
    slot.close()
    consumer.join(5)
    assert got == list(range(50)) and slot.dropped == 0


def test_fast_producer_slow_consumer_never_queues():
    slot: Slot[int] = Slot()
    stop = threading.Event()

    def produce():
        k = 0
        while not stop.is_set():
            slot.put(k)
            k += 1
            time.sleep(0.001)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        taken = []
        for _ in range(5):
            time.sleep(0.03)
            taken.append(slot.take(timeout=1))
    finally:
        stop.set()
        producer.join(5)
    gaps = [b - a for a, b in zip(taken, taken[1:], strict=False)]
    assert all(gap > 3 for gap in gaps), taken  # each take skips what it was too slow for
    assert slot.dropped > 10


def test_worker_hands_its_fault_on_as_a_one_line_error():
    def fail():
        raise ValueError("bad frame\nmore detail")

    worker = Worker(fail, "processing").start()
    assert worker.join(5)
    with pytest.raises(LivedigitsError) as caught:
        worker.check()
    assert str(caught.value) == ("processing stopped: ValueError: bad frame "
                                 "(run with -vv for the traceback)")
    assert isinstance(caught.value.__cause__, ValueError)

    def refuse():
        raise LivedigitsError("video.avi: not a readable video")

    worker = Worker(refuse, "capture").start()
    worker.join(5)
    with pytest.raises(LivedigitsError, match="^video.avi: not a readable video$"):
        worker.check()
    fine = Worker(lambda: None, "capture").start()
    assert fine.join(5) and not fine.alive
    fine.check()  # nothing to raise
