"""The focus's running conferences driven by the conferencing roster
(`uc_signal.conferencing.Conference`): roles, the lobby, locking, permission-checked
controls and active speakers decided there, carried out here on the SIP dialogs and the
media legs.

`FocusRoster` is attached to a `FocusApplication`:
- it is the focus's admission hook: a joiner of a directory meeting gets the roster's
  role and admission (`decide` with the meeting's policies and the running lock), so the
  leg is made in the lobby (out of the mix, the lobby music looping on it) or in the mix;
- it observes the focus: each join, leave and talker report goes into the roster, and
  the roster's actions come back out (SetMuted -> the leg's mute, ConnectToMix -> admit
  from the lobby, Disconnect -> the notice to that leg alone, then BYE, Announce -> the
  entry/exit tone into the mix,
  StateChanged/SpeakersChanged -> the conference event package's listeners);
- it runs the roster's deadlines (lobby timeout, the active-speaker hold) through `tick`,
  called by the conference event server (a TimedApplication) or ucd.

The roster announces entries and exits itself (it knows who joined the mix and who only
the lobby), so the focus's own announcements are switched off when one is attached.
Every meeting is a stored one (`DirectoryConferences` hands the focus `MeetingHandle`s).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..conferencing.actions import (Action, Announce, ConferenceEnded, ConnectToMix, Disconnect, SetMuted,
                                    SpeakersChanged, StateChanged)
from ..conferencing.admission import Joiner, Role
from ..conferencing.conference import (OPERATOR, Conference, ConferenceEndedError, ControlError,
                                       InvalidControlError, JoinState, NotPermittedError, UnknownParticipantError)
from ..conferencing.meeting import Meeting
from ..conferencing.prompts import Prompt
from .application import FocusApplication, JoinDecision
from .conference import Participant, RunningConference
from .directory import ConferenceHandle, conference_key
from .meetings import DirectoryConferences, MeetingHandle

log = logging.getLogger(__name__)

ROLES = frozenset(role.value for role in Role)
NOTICE_MARGIN = 0.3   # seconds after a notice's end before the BYE (the last packets out)

StateListener = Callable[[RunningConference, Conference, float], None]
"""(running conference, its roster, now): the roster changed (the event package listens)."""


class ControlRefused(Exception):
    """A control the roster refused: `status` 403 (not permitted), 404 (unknown
    participant), 409 (not applicable, e.g. admitting someone not in the lobby)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


CONTROLS = ("mute", "unmute", "audience-mute", "audience-unmute", "eject", "lock", "unlock", "admit", "deny",
            "admit-all", "promote", "demote", "end")
"""The controls a presenter (or the operator) runs: SIP INFO (C3P subset), REFER
method=BYE (eject), the admin API and ucctl all come here."""


@dataclass
class _Driven:
    running: RunningConference | None
    roster: Conference
    # Who the engine says is talking now. It reports changes only, while the roster's
    # speaker list holds each talker for `hold` seconds after the last report: the
    # current talkers are reported again at each of the roster's deadlines.
    talking: tuple[str, ...] = ()
    # The meeting's lock as the directory last had it: the dial-in's keypad locks the
    # directory's meeting; a change there reaches the roster at the next join.
    directory_locked: bool = False


