"""The stateful proxy for local users (RFC 3261 section 16): the last application of the
chain. Sans-IO: it sends through a `Sender` and keeps its own timers (Timer C, CANCEL
guards) in wall-clock `now`.

The walk of a request: validation (16.3) -> Route processing (16.4) -> authentication of
local callers (22.3, never ACK or CANCEL) -> targets (16.5: a GRUU, a local AOR's
bindings, a registered contact, a numeric URI) -> one client transaction per target of
the highest q group, in parallel (16.6) -> responses collected per branch and the best
one sent upstream (16.7, selection.py).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..directory import Binding, UserDirectory
from ..local_domains import LocalDomains
from ..registrar import LocationService, Registrar
from ..sip import (Headers, NameAddr, ParseError, Request, Response, SipUri,
                   TransactionError, TransactionKey, Via, make_cancel, make_response)
from ..sip.relayed_copy import forwarded_fields
from ..sip.random_tokens import token_hex
from ..transport.peer import Peer
from ..application import RequestContext
from .call_events import CallEvents
from .caller_auth import CallerAuthentication
from .errors import REPLIES, ProxyError
from .selection import best_response, prepare_upstream
from .sender import Sender
from .targets import Destination, destination_for_binding, destination_groups, peer_for_uri

DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER"})
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO, UPDATE, PRACK"


@dataclass(frozen=True)
class ProxyConfig:
    # Where this server is reached per transport: its Via sent-by and Record-Route URI.
    listen: Mapping[str, tuple[str, int]]
    timer_c: float = 180.0        # 16.6 item 11: more than 3 minutes, reset on each 1xx
    cancel_guard: float = 32.0    # 9.1: give a CANCELled branch 64*T1 to answer
    record_route: bool = True


@dataclass(eq=False)
class Branch:
    """One forwarded copy of a request: its client transaction and what came back."""

    context: ResponseContext
    request: Request
    peer: Peer
    key: TransactionKey | None = None
    provisional: bool = False
    final: Response | None = None
    cancel_pending: bool = False
    cancel_sent: bool = False
    cancel_reason: str | None = None   # RFC 3326 Reason for the CANCEL
    deadline: float | None = None   # Timer C, or the CANCEL guard

    @property
    def done(self) -> bool:
        return self.final is not None


@dataclass(eq=False)
class ResponseContext:
    """A request being proxied (16.7): its server transaction and its branches."""

    request: Request                 # as received (after Route processing)
    transaction: TransactionKey
    source: Peer
    record_route: bool
    waiting: list[list[Destination]] = field(default_factory=list)  # lower q groups
    branches: list[Branch] = field(default_factory=list)
    finals: list[Response] = field(default_factory=list)
    answered: bool = False           # a final response went upstream
    got_2xx: bool = False
    cancelled: bool = False          # CANCEL from upstream, or a 2xx/6xx arrived


class ProxyRouter:
    """The `proxy` application: routes what no other application claimed."""

    name = "proxy"

    def __init__(self, sender: Sender, config: ProxyConfig, domains: LocalDomains,
                 location: LocationService, users: UserDirectory,
                 caller_auth: CallerAuthentication,
                 registrar: Registrar | None = None,
                 flow_alive: Callable[[str], bool] | None = None) -> None:
        self.sender = sender
        self.config = config
        self.domains = domains
        self.location = location
        self.users = users
        self.caller_auth = caller_auth
        self.registrar = registrar             # resolves GRUUs
        # Whether a connection's flow token still has its connection (RFC 5626 5.3: a
        # contact bound to a closed flow cannot be reached until the UA re-registers).
        self.flow_alive = flow_alive
        self._contexts: dict[TransactionKey, ResponseContext] = {}
        self._branches: dict[TransactionKey, Branch] = {}
        self._cancels: set[TransactionKey] = set()
        self._timers: list[tuple[float, int, Branch]] = []
        self._order = itertools.count()
        self._branch_salt = secrets.token_hex(4)
        self._ours = {(h.lower().strip("[]"), p) for h, p in config.listen.values()}
        self.call_events: CallEvents | None = None   # answered INVITEs and BYEs, for presence

    # --- the chain ------------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method == "ACK":
            self._forward_ack(request, context.now)
            return True
        error = self._validate(request)
        if error is not None:
            self._reject(context, error)
            return True
        if request.method == "BYE" and self.call_events is not None:
            self.call_events.ended(request, context.now)   # presence's "In a Call" ends
        self._route(context, through_us=self._process_routes(request))
        return True

    # --- 16.3 validation ------------------------------------------------------------------------

    def _validate(self, request: Request) -> ProxyError | None:
        uri = request.uri
        if not isinstance(uri, SipUri):
            return ProxyError.UNSUPPORTED_URI_SCHEME
        max_forwards = request.max_forwards
        if max_forwards == 0 and not self._addressed_to_us(request):
            return ProxyError.TOO_MANY_HOPS
        if self._looped(request):
            return ProxyError.LOOP_DETECTED
        if request.proxy_require:
            return ProxyError.BAD_EXTENSION
        return None

    def _addressed_to_us(self, request: Request) -> bool:
        routes = request.route
        if routes and not all(self._is_ours(r) for r in routes):
            return False
        return self.domains.is_this_server(request.uri)

    def _looped(self, request: Request) -> bool:
        """16.3 item 4: one of our Vias carries the branch we would compute for this very
        request with the Via under it as top: a loop. A different branch is a spiral (the
        request changed on the way, e.g. a new Request-URI) and goes on."""
        vias = request.via
        for i, via in enumerate(vias[:-1]):
            if not self._is_our_via(via):
                continue
            branch = via.branch or ""
            if branch.startswith("z9hG4bK") and "." in branch:
                if branch[7:].split(".", 1)[0] == _loop_key(request, vias[i + 1]):
                    return True
        return False

    # --- 16.4 Route processing ------------------------------------------------------------------

    def _process_routes(self, request: Request) -> bool:
        """Take our own Route entries off the top (loose routing); undo a strict router's
        rewrite when the Request-URI is one we Record-Routed (16.4). True when the request
        was routed through us: one of our own Route entries was in it."""
        through_us = False
        uri = request.uri
        if isinstance(uri, SipUri) and uri.lr and self._is_our_uri(uri):
            routes = request.route
            if routes:
                last = request.headers.values("Route")[-1]
                request.uri = routes[-1].uri_text
                _drop_last_route(request, last)
                through_us = True
        for _ in range(8):
            routes = request.route
            if not routes or not self._is_ours(routes[0]):
                break
            request.headers.pop_first("Route")
            through_us = True
        return through_us

    def _is_ours(self, route: NameAddr) -> bool:
        try:
            uri = route.uri
        except ParseError:
            return False
        return self._is_our_uri(uri)

    def _is_our_uri(self, uri: object) -> bool:
        if not isinstance(uri, SipUri) or uri.user is not None:
            return False
        return (uri.host.lower().strip("[]"), uri.port or 5060) in self._ours or self.domains.is_this_server(uri)

    def _is_our_via(self, via: Via) -> bool:
        return (via.host.lower().strip("[]"), via.port or 5060) in self._ours

    # --- 16.5 targets ------------------------------------------------------------------------------

    def _route(self, context: RequestContext, *, through_us: bool) -> None:
        request = context.request
        in_dialog = request.to is not None and request.to.tag is not None
        routes = request.route
        if routes and not (in_dialog and through_us):
            # A Route to another host that does not come from a dialog we Record-Routed
            # (16.4 allows pre-loaded routes) would make this server a relay for anyone:
            # refused, as Kamailio's default configuration does.
            self._reject(context, ProxyError.PRELOADED_ROUTE)
            return
        if routes:  # the dialog's route set: go where it says
            peer = self._peer_for_route(routes[0], context.now)
            if peer is None:
                self._reject(context, ProxyError.NO_ROUTE)
                return
            self._proxy(context, [[Destination(request.uri_text, (), peer)]], record_route=False)
            return
        uri = request.uri
        assert isinstance(uri, SipUri)
        if self.domains.is_this_server(uri) and uri.user is None:
            self._answer_locally(context)
            return
        if not in_dialog and request.method != "CANCEL" and not self.caller_auth.authorize(context):
            return
        if self.domains.is_domain(uri.host) or self.domains.is_this_server(uri):
            self._route_to_user(context, uri, in_dialog)
            return
        binding = self.location.find_contact(request.uri_text, context.now)
        destination = destination_for_binding(binding) if binding else None
        if destination is not None:  # a registered UA's contact (in-dialog, no Route)
            self._proxy(context, [[Destination(request.uri_text, destination.routes, destination.peer)]],
                        record_route=False)
            return
        if not (self.caller_auth.from_local(request) if not in_dialog else through_us):
            # Out of a dialog only a local caller may reach a foreign target; in a dialog
            # only along our own Record-Route (an in-dialog request is not challenged).
            self._reject(context, ProxyError.RELAYING_FORBIDDEN)
            return
        peer = peer_for_uri(uri)
        if peer is None:
            self._reject(context, ProxyError.NO_ROUTE)
            return
        self._proxy(context, [[Destination(request.uri_text, (), peer)]],
                    record_route=not in_dialog and request.method in DIALOG_CREATING)

    def _route_to_user(self, context: RequestContext, uri: SipUri, in_dialog: bool) -> None:
        now = context.now
        bindings: list[Binding] | None = None
        if self.registrar is not None:
            bindings = self.registrar.resolve_gruu(uri, now)
        if bindings is None:
            # user@domain, or user@<this server's address> meaning the default domain
            domain = uri.host if self.domains.is_domain(uri.host) else self.domains.default_domain
            user = self.users.find_user(uri.user, domain) if uri.user is not None else None
            if user is None:
                self._reject(context, ProxyError.UNKNOWN_USER)
                return
            bindings = self.location.lookup(user.aor, now)
        groups = destination_groups(bindings, self.flow_alive)
        if not groups:
            self._reject(context, ProxyError.NOT_REGISTERED)
            return
        self._proxy(context, groups, record_route=not in_dialog and context.request.method in DIALOG_CREATING)

    def _peer_for_route(self, route: NameAddr, now: float) -> Peer | None:
        try:
            uri = route.uri
        except ParseError:
            return None
        if not isinstance(uri, SipUri):
            return None
        binding = self.location.find_contact(route.uri_text, now) if uri.user else None
        destination = destination_for_binding(binding) if binding else None
        return destination.peer if destination else peer_for_uri(uri)

    def _answer_locally(self, context: RequestContext) -> None:
        """A request for the server itself (no user part): OPTIONS is answered (11.2)."""
        method = context.request.method
        if method == "OPTIONS":
            context.respond(200, headers=[("Allow", ALLOW), ("Accept", "application/sdp"),
                                          ("Supported", "path, gruu, outbound")])
        elif method in ALLOW.replace(" ", "").split(","):
            self._reject(context, ProxyError.UNKNOWN_USER)
        else:
            self._reject(context, ProxyError.NOT_IMPLEMENTED, [("Allow", ALLOW)])

    # --- 16.6 forwarding ---------------------------------------------------------------------------

    def _proxy(self, context: RequestContext, groups: list[list[Destination]], *, record_route: bool) -> None:
        assert context.transaction is not None
        rc = ResponseContext(context.request, context.transaction, context.source,
                             record_route and self.config.record_route, waiting=groups[1:])
        self._contexts[context.transaction] = rc
        context.answered = True
        self._start_group(rc, groups[0], context.now)

    def _start_group(self, rc: ResponseContext, group: list[Destination], now: float) -> None:
        for destination in group:
            branch = Branch(rc, self._forwarded(rc, destination), destination.peer)
            rc.branches.append(branch)
            try:
                branch.key = self.sender.send_request(branch.request, destination.peer)
            except TransactionError:
                branch.key = None
            if branch.key is None:
                branch.final = make_response(branch.request, 503)
                rc.finals.append(branch.final)
                continue
            self._branches[branch.key] = branch
            if rc.request.method == "INVITE":
                self._arm(branch, now + self.config.timer_c)
        self._maybe_finish(rc, now)

    def _forwarded(self, rc: ResponseContext, destination: Destination) -> Request:
        original = rc.request
        max_forwards = original.max_forwards
        peer = destination.peer
        record_routes: tuple[str, ...] = ()
        if rc.record_route:
            inbound = self._our_uri(rc.source.transport)
            outbound = self._our_uri(peer.transport)
            # RFC 5658 double Record-Route across transports: the outbound one on top
            record_routes = (f"<{inbound}>",) if outbound == inbound else (f"<{outbound}>", f"<{inbound}>")
        top = original.top_via
        assert top is not None
        branch = f"z9hG4bK{_loop_key(original, top)}.{self._branch_salt}{token_hex(4)}"
        host, port = self._listen_for(peer.transport)
        via = Via(peer.transport, host, port, {"branch": branch, "rport": None})
        headers = Headers._from_parsed(forwarded_fields(
            original.headers._fields, str(via), str(70 if max_forwards is None else max(0, max_forwards - 1)),
            routes=destination.routes, record_routes=record_routes))
        out = Request(original.method, destination.uri, headers, original.body)
        # The client transaction reads the top Via and the CSeq at once (its key): keep them
        # parsed (a serialised Via parses back to an equal one; the CSeq is the original's).
        headers._typed["via"] = [via, *original.via]
        headers._typed["cseq"] = original.cseq
        return out

    def _listen_for(self, transport: str) -> tuple[str, int]:
        listen = self.config.listen
        return listen.get(transport) or listen.get("UDP") or next(iter(listen.values()))

    def _our_uri(self, transport: str) -> str:
        host, port = self._listen_for(transport)
        host = f"[{host}]" if ":" in host else host
        return f"sip:{host}:{port};transport={transport.lower()};lr"

    def _forward_ack(self, ack: Request, now: float) -> None:
        """An ACK to a 2xx is proxied statelessly along its Route (16.11 / 16.6)."""
        try:
            if ack.max_forwards == 0 or self._looped(ack):
                return
            through_us = self._process_routes(ack)
            routes = ack.route
            uri = ack.uri
            peer: Peer | None = None
            if routes:
                peer = self._peer_for_route(routes[0], now) if through_us else None
            elif isinstance(uri, SipUri) and not self.domains.is_domain(uri.host):
                binding = self.location.find_contact(ack.uri_text, now)
                destination = destination_for_binding(binding) if binding else None
                if destination is not None:
                    peer = destination.peer
                elif through_us:
                    peer = peer_for_uri(uri)
            top = ack.top_via
            if peer is None or top is None:
                return
        except ParseError:
            return
        # Stateless: the same ACK gets the same branch (16.11), derived from its own.
        branch = "z9hG4bK" + hashlib.blake2s(f"{top}|ack".encode(), digest_size=8).hexdigest()
        host, port = self._listen_for(peer.transport)
        headers = Headers._from_parsed(forwarded_fields(
            ack.headers._fields, str(Via(peer.transport, host, port, {"branch": branch, "rport": None})),
            str(70 if ack.max_forwards is None else ack.max_forwards - 1)))
        self.sender.send_stateless(Request("ACK", ack.uri_text, headers, ack.body), peer)

    # --- 16.7 responses ------------------------------------------------------------------------------

    def on_response(self, response: Response, transaction: TransactionKey | None, now: float) -> None:
        if transaction is None:
            self._forward_stray(response)
            return
        branch = self._branches.get(transaction)
        if branch is None:
            return  # our CANCEL's 200, or a branch already given up
        rc = branch.context
        if branch.done:
            if 200 <= response.status < 300 and branch.final is not None and branch.final.status < 300:
                # The UAS retransmits its 2xx until the ACK comes (13.3.1.4); the client
                # transaction passes each one up (RFC 6026 7.2) and each goes on upstream,
                # the proxy being stateless for them.
                self._send_upstream(rc, response)
            return  # any other late response
        if response.status < 200:
            branch.provisional = True  # any 1xx, 100 too, allows a CANCEL (9.1)
            if branch.cancel_pending:
                self._send_cancel(branch, now)
            if response.status == 100:
                return  # 16.7 item 3: 100 Trying is hop by hop
            if rc.request.method == "INVITE" and not branch.cancel_sent:
                self._arm(branch, now + self.config.timer_c)  # 16.7 item 2: reset Timer C
            if not rc.answered:
                self._send_upstream(rc, response)
            return
        branch.final = response
        branch.deadline = None
        if response.status < 300:
            rc.got_2xx = True
            self._send_upstream(rc, response)  # 16.7 item 5: every 2xx goes up
            if rc.request.method == "INVITE":
                if self.call_events is not None:
                    self.call_events.answered(rc.request, response, now)   # "In a Call"
                # 16.7 item 10; RFC 3326 so the other phones do not show a missed call
                self._cancel_branches(rc, now, 'SIP;cause=200;text="Call completed elsewhere"')
            rc.answered = True
            return
        rc.finals.append(response)
        if response.status >= 600 and rc.request.method == "INVITE":
            self._cancel_branches(rc, now, f'SIP;cause={response.status};text="{_quotable(response.reason)}"')
        self._maybe_finish(rc, now)

    def on_branch_failed(self, transaction: TransactionKey, status: int, now: float) -> None:
        """Timer B/F (408) or a transport error (503) for a branch (16.7 item 4, 8.1.3.1)."""
        branch = self._branches.pop(transaction, None)  # over for the router
        if branch is None or branch.done:
            return
        branch.final = make_response(branch.request, status)
        branch.deadline = None
        branch.context.finals.append(branch.final)
        self._maybe_finish(branch.context, now)

    def _maybe_finish(self, rc: ResponseContext, now: float) -> None:
        if rc.answered or not all(b.done for b in rc.branches):
            return
        if rc.waiting and not rc.cancelled:  # 16.6: the next q group
            self._start_group(rc, rc.waiting.pop(0), now)
            return
        chosen = best_response(rc.finals)
        if chosen is None:
            status, reason = REPLIES[ProxyError.NO_RESPONSE]
            chosen = make_response(rc.request, status, reason, to_tag=token_hex(6))
            ours = False  # built from the request as received: its top Via is upstream's
        else:
            chosen = prepare_upstream(chosen, rc.finals)
            ours = True
        rc.answered = True
        self._send_upstream(rc, chosen, strip_via=ours)

    def _send_upstream(self, rc: ResponseContext, response: Response, *, strip_via: bool = True) -> None:
        if strip_via and response.top_via is not None and self._is_our_via(response.top_via):
            response.headers.pop_first("Via")  # 16.7 item 3
        try:
            self.sender.send_response(response, rc.transaction)
        except TransactionError:
            pass  # the server transaction is over (a late 2xx to a non-INVITE)

    def _forward_stray(self, response: Response) -> None:
        """A 2xx to INVITE without a transaction (after Timer M, RFC 6026 7.2) goes on
        statelessly; any other stray response is dropped (16.7, 18.1.2)."""
        via = response.top_via
        cseq = response.cseq
        if via is None or cseq is None or not self._is_our_via(via):
            return
        if not (200 <= response.status < 300 and cseq.method == "INVITE"):
            return
        response.headers.pop_first("Via")
        upstream = response.top_via
        if upstream is None:
            return
        rport = upstream.rport if isinstance(upstream.rport, int) and upstream.rport is not True else None
        port = rport or upstream.port or 5060
        self.sender.send_stateless(response, Peer(upstream.received or upstream.host, port, upstream.transport))

    # --- CANCEL (9.2, 16.10) -------------------------------------------------------------------------

    def cancel(self, invite: TransactionKey, now: float, reason: str | None = None) -> None:
        """CANCEL from upstream: cancel every pending branch (passing its Reason on, RFC
        3326); no new branches."""
        rc = self._contexts.get(invite)
        if rc is None:
            return
        rc.waiting.clear()
        self._cancel_branches(rc, now, reason)

    def _cancel_branches(self, rc: ResponseContext, now: float, reason: str | None = None) -> None:
        rc.cancelled = True
        rc.waiting.clear()
        for branch in rc.branches:
            if branch.done or branch.key is None:
                continue
            branch.cancel_reason = reason
            if branch.provisional:
                self._send_cancel(branch, now)
            else:
                branch.cancel_pending = True  # 9.1: not before a provisional response
                self._arm(branch, now + self.config.cancel_guard)

    def _send_cancel(self, branch: Branch, now: float) -> None:
        branch.cancel_pending = False
        branch.cancel_sent = True
        cancel = make_cancel(branch.request)
        if branch.cancel_reason:
            cancel.headers.add("Reason", branch.cancel_reason)
        try:
            key = self.sender.send_request(cancel, branch.peer)
        except TransactionError:
            return
        if key is not None:
            self._cancels.add(key)
        self._arm(branch, now + self.config.cancel_guard)

    # --- timers ----------------------------------------------------------------------------------------

    def _arm(self, branch: Branch, deadline: float) -> None:
        branch.deadline = deadline
        heapq.heappush(self._timers, (deadline, next(self._order), branch))

    def get_timer(self) -> float | None:
        while self._timers:
            deadline, _, branch = self._timers[0]
            if branch.deadline == deadline and not branch.done:
                return deadline
            heapq.heappop(self._timers)
        return None

    def handle_timer(self, now: float) -> None:
        for _ in range(10_000):
            deadline = self.get_timer()
            if deadline is None or deadline > now:
                return
            _, _, branch = heapq.heappop(self._timers)
            branch.deadline = None
            if branch.key is None:
                continue
            if branch.provisional and not branch.cancel_sent and not branch.cancel_pending:
                self._send_cancel(branch, now)  # Timer C after a provisional: CANCEL (16.8)
            else:
                self.on_branch_failed(branch.key, 408, now)  # no answer in time (16.8, 9.1)

    # --- bookkeeping -------------------------------------------------------------------------------

    def forget(self, transaction: TransactionKey, now: float) -> bool:
        """A transaction ended: drop what referred to it. A branch whose client
        transaction ended without a final response counts as a 408 first. True when that
        happened (it may start the next group or answer upstream: new deadlines)."""
        self._cancels.discard(transaction)
        branch = self._branches.pop(transaction, None)
        finished = False
        if branch is not None and not branch.done:
            finished = True
            branch.final = make_response(branch.request, 408)
            branch.deadline = None
            branch.context.finals.append(branch.final)
            self._maybe_finish(branch.context, now)
        self._contexts.pop(transaction, None)
        return finished

    def _reject(self, context: RequestContext, error: ProxyError,
                headers: list[tuple[str, str]] | None = None) -> None:
        status, reason = REPLIES[error]
        extra = list(headers or [])
        if error is ProxyError.BAD_EXTENSION:
            extra.append(("Unsupported", ", ".join(context.request.proxy_require)))
        context.respond(status, reason, extra)

    @property
    def pending(self) -> int:
        """Requests being proxied (tests, metrics)."""
        return len(self._contexts)

    @property
    def open_branches(self) -> int:
        """Client transactions the router still follows (tests, metrics)."""
        return len(self._branches)


def _loop_key(request: Request, top_via: Via) -> str:
    """16.6 item 8: what identifies a request for loop detection: Request-URI, To tag, From
    tag, Call-ID, CSeq number and the Via it arrived with."""
    to, sender, cseq = request.to, request.from_, request.cseq
    text = "|".join((request.uri_text, (to.tag or "") if to else "", (sender.tag or "") if sender else "",
                     request.call_id or "", str(cseq.seq if cseq else ""), str(top_via)))
    return hashlib.blake2s(text.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


def _quotable(text: str) -> str:
    return text.replace("\\", "").replace('"', "")


def _drop_last_route(request: Request, last: str) -> None:
    values = request.headers.values("Route")
    request.headers.remove("Route")
    for value in values[:-1]:
        request.headers.add("Route", value)
