"""One running meeting's roster and controls, sans-IO.

`Conference` holds the participants (by entity; each with one or more endpoints), decides
admission through admission.decide, and carries out controls after a permission check,
returning the actions (actions.py) the focus performs on the SIP dialogs and the media
engine. Every change that a conference-event subscriber would see ends the action list
with StateChanged; `snapshot()` is the RFC 4575 state to notify. Time is an argument:
`tick(now)` handles lobby timeouts and the active-speaker hold; `next_deadline()` says
when to call it next.

Permissions (the organizer counts as a presenter everywhere):
- anyone: mute or unmute themselves (an attendee cannot unmute while the audience is
  muted), help, roll call, leave;
- presenters: mute/unmute others, audience mute, eject (not the organizer), lock/unlock,
  admit/deny from the lobby, promote/demote (not the organizer), announcements on/off,
  end the meeting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .actions import (Action, Announce, ConferenceEnded, ConnectToMix, Disconnect, PlayRollCall, PlayToEndpoint,
                      SetMuted, SpeakersChanged, StartLobbyMusic, StateChanged)
from .admission import Admission, Joiner, LobbyReason, MeetingPolicies, Role, decide
from .conference_info import ConferenceInfo, DescriptionInfo, EndpointInfo, MediaInfo, StateInfo, UserInfo
from .keypad import KeypadCommand
from .meeting import Meeting
from .prompts import Prompt
from .speakers import ActiveSpeakers


class JoinState(StrEnum):
    DIALING_IN = "dialing-in"   # a caller still talking to the auto attendant
    LOBBY = "lobby"
    CONNECTED = "connected"


class ControlError(Exception):
    """A control that cannot be carried out; `status` is the SIP/HTTP status it maps to."""

    status = 400


class NotPermittedError(ControlError):
    status = 403


class UnknownParticipantError(ControlError):
    status = 404


class InvalidControlError(ControlError):
    status = 409


class ConferenceFullError(ControlError):
    status = 486


class ConferenceEndedError(ControlError):
    status = 410


@dataclass
class Endpoint:
    id: str                          # the endpoint's entity: its contact/GRUU or the call's id
    joining_method: str = "dialed-in"
    muted: bool = False
    media: tuple[str, ...] = ("audio",)


@dataclass
class Participant:
    entity: str
    display_name: str
    role: Role
    state: JoinState
    via_pstn: bool = False
    lobby_since: float | None = None
    lobby_reason: LobbyReason | None = None
    name_recording: str | None = None   # what roll call plays for a dial-in guest
    endpoints: dict[str, Endpoint] = field(default_factory=dict)


class Conference:
    def __init__(self, policies: MeetingPolicies, *, entity: str, subject: str = "", lobby_timeout: float = 900.0,
                 max_participants: int = 250, speakers: ActiveSpeakers | None = None) -> None:
        self.policies = policies
        self.entity = entity                      # the conference URI
        self.subject = subject
        self.lobby_timeout = lobby_timeout
        self.max_participants = max_participants
        self.locked = policies.locked
        self.audience_muted = False
        self.announcements = True
        self.ended = False
        self.participants: dict[str, Participant] = {}
        self.speakers = speakers or ActiveSpeakers()
        self._user_infos: dict[str, tuple[object, UserInfo]] = {}

    @classmethod
    def for_meeting(cls, meeting: Meeting, *, lobby_timeout: float = 900.0, max_participants: int = 250,
                    speakers: ActiveSpeakers | None = None) -> Conference:
        """The running conference of a directory meeting (its URI, subject and policies)."""
        policies = MeetingPolicies(meeting.organizer, meeting.presenter_policy, meeting.lobby_policy,
                                   meeting.pstn_bypass_lobby, meeting.locked)
        return cls(policies, entity=meeting.conference_uri, subject=meeting.subject, lobby_timeout=lobby_timeout,
                   max_participants=max_participants, speakers=speakers)

    # --- reading ---------------------------------------------------------------------------

    def participant(self, entity: str) -> Participant:
        found = self.participants.get(entity)
        if found is None:
            raise UnknownParticipantError(f"{entity} is not in the meeting")
        return found

    def in_state(self, state: JoinState) -> list[Participant]:
        return [p for p in self.participants.values() if p.state is state]

    def _current_policies(self) -> MeetingPolicies:
        return MeetingPolicies(self.policies.organizer, self.policies.presenter_policy, self.policies.lobby_policy,
                               self.policies.pstn_bypass_lobby, self.locked)

    # --- joining and leaving ----------------------------------------------------------------

    def dialing_in(self, entity: str, endpoint: str, display_name: str = "") -> list[Action]:
        """A caller at the auto attendant entered this meeting's ID: on the roster as dialing-in."""
        self._check_open()
        if entity not in self.participants:
            self._check_room()
            self.participants[entity] = Participant(entity, display_name, Role.ATTENDEE, JoinState.DIALING_IN,
                                                    via_pstn=True)
        self.participants[entity].endpoints.setdefault(endpoint, Endpoint(endpoint))
        return [StateChanged()]

    def join(self, joiner: Joiner, endpoint: str, now: float, *, joining_method: str = "dialed-in",
             media: tuple[str, ...] = ("audio",), name_recording: str | None = None) -> tuple[Admission, list[Action]]:
        self._check_open()
        existing = self.participants.get(joiner.entity)
        if existing is None or existing.state is JoinState.DIALING_IN:
            if existing is None:
                self._check_room()
            admission = decide(self._current_policies(), joiner)
            participant = Participant(joiner.entity, joiner.display_name, admission.role, JoinState.CONNECTED,
                                      via_pstn=joiner.via_pstn, name_recording=name_recording)
            self.participants[joiner.entity] = participant
            if admission.waits:
                participant.state, participant.lobby_since, participant.lobby_reason = \
                    JoinState.LOBBY, now, admission.lobby
        else:   # another device of someone already here: same role, same place
            participant = existing
            admission = Admission(participant.role, participant.lobby_reason)
        muted = self.audience_muted and participant.role is Role.ATTENDEE
        participant.endpoints[endpoint] = Endpoint(endpoint, joining_method, muted, media)
        actions: list[Action] = []
        if participant.state is JoinState.LOBBY:
            actions += [PlayToEndpoint(joiner.entity, endpoint, Prompt.LOBBY_WAIT),
                        StartLobbyMusic(joiner.entity, endpoint)]
        else:
            actions.append(ConnectToMix(joiner.entity, endpoint))
            if muted:
                actions.append(SetMuted(joiner.entity, endpoint, True))
            if self.announcements and len(participant.endpoints) == 1:
                actions.append(Announce(Prompt.ENTRY_TONE))
        actions.append(StateChanged())
        return admission, actions

    def leave(self, entity: str, endpoint: str, now: float) -> list[Action]:
        """An endpoint's dialog ended (BYE, CANCEL, failure)."""
        participant = self.participants.get(entity)
        if participant is None or endpoint not in participant.endpoints:
            return []
        del participant.endpoints[endpoint]
        actions: list[Action] = []
        if not participant.endpoints:
            del self.participants[entity]
            self._user_infos.pop(entity, None)
            if participant.state is JoinState.CONNECTED and self.announcements and not self.ended:
                actions.append(Announce(Prompt.EXIT_TONE))
            actions += self._speakers_forget(entity, now)
        actions.append(StateChanged())
        return actions

    def _check_open(self) -> None:
        if self.ended:
            raise ConferenceEndedError("the meeting has ended")

    def _check_room(self) -> None:
        if len(self.participants) >= self.max_participants:
            raise ConferenceFullError(f"the meeting is full ({self.max_participants} participants)")

    # --- permission ------------------------------------------------------------------------

    def _presenter(self, actor: str) -> Participant:
        participant = self.participant(actor)
        if not participant.role.can_control or participant.state is not JoinState.CONNECTED:
            raise NotPermittedError(f"{actor} is not a presenter")
        return participant

    def _target(self, entity: str) -> Participant:
        return self.participant(entity)

    # --- controls --------------------------------------------------------------------------

    def mute(self, actor: str, target: str, now: float, muted: bool = True) -> list[Action]:
        self._check_open()
        if actor != target:
            self._presenter(actor)
        person = self._target(target)
        if (actor == target and not muted and self.audience_muted and person.role is Role.ATTENDEE):
            raise NotPermittedError("the audience is muted: only a presenter can unmute you")
        actions: list[Action] = [SetMuted(target, endpoint.id, muted) for endpoint in person.endpoints.values()
                                 if endpoint.muted != muted]
        for endpoint in person.endpoints.values():
            endpoint.muted = muted
        if muted:
            actions += self._speakers_forget(target, now)
        return actions + [StateChanged()] if actions else []

    def set_audience_mute(self, actor: str, muted: bool, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        self.audience_muted = muted
        actions: list[Action] = []
        for person in self.participants.values():
            if person.role is Role.ATTENDEE:
                for endpoint in person.endpoints.values():
                    if endpoint.muted != muted:
                        endpoint.muted = muted
                        actions.append(SetMuted(person.entity, endpoint.id, muted))
                if muted:
                    actions += self._speakers_forget(person.entity, now)
        return actions + [StateChanged()]

    def eject(self, actor: str, target: str, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        person = self._target(target)
        if person.role is Role.ORGANIZER:
            raise NotPermittedError("the organizer cannot be removed")
        return self._remove(person, "ejected", Prompt.REMOVED, now)

    def lock(self, actor: str, locked: bool, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        if self.locked == locked:
            return []
        self.locked = locked
        return [StateChanged()]

    def admit(self, actor: str, target: str, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        person = self._target(target)
        if person.state is not JoinState.LOBBY:
            raise InvalidControlError(f"{target} is not in the lobby")
        return self._admit(person) + [StateChanged()]

    def _admit(self, person: Participant) -> list[Action]:
        person.state, person.lobby_since, person.lobby_reason = JoinState.CONNECTED, None, None
        muted = self.audience_muted and person.role is Role.ATTENDEE
        actions: list[Action] = []
        for endpoint in person.endpoints.values():
            endpoint.muted = muted
            actions.append(ConnectToMix(person.entity, endpoint.id))
            if muted:
                actions.append(SetMuted(person.entity, endpoint.id, True))
        if self.announcements:
            actions.append(Announce(Prompt.ENTRY_TONE))
        return actions

    def admit_all(self, actor: str, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        actions: list[Action] = []
        for person in sorted(self.in_state(JoinState.LOBBY), key=lambda p: (p.lobby_since or 0.0, p.entity)):
            actions += self._admit(person)
        return actions + [StateChanged()] if actions else []

    def deny(self, actor: str, target: str, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        person = self._target(target)
        if person.state is not JoinState.LOBBY:
            raise InvalidControlError(f"{target} is not in the lobby")
        return self._remove(person, "denied", Prompt.LOBBY_DENIED, now)

    def promote(self, actor: str, target: str, now: float) -> list[Action]:
        return self._set_role(actor, target, Role.PRESENTER)

    def demote(self, actor: str, target: str, now: float) -> list[Action]:
        return self._set_role(actor, target, Role.ATTENDEE)

    def _set_role(self, actor: str, target: str, role: Role) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        person = self._target(target)
        if person.role is Role.ORGANIZER:
            raise NotPermittedError("the organizer's role cannot change")
        if person.role is role:
            return []
        person.role = role
        actions: list[Action] = []
        if self.audience_muted:   # audience mute applies to attendees only
            muted = role is Role.ATTENDEE
            for endpoint in person.endpoints.values():
                if endpoint.muted != muted:
                    endpoint.muted = muted
                    actions.append(SetMuted(person.entity, endpoint.id, muted))
        return actions + [StateChanged()]

    def set_announcements(self, actor: str, on: bool, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        self.announcements = on
        return []

    def end(self, actor: str, now: float) -> list[Action]:
        self._check_open()
        self._presenter(actor)
        return self._end("ended by " + actor, now)

    def _end(self, reason: str, now: float) -> list[Action]:
        self.ended = True
        actions: list[Action] = []
        for person in list(self.participants.values()):
            actions += [Disconnect(person.entity, endpoint.id, "meeting-ended", Prompt.MEETING_ENDED)
                        for endpoint in person.endpoints.values()]
        self.participants.clear()
        self._user_infos.clear()
        self.speakers = ActiveSpeakers(self.speakers.hold, self.speakers.limit)
        return actions + [ConferenceEnded(reason), StateChanged()]

    def _remove(self, person: Participant, reason: str, prompt: Prompt, now: float) -> list[Action]:
        actions: list[Action] = [Disconnect(person.entity, endpoint.id, reason, prompt)
                                 for endpoint in person.endpoints.values()]
        del self.participants[person.entity]
        self._user_infos.pop(person.entity, None)
        if person.state is JoinState.CONNECTED and self.announcements:
            actions.append(Announce(Prompt.EXIT_TONE))
        return actions + self._speakers_forget(person.entity, now) + [StateChanged()]

    # --- in-meeting keypad ------------------------------------------------------------------

    def keypad(self, entity: str, endpoint: str, command: KeypadCommand, now: float) -> list[Action]:
        """A DTMF command from a dial-in participant; a refused one plays NOT_PERMITTED."""
        person = self.participant(entity)
        if person.state is not JoinState.CONNECTED:
            return []   # callers in the lobby cannot run commands
        def reply(prompt: Prompt) -> PlayToEndpoint:
            return PlayToEndpoint(entity, endpoint, prompt)
        try:
            if command is KeypadCommand.HELP:
                return [reply(Prompt.HELP)]
            if command is KeypadCommand.ROLL_CALL:
                names = tuple(p.name_recording or p.display_name or p.entity
                              for p in self.in_state(JoinState.CONNECTED) if p.entity != entity)
                return [reply(Prompt.ROLL_CALL), PlayRollCall(entity, endpoint, names)]
            if command is KeypadCommand.SELF_MUTE:
                muted = not person.endpoints[endpoint].muted if endpoint in person.endpoints else True
                return self.mute(entity, entity, now, muted) + [reply(Prompt.MUTED if muted else Prompt.UNMUTED)]
            if command is KeypadCommand.AUDIENCE_MUTE:
                muted = not self.audience_muted
                return self.set_audience_mute(entity, muted, now) + [
                    reply(Prompt.AUDIENCE_MUTED if muted else Prompt.AUDIENCE_UNMUTED)]
            if command is KeypadCommand.LOCK:
                locked = not self.locked
                return self.lock(entity, locked, now) + [
                    reply(Prompt.MEETING_LOCKED if locked else Prompt.MEETING_UNLOCKED)]
            if command is KeypadCommand.ADMIT_ALL:
                return self.admit_all(entity, now) + [reply(Prompt.LOBBY_ADMITTED)]
            on = not self.announcements
            return self.set_announcements(entity, on, now) + [
                reply(Prompt.ANNOUNCEMENTS_ON if on else Prompt.ANNOUNCEMENTS_OFF)]
        except NotPermittedError:
            return [reply(Prompt.NOT_PERMITTED)]

    # --- time and talkers -------------------------------------------------------------------

    def talkers(self, entities: Iterable[str], now: float) -> list[Action]:
        """The engine's talker report: only connected, unmuted participants count."""
        heard = [e for e in entities if (p := self.participants.get(e)) is not None
                 and p.state is JoinState.CONNECTED and not all(ep.muted for ep in p.endpoints.values())]
        if self.speakers.update(heard, now):
            return [SpeakersChanged(self.speakers.current), StateChanged()]
        return []

    def _speakers_forget(self, entity: str, now: float) -> list[Action]:
        if self.speakers.forget(entity, now):
            return [SpeakersChanged(self.speakers.current)]
        return []

    def tick(self, now: float) -> list[Action]:
        actions: list[Action] = []
        for person in sorted(self.in_state(JoinState.LOBBY), key=lambda p: p.entity):
            if person.lobby_since is not None and now - person.lobby_since >= self.lobby_timeout:
                actions += self._remove(person, "lobby-timeout", Prompt.LOBBY_TIMEOUT, now)
        if self.speakers.expire(now):
            actions += [SpeakersChanged(self.speakers.current), StateChanged()]
        return actions

    def next_deadline(self) -> float | None:
        deadlines = [p.lobby_since + self.lobby_timeout for p in self.in_state(JoinState.LOBBY)
                     if p.lobby_since is not None]
        expiry = self.speakers.next_expiry()
        if expiry is not None:
            deadlines.append(expiry)
        return min(deadlines, default=None)

    # --- RFC 4575 state ---------------------------------------------------------------------

    def snapshot(self, version: int = 0) -> ConferenceInfo:
        users = tuple(self._cached_user_info(p) for p in sorted(self.participants.values(), key=lambda p: p.entity))
        return ConferenceInfo(
            entity=self.entity, version=version,
            description=DescriptionInfo(subject=self.subject, conf_uri=self.entity,
                                        maximum_user_count=self.max_participants),
            conference_state=StateInfo(user_count=len(self.participants), active=not self.ended, locked=self.locked,
                                       active_speakers=self.speakers.current),
            users=users)

    def _cached_user_info(self, person: Participant) -> UserInfo:
        """A participant's <user>, rebuilt only when something in it changed: a 1,000-person
        roster changes one or two users per event, and building all of them each time was
        most of a snapshot's cost."""
        key = (person.display_name, person.role, person.state,
               tuple((e.id, e.joining_method, e.muted, e.media) for e in person.endpoints.values()))
        cached = self._user_infos.get(person.entity)
        if cached is not None and cached[0] == key:
            return cached[1]
        info = self._user_info(person)
        self._user_infos[person.entity] = (key, info)
        return info

    @staticmethod
    def _user_info(person: Participant) -> UserInfo:
        endpoints = []
        for endpoint in sorted(person.endpoints.values(), key=lambda e: e.id):
            if person.state is JoinState.LOBBY:
                status = "pending"
            elif person.state is JoinState.DIALING_IN:
                status = "dialing-in"
            else:
                status = "muted-via-focus" if endpoint.muted else "connected"
            media = tuple(MediaInfo(id=str(index + 1), type=kind, label=f"main-{kind}",
                                    status="recvonly" if endpoint.muted or person.state is not JoinState.CONNECTED
                                    else "sendrecv")
                          for index, kind in enumerate(endpoint.media))
            endpoints.append(EndpointInfo(endpoint.id, person.display_name, status, endpoint.joining_method, media))
        return UserInfo(person.entity, person.display_name, (person.role.value,), tuple(endpoints))
