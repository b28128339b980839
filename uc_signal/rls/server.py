"""The resource list server (RFC 4662) for users' contact lists: an application of the
chain, sans-IO, time as an argument.

What it claims: SUBSCRIBE to a contact list URI, `sip:<user>@<domain>;list=contacts`
(the owner's address of record with a `list=contacts` URI parameter, so no user name can
collide with it), and the in-dialog SUBSCRIBEs (refresh, unsubscribe) of the
subscriptions it holds. Everything else goes on down the chain (presence next).

A new subscription, in the order of the checks:
  489 + Allow-Events  an event package other than presence (RFC 6665 8.3.2)
  421 + Require       no `Supported: eventlist`: the subscriber cannot take a list (RFC 4662 4.1)
  407 / 403           caller authentication (RFC 3261 22.3); only the owner may subscribe
  406                 an Accept that excludes multipart/related (RFC 4662 5)
  423 + Min-Expires   an interval shorter than `min_expires` (RFC 6665 4.2.1.1)
  200 + Require       accepted (`Require: eventlist`, RFC 4662 4.1), then at once a NOTIFY
                      with the full state; Expires: 0 is a fetch (one final NOTIFY)
Every NOTIFY is multipart/related: the RLMI document, then one PIDF part per resource
with state (`uc_signal.rls.batch`). Resources of local domains get their PIDF from the
presence source as the list's owner may see it; resources elsewhere are listed without
an instance (nothing here subscribes across domains). When and what is sent is decided
by `ListSubscription` (one in flight, rate limit, coalescing, full state after a list
change).

NOTIFYs go where the SUBSCRIBE came from: the first hop of the dialog's route set when
there is one, else the SUBSCRIBE's source flow (the client's own connection or UDP
address, which reaches it through NAT). In-dialog SUBSCRIBEs are not challenged again:
the dialog's identifiers came from an authenticated SUBSCRIBE.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ..application import RequestContext
from ..directory import Binding
from ..presence.persistence import (NO_PERSISTENCE, PresenceStateSink, StoredDialog, StoredSubscription,
                                    mark_used_up, next_save_at, restorable, stored_mark)
from ..proxy.dialog_peer import dialog_target, watcher_instance
from ..proxy.originator import is_transport_failure
from ..proxy.services import ApplicationFactory, ApplicationServices
from ..proxy.subscription_rules import accepts_refresh, granted_expires
from ..proxy.targets import peer_for_uri
from ..registrar.location import BindingChange
from ..sip import (DIALOG_ERROR_STATUS, ContentType, Dialog, DialogError, DialogId, NameAddr, ParseError, Request, Response,
                   SipUri, Uri)
from ..transport.peer import Peer
from .batch import StatePart, build_list_body
from .contacts import ContactDirectory
from .deadlines import Deadlines
from .presence_source import PresenceProvider, PresenceSource
from .rlmi import Instance, Resource, RlmiList
from .subscription import ListSubscription, NotifyOutcome, NotifyPlan

log = logging.getLogger(__name__)

EVENT_PACKAGE = "presence"
EVENTLIST = "eventlist"
LIST_PARAM = "list"
CONTACTS_LIST = "contacts"
CONTACT_USER = "rls"   # the user part of the Contact the RLS gives its dialogs
# The largest body one UDP datagram can carry beside a NOTIFY's header fields (65,507
# bytes of IPv4 UDP payload). A full-state NOTIFY of a long list with a PIDF per contact
# is larger (RFC 3261 18.1.1 sends such requests over TCP): long lists need a client on
# TCP, TLS or WS, as Lync clients are.
UDP_BODY_LIMIT = 64_000


@dataclass(frozen=True)
class RlsConfig:
    notify_interval: float = 5.0   # RFC 3856 6.10: at most one notification per 5 s per watcher
    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600    # RFC 3856 6.4's default for presence


def list_owner(uri: Uri, is_local_domain: Callable[[str], bool]) -> str | None:
    """The owner's AOR if `uri` is a contact list URI (sip:user@domain;list=contacts)."""
    if not isinstance(uri, SipUri) or not uri.user or uri.params.get(LIST_PARAM) != CONTACTS_LIST:
        return None
    if not is_local_domain(uri.host.lower()):
        return None
    return f"sip:{uri.user}@{uri.host.lower()}"


