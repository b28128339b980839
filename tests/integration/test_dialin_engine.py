"""The attendant's legs on a real engine (loopback sockets, no SIP): an offer answered in
no conference, a prompt played on the idle leg and a name recorded from it, then the
handover to the focus's room (EngineRoom.adopt): the same leg, port and SSRC in the mix,
a later re-offer answered on it, and a leg adopted into the lobby kept out of the mix."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import uc_media
from uc_media import LocalCapabilities, PlaybackFinished, RecordingFinished, build_offer
from uc_media.engine_sdp import configure_leg
from uc_media.offer_answer import process_answer
from uc_signal.conferencing.prompts import Prompt
from uc_signal.dialin.engine_media import DetachedLeg, EngineAttendantMedia
from uc_signal.focus import OfferRejected, RoomFull
from uc_signal.focus.engine_media import EngineLeg, EngineRooms

WAIT = 10.0


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(45000, 45999)) as running:
        yield running


def caller(engine: uc_media.Engine) -> tuple[uc_media.Leg, bytes, object]:
    leg = engine.create_leg("opus")
    offer = build_offer(LocalCapabilities(address="127.0.0.1", port=leg.local_port))
    return leg, bytes(offer), offer


def events(engine: uc_media.Engine, kind: type, count: int = 1) -> list[object]:
    seen: list[object] = []
    deadline = time.monotonic() + WAIT
    while len(seen) < count and time.monotonic() < deadline:
        seen += [e for e in engine.poll_events() if isinstance(e, kind)]
        time.sleep(0.02)
    assert len(seen) >= count, f"no {kind.__name__}"
    return seen


def test_an_attendant_leg_plays_records_and_is_adopted_into_the_mix(engine: uc_media.Engine) -> None:
    rooms = EngineRooms(engine, max_participants=2)
    media = EngineAttendantMedia(rooms)
    phone, offer_bytes, offer = caller(engine)
    leg, answer = media.answer(offer_bytes)
    assert isinstance(leg, DetachedLeg)
    configure_leg(phone, process_answer(offer, answer))  # type: ignore[arg-type]
    port, ssrc = leg.leg.local_port, leg.leg.ssrc
    assert f"m=audio {port} ".encode() in answer and b"telephone-event/" in answer
    leg.play([Prompt.BEEP], token=7)
    [finished] = events(engine, PlaybackFinished)
    assert (finished.id, finished.reason) == (7, "completed")        # type: ignore[attr-defined]
    leg.record(0.2, token=8)                                         # the buffer fills: completed
    [recorded] = events(engine, RecordingFinished)
    assert (recorded.id, recorded.reason, recorded.samples) == (8, "completed", 3200)  # type: ignore[attr-defined]
    assert len(leg.recorded(3200)) == 6400

    room = rooms.open_room(lambda talkers: None)
    adopted = room.adopt(leg.handover())
    assert isinstance(adopted, EngineLeg) and adopted.leg is leg.leg and leg.adopted is adopted
    assert room.conference.legs == (leg.leg,) and leg.leg.ssrc == ssrc
    leg.close()                                                      # the focus owns it now
    assert not leg.leg.closed
    held = adopted.reanswer(offer_bytes.replace(b"a=sendrecv", b"a=sendonly").replace(b" 1 IN IP4", b" 2 IN IP4"))
    assert f"m=audio {port} ".encode() in held and b"a=recvonly" in held and f"o=- {leg.session_id} 2 IN IP4".encode() in held
    leg.announce(leg.recorded(1600))                                 # a name into the whole mix
    assert [e.source for e in events(engine, PlaybackFinished)] == [room.conference]  # type: ignore[attr-defined]

    second, _ = media.answer(caller(engine)[1])
    lobby = room.adopt(second.handover(), lobby=True)
    assert lobby.in_lobby and room.conference.legs == (leg.leg,)
    third, _ = media.answer(caller(engine)[1])
    with pytest.raises(RoomFull):
        room.adopt(third.handover())
    third.close()
    assert third.leg.closed                                          # not adopted: closed here
    with pytest.raises(OfferRejected) as rejected:
        media.answer(b"v=0\r\nnot sdp\r\n")
    assert rejected.value.status == 400
    room.close()
    assert leg.leg.closed
