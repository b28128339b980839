"""The focus's media rooms on a real engine (sockets on loopback, no SIP): an offer
answered into the conference, a re-offer on the same leg (hold, resume, a codec change,
the SRTP key kept), a late offer joined by its answer, a full room, an unusable offer
leaving nothing, and the engine's TalkersChanged mapped back to the room's legs."""

from __future__ import annotations

import re
import time
from array import array
from collections.abc import Iterator

import pytest

import uc_media
from uc_media import LocalCapabilities, TalkersChanged, negotiate_answer
from uc_signal.focus import OfferRejected, RoomFull
from uc_signal.focus.engine_media import EngineLeg, EngineRoom, EngineRooms
from uc_signal.focus.media import MediaLeg


def offer(port: int = 40002, *, codec: str = "opus", direction: str = "sendrecv", crypto: bool = False) -> bytes:
    formats = {"opus": ("111", "a=rtpmap:111 opus/48000/2\r\n"), "pcmu": ("0", "a=rtpmap:0 PCMU/8000\r\n"),
               "g729": ("18", "a=rtpmap:18 G729/8000\r\n")}[codec]
    proto = "RTP/SAVP" if crypto else "RTP/AVP"
    key = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n" if crypto else ""
    return (f"v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} {proto} {formats[0]}\r\n{formats[1]}a={direction}\r\n{key}").encode()


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(47000, 47999)) as running:
        yield running


def room_of(engine: uc_media.Engine, seen: list[tuple[tuple[MediaLeg, int], ...]],
            max_participants: int = 250) -> tuple[EngineRooms, EngineRoom]:
    rooms = EngineRooms(engine, max_participants=max_participants)
    return rooms, rooms.open_room(seen.append)


def test_an_offer_is_answered_into_the_conference_and_reoffers_stay_on_the_leg(engine: uc_media.Engine) -> None:
    _, room = room_of(engine, [])
    leg, answer = room.answer(offer(crypto=True))
    assert isinstance(leg, EngineLeg)
    port = leg.leg.local_port
    assert f"m=audio {port} RTP/SAVP 111".encode() in answer
    assert room.conference.legs == (leg.leg,) and leg.direction == "sendrecv"
    key = re.search(rb"a=crypto:1 \S+ inline:(\S+)", answer)
    assert key is not None

    held = leg.reanswer(offer(direction="sendonly", crypto=True))
    assert b"a=recvonly" in held and leg.direction == "recvonly"
    assert f"m=audio {port} ".encode() in held and b"o=- " in held and b" 2 IN IP4" in held
    assert key.group(1) in held                      # RFC 4568 7.1.4: our key kept
    assert room.conference.legs == (leg.leg,)
    resumed = leg.reanswer(offer(direction="sendrecv", crypto=True))
    assert b"a=sendrecv" in resumed and leg.direction == "sendrecv"

    leg.muted = True
    changed = leg.reanswer(offer(codec="pcmu"))     # a codec change: out of the mix and back
    assert b"RTP/AVP 0" in changed and leg.leg.codec == "pcmu"
    assert room.conference.legs == (leg.leg,) and leg.muted
    with pytest.raises(OfferRejected) as rejected:
        leg.reanswer(offer(codec="g729"))
    assert rejected.value.status == 488 and leg.leg.codec == "pcmu" and not leg.leg.closed


def test_a_late_offer_joins_when_the_answer_comes(engine: uc_media.Engine) -> None:
    _, room = room_of(engine, [])
    leg, ours = room.offer()
    assert isinstance(leg, EngineLeg)
    assert room.conference.legs == ()
    answer = negotiate_answer(ours, LocalCapabilities(address="127.0.0.1", port=40010))
    leg.accept_answer(bytes(answer))
    assert room.conference.legs == (leg.leg,)
    with pytest.raises(OfferRejected):
        leg.accept_answer(bytes(answer))            # no offer of ours waits any more


