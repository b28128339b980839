"""The jitter buffer through its Python API: each named network case, then hypothesis
invariants over random arrival schedules (reordering, duplicates, loss, jitter, wrap).

Time is advanced by hand; `now` is float seconds.
"""

from __future__ import annotations

import dataclasses
import random
import struct
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import (
    BufferTooSmallError,
    InvalidArgumentError,
    JitterAction,
    JitterBuffer,
    JitterOutput,
    JitterStats,
    PutOutcome,
)

RATE = 48000
PKT = 960  # 20 ms of RTP timestamp at 48 kHz
TICK = 0.020


def payload_of(index: int) -> bytes:
    return struct.pack("!I", index) + b"opus"


def index_of(out: JitterOutput) -> int:
    assert out.payload is not None
    return int(struct.unpack("!I", out.payload[:4])[0])


def steady_stream(jb: JitterBuffer, count: int, *, seq0: int = 0, ts0: int = 0, ssrc: int = 1,
                  t0: float = 0.0, skip: frozenset[int] = frozenset()) -> list[JitterOutput]:
    """Packet i arrives at t0 + 20 i ms; a tick runs 10 ms after each arrival."""
    outs = []
    for i in range(count):
        now = t0 + i * TICK
        if i not in skip:
            jb.put(payload_of(i), (seq0 + i) & 0xFFFF, (ts0 + i * PKT) & 0xFFFFFFFF, ssrc, i == 0, now)
        outs.append(jb.get(now + 0.010))
    return outs


def played(outs: list[JitterOutput]) -> list[int]:
    return [index_of(o) for o in outs if o.action == JitterAction.PLAY]


def test_in_order_stream_plays_every_packet_once_in_order() -> None:
    jb = JitterBuffer(min_delay_ms=40, max_delay_ms=300)
    outs = steady_stream(jb, 100)
    got = played(outs)
    assert got == list(range(len(got)))
    assert len(got) >= 97
    assert all(o.action in (JitterAction.PLAY, JitterAction.SILENCE) for o in outs)
    s = jb.stats
    assert s.packetsReceived == 100 and s.concealedSamples == 0 and s.packetsLate == 0
    assert s.jitterBufferEmittedCount == len(got) * PKT
    assert 0.040 <= s.jitterBufferDelay / s.jitterBufferEmittedCount < 0.061
    assert s.jitterBufferTargetDelay / s.jitterBufferEmittedCount == pytest.approx(0.040)


def test_stats_are_a_dataclass_with_webrtc_stats_names() -> None:
    names = {f.name for f in dataclasses.fields(JitterStats)}
    assert {"jitterBufferDelay", "jitterBufferEmittedCount", "jitterBufferTargetDelay", "packetsDiscarded",
            "concealedSamples", "concealmentEvents", "packetsReceived", "packetsLate",
            "packetsDuplicated"} <= names
    assert isinstance(JitterBuffer().stats, JitterStats)


def test_reordered_packets_play_in_order_and_duplicates_are_counted() -> None:
    jb = JitterBuffer(min_delay_ms=60, max_delay_ms=300)
    order = [0, 2, 1, 3, 5, 4, 4, 6, 7, 7, 8, 9]
    outcomes = [jb.put(payload_of(i), i, i * PKT, 9, i == 0, k * TICK) for k, i in enumerate(order)]
    assert outcomes.count(PutOutcome.DUPLICATE) == 2
    assert outcomes.count(PutOutcome.STORED) == 10
    outs = [jb.get(0.240 + t * TICK) for t in range(20)]
    got = played(outs)
    assert got == sorted(set(got)) and got[-1] == 9
    assert jb.stats.packetsDuplicated == 2


def test_late_packet_is_discarded_and_counted() -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=100)
    outs = steady_stream(jb, 30, skip=frozenset({10}))
    assert 10 not in played(outs)
    assert any(o.action == JitterAction.CONCEAL and not o.inserted for o in outs)
    assert jb.put(payload_of(10), 10, 10 * PKT, 1, False, 30 * TICK) == PutOutcome.LATE
    s = jb.stats
    assert s.packetsLate == 1 and s.packetsDiscarded >= 1
    assert s.concealmentEvents >= 1 and s.concealedSamples >= PKT


