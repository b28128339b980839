"""The IM application of the chain (RFC 3428 MESSAGE, RFC 3994 is-composing). Sans-IO:
every entry point takes `now` (wall-clock seconds).

It claims out-of-dialog MESSAGEs addressed to a local user, to the conversation factory
or to a conversation; anything else (MESSAGE to another domain, in-dialog MESSAGE) goes on
to the proxy. For each claimed MESSAGE, in order:

1. caller authentication (407/403, `caller_auth`); external senders are not challenged;
2. the recipient exists (404) and both parties' IM policies allow IM (403, the reason
   says whose policy);
3. the body fits the tightest size limit (413, RFC 3428 section 8);
4. text passes the IM filter (403 with the reason; or delivered with a warning prefix);
5. delivery to every endpoint (fork.Fork); the sender gets the first 2xx's status; when
   every endpoint is unreachable (408/480/503), none is registered, or none answered in
   `delivery_timeout`, the message is stored and the sender gets 202 once it is durable
   (480 with a reason when the recipient's policy forbids storing). Other failures: the
   best one (fork.best_failure).

Stored messages go out when the recipient registers (location service callbacks), one at
a time per recipient so they arrive in order; each is deleted after the first 2xx; a
round of failed attempts is bounded (`offline_max_attempts`, `offline_retry_interval`)
and the next registration starts another. While a recipient has stored messages, new
ones queue behind them. Is-composing indications are relayed live only: never stored,
never archived, never filtered. Every delivered IM is archived when either party's policy
archives; the retention purge runs every `purge_interval` seconds.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..application import RequestContext
from ..directory import Binding, User
from ..proxy.services import ApplicationFactory, ApplicationServices
from ..proxy.targets import Destination
from ..registrar import BindingChange
from ..sip import Headers, NameAddr, ParseError, Request, Response, SipUri, format_date
from ..sip.relayed_copy import encode_relayed_copy
from .conversations import ConversationBook, parse_command, resolve_user
from .filter import ImFilter
from .fork import Fork, all_unreachable, best_failure
from .model import ArchivedMessage, Conversation, StoredMessage
from .policy import ImPolicy, ImSettings
from .store import ImStore

log = logging.getLogger(__name__)

IS_COMPOSING = "application/im-iscomposing+xml"   # RFC 3994
DAY = 86400.0


@dataclass(eq=False)
class _Live:
    """A MESSAGE from a sender still waiting for its answer."""

    context: RequestContext
    message: StoredMessage          # id 0 until stored
    composing: bool
    recipient_policy: ImPolicy
    archive: bool
    deadline: float
    answered: bool = False
    stored_id: int | None = None
    forking: bool = False           # copies still out to the endpoints


@dataclass
class _Queue:
    """Stored messages of one recipient, oldest first, and their delivery state."""

    messages: deque[StoredMessage] = field(default_factory=deque)
    in_flight: bool = False
    due: float | None = None        # the next delivery attempt
    attempts: int = 0


class ImService:
    name = "im"

    def __init__(self, services: ApplicationServices, settings: ImSettings, store: ImStore) -> None:
        self.services = services
        self.settings = settings
        self.store = store
        self.filter = ImFilter(settings.filter)
        self.conversations = ConversationBook(store)
        self._queues: dict[str, _Queue] = {}
        self._ids = itertools.count(1)
        stored = store.offline_messages()
        if stored:
            self._ids = itertools.count(max(m.id for m in stored) + 1)
        for message in stored:
            self._queue(message.recipient).messages.append(message)
        self._live: list[tuple[float, int, _Live]] = []   # heap by delivery deadline
        # Stored after the timeout while their live copies are still out: not sent again
        # until those have ended (a late 2xx would make it a duplicate).
        self._still_forking: set[int] = set()
        self._order = itertools.count()
        self._next_purge: float | None = 0.0 if settings.retention_days > 0 else None
        self.delivered = 0
        services.location.subscribe(self._on_binding)

    # --- the chain -------------------------------------------------------------------------------

    def on_request(self, context: RequestContext) -> bool:
        request = context.request
        if request.method != "MESSAGE":
            return False
        to = request.to
        if to is not None and to.tag is not None:
            return False  # in a dialog: the proxy routes it
        uri = request.uri
        domains = self.services.domains
        if not isinstance(uri, SipUri) or uri.user is None:
            return False
        if domains.is_domain(uri.host):
            domain = uri.host.lower()
        elif domains.is_this_server(uri):
            domain = domains.default_domain   # user@<our address>: the user of our domain (as the proxy)
        else:
            return False
        if any(not domains.is_this_server(route.uri) for route in request.route):
            return False  # a pre-loaded Route elsewhere: the proxy's rules apply
        if not self.services.caller_auth.authorize(context):
            return True   # answered: 407 or 403
        sender = context.caller or self.services.caller_auth.sender(request)
        target = f"sip:{uri.user}@{domain}"
        if uri.user == self.settings.factory_user or self.conversations.get(target) is not None:
            self._conversation_message(context, sender, target, domain)
            return True
        recipient = self.services.users.find_user(uri.user, domain)
        if recipient is None:
            context.respond(404, "Not Found (no such user)")
            return True
        self._one_to_one(context, sender, recipient)
        return True

    # --- one to one ------------------------------------------------------------------------------

    def _one_to_one(self, context: RequestContext, sender: User | None, recipient: User) -> None:
        request = context.request
        now = context.now
        sender_policy = self._policy_check(context, sender, "sender")
        if context.answered:
            return
        if not recipient.enabled:
            context.respond(403, "Forbidden (recipient account disabled)")
            return
        recipient_policy = self._policy_check(context, recipient, "recipient")
        if recipient_policy is None:
            return   # answered 403
        content_type = _content_type(request)
        composing = content_type == IS_COMPOSING
        body = request.body
        if not composing:
            limit = self.settings.size_limit(sender_policy, recipient_policy)
            if len(body) > limit:
                context.respond(413, f"Request Entity Too Large ({len(body)} bytes; limit {limit})")
                return
            filtered = self._filtered(context, content_type, body)
            if filtered is None:
                return
            body = filtered
        from_value = _without_tag(request.from_)
        sender_aor = sender.aor if sender is not None else _aor_of(request.from_)
        message = StoredMessage(0, recipient.aor, from_value, sender_aor, content_type, body, now)
        archive = not composing and ((sender_policy.archive if sender_policy else False) or recipient_policy.archive)
        live = _Live(context, message, composing, recipient_policy, archive, now + self.settings.delivery_timeout)
        queue = self._queues.get(recipient.aor)
        if queue is not None and queue.messages and not composing:
            self._unreachable(live)  # behind the stored ones, in order
            return
        max_forwards = request.max_forwards
        max_forwards = 70 if max_forwards is None else max(0, max_forwards - 1)
        fork = Fork(self.services, None, lambda response, at: self._live_accepted(live, response, at),
                    lambda failures, at: self._live_failed(live, failures, at),
                    encode=("MESSAGE", lambda d, via: _live_copy(request, body, max_forwards, d, via)))
        live.forking = True
        if not fork.start(self.services.destinations(recipient.aor, now), now):
            live.forking = False
            self._unreachable(live)
            return
        if not live.answered:
            heapq.heappush(self._live, (live.deadline, next(self._order), live))

    def _policy_check(self, context: RequestContext, user: User | None, side: str) -> ImPolicy | None:
        """The user's policy if it allows IM; None for an external party, or when the
        request has been answered 403 (`context.answered`)."""
        if user is None:
            return None
        policy = self.settings.policy_for(user)
        if policy is None:
            context.respond(403, f"Forbidden ({side}'s IM policy {user.policy('im')} is not defined)")
            return None
        if not policy.enabled:
            context.respond(403, f"Forbidden (instant messaging is disabled for the {side} by policy {policy.name})")
            return None
        return policy

    def _filtered(self, context: RequestContext, content_type: str, body: bytes) -> bytes | None:
        """The body to deliver, or None when the filter blocked it (answered 403)."""
        if not content_type.startswith("text/") or not self.filter.active:
            return body
        text = body.decode("utf-8", "replace")
        verdict = self.filter.check(text)
        if verdict.blocked is not None:
            context.respond(403, f"Forbidden (message blocked: {verdict.blocked})")
            return None
        return self.filter.warned(text).encode() if verdict.warn else body

    def _live_accepted(self, live: _Live, response: Response, now: float) -> None:
        live.forking = False
        if live.stored_id is not None:
            self._still_forking.discard(live.stored_id)
            # Answered late, after the timeout stored a copy: that copy must not go out too.
            self._drop_stored(live.message.recipient, live.stored_id)
        if not live.answered:
            live.answered = True
            live.context.respond(response.status if response.status in (200, 202) else 200)
        if live.archive:
            self._archive(live.message, now)

    def _live_failed(self, live: _Live, failures: list[Response], now: float) -> None:
        live.forking = False
        if live.stored_id is not None:
            self._still_forking.discard(live.stored_id)
        if live.answered:
            return  # timed out before: stored already, or told 480
        if all_unreachable(failures):
            self._unreachable(live)
            return
        best = best_failure(failures)
        assert best is not None
        live.answered = True
        live.context.respond(best.status, best.reason)

    def _unreachable(self, live: _Live) -> None:
        """No endpoint took it: store it (202 once durable) or say why not (480)."""
        live.answered = True
        if live.composing:
            live.context.respond(480, "Temporarily Unavailable (recipient offline)")
            return
        if not live.recipient_policy.offline:
            live.context.respond(480, "Temporarily Unavailable (recipient offline; offline messages are not "
                                      f"allowed by policy {live.recipient_policy.name})")
            return
        message = self._store(live.message)
        live.stored_id = message.id
        log.debug("im: stored %d for %s (offline)", message.id, message.recipient)
        if live.forking:
            self._still_forking.add(message.id)
        def accepted() -> None:
            live.context.respond(202, "Accepted (stored for delivery)")
        self.store.store_offline(message, accepted)

    def _store(self, message: StoredMessage) -> StoredMessage:
        stored = StoredMessage(next(self._ids), message.recipient, message.sender, message.sender_aor,
                               message.content_type, message.body, message.received_at, message.conversation)
        self._queue(stored.recipient).messages.append(stored)
        return stored

    def _drop_stored(self, recipient: str, message_id: int) -> None:
        queue = self._queues.get(recipient)
        if queue is None:
            return
        for message in queue.messages:
            if message.id == message_id and not (queue.in_flight and queue.messages[0] is message):
                queue.messages.remove(message)
                self.store.delete_offline(message_id)
                return

    # --- stored messages -------------------------------------------------------------------------

    def _queue(self, recipient: str) -> _Queue:
        return self._queues.setdefault(recipient, _Queue())

    def _on_binding(self, change: BindingChange, binding: Binding) -> None:
        """A registration came (or was refreshed, or reloaded at start): deliver what waits.
        The attempt runs from the core's timer, after the REGISTER has been answered."""
        if change in (BindingChange.DELETED, BindingChange.EXPIRED):
            return
        queue = self._queues.get(binding.aor)
        if queue is None or not queue.messages or queue.in_flight:
            return
        queue.attempts = 0
        queue.due = binding.registered_at if queue.due is None else min(queue.due, binding.registered_at)

    def pending_for(self, recipient: str) -> list[StoredMessage]:
        queue = self._queues.get(recipient)
        return list(queue.messages) if queue is not None else []

    def pending(self) -> list[StoredMessage]:
        """Every stored message not yet delivered, oldest first."""
        return sorted((m for queue in self._queues.values() for m in queue.messages), key=lambda m: m.id)

    def _deliver_next(self, recipient: str, now: float) -> None:
        queue = self._queues.get(recipient)
        if queue is None:
            return
        if not queue.messages:
            del self._queues[recipient]
            return
        message = queue.messages[0]
        if message.id in self._still_forking:
            queue.due = now + self.settings.offline_retry_interval   # its live copies end by Timer F
            return
        queue.in_flight = True
        fork = Fork(self.services, lambda d: self._stored_copy(message, d),
                    lambda response, at: self._stored_accepted(queue, message, at),
                    lambda failures, at: self._stored_failed(queue, at))
        if not fork.start(self.services.destinations(recipient, now), now):
            queue.in_flight = False   # nobody registered: the next registration tries again

    def _stored_copy(self, message: StoredMessage, destination: Destination) -> Request:
        received = datetime.fromtimestamp(message.received_at, timezone.utc)
        extra = [("Date", format_date(received))]   # when it was sent, not when it arrives
        if message.conversation is not None and message.sender_aor != message.conversation:
            extra.append(("P-Asserted-Identity", f"<{message.sender_aor}>"))
        return _new_message(destination, message.sender, message.recipient, message.content_type, message.body,
                            extra)

    def _stored_accepted(self, queue: _Queue, message: StoredMessage, now: float) -> None:
        log.debug("im: stored %d delivered to %s", message.id, message.recipient)
        if queue.messages and queue.messages[0] is message:
            queue.messages.popleft()
        self.store.delete_offline(message.id)
        queue.in_flight = False
        queue.attempts = 0
        if message.sender_aor != message.conversation and self._archives(message.sender_aor, message.recipient):
            self._archive(message, now)
        self._deliver_next(message.recipient, now)

    def _stored_failed(self, queue: _Queue, now: float) -> None:
        queue.in_flight = False
        queue.attempts += 1
        if queue.attempts < self.settings.offline_max_attempts:
            queue.due = now + self.settings.offline_retry_interval
        # else: kept, and the recipient's next registration starts a new round

    # --- conversations ---------------------------------------------------------------------------

    def _conversation_message(self, context: RequestContext, sender: User | None, target: str,
                              domain: str) -> None:
        request = context.request
        now = context.now
        if sender is None:
            context.respond(403, "Forbidden (conversations are open to local users only)")
            return
        policy = self._policy_check(context, sender, "sender")
        if policy is None:
            return   # answered 403
        content_type = _content_type(request)
        composing = content_type == IS_COMPOSING
        limit = self.settings.size_limit(policy)
        if not composing and len(request.body) > limit:
            context.respond(413, f"Request Entity Too Large ({len(request.body)} bytes; limit {limit})")
            return
        text = request.body.decode("utf-8", "replace") if content_type.startswith("text/") else ""
        conversation = self.conversations.get(target)
        if conversation is None:  # the factory
            command = parse_command(text, factory=True)
            invited = self._resolve(context, command.arguments, domain)
            if invited is None:
                return
            conversation = self.conversations.create(domain, sender.aor, now)
            self.conversations.add(conversation, invited)
            self.conversations.save(conversation)
            names = ", ".join(_name(aor) for aor in conversation.participants)
            context.respond(200, headers=[("Contact", f"<{conversation.uri}>")])
            self._notice(conversation, conversation.participants,
                         f"{_name(sender.aor)} started a conversation with {names}. "
                         f"Write to {conversation.uri} to reach everyone.", now)
            return
        if sender.aor not in conversation.participants:
            self.conversations.add(conversation, [sender.aor])
            self.conversations.save(conversation)
            self._notice(conversation, [p for p in conversation.participants if p != sender.aor],
                         f"{_name(sender.aor)} joined the conversation.", now)
        command = parse_command(text) if not composing else parse_command("")
        if command.verb == "invite":
            invited = self._resolve(context, command.arguments, domain)
            if invited is None:
                return
            added = self.conversations.add(conversation, invited)
            self.conversations.save(conversation)
            context.respond(200)
            if added:
                self._notice(conversation, conversation.participants,
                             f"{_name(sender.aor)} invited {', '.join(_name(a) for a in added)}. Participants: "
                             f"{', '.join(_name(a) for a in conversation.participants)}.", now)
            return
        if command.verb == "leave":
            self.conversations.remove(conversation, sender.aor)
            self.conversations.save(conversation)
            context.respond(200)
            self._notice(conversation, conversation.participants, f"{_name(sender.aor)} left the conversation.", now)
            return
        if command.verb == "who":
            context.respond(200)
            self._notice(conversation, [sender.aor],
                         f"Participants: {', '.join(_name(a) for a in conversation.participants)}.", now)
            return
        body = request.body
        if not composing:
            filtered = self._filtered(context, content_type, body)
            if filtered is None:
                return
            body = filtered
        context.respond(202, "Accepted (sent to the conversation)")
        display = sender.display_name or sender.username
        from_value = str(NameAddr(conversation.uri, display))
        for participant in conversation.participants:
            if participant == sender.aor:
                continue
            message = StoredMessage(0, participant, from_value, sender.aor, content_type, body, now,
                                    conversation.uri)
            self._fan_out(message, composing, now)

    def _resolve(self, context: RequestContext, words: tuple[str, ...], domain: str) -> list[str] | None:
        found: list[str] = []
        for word in words:
            aor = resolve_user(word, domain, self.services.users)
            if aor is None:
                context.respond(404, f"Not Found (no user {word[:40]})")
                return None
            found.append(aor)
        return found

    def _notice(self, conversation: Conversation, recipients: list[str], text: str, now: float) -> None:
        from_value = str(NameAddr(conversation.uri, "Conversation"))
        for recipient in recipients:
            message = StoredMessage(0, recipient, from_value, conversation.uri, "text/plain;charset=utf-8",
                                    text.encode(), now, conversation.uri)
            self._fan_out(message, False, now)

    def _fan_out(self, message: StoredMessage, composing: bool, now: float) -> None:
        """Deliver a conversation's message to one participant, nobody waiting for the
        answer: stored when they are unreachable and their policy allows it."""
        user = self._user(message.recipient)
        policy = self.settings.policy_for(user) if user is not None else None
        if user is None or not user.enabled or policy is None or not policy.enabled:
            return
        queue = self._queues.get(message.recipient)
        if queue is not None and queue.messages and not composing:
            if policy.offline:
                self._store_quietly(message)
            return
        archive = not composing and message.sender_aor != message.conversation \
            and self._archives(message.sender_aor, message.recipient)

        def accepted(response: Response, at: float) -> None:
            if archive:
                self._archive(message, at)

        def failed(failures: list[Response], at: float) -> None:
            if not composing and policy.offline and all_unreachable(failures):
                self._store_quietly(message)

        fork = Fork(self.services, lambda d: self._fan_out_copy(message, d), accepted, failed)
        if not fork.start(self.services.destinations(message.recipient, now), now):
            failed([], now)

    def _fan_out_copy(self, message: StoredMessage, destination: Destination) -> Request:
        extra = [] if message.sender_aor == message.conversation else \
            [("P-Asserted-Identity", f"<{message.sender_aor}>")]
        return _new_message(destination, message.sender, message.recipient, message.content_type, message.body,
                            extra)

    def _store_quietly(self, message: StoredMessage) -> None:
        self.store.store_offline(self._store(message), lambda: None)

    # --- history ---------------------------------------------------------------------------------

    def _user(self, aor: str) -> User | None:
        user, _, domain = aor.removeprefix("sip:").partition("@")
        return self.services.users.find_user(user, domain)

    def _archives(self, sender: str, recipient: str) -> bool:
        """Either party's policy archives (an external party has no say)."""
        for aor in (sender, recipient):
            user = self._user(aor)
            policy = self.settings.policy_for(user) if user is not None else None
            if policy is not None and policy.archive:
                return True
        return False

    def _archive(self, message: StoredMessage, now: float) -> None:
        self.delivered += 1
        self.store.archive(ArchivedMessage(
            sender=message.sender_aor, recipient=message.recipient, content_type=message.content_type,
            text=message.body.decode("utf-8", "replace"), sent_at=message.received_at, delivered_at=now,
            conversation=message.conversation))

    # --- deadlines -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        # Answered MESSAGEs leave the heap here, not at their deadline: otherwise the core
        # would wake up once per message, delivery_timeout after it, for nothing.
        # Read after every event the core handles (a call's too): a plain loop, no lists.
        live = self._live
        while live and live[0][2].answered:
            heapq.heappop(live)
        deadline = self._next_purge
        if live and (deadline is None or live[0][0] < deadline):
            deadline = live[0][0]
        for queue in self._queues.values():
            due = queue.due
            if due is not None and (deadline is None or due < deadline):
                deadline = due
        return deadline

    def handle_timer(self, now: float) -> None:
        while self._live and self._live[0][0] <= now:
            live = heapq.heappop(self._live)[2]
            if not live.answered:
                # RFC 4320: a non-INVITE must be answered before the sender's Timer F; an
                # endpoint that has not answered by now is treated as offline.
                self._unreachable(live)
        for recipient, queue in list(self._queues.items()):
            if queue.due is not None and queue.due <= now and not queue.in_flight:
                queue.due = None
                self._deliver_next(recipient, now)
        if self._next_purge is not None and self._next_purge <= now:
            self.store.purge_history(now - self.settings.retention_days * DAY)
            self._next_purge = now + self.settings.purge_interval