def test_an_unusable_offer_leaves_no_leg_and_a_full_room_refuses(engine: uc_media.Engine) -> None:
    rooms, room = room_of(engine, [], max_participants=2)
    with pytest.raises(OfferRejected) as rejected:
        room.answer(offer(codec="g729"))
    assert rejected.value.status == 488 and "no common codec" in str(rejected.value)
    with pytest.raises(OfferRejected) as malformed:
        room.answer(b"v=0\r\nthis is not SDP\r\n")
    assert malformed.value.status == 400
    with pytest.raises(OfferRejected) as host_name:      # c= must be an address for the engine
        room.answer(offer(40002).replace(b"c=IN IP4 127.0.0.1", b"c=IN IP4 host.example"))
    assert host_name.value.status == 488 and "host.example" in str(host_name.value)
    assert room.legs == {} and room.conference.legs == ()
    first, _ = room.answer(offer(40002))
    second, _ = room.answer(offer(40004))
    # Each participant its own media: socket, SSRC.
    assert isinstance(first, EngineLeg) and isinstance(second, EngineLeg)
    assert first.leg.local_port != second.leg.local_port and first.leg.ssrc != second.leg.ssrc
    with pytest.raises(RoomFull):
        room.answer(offer(40006))
    assert len(room.conference.legs) == 2
    room.close()
    assert rooms.rooms == {} and room.legs == {}


def test_an_announcement_plays_into_the_mix(engine: uc_media.Engine) -> None:
    chime = uc_media.Clip(array("h", [8000, -8000] * 800), 16000)     # 0.1 s
    rooms = EngineRooms(engine, announcements={"entry": chime})
    room = rooms.open_room(lambda talkers: None)
    room.answer(offer(40002))
    room.announce("entry")
    room.announce("exit")            # no clip for it: nothing
    deadline = time.monotonic() + 10
    finished: list[uc_media.PlaybackFinished] = []
    while not finished and time.monotonic() < deadline:
        finished = [e for e in engine.poll_events() if isinstance(e, uc_media.PlaybackFinished)]
        time.sleep(0.02)
    assert [(e.reason, e.source.id if e.source is not None else None) for e in finished] == [
        ("completed", room.conference.id)]


def test_a_lobby_leg_hears_the_music_out_of_the_mix_until_admitted(engine: uc_media.Engine) -> None:
    music = uc_media.Clip(array("h", [4000, -4000] * 8000), 16000)     # 1 s, looped
    rooms = EngineRooms(engine, lobby_music=music)
    room = rooms.open_room(lambda talkers: None)
    member, _ = room.answer(offer(40002))
    waiting, answer = room.answer(offer(40004), lobby=True)
    assert isinstance(member, EngineLeg) and isinstance(waiting, EngineLeg)
    assert b"m=audio" in answer and waiting.in_lobby and not member.in_lobby
    assert room.conference.legs == (member.leg,)
    waiting.admit()
    assert not waiting.in_lobby and set(room.conference.legs) == {member.leg, waiting.leg}
    stopped = []
    deadline = time.monotonic() + 10
    while not stopped and time.monotonic() < deadline:   # the music ends with the admission
        stopped = [e for e in engine.poll_events() if isinstance(e, uc_media.PlaybackFinished)]
        time.sleep(0.02)
    assert [e.reason for e in stopped] == ["stopped"]


def test_talker_events_reach_the_room_as_its_legs(engine: uc_media.Engine) -> None:
    seen: list[tuple[tuple[MediaLeg, int], ...]] = []
    rooms, room = room_of(engine, seen)
    first, _ = room.answer(offer(40002))
    second, _ = room.answer(offer(40004))
    assert isinstance(first, EngineLeg) and isinstance(second, EngineLeg)
    rooms.handle_event(TalkersChanged(room.conference, ((second.leg, 12), (first.leg, 30), (None, 5))))
    assert seen == [((second, 12), (first, 30))]
    other = rooms.open_room(seen.append)
    rooms.handle_event(TalkersChanged(other.conference, ()))
    assert seen[-1] == ()
    first.close()
    assert room.conference.legs == (second.leg,) and first.leg.closed
