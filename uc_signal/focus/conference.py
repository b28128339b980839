"""Running conferences as the focus holds them: who is connected, on which media leg,
muted or on hold, and who is talking. The conference event package (RFC 4575) and the
admin API read this and are told of changes through `ConferenceObserver` callbacks.

One `RunningConference` per meeting with at least one participant: its media room is
opened at the first join and closed when the last participant leaves (the focus then
forgets the conference; the meeting itself lives on in the directory).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..sip.dialog import Dialog
from ..transport.peer import Peer
from .directory import ConferenceHandle
from .media import MediaLeg, MediaRoom


class ParticipantState(enum.Enum):
    CONNECTING = "connecting"        # 200 sent, waiting for the ACK (and, late offer, its answer)
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(eq=False)
class Participant:
    id: str                          # unique within the focus: "p1", "p2", ...
    entity: str                      # the From URI, e.g. sip:alice@example.test
    display_name: str
    authenticated: bool              # a local user whose credentials checked out
    dialog: Dialog
    peer: Peer                       # where the INVITE came from: in-dialog requests go back there
    media: MediaLeg
    local_sdp: bytes                 # the last SDP we sent (answer or offer)
    state: ParticipantState = ParticipantState.CONNECTING
    level: int | None = None         # RFC 6464 -dBov while a talker, else None
    role: str = "participant"        # RFC 4575 <roles>: organizer, presenter, attendee (meetings)

    @property
    def muted(self) -> bool:
        return self.media.muted

    @property
    def in_lobby(self) -> bool:
        """Waiting for a presenter: out of the mix, hearing the lobby music."""
        return self.media.in_lobby

    @property
    def on_hold(self) -> bool:
        """The participant's side holds (we may not send, RFC 3264 8.4)."""
        return self.media.direction in ("recvonly", "inactive")


class ConferenceObserver(Protocol):
    """Told of every change, after it happened (the event package builds its partial
    notifications from these)."""

    def participant_joined(self, conference: RunningConference, participant: Participant) -> None: ...

    def participant_changed(self, conference: RunningConference, participant: Participant) -> None: ...

    def participant_left(self, conference: RunningConference, participant: Participant) -> None: ...

    def speakers_changed(self, conference: RunningConference, speakers: tuple[Participant, ...]) -> None: ...

    def conference_ended(self, conference: RunningConference) -> None: ...


@dataclass(eq=False)
class RunningConference:
    handle: ConferenceHandle
    room: MediaRoom
    observers: list[ConferenceObserver]
    participants: dict[str, Participant] = field(default_factory=dict)
    speakers: tuple[Participant, ...] = ()

    @property
    def uri(self) -> str:
        return self.handle.uri

    @property
    def conference_id(self) -> str:
        return self.handle.conference_id

    def notify(self, call: Callable[[ConferenceObserver], None]) -> None:
        for observer in list(self.observers):
            call(observer)

    def add(self, participant: Participant) -> None:
        self.participants[participant.id] = participant
        self.notify(lambda o: o.participant_joined(self, participant))

    def remove(self, participant: Participant) -> None:
        """Take the participant out: its leg is closed, observers told."""
        if self.participants.pop(participant.id, None) is None:
            return
        participant.state = ParticipantState.DISCONNECTED
        participant.media.close()
        if participant in self.speakers:
            self.speakers = tuple(p for p in self.speakers if p is not participant)
            self.notify(lambda o: o.speakers_changed(self, self.speakers))
        self.notify(lambda o: o.participant_left(self, participant))

    def set_muted(self, participant: Participant, muted: bool) -> None:
        if participant.media.muted != muted:
            participant.media.muted = muted
            self.notify(lambda o: o.participant_changed(self, participant))

    def talkers_changed(self, talkers: tuple[tuple[MediaLeg, int], ...]) -> None:
        by_leg = {id(p.media): p for p in self.participants.values()}
        speakers: list[Participant] = []
        for participant in self.participants.values():
            participant.level = None
        for leg, level in talkers:
            talker = by_leg.get(id(leg))
            if talker is not None:
                talker.level = level
                speakers.append(talker)
        self.speakers = tuple(speakers)
        self.notify(lambda o: o.speakers_changed(self, self.speakers))
