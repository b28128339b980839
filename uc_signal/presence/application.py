"""The presence agent in the proxy's chain: PUBLISH (RFC 3903), SUBSCRIBE/NOTIFY (RFC 6665)
for `presence` (RFC 3856) and `presence.winfo` (RFC 3857). Sans-IO.

Claimed: PUBLISH to a local domain; SUBSCRIBE for presence or presence.winfo to a local
domain, or without an Event header (489); in-dialog SUBSCRIBEs of our own subscriptions
(our To tags start with "pa"). Everything else goes on down the chain, to the proxy: a
SUBSCRIBE for another package (dialog, message-summary) reaches the user's devices.

A subscription is a dialog this server holds as UAS (RFC 6665 4.2.1); its NOTIFYs go to
where its last SUBSCRIBE came from (the flow, RFC 5626 / NAT), with the remote target as
Request-URI. The first NOTIFY follows the 2xx at once (4.2.1.1), then one per change of
what that watcher may see, one per refresh, and a terminated one at the end.

A flow that closed (the watcher's connection dropped, or died with our previous process)
does not end the subscription: its NOTIFYs go over the watcher's current registration
(`ApplicationServices.dialog_peer`); while there is none, or a NOTIFY's transport fails,
the subscription waits as "unreachable" and, when the watcher registers again, is sent
the state as it is then, in its old dialog (the final state is never lost).
"""

from __future__ import annotations

import collections
import heapq
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from ..application import RequestContext
from ..directory import Binding
from ..proxy.dialog_peer import dialog_target, watcher_instance
from ..proxy.originator import is_transport_failure, new_branch
from ..proxy.services import ApplicationServices
from ..proxy.subscription_rules import accepts_refresh, granted_expires
from ..registrar.location import BindingChange
from ..sip import (Dialog, DialogId, DialogProtocolError, DialogTable, Request, Response,
                   SipUri, make_response)
from ..sip.request_template import DialogRequestTemplate
from ..transport.peer import Peer
from .calls import RouterCallFeed
from .model import PresenceConfig, WatcherAuthorization
from .persistence import (NO_PERSISTENCE, PresenceStateSink, StoredDialog, StoredPublication, StoredSubscription,
                          mark_used_up, next_save_at, restorable, stored_mark)
from .pidf import PIDF_CONTENT_TYPE, PidfError, parse_pidf
from .service import PresenceService, Publication, canonical_aor
from .winfo import WATCHERINFO_CONTENT_TYPE, WatcherEntry, build_watcherinfo

PRESENCE = "presence"
WINFO = "presence.winfo"
PACKAGES = (PRESENCE, WINFO)
ALLOW_EVENTS = ", ".join(PACKAGES)
TAG_PREFIX = "pa"
# RFC 6665 4.2.2 (and 3261 12.2.1.2): these answers to a NOTIFY end the subscription.
# A change is NOTIFYed to this many watchers at once; the rest a moment later, from the
# core's timer (deadline: now), so in ucd the first NOTIFYs are on the wire while the
# others are built (inside an event, sends leave only when the event is done).
INLINE_NOTIFIES = 16
ENDS_SUBSCRIPTION = frozenset({404, 405, 408, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 503, 604})


@dataclass(eq=False)
class Subscription:
    dialog: Dialog
    package: str
    presentity: str
    watcher: str
    peer: Peer
    expires_at: float
    created_at: float
    event: str                    # the Event value, echoed in every NOTIFY (id param kept)
    state: str = "active"         # pending | active | terminated
    id: str = field(default_factory=lambda: secrets.token_hex(4))
    last_body: bytes | None = None
    # The NOTIFY fields that stay the same, pre-serialised for the transport they were made
    # for (a NOTIFY is then a few byte joins: its CSeq, branch, Subscription-State, body).
    template: DialogRequestTemplate | None = None
    template_transport: str = ""
    queued: bool = False          # waiting in the fan-out queue
    version: int = 0              # winfo document version (RFC 3858 4)
    display_name: str = ""
    save_at: int = 0              # the dialog's CSeq at which to save it again (0: not saved)
    instance: str | None = None   # the watcher's UA instance (+sip.instance) when it registered one
    unreachable: bool = False     # its flow is gone: waits for the watcher to register again


