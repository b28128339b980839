"""Prompts, tones, recordings and DTMF clocks through the Python API on loopback.

Peers are plain Python (tests/integration/engine_participant.py): what a leg sends them is
decoded and checked by FFT and per-frame energy.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import uc_media
from uc_media import (
    Clip,
    DtmfReceived,
    LevelReport,
    PlaybackFinished,
    RecordingFinished,
    tone_clip,
)

from engine_participant import Participant, leg_keys, run, tone_magnitudes


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(47000, 47499), tick_ms=20) as e:
        yield e


def peer(engine: uc_media.Engine, freq: float, *, srtp: bool = True, sending: bool = True,
         amplitude: float = 8000.0, **leg_options: object) -> Participant:
    keys, send_key, recv_key = leg_keys()
    leg = engine.create_leg("opus", srtp=keys if srtp else None, **leg_options)  # type: ignore[arg-type]
    p = Participant(leg, freq, srtp=(send_key, recv_key) if srtp else None, amplitude=amplitude)
    p.sending = sending
    leg.set_remote(p.address)
    return p


def sine(freq: float, seconds: float, rate: int, amplitude: float = 8000.0) -> array:
    n = np.arange(int(seconds * rate))
    return array("h", (amplitude * np.sin(2 * np.pi * freq * n / rate)).astype(np.int16).tobytes())


def frame_energy(pcm: np.ndarray, frame: int = 960) -> np.ndarray:
    """RMS of each 20 ms frame."""
    n = len(pcm) // frame
    return np.sqrt((pcm[: n * frame].astype(np.float64).reshape(n, frame) ** 2).mean(axis=1))


def finished(events: list, cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]


def test_prompt_to_one_leg_and_tone_to_the_whole_conference(engine: uc_media.Engine) -> None:
    conf = engine.create_conference(top_k=3)
    people = [peer(engine, f) for f in (440.0, 660.0, 880.0)]
    for p in people:
        conf.add_leg(p.leg)
    events: list = []
    prompt = Clip(sine(1500.0, 0.8, 16000), 16000)
    tone = tone_clip([2000.0], 800, level_dbov=-12.0)
    try:
        run(people, 10, engine, events)
        people[0].leg.play(prompt, id=11)
        for p in people:
            p.received.clear()
            p.received_pt.clear()
        run(people, 50, engine, events)
        heard = [tone_magnitudes(p.decoded(last_packets=45), [440.0, 660.0, 1500.0]) for p in people]
        assert heard[0][1500.0] > 300, heard[0]  # only the first caller hears its prompt,
        assert heard[1][1500.0] < 20 and heard[2][1500.0] < 20, heard  # the others do not
        assert heard[0][660.0] > 200  # over the conference, which it still hears
        ends = finished(events, PlaybackFinished)
        assert [(e.source, e.id, e.reason, e.samples) for e in ends] == [(people[0].leg, 11, "completed", len(prompt))]

        conf.play(tone, id=12)
        for p in people:
            p.received.clear()
            p.received_pt.clear()
        run(people, 50, engine, events)
        for p in people:  # talkers and listeners alike hear the conference tone
            mags = tone_magnitudes(p.decoded(last_packets=45), [2000.0, p.freq])
            assert mags[2000.0] > 300, (p.freq, mags)
            assert mags[p.freq] < 50, (p.freq, mags)  # still an N-1 mix
        ends = finished(events, PlaybackFinished)
        assert (ends[-1].source, ends[-1].id, ends[-1].reason) == (conf, 12, "completed")
        assert conf.stop_playback() is False  # already over
    finally:
        for p in people:
            p.close()


def test_lone_talker_hears_the_conference_tone(engine: uc_media.Engine) -> None:
    """A lone talker is normally sent a prepared frame of digital silence: not while a
    conference-wide clip plays."""
    conf = engine.create_conference(top_k=3)
    talker = peer(engine, 440.0)
    conf.add_leg(talker.leg)
    try:
        run([talker], 10)
        conf.play(tone_clip([1800.0], 1000), id=1)
        talker.received.clear()
        talker.received_pt.clear()
        run([talker], 40)
        mags = tone_magnitudes(talker.decoded(last_packets=35), [1800.0, 440.0])
        assert mags[1800.0] > 300 and mags[440.0] < 50, mags
    finally:
        talker.close()


def test_leg_without_conference_plays_a_loop_until_stopped(engine: uc_media.Engine) -> None:
    """The auto-attendant / lobby case: a leg in no conference sends its clip itself."""
    caller = peer(engine, 0.0, srtp=False, sending=False)
    # 200 ms of 1 kHz, then 200 ms of silence: a cadence whose repetition is visible.
    clip = tone_clip([1000.0], 200, 200, level_dbov=-10.0)
    events: list = []
    try:
        run([caller], 3, engine, events)
        assert not caller.received  # an idle leg sends nothing
        caller.leg.play(clip, id=5, loop=True)
        run([caller], 60, engine, events)
        energy = frame_energy(caller.decoded())
        on = energy > 1000
        bursts = int(np.count_nonzero(on[1:] & ~on[:-1])) + int(on[0])
        assert bursts >= 3, energy.round()  # 1.2 s of a 400 ms cadence: it repeats
        assert int(np.count_nonzero(~on)) >= 15  # with its silences
        mags = tone_magnitudes(caller.decoded(), [1000.0, 2000.0])
        assert mags[1000.0] > 300 and mags[2000.0] < 30, mags
        assert not finished(events, PlaybackFinished)  # a loop never ends by itself

        assert caller.leg.stop_playback() is True
        assert caller.leg.stop_playback() is False
        run([caller], 3, engine, events)
        (end,) = finished(events, PlaybackFinished)
        assert (end.source, end.id, end.reason) == (caller.leg, 5, "stopped")
        assert end.samples > 2 * len(clip)
        caller.drain()
        sent = caller.leg.stats().packets_sent
        run([caller], 10, engine, events)
        assert caller.leg.stats().packets_sent == sent  # stopped: the leg is quiet again
        # The first packet of a new clip starts a talkspurt (RFC 3551 4.1: marker bit).
        caller.received.clear()
        caller.leg.play(clip, id=6)
        replaced = Clip(sine(700.0, 0.2, 8000), 8000)
        run([caller], 5, engine, events)
        caller.leg.play(replaced, id=7)
        run([caller], 20, engine, events)
        ends = [(e.id, e.reason) for e in finished(events, PlaybackFinished)]
        assert ends[-2:] == [(6, "replaced"), (7, "completed")]
    finally:
        caller.close()


def test_played_clip_needs_no_reference_and_ids_are_uint32(engine: uc_media.Engine) -> None:
    caller = peer(engine, 0.0, srtp=False, sending=False)
    try:
        with pytest.raises(uc_media.InvalidArgumentError, match="id"):
            caller.leg.play(Clip(sine(900.0, 0.1, 8000), 8000), id=2**32)
        caller.leg.play(Clip(sine(900.0, 0.4, 48000), 48000), id=2**32 - 1)  # no reference kept here
        events: list = []
        run([caller], 30, engine, events)
        mags = tone_magnitudes(caller.decoded(), [900.0])
        assert mags[900.0] > 300, mags
        assert [(e.id, e.reason) for e in finished(events, PlaybackFinished)] == [(2**32 - 1, "completed")]
    finally:
        caller.close()


def test_record_what_the_peer_sends_then_play_it_to_the_conference(engine: uc_media.Engine) -> None:
    caller = peer(engine, 700.0)  # in the lobby: no conference yet
    buf = array("h", bytes(2 * 16000))  # one second at 16 kHz
    events: list = []
    try:
        caller.leg.record(buf, rate=16000, id=9)
        with pytest.raises(uc_media.StateError):
            caller.leg.record(array("h", bytes(200)))  # one recording at a time
        run([caller], 70, engine, events)
        (end,) = finished(events, RecordingFinished)
        assert (end.leg, end.id, end.reason, end.samples) == (caller.leg, 9, "completed", 16000)
        recorded = np.frombuffer(buf, dtype=np.int16)
        mags = tone_magnitudes(recorded[4000:], [700.0, 440.0], rate=16000)
        assert mags[700.0] > 1000 and mags[440.0] < 30, mags
        assert caller.leg.stop_recording() is None  # it already ended

        # The recorded name is announced to a conference.
        conf = engine.create_conference()
        listeners = [peer(engine, f, amplitude=0.0) for f in (440.0, 660.0)]
        for p in listeners:
            conf.add_leg(p.leg)
        conf.play(Clip(buf, 16000), id=10)
        run(listeners, 45, engine, events)
        for p in listeners:
            assert tone_magnitudes(p.decoded(last_packets=40), [700.0])[700.0] > 300
    finally:
        caller.close()


def test_record_a_muted_leg_in_a_conference_and_stop_early(engine: uc_media.Engine) -> None:
    conf = engine.create_conference()
    a, b = peer(engine, 620.0), peer(engine, 440.0)
    conf.add_leg(a.leg)
    conf.add_leg(b.leg)
    a.leg.muted = True  # mute is about what others hear; the recording takes what a sends
    buf = np.zeros(48000 * 3, dtype=np.int16)
    events: list = []
    try:
        a.leg.record(buf, rate=48000, id=3)
        run([a, b], 40, engine, events)
        n = a.leg.stop_recording()
        assert n is not None and 30000 <= n <= 48000 * 3
        run([a, b], 2, engine, events)
        (end,) = finished(events, RecordingFinished)
        assert (end.id, end.reason, end.samples) == (3, "stopped", n)
        mags = tone_magnitudes(buf[9600:n], [620.0, 440.0])
        assert mags[620.0] > 1000 and mags[440.0] < 30, mags
        assert not buf[n:].any()
        with pytest.raises(uc_media.InvalidArgumentError):
            a.leg.record(b"\0" * 100)  # read-only
        with pytest.raises(uc_media.InvalidArgumentError):
            a.leg.record(array("h", bytes(100)), rate=44100)  # type: ignore[arg-type]
    finally:
        a.close()
        b.close()


def test_muted_leg_is_not_mixed_and_its_level_events_go_on(engine: uc_media.Engine) -> None:
    conf = engine.create_conference(level_event_ticks=5)
    a, b, c = peer(engine, 440.0), peer(engine, 660.0), peer(engine, 880.0, amplitude=0.0)
    for p in (a, b, c):
        conf.add_leg(p.leg)
    a.leg.muted = True
    events: list = []
    try:
        run([a, b, c], 50, engine, events)
        for listener in (b, c):
            mags = tone_magnitudes(listener.decoded(last_packets=40), [440.0, 660.0])
            assert mags[440.0] < 20, mags  # the muted leg is in no one's mix
        assert tone_magnitudes(c.decoded(last_packets=40), [660.0])[660.0] > 200
        levels = [e.level for e in events if isinstance(e, LevelReport) and e.leg is a.leg]
        assert len(levels) >= 5
        # Its own level, not the silence the mixer sees: -20 dBov or louder for 8000 peak.
        # A report may fall in a window where the loaded machine delayed the peer's
        # packets (nothing decoded then reads as silence), so most reports, not all.
        loud = [level for level in levels[2:] if level < 30]
        assert len(loud) >= 0.8 * len(levels[2:]), levels
        silent = [e.level for e in events if isinstance(e, LevelReport) and e.leg is c.leg]
        assert min(silent[2:]) >= 100, silent
    finally:
        for p in (a, b, c):
            p.close()


def dtmf_packet(p: Participant, event: int, duration: int, end: bool, marker: bool, ts: int, pt: int) -> bytes:
    payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
    saved = p.ts
    p.ts = ts
    packet = p.rtp(payload, pt=pt, marker=marker)
    p.ts = saved
    return p.tx.protect(packet) if p.tx else packet


def paced_event(p: Participant, event: int, units_per_tick: int, ticks: int) -> Callable[[int], None]:
    """An on_tick for run(): the event's packets one per tick, as a real sender paces them,
    its duration growing by units_per_tick; the end packet three times."""
    start = p.ts

    def on_tick(i: int) -> None:
        if i < ticks:
            p.send_raw(dtmf_packet(p, event, (i + 1) * units_per_tick, False, i == 0, start, 101))
        elif i == ticks:
            for _ in range(3):
                p.send_raw(dtmf_packet(p, event, ticks * units_per_tick, True, False, start, 101))
    return on_tick


def test_telephone_event_durations_in_the_audio_clock_are_recognised(engine: uc_media.Engine) -> None:
    """baresip 1.0 offers telephone-event/8000 beside opus/48000 but counts durations in
    48 kHz units; one that counts in 8 kHz, as its SDP says, is read as such."""
    conf = engine.create_conference()
    honest = peer(engine, 440.0, dtmf_clock_rate=8000)
    baresip = peer(engine, 660.0, dtmf_clock_rate=8000)
    for p in (honest, baresip):
        conf.add_leg(p.leg)
    events: list = []
    try:
        run([honest, baresip], 3, engine, events)
        run([honest], 10, engine, events, on_tick=paced_event(honest, 1, 160, 6))
        run([baresip], 10, engine, events, on_tick=paced_event(baresip, 2, 960, 6))
        run([baresip], 10, engine, events, on_tick=paced_event(baresip, 3, 960, 4))
        digits = [(e.leg, e.digit, e.duration_ms) for e in events if isinstance(e, DtmfReceived)]
        assert digits == [(honest.leg, "1", 120), (baresip.leg, "2", 120), (baresip.leg, "3", 80)]
    finally:
        honest.close()
        baresip.close()


def test_opus_with_telephone_event_8000_both_ways(engine: uc_media.Engine) -> None:
    """What baresip and linphone offer: opus/48000 with telephone-event/8000. Durations
    count in the event's 8 kHz clock; timestamps stay in the audio's 48 kHz base."""
    conf = engine.create_conference()
    a = peer(engine, 440.0, dtmf_payload_type=101, dtmf_clock_rate=8000)
    b = peer(engine, 660.0)
    conf.add_leg(a.leg)
    conf.add_leg(b.leg)
    assert a.leg.dtmf_clock_rate == 8000
    events: list = []
    try:
        run([a, b], 5, engine, events)
        ts = a.ts
        for i, (duration, end) in enumerate([(160, False), (480, False), (960, True), (960, True), (960, True)]):
            a.send_raw(dtmf_packet(a, 7, duration, end, i == 0, ts, 101))
        a.leg.send_dtmf("4", duration_ms=120)
        run([a, b], 20, engine, events)
        digits = [(e.leg, e.digit, e.duration_ms) for e in events if isinstance(e, DtmfReceived)]
        assert digits == [(a.leg, "7", 120)]  # 960 / 8000 s, not 960 / 48000 s

        sent = [(struct.unpack("!BBH", payload[:4]), ts_)
                for (_, payload), pt, ts_ in zip(a.received, a.received_pt, a.received_ts) if pt == 101]
        assert {event for (event, _, _), _ in sent} == {4}
        durations = [d for (_, _, d), _ in sent]
        assert durations[:3] == [160, 320, 480]  # one 20 ms tick = 160 units of 8 kHz
        assert [d for (_, flags, d), _ in sent if flags & 0x80] == [960, 960, 960]
        # The event's timestamp is one of the audio stream's (48 kHz, 960 a tick).
        event_ts = sent[0][1]
        audio_ts = [t for pt, t in zip(a.received_pt, a.received_ts) if pt == 111]
        assert all((event_ts - t) % 960 == 0 for t in audio_ts[:5])
        assert len({t for _, t in sent}) == 1
        with pytest.raises(uc_media.InvalidArgumentError):
            engine.create_leg("opus", dtmf_clock_rate=8500)
        with pytest.raises(uc_media.InvalidArgumentError):
            a.leg.set_codec("opus", dtmf_clock_rate=4000)
    finally:
        a.close()
        b.close()


BARESIP_OFFER = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 96 0 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
)


def test_sdp_offer_with_telephone_event_8000_gives_a_leg_that_reports_digits(engine: uc_media.Engine) -> None:
    conf = engine.create_conference()
    sender = Participant(engine.create_leg("opus"), 440.0, srtp=None)  # only its socket is used
    sender.pt = 96
    events: list = []
    try:
        leg, answer = conf.add_leg(BARESIP_OFFER.format(port=sender.address[1]), ice=False)
        assert (leg.codec, leg.dtmf_payload_type, leg.dtmf_clock_rate) == ("opus", 101, 8000)
        assert "a=rtpmap:101 telephone-event/8000" in str(answer.sdp)
        sender.leg = leg
        run([sender], 5, engine, events)
        for i, end in enumerate([False, True, True, True]):
            sender.send_raw(dtmf_packet(sender, 11, 800 if end else 160, end, i == 0, sender.ts, 101))
        run([sender], 5, engine, events)
        assert [(e.digit, e.duration_ms) for e in events if isinstance(e, DtmfReceived)] == [("#", 100)]
    finally:
        sender.close()


def test_bridge_ends_playback_and_refuses_clips(engine: uc_media.Engine) -> None:
    a, b = peer(engine, 440.0), peer(engine, 660.0)
    events: list = []
    try:
        a.leg.play(tone_clip([1000.0], 500), id=1, loop=True)
        a.leg.record(array("h", bytes(20000)), id=2)
        bridge = engine.create_bridge(a.leg, b.leg, "relay")
        run([a, b], 3, engine, events)
        assert sorted((type(e).__name__, e.id, e.reason) for e in events
                      if isinstance(e, (PlaybackFinished, RecordingFinished))) == [
            ("PlaybackFinished", 1, "stopped"), ("RecordingFinished", 2, "stopped")]
        with pytest.raises(uc_media.StateError):
            a.leg.play(tone_clip([1000.0], 100))
        with pytest.raises(uc_media.StateError):
            a.leg.record(array("h", bytes(200)))
        with pytest.raises(uc_media.InvalidArgumentError):
            b.leg.play(tone_clip([1000.0], 100), id=-1)
        bridge.close()
        b.leg.play(tone_clip([1000.0], 100), id=3)  # out of the bridge: fine again
    finally:
        a.close()
        b.close()


def test_closing_a_playing_leg_and_conference(engine: uc_media.Engine) -> None:
    conf = engine.create_conference()
    a = peer(engine, 440.0)
    conf.add_leg(a.leg)
    conf.play(tone_clip([1000.0], 500), loop=True)
    a.leg.play(tone_clip([1200.0], 500), loop=True)
    a.leg.record(array("h", bytes(96000)))
    run([a], 3)
    a.leg.close()
    conf.close()
    a.close()
    engine.poll_events()
