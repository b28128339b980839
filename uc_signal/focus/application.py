"""The conferencing focus's SIP side (RFC 4353, RFC 4579): an application of the chain
that answers INVITEs to conference URIs with a leg in the meeting's audio mix and holds
the dialogs. Sans-IO: requests come in through `on_request`, media through the narrow
`MediaRooms` interface, time as `now`.

What it claims: an out-of-dialog INVITE whose Request-URI the `ConferenceLookup` knows
(or that carries the focus marker, answered 404 when unknown), and every request within
one of its dialogs (matched by dialog ID, 12.2.2), plus NOTIFYs about the REFERs it sent.

    INVITE + SDP offer      -> caller authentication (407) -> 200 + answer, Contact ;isfocus
    INVITE without SDP      -> 200 + our offer; the ACK carries the answer (13.2.1)
    ACK                     -> the participant is connected
    re-INVITE               -> a new answer on the same leg (hold/resume: direction)
    BYE                     -> 200, the leg leaves; the last one closes the room
    unusable offer          -> 488 + Warning 305 (400 for malformed SDP), no leg left
    unknown conference      -> 404
    CANCEL                  -> answered by the core (9.2); the focus answers an INVITE at
                               once, so a CANCEL finds it answered and changes nothing

Over UDP the 200 to an INVITE is retransmitted until its ACK comes (13.3.1.4: T1, doubling
to T2; ucd's transaction layer leaves this to the UAS core), and after 64*T1 without an ACK
the session is ended with BYE.

Roles and the lobby: the `admission` hook gives each joiner a role and says whether it
waits; a waiting joiner is answered too, but its leg stays out of the mix (lobby music)
until `admit`, or a BYE after `lobby_timeout`. Joins and leaves are announced with a chime.

Dial-out (adding a party, issue 7): `dial_user` INVITEs a user's first registered endpoint
with our offer; its 2xx answer puts it in the mix (ACK sent, 13.2.2.4), a failure closes
the leg again. Escalation (issue 7): `invite_user` sends an out-of-dialog REFER (RFC 3515)
to each registered endpoint of a user, Refer-To the conference URI; the endpoint then
INVITEs the conference. The REFER's implicit subscription NOTIFYs are answered 200 and their sipfrag
status kept in `referrals` (the last REFERRALS_KEPT).
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from ..application import RequestContext
from ..proxy.invite_uas import UnacknowledgedAnswer, answer_invite
from ..proxy.services import ApplicationServices
from ..sip import (DIALOG_ERROR_STATUS, Dialog, DialogId, DialogProtocolError, Headers, Request, Response,
                   make_response)
from ..sip.dialog import DialogState
from ..transport.peer import Peer
from .conference import ConferenceObserver, Participant, ParticipantState, RunningConference
from .directory import ConferenceHandle, ConferenceLookup, conference_key, looks_like_conference_uri
from .media import MediaLeg, MediaRooms, OfferRejected, RoomFull

log = logging.getLogger(__name__)

SDP = "application/sdp"
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY, REFER"
FOCUS_USER = "focus"

@dataclass(frozen=True)
class JoinDecision:
    role: str                # RFC 4575 <roles> entry: Lync's organizer, presenter, attendee
    waits: bool              # held in the lobby until admitted


AdmissionDecision = Callable[[ConferenceHandle, str, bool], JoinDecision]
"""(meeting, joiner's entity, authenticated local user) -> role and lobby. ucd's is the
meeting directory's admission table (uc_signal.conferencing.decide)."""

EVERYONE_IN = JoinDecision("participant", False)   # without an admission table

DialogRequestHandler = Callable[[RequestContext, RunningConference, Participant], bool]
"""(request, its conference, the participant whose dialog it came in) -> answered."""
REFERRALS_KEPT = 200   # the last REFERs, with their outcome, for the admin API


class UnknownConference(LookupError):
    pass


class UnknownParticipant(LookupError):
    pass


@dataclass
class DialOut:
    """One INVITE the focus sent to bring a user in: where, and how it ended."""

    target: str
    conference_uri: str
    status: int | None = None          # the final response
    participant: Participant | None = None


@dataclass
class Referral:
    """One REFER the focus sent: to whom, and what came back (RFC 3515 2.4.4, 2.4.5)."""

    target: str                      # the endpoint's URI
    conference_uri: str
    call_id: str
    from_tag: str
    status: int | None = None        # the final response to the REFER
    notified: list[str] = field(default_factory=list)   # sipfrag status lines, in order
    subscription_ended: bool = False                     # a NOTIFY said Subscription-State: terminated


class FocusApplication:
    name = "focus"

    def __init__(self, services: ApplicationServices, lookup: ConferenceLookup, rooms: MediaRooms, *,
                 announcements: bool = True, admission: AdmissionDecision | None = None,
                 lobby_timeout: float = 900.0) -> None:
        self.services = services
        self.admission = admission           # roles and who waits until admitted; None: all in
        self.lobby_timeout = lobby_timeout   # then the waiting caller is let go (BYE)
        self._lobby_until: dict[DialogId, float] = {}
        self.announcements = announcements   # entry and exit tones into the mix
        self.lookup = lookup
        self.rooms = rooms
        self.conferences: dict[str, RunningConference] = {}     # by conference_key(uri)
        self.observers: list[ConferenceObserver] = []
        self._dialogs: dict[DialogId, tuple[RunningConference, Participant]] = {}
        self._numbers = itertools.count(1)
        self.referrals: dict[tuple[str, str], Referral] = {}     # by (Call-ID, our tag)
        self._unacked: dict[DialogId, UnacknowledgedAnswer] = {}
        # INFO and REFER in a participant's dialog go here first (the conference controls,
        # uc_signal.focus.events); True: answered there.
        self.dialog_requests: DialogRequestHandler | None = None

    # --- the chain -------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        to = request.to
        if to is not None and to.tag is not None:
            # Read before every in-dialog request of every call through the server (the ACK
            # and BYE of a plain call): with no participant dialog and no REFER pending,
            # none of them is the focus's.
            if not self._dialogs and not self.referrals:
                return False
            return self._in_dialog(context)
        if request.method != "INVITE":
            return False
        uri_text = request.uri_text
        handle = self.lookup.find(uri_text)
        if handle is None:
            if looks_like_conference_uri(uri_text):
                context.respond(404, "Conference Not Found")
                return True
            return False
        if not self.services.caller_auth.authorize(context):
            return True   # answered: 407 or 403
        self._join(context, handle)
        return True

    # --- joining ---------------------------------------------------------------------------

    def _join(self, context: RequestContext, handle: ConferenceHandle) -> None:
        request = context.request
        if not request.contact or request.contact[0].is_star:
            context.respond(400, "Bad Request (an INVITE needs a Contact)")
            return
        key = conference_key(handle.uri)
        conference = self.conferences.get(key)
        created = conference is None
        if conference is None:
            try:
                conference = self._open(key, handle)
            except RoomFull as error:
                context.respond(503, "Service Unavailable (no media capacity)", headers=[("Retry-After", "30")])
                log.warning("focus: %s", error)
                return
        sender = self.services.caller_auth.sender(request)
        from_ = request.from_
        assert from_ is not None
        entity = sender.aor if sender is not None else from_.uri_text
        decision = self._decide(handle, entity, sender is not None)
        waits = decision.waits
        try:
            if request.body:
                leg, sdp = conference.room.answer(request.body, lobby=waits)
            else:
                leg, sdp = conference.room.offer(lobby=waits)
        except (OfferRejected, RoomFull) as error:
            if isinstance(error, RoomFull):
                context.respond(486, "Busy Here (the conference is full)")
            else:
                # RFC 3261 20.43: 305 Incompatible media format; 399 for malformed SDP.
                code = 305 if error.status == 488 else 399
                warning = f'{code} {self._warn_agent(context)} "{_quoted(str(error))}"'
                context.respond(error.status, None, headers=[("Warning", warning)])
            if created and not conference.participants:
                self._close(key, conference)
            return
        transport = context.source.transport
        response, dialog = answer_invite(
            request, context.to_tag, f"<{self.services.originator.contact(transport, FOCUS_USER)}>;isfocus",
            ALLOW, sdp, SDP)
        participant = Participant(
            id=f"p{next(self._numbers)}", entity=entity,
            display_name=(from_.display_name or (sender.display_name if sender else "") or "").strip('"'),
            authenticated=sender is not None, dialog=dialog, peer=context.source, media=leg, local_sdp=sdp,
            role=decision.role)
        self._dialogs[dialog.id] = (conference, participant)
        conference.add(participant)
        if self.announcements and not waits:
            conference.room.announce("entry")
        if waits:
            self._lobby_until[dialog.id] = context.now + self.lobby_timeout
        context.reply(response)
        if context.source.transport == "UDP":
            now = context.now
            self._unacked[dialog.id] = UnacknowledgedAnswer.sent(response, context.source, now)
        log.info("focus: %s joined %s as %s%s", participant.entity, handle.uri, participant.id,
                 " (in the lobby)" if waits else "")

    def _decide(self, handle: ConferenceHandle, entity: str, authenticated: bool) -> JoinDecision:
        return self.admission(handle, entity, authenticated) if self.admission is not None else EVERYONE_IN

    def _open(self, key: str, handle: ConferenceHandle) -> RunningConference:
        holder: list[RunningConference] = []
        room = self.rooms.open_room(lambda talkers: holder[0].talkers_changed(talkers) if holder else None)
        conference = RunningConference(handle, room, self.observers)
        holder.append(conference)
        self.conferences[key] = conference
        return conference

    def _close(self, key: str, conference: RunningConference) -> None:
        self.conferences.pop(key, None)
        conference.room.close()
        conference.notify(lambda o: o.conference_ended(conference))

    def _warn_agent(self, context: RequestContext) -> str:
        host, port = self.services.originator.sent_by(context.source.transport)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    # --- adoption: a dialog another application answered joins (dial-in) -----------------

    def adopt(self, handle: ConferenceHandle, *, dialog: Dialog, peer: Peer, media: object, local_sdp: bytes,
              entity: str, display_name: str, authenticated: bool, decision: JoinDecision,
              now: float) -> Participant:
        """Take over a confirmed dialog and its media leg from another application of the
        chain (the dial-in attendant answered the INVITE and kept the caller until the
        meeting was known). The leg moves into the meeting's room (`MediaRoom.adopt`: the mix,
        or the lobby), the participant is connected at once, and from then on the focus
        answers the dialog's requests (BYE, re-INVITE, OPTIONS) and ends it (eject, end_all).
        The caller sees no new INVITE. `decision` is the caller's role and lobby as the
        adopter judged it (a dial-in leader's PIN, PSTN lobby bypass: what the focus cannot
        see in a SIP request). RoomFull when the meeting or the engine is full."""
        lobby = decision.waits
        key = conference_key(handle.uri)
        conference = self.conferences.get(key)
        created = conference is None
        if conference is None:
            conference = self._open(key, handle)
        try:
            leg = conference.room.adopt(media, lobby=lobby)
        except RoomFull:
            if created and not conference.participants:
                self._close(key, conference)
            raise
        participant = Participant(id=f"p{next(self._numbers)}", entity=entity, display_name=display_name,
                                  authenticated=authenticated, dialog=dialog, peer=peer, media=leg,
                                  local_sdp=local_sdp, state=ParticipantState.CONNECTED, role=decision.role)
        self._dialogs[dialog.id] = (conference, participant)
        conference.add(participant)
        if self.announcements and not lobby:
            conference.room.announce("entry")
        if lobby:
            self._lobby_until[dialog.id] = now + self.lobby_timeout
        log.info("focus: %s joined %s as %s by dial-in%s", entity, handle.uri, participant.id,
                 " (in the lobby)" if lobby else "")
        return participant

    # --- within a dialog -------------------------------------------------------------------

    def _in_dialog(self, context: RequestContext) -> bool:
        request = context.request
        to, from_ = request.to, request.from_
        assert to is not None and to.tag is not None
        found = self._dialogs.get(DialogId(request.call_id or "", to.tag, from_.tag if from_ and from_.tag else ""))
        if found is None:
            if request.method == "NOTIFY" and (request.call_id or "", to.tag) in self.referrals:
                self._refer_notify(context)
                return True
            return False
        conference, participant = found
        dialog = participant.dialog
        if request.method == "ACK":
            self._ack(context, conference, participant)
            return True
        error = dialog.receive_request(request)
        if error is not None:
            context.respond(*DIALOG_ERROR_STATUS[error])
            return True
        if request.method == "BYE":
            context.respond(200)
            self._leave(conference, participant)
        elif request.method == "INVITE":
            self._reinvite(context, conference, participant)
        elif (request.method in ("INFO", "REFER") and self.dialog_requests is not None
              and self.dialog_requests(context, conference, participant)):
            pass
        elif request.method in ("OPTIONS", "INFO"):
            # INFO: DTMF relay bodies (application/dtmf-relay) are the dial-in's business;
            # accepting them keeps the session up (RFC 6086 4.2.2).
            context.respond(200, headers=[("Allow", ALLOW)])
        else:
            context.respond(501, headers=[("Allow", ALLOW)])
        return True

    def _ack(self, context: RequestContext, conference: RunningConference, participant: Participant) -> None:
        request = context.request
        self._unacked.pop(participant.dialog.id, None)
        if participant.state is not ParticipantState.CONNECTING:
            return   # an ACK to a re-INVITE's 2xx, or a retransmission
        if request.body and participant.local_sdp and participant.dialog.state is DialogState.CONFIRMED:
            try:
                participant.media.accept_answer(request.body)
            except OfferRejected as error:
                # 13.2.2.4 (from the UAS side): the answer in the ACK is unusable; end the call.
                log.info("focus: %s answered our offer unusably (%s); BYE", participant.entity, error)
                self.disconnect(conference, participant, context.now)
                return
        participant.state = ParticipantState.CONNECTED
        conference.notify(lambda o: o.participant_changed(conference, participant))

    def _reinvite(self, context: RequestContext, conference: RunningConference, participant: Participant) -> None:
        request = context.request
        if request.body:
            try:
                sdp = participant.media.reanswer(request.body)
            except OfferRejected as error:
                # 14.2: the session stays as it was.
                context.respond(error.status, headers=[("Warning", f'305 {self._warn_agent(context)} '
                                                                   f'"{_quoted(str(error))}"')])
                return
            participant.local_sdp = sdp
        # Without a body (a session refresh) our last SDP is offered again unchanged, and
        # the answer in the ACK cannot change anything (it must match it, RFC 3264 8).
        response = make_response(request, 200, to_tag=participant.dialog.id.local_tag)
        response.headers.add("Contact", f"<{self.services.originator.contact(context.source.transport, FOCUS_USER)}>"
                                        ";isfocus")
        response.headers.add("Allow", ALLOW)
        response.set_body(participant.local_sdp, SDP)
        context.reply(response)
        conference.notify(lambda o: o.participant_changed(conference, participant))

    def _leave(self, conference: RunningConference, participant: Participant) -> None:
        self._dialogs.pop(participant.dialog.id, None)
        self._unacked.pop(participant.dialog.id, None)
        self._lobby_until.pop(participant.dialog.id, None)
        participant.dialog.terminate()
        conference.remove(participant)
        log.info("focus: %s left %s", participant.entity, conference.uri)
        if not conference.participants:
            self._close(conference_key(conference.uri), conference)
        elif self.announcements:
            conference.room.announce("exit")

    # --- deadlines: 2xx retransmission, lobby timeout (TimedApplication) ----------------------

    def get_timer(self) -> float | None:
        # Read after every event the core handles: no lists while nothing is pending.
        if not self._unacked and not self._lobby_until:
            return None
        return min([*(u.next_at for u in self._unacked.values()), *self._lobby_until.values()], default=None)

    def handle_timer(self, now: float) -> None:
        for dialog_id, until in list(self._lobby_until.items()):
            found = self._dialogs.get(dialog_id)
            if until <= now and found is not None:
                conference, participant = found
                log.info("focus: %s waited %.0f s in the lobby of %s; BYE", participant.entity,
                         self.lobby_timeout, conference.uri)
                self.disconnect(conference, participant, now)
            elif found is None:
                self._lobby_until.pop(dialog_id, None)
        for dialog_id, unacked in list(self._unacked.items()):
            if not unacked.due(now):
                continue
            found = self._dialogs.get(dialog_id)
            if found is None:
                self._unacked.pop(dialog_id, None)
            elif unacked.given_up(now):
                conference, participant = found
                log.info("focus: no ACK from %s; BYE", participant.entity)
                self.disconnect(conference, participant, now)
            else:
                self.services.originator.sender.send_stateless(unacked.response, unacked.peer)
                unacked.retransmitted(now)

    # --- controls (admin API, the conference's presenters) ---------------------------------

    def find_conference(self, conference_id: str) -> RunningConference:
        for conference in self.conferences.values():
            if conference.conference_id == conference_id:
                return conference
        raise UnknownConference(f"no running conference {conference_id}")

    def participant(self, conference_id: str, participant_id: str) -> tuple[RunningConference, Participant]:
        conference = self.find_conference(conference_id)
        participant = conference.participants.get(participant_id)
        if participant is None:
            raise UnknownParticipant(f"no participant {participant_id} in conference {conference_id}")
        return conference, participant

    def admit(self, conference_id: str, participant_id: str) -> Participant:
        """Let a participant in from the lobby: into the mix, announced to the others."""
        conference, participant = self.participant(conference_id, participant_id)
        if participant.in_lobby:
            self._lobby_until.pop(participant.dialog.id, None)
            participant.media.admit()
            if self.announcements:
                conference.room.announce("entry")
            conference.notify(lambda o: o.participant_changed(conference, participant))
        return participant

    def set_muted(self, conference_id: str, participant_id: str, muted: bool) -> Participant:
        """Stop (or resume) mixing a participant's audio: the engine's Leg.muted."""
        conference, participant = self.participant(conference_id, participant_id)
        conference.set_muted(participant, muted)
        return participant

    def disconnect(self, conference: RunningConference, participant: Participant, now: float) -> None:
        """End a participant's dialog with BYE (eject, an unusable answer) and take it out."""
        dialog = participant.dialog
        if dialog.state is not DialogState.TERMINATED:
            originator = self.services.originator
            bye = dialog.create_request("BYE", originator.via(participant.peer.transport))
            originator.send(bye, participant.peer, None, now)
        self._leave(conference, participant)

    def end_all(self, now: float) -> int:
        """BYE to every participant of every conference (ucd shutting down); how many."""
        ended = 0
        for conference in list(self.conferences.values()):
            for participant in list(conference.participants.values()):
                self.disconnect(conference, participant, now)
                ended += 1
        return ended

    def eject(self, conference_id: str, participant_id: str, now: float) -> None:
        conference, participant = self.participant(conference_id, participant_id)
        self.disconnect(conference, participant, now)

    # --- dial-out: the focus INVITEs a user (a third party added) ------------------------

    def dial_user(self, aor: str, conference_uri: str, now: float,
                  on_done: Callable[[DialOut], None] | None = None) -> DialOut | None:
        """INVITE the first registered endpoint of `aor` into the conference (our SDP offer,
        its answer in the 2xx). None when the user has no endpoint registered."""
        handle = self.lookup.find(conference_uri)
        if handle is None:
            raise UnknownConference(f"no conference {conference_uri}")
        destinations = self.services.destinations(aor, now)
        if not destinations:
            return None
        destination = destinations[0]
        key = conference_key(handle.uri)
        conference = self.conferences.get(key) or self._open(key, handle)
        try:
            leg, offer = conference.room.offer()
        except RoomFull:
            if not conference.participants:
                self._close(key, conference)
            raise
        originator = self.services.originator
        transport = destination.peer.transport
        headers: list[tuple[str, object]] = [("Via", originator.via(transport))]
        headers += [("Route", route) for route in destination.routes]
        headers += [
            ("Max-Forwards", 70),
            ("From", f"<{handle.uri}>;tag={secrets.token_hex(6)}"),
            ("To", f"<{aor}>"),
            ("Call-ID", secrets.token_hex(12)),
            ("CSeq", "1 INVITE"),
            ("Contact", f"<{originator.contact(transport, FOCUS_USER)}>;isfocus"),
            ("Allow", ALLOW),
            ("Content-Type", SDP),
            ("Content-Length", len(offer)),
        ]
        invite = Request("INVITE", destination.uri, Headers(headers), offer)
        outcome = DialOut(destination.uri, handle.uri)
        settled = False

        def answered(response: Response, when: float) -> None:
            nonlocal settled
            if response.status < 200 or settled:
                return
            settled = True
            outcome.status = response.status
            if response.status >= 300:
                leg.close()
                if not conference.participants and self.conferences.get(key) is conference:
                    self._close(key, conference)
            else:
                outcome.participant = self._dialled(conference, key, invite, response, leg, offer, aor,
                                                    destination.peer, when, self._decide(handle, aor, True).role)
            if on_done is not None:
                on_done(outcome)

        originator.send(invite, destination.peer, answered, now)
        return outcome

    def _dialled(self, conference: RunningConference, key: str, invite: Request, response: Response,
                 leg: MediaLeg, offer: bytes, aor: str, peer: Peer, now: float, role: str) -> Participant | None:
        """The callee answered 2xx: ACK it (13.2.2.4), take its answer, add the participant;
        an unusable answer is ACKed and then ended with BYE."""
        originator = self.services.originator
        try:
            dialog = Dialog.for_uac(invite, response)
        except DialogProtocolError:
            leg.close()
            return None
        cseq = invite.cseq
        assert cseq is not None
        ack = dialog.create_request("ACK", originator.via(peer.transport), cseq=cseq.seq)
        originator.sender.send_stateless(ack, peer)
        to = response.to
        participant = Participant(
            id=f"p{next(self._numbers)}", entity=aor,
            display_name=(to.display_name or "").strip('"') if to is not None else "", authenticated=True,
            dialog=dialog, peer=peer, media=leg, local_sdp=offer, role=role)   # invited: never waits
        try:
            leg.accept_answer(response.body)
        except OfferRejected as error:
            log.info("focus: %s answered our offer unusably (%s); BYE", aor, error)
            bye = dialog.create_request("BYE", originator.via(peer.transport))
            originator.send(bye, peer, None, now)
            leg.close()
            if not conference.participants and self.conferences.get(key) is conference:
                self._close(key, conference)
            return None
        participant.state = ParticipantState.CONNECTED
        self._dialogs[dialog.id] = (conference, participant)
        conference.add(participant)
        if self.announcements:
            conference.room.announce("entry")
        return participant

    # --- escalation: REFER users to a conference (RFC 3515, RFC 4579 5.5) ----------------

    def invite_user(self, aor: str, conference_uri: str, now: float,
                    on_done: Callable[[Referral], None] | None = None) -> list[Referral]:
        """Send a REFER to every registered endpoint of local user `aor`, asking it to
        INVITE `conference_uri`. Returns the referrals (empty: no endpoint registered)."""
        if self.lookup.find(conference_uri) is None:
            raise UnknownConference(f"no conference {conference_uri}")
        sent: list[Referral] = []
        originator = self.services.originator
        for destination in self.services.destinations(aor, now):
            transport = destination.peer.transport
            call_id = secrets.token_hex(12)
            tag = secrets.token_hex(6)
            headers: list[tuple[str, object]] = [("Via", originator.via(transport))]
            headers += [("Route", route) for route in destination.routes]
            headers += [
                ("Max-Forwards", 70),
                ("From", f"<{conference_uri}>;tag={tag}"),
                ("To", f"<{aor}>"),
                ("Call-ID", call_id),
                ("CSeq", "1 REFER"),
                ("Contact", f"<{originator.contact(transport, FOCUS_USER)}>;isfocus"),
                ("Refer-To", f"<{conference_uri}>"),
                ("Referred-By", f"<{conference_uri}>"),
                ("Allow", ALLOW),
                ("Content-Length", 0),
            ]
            request = Request("REFER", destination.uri, Headers(headers), b"")
            referral = Referral(destination.uri, conference_uri, call_id, tag)
            self.referrals[(call_id, tag)] = referral
            while len(self.referrals) > REFERRALS_KEPT:
                del self.referrals[next(iter(self.referrals))]

            def answered(response: Response, _now: float, referral: Referral = referral) -> None:
                if response.status >= 200:
                    referral.status = response.status
                    if on_done is not None:
                        on_done(referral)

            originator.send(request, destination.peer, answered, now)
            sent.append(referral)
        return sent

    def _refer_notify(self, context: RequestContext) -> None:
        request = context.request
        to = request.to
        assert to is not None and to.tag is not None
        referral = self.referrals[(request.call_id or "", to.tag)]
        body = request.body.decode("utf-8", "replace").strip()
        if body:
            referral.notified.append(body.splitlines()[0])
        context.respond(200)
        state = (request.headers.get("Subscription-State") or "").strip().lower()
        referral.subscription_ended = state.startswith("terminated")


def _quoted(text: str) -> str:
    """Text for a quoted-string (RFC 3261 25.1): one line, no quote or backslash."""
    return " ".join(text.replace("\\", "/").replace('"', "'").split())[:200]

