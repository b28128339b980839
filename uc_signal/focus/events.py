"""The focus's conference services beside the media dialogs, an application of the chain
placed right after the focus: the conference event package (RFC 4575), controls through
SIP (RFC 4579 REFER, C3P INFO), and IM into a meeting. Sans-IO, time as `now`.

Conference events (RFC 4575 over RFC 6665):
    SUBSCRIBE, Event: conference, to a running conference's URI
      489 + Allow-Events   another package
      407 / 403            caller authentication; only participants (the lobby included)
                           and the organizer may subscribe (403 for anyone else)
      404                  no such meeting running
      423 + Min-Expires    too short an interval
      200                  then a NOTIFY with the full state (version 1), then a partial
                           NOTIFY for each change the roster publishes (joins, leaves, mute,
                           roles, lobby, active speakers, lock); Expires: 0 is a fetch
    in-dialog SUBSCRIBE     refresh (a full NOTIFY again) or, Expires: 0, unsubscribe
    expiry                  a last NOTIFY, Subscription-State: terminated;reason=timeout
    meeting over            terminated;reason=noresource
  A NOTIFY answered with a failure ends the subscription (RFC 6665 4.2.2).

Controls (permission-checked by the roster; 403 for an attendee):
    INFO + application/cccp+xml in a participant's focus dialog: cccp.py's subset;
      200 with a C3P <response>, 400 for a body outside the subset, 403/404/409 refused
    REFER to the focus (in the participant's dialog, or out of dialog to the conference
      URI): Refer-To <participant>;method=BYE ejects (RFC 4579 5.7); Refer-To a user without
      a method dials that user out into the meeting (RFC 4579 5.5, adding a party). 202, then
      one NOTIFY with the sipfrag outcome, terminated (RFC 3515 2.4.4)

IM conferences: MESSAGE to a running conference's URI from a participant in the mix ->
200, and a copy to every other participant's registered endpoints, From the sender, with
P-Asserted-Identity; each copy that an endpoint accepts is archived in the IM history
(uc_signal.im's store) with the conference URI as the conversation. Fan-out is im's Fork.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ..application import RequestContext
from ..conferencing.conference import Conference, JoinState
from ..conferencing.conference_info_xml import CONTENT_TYPE as CONFERENCE_INFO
from ..conferencing.subscription import ConferenceEvents, ConferenceSubscription
from ..im.fork import Fork
from ..im.model import ArchivedMessage
from ..im.store import ImStore
from ..proxy.services import ApplicationFactory, ApplicationServices
from ..proxy.subscription_rules import accepts_refresh, granted_expires
from ..proxy.targets import Destination
from ..sip import (Dialog, DialogId, Headers, NameAddr, ParseError, Request, Response, SipUri,
                   make_response)
from ..transport.peer import Peer
from .application import FocusApplication
from .cccp import CONTENT_TYPE as CCCP, CccpError, build_response, parse_request
from .conference import Participant, RunningConference
from .directory import conference_key
from .roster import ControlRefused, FocusRoster

log = logging.getLogger(__name__)

EVENT_PACKAGE = "conference"
CONTACT_USER = "focus"


@dataclass(frozen=True)
class ConferenceEventsConfig:
    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600


@dataclass(eq=False)
class _Subscription:
    key: str
    conference: str                  # conference_key
    subscriber: str                  # AOR
    dialog: Dialog
    peer: Peer
    expires_at: float
    documents: ConferenceSubscription


def _aor(uri_text: str) -> str:
    try:
        uri = SipUri.parse(uri_text.strip().strip("<>"))
    except ParseError:
        return uri_text.strip()
    return f"{uri.scheme}:{uri.user}@{uri.host.lower()}" if uri.user else f"{uri.scheme}:{uri.host.lower()}"


class ConferenceServices:
    name = "conference-events"

    def __init__(self, services: ApplicationServices, focus: FocusApplication, roster: FocusRoster,
                 im_store: ImStore | None, config: ConferenceEventsConfig) -> None:
        self.services = services
        self.focus = focus
        self.roster = roster
        self.im_store = im_store
        self.config = config
        self._events: dict[str, ConferenceEvents] = {}       # by conference_key
        self._subscriptions: dict[str, _Subscription] = {}
        self._by_dialog: dict[DialogId, _Subscription] = {}
        self.archived = 0
        roster.listeners.append(self._published)
        focus.dialog_requests = self._focus_dialog_request

    # --- the chain ---------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method not in ("SUBSCRIBE", "MESSAGE", "REFER"):
            return False   # a call's INVITE, ACK, BYE: by method alone
        to = request.to
        if to is not None and to.tag is not None:
            if request.method != "SUBSCRIBE":
                return False
            from_ = request.from_
            found = self._by_dialog.get(DialogId(request.call_id or "", to.tag, (from_.tag if from_ else None) or ""))
            if found is None:
                return False
            self._refresh(context, found)
            return True
        handle = self.focus.lookup.find(request.uri_text)
        if handle is None:
            return False
        if not self.services.caller_auth.authorize(context):
            return True
        sender = self.services.caller_auth.sender(request)
        from_ = request.from_
        entity = sender.aor if sender is not None else _aor(from_.uri_text if from_ else "")
        key = conference_key(handle.uri)
        running, roster = self.roster.running(handle.uri), self.roster.roster(handle.uri)
        if running is None or roster is None or roster.ended:
            context.respond(404, "Not Found (the meeting is not running)")
            return True
        if request.method == "SUBSCRIBE":
            self._subscribe(context, key, running, roster, entity)
        elif request.method == "MESSAGE":
            self._message(context, running, roster, entity)
        else:
            self._refer(context, running, entity, None)
        return True

    # --- conference events ----------------------------------------------------------------------

    def _expires(self, context: RequestContext) -> int | None:
        config = self.config
        return granted_expires(context, default=config.default_expires, minimum=config.min_expires,
                               maximum=config.max_expires)

    def _subscribe(self, context: RequestContext, key: str, running: RunningConference, roster: Conference,
                   entity: str) -> None:
        request = context.request
        event = request.event
        if event is None or event.package != EVENT_PACKAGE:
            context.respond(489, headers=[("Allow-Events", EVENT_PACKAGE)])
            return
        if entity not in roster.participants and entity != roster.policies.organizer:
            context.respond(403, "Forbidden (only the meeting's participants subscribe to its state)")
            return
        if not request.contact or request.contact[0].is_star:
            context.respond(400, "Bad Request (a SUBSCRIBE needs a Contact)")
            return
        expires = self._expires(context)
        if expires is None:
            return
        response = context.respond(200, headers=[("Expires", str(expires)),
                                                 ("Contact", f"<{self._contact(context.source.transport)}>")])
        dialog = Dialog.for_uas(request, response)
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = ConferenceEvents(roster.snapshot())
        subscription = _Subscription(secrets.token_hex(8), key, entity, dialog, context.source,
                                     context.now + expires, events.subscribe())
        self._subscriptions[subscription.key] = subscription
        self._by_dialog[dialog.id] = subscription
        self._notify(subscription, subscription.documents.refresh(), context.now,
                     terminated="timeout" if expires == 0 else None)

    def _refresh(self, context: RequestContext, subscription: _Subscription) -> None:
        if not accepts_refresh(context, subscription.dialog, EVENT_PACKAGE, EVENT_PACKAGE):
            return
        expires = self._expires(context)
        if expires is None:
            return
        context.respond(200, headers=[("Expires", str(expires)),
                                      ("Contact", f"<{self._contact(context.source.transport)}>")])
        subscription.expires_at = context.now + expires
        # RFC 6665 4.2.1.3 (refresh) and 4.2.1.4 (unsubscribe): a NOTIFY either way.
        self._notify(subscription, subscription.documents.refresh(), context.now,
                     terminated="timeout" if expires == 0 else None)

    def _published(self, running: RunningConference, roster: Conference, now: float) -> None:
        key = conference_key(running.uri)
        events = self._events.get(key)
        subscriptions = [s for s in self._subscriptions.values() if s.conference == key]
        if roster.ended:
            self._events.pop(key, None)
            if events is not None:
                events.publish(roster.snapshot())
            for subscription in subscriptions:
                # The last NOTIFY: what changed (everyone gone, not active), or the full state.
                last = subscription.documents.notify() or subscription.documents.refresh()
                self._notify(subscription, last, now, terminated="noresource")
            return
        if events is None or not events.publish(roster.snapshot()):
            return
        for subscription in subscriptions:
            body = subscription.documents.notify()
            if body is not None:
                self._notify(subscription, body, now)

    def _notify(self, subscription: _Subscription, body: bytes, now: float, *, terminated: str | None = None) -> None:
        state = (f"terminated;reason={terminated}" if terminated is not None
                 else f"active;expires={max(0, int(subscription.expires_at - now))}")
        peer = subscription.peer
        request = subscription.dialog.create_request(
            "NOTIFY", self.services.originator.via(peer.transport), contact=self._contact(peer.transport),
            extra_headers=[("Event", EVENT_PACKAGE), ("Subscription-State", state)], body=body,
            content_type=CONFERENCE_INFO)
        if terminated is not None:
            self._drop(subscription)

        def answered(response: Response, _now: float) -> None:
            if response.status < 200 or subscription.key not in self._subscriptions:
                return
            subscription.dialog.receive_response(request, response)
            if response.status >= 300:
                self._drop(subscription)   # RFC 6665 4.2.2: the subscriber is gone

        self.services.originator.send(request, peer, answered, now)

    def _drop(self, subscription: _Subscription) -> None:
        if self._subscriptions.pop(subscription.key, None) is None:
            return
        self._by_dialog.pop(subscription.dialog.id, None)
        subscription.dialog.terminate()
        if not any(s.conference == subscription.conference for s in self._subscriptions.values()):
            self._events.pop(subscription.conference, None)

    def subscribers(self, uri: str) -> list[str]:
        key = conference_key(uri)
        return sorted(s.subscriber for s in self._subscriptions.values() if s.conference == key)

    def _contact(self, transport: str) -> str:
        return self.services.originator.contact(transport, CONTACT_USER)

    # --- controls: INFO (C3P) and REFER in the focus's dialogs -------------------------------------

    def _focus_dialog_request(self, context: RequestContext, running: RunningConference,
                              participant: Participant) -> bool:
        """The focus hands over INFO and REFER arriving in a participant's dialog (already
        checked against the dialog); True when answered here."""
        request = context.request
        if request.method == "REFER":
            self._refer(context, running, participant.entity, participant)
            return True
        content_type = request.content_type
        if request.method != "INFO" or content_type is None or content_type.mime_type != CCCP:
            return False
        try:
            control = parse_request(request.body)
        except CccpError as error:
            context.respond(400, f"Bad Request ({str(error)[:80]})")
            return True
        try:
            self.roster.control(running.conference_id, participant.entity, control.command, control.target,
                                context.now)
        except ControlRefused as error:
            self._reply(context, error.status, _reason(error.status, str(error)),
                        build_response(control.request_id, running.uri, participant.entity, str(error)))
            return True
        self._reply(context, 200, "OK", build_response(control.request_id, running.uri, participant.entity))
        return True

    @staticmethod
    def _reply(context: RequestContext, status: int, reason: str, body: bytes) -> None:
        response = make_response(context.request, status, reason, to_tag=context.to_tag)
        response.set_body(body, CCCP)
        context.reply(response)

    def _refer(self, context: RequestContext, running: RunningConference, actor: str,
               participant: Participant | None) -> None:
        """RFC 4579: REFER to the focus. Refer-To ...;method=BYE ejects that participant;
        without a method (or method=INVITE) the focus dials the user into the meeting."""
        request = context.request
        refer_to = request.headers.get("Refer-To")
        try:
            target = NameAddr.parse(refer_to or "").uri
        except ParseError:
            context.respond(400, "Bad Request (Refer-To)")
            return
        if not isinstance(target, SipUri) or not target.user:
            context.respond(400, "Bad Request (Refer-To is not a SIP URI of a user)")
            return
        method = str(target.params.get("method") or "INVITE").upper()
        entity = f"sip:{target.user}@{target.host.lower()}"
        roster = self.roster.roster(running.uri)
        assert roster is not None
        if method == "BYE":
            try:
                self.roster.control(running.conference_id, actor, "eject", entity, context.now)
            except ControlRefused as error:
                context.respond(error.status, _reason(error.status, str(error)))
                return
            self._refer_accepted(context, participant, 200, context.now)
        elif method == "INVITE":
            person = roster.participants.get(actor)
            if actor != roster.policies.organizer and (person is None or not person.role.can_control
                                                       or person.state is not JoinState.CONNECTED):
                context.respond(403, "Forbidden (only presenters add participants)")
                return
            if not self.services.destinations(entity, context.now):
                context.respond(480, "Temporarily Unavailable (the user has no registered endpoint)")
                return
            notify = self._refer_accepted(context, participant, None, context.now)
            self.focus.dial_user(entity, running.uri, context.now,
                                 on_done=lambda outcome: notify(outcome.status or 500, self.roster.clock()))
        else:
            context.respond(501, f"Not Implemented (method={method[:10]})")

    def _refer_accepted(self, context: RequestContext, participant: Participant | None, status: int | None,
                        now: float) -> Callable[[int, float], None]:
        """202, and the NOTIFY of the outcome (RFC 3515 2.4.4: a sipfrag, terminated): now
        when `status` is known, else through the returned callback."""
        response = context.respond(202, "Accepted")
        if participant is not None:
            dialog, peer = participant.dialog, participant.peer
        else:
            dialog, peer = Dialog.for_uas(context.request, response), context.source
        originator = self.services.originator

        def notify(final: int, when: float) -> None:
            body = f"SIP/2.0 {final} {_reason(final, '')}\r\n".encode()
            notify_request = dialog.create_request(
                "NOTIFY", originator.via(peer.transport), contact=self._contact(peer.transport),
                extra_headers=[("Event", "refer"), ("Subscription-State", "terminated;reason=noresource")],
                body=body, content_type="message/sipfrag;version=2.0")
            originator.send(notify_request, peer, None, when)

        if status is not None:
            notify(status, now)
        return notify

    # --- IM into the meeting ---------------------------------------------------------------------------

    def _message(self, context: RequestContext, running: RunningConference, roster: Conference,
                 sender: str) -> None:
        request = context.request
        person = roster.participants.get(sender)
        if person is None or person.state is not JoinState.CONNECTED:
            context.respond(403, "Forbidden (only participants in the meeting send it messages)")
            return
        content_type = request.content_type
        mime = content_type.mime_type if content_type is not None else "text/plain"
        from_ = request.from_
        display = (from_.display_name if from_ else None) or person.display_name or None
        from_value = str(NameAddr(sender, display))
        recipients = sorted({p.entity for p in running.participants.values() if p.entity != sender
                             and not p.in_lobby})
        context.respond(200)
        for recipient in recipients:
            self._fan_out(running.uri, sender, from_value, recipient, mime, request.body, context.now)

    def _fan_out(self, conference: str, sender: str, from_value: str, recipient: str, mime: str, body: bytes,
                 now: float) -> None:
        def copy(destination: Destination) -> Request:
            headers = Headers([("Max-Forwards", "70")])
            for route in destination.routes:
                headers.add("Route", route)
            headers.add("From", f"{from_value};tag={secrets.token_hex(6)}")
            headers.add("To", f"<{recipient}>")
            headers.add("Call-ID", secrets.token_hex(12))
            headers.add("CSeq", "1 MESSAGE")
            headers.add("P-Asserted-Identity", f"<{sender}>")
            headers.add("Referred-By", f"<{conference}>")   # which meeting it was said in
            headers.add("Content-Type", mime)
            message = Request("MESSAGE", destination.uri, headers)
            message.set_body(body)
            return message

        def accepted(_response: Response, at: float) -> None:
            if self.im_store is not None:
                self.archived += 1
                self.im_store.archive(ArchivedMessage(sender=sender, recipient=recipient, content_type=mime,
                                                      text=body.decode("utf-8", "replace"), sent_at=now,
                                                      delivered_at=at, conversation=conference))

        Fork(self.services, copy, accepted, lambda _failures, _at: None).start(
            self.services.destinations(recipient, now), now)

    # --- deadlines (TimedApplication) -----------------------------------------------------------------

    def get_timer(self) -> float | None:
        # Read after every event the core handles: no list while nobody subscribes.
        if not self._subscriptions:
            return self.roster.next_deadline()
        deadlines = [s.expires_at for s in self._subscriptions.values()]
        roster = self.roster.next_deadline()
        if roster is not None:
            deadlines.append(roster)
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> None:
        for subscription in list(self._subscriptions.values()):
            if subscription.expires_at <= now:
                self._notify(subscription, subscription.documents.refresh(), now, terminated="timeout")
        self.roster.tick(now)


def _reason(status: int, detail: str) -> str:
    base = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            409: "Conflict", 480: "Temporarily Unavailable", 486: "Busy Here", 487: "Request Terminated",
            500: "Server Internal Error", 503: "Service Unavailable"}.get(status, "Error")
    detail = " ".join(detail.replace("(", "").replace(")", "").split())[:80]
    return f"{base} ({detail})" if detail else base


def conference_services(focus: Callable[[], FocusApplication | None], roster: FocusRoster,
                        im_store: ImStore | None = None,
                        config: ConferenceEventsConfig | None = None) -> ApplicationFactory:
    """The chain factory, built after the focus's (it attaches to it)."""
    def build(services: ApplicationServices) -> ConferenceServices:
        built = focus()
        if built is None:
            raise RuntimeError("the conference services need the focus built before them")
        return ConferenceServices(services, built, roster, im_store, config or ConferenceEventsConfig())
    return build
