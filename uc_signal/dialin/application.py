"""Dial-in conferencing: the access numbers' calls, from the auto attendant into the
meeting. A chain application, sans-IO (requests through `on_request`, engine events
through `dtmf`/`playback_finished`/`recording_finished`, time as `now`).

What it claims: an out-of-dialog INVITE whose Request-URI is one of the configured access
numbers (a tel: URI, or a SIP URI; `sip:+1555...;user=phone` is the tel: number), and every
request within one of its dialogs while the caller is at the attendant.

    INVITE + SDP offer  -> 200 + answer from a leg in no conference (Contact: the attendant)
    ACK                 -> the attendant starts: prompts on the leg
    digits              -> RFC 4733 on the leg (DtmfReceived) or SIP INFO (application/
                           dtmf-relay, application/dtmf: 200; another body: 415)
    re-INVITE           -> a new answer on the same leg
    BYE                 -> 200, the call ends
    JoinMeeting         -> the focus adopts the dialog and the leg (`FocusApplication.adopt`):
                           no new INVITE, the caller keeps the same dialog and media

After the join the focus owns the dialog (BYE, re-INVITE, OPTIONS go to it); this
application keeps watching it for digits only: INFO with a DTMF body is answered here
(before the focus in the chain), and RFC 4733 events on the leg, so the in-meeting keypad
(`KeypadInterpreter` through the attendant) runs the commands on the focus's controls,
checked against the caller's role. The focus's `participant_left` ends the call here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from ..application import RequestContext
from ..conferencing.admission import Role
from ..conferencing.attendant import (AttendantAction, AttendantSettings, AutoAttendant, AttendantState, HangUp,
                                      JoinMeeting, LookupConference, PinResult, PlayPrompt, RecordName, RunCommand,
                                      StopPrompt, StopRecording, VerifyPin)
from ..conferencing.dtmf import DtmfBodyError, parse_info_body
from ..conferencing.keypad import KeyMap, KeypadCommand
from ..conferencing.prompts import Prompt
from ..focus.application import FocusApplication, JoinDecision
from ..focus.conference import Participant, RunningConference
from ..focus.directory import ConferenceHandle
from ..focus.media import OfferRejected, RoomFull
from ..focus.roster import ControlRefused, FocusRoster
from ..proxy.invite_uas import UnacknowledgedAnswer, answer_invite
from ..proxy.services import ApplicationServices
from ..sip import DIALOG_ERROR_STATUS, Dialog, DialogId, ParseError, make_response
from ..sip.dialog import DialogState
from ..sip.uri import SipUri, TelUri, parse_uri
from ..transport.peer import Peer
from .media import AttendantLeg, AttendantMedia, Audio, Recording

log = logging.getLogger(__name__)

SDP = "application/sdp"
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"
ATTENDANT_USER = "dialin"
DTMF_TYPES = ("application/dtmf-relay", "application/dtmf")


class MeetingAccess(Protocol):
    """What the attendant needs of the meeting directory (ucd: `meetings.DirectoryAccess`)."""

    def find(self, conference_id: str) -> ConferenceHandle | None:
        """The meeting with this dial-in conference ID, if it exists and has not expired."""
        ...

    def check_pin(self, pin: str, *, user: str | None, extension: str | None,
                  done: Callable[[PinResult, str | None, float], None]) -> None:
        """Verify a leader PIN (slow by design: may answer later); `done(result, user, now)`."""
        ...

    def admission(self, handle: ConferenceHandle, entity: str, *, leader: bool, dialed_in: bool) -> tuple[Role, bool]:
        """The joiner's role and whether it waits in the lobby (conferencing.admission)."""
        ...

    def locked(self, handle: ConferenceHandle) -> bool: ...

    def set_locked(self, handle: ConferenceHandle, locked: bool) -> None: ...


