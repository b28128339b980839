"""The narrow media interface of the dial-in attendant: a leg answered on the engine in
no conference, on which prompts play and the caller's name is recorded, later handed to
the focus's room for the meeting (the same leg, socket and SSRC: the caller never hears
a re-INVITE). Synchronous, bytes of SDP in and out, so the dialog glue is tested without
sockets; `engine_media.EngineAttendantMedia` is the real one.

Events come back as tokens: `play(..., token)` ends with `prompt_done(token)` and
`record(..., token)` with `recording_done(token, recording)`; the driver maps engine
events (PlaybackFinished, RecordingFinished, DtmfReceived) to the leg by `leg_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..conferencing.prompts import Prompt

Recording = bytes
"""A recorded name: int16 little-endian mono PCM at 16 kHz."""

Audio = Prompt | Recording
"""Something to play: a shipped prompt or a recorded name (roll call)."""


class AttendantLeg(Protocol):
    @property
    def leg_id(self) -> int:
        """The engine's leg id: which call an engine event belongs to."""
        ...

    def play(self, audio: Sequence[Audio], token: int) -> None:
        """Play the pieces one after another to this caller alone (replacing what plays)."""
        ...

    def stop_playback(self) -> None: ...

    def record(self, max_seconds: float, token: int) -> None:
        """Record what the caller says, at most `max_seconds`."""
        ...

    def stop_recording(self) -> None: ...

    def recorded(self, samples: int) -> Recording:
        """The first `samples` of the last recording (its end said how many)."""
        ...

    def reanswer(self, offer: bytes) -> bytes:
        """Answer a re-offer on the same leg (hold/resume); raises focus.OfferRejected."""
        ...

    def handover(self) -> Any:
        """What the focus's room adopts (`MediaRoom.adopt`): this leg, as negotiated."""
        ...

    def announce(self, recording: Recording) -> None:
        """Play a recorded name into the whole mix of the room the leg was handed to."""
        ...

    def close(self) -> None: ...


class AttendantMedia(Protocol):
    def answer(self, offer: bytes) -> tuple[AttendantLeg, bytes]:
        """A new leg in no conference answering `offer`; raises focus.OfferRejected."""
        ...