def test_sequence_and_timestamp_wrap_do_not_resync() -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=200)
    ts0 = 0xFFFFFFFF - 5 * PKT
    outs = steady_stream(jb, 40, seq0=65530, ts0=ts0)
    plays = [o for o in outs if o.action == JitterAction.PLAY]
    assert [index_of(o) for o in plays] == list(range(len(plays)))
    assert [o.seq for o in plays] == [(65530 + i) & 0xFFFF for i in range(len(plays))]
    assert [o.timestamp for o in plays] == [(ts0 + i * PKT) & 0xFFFFFFFF for i in range(len(plays))]
    assert jb.stats.resyncs == 0 and jb.stats.concealedSamples == 0


def test_ssrc_change_resets_and_plays_the_new_stream_from_its_start() -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=200)
    steady_stream(jb, 10)
    outs = steady_stream(jb, 10, seq0=50000, ts0=12345, ssrc=2, t0=0.2)
    plays = [o for o in outs if o.action == JitterAction.PLAY]
    assert plays[0].seq == 50000 and plays[0].timestamp == 12345
    assert jb.stats.resyncs == 1 and jb.stats.packetsLate == 0


def test_timestamp_jump_resyncs_instead_of_calling_everything_late() -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=200)
    plays_after = 0
    for i in range(40):
        ts = 900000 + i * PKT if i < 20 else 1000 + i * PKT  # the sender's timestamp base jumps back
        assert jb.put(payload_of(i), 7 + i, ts, 5, False, i * TICK) == PutOutcome.STORED
        out = jb.get(i * TICK + 0.010)
        plays_after += out.action == JitterAction.PLAY and index_of(out) >= 20
    assert plays_after >= 17
    assert jb.stats.resyncs == 1 and jb.stats.packetsLate == 0


@pytest.mark.parametrize("marker", [True, False])
def test_dtx_gap_is_silence_not_endless_concealment(marker: bool) -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=200)
    steady_stream(jb, 10)
    now = 10 * TICK
    gap = [jb.get(now + t * TICK + 0.010) for t in range(50)]
    assert sum(o.action == JitterAction.SILENCE for o in gap) >= 40  # concealment stops
    concealed = jb.stats.concealedSamples
    assert concealed <= 6 * PKT
    now += 50 * TICK
    # the sender resumes: sequence continues (nothing lost), timestamp 1 s on
    outs = []
    for i in range(10):
        t = now + i * TICK
        jb.put(payload_of(100 + i), 10 + i, 10 * PKT + RATE + i * PKT, 1, marker and i == 0, t)
        outs.append(jb.get(t + 0.010))
    assert played(outs)[0] == 100
    assert all(o.action != JitterAction.CONCEAL for o in outs)
    assert jb.stats.concealedSamples == concealed
    assert jb.stats.packetsLate == 0


