"""The lobby notice on a real engine (sockets on loopback, no SIP): a leg answered into the
lobby hears the notice once, then the lobby music in a loop (the music starts when the
engine reports the notice played out); a leg admitted while the notice plays gets no
music. A second engine leg is the phone and records what it hears (FFT per segment)."""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Iterator

import numpy as np
import pytest

import uc_media
from uc_media import Clip, LocalCapabilities, build_offer
from uc_media.engine_sdp import configure_leg
from uc_media.offer_answer import process_answer
from uc_signal.conferencing.prompts import Prompt, load_prompt
from uc_signal.focus.engine_media import EngineLeg, EngineRooms
from uc_signal.ucd.media_engine import lobby_notice

RATE = 16000
NOTICE_HZ, MUSIC_HZ = 1000, 500


def tone(hz: int, seconds: float) -> Clip:
    count = int(RATE * seconds)
    return Clip(array("h", (int(8000 * math.sin(2 * math.pi * hz * i / RATE)) for i in range(count))), RATE)


def dominant(samples: np.ndarray) -> int:
    window = samples * np.hanning(len(samples))
    power = np.abs(np.fft.rfft(window)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / RATE)
    band = (freqs > 100) & (freqs < 4000)
    return int(round(freqs[band][np.argmax(power[band])]))


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(47500, 47999)) as running:
        yield running


def phone_into_lobby(engine: uc_media.Engine, rooms: EngineRooms) -> tuple[uc_media.Leg, EngineLeg]:
    phone = engine.create_leg("opus")
    offer = build_offer(LocalCapabilities(address="127.0.0.1", port=phone.local_port))
    room = rooms.open_room(lambda talkers: None)
    leg, answer = room.answer(bytes(offer), lobby=True)
    assert isinstance(leg, EngineLeg) and leg.in_lobby and room.conference.legs == ()
    configure_leg(phone, process_answer(offer, answer))
    return phone, leg


def pump(engine: uc_media.Engine, rooms: EngineRooms, seconds: float) -> None:
    """Hand the engine's events to the rooms for `seconds`, as ucd's media task does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for event in engine.poll_events():
            rooms.handle_event(event)
        time.sleep(0.01)


def test_a_waiting_leg_hears_the_notice_then_the_music(engine: uc_media.Engine) -> None:
    rooms = EngineRooms(engine, address="127.0.0.1", lobby_notice=tone(NOTICE_HZ, 0.8),
                        lobby_music=tone(MUSIC_HZ, 0.5))
    heard = array("h", bytes(2 * RATE * 4))
    phone, leg = phone_into_lobby(engine, rooms)
    phone.record(heard, rate=RATE)
    pump(engine, rooms, 2.5)
    samples = phone.stop_recording() or 0
    assert samples > RATE * 2
    audio = np.frombuffer(heard, dtype=np.int16)[:samples].astype(np.float64)
    loud = np.flatnonzero(np.abs(audio) > 2000)
    assert loud.size, "the phone heard nothing"
    start = int(loud[0])                                  # the first packets reached the phone
    # The notice first (0.8 s), then the music, looping past its own 0.5 s length.
    assert abs(dominant(audio[start + RATE // 10:start + RATE // 2]) - NOTICE_HZ) <= 10
    assert abs(dominant(audio[start + RATE:start + RATE + RATE // 3]) - MUSIC_HZ) <= 10
    assert abs(dominant(audio[start + int(1.5 * RATE):start + int(1.5 * RATE) + RATE // 3]) - MUSIC_HZ) <= 10
    assert rooms.noticing == {}
    leg.close()
    phone.close()


def test_a_leg_admitted_during_the_notice_gets_no_music(engine: uc_media.Engine) -> None:
    rooms = EngineRooms(engine, address="127.0.0.1", lobby_notice=tone(NOTICE_HZ, 1.5),
                        lobby_music=tone(MUSIC_HZ, 0.5))
    phone, leg = phone_into_lobby(engine, rooms)
    pump(engine, rooms, 0.3)
    leg.admit()                                           # stops the notice: "stopped", not "completed"
    assert leg.leg in leg.room.conference.legs
    heard = array("h", bytes(2 * RATE * 3))
    phone.record(heard, rate=RATE)
    pump(engine, rooms, 2.0)
    samples = phone.stop_recording() or 0
    # Past what was in flight (the phone's jitter buffer): the mix is empty, neither the
    # notice nor music.
    audio = np.frombuffer(heard, dtype=np.int16)[RATE // 2:samples].astype(np.float64)
    assert audio.size > RATE and float(np.sqrt(np.mean(audio ** 2))) < 100.0
    assert rooms.noticing == {}
    leg.close()
    phone.close()


def test_ucd_plays_the_shipped_lobby_wait_prompt() -> None:
    clip = lobby_notice()
    assert clip.samples == len(load_prompt(Prompt.LOBBY_WAIT).samples) * 3   # 16 kHz in, 48 kHz kept
    assert 1.0 < clip.duration_ms / 1000 < 5.0