def im_application(settings: ImSettings, store: ImStore,
                   built: Callable[[ImService], None] | None = None) -> ApplicationFactory:
    """The chain factory; `built` is told the service (the daemon keeps it for metrics)."""
    def build(services: ApplicationServices) -> ImService:
        service = ImService(services, settings, store)
        if built is not None:
            built(service)
        return service
    return build


# --- helpers --------------------------------------------------------------------------------------


def _live_copy(request: Request, body: bytes, max_forwards: int, destination: Destination, via: str) -> bytes:
    """The sender's MESSAGE for one endpoint, as sent: its From, To, Call-ID and CSeq kept,
    `via` (ours) the only Via, the binding's Path as Route, no Proxy-Authorization (those for
    our realm were consumed, RFC 3261 22.3; an endpoint takes none), Max-Forwards one less."""
    return encode_relayed_copy(request, destination.uri, via, max_forwards, routes=destination.routes,
                               drop=("proxy-authorization",), body=body)


def _content_type(request: Request) -> str:
    content_type = request.content_type
    return content_type.mime_type if content_type is not None else "text/plain"


def _without_tag(address: NameAddr | None) -> str:
    if address is None:
        return "<sip:anonymous@anonymous.invalid>"
    params = {k: v for k, v in address.params.items() if k != "tag"}
    return str(NameAddr(address.uri_text, address.display_name, params))


def _aor_of(address: NameAddr | None) -> str:
    try:
        uri = address.uri if address is not None else None
    except ParseError:
        return "sip:anonymous@anonymous.invalid"
    if isinstance(uri, SipUri) and uri.user is not None:
        return f"sip:{uri.user}@{uri.host.lower()}"
    return str(uri) if uri is not None else "sip:anonymous@anonymous.invalid"


def _name(aor: str) -> str:
    return aor.removeprefix("sip:").split("@", 1)[0]


def _new_message(destination: Destination, from_value: str, to: str, content_type: str, body: bytes,
                 extra: list[tuple[str, str]]) -> Request:
    """A MESSAGE of the server's own (stored or fanned out): a fresh Call-ID and From tag."""
    headers = Headers([("Max-Forwards", "70")])
    for route in destination.routes:
        headers.add("Route", route)
    headers.add("From", f"{from_value};tag={secrets.token_hex(6)}")
    headers.add("To", f"<{to}>")
    headers.add("Call-ID", secrets.token_hex(12))
    headers.add("CSeq", "1 MESSAGE")
    for name, value in extra:
        headers.add(name, value)
    headers.add("Content-Type", content_type)
    request = Request("MESSAGE", destination.uri, headers)
    request.set_body(body)
    return request