def test_forty_ms_packets_play_then_continue() -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=200)
    actions = []
    for t in range(40):
        if t % 2 == 0:
            jb.put(payload_of(t // 2), t // 2, t // 2 * 2 * PKT, 1, t == 0, t * TICK)
        actions.append(jb.get(t * TICK + 0.010))
    later = actions[6:]
    assert all(o.samples == 2 * PKT for o in later if o.action == JitterAction.PLAY)
    assert [o.action for o in later].count(JitterAction.CONTINUE) >= 15


def test_ten_ms_tick_plays_each_twenty_ms_packet_over_two_ticks() -> None:
    jb = JitterBuffer(frame_ms=10, min_delay_ms=20, max_delay_ms=200)
    outs = []
    for t in range(200):
        now = t * 0.010
        if t % 2 == 0:
            i = t // 2
            jb.put(payload_of(i), i, i * PKT, 1, i == 0, now)
        outs.append(jb.get(now + 0.005))
    steady = [o.action for o in outs[10:]]
    assert all(o.samples == PKT for o in outs if o.action == JitterAction.PLAY)
    assert all(b == JitterAction.CONTINUE for a, b in zip(steady, steady[1:]) if a == JitterAction.PLAY)
    assert played(outs) == list(range(len(played(outs)))) and len(played(outs)) >= 95


def test_a_burst_after_a_stall_is_worked_off_by_dropping() -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=200)
    steady_stream(jb, 50)
    for i in range(50, 70):  # 400 ms stall, then all at once
        jb.put(payload_of(i), i, i * PKT, 1, False, 50 * TICK + 0.400)
    outs = [jb.get(50 * TICK + 0.400 + t * TICK) for t in range(30)]
    assert sum(o.dropped for o in outs) >= 3
    assert jb.stats.removedSamplesForAcceleration >= 3 * PKT
    got = played(outs)
    assert got == sorted(got)


def test_long_stream_beyond_the_duplicate_window_plays_everything() -> None:
    jb = JitterBuffer(min_delay_ms=20, max_delay_ms=200)
    outs = steady_stream(jb, 3000, seq0=60000)
    got = played(outs)
    assert got == list(range(len(got))) and len(got) >= 2997
    assert jb.stats.packetsDuplicated == 0 and jb.stats.packetsDiscarded == 0


def test_a_lost_burst_is_concealed_without_growing_the_delay() -> None:
    jb = JitterBuffer(min_delay_ms=40, max_delay_ms=300)
    outs = steady_stream(jb, 100, skip=frozenset(range(50, 55)))
    plays = [o for o in outs if o.action == JitterAction.PLAY]
    assert [index_of(o) for o in plays] == [i for i in range(len(plays) + 5) if not 50 <= i < 55][: len(plays)]
    # each tick of the gap is concealed once, nothing is dropped, and playout after the
    # burst is exactly as far behind arrival as before it
    conceals = [o for o in outs if o.action == JitterAction.CONCEAL]
    assert len(conceals) == 5 and not any(o.inserted for o in conceals)
    assert sum(o.dropped for o in outs) == 0
    first_after = next(k for k, o in enumerate(outs) if o.action == JitterAction.PLAY and index_of(o) == 55)
    last_before = next(k for k, o in enumerate(outs) if o.action == JitterAction.PLAY and index_of(o) == 49)
    assert first_after - last_before == 6
    assert jb.stats.concealmentEvents == 1 and jb.stats.concealedSamples == 5 * PKT


def test_jitter_raises_the_target_and_the_playout_delay_follows() -> None:
    jb = JitterBuffer(min_delay_ms=0, max_delay_ms=300)
    steady_stream(jb, 50)
    calm = jb.target_delay_ms
    # every other packet now comes 60 ms late; packets go in by arrival time, a tick
    # runs every 20 ms
    events = sorted((i * TICK + (0.060 if i % 2 else 0.0), i) for i in range(50, 150))
    outs = []
    k = 0
    for t in range(50, 160):
        now = t * TICK + 0.010
        while k < len(events) and events[k][0] <= now:
            jb.put(payload_of(events[k][1]), events[k][1], events[k][1] * PKT, 1, False, events[k][0])
            k += 1
        outs.append(jb.get(now))
        if t == 110:
            mid = jb.stats
    assert calm <= 10.0 and jb.target_delay_ms >= 60.0
    end = jb.stats
    # the playout delay followed: the on-time half now waits >= 60 ms and the late half
    # >= 0 ms, so the mean wait is >= 30 ms; and the late half is played, not lost
    recent = (end.jitterBufferDelay - mid.jitterBufferDelay) / (end.jitterBufferEmittedCount
                                                                 - mid.jitterBufferEmittedCount)
    assert recent >= 0.030
    assert sum(1 for i in played(outs) if i >= 110 and i % 2) >= 18
    assert end.packetsLate < 20
    assert played(outs) == sorted(set(played(outs)))


def test_bad_arguments_raise_specific_errors() -> None:
    with pytest.raises(InvalidArgumentError):
        JitterBuffer(min_delay_ms=600, max_delay_ms=500)
    with pytest.raises(InvalidArgumentError):
        JitterBuffer(clock_rate=100)
    with pytest.raises(InvalidArgumentError):
        JitterBuffer(capacity=0)
    with pytest.raises(InvalidArgumentError):
        JitterBuffer(max_delay_ms=100000)
    jb = JitterBuffer(max_payload=100)
    with pytest.raises(BufferTooSmallError):
        jb.put(b"x" * 101, 1, 1, 1, False, 0.0)
    with pytest.raises(InvalidArgumentError):
        jb.put(b"x", 70000, 1, 1, False, 0.0)
    with pytest.raises(InvalidArgumentError):
        jb.put(b"x", 1, -1, 1, False, 0.0)
    with pytest.raises(InvalidArgumentError):
        jb.get(float("nan"))
    with pytest.raises(InvalidArgumentError, match="quantile"):
        JitterBuffer(quantile=1.5)
    assert jb.put(b"", 1, 1, 1, False, 0.0) == PutOutcome.STORED  # an empty payload is legal RTP


def run_arrivals(jb: JitterBuffer, arrivals: dict[int, float], until: float) -> tuple[list[int], set[int]]:
    """Packet i arrives at arrivals[i] seconds; a tick every 20 ms at phase 10 ms. Returns
    the indices played, in order, and the ones put() called LATE."""
    events = sorted((t, i) for i, t in arrivals.items())
    outs, late = [], set()
    k = 0
    now = 0.010
    while now < until:
        while k < len(events) and events[k][0] <= now:
            t, i = events[k]
            if jb.put(payload_of(i), i & 0xFFFF, i * PKT, 1, i == 0, t) == PutOutcome.LATE:
                late.add(i)
            k += 1
        outs.append(jb.get(now))
        now += TICK
    return played(outs), late


def test_a_late_packet_raises_the_target_at_once_and_is_not_late_twice() -> None:
    jb = JitterBuffer(min_delay_ms=0, max_delay_ms=500)
    # no jitter, except that every 100th packet from 200 on is held back 100 ms
    arrivals = {i: i * TICK + (0.100 if i >= 200 and i % 100 == 0 else 0.0) for i in range(1000)}
    first = {i: t for i, t in arrivals.items() if i < 200}
    run_arrivals(jb, first, 200 * TICK)
    calm = jb.target_delay_ms
    rest = {i: t for i, t in arrivals.items() if i >= 200}
    plays, late = run_arrivals(jb, rest, 1000 * TICK + 0.5)
    assert calm <= 10.0
    assert late == {200}  # the first one is late; it is evidence, and the next ones play
    assert jb.target_delay_ms >= 80.0
    assert plays == sorted(set(plays))
    assert {300, 400, 500, 600, 700, 800, 900} <= set(plays)


def test_a_stall_released_out_of_order_loses_nothing() -> None:
    jb = JitterBuffer(min_delay_ms=0, max_delay_ms=500)
    arrivals = {i: i * TICK + 0.010 for i in range(600)}
    for start in (100, 300, 500):  # the path stalls 300 ms, then releases newest first
        release = start * TICK + 0.310
        for i in range(start, start + 15):
            arrivals[i] = release + (start + 15 - i) * 0.0003
    plays, late = run_arrivals(jb, arrivals, 600 * TICK + 0.5)
    assert late == set()
    assert plays == sorted(set(plays))
    assert jb.stats.packetsLate == 0
    assert jb.target_delay_ms < 300.0


@pytest.mark.parametrize("ppm", [5000.0, -5000.0])
def test_clock_drift_is_estimated_and_not_taken_for_jitter(ppm: float) -> None:
    targets = []
    for drift in (0.0, ppm):
        jb = JitterBuffer(min_delay_ms=0, max_delay_ms=500)
        arrivals = {i: i * TICK * (1.0 + drift * 1e-6) + 0.030 + (i * 7919 % 8) / 1000.0 for i in range(3000)}
        _, late = run_arrivals(jb, arrivals, 3000 * TICK * (1.0 + abs(ppm) * 1e-6) + 1.0)
        assert late == set()
        assert abs(jb.clock_skew_ppm - drift) < 1000.0
        targets.append(jb.target_delay_ms)
    assert targets[1] <= targets[0] + 5.0


def test_lateness_cost_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="ms_per_late_percent"):
        JitterBuffer(ms_per_late_percent=-1.0)
    with pytest.raises(InvalidArgumentError, match="late_forget_factor"):
        JitterBuffer(late_forget_factor=1.0)
    jb = JitterBuffer(ms_per_late_percent=20.0, late_forget_factor=0.999)  # NetEq's trade-off
    assert jb.target_delay_ms == 0.0 and jb.clock_skew_ppm == 0.0