def _key(subscription: Subscription) -> str:
    """The stored key: the watcher id winfo lists (kept across a restart), then our To tag
    (unique)."""
    return f"{subscription.id}.{subscription.dialog.id.local_tag}"


def _aor_of(uri: object) -> str | None:
    if isinstance(uri, SipUri) and uri.user:
        return f"sip:{uri.user}@{uri.host.lower()}"
    return None


def _accepts(request: Request, content_type: str) -> bool:
    """RFC 6665 8.2.2 / 3261 20.1: no Accept means the package's default type."""
    values = request.headers.get_all("Accept")
    if not values:
        return True
    kinds = {part.split(";")[0].strip().lower() for value in values for part in value.split(",")}
    major = content_type.split("/")[0]
    return bool(kinds & {content_type, "*/*", f"{major}/*"}) or kinds == {""}


class PresenceApplication:
    name = "presence"

    def __init__(self, services: ApplicationServices, service: PresenceService) -> None:
        self.services = services
        self.service = service
        self.config: PresenceConfig = service.config
        if not service.local_domains:
            service.local_domains = frozenset(services.domains.domains)
        self.dialogs = DialogTable()
        self.subscriptions: dict[DialogId, Subscription] = {}
        self._by_presentity: dict[tuple[str, str], set[Subscription]] = {}   # (presentity, package)
        self._expiries: list[tuple[float, int, Subscription]] = []
        self._order = 0
        self._fanout: collections.deque[Subscription] = collections.deque()
        self._fanout_at: float | None = None
        self._deferring = False
        # Subscriptions whose watcher cannot be reached now, by watcher AOR; those whose
        # watcher registered again, due for a NOTIFY at the next timer.
        self._unreachable: dict[str, set[Subscription]] = {}
        self._reachable_again: list[Subscription] = []
        # Where publications and subscriptions are kept across a restart (ucd: the store).
        self.persistence: PresenceStateSink = NO_PERSISTENCE
        service.add_observer(self._presentity_changed)
        service.add_authorization_observer(self._authorization_changed)
        services.calls.subscribe(RouterCallFeed(service.calls, service.is_local))
        services.location.subscribe(self._binding_changed)

    # --- the chain --------------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method == "PUBLISH":
            if not self._for_local_domain(request):
                return False
            self._on_publish(context)
            return True
        if request.method != "SUBSCRIBE":
            return False
        to = request.to
        if to is not None and to.tag is not None:
            if not to.tag.startswith(TAG_PREFIX):
                return False
            self._on_resubscribe(context)
            return True
        if not self._for_local_domain(request):
            return False
        event = request.event
        if event is None:
            context.respond(489, headers=[("Allow-Events", ALLOW_EVENTS)])   # RFC 6665 8.2.1
            return True
        if event.package.lower() not in PACKAGES:
            return False
        self._on_subscribe(context, event.package.lower(), str(event))
        return True

    def _for_local_domain(self, request: Request) -> bool:
        uri = request.uri
        return isinstance(uri, SipUri) and self.services.domains.is_domain(uri.host)

    def _presentity(self, context: RequestContext) -> str | None:
        """The local user the Request-URI names; answered 404 when there is none."""
        uri = context.request.uri
        assert isinstance(uri, SipUri)
        user = self.services.users.find_user(uri.user or "", uri.host.lower())
        if user is None or not user.enabled:
            context.respond(404)
            return None
        return user.aor

    def _expires(self, context: RequestContext) -> int | None:
        """The granted duration (RFC 3903 5, RFC 6665 4.2.1.1). None: answered already."""
        config = self.config
        return granted_expires(context, default=config.default_expires, minimum=config.min_expires,
                               maximum=config.max_expires)

    # --- PUBLISH (RFC 3903 section 6) -----------------------------------------------------------

    def _on_publish(self, context: RequestContext) -> None:
        # The 200 goes out before the NOTIFYs the change causes (what a publisher that
        # watches itself expects): the fan-out is queued while the PUBLISH is handled.
        self._deferring = True
        try:
            self._publish(context)
        finally:
            self._deferring = False
        if self._fanout:
            self._drain_fanout(context.now, INLINE_NOTIFIES)

    def _publish(self, context: RequestContext) -> None:
        request = context.request
        if not self.services.caller_auth.authorize(context):
            return
        presentity = self._presentity(context)
        if presentity is None:
            return
        sender = self.services.caller_auth.sender(request)
        if sender is None or sender.aor != presentity:
            context.respond(403, "Only the presentity may publish its presence")
            return
        event = request.event
        if event is None or event.package.lower() != PRESENCE:
            context.respond(489, headers=[("Allow-Events", PRESENCE)])    # 6 step 2
            return
        expires = self._expires(context)
        if expires is None:
            return
        state = None
        if request.body:
            content_type = request.content_type
            if content_type is None or content_type.mime_type != PIDF_CONTENT_TYPE:
                context.respond(415, headers=[("Accept", PIDF_CONTENT_TYPE)])  # 6 step 3
                return
            try:
                state = parse_pidf(request.body, self.config.custom_states)
            except PidfError as error:
                detail = "".join(c if c.isprintable() else " " for c in str(error)[:60])
                context.respond(400, f"Bad Request (PIDF: {detail})")
                return
        now = context.now
        if_match = request.headers.get("SIP-If-Match")
        if if_match is None:                                         # initial publication
            if state is None or expires == 0:
                context.respond(400, "Bad Request (an initial PUBLISH carries a body)")
                return
            publication = self.service.publish(presentity, state, expires, now)
            self._publication_saved(publication, context, None)
        elif expires == 0:                                           # removal
            if not self.service.unpublish(presentity, if_match.strip(), now):
                context.respond(412)
                return
            self.persistence.publication_removed(if_match.strip())
            context.respond(200, headers=[("Expires", "0")])
            return
        elif state is None:                                          # refresh
            found = self.service.refresh(presentity, if_match.strip(), expires, now)
            if found is None:
                context.respond(412)
                return
            publication = found
            self.persistence.publication_refreshed(if_match.strip(), publication.etag, publication.expires_at)
        else:                                                        # modification
            found = self.service.modify(presentity, if_match.strip(), state, expires, now)
            if found is None:
                context.respond(412)
                return
            publication = found
            self._publication_saved(publication, context, if_match.strip())
        context.respond(200, headers=[("SIP-ETag", publication.etag), ("Expires", str(expires))])

    def _publication_saved(self, publication: Publication, context: RequestContext, replaces: str | None) -> None:
        self.persistence.publication_saved(StoredPublication(
            publication.etag, publication.aor, context.request.body, str(context.source), publication.expires_at,
            publication.published_at, publication.last_input), replaces)

    # --- SUBSCRIBE (RFC 6665 section 4.2.1) -----------------------------------------------------

    def _on_subscribe(self, context: RequestContext, package: str, event: str) -> None:
        request = context.request
        if not self.services.caller_auth.authorize(context):
            return
        presentity = self._presentity(context)
        if presentity is None:
            return
        from_ = request.from_
        watcher = _aor_of(from_.uri if from_ is not None else None)
        if watcher is None:
            context.respond(400, "Bad Request (From is not a sip: user)")
            return
        if package == WINFO and canonical_aor(watcher) != presentity:
            context.respond(403, "Only the user may watch their own watchers")   # RFC 3857 5.1.1
            return
        body_type = WATCHERINFO_CONTENT_TYPE if package == WINFO else PIDF_CONTENT_TYPE
        if not _accepts(request, body_type):
            context.respond(406, headers=[("Accept", body_type)])
            return
        expires = self._expires(context)
        if expires is None:
            return
        now = context.now
        context.to_tag = TAG_PREFIX + secrets.token_hex(6)
        response = self._ok(context, expires)
        try:
            dialog = Dialog.for_uas(request, response)
        except DialogProtocolError as error:
            context.respond(*error.status)
            return
        context.reply(response)
        authorized = package == WINFO or self.service.is_authorized(presentity, watcher)
        subscription = Subscription(dialog, package, presentity, canonical_aor(watcher), context.source,
                                    now + expires, now, event, "active" if authorized else "pending",
                                    display_name=(from_.display_name or "") if from_ is not None else "")
        if expires == 0:   # a fetch (RFC 6665 4.4.3): one NOTIFY with the state, then over
            self._notify(subscription, now, reason="timeout")
            return
        if context.source.is_stream:
            subscription.instance = watcher_instance(self.services.location, dialog_target(dialog), now)
        self._add(subscription)
        self._notify(subscription, now)
        self._save(subscription)
        if package == PRESENCE:
            self._winfo_changed(presentity, now, [])

    def _ok(self, context: RequestContext, expires: int) -> Response:
        response = make_response(context.request, 200, to_tag=context.to_tag)
        response.headers.add("Expires", str(expires))
        response.headers.add("Contact", f"<{self.services.originator.contact(context.source.transport)}>")
        return response

    def _on_resubscribe(self, context: RequestContext) -> None:
        """A refresh or an unsubscription (Expires: 0) in an existing subscription dialog."""
        request = context.request
        match = self.dialogs.match_request(request)
        if not isinstance(match, Dialog):
            context.respond(481)
            return
        subscription = self.subscriptions[match.id]
        if not accepts_refresh(context, match, subscription.package, ALLOW_EVENTS):
            return
        expires = self._expires(context)
        if expires is None:
            return
        now = context.now
        subscription.peer = context.source
        context.reply(self._ok(context, expires))
        if expires == 0:
            self._end(subscription, now, "timeout")
            return
        subscription.expires_at = now + expires
        self._schedule(subscription)
        self._notify(subscription, now)   # RFC 6665 4.2.1.2: a refresh gets the current state
        self._save(subscription)          # its expiry, CSeq, flow and remote target

    # --- subscriptions ----------------------------------------------------------------------------

    def _add(self, subscription: Subscription) -> None:
        self.dialogs.add(subscription.dialog)
        self.subscriptions[subscription.dialog.id] = subscription
        self._by_presentity.setdefault((subscription.presentity, subscription.package), set()).add(subscription)
        self._schedule(subscription)

    def _schedule(self, subscription: Subscription) -> None:
        self._order += 1
        heapq.heappush(self._expiries, (subscription.expires_at, self._order, subscription))

    def _save(self, subscription: Subscription) -> None:
        """Hand the subscription to the persistence sink, its CSeq and version as marks
        (uc_signal.presence.persistence). One that already ended (its NOTIFY failed at
        once) is not saved."""
        if subscription.state == "terminated":
            return
        dialog = subscription.dialog
        subscription.save_at = next_save_at(dialog.local_seq)
        self.persistence.subscription_saved(StoredSubscription(
            self.name, _key(subscription), subscription.package, subscription.event, subscription.presentity,
            subscription.watcher, subscription.display_name, subscription.state, StoredDialog.of(dialog),
            subscription.peer, subscription.expires_at, subscription.created_at, stored_mark(subscription.version)))

    def restore(self, stored: list[StoredSubscription], now: float) -> int:
        """At start: the subscriptions saved before a restart, unexpired and to a presentity
        that is still a user, saved again with new marks. Each presence watcher is sent
        the current state at once (through the fan-out: what changed while the server was
        down, e.g. a publication that expired) under a CSeq above all it was sent; each
        winfo watcher the watcher list as it is now (those that expired meanwhile are no
        longer on it). How many."""
        restored = 0
        winfo: list[Subscription] = []
        for record in restorable(stored, self.name, now, self.services.users, self.persistence):
            subscription = Subscription(record.dialog.restore(), record.package, record.resource, record.watcher,
                                        record.peer, record.expires_at, record.created_at, record.event,
                                        record.state, id=record.key.partition(".")[0], version=record.version,
                                        display_name=record.display_name)
            if subscription.peer.is_stream:   # its connection died with the old process
                subscription.instance = watcher_instance(self.services.location,
                                                         dialog_target(subscription.dialog), now)
            if subscription.package == PRESENCE:
                authorized = self.service.is_authorized(subscription.presentity, subscription.watcher)
                subscription.state = "active" if authorized else "pending"
            self._add(subscription)
            self._save(subscription)
            if subscription.package == PRESENCE:
                subscription.queued = True
                self._fanout.append(subscription)
            else:
                winfo.append(subscription)
            restored += 1
        if self._fanout and self._fanout_at is None:
            self._fanout_at = now
        for subscription in winfo:   # after every presence subscription is back: the full list
            self._notify(subscription, now)
        return restored

    def _remove(self, subscription: Subscription) -> None:
        if subscription.save_at:
            self.persistence.subscription_removed(self.name, _key(subscription))
        subscription.state = "terminated"
        if subscription.unreachable:
            self._reachable(subscription)
        self.dialogs.remove(subscription.dialog)
        self.subscriptions.pop(subscription.dialog.id, None)
        key = (subscription.presentity, subscription.package)
        found = self._by_presentity.get(key)
        if found is not None:
            found.discard(subscription)
            if not found:
                del self._by_presentity[key]

    def _end(self, subscription: Subscription, now: float, reason: str, *, notify: bool = True) -> None:
        """Terminate: a last NOTIFY (unless the watcher is gone), and tell winfo watchers."""
        if subscription.state == "terminated":
            return
        if notify:
            self._notify(subscription, now, reason=reason)
        self._remove(subscription)
        if subscription.package == PRESENCE:
            self._winfo_changed(subscription.presentity, now, [self._entry(subscription, now, reason)])

    def watchers(self, presentity: str) -> list[Subscription]:
        """The presence subscriptions to `presentity` (what winfo lists)."""
        return sorted(self._by_presentity.get((canonical_aor(presentity), PRESENCE), ()),
                      key=lambda s: (s.created_at, s.id))

    # --- NOTIFY ----------------------------------------------------------------------------------

    def _body(self, subscription: Subscription, now: float, ended: list[WatcherEntry] | None = None
              ) -> tuple[bytes, str] | None:
        if subscription.package == WINFO:
            entries = [self._entry(s, now) for s in self.watchers(subscription.presentity)] + (ended or [])
            return build_watcherinfo(subscription.presentity, entries, subscription.version), WATCHERINFO_CONTENT_TYPE
        if subscription.state == "pending":
            return None   # RFC 3856 6.6.2: no state before authorization
        return self.service.document_for(subscription.presentity, subscription.watcher, now), PIDF_CONTENT_TYPE

    def _notify(self, subscription: Subscription, now: float, *, reason: str | None = None,
                ended: list[WatcherEntry] | None = None, body: tuple[bytes, str] | None = None) -> None:
        peer = subscription.peer
        if peer.is_stream:
            found = self.services.dialog_peer(peer, subscription.dialog, now, subscription.watcher,
                                              subscription.instance)
            if found is None:
                if reason is None:
                    self._park(subscription)
                return   # a last NOTIFY nobody can receive: the subscription ends all the same
            subscription.peer = found
        if subscription.unreachable:
            self._reachable(subscription)
        if body is None:
            body = self._body(subscription, now, ended)
        if reason is not None:
            state = f"terminated;reason={reason}"
        else:
            state = f"{subscription.state};expires={max(0, int(subscription.expires_at - now))}"
        originator = self.services.originator
        branch = new_branch()
        data = self._template(subscription).encode(branch, [("Subscription-State", state)],
                                                    body[0] if body else b"", body[1] if body else None)
        if subscription.package == WINFO:
            subscription.version += 1
        if mark_used_up(subscription.save_at, subscription.dialog.local_seq):
            self._save(subscription)      # half the stored CSeq margin used: a new mark
        subscription.last_body = body[0] if body else None
        peer = subscription.peer
        originator.send_encoded(data, "NOTIFY", branch, peer, self._answered(subscription, peer), now)

    def _template(self, subscription: Subscription) -> DialogRequestTemplate:
        """The subscription's NOTIFY template; a new one when its transport or its dialog's
        remote target changed (a refreshing SUBSCRIBE, RFC 6665 4.2.1.2)."""
        template = subscription.template
        transport = subscription.peer.transport
        if template is None or subscription.template_transport != transport or not template.fits():
            originator = self.services.originator
            template = subscription.template = DialogRequestTemplate(
                subscription.dialog, "NOTIFY", originator.via(transport), contact=originator.contact(transport),
                fixed_headers=[("Event", subscription.event)])
            subscription.template_transport = transport
        return template

    def _answered(self, subscription: Subscription, peer: Peer) -> Callable[[Response, float], None]:
        def on_response(response: Response, now: float) -> None:
            if subscription.state == "terminated":
                return
            if peer.is_stream and is_transport_failure(response):
                # The connection failed, not the watcher: wait for it (unless it moved on
                # to another flow meanwhile, which the next NOTIFY uses).
                if subscription.peer == peer:
                    self._park(subscription)
            elif response.status in ENDS_SUBSCRIPTION:
                self._end(subscription, now, "deactivated", notify=False)
        return on_response

    # --- watchers whose flow is gone (RFC 5626 5.3) ------------------------------------------------

    def _park(self, subscription: Subscription) -> None:
        """The watcher cannot be reached: what it was last sent counts as not delivered,
        so it gets the state as it is then when it is reachable again."""
        subscription.last_body = None
        if not subscription.unreachable:
            subscription.unreachable = True
            self._unreachable.setdefault(subscription.watcher, set()).add(subscription)

    def _reachable(self, subscription: Subscription) -> None:
        subscription.unreachable = False
        waiting = self._unreachable.get(subscription.watcher)
        if waiting is not None:
            waiting.discard(subscription)
            if not waiting:
                del self._unreachable[subscription.watcher]

    def _binding_changed(self, change: BindingChange, binding: Binding) -> None:
        """The location service's callback: a watcher that registered (again) gets what its
        unreachable subscriptions missed, at the next timer (this runs inside the REGISTER,
        whose 200 goes first)."""
        if change in (BindingChange.INSERTED, BindingChange.UPDATED) and binding.aor in self._unreachable:
            self._reachable_again.extend(self._unreachable[binding.aor])

    def _notify_reachable_again(self, now: float) -> None:
        waiting, self._reachable_again = self._reachable_again, []
        for subscription in waiting:
            if subscription.unreachable and subscription.state != "terminated":
                self._notify(subscription, now)   # parks it again when still unreachable

    def _presentity_changed(self, presentity: str, now: float) -> None:
        inline = 0 if self._deferring else INLINE_NOTIFIES
        for subscription in list(self._by_presentity.get((presentity, PRESENCE), ())):
            if subscription.state != "active" or subscription.queued:
                continue
            if inline > 0:
                inline -= self._notify_if_changed(subscription, now)
            else:
                subscription.queued = True
                self._fanout.append(subscription)
        if self._fanout and self._fanout_at is None:
            self._fanout_at = now

    def _notify_if_changed(self, subscription: Subscription, now: float, privacy: bool | None = None) -> int:
        """NOTIFY the watcher when what it may see differs from what it was sent last
        (`privacy`: the presentity's privacy mode, when read already in this pass)."""
        document = self.service.document_for(subscription.presentity, subscription.watcher, now, privacy=privacy)
        if document == subscription.last_body:
            return 0
        self._notify(subscription, now, body=(document, PIDF_CONTENT_TYPE))
        return 1

    def _drain_fanout(self, now: float, limit: int | None = None) -> None:
        """NOTIFY the queued watchers (at most `limit`; the rest stay for the timer)."""
        sent = 0
        # The presentities' privacy modes, read once in this pass: nothing that changes them
        # (settings, policies, contact lists) can run between two NOTIFYs of one pass.
        privacy: dict[str, bool] = {}
        while self._fanout and (limit is None or sent < limit):
            subscription = self._fanout.popleft()
            subscription.queued = False
            if subscription.state == "active":
                mode = privacy.get(subscription.presentity)
                if mode is None:
                    mode = privacy[subscription.presentity] = self.service.privacy_mode(subscription.presentity)
                sent += self._notify_if_changed(subscription, now, mode)   # the state now: changes coalesce
        self._fanout_at = now if self._fanout else None

    def _authorization_changed(self, presentity: str, watcher: str, now: float) -> None:
        changed = False
        for subscription in list(self._by_presentity.get((presentity, PRESENCE), ())):
            if watcher and subscription.watcher != watcher:
                continue
            allowed = self.service.is_authorized(presentity, subscription.watcher)
            wanted = "active" if allowed else "pending"
            if subscription.state != wanted:
                subscription.state = wanted
                self._notify(subscription, now)
                self._save(subscription)
                changed = True
        if changed:
            self._winfo_changed(presentity, now, [])

    # --- watcher information (RFC 3857) --------------------------------------------------------

    def _entry(self, subscription: Subscription, now: float, ended: str | None = None) -> WatcherEntry:
        if ended is not None:
            status, event = "terminated", ended
        elif subscription.state == "pending":
            status, event = "pending", "subscribe"
        else:
            status = "active"
            event = "subscribe" if self.service.authorization(subscription.presentity) is WatcherAuthorization.OPEN \
                else "approved"
        return WatcherEntry(subscription.id, subscription.watcher, status, event, subscription.display_name,
                            int(now - subscription.created_at))

    def _winfo_changed(self, presentity: str, now: float, ended: list[WatcherEntry]) -> None:
        for subscription in list(self._by_presentity.get((presentity, WINFO), ())):
            if subscription.state == "active":
                self._notify(subscription, now, ended=ended)

    # --- time --------------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        # Read after every event the core handles (each NOTIFY's 200 OK): no lists.
        expiries = self._expiries
        while expiries and (expiries[0][2].state == "terminated" or expiries[0][2].expires_at != expiries[0][0]):
            heapq.heappop(expiries)
        deadline = self.service.get_timer()
        if self._reachable_again:
            return 0.0   # at once (a time in the past)
        for t in (expiries[0][0] if expiries else None, self._fanout_at):
            if t is not None and (deadline is None or t < deadline):
                deadline = t
        return deadline

    def handle_timer(self, now: float) -> None:
        if self._reachable_again:
            self._notify_reachable_again(now)
        if self._fanout_at is not None:
            self._drain_fanout(now)
        self.service.handle_timer(now)
        while self._expiries and self._expiries[0][0] <= now:
            _, _, subscription = heapq.heappop(self._expiries)
            if subscription.state != "terminated" and subscription.expires_at <= now:
                self._end(subscription, now, "timeout")   # RFC 6665 4.2.2: expired
        if self._fanout_at is not None:
            self._drain_fanout(now)


def presence_application(service: PresenceService) -> Callable[[ApplicationServices], PresenceApplication]:
    """The ApplicationFactory for the chain, over `service` (which the admin API and the
    resource list server share)."""
    def build(services: ApplicationServices) -> PresenceApplication:
        return PresenceApplication(services, service)
    return build