class FocusRoster:
    def __init__(self, clock: Callable[[], float], *, lobby_timeout: float = 900.0,
                 max_participants: int = 250, view: DirectoryConferences | None = None,
                 store_lock: Callable[[Meeting], None] | None = None) -> None:
        self.view = view          # the meetings the focus finds: the lock is written back there
        # Keeps a lock change durably (ucd: WatchedMeetingDirectory.store_lock, which also
        # updates the view); without it the lock lives in the view only.
        self.store_lock = store_lock
        self.clock = clock        # wall-clock seconds; observer callbacks carry no `now`
        self.lobby_timeout = lobby_timeout
        self.max_participants = max_participants
        self.focus: FocusApplication | None = None
        self.listeners: list[StateListener] = []
        self._driven: dict[str, _Driven] = {}     # by conference_key(uri)
        self._leaving: list[tuple[float, RunningConference, Participant]] = []   # BYE due after a notice

    def attach(self, focus: FocusApplication) -> None:
        self.focus = focus
        focus.admission = self.admission
        focus.announcements = False
        focus.observers.append(self)

    # --- reading -----------------------------------------------------------------------------

    def roster(self, uri: str) -> Conference | None:
        driven = self._driven.get(conference_key(uri))
        return driven.roster if driven is not None else None

    def running(self, uri: str) -> RunningConference | None:
        driven = self._driven.get(conference_key(uri))
        return driven.running if driven is not None else None

    def running_ids(self) -> list[str]:
        return sorted(d.running.conference_id for d in self._driven.values()
                      if d.running is not None and not d.roster.ended)

    def by_conference_id(self, conference_id: str) -> tuple[RunningConference, Conference]:
        for driven in self._driven.values():
            running = driven.running
            if running is not None and running.conference_id == conference_id and not driven.roster.ended:
                return running, driven.roster
        raise ControlRefused(404, f"no running conference {conference_id}")

    # --- the focus's admission ------------------------------------------------------------------

    def admission(self, handle: ConferenceHandle, entity: str, authenticated: bool) -> JoinDecision:
        """The focus's admission hook: the roster's decision for a directory meeting (its
        role, and whether the leg is made in the lobby)."""
        assert isinstance(handle, MeetingHandle), handle
        key = conference_key(handle.uri)
        driven = self._driven.get(key)
        if driven is None:
            driven = self._drive(handle)
        else:
            if handle.meeting.locked != driven.directory_locked:
                driven.directory_locked = driven.roster.locked = handle.meeting.locked
            self._follow_policies(driven.roster, handle.meeting)
        admission = driven.roster.admission_for(Joiner(entity, authenticated=authenticated,
                                                       in_company=authenticated))
        return JoinDecision(admission.role.value, admission.waits)

    @staticmethod
    def _follow_policies(roster: Conference, meeting: Meeting) -> None:
        """The directory's meeting changed its lobby or presenter policy (the organizer's
        modifyConference): joiners from now on are decided by the new one; who is in keeps
        their role and place, as Lync does for a changed admission type."""
        current = roster.policies
        if (current.presenter_policy, current.lobby_policy, current.pstn_bypass_lobby) != (
                meeting.presenter_policy, meeting.lobby_policy, meeting.pstn_bypass_lobby):
            roster.policies = replace(current, presenter_policy=meeting.presenter_policy,
                                      lobby_policy=meeting.lobby_policy, pstn_bypass_lobby=meeting.pstn_bypass_lobby)

    def _drive(self, handle: MeetingHandle) -> _Driven:
        driven = _Driven(None, Conference.for_meeting(handle.meeting, lobby_timeout=self.lobby_timeout,
                                                      max_participants=self.max_participants),
                         directory_locked=handle.meeting.locked)
        self._driven[conference_key(handle.uri)] = driven
        return driven

    # --- ConferenceObserver ---------------------------------------------------------------------

    def _find(self, conference: RunningConference, *, joining: bool = False) -> _Driven | None:
        driven = self._driven.get(conference_key(conference.uri))
        if driven is None and joining and isinstance(conference.handle, MeetingHandle):
            # The first joiner came in through another application (the dial-in attendant
            # adopts its caller with a decision of its own, so `admission` was not asked).
            driven = self._drive(conference.handle)
        if driven is not None and driven.running is None:
            driven.running = conference
        return driven

    def participant_joined(self, conference: RunningConference, participant: Participant) -> None:
        driven = self._find(conference, joining=True)
        if driven is None:
            return
        now = self.clock()
        joiner = Joiner(participant.entity, participant.display_name, authenticated=participant.authenticated,
                        in_company=participant.authenticated)
        try:
            admission, actions = driven.roster.join(joiner, participant.id, now, joining_method="dialed-in")
        except ControlError as error:   # ConferenceFullError, ConferenceEndedError
            log.info("focus roster: %s refused in %s: %s", participant.entity, conference.uri, error)
            self._after(conference, [Disconnect(participant.entity, participant.id, str(error))], now)
            return
        person = driven.roster.participants[participant.entity]
        if len(person.endpoints) == 1 and participant.role in ROLES and person.role.value != participant.role:
            # Whoever admitted the leg knew more than a SIP request shows (the dial-in
            # attendant: a leader's PIN): its role stands, and with it whether the
            # audience mute takes this leg.
            person.role = Role(participant.role)
            muted = driven.roster.audience_muted and person.role is Role.ATTENDEE
            for endpoint in person.endpoints.values():
                if endpoint.muted != muted:
                    endpoint.muted = muted
                    actions.append(SetMuted(person.entity, endpoint.id, muted))
        if admission.waits and not participant.in_lobby:
            # A leg in the mix for someone the roster would lobby: a dial-out the focus
            # placed itself (a presenter asked for that person), or a caller the dial-in let
            # in (PSTN lobby bypass): admitted at once.
            actions = driven.roster.admit_invited(participant.entity)
        self._after(conference, actions, now)

    def participant_changed(self, conference: RunningConference, participant: Participant) -> None:
        """A leg changed (ACK, hold, or a mute or admission made on the focus directly, as
        its own admin routes do): the roster follows the leg, then subscribers are told."""
        driven = self._find(conference)
        if driven is None:
            return
        now = self.clock()
        roster = driven.roster
        person = roster.participants.get(participant.entity)
        actions: list[Action] = []
        if person is not None:
            if person.state is JoinState.LOBBY and not participant.in_lobby:
                actions += roster.admit_invited(participant.entity)
            endpoint = person.endpoints.get(participant.id)
            if endpoint is not None and endpoint.muted != participant.muted:
                actions += roster.mute(OPERATOR, participant.entity, now, participant.muted)
        self._after(conference, actions, now)
        self._publish(conference, roster, now)

    def participant_left(self, conference: RunningConference, participant: Participant) -> None:
        driven = self._find(conference)
        if driven is None:
            return
        now = self.clock()
        self._after(conference, driven.roster.leave(participant.entity, participant.id, now), now)

    def speakers_changed(self, conference: RunningConference, speakers: tuple[Participant, ...]) -> None:
        driven = self._find(conference)
        if driven is None:
            return
        now = self.clock()
        driven.talking = tuple(p.entity for p in speakers)
        self._after(conference, driven.roster.talkers(driven.talking, now), now)

    def conference_ended(self, conference: RunningConference) -> None:
        driven = self._driven.pop(conference_key(conference.uri), None)
        if driven is not None:
            driven.roster.ended = True
            self._publish(conference, driven.roster, self.clock())

    # --- controls ---------------------------------------------------------------------------------

    def control(self, conference_id: str, actor: str, command: str, target: str | None, now: float) -> None:
        """Run a control as `actor` (a participant's entity, or conferencing.OPERATOR);
        raises ControlRefused."""
        running, roster = self.by_conference_id(conference_id)
        if command not in CONTROLS:
            raise ControlRefused(400, f"unknown control {command!r}")
        needs_target = command in ("mute", "unmute", "eject", "admit", "deny", "promote", "demote")
        if needs_target and not target:
            raise ControlRefused(400, f"{command} needs a participant")
        target = self._entity(running, target) if target else None
        try:
            actions = self._run(roster, actor, command, target, now)
        except NotPermittedError as error:
            raise ControlRefused(403, str(error)) from None
        except UnknownParticipantError as error:
            raise ControlRefused(404, str(error)) from None
        except (InvalidControlError, ConferenceEndedError) as error:
            raise ControlRefused(409, str(error)) from None
        log.info("focus roster: %s ran %s %s in %s", actor, command, target or "", running.uri)
        current = self.view.find(running.uri) if self.view is not None and command in ("lock", "unlock") else None
        if self.view is not None and isinstance(current, MeetingHandle):
            # The directory's view follows (the dial-in attendant reads the lock there),
            # and the store behind it: a restarted ucd keeps the meeting locked.
            locked = replace(current.meeting, locked=roster.locked)
            self.view.add(locked)
            if self.store_lock is not None and current.meeting.locked != roster.locked:
                self.store_lock(locked)
            self._driven[conference_key(running.uri)].directory_locked = roster.locked
        self._after(running, actions, now)

    @staticmethod
    def _entity(running: RunningConference, target: str) -> str:
        """A participant named by its entity (sip:bob@...) or by the focus's id (p3)."""
        found = running.participants.get(target)
        return found.entity if found is not None else target

    @staticmethod
    def _run(roster: Conference, actor: str, command: str, target: str | None, now: float) -> list[Action]:
        if command in ("mute", "unmute"):
            assert target is not None
            return roster.mute(actor, target, now, muted=command == "mute")
        if command in ("audience-mute", "audience-unmute"):
            return roster.set_audience_mute(actor, command == "audience-mute", now)
        if command in ("lock", "unlock"):
            return roster.lock(actor, command == "lock", now)
        if command == "admit-all":
            return roster.admit_all(actor, now)
        if command == "end":
            return roster.end(actor, now)
        assert target is not None
        method = {"eject": roster.eject, "admit": roster.admit, "deny": roster.deny, "promote": roster.promote,
                  "demote": roster.demote}[command]
        return method(actor, target, now)

    def role_of(self, uri: str, entity: str) -> Role | None:
        roster = self.roster(uri)
        person = roster.participants.get(entity) if roster is not None else None
        return person.role if person is not None else None

    # --- deadlines --------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        if not self._driven and not self._leaving:
            return None   # no conference running (read after every SIP event the core handles)
        deadlines = [d for driven in self._driven.values() if (d := driven.roster.next_deadline()) is not None]
        deadlines += [at for at, _, _ in self._leaving]
        return min(deadlines, default=None)

    def tick(self, now: float) -> None:
        """Lobby timeouts, the active-speaker hold, and the BYEs after notices."""
        due = [leaving for leaving in self._leaving if leaving[0] <= now]
        self._leaving = [leaving for leaving in self._leaving if leaving[0] > now]
        for _, conference, participant in due:
            if self.focus is not None and conference.participants.get(participant.id) is participant:
                self.focus.disconnect(conference, participant, now)
        for driven in list(self._driven.values()):
            if driven.running is not None:
                actions = driven.roster.talkers(driven.talking, now) if driven.talking else []
                self._after(driven.running, actions + driven.roster.tick(now), now)

    # --- carrying out the roster's actions ----------------------------------------------------------

    def _endpoint(self, conference: RunningConference, endpoint: str) -> Participant | None:
        return conference.participants.get(endpoint)

    def _after(self, conference: RunningConference, actions: list[Action], now: float) -> None:
        changed = False
        for action in actions:
            if isinstance(action, SetMuted):
                participant = self._endpoint(conference, action.endpoint)
                if participant is not None:
                    conference.set_muted(participant, action.muted)
            elif isinstance(action, ConnectToMix):
                participant = self._endpoint(conference, action.endpoint)
                if participant is not None and participant.in_lobby and self.focus is not None:
                    self.focus.admit(conference.conference_id, participant.id)
            elif isinstance(action, Disconnect):
                participant = self._endpoint(conference, action.endpoint)
                if participant is not None:
                    self._disconnect(conference, participant, action, now)
            elif isinstance(action, Announce):
                if action.prompt in (Prompt.ENTRY_TONE, Prompt.EXIT_TONE):
                    conference.room.announce("entry" if action.prompt is Prompt.ENTRY_TONE else "exit")
            elif isinstance(action, (StateChanged, SpeakersChanged, ConferenceEnded)):
                changed = True
        if changed:
            driven = self._driven.get(conference_key(conference.uri))
            if driven is not None:
                self._publish(conference, driven.roster, now)

    def _disconnect(self, conference: RunningConference, participant: Participant, action: Disconnect,
                    now: float) -> None:
        """The notice to the participant alone (unheard by the others meanwhile), then BYE
        when it has played; BYE at once when there is none."""
        if self.focus is None:
            return
        seconds = participant.media.play_notice(action.prompt.value) if action.prompt is not None else 0.0
        if seconds <= 0:
            self.focus.disconnect(conference, participant, now)
            return
        conference.set_muted(participant, True)
        self._leaving.append((now + seconds + NOTICE_MARGIN, conference, participant))

    def _publish(self, conference: RunningConference, roster: Conference, now: float) -> None:
        for participant in conference.participants.values():   # promotions show on the focus's legs too
            person = roster.participants.get(participant.entity)
            if person is not None:
                participant.role = person.role.value
        for listener in list(self.listeners):
            listener(conference, roster, now)