def in_order_run(jb: JitterBuffer, first: int, count: int, delay_ms: Callable[[int], float],
                 start: float, tail: float = 0.5) -> tuple[int, float]:
    """Packets first..first+count-1, packet i sent at 20 i ms and arriving delay_ms(i) later,
    put in arrival order; a tick every 20 ms from `start` until `tail` s after the last
    arrival (0: until it, so that the next run continues the stream). Returns (puts
    answered LATE, the time of the next tick)."""
    events = sorted((i * TICK + delay_ms(i) / 1000.0, i) for i in range(first, first + count))
    late = 0
    k = 0
    now = start
    while k < len(events) or now < events[-1][0] + tail:
        while k < len(events) and events[k][0] <= now:
            t, i = events[k]
            if jb.put(payload_of(i), i & 0xFFFF, i * PKT & 0xFFFFFFFF, 1, i == 0, t) == PutOutcome.LATE:
                late += 1
            k += 1
        jb.get(now)
        now += TICK
    return late, now


def test_heavy_tailed_jitter_raises_target_and_patience_and_a_clean_path_lets_them_decay() -> None:
    rng = random.Random(5)
    jb = JitterBuffer(min_delay_ms=0, max_delay_ms=500)
    # 60 s of Pareto jitter (alpha 2, scale 10 ms, capped at 400 ms): heavy-tailed
    late, now = in_order_run(jb, 0, 3000, lambda i: 30.0 + min(10.0 * (rng.random() ** -0.5 - 1.0), 400.0), 0.010,
                             tail=0.0)
    heavy_target, heavy_patience = jb.target_delay_ms, jb.patience_ms
    assert heavy_target >= 150.0  # the 0.97 quantile alone is ~50 ms: the lateness cost raised it
    assert heavy_patience >= 300.0  # the peak detector: it waits beyond the target for a gap
    assert late <= 3  # the start-up patience and the peak detector cover the tail's records
    # then 5 minutes of a clean path (0-2 ms jitter): both decay, slowly, back down
    late, now = in_order_run(jb, 3000, 6000, lambda i: 30.0 + 2.0 * rng.random(), now, tail=0.0)
    assert late == 0
    assert 10.0 < jb.target_delay_ms < heavy_target  # still decaying after 2 minutes
    _, now = in_order_run(jb, 9000, 9000, lambda i: 30.0 + 2.0 * rng.random(), now, tail=0.0)
    assert jb.target_delay_ms <= 10.0
    assert jb.patience_ms <= 30.0
    # and the playout delay followed the target down (drop one to shrink)
    before = jb.stats
    in_order_run(jb, 18000, 500, lambda i: 30.0 + 2.0 * rng.random(), now)
    after = jb.stats
    recent = (after.jitterBufferDelay - before.jitterBufferDelay) / (after.jitterBufferEmittedCount
                                                                     - before.jitterBufferEmittedCount)
    assert recent <= 0.030


