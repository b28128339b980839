"""The dial-in attendant's media on the engine: a `Leg` answered with the focus's own
offer/answer code (`uc_signal.focus.engine_media`: the same capabilities, codecs, SRTP
suites and address), in no conference, so `Leg.play` sends prompts on the idle leg and
`Leg.record` takes the caller's name. `handover()` gives the leg, as negotiated, to
`EngineRoom.adopt` (the focus's room) when the caller joins the meeting.

`route_event` turns the engine's events (DtmfReceived, PlaybackFinished,
RecordingFinished) into the application's calls, by leg id.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal

from uc_media import Clip, DtmfReceived, IceCredentials, LocalCapabilities, PlaybackFinished, RecordingFinished, negotiate_answer
from uc_media._core import Leg
from uc_media.audio_session import NegotiatedAudio
from uc_media.engine import Event
from uc_media.engine_sdp import configure_leg

from ..conferencing.prompts import Prompt, load_prompt
from ..focus.engine_media import UNUSABLE, EngineLeg, EngineRooms, _rejected
from .application import DialInApplication
from .media import Audio, AttendantLeg, Recording


PROMPT_RATE: Final[Literal[16000]] = 16000   # the shipped prompts' rate, and the recordings'


@lru_cache(maxsize=64)
def _prompt_samples(prompt: Prompt) -> array:
    return load_prompt(prompt).samples


def _pcm(audio: Sequence[Audio]) -> array:
    samples = array("h")
    for piece in audio:
        if isinstance(piece, Prompt):
            samples.extend(_prompt_samples(piece))
        else:
            samples.frombytes(piece)
    return samples


@dataclass(eq=False)
class DetachedLeg:
    """A leg in no conference. `leg`, `capabilities`, `audio`, `session_id` and `version`
    are what `EngineRoom.adopt` takes over (the state a re-offer is answered from)."""

    leg: Leg
    capabilities: LocalCapabilities
    audio: NegotiatedAudio | None = None
    session_id: int = 0
    version: int = 1
    adopted: EngineLeg | None = None
    _recording: array = field(default_factory=lambda: array("h"))

    @property
    def leg_id(self) -> int:
        return self.leg.id

    def play(self, audio: Sequence[Audio], token: int) -> None:
        samples = _pcm(audio)
        if samples:
            self.leg.play(Clip(samples, PROMPT_RATE), id=token)

    def stop_playback(self) -> None:
        if not self.leg.closed:
            self.leg.stop_playback()

    def record(self, max_seconds: float, token: int) -> None:
        self._recording = array("h", bytes(2 * math.ceil(max_seconds * PROMPT_RATE)))
        self.leg.record(self._recording, rate=PROMPT_RATE, id=token)

    def stop_recording(self) -> None:
        if not self.leg.closed:
            self.leg.stop_recording()

    def recorded(self, samples: int) -> Recording:
        """The first `samples` of the last recording (its RecordingFinished said how many)."""
        return self._recording[:max(0, samples)].tobytes()

    def reanswer(self, offer: bytes) -> bytes:
        try:
            answer = negotiate_answer(offer, self.capabilities, session_id=self.session_id,
                                      session_version=self.version + 1, previous=self.audio)
            configure_leg(self.leg, answer.audio)
        except UNUSABLE as error:
            raise _rejected(error) from None
        self.audio = answer.audio
        self.version += 1
        return bytes(answer)

    def handover(self) -> DetachedLeg:
        return self

    def announce(self, recording: Recording) -> None:
        room = self.adopted.room if self.adopted is not None else None
        if room is not None and not room.conference_closed and recording:
            room.conference.play(Clip(array("h", recording), PROMPT_RATE))

    def close(self) -> None:
        if self.adopted is None and not self.leg.closed:
            self.leg.close()


class EngineAttendantMedia:
    """Attendant legs on the focus's engine (`rooms.engine`), announced at its address."""

    def __init__(self, rooms: EngineRooms) -> None:
        self.rooms = rooms

    def answer(self, offer: bytes) -> tuple[AttendantLeg, bytes]:
        engine = self.rooms.engine
        leg = engine.create_leg("opus")
        try:
            capabilities = LocalCapabilities(address=self.rooms.address, port=leg.local_port,
                                             ice=IceCredentials.generate(), ptime=engine.tick_ms,
                                             srtp_suites=self.rooms.srtp_suites)
            handle = DetachedLeg(leg, capabilities)
            answer = negotiate_answer(offer, capabilities)
            configure_leg(leg, answer.audio)
        except UNUSABLE as error:
            leg.close()
            raise _rejected(error) from None
        except BaseException:
            leg.close()
            raise
        handle.audio = answer.audio
        handle.session_id = answer.sdp.origin.session_id
        return handle, bytes(answer)


def route_event(application: DialInApplication, event: Event, now: float) -> None:
    """One engine event to the calls of the dial-in application (others are ignored)."""
    if isinstance(event, DtmfReceived) and event.leg is not None:
        application.dtmf(event.leg.id, event.digit, now)
    elif isinstance(event, PlaybackFinished) and isinstance(event.source, Leg):
        application.playback_finished(event.source.id, event.id, event.reason == "completed", now)
    elif isinstance(event, RecordingFinished) and event.leg is not None:
        application.recording_finished(event.leg.id, event.id, event.samples, now)
