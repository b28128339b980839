"""The focus's media on the engine: a room is an `AudioConference`, a participant a `Leg`.

Offer/answer runs here (uc_media.offer_answer) because a re-offer must be answered on the
same leg, with the same port, ICE credentials and SRTP key (RFC 3264 section 8, RFC 4568
7.1.4); `uc_media.engine_sdp.join_from_offer` covers only the first offer. Events come
from the engine's queue (`handle_event`, fed by the daemon's asyncio task); a
TalkersChanged goes to the room whose conference it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from uc_media import (AudioConference, Clip, Engine, IceCredentials, LocalCapabilities, MediaError, NegotiationError,
                      PlaybackFinished, SdpError, TalkersChanged, build_offer, negotiate_answer)
from uc_media._core import Leg
from uc_media.audio_session import NegotiatedAudio
from uc_media.engine import Event
from uc_media.engine_sdp import configure_leg
from uc_media.offer_answer import Offer, process_answer

from .media import Announcement, MediaLeg, OfferRejected, RoomFull, TalkersCallback


# The play() id of the lobby notice, told apart from other clips in the engine's
# PlaybackFinished (the dial-in attendant numbers its prompts from 1).
LOBBY_NOTICE_ID = 0x4C4F4242

# What an unusable offer or answer raises: malformed SDP, no agreement, or an agreement the
# engine cannot take (a c= host name instead of an address, ValueError; an engine refusal).
UNUSABLE = (SdpError, NegotiationError, MediaError, ValueError)


def _rejected(error: Exception) -> OfferRejected:
    if isinstance(error, SdpError):
        return OfferRejected(400, f"malformed SDP: {error}")
    return OfferRejected(488, str(error))


@dataclass(eq=False)
class EngineLeg:
    room: EngineRoom
    leg: Leg
    capabilities: LocalCapabilities
    audio: NegotiatedAudio | None = None     # None until the answer to our offer arrives
    pending_offer: Offer | None = None
    session_id: int = 0
    version: int = 1
    joined: bool = False                     # in the conference's mix
    lobby: bool = False                      # held out of the mix, hearing the lobby music
    noticed: bool = False                    # the lobby notice was started (once per leg)

    @property
    def muted(self) -> bool:
        return self.leg.muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self.leg.muted = value

    @property
    def direction(self) -> str:
        return self.leg.direction

    @property
    def in_lobby(self) -> bool:
        return self.lobby

    def enter_lobby(self) -> None:
        """What a waiting caller hears: the lobby notice ("please wait, the presenter will
        let you in shortly") once, then the music in a loop. The engine has one player
        per leg, so the music starts when the notice's PlaybackFinished comes back
        (`EngineRooms.handle_event`)."""
        rooms = self.room.rooms
        if rooms.lobby_notice is not None and not self.noticed:
            self.noticed = True
            rooms.noticing[self.leg.id] = self
            self.leg.play(rooms.lobby_notice, id=LOBBY_NOTICE_ID)
            return
        self.play_music()

    def play_music(self) -> None:
        music = self.room.rooms.lobby_music
        if music is not None and self.lobby and not self.leg.closed:
            self.leg.play(music, loop=True)

    def play_notice(self, notice: str) -> float:
        clip = self.room.rooms.notices.get(notice)
        if clip is None or self.audio is None:
            return 0.0
        self.leg.play(clip)   # replaces the lobby music on a waiting leg
        return clip.duration_ms / 1000

    def admit(self) -> None:
        if not self.lobby:
            return
        self.lobby = False
        self.leg.stop_playback()
        if self.audio is not None:       # configured: join now (else when the answer comes)
            self.room.conference.add_leg(self.leg)
            self.joined = True

    def reanswer(self, offer: bytes) -> bytes:
        try:
            answer = negotiate_answer(offer, self.capabilities, session_id=self.session_id,
                                      session_version=self.version + 1, previous=self.audio)
            self._apply(answer.audio)
        except UNUSABLE as error:
            raise _rejected(error) from None
        self.version += 1
        return bytes(answer)

    def accept_answer(self, answer: bytes) -> None:
        if self.pending_offer is None:
            raise OfferRejected(400, "no offer of ours is waiting for an answer")
        try:
            audio = process_answer(self.pending_offer, answer)
            self._apply(audio)
        except UNUSABLE as error:
            raise _rejected(error) from None
        self.pending_offer = None

    def _apply(self, audio: NegotiatedAudio) -> None:
        """Configure the leg for what was agreed. A codec, payload type or key change needs
        the leg out of the mix (the engine changes codecs only then); hold and resume only
        change the direction and maybe the remote address."""
        previous = self.audio
        same_codec = previous is not None and (
            previous.codec == audio.codec and previous.payload_type == audio.payload_type
            and previous.telephone_event_payload_type == audio.telephone_event_payload_type
            and previous.audio_level_id == audio.audio_level_id and previous.srtp == audio.srtp)
        self.audio = audio
        if self.joined and same_codec:
            host, port = audio.remote_rtp
            if port and host not in ("0.0.0.0", "::"):
                self.leg.set_remote((host, port))
            self.leg.direction = audio.direction.value
            return
        muted = self.leg.muted
        if self.joined:
            self.room.conference.remove_leg(self.leg)
            self.joined = False
        configure_leg(self.leg, audio)
        if self.lobby:
            # Out of the mix: the notice, then the music, play on the idle leg (the engine
            # encodes them with the leg's own codec).
            self.enter_lobby()
            return
        self.room.conference.add_leg(self.leg)
        self.joined = True
        self.leg.muted = muted

    def close(self) -> None:
        if self.leg.closed:
            return
        if self.joined and not self.room.conference_closed:
            self.room.conference.remove_leg(self.leg)
        self.joined = False
        self.room.legs.pop(self.leg.id, None)
        self.room.rooms.noticing.pop(self.leg.id, None)
        self.leg.close()


@dataclass(eq=False)
class EngineRoom:
    rooms: EngineRooms
    conference: AudioConference
    on_talkers: TalkersCallback
    legs: dict[int, EngineLeg] = field(default_factory=dict)
    conference_closed: bool = False

    def _capabilities(self, leg: Leg) -> LocalCapabilities:
        engine = self.rooms.engine
        return LocalCapabilities(address=self.rooms.address, port=leg.local_port, ice=IceCredentials.generate(),
                                 ptime=engine.tick_ms, srtp_suites=self.rooms.srtp_suites)

    def _new_leg(self) -> EngineLeg:
        if len(self.legs) >= self.rooms.max_participants:
            raise RoomFull(f"the meeting has {len(self.legs)} participants, its limit")
        leg = self.rooms.engine.create_leg("opus", worker=self.conference.worker)
        try:
            handle = EngineLeg(self, leg, self._capabilities(leg))
        except BaseException:
            leg.close()
            raise
        self.legs[leg.id] = handle
        return handle

    def answer(self, offer: bytes, *, lobby: bool = False) -> tuple[MediaLeg, bytes]:
        handle = self._new_leg()
        handle.lobby = lobby
        try:
            answer = negotiate_answer(offer, handle.capabilities)
            handle.session_id = answer.sdp.origin.session_id
            handle._apply(answer.audio)
        except UNUSABLE as error:
            handle.close()
            raise _rejected(error) from None
        except BaseException:
            handle.close()
            raise
        return handle, bytes(answer)

    def adopt(self, handover: Any, *, lobby: bool = False) -> MediaLeg:
        """A leg negotiated elsewhere on this engine (uc_signal.dialin.engine_media.DetachedLeg)
        joins: moved to the conference's worker by add_leg, its SDP state kept so a later
        re-offer is answered on it as on any other. `handover.adopted` names the result."""
        if len(self.legs) >= self.rooms.max_participants:
            raise RoomFull(f"the meeting has {len(self.legs)} participants, its limit")
        leg = handover.leg
        handle = EngineLeg(self, leg, handover.capabilities, audio=handover.audio, session_id=handover.session_id,
                           version=handover.version, lobby=lobby)
        leg.stop_playback()   # the attendant's last prompt, if any is still playing
        self.legs[leg.id] = handle
        if lobby:
            handle.enter_lobby()
        else:
            self.conference.add_leg(leg)
            handle.joined = True
        handover.adopted = handle
        return handle

    def offer(self, *, lobby: bool = False) -> tuple[MediaLeg, bytes]:
        handle = self._new_leg()
        handle.lobby = lobby
        try:
            offer = build_offer(handle.capabilities)
        except BaseException:
            handle.close()
            raise
        handle.pending_offer = offer
        handle.session_id = offer.sdp.origin.session_id
        return handle, bytes(offer)

    def announce(self, announcement: Announcement) -> None:
        clip = self.rooms.announcements.get(announcement)
        if clip is not None and not self.conference_closed:
            self.conference.play(clip)   # replaces a tone still playing: the latest counts

    def talkers_changed(self, event: TalkersChanged) -> None:
        talkers = tuple((self.legs[leg.id], level) for leg, level in event.talkers
                        if leg is not None and leg.id in self.legs)
        self.on_talkers(talkers)

    def close(self) -> None:
        for handle in list(self.legs.values()):
            handle.close()
        self.rooms.rooms.pop(self.conference.id, None)
        if not self.conference_closed:
            self.conference_closed = True
            self.conference.close()


class EngineRooms:
    """Rooms on one engine. `address` is the one our SDP announces."""

    def __init__(self, engine: Engine, *, address: str | None = None, max_participants: int = 250,
                 top_k: int = 3, srtp_suites: tuple[str, ...] | None = None,
                 announcements: Mapping[str, Clip] | None = None, lobby_music: Clip | None = None,
                 notices: Mapping[str, Clip] | None = None, lobby_notice: Clip | None = None) -> None:
        self.engine = engine
        self.lobby_notice = lobby_notice     # before the lobby music, once per waiting leg
        self.noticing: dict[int, EngineLeg] = {}   # by leg id: the lobby notice is playing
        self.announcements = dict(announcements or {})
        self.notices = dict(notices or {})   # played to one leg before the focus ends its call
        self.lobby_music = lobby_music
        self.address = address or engine.bind
        self.max_participants = max_participants
        self.top_k = top_k
        self.srtp_suites = srtp_suites if srtp_suites is not None else LocalCapabilities(
            address="127.0.0.1", port=1).srtp_suites
        self.rooms: dict[int, EngineRoom] = {}
        self.events_seen = 0

    def open_room(self, on_talkers: TalkersCallback) -> EngineRoom:
        try:
            conference = self.engine.create_conference(max_participants=self.max_participants, top_k=self.top_k)
        except MediaError as error:
            raise RoomFull(f"the engine has no room for another meeting: {error}") from None
        room = EngineRoom(self, conference, on_talkers)
        self.rooms[conference.id] = room
        return room

    def handle_event(self, event: Event) -> None:
        self.events_seen += 1
        if isinstance(event, TalkersChanged) and event.conference is not None:
            room = self.rooms.get(event.conference.id)
            if room is not None:
                room.talkers_changed(event)
        elif isinstance(event, PlaybackFinished) and event.id == LOBBY_NOTICE_ID and isinstance(event.source, Leg):
            handle = self.noticing.pop(event.source.id, None)
            # Only a notice that played out: one stopped (admitted) or replaced (a
            # notice before the BYE, a re-offer's music) has nothing to follow.
            if handle is not None and event.reason == "completed":
                handle.play_music()