def test_a_lossy_path_stops_holding_for_missing_packets() -> None:
    jb = JitterBuffer(min_delay_ms=0, max_delay_ms=500)
    assert jb.patience_ms == 300.0  # a new stream is patient: is a gap loss or reordering?
    # every 10th packet is lost, no jitter: the first gaps are held for, then no more
    outs = steady_stream(jb, 400, skip=frozenset(range(5, 400, 10)))
    assert jb.patience_ms == jb.target_delay_ms
    later = outs[100:]
    # each loss now costs exactly its own tick of concealment and nothing is dropped
    assert sum(1 for o in later if o.action == JitterAction.CONCEAL) == 30
    assert sum(o.dropped for o in later) == 0 and not any(o.inserted for o in later)


def test_a_reordering_path_waits_for_its_gaps_and_loses_nothing() -> None:
    jb = JitterBuffer(min_delay_ms=0, max_delay_ms=500)
    # every 25th packet is held back 60 ms (overtaken by 3 packets), from the first on
    late, _ = in_order_run(jb, 0, 2000, lambda i: 5.0 + (60.0 if i % 25 == 7 else 0.0), 0.010)
    assert late == 0
    assert jb.stats.packetsLate == 0
    assert jb.target_delay_ms >= 55.0  # what the first held-for packet needed, learnt
    assert jb.patience_ms >= 1.5 * 55.0  # peak lateness with heavy-tail headroom


