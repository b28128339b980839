"""AudioConference through the Python API, on loopback, with SRTP: participants are plain
Python (tests/integration/engine_participant.py) sending tones; what each receives is
decoded and checked by FFT."""

from __future__ import annotations

import time
from collections.abc import Iterator


import numpy as np
import pytest

import uc_media
from uc_media.engine import TalkersChanged

from engine_participant import Participant, leg_keys, run, tone_magnitudes

TONES = [440.0, 660.0, 880.0, 1100.0]


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(42000, 42999), bind="127.0.0.1", tick_ms=20) as e:
        yield e


def join(engine: uc_media.Engine, conf: uc_media.AudioConference, freq: float, *, levels: bool) -> Participant:
    keys, send_key, recv_key = leg_keys()
    leg = engine.create_leg("opus", srtp=keys, audio_level_id=1 if levels else 0)
    p = Participant(leg, freq, srtp=(send_key, recv_key), levels=levels)
    leg.set_remote(p.address)
    conf.add_leg(leg)
    return p


def assert_hears(p: Participant, expected: list[float], absent: list[float], packets: int = 40) -> None:
    pcm = p.decoded()[-packets * 960:]
    mags = tone_magnitudes(pcm, sorted(set(TONES + expected + absent)))
    loudest_absent = max((mags[f] for f in absent), default=0.0)
    for f in expected:
        assert mags[f] > 200.0, f"{p.freq} Hz participant does not hear {f} Hz: {mags}"
        assert mags[f] > 10 * loudest_absent, f"{p.freq} Hz participant: {f} Hz not above absent tones {mags}"


@pytest.mark.parametrize("levels", [True, False], ids=["rfc6464-levels", "decoded-energy"])
def test_three_hear_the_others_not_themselves_then_fourth_joins_first_leaves(
    engine: uc_media.Engine, levels: bool
) -> None:
    conf = engine.create_conference(max_participants=8, top_k=3)
    people = [join(engine, conf, f, levels=levels) for f in TONES[:3]]
    events: list = []
    try:
        run(people, 60, engine, events)
        for p in people:
            assert p.errors == 0
            assert_hears(p, [f for f in TONES[:3] if f != p.freq], [p.freq, TONES[3]])
        talker_events = [e for e in events if isinstance(e, TalkersChanged)]
        assert talker_events and {leg.id for leg, _ in talker_events[-1].talkers if leg} == {p.leg.id for p in people}

        # A fourth joins mid-conference; the first leaves. Each remaining one hears the
        # other two talkers (top_k = 3) and never itself.
        fourth = join(engine, conf, TONES[3], levels=levels)
        people.append(fourth)
        first = people.pop(0)
        conf.remove_leg(first.leg)
        first.sending = False
        time.sleep(0.05)
        first.drain()  # what was already in flight before the removal
        first.received.clear()
        run(people + [first], 60, engine, events)
        present = [p.freq for p in people]
        for p in people:
            assert_hears(p, [f for f in present if f != p.freq], [p.freq, first.freq])
        assert not first.received  # a removed leg gets nothing more
        stats = conf.stats()
        assert stats.participants == 3
        assert stats.ticks > 100
    finally:
        for p in people:
            p.close()


def test_encode_once_per_distinct_mix(engine: uc_media.Engine) -> None:
    """Two talkers, three listeners: each tick encodes the shared mix once (one codec class)
    plus one N-1 mix per talker, not one mix per participant."""
    conf = engine.create_conference(max_participants=8, top_k=2)
    people = [join(engine, conf, f, levels=True) for f in (440.0, 660.0)]
    listeners = [join(engine, conf, 1000.0, levels=True) for _ in range(3)]
    for listener in listeners:
        listener.amplitude = 0.0  # digital silence: level 127, never a talker
    try:
        run(people + listeners, 50)
        stats = conf.stats()
        assert stats.classes == 1
        assert stats.talkers == 2
        # Per tick: at most 2 own encodes and 1 shared encode (5 participants).
        assert stats.own_encodes <= 2 * stats.ticks
        assert stats.shared_encodes <= stats.ticks
        assert stats.own_encodes + stats.shared_encodes < 5 * stats.ticks
        for listener in listeners:
            assert_hears(listener, [440.0, 660.0], [1000.0])
    finally:
        for p in people + listeners:
            p.close()


def test_naive_mode_mixes_the_same(engine: uc_media.Engine) -> None:
    conf = engine.create_conference(max_participants=8, naive=True)
    people = [join(engine, conf, f, levels=False) for f in TONES[:3]]
    try:
        run(people, 50)
        for p in people:
            assert_hears(p, [f for f in TONES[:3] if f != p.freq], [p.freq])
        stats = conf.stats()
        assert stats.shared_encodes == 0
        assert stats.own_encodes >= 3 * (stats.ticks - 5)
    finally:
        for p in people:
            p.close()


def test_stopped_participant_is_concealed_then_silenced(engine: uc_media.Engine) -> None:
    conf = engine.create_conference(max_participants=4, top_k=3)
    a, b = (join(engine, conf, f, levels=False) for f in (440.0, 660.0))
    try:
        run([a, b], 40)
        a.sending = False
        b.received.clear()
        run([a, b], 40)
        # The conference kept sending to b every tick while a was silent.
        assert len(b.received) >= 30
        tail = b.decoded(last_packets=15)
        assert np.abs(tail.astype(np.int32)).max() < 300  # silence after the concealment
        assert a.leg.stats().concealed_ticks >= 1
    finally:
        a.close()
        b.close()


def test_joins_and_leaves_do_not_glitch_the_others(engine: uc_media.Engine) -> None:
    """While a talks and b listens, c joins and leaves again and again: b's stream keeps
    every sequence number and its level."""
    conf = engine.create_conference(max_participants=8, top_k=3)
    a = join(engine, conf, 440.0, levels=True)
    b = join(engine, conf, 660.0, levels=True)
    b.amplitude = 0.0
    keys, send_key, recv_key = leg_keys()
    c_leg = engine.create_leg("opus", srtp=keys, audio_level_id=1)
    c = Participant(c_leg, 880.0, srtp=(send_key, recv_key), levels=True, amplitude=0.0)
    c_leg.set_remote(c.address)

    def churn(tick: int) -> None:
        if tick >= 24 and tick % 6 == 0:
            conf.add_leg(c_leg)
        elif tick >= 24 and tick % 6 == 3:
            conf.remove_leg(c_leg)

    try:
        run([a, b, c], 80, on_tick=churn)
        seqs = [s for s, _ in b.received]
        assert len(seqs) >= 70
        assert all((y - x) & 0xFFFF == 1 for x, y in zip(seqs, seqs[1:]))  # nothing skipped
        frames = [np.frombuffer(b.decoder.decode(p), dtype=np.int16).astype(np.float64) for _, p in b.received]
        rms = np.array([np.sqrt(np.mean(x**2)) for x in frames[20:-8]])
        assert np.median(rms) > 2000
        assert rms.min() > 0.6 * np.median(rms) and rms.max() < 1.4 * np.median(rms), rms.round()
    finally:
        for p in (a, b, c):
            p.close()