def access_key(uri: str) -> str | None:
    """What names an access number: `tel:` + the number's digits for a tel: URI or a SIP URI
    whose user part is a global number (RFC 3261 19.1.6); `sip:user@host` (lower-case host)
    otherwise. None for what is not a URI."""
    text = uri.strip().strip("<>")
    try:
        parsed = parse_uri(text)
    except ParseError:
        return None
    if isinstance(parsed, TelUri):
        return "tel:" + parsed.digits
    if isinstance(parsed, SipUri):
        user = parsed.user or ""
        digits = "".join(ch for ch in user if ch not in "-.()")
        if digits.startswith("+") and digits[1:].isdigit():
            return "tel:" + digits
        return f"sip:{user}@{parsed.host.lower()}"
    return None


@dataclass(eq=False)
class DialInCall:
    """One call at the attendant, and (after the join) its place in the meeting."""

    dialog: Dialog
    peer: Peer
    leg: AttendantLeg
    local_sdp: bytes
    attendant: AutoAttendant
    caller: str                         # the From URI
    display_name: str
    play_token: int = 0
    playing: Prompt | None = None
    record_token: int = 0
    acked: bool = False
    unacked: UnacknowledgedAnswer | None = None
    handle: ConferenceHandle | None = None
    participant: Participant | None = None
    role: Role = Role.ATTENDEE
    name: Recording | None = None
    name_announced: bool = False
    digits_info: int = 0                # digits that came by SIP INFO
    digits_rtp: int = 0                 # and by RFC 4733