def contact_list_uri(owner_aor: str) -> str:
    return f"{owner_aor};{LIST_PARAM}={CONTACTS_LIST}"


def _accepts_multipart(request: Request) -> bool:
    accepted = [value.split(";")[0].strip().lower() for value in request.headers.values("Accept")]
    return not accepted or any(t in ("multipart/related", "multipart/*", "*/*") for t in accepted)


class ResourceListServer:
    name = "rls"

    def __init__(self, services: ApplicationServices, contacts: ContactDirectory,
                 presence: PresenceProvider | None, config: RlsConfig) -> None:
        self.services = services
        self.contacts = contacts
        self.config = config
        self._presence_provider = presence
        self._presence: PresenceSource | None = None
        self._subscriptions: dict[str, ListSubscription] = {}
        self._by_dialog: dict[DialogId, ListSubscription] = {}
        self._by_owner: dict[str, set[str]] = {}
        self._watching: dict[str, set[str]] = {}      # resource -> subscription keys
        self._deadlines: Deadlines[str] = Deadlines()
        self._unreachable: dict[str, set[str]] = {}   # owner -> keys of subscriptions it cannot get
        # Where subscriptions are kept across a restart (ucd: the store).
        self.persistence: PresenceStateSink = NO_PERSISTENCE
        contacts.add_observer(self._list_changed)
        services.location.subscribe(self._binding_changed)

    def __len__(self) -> int:
        return len(self._subscriptions)

    def subscriptions_of(self, owner: str) -> list[ListSubscription]:
        return [self._subscriptions[key] for key in sorted(self._by_owner.get(owner, ()))]

    # --- the chain ---------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method != "SUBSCRIBE":
            return False
        to = request.to
        if to is not None and to.tag is not None:
            from_ = request.from_
            subscription = self._by_dialog.get(DialogId(request.call_id or "", to.tag,
                                                        (from_.tag if from_ else None) or ""))
            if subscription is not None:
                self._in_dialog(context, subscription)
                return True
            uri = request.uri
            if isinstance(uri, SipUri) and uri.user == CONTACT_USER and self.services.domains.is_this_server(uri):
                # Sent to our Contact, for a subscription we no longer hold (it ended, or ucd
                # restarted): 481 tells the subscriber to subscribe anew (RFC 6665 4.1.2.2).
                context.respond(*DIALOG_ERROR_STATUS[DialogError.DOES_NOT_EXIST])
                return True
            return False   # another notifier's dialog
        owner = list_owner(request.uri, self.services.domains.is_domain)
        if owner is None:
            return False
        self._new_subscription(context, owner)
        return True

    def _expires(self, context: RequestContext) -> int | None:
        """The granted interval, or None after answering 423."""
        config = self.config
        return granted_expires(context, default=config.default_expires, minimum=config.min_expires,
                               maximum=config.max_expires)

    def _new_subscription(self, context: RequestContext, owner: str) -> None:
        request = context.request
        event = request.event
        if event is None or event.package != EVENT_PACKAGE:
            context.respond(489, headers=[("Allow-Events", EVENT_PACKAGE)])
            return
        if EVENTLIST not in request.supported and EVENTLIST not in request.require:
            context.respond(421, headers=[("Require", EVENTLIST)])
            return
        if not self.services.caller_auth.authorize(context):
            return   # answered 407 or 403
        sender = self.services.caller_auth.sender(request)
        if sender is None or sender.aor != owner:
            context.respond(403, "Forbidden (only its owner subscribes to a contact list)")
            return
        if not _accepts_multipart(request):
            context.respond(406, headers=[("Accept", "multipart/related")])
            return
        contacts = request.contact
        if not contacts or contacts[0].is_star:
            context.respond(400, "Bad Request (a SUBSCRIBE needs a Contact)")
            return
        expires = self._expires(context)
        if expires is None:
            return
        peer = context.source
        response = context.respond(200, headers=[("Expires", str(expires)),
                                                 ("Contact", f"<{self._contact(peer.transport)}>"),
                                                 ("Require", EVENTLIST)])
        dialog = Dialog.for_uas(request, response)
        subscription = ListSubscription(
            key=secrets.token_hex(8), owner=owner, list_uri=request.uri_text, dialog=dialog,
            peer=self._peer(dialog, peer), event=str(event), expires_at=context.now + expires,
            interval=self.config.notify_interval, resources=self.contacts.list_of(owner).uris,
            created_at=context.now)
        if peer.is_stream:
            subscription.instance = watcher_instance(self.services.location, dialog_target(dialog), context.now)
        self._add(subscription)
        if expires == 0:
            subscription.terminate("timeout")   # a fetch (RFC 6665 4.4.3): one NOTIFY, then done
        self._pump(subscription, context.now)
        if subscription.key in self._subscriptions:
            self._save(subscription)

    def _in_dialog(self, context: RequestContext, subscription: ListSubscription) -> None:
        if not accepts_refresh(context, subscription.dialog, EVENT_PACKAGE, EVENT_PACKAGE):
            return
        expires = self._expires(context)
        if expires is None:
            return
        context.respond(200, headers=[("Expires", str(expires)),
                                      ("Contact", f"<{self._contact(context.source.transport)}>"),
                                      ("Require", EVENTLIST)])
        subscription.peer = self._peer(subscription.dialog, context.source)
        if subscription.unreachable:
            self._found(subscription)
        if expires == 0:
            subscription.terminate("timeout")   # unsubscribe (RFC 6665 4.2.1.4)
        else:
            subscription.refreshed(context.now + expires)
        self._pump(subscription, context.now)
        if subscription.key in self._subscriptions and not subscription.terminating:
            self._save(subscription)   # its expiry, CSeq, flow and remote target

    def _contact(self, transport: str) -> str:
        return self.services.originator.contact(transport, CONTACT_USER)

    @staticmethod
    def _peer(dialog: Dialog, source: Peer) -> Peer:
        if dialog.route_set:
            try:
                first = NameAddr.parse(dialog.route_set[0]).uri
            except ParseError:
                return source
            found = peer_for_uri(first) if isinstance(first, SipUri) else None
            return found or source
        return source

    # --- the table -----------------------------------------------------------------------------

    def _add(self, subscription: ListSubscription) -> None:
        self._subscriptions[subscription.key] = subscription
        self._by_dialog[subscription.dialog.id] = subscription
        self._by_owner.setdefault(subscription.owner, set()).add(subscription.key)
        self._index(subscription, (), subscription.resources)

    def _save(self, subscription: ListSubscription) -> None:
        """Hand the subscription to the persistence sink, its CSeq and RLMI version as
        marks (uc_signal.presence.persistence)."""
        dialog = subscription.dialog
        subscription.save_at = next_save_at(dialog.local_seq)
        self.persistence.subscription_saved(StoredSubscription(
            self.name, subscription.key, EVENT_PACKAGE, subscription.event, subscription.owner, subscription.owner,
            "", "active", StoredDialog.of(dialog), subscription.peer, subscription.expires_at,
            subscription.created_at, stored_mark(subscription.version), subscription.list_uri))

    def restore(self, stored: list[StoredSubscription], now: float) -> int:
        """At start: the list subscriptions saved before a restart, unexpired and whose
        owner is still a user, saved again with new marks; each is sent the full state at
        once, under a CSeq and an RLMI version above all it was sent. How many."""
        restored = 0
        for record in restorable(stored, self.name, now, self.services.users, self.persistence):
            dialog = record.dialog.restore()
            subscription = ListSubscription(
                key=record.key, owner=record.resource, list_uri=record.list_uri, dialog=dialog,
                peer=record.peer, event=record.event, expires_at=record.expires_at,
                interval=self.config.notify_interval, resources=self.contacts.list_of(record.resource).uris,
                version=record.version, created_at=record.created_at)
            if subscription.peer.is_stream:   # its connection died with the old process
                subscription.instance = watcher_instance(self.services.location, dialog_target(dialog), now)
            self._add(subscription)
            self._save(subscription)
            self._deadlines.set(subscription.key, subscription.deadline())
            restored += 1
        return restored

    def _remove(self, subscription: ListSubscription) -> None:
        if self._subscriptions.pop(subscription.key, None) is None:
            return
        if subscription.save_at:
            self.persistence.subscription_removed(self.name, subscription.key)
        self._by_dialog.pop(subscription.dialog.id, None)
        keys = self._by_owner.get(subscription.owner)
        if keys is not None:
            keys.discard(subscription.key)
            if not keys:
                del self._by_owner[subscription.owner]
        self._index(subscription, subscription.resources, ())
        self._deadlines.set(subscription.key, None)
        if subscription.unreachable:
            self._found(subscription)
        subscription.dialog.terminate()

    def _index(self, subscription: ListSubscription, old: tuple[str, ...], new: tuple[str, ...]) -> None:
        for uri in set(old) - set(new):
            watchers = self._watching.get(uri)
            if watchers is not None:
                watchers.discard(subscription.key)
                if not watchers:
                    del self._watching[uri]
        for uri in set(new) - set(old):
            self._watching.setdefault(uri, set()).add(subscription.key)

    # --- changes ---------------------------------------------------------------------------------

    def _list_changed(self, owner: str, now: float) -> None:
        resources = self.contacts.list_of(owner).uris
        username, _, domain = owner[4:].rpartition("@")
        gone = self.services.users.find_user(username, domain) is None
        for subscription in self.subscriptions_of(owner):
            if gone:
                subscription.terminate("noresource")   # the owner was deleted (RFC 6665 4.1.3)
            else:
                self._index(subscription, subscription.resources, resources)
                subscription.list_changed(resources)
            self._pump(subscription, now)

    def presence_changed(self, presentity: str, now: float) -> None:
        """The presence source's observer: every subscription listing `presentity`."""
        for key in sorted(self._watching.get(presentity, ())):
            subscription = self._subscriptions.get(key)
            if subscription is not None:
                subscription.resource_changed(presentity)
                self._pump(subscription, now)

    def _source(self) -> PresenceSource | None:
        if self._presence is None and self._presence_provider is not None:
            self._presence = self._presence_provider()
            self._presence.add_observer(self.presence_changed)
        return self._presence

    # --- sending -------------------------------------------------------------------------------

    def _pump(self, subscription: ListSubscription, now: float) -> None:
        ready = subscription.ready_at()
        if ready is not None and ready <= now:
            peer = subscription.peer
            found = self.services.dialog_peer(peer, subscription.dialog, now, subscription.owner,
                                              subscription.instance) if peer.is_stream else peer
            if found is None:
                if subscription.terminating:
                    self._remove(subscription)   # a last NOTIFY nobody can receive
                    return
                self._lost(subscription)
            else:
                subscription.peer = found
                self._send(subscription, subscription.take(now), now)
        if subscription.key in self._subscriptions:
            self._deadlines.set(subscription.key, subscription.deadline())

    def _send(self, subscription: ListSubscription, plan: NotifyPlan, now: float) -> None:
        body, content_type = self._body(subscription, plan, now)
        if plan.terminated_reason is not None:
            state = f"terminated;reason={plan.terminated_reason}"
        else:
            state = f"active;expires={max(0, int(subscription.expires_at - now))}"
        peer = subscription.peer
        request = subscription.dialog.create_request(
            "NOTIFY", self.services.originator.via(peer.transport), contact=self._contact(peer.transport),
            extra_headers=[("Event", subscription.event), ("Subscription-State", state), ("Require", EVENTLIST)],
            body=body, content_type=str(content_type))
        if plan.terminated_reason is not None:
            self._remove(subscription)   # the last NOTIFY: its answer changes nothing any more
        elif mark_used_up(subscription.save_at, subscription.dialog.local_seq):
            self._save(subscription)     # half the stored CSeq margin used: a new mark
        if peer.transport == "UDP" and len(body) > UDP_BODY_LIMIT:
            log.warning("list NOTIFY to %s for %s is %d bytes, more than one UDP datagram carries: the "
                        "subscriber needs TCP or TLS for a list this long", peer, subscription.owner, len(body))
        self.services.originator.send(request, peer, self._answered(subscription, request, peer), now)

    def _answered(self, subscription: ListSubscription, request: Request, peer: Peer):  # type: ignore[no-untyped-def]
        def on_response(response: Response, now: float) -> None:
            if response.status < 200 or subscription.key not in self._subscriptions:
                return
            subscription.dialog.receive_response(request, response)
            if peer.is_stream and is_transport_failure(response):
                # The connection failed, not the subscriber: wait for it (unless it moved on
                # to another flow meanwhile: then the full state goes there now).
                if subscription.peer == peer:
                    self._lost(subscription)
                else:
                    subscription.answered(response.status)   # a retry: full state next
                self._pump(subscription, now)
            elif subscription.answered(response.status) is NotifyOutcome.GONE:
                self._remove(subscription)   # RFC 6665 4.2.2: 481, timeout...: no NOTIFY any more
            else:
                self._pump(subscription, now)
        return on_response

    # --- subscribers whose flow is gone (RFC 5626 5.3) ----------------------------------------------

    def _lost(self, subscription: ListSubscription) -> None:
        subscription.lost()
        self._unreachable.setdefault(subscription.owner, set()).add(subscription.key)

    def _found(self, subscription: ListSubscription) -> None:
        subscription.found()
        waiting = self._unreachable.get(subscription.owner)
        if waiting is not None:
            waiting.discard(subscription.key)
            if not waiting:
                del self._unreachable[subscription.owner]

    def _binding_changed(self, change: BindingChange, binding: Binding) -> None:
        """The location service's callback: a subscriber that registered (again) gets the
        full state of its unreachable subscriptions at the next timer (after the 200)."""
        if change not in (BindingChange.INSERTED, BindingChange.UPDATED):
            return
        for key in sorted(self._unreachable.pop(binding.aor, ())):
            subscription = self._subscriptions.get(key)
            if subscription is not None:
                subscription.found()
                self._deadlines.set(key, 0.0)   # at once (a time in the past)

    def _is_local(self, uri: str) -> bool:
        return self.services.domains.is_domain(uri.rpartition("@")[2])

    def _body(self, subscription: ListSubscription, plan: NotifyPlan, now: float) -> tuple[bytes, ContentType]:
        contact_list = self.contacts.list_of(subscription.owner)
        domain = subscription.owner.rpartition("@")[2]
        resources: list[Resource] = []
        parts: list[StatePart] = []
        source = self._source()
        for uri in plan.resources:
            contact = contact_list.find(uri)
            instances: tuple[Instance, ...] = ()
            if source is not None and self._is_local(uri):
                instance_id = hashlib.sha256(f"{subscription.key}:{uri}".encode()).hexdigest()[:12]
                cid = f"{instance_id}.{plan.version}@{domain}"
                parts.append(StatePart(cid, source.document_for(uri, subscription.owner, now)))
                instances = (Instance(instance_id, "active", cid),)
            resources.append(Resource(uri, (contact.display_name or None) if contact else None, instances))
        rlmi = RlmiList(subscription.list_uri, plan.version, plan.full_state, None, tuple(resources))
        return build_list_body(rlmi, parts, f"{subscription.key}.{plan.version}@{domain}")

    def shutdown(self, now: float, retry_after: int) -> None:
        """The server is stopping: end every subscription with `probation` (RFC 6665
        4.1.3: the subscriber re-subscribes after `retry_after` seconds), rather than
        leaving clients to find out at their next refresh (a 481)."""
        for subscription in list(self._subscriptions.values()):
            subscription.terminate(f"probation;retry-after={retry_after}")
            self._pump(subscription, now)

    # --- deadlines (TimedApplication) -------------------------------------------------------------

    def get_timer(self) -> float | None:
        return self._deadlines.next()

    def handle_timer(self, now: float) -> None:
        for key in self._deadlines.pop_due(now):
            subscription = self._subscriptions.get(key)
            if subscription is None:
                continue
            if not subscription.terminating and now >= subscription.expires_at:
                subscription.terminate("timeout")   # RFC 6665 4.2.2: expired, not refreshed
            self._pump(subscription, now)


def rls_application(contacts: ContactDirectory, presence: PresenceProvider | None = None,
                    config: RlsConfig | None = None) -> ApplicationFactory:
    """The RLS as a chain factory. `presence` returns the presence source when first
    needed (the presence service may be built after the RLS); None lists resources
    without state."""
    def build(services: ApplicationServices) -> ResourceListServer:
        return ResourceListServer(services, contacts, presence, config or RlsConfig())
    return build
