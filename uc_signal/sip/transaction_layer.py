"""The transaction layer (RFC 3261 section 17): matching, retransmission, timers. Sans-IO.

Bytes (or parsed messages) come in with `receive(data, addr, now)`; requests and responses
from the TU go out with `send_request` / `send_response`; what to put on the wire is taken
with `datagrams_to_send(now)`; what happened is read with `next_event()`; the caller keeps
one timer armed at `get_timer()` and calls `handle_timer(now)` when it fires.

Reliability follows the top Via's transport (UDP retransmits, TCP/TLS/WS do not). A
stream transport adapter frames messages before handing them here; it passes the
connection's peer as `addr`, and responses go back to that same `addr` (18.2.2).
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from .derived_requests import make_ack, make_cancel
from .headers import header_key
from .message import Request, Response, make_response, parse_message
from .parse_error import ParseError
from .random_tokens import token_hex
from .transaction import Address, Transaction, TransactionKey
from .transaction_events import (
    AckTimedOut,
    MalformedMessageReceived,
    RequestReceived,
    ResponseReceived,
    TransactionEvent,
    TransactionTerminated,
    TransactionTimedOut,
    TransportErrorOccurred,
)
from .transaction_table import Action, Input, Timer, TimerConfig, TransactionKind, TransactionState
from .via import MAGIC_COOKIE, Via


class TransactionError(Exception):
    """The TU asked for something the transaction layer cannot do (a local error)."""


# To tags of responses sent statelessly (`send_response(..., stateless=True)`) begin with
# this, per process: an ACK that matches no transaction and carries such a tag acknowledges
# one of them and is absorbed here (Kamailio's sl module does the same with its tag prefix).
# The "." keeps it apart from the hex tags of everything else this server makes.
STATELESS_TAG_PREFIX = "sl" + token_hex(3) + "."


# A stateless answer is remembered for this long (T2, the longest Timer E interval), at most
# STATELESS_ANSWERS_KEPT of them, so a retransmission of its request gets the same bytes, as
# a transaction would resend them: a UA without a full transaction layer (sipp) aborts on a
# second, different challenge (Kamailio's retransmitted challenges come out identical, its
# sl tag and nonce being functions of the request and the second), and under overload a
# retransmission then costs a lookup, not a new challenge. Bytes and a key, no Transaction,
# no timer, no event.
STATELESS_ANSWER_MEMORY = 4.0
STATELESS_ANSWERS_KEPT = 8192


def stateless_to_tag() -> str:
    """A To tag for a response that will be sent statelessly (the ACK to it is absorbed)."""
    return STATELESS_TAG_PREFIX + token_hex(4)


_DEFAULT_PORTS = {"TLS": 5061, "WSS": 443, "WS": 80}


def _sent_by(via: Via) -> str:
    port = via.port if via.port is not None else _DEFAULT_PORTS.get(via.transport, 5060)
    return f"{via.host.lower()}:{port}"


def _tag(value: object) -> str:
    tag = getattr(value, "tag", None)
    return tag if isinstance(tag, str) else ""


def _response_to_tag(response: Response) -> str:
    """The To tag an RFC 2543 ACK must carry (17.2.3). A To the TU copied unparseable from
    the request gives no tag, so no ACK matches by it; sending the response still works."""
    try:
        return _tag(response.to)
    except ParseError:
        return ""


def server_key(request: Request) -> TransactionKey:
    """The key matching `request` to a server transaction (17.2.3). ACK and CANCEL keep
    their own method here; callers map ACK (and a CANCEL's target) to INVITE."""
    via, cseq = request.top_via, request.cseq
    if via is None or cseq is None:
        raise ParseError("request lacks Via or CSeq", is_request=True, headers=request.headers)
    if via.is_rfc3261_branch:
        return TransactionKey(False, request.method, via.branch or "", _sent_by(via))
    # RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number and top Via. The To
    # tag is checked apart (an ACK carries the tag of the response, not of the INVITE).
    legacy = (request.uri_text, _tag(request.from_), request.call_id or "", str(cseq.seq), str(via))
    return TransactionKey(False, request.method, "", "", legacy)


def client_key(message: Request | Response) -> TransactionKey:
    """The key matching a response to the client transaction that sent the request (17.1.3):
    the top Via branch and the CSeq method."""
    via, cseq = message.top_via, message.cseq
    if via is None or cseq is None or not via.branch:
        raise ParseError("message lacks Via branch or CSeq", headers=message.headers)
    return TransactionKey(True, cseq.method, via.branch)


def _response_input(status: int, sending: bool) -> Input:
    if status < 200:
        return Input.TU_1XX if sending else Input.RECV_1XX
    if status < 300:
        return Input.TU_2XX if sending else Input.RECV_2XX
    return Input.TU_300_699 if sending else Input.RECV_300_699


def _response_address(via: Via, source: Address) -> Address:
    """Where responses to a request go over an unreliable transport (18.2.2, RFC 3581 4)."""
    if via.maddr:
        return (via.maddr, via.port or 5060)
    if via.rport is not None:
        return source
    return (source[0], via.port or 5060)


class TransactionLayer:
    """Client and server transactions of one SIP element."""

    def __init__(
        self, config: TimerConfig | None = None, *, send_100_trying: bool = True, retransmit_2xx: bool = True
    ) -> None:
        self.config = config or TimerConfig()
        # 17.2.1: the INVITE server transaction sends 100 Trying unless the TU answers
        # within 200 ms; a TU that always does can turn this off.
        self.send_100_trying = send_100_trying
        # 13.3.1.4: a UAS core retransmits its 2xx to INVITE over unreliable transports
        # until the ACK comes; done here for the TU. A proxy (16.7) turns it off.
        self.retransmit_2xx = retransmit_2xx
        self._answers: dict[tuple[str, int, str], _PendingAnswer] = {}
        # (deadline, tie-breaker, key), pushed whenever a transaction's next deadline may
        # have changed; stale entries are skipped when they reach the top.
        self._timer_heap: list[tuple[float, int, TransactionKey]] = []
        self._timer_order = itertools.count()
        self._transactions: dict[TransactionKey, Transaction] = {}
        # Server transactions by the raw Via and CSeq fields a response copies from the
        # request (8.2.6.2): finds the transaction without parsing the response again.
        self._by_raw_response_fields: dict[tuple[str | None, ...], TransactionKey] = {}
        # RFC 2543 server transactions, found from a response (which has no Request-URI).
        self._legacy_by_response: dict[tuple[str | None, ...], TransactionKey] = {}
        self._events: deque[TransactionEvent] = deque()
        self._datagrams: list[tuple[bytes, Address]] = []
        self.stateless_acks_absorbed = 0
        # Recent stateless answers by the request's key: (until, bytes, peer), oldest first.
        # An OrderedDict: a plain dict dropped from the front keeps the holes, and finding
        # its oldest entry walks them (2.5 us per answer at 8,192 entries, measured).
        self._stateless_answers: OrderedDict[TransactionKey, tuple[float, bytes, Address]] = OrderedDict()

    # --- inspection -----------------------------------------------------------------------

    def transaction(self, key: TransactionKey) -> Transaction | None:
        return self._transactions.get(key)

    def __len__(self) -> int:
        return len(self._transactions)

    # --- the sans-IO surface --------------------------------------------------------------

    def next_event(self) -> TransactionEvent | None:
        return self._events.popleft() if self._events else None

    def datagrams_to_send(self, now: float) -> list[tuple[bytes, Address]]:
        datagrams, self._datagrams = self._datagrams, []
        return datagrams

    def get_timer(self) -> float | None:
        heap = self._timer_heap
        while heap:  # drop entries whose transaction ended or whose deadline moved
            deadline, _, key = heap[0]
            tx = self._transactions.get(key)
            if tx is not None and tx.next_deadline() == deadline:
                break
            heapq.heappop(heap)
        if not self._answers:
            return heap[0][0] if heap else None
        deadlines = [heap[0][0]] if heap else []
        deadlines += [min(answer.deadline, answer.give_up) for answer in self._answers.values()]
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> None:
        heap = self._timer_heap
        while heap and heap[0][0] <= now:
            _, _, key = heapq.heappop(heap)
            tx = self._transactions.get(key)
            if tx is None:
                continue
            if tx.end_if_quiet(now):  # the final wait is over (most firings): as _run_timers ends it
                self._forget(tx)
                self._events.append(TransactionTerminated(key))
            else:
                # Fires what is due; a deadline that moved later has its own heap entry
                # (pushed when it moved), which _run_timers leaves as it is.
                self._run_timers(tx, now)
        for answer_key, answer in list(self._answers.items()):
            self._run_answer(answer_key, answer, now)

    def handle_transport_error(self, peer: Address, now: float) -> None:
        """Sending to `peer` failed: every transaction talking to it hears of it."""
        for tx in [tx for tx in self._transactions.values() if tx.peer == peer]:
            self._apply(tx, Input.TRANSPORT_ERROR, now)

    def receive(self, data: bytes | Request | Response, addr: Address, now: float) -> None:
        try:
            message = parse_message(data) if isinstance(data, bytes) else data
            message.check_required_headers()
            if isinstance(message, Request):
                self._receive_request(message, addr, now)
            else:
                self._receive_response(message, addr, now)
        except ParseError as error:
            self._events.append(MalformedMessageReceived(addr, error))

    def send_request(self, request: Request, addr: Address, now: float) -> TransactionKey:
        """Start a client transaction for `request` and send it to `addr`.

        Not for ACK: the ACK for a 2xx has no transaction (13.2.2.4; send it with
        `send_stateless`), and the ACK for 300-699 is made by the transaction (17.1.1.3).
        """
        if request.method == "ACK":
            raise TransactionError("an ACK has no client transaction: use send_stateless (13.2.2.4)")
        via = request.top_via
        if via is None or not via.is_rfc3261_branch:
            raise TransactionError("a request must carry a top Via with a z9hG4bK branch (8.1.1.7)")
        key = client_key(request)
        if key in self._transactions:
            raise TransactionError(f"a client transaction with branch {key.branch!r} already exists")
        kind = TransactionKind.INVITE_CLIENT if request.method == "INVITE" else TransactionKind.NON_INVITE_CLIENT
        tx = Transaction(kind, key, request, addr, via.is_reliable, self.config, now)
        self._transactions[key] = tx
        self._transmit(request, addr)
        self._run_timers(tx, now)  # schedules Timers A/E and B/F
        return key

    def send_encoded(self, data: bytes, method: str, branch: str, addr: Address, reliable: bool,
                     now: float) -> TransactionKey:
        """Start a non-INVITE client transaction for a request the TU encoded itself (a
        NOTIFY from a DialogRequestTemplate) and send it to `addr`: the same machine, timers
        and matching as `send_request`, without a parsed Request. The caller vouches that
        `data` is a `method` request whose top Via carries `branch` (and is over a reliable
        transport when `reliable`). The TransactionTimedOut / TransportErrorOccurred events
        of such a transaction carry no request.
        """
        if method in ("INVITE", "ACK"):
            raise TransactionError(f"an {method} needs its parsed request (ACK, CANCEL): use send_request")
        if not branch.startswith(MAGIC_COOKIE):
            raise TransactionError("a request must carry a top Via with a z9hG4bK branch (8.1.1.7)")
        key = TransactionKey(True, method, branch)
        if key in self._transactions:
            raise TransactionError(f"a client transaction with branch {branch!r} already exists")
        tx = Transaction(TransactionKind.NON_INVITE_CLIENT, key, None, addr, reliable, self.config, now)
        tx.request_bytes = data
        self._transactions[key] = tx
        self._datagrams.append((data, addr))
        # Timers E and F (F alone when reliable) start at T1 and 64*T1 > 0: nothing is due
        # yet, so only the deadline is scheduled (what _run_timers does in that case).
        deadline = tx.next_deadline()
        assert deadline is not None and deadline > now
        tx.scheduled_at = deadline
        heapq.heappush(self._timer_heap, (deadline, next(self._timer_order), key))
        return key

    def send_cancel(self, invite: TransactionKey, now: float) -> TransactionKey:
        """CANCEL a pending INVITE client transaction (9.1): same branch and peer, its own
        non-INVITE transaction. Only once a provisional response has arrived (9.1: before
        that the CANCEL could overtake the INVITE), and never after a final one."""
        tx = self._transactions.get(invite)
        if tx is None or tx.kind is not TransactionKind.INVITE_CLIENT:
            raise TransactionError("no INVITE client transaction to cancel")
        if tx.state is not TransactionState.PROCEEDING:
            raise TransactionError(f"cannot CANCEL an INVITE in state {tx.state.name} (9.1)")
        assert tx.request is not None  # held until the final response
        return self.send_request(make_cancel(tx.request), tx.peer, now)

    def send_response(self, response: Response, now: float, transaction: TransactionKey | None = None,
                      *, stateless: bool = False) -> None:
        """Send `response` through its server transaction (found from its Via and CSeq,
        which the TU copied from the request, 8.2.6.2).

        `stateless`: answer without keeping state (RFC 3261 8.2.7, "a common case is
        issuing challenges to unauthenticated requests"): a final non-2xx response to a
        request not answered yet is sent and its server transaction forgotten at once, with
        no Timer G/H/J and no TransactionTerminated event. Only its bytes are kept, for
        STATELESS_ANSWER_MEMORY seconds (bounded in number): a retransmission of the request
        in that time gets the same bytes again; after it, the retransmission is a new
        request to the TU, answered anew. A response to INVITE sent so must carry a
        `stateless_to_tag()`, so the ACK to it is absorbed here.
        """
        key = transaction or self._server_key_of_response(response)
        tx = self._transactions.get(key) if key is not None else None
        if tx is None or tx.kind.is_client:
            raise TransactionError("no server transaction for this response")
        if stateless:
            if response.status < 300 or tx.state not in (TransactionState.TRYING, TransactionState.PROCEEDING):
                raise TransactionError(f"cannot send a {response.status} statelessly in state {tx.state.name}")
            self._send_stateless_answer(tx.key, bytes(response), tx.peer, now)
            self._forget(tx)
            return
        if self._apply(tx, _response_input(response.status, sending=True), now, response) is None:
            raise TransactionError(f"cannot send a {response.status} in state {tx.state.name}")
        if (self.retransmit_2xx and tx.kind is TransactionKind.INVITE_SERVER and not tx.reliable
                and 200 <= response.status < 300):
            key2xx = _answer_key(response)
            if key2xx not in self._answers:
                t1 = self.config.t1
                self._answers[key2xx] = _PendingAnswer(response, tx.peer, now + t1, t1, now + 64 * t1)

    def send_stateless(self, message: Request | Response, addr: Address) -> None:
        """Put a message on the wire outside any transaction (ACK for 2xx, stateless proxy)."""
        self._transmit(message, addr)

    def receive_stateless(self, request: Request, source: Address, now: float,
                          answer: Callable[[Request], Response | None]) -> bool:
        """Offer a non-INVITE request to `answer` before any server transaction exists: a
        stateless UAS (RFC 3261 8.2.7; Kamailio's registrar answers with sl_send_reply).
        True when the request was dealt with here: answered by `answer` (its final response
        sent and its bytes kept, with no Transaction and no timer, for as long as Timer J
        would have kept a transaction: STATELESS_ANSWERS_KEPT bounds them), or a
        retransmission of a request answered so (the same bytes again, as the transaction
        would resend them, 17.2.2). False, with nothing done but the Via's received stamp:
        `answer` returned None, or the request is not one to take here (a transaction of
        its key exists, an INVITE, ACK or CANCEL, headers missing); then `receive` it."""
        if request.method in ("INVITE", "ACK", "CANCEL"):
            return False  # an ACK must reach its INVITE's transaction; a CANCEL finds its target
        try:
            request.check_required_headers()
            key = server_key(request)
        except ParseError:
            return False  # receive() reports it as malformed
        if key in self._transactions:
            return False  # a retransmission of a request taken the stateful way
        answered = self._stateless_answers.get(key) if self._stateless_answers else None
        if answered is not None and answered[0] >= now:
            self._datagrams.append((answered[1], answered[2]))
            return True
        via = request.top_via
        assert via is not None  # server_key read it
        _stamp_received(request, via, source)
        response = answer(request)
        if response is None:
            return False
        if response.status < 200:
            raise TransactionError(f"a stateless answer must be final, not {response.status}")
        reliable = via.is_reliable
        peer = source if reliable else _response_address(via, source)
        memory = self.config.initial_interval(Timer.J, reliable) or 0.0
        self._send_stateless_answer(key, bytes(response), peer, now, memory)
        return True

    def _send_stateless_answer(self, key: TransactionKey, data: bytes, peer: Address, now: float,
                               memory: float = STATELESS_ANSWER_MEMORY) -> None:
        self._datagrams.append((data, peer))
        self._remember_stateless(key, data, peer, now, memory)

    # --- receiving ------------------------------------------------------------------------

    def _receive_request(self, request: Request, source: Address, now: float) -> None:
        key = server_key(request)
        if request.method == "ACK":
            self._answers.pop(_answer_key(request), None)  # 13.3.1.4: the ACK stops the 2xx
            tx = self._transactions.get(_with_method(key, "INVITE"))
            if tx is not None and key.legacy and not _acks_our_response(request, tx):
                tx = None  # RFC 2543 ACK: the To tag must be that of our response (17.2.3)
            if tx is None:
                if _acks_stateless_response(request):
                    self.stateless_acks_absorbed += 1  # the ACK to a stateless non-2xx (8.2.7)
                    return
                self._events.append(RequestReceived(request, source, None))
            else:
                self._apply(tx, Input.RECV_ACK, now, request, source)
            return
        tx = self._transactions.get(key)
        if tx is not None:
            self._apply(tx, Input.RECV_REQUEST, now)  # a retransmission
            return
        answered = self._stateless_answers.get(key) if self._stateless_answers else None
        if answered is not None and answered[0] >= now:
            self._datagrams.append((answered[1], answered[2]))  # a retransmission, answered statelessly
            return
        via = request.top_via
        assert via is not None
        reliable = via.is_reliable
        peer = source if reliable else _response_address(via, source)
        _stamp_received(request, via, source)
        kind = TransactionKind.INVITE_SERVER if request.method == "INVITE" else TransactionKind.NON_INVITE_SERVER
        tx = Transaction(kind, key, request, peer, reliable, self.config, now)
        self._transactions[key] = tx
        if key.legacy:
            tx.response_index = _legacy_response_key(request)
            self._legacy_by_response[tx.response_index] = key
        else:  # a branch makes the raw Via unique; without one only the legacy key is
            tx.response_index = _raw_response_fields(request)
            self._by_raw_response_fields[tx.response_index] = key
        cancels = None
        if request.method == "CANCEL":
            target = _with_method(key, "INVITE")
            cancels = target if target in self._transactions else None
        self._events.append(RequestReceived(request, source, key, cancels))
        if kind is TransactionKind.INVITE_SERVER and self.send_100_trying:
            trying = make_response(request, 100)
            trying.headers.set("Content-Length", "0")
            self._apply(tx, Input.TU_1XX, now, trying)

    def _receive_response(self, response: Response, source: Address, now: float) -> None:
        key = client_key(response)
        tx = self._transactions.get(key)
        if tx is None:
            self._events.append(ResponseReceived(response, source, None))
            return
        self._apply(tx, _response_input(response.status, sending=False), now, response, source)

    def _server_key_of_response(self, response: Response) -> TransactionKey | None:
        key = self._by_raw_response_fields.get(_raw_response_fields(response))
        if key is not None:
            return key
        via, cseq = response.top_via, response.cseq
        if via is None or cseq is None:
            return None
        if via.is_rfc3261_branch:
            return TransactionKey(False, cseq.method, via.branch or "", _sent_by(via))
        return self._legacy_by_response.get(_legacy_response_key(response))

    # --- performing a machine's actions ----------------------------------------------------

    def _apply(
        self,
        tx: Transaction,
        inp: Input,
        now: float,
        message: Request | Response | None = None,
        source: Address | None = None,
    ) -> tuple[Action, ...] | None:
        actions = tx.step(inp, now)
        if actions is not None:
            self._perform(tx, actions, message, source)
            tx.release_request()  # after a final response only the encoded bytes are kept
            self._run_timers(tx, now)  # zero-length timers (D, I, J, K on reliable) fire now
        return actions

    def _run_timers(self, tx: Transaction, now: float) -> None:
        deadline = tx.next_deadline()
        for _ in range(64):  # bounded: each firing moves a deadline forward or ends a timer
            if deadline is None or deadline > now:
                break  # nothing due (the common case: checked without fire_due_timer)
            fired = tx.fire_due_timer(now)
            if fired is None:
                break
            timer, actions = fired
            if actions:
                self._perform(tx, actions, None, None, timer_event=timer)
            deadline = tx.next_deadline()
        if not tx.terminated:
            if deadline is not None and deadline != tx.scheduled_at:
                tx.scheduled_at = deadline  # one heap entry per deadline, however many inputs
                heapq.heappush(self._timer_heap, (deadline, next(self._timer_order), tx.key))
        elif self._transactions.get(tx.key) is tx:
            self._forget(tx)
            self._events.append(TransactionTerminated(tx.key))

    def _remember_stateless(self, key: TransactionKey, data: bytes, peer: Address, now: float,
                            memory: float) -> None:
        answers = self._stateless_answers
        answers[key] = (now + memory, data, peer)
        answers.move_to_end(key)  # the dict stays in arrival order
        for _ in range(4):  # forget a few of the oldest, when expired or over the bound
            oldest = next(iter(answers))
            if answers[oldest][0] >= now and len(answers) <= STATELESS_ANSWERS_KEPT:
                break
            del answers[oldest]

    def _forget(self, tx: Transaction) -> None:
        """Drop `tx` from the tables (a stale timer heap entry is skipped when it surfaces)."""
        del self._transactions[tx.key]
        if tx.key.legacy:
            self._legacy_by_response.pop(tx.response_index, None)
        elif not tx.kind.is_client:
            self._by_raw_response_fields.pop(tx.response_index, None)

    def _perform(
        self,
        tx: Transaction,
        actions: tuple[Action, ...],
        message: Request | Response | None,
        source: Address | None,
        timer_event: Timer | None = None,
    ) -> None:
        for action in actions:
            if action is Action.PASS_TO_TU:
                if isinstance(message, Response):
                    self._events.append(ResponseReceived(message, source or tx.peer, tx.key))
                elif isinstance(message, Request):
                    self._events.append(RequestReceived(message, source or tx.peer, tx.key))
            elif action is Action.SEND_RESPONSE and isinstance(message, Response):
                tx.response_bytes = bytes(message)
                tx.response_to_tag = _response_to_tag(message) if tx.key.legacy else ""
                self._datagrams.append((tx.response_bytes, tx.peer))
            elif action is Action.RESEND_RESPONSE and tx.response_bytes is not None:
                self._datagrams.append((tx.response_bytes, tx.peer))
            elif action is Action.RETRANSMIT_REQUEST and tx.request_bytes is not None:
                self._datagrams.append((tx.request_bytes, tx.peer))
            elif action is Action.RETRANSMIT_REQUEST and tx.request is not None:
                self._transmit(tx.request, tx.peer)
            elif action is Action.SEND_ACK:
                if tx.ack_bytes is None and tx.request is not None and isinstance(message, Response):
                    tx.ack_bytes = bytes(make_ack(tx.request, message))
                if tx.ack_bytes is not None:
                    self._datagrams.append((tx.ack_bytes, tx.peer))
            elif action is Action.REPORT_TIMEOUT:
                assert isinstance(timer_event, Timer)
                self._events.append(TransactionTimedOut(tx.key, timer_event, tx.request))
            elif action is Action.REPORT_TRANSPORT_ERROR:
                self._events.append(TransportErrorOccurred(tx.key, tx.peer, tx.request))

    def _run_answer(self, key: tuple[str, int, str], answer: _PendingAnswer, now: float) -> None:
        for _ in range(64):  # bounded: each pass moves the deadline forward or ends it
            if now >= answer.give_up:
                del self._answers[key]
                self._events.append(AckTimedOut(answer.response, answer.peer))
                return
            if now < answer.deadline:
                return
            self._transmit(answer.response, answer.peer)
            answer.interval = min(2 * answer.interval, self.config.t2)
            answer.deadline += answer.interval

    def _transmit(self, message: Request | Response, addr: Address) -> None:
        self._datagrams.append((bytes(message), addr))


@dataclass
class _PendingAnswer:
    """A 2xx to INVITE the UAS core retransmits until ACKed (13.3.1.4): T1 doubling to T2,
    for at most 64*T1."""

    response: Response
    peer: Address
    deadline: float
    interval: float
    give_up: float


def _answer_key(message: Request | Response) -> tuple[str, int, str]:
    """What ties an ACK to the 2xx it acknowledges: Call-ID, CSeq number, To tag."""
    cseq = message.cseq
    return (message.call_id or "", cseq.seq if cseq else -1, _tag(message.to))


def _with_method(key: TransactionKey, method: str) -> TransactionKey:
    return TransactionKey(key.is_client, method, key.branch, key.sent_by, key.legacy)


def _raw_response_fields(message: Request | Response) -> tuple[str | None, str | None]:
    """The first Via field line and the CSeq field as written (the CSeq method tells a
    CANCEL's transaction from its INVITE's)."""
    return (message.headers.get("Via"), message.headers.get("CSeq"))


def _acks_stateless_response(ack: Request) -> bool:
    try:
        return _tag(ack.to).startswith(STATELESS_TAG_PREFIX)
    except ParseError:
        return False  # the TU's validation answers for a broken To


def _acks_our_response(ack: Request, tx: Transaction) -> bool:
    return tx.response_bytes is not None and _tag(ack.to) == tx.response_to_tag


def _legacy_response_key(message: Request | Response) -> tuple[str, ...]:
    cseq = message.cseq
    assert cseq is not None
    return (str(message.top_via), message.call_id or "", _tag(message.from_), str(cseq.seq), cseq.method)


def _stamp_received(request: Request, via: Via, source: Address) -> None:
    """18.2.1: note the source address in the top Via (received; rport if asked, RFC 3581)
    so responses built from the request find their way back."""
    params: dict[str, str | None] = {}
    rport = via.rport
    if via.host != source[0] or rport is True:
        params["received"] = source[0]
    if rport is True:
        params["rport"] = str(source[1])
    if params:
        headers = request.headers
        position = next(i for i, (name, _) in enumerate(headers.items()) if header_key(name) == "via")
        headers.pop_first("Via")
        headers.insert(position, "Via", str(via.with_params(**params)))
