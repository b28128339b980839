"""DeadlineTimer: the one loop timer of the transport manager and the services driver."""

from __future__ import annotations

import asyncio

import pytest

from uc_signal.deadline_timer import DeadlineTimer


def scheduled(loop: asyncio.AbstractEventLoop) -> list[asyncio.TimerHandle]:
    return [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_same_deadline_keeps_the_handle(loop):
    timer = DeadlineTimer(lambda: None, loop=loop)
    at = loop.time() + 100
    timer.arm(at)
    first = scheduled(loop)
    timer.arm(at)
    assert scheduled(loop) == first and len(first) == 1 and first[0].when() == at


def test_moved_deadline_replaces_the_handle(loop):
    timer = DeadlineTimer(lambda: None, loop=loop)
    timer.arm(loop.time() + 100)
    later = loop.time() + 200
    timer.arm(later)
    assert [h.when() for h in scheduled(loop)] == [later]
    timer.arm(None)
    assert scheduled(loop) == [] and timer.deadline is None


def test_granularity_rounds_up_to_the_grid(loop):
    timer = DeadlineTimer(lambda: None, granularity=0.02, loop=loop)
    timer.arm(1000.001)
    assert timer.deadline == pytest.approx(1000.02)
    first = scheduled(loop)
    timer.arm(1000.015)  # same grid step: the handle stays
    assert scheduled(loop) == first
    timer.arm(1000.021)
    assert timer.deadline == pytest.approx(1000.04) and scheduled(loop) != first


def test_other_clock_becomes_a_delay(loop):
    timer = DeadlineTimer(lambda: None, clock=lambda: 5000.0, loop=loop)
    before = loop.time()
    timer.arm(5030.0)
    (handle,) = scheduled(loop)
    assert before + 30 <= handle.when() <= loop.time() + 30
    timer.arm(4000.0)  # already due: fires on the next loop pass, never in the past's past
    (handle,) = scheduled(loop)
    assert handle.when() <= loop.time()


def test_fires_disarmed_and_the_callback_can_rearm(loop):
    fired: list[float | None] = []

    def callback() -> None:
        fired.append(timer.deadline)
        if len(fired) < 3:
            timer.arm(loop.time())

    timer = DeadlineTimer(callback, loop=loop)

    async def run() -> None:
        timer.arm(loop.time())
        for _ in range(50):
            if len(fired) == 3:
                break
            await asyncio.sleep(0)

    loop.run_until_complete(run())
    assert fired == [None, None, None]  # disarmed before each call
    assert timer.deadline is None and scheduled(loop) == []


def test_cancel(loop):
    fired: list[int] = []
    timer = DeadlineTimer(lambda: fired.append(1), loop=loop)
    timer.arm(loop.time())
    timer.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    assert fired == [] and timer.deadline is None


def test_running_loop_when_none_given():
    async def run() -> asyncio.TimerHandle:
        timer = DeadlineTimer(lambda: None)
        timer.arm(asyncio.get_running_loop().time() + 10)
        (handle,) = scheduled(asyncio.get_running_loop())
        timer.cancel()
        return handle

    assert asyncio.run(run()).cancelled()


def test_keep_earlier_moves_only_to_an_earlier_deadline(loop):
    timer = DeadlineTimer(lambda: None, keep_earlier=True, loop=loop)
    soon = loop.time() + 10
    timer.arm(soon)
    first = scheduled(loop)
    timer.arm(soon + 5)   # later: the earlier handle stays (it will fire early, harmlessly)
    timer.arm(None)       # nothing pending: likewise
    assert scheduled(loop) == first and timer.deadline == soon
    timer.arm(soon - 5)   # earlier: moved
    assert [h.when() for h in scheduled(loop)] == [soon - 5]


def test_keep_earlier_early_wakeup_rearms_the_real_deadline(loop):
    pending = [loop.time() + 0.001]   # what the "core" says is due next
    wakeups: list[float] = []

    def callback() -> None:
        wakeups.append(loop.time())
        timer.arm(pending[0] if pending[0] > loop.time() else None)

    timer = DeadlineTimer(callback, keep_earlier=True, loop=loop)
    timer.arm(pending[0])
    pending[0] = loop.time() + 3600   # the deadline moved later: the armed handle stays
    timer.arm(pending[0])

    async def run() -> None:
        for _ in range(200):
            if wakeups:
                break
            await asyncio.sleep(0.001)

    loop.run_until_complete(run())
    assert len(wakeups) == 1                 # the early wake-up...
    assert timer.deadline == pending[0]      # ...armed the real deadline