# --- invariants over random arrival schedules ---------------------------------------

@st.composite
def schedules(draw: st.DrawFn) -> tuple[int, int, list[tuple[float, int]], int, int]:
    """(seq0, ts0, [(arrival seconds, packet index)], min_delay_ms, max_delay_ms)."""
    count = draw(st.integers(5, 150))
    seq0 = draw(st.one_of(st.integers(0, 0xFFFF), st.integers(0xFFFF - 20, 0xFFFF)))
    ts0 = draw(st.one_of(st.integers(0, 0xFFFFFFFF), st.integers(0xFFFFFFFF - 30 * PKT, 0xFFFFFFFF)))
    base_ms = draw(st.integers(0, 100))
    events = []
    for i in range(count):
        if draw(st.floats(0, 1)) < draw(st.sampled_from([0.0, 0.05, 0.2])):
            continue  # lost
        jitter_ms = draw(st.one_of(st.integers(0, 10), st.integers(0, 300)))
        events.append((i * 0.020 + (base_ms + jitter_ms) / 1000.0, i))
        if draw(st.integers(0, 19)) == 0:  # duplicated, later
            events.append((i * 0.020 + (base_ms + jitter_ms + draw(st.integers(0, 200))) / 1000.0, i))
    min_delay = draw(st.integers(0, 100))
    max_delay = draw(st.integers(min_delay, 500))
    return seq0, ts0, sorted(events), min_delay, max_delay


@given(schedules(), st.floats(0, 0.019))
def test_invariants_over_random_arrival_schedules(
    schedule: tuple[int, int, list[tuple[float, int]], int, int], phase: float
) -> None:
    seq0, ts0, events, min_delay, max_delay = schedule
    jb = JitterBuffer(min_delay_ms=min_delay, max_delay_ms=max_delay, capacity=32)
    last = events[-1][0] if events else 0.0
    emitted: list[int] = []
    samples = 0
    k = 0
    now = phase
    while now < last + 1.0:
        while k < len(events) and events[k][0] <= now:
            arrival, i = events[k]
            jb.put(payload_of(i), (seq0 + i) & 0xFFFF, (ts0 + i * PKT) & 0xFFFFFFFF, 77, False, arrival)
            k += 1
            assert min_delay <= jb.target_delay_ms <= max_delay
            assert jb.target_delay_ms <= jb.patience_ms <= max_delay
        out = jb.get(now)
        assert min_delay <= jb.target_delay_ms <= max_delay
        assert jb.target_delay_ms <= jb.patience_ms <= max_delay
        if out.action == JitterAction.PLAY:
            i = index_of(out)
            # the payload is the one put for this sequence number and timestamp
            assert out.seq == (seq0 + i) & 0xFFFF
            assert out.timestamp == (ts0 + i * PKT) & 0xFFFFFFFF
            emitted.append(i)
            samples += out.samples
        now += TICK
    # never out of order, never a duplicate, never a frame after a later one
    assert emitted == sorted(set(emitted))
    s = jb.stats
    assert s.resyncs == 0
    assert s.packetsReceived == len(events)
    assert s.jitterBufferEmittedCount == samples
    # every packet put is accounted for exactly once
    assert len(emitted) + s.packetsDuplicated + s.packetsDiscarded + jb.buffered == s.packetsReceived
    assert s.packetsLate <= s.packetsDiscarded
