"""The narrow interface between the focus's SIP dialogs and the media engine.

The focus holds one `MediaRoom` per running meeting (an `AudioConference` on the engine,
created at the first join and closed when the last participant leaves) and one
`MediaLeg` per participant. Everything here is synchronous and takes bytes of SDP, so the
dialog logic is tested without sockets; `engine_media.EngineRooms` is the real one.

Offer/answer (RFC 3264): `answer(offer)` for an INVITE with SDP; `offer()` then
`MediaLeg.accept_answer(answer)` for an INVITE without SDP (our offer in the 200, the
answer in the ACK, RFC 3261 13.2.1); `MediaLeg.reanswer(offer)` for a re-INVITE (hold and
resume change the direction, RFC 3264 section 8.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol


class OfferRejected(Exception):
    """The SDP cannot be used: `status` 488 (nothing acceptable, RFC 3261 21.4.26) or 400
    (malformed); str() says why, for the Warning header (RFC 3261 20.43)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class RoomFull(Exception):
    """The meeting has no free participant slot."""


class MediaLeg(Protocol):
    """One participant's media: its own socket, SSRC and codec state on the engine."""

    @property
    def muted(self) -> bool: ...

    @muted.setter
    def muted(self, value: bool) -> None: ...

    @property
    def direction(self) -> str: ...

    def reanswer(self, offer: bytes) -> bytes:
        """Answer a re-offer on this leg (same port, keys kept); raises OfferRejected."""
        ...

    def accept_answer(self, answer: bytes) -> None:
        """Take the answer to our offer (late offer) and join the mix; raises OfferRejected."""
        ...

    @property
    def in_lobby(self) -> bool: ...

    def admit(self) -> None:
        """From the lobby (music, out of the mix) into the mix."""
        ...

    def play_notice(self, notice: str) -> float:
        """Play a notice (a conferencing prompt's name: "removed", "meeting-ended", ...) to
        this participant alone, the meeting going on around it; its length in seconds, 0.0
        when there is no such notice (the caller then need not wait for it)."""
        ...

    def close(self) -> None: ...


TalkersCallback = Callable[[tuple[tuple[MediaLeg, int], ...]], None]
"""The room's talkers changed: (leg, RFC 6464 level in -dBov) per talker, loudest first."""


Announcement = Literal["entry", "exit"]
"""The tone everyone in a meeting hears when someone joins or leaves (Lync's chimes)."""


class MediaRoom(Protocol):
    def announce(self, announcement: Announcement) -> None:
        """Play the announcement's tone into the whole mix (nothing if there is none)."""
        ...

    def answer(self, offer: bytes, *, lobby: bool = False) -> tuple[MediaLeg, bytes]:
        """A new leg answering `offer`, in the mix, or with `lobby` out of it hearing the
        lobby music until `admit()`; raises OfferRejected or RoomFull."""
        ...

    def adopt(self, handover: Any, *, lobby: bool = False) -> MediaLeg:
        """Take in a leg answered outside any room (the dial-in attendant's; engine_media:
        anything with `leg`, `capabilities`, `audio`, `session_id`, `version`), into the mix
        or with `lobby` out of it hearing the music; raises RoomFull."""
        ...

    def offer(self, *, lobby: bool = False) -> tuple[MediaLeg, bytes]:
        """A new leg and our offer; it joins the mix (or the lobby) when its
        `accept_answer` runs."""
        ...

    def close(self) -> None: ...


class MediaRooms(Protocol):
    def open_room(self, on_talkers: TalkersCallback) -> MediaRoom: ...