class DialInApplication:
    name = "dialin"

    def __init__(self, services: ApplicationServices, access_numbers: Iterable[str], media: AttendantMedia,
                 meetings: MeetingAccess, focus: FocusApplication, *, settings: AttendantSettings | None = None,
                 key_map: KeyMap | None = None, roster: FocusRoster | None = None) -> None:
        self.services = services
        self.media = media
        self.meetings = meetings
        self.focus = focus
        # The meetings' rosters (ucd's): the keypad's controls run there, so audience
        # mute, lock and the lobby have one state that SIP, the admin API and the
        # conference event package share.
        self.roster = roster
        self.settings = settings or AttendantSettings()
        self.key_map = key_map or KeyMap()
        self.access_numbers: set[str] = set()
        for number in access_numbers:
            key = access_key(number)
            if key is None:
                raise ValueError(f"access number {number!r} is not a tel: or SIP URI")
            self.access_numbers.add(key)
        self.calls: dict[DialogId, DialInCall] = {}
        self._by_leg: dict[int, DialInCall] = {}
        self._tokens = 0
        self.ended: list[tuple[str, str]] = []       # (caller, reason) of the last calls, for tests/admin
        focus.observers.append(self)

    # --- the chain -------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        to = request.to
        if to is not None and to.tag is not None:
            return self._in_dialog(context)
        if request.method != "INVITE" or access_key(request.uri_text) not in self.access_numbers:
            return False
        self._answer(context)
        return True

    def _answer(self, context: RequestContext) -> None:
        request = context.request
        if not request.contact or request.contact[0].is_star:
            context.respond(400, "Bad Request (an INVITE needs a Contact)")
            return
        if not request.body:
            # The attendant plays at once; a late offer (13.2.1) would delay the welcome
            # until the ACK for no gain. Callers through gateways offer in the INVITE.
            context.respond(488, "Not Acceptable Here (an SDP offer is required)",
                            headers=[("Warning", '399 - "an offer in the INVITE is required"')])
            return
        try:
            leg, sdp = self.media.answer(request.body)
        except OfferRejected as error:
            context.respond(error.status, None, headers=[("Warning", f'305 - "{_quoted(str(error))}"')])
            return
        from_ = request.from_
        assert from_ is not None
        transport = context.source.transport
        response, dialog = answer_invite(
            request, context.to_tag, f"<{self.services.originator.contact(transport, ATTENDANT_USER)}>", ALLOW,
            sdp, SDP)
        attendant = AutoAttendant(self.settings, caller_user=self._caller_user(from_.uri_text), key_map=self.key_map)
        call = DialInCall(dialog, context.source, leg, sdp, attendant, from_.uri_text,
                          (from_.display_name or "").strip('"'))
        self.calls[dialog.id] = call
        self._by_leg[leg.leg_id] = call
        context.reply(response)
        if transport == "UDP":
            now = context.now
            call.unacked = UnacknowledgedAnswer.sent(response, context.source, now)
        log.info("dialin: %s called %s", call.caller, request.uri_text)

    def _caller_user(self, uri: str) -> str | None:
        """The local user the caller ID names, if any (whose PIN a leader then keys)."""
        try:
            parsed = parse_uri(uri.strip("<>"))
        except ParseError:
            return None
        if not isinstance(parsed, SipUri) or not parsed.user:
            return None
        user = self.services.users.find_user(parsed.user, parsed.host.lower())
        return user.aor if user is not None else None

    def _in_dialog(self, context: RequestContext) -> bool:
        request = context.request
        to, from_ = request.to, request.from_
        assert to is not None and to.tag is not None
        call = self.calls.get(DialogId(request.call_id or "", to.tag, from_.tag if from_ and from_.tag else ""))
        if call is None:
            return False
        if call.participant is not None:
            # The focus owns the dialog; only DTMF INFO stays ours (the keypad).
            if request.method != "INFO" or not _is_dtmf(request.headers.get("Content-Type") or ""):
                return False
        if request.method == "ACK":
            call.unacked = None
            if not call.acked:
                call.acked = True
                self._run(call, call.attendant.answered(context.now), context.now)
            return True
        error = call.dialog.receive_request(request)
        if error is not None:
            context.respond(*DIALOG_ERROR_STATUS[error])
            return True
        if request.method == "BYE":
            context.respond(200)
            self._end(call, "caller hung up", context.now)
        elif request.method == "INFO":
            self._info(context, call)
        elif request.method == "INVITE":
            self._reinvite(context, call)
        elif request.method == "OPTIONS":
            context.respond(200, headers=[("Allow", ALLOW)])
        else:
            context.respond(501, headers=[("Allow", ALLOW)])
        return True

    def _info(self, context: RequestContext, call: DialInCall) -> None:
        request = context.request
        content_type = request.headers.get("Content-Type") or ""
        if not _is_dtmf(content_type):
            # RFC 6086 4.2.2: a body we do not take; the session stays up.
            log.info("dialin: INFO with %s from %s refused", content_type or "no body type", call.caller)
            context.respond(415, headers=[("Accept", ", ".join(DTMF_TYPES))])
            return
        try:
            digit = parse_info_body(content_type, request.body)
        except DtmfBodyError as error:
            log.info("dialin: INFO from %s carries no digit: %s", call.caller, error)
            context.respond(400, f"Bad Request ({_quoted(str(error))})")
            return
        context.respond(200)
        call.digits_info += 1
        self._digit(call, digit.digit, context.now)

    def _reinvite(self, context: RequestContext, call: DialInCall) -> None:
        request = context.request
        if request.body:
            try:
                call.local_sdp = call.leg.reanswer(request.body)
            except OfferRejected as error:
                context.respond(error.status, headers=[("Warning", f'305 - "{_quoted(str(error))}"')])
                return
        response = make_response(request, 200, to_tag=call.dialog.id.local_tag)
        response.headers.add("Contact", f"<{self.services.originator.contact(context.source.transport, ATTENDANT_USER)}>")
        response.headers.add("Allow", ALLOW)
        response.set_body(call.local_sdp, SDP)
        context.reply(response)

    # --- engine events -----------------------------------------------------------------------

    def dtmf(self, leg_id: int, digit: str, now: float) -> None:
        """An RFC 4733 digit the engine received on a leg (ours, or one the focus adopted)."""
        call = self._by_leg.get(leg_id)
        if call is not None:
            call.digits_rtp += 1
            self._digit(call, digit, now)

    def playback_finished(self, leg_id: int, token: int, completed: bool, now: float) -> None:
        call = self._by_leg.get(leg_id)
        if call is None or token != call.play_token or call.playing is None:
            return   # a stopped or replaced prompt, an in-meeting notice
        prompt, call.playing = call.playing, None
        if completed:
            self._run(call, call.attendant.prompt_finished(prompt, now), now)

    def recording_finished(self, leg_id: int, token: int, samples: int, now: float) -> None:
        call = self._by_leg.get(leg_id)
        if call is None or token != call.record_token:
            return
        recorded = call.leg.recorded(samples) if samples > 0 else None
        call.name = recorded
        self._run(call, call.attendant.recording_finished("name" if recorded else None, now), now)

    def _digit(self, call: DialInCall, digit: str, now: float) -> None:
        if call.attendant.state in (AttendantState.ENDED, AttendantState.IDLE):
            return
        self._run(call, call.attendant.digit(digit, now), now)

    # --- the attendant's actions -----------------------------------------------------------

    def _token(self) -> int:
        self._tokens += 1
        return self._tokens

    def _run(self, call: DialInCall, actions: list[AttendantAction], now: float) -> None:
        pending = list(actions)
        while pending:
            action = pending.pop(0)
            if self.calls.get(call.dialog.id) is not call:
                return   # ended meanwhile
            if isinstance(action, PlayPrompt):
                call.play_token, call.playing = self._token(), action.prompt
                call.leg.play([action.prompt], call.play_token)
            elif isinstance(action, StopPrompt):
                call.playing = None
                call.leg.stop_playback()
            elif isinstance(action, RecordName):
                call.record_token = self._token()
                call.leg.record(action.max_seconds, call.record_token)
            elif isinstance(action, StopRecording):
                call.leg.stop_recording()
            elif isinstance(action, LookupConference):
                handle = self.meetings.find(action.conference_id)
                if handle is None:
                    pending += call.attendant.conference_not_found(now)
                else:
                    call.handle = handle
                    pending += call.attendant.conference_found(action.conference_id, now)
            elif isinstance(action, VerifyPin):
                self.meetings.check_pin(action.pin, user=action.user, extension=action.extension,
                                        done=functools.partial(self._pin_checked, call))
            elif isinstance(action, JoinMeeting):
                self._join(call, action, now)
            elif isinstance(action, RunCommand):
                self._command(call, action.command, now)
            elif isinstance(action, HangUp):
                self._hang_up(call, action.reason, now)

    def _pin_checked(self, call: DialInCall, result: PinResult, user: str | None, now: float) -> None:
        if self.calls.get(call.dialog.id) is not call or call.attendant.state is not AttendantState.VERIFY:
            return
        self._run(call, call.attendant.pin_result(result, now, user), now)

    def _join(self, call: DialInCall, action: JoinMeeting, now: float) -> None:
        handle = call.handle
        if handle is None or self.meetings.find(handle.conference_id) is None:
            self._hang_up(call, "the meeting is gone", now)
            return
        leader = action.leader
        entity = leader or call.caller
        call.role, waits = self.meetings.admission(handle, entity, leader=leader is not None, dialed_in=True)
        try:
            call.participant = self.focus.adopt(
                handle, dialog=call.dialog, peer=call.peer, media=call.leg.handover(), local_sdp=call.local_sdp,
                entity=entity, display_name=call.display_name, authenticated=leader is not None,
                decision=JoinDecision(call.role.value, waits), now=now)
        except RoomFull as error:
            log.warning("dialin: %s cannot join %s: %s", entity, handle.uri, error)
            self._hang_up(call, "the meeting is full", now)
            return
        call.unacked = None   # an attendee joining under audience mute: the roster mutes it
        self._announce_name(call)
        log.info("dialin: %s joined %s as %s (%s)%s; digits: %d by RFC 4733, %d by SIP INFO", entity, handle.uri,
                 call.participant.id, call.role.value, " in the lobby" if waits else "", call.digits_rtp,
                 call.digits_info)

    def _hang_up(self, call: DialInCall, reason: str, now: float) -> None:
        dialog = call.dialog
        if call.participant is not None:
            conference = self._running(call)
            if conference is not None:
                self.focus.disconnect(conference, call.participant, now)   # BYE; participant_left ends us
                return
        if dialog.state is not DialogState.TERMINATED:
            originator = self.services.originator
            bye = dialog.create_request("BYE", originator.via(call.peer.transport))
            originator.send(bye, call.peer, None, now)
        self._end(call, reason, now)

    def _end(self, call: DialInCall, reason: str, now: float) -> None:
        if self.calls.pop(call.dialog.id, None) is None:
            return
        self._by_leg.pop(call.leg.leg_id, None)
        call.attendant.hung_up(now)
        if call.participant is None:
            call.dialog.terminate()
            call.leg.close()
        self.ended.append((call.caller, reason))
        del self.ended[:-100]
        log.info("dialin: %s's call ended: %s (digits: %d by RFC 4733, %d by SIP INFO)", call.caller, reason,
                 call.digits_rtp, call.digits_info)

    def _running(self, call: DialInCall) -> RunningConference | None:
        if call.handle is None or call.participant is None:
            return None
        for conference in self.focus.conferences.values():
            if call.participant.id in conference.participants:
                return conference
        return None

    # --- in the meeting: keypad commands ------------------------------------------------

    def _notice(self, call: DialInCall, *audio: Audio) -> None:
        """A prompt to this caller alone, over what it hears of the meeting."""
        call.leg.play(list(audio), self._token())

    def _command(self, call: DialInCall, command: KeypadCommand, now: float) -> None:
        conference = self._running(call)
        participant = call.participant
        if conference is None or participant is None or call.handle is None:
            return
        if participant.in_lobby:
            return   # no commands while waiting: a notice would replace the lobby music
        cid = call.handle.conference_id
        roster = self.roster.roster(call.handle.uri) if self.roster is not None else None
        if roster is None:
            self._command_without_roster(call, conference, participant, command)
            return
        entity = participant.entity

        def run(control: str, target: str | None = None) -> bool:
            """The roster's control as this caller (its permission check); a refusal is
            NOT_PERMITTED to the caller."""
            assert self.roster is not None
            try:
                self.roster.control(cid, entity, control, target, now)
            except ControlRefused as error:
                log.info("dialin: %s's %s refused: %s", entity, control, error)
                self._notice(call, Prompt.NOT_PERMITTED)
                return False
            return True

        if command is KeypadCommand.HELP:
            self._notice(call, Prompt.HELP)
        elif command is KeypadCommand.SELF_MUTE:
            muted = not participant.muted
            if run("mute" if muted else "unmute", entity):   # not under audience mute, for an attendee
                self._notice(call, Prompt.MUTED if muted else Prompt.UNMUTED)
        elif command is KeypadCommand.AUDIENCE_MUTE:
            muted = not roster.audience_muted
            if run("audience-mute" if muted else "audience-unmute"):
                self._notice(call, Prompt.AUDIENCE_MUTED if muted else Prompt.AUDIENCE_UNMUTED)
        elif command is KeypadCommand.LOCK:
            locked = not roster.locked
            if run("lock" if locked else "unlock"):           # the roster writes the directory and store
                self._notice(call, Prompt.MEETING_LOCKED if locked else Prompt.MEETING_UNLOCKED)
        elif command is KeypadCommand.ADMIT_ALL:
            if run("admit-all"):
                self._notice(call, Prompt.LOBBY_ADMITTED)
        elif command is KeypadCommand.ROLL_CALL:
            self._roll_call(call, conference)
        else:
            # Entry and exit chimes are the focus's setting for every meeting, not one
            # caller's to switch.
            self._notice(call, Prompt.NOT_PERMITTED)

    def _command_without_roster(self, call: DialInCall, conference: RunningConference, participant: Participant,
                                command: KeypadCommand) -> None:
        """A meeting no roster drives (no roster given, or a conference without roles):
        no audience to mute; the rest on the focus and the directory directly."""
        assert call.handle is not None
        cid = call.handle.conference_id
        if command.presenters_only and call.role not in (Role.ORGANIZER, Role.PRESENTER):
            self._notice(call, Prompt.NOT_PERMITTED)
        elif command is KeypadCommand.HELP:
            self._notice(call, Prompt.HELP)
        elif command is KeypadCommand.SELF_MUTE:
            muted = not participant.muted
            self.focus.set_muted(cid, participant.id, muted)
            self._notice(call, Prompt.MUTED if muted else Prompt.UNMUTED)
        elif command is KeypadCommand.LOCK:
            locked = not self.meetings.locked(call.handle)
            self.meetings.set_locked(call.handle, locked)
            self._notice(call, Prompt.MEETING_LOCKED if locked else Prompt.MEETING_UNLOCKED)
        elif command is KeypadCommand.ADMIT_ALL:
            for other in list(conference.participants.values()):
                if other.in_lobby:
                    self.focus.admit(cid, other.id)
            self._notice(call, Prompt.LOBBY_ADMITTED)
        elif command is KeypadCommand.ROLL_CALL:
            self._roll_call(call, conference)
        else:   # audience mute (there is no roster's audience), announcements
            self._notice(call, Prompt.NOT_PERMITTED)

    def _roll_call(self, call: DialInCall, conference: RunningConference) -> None:
        """ROLL_CALL then the names recorded by the meeting's dial-in callers, to the caller alone."""
        names: list[Audio] = [other.name for other in self.calls.values()
                              if other.name and other.participant is not None
                              and other.participant.id in conference.participants]
        self._notice(call, Prompt.ROLL_CALL, *names)

    # --- the focus tells us (ConferenceObserver) -------------------------------------------

    def participant_joined(self, conference: RunningConference, participant: Participant) -> None:
        pass

    def participant_changed(self, conference: RunningConference, participant: Participant) -> None:
        for call in self.calls.values():
            if call.participant is participant:
                self._announce_name(call)   # admitted from the lobby: now the others hear the name

    def _announce_name(self, call: DialInCall) -> None:
        """A guest's recorded name, into the whole mix once it is in it."""
        participant = call.participant
        if call.name and not call.name_announced and participant is not None and not participant.in_lobby:
            call.name_announced = True
            call.leg.announce(call.name)

    def participant_left(self, conference: RunningConference, participant: Participant) -> None:
        for call in list(self.calls.values()):
            if call.participant is participant:
                self._end(call, "left the meeting", 0.0)

    def speakers_changed(self, conference: RunningConference, speakers: tuple[Participant, ...]) -> None:
        pass

    def conference_ended(self, conference: RunningConference) -> None:
        pass

    # --- deadlines (TimedApplication) ------------------------------------------------------

    def get_timer(self) -> float | None:
        deadlines = [t for call in self.calls.values()
                     for t in (call.attendant.next_timer(), call.unacked.next_at if call.unacked else None)
                     if t is not None]
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> None:
        for call in list(self.calls.values()):
            unacked = call.unacked
            if unacked is not None and unacked.due(now):
                if unacked.given_up(now):
                    self._hang_up(call, "no ACK", now)
                    continue
                self.services.originator.sender.send_stateless(unacked.response, unacked.peer)
                unacked.retransmitted(now)
            deadline = call.attendant.next_timer()
            if deadline is not None and deadline <= now and self.calls.get(call.dialog.id) is call:
                self._run(call, call.attendant.timer(now), now)

    def end_all(self, now: float) -> int:
        """BYE to every caller still at the attendant (ucd shutting down); how many."""
        waiting = [call for call in self.calls.values() if call.participant is None]
        for call in waiting:
            self._hang_up(call, "shutting down", now)
        return len(waiting)


def _is_dtmf(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in DTMF_TYPES


def _quoted(text: str) -> str:
    return " ".join(text.replace("\\", "/").replace('"', "'").split())[:200]
