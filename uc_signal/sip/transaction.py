"""One SIP transaction: state, timers and the request/response it retransmits.

The machine is driven by `transaction_table`; this class keeps the state and the timers
and hands the message-level actions (send, pass up, report) back to the caller, the
`TransactionLayer`, which owns the wire. Nothing here reads a clock: every step takes `now`.

Once a final response has been sent or received the transaction only waits (Timers D, H/I,
J, K, L, M) and absorbs retransmissions, so the layer calls `release_request()`: from then
on it holds the encoded last response and ACK, the peer and the key, not the parsed
messages (a registrar keeps two such transactions per REGISTER round for 32 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .transaction_table import (
    _STARTS,
    INITIAL,
    QUIET_ENDS,
    TABLES,
    Action,
    Input,
    Timer,
    TimerConfig,
    TransactionKind,
    TransactionState,
    live_timers,
)

if TYPE_CHECKING:
    from .message import Request

# (host, port), or a transport's longer tuple that also names the flow it came on
# (uc_signal.transport.Peer: host, port, transport, flow). The layer reads only the host
# and port and hands the same tuple back with whatever it sends there.
Address = tuple[str, int] | tuple[str, int, str, str]


class TransactionKey(NamedTuple):
    """Identifies a transaction (RFC 3261 17.1.3, 17.2.3).

    RFC 3261 requests: the branch (with magic cookie), the top Via sent-by (servers only;
    a client generated the branch itself) and the method, with ACK folded into INVITE.
    RFC 2543 requests (no cookie): `legacy` holds Request-URI, From tag, Call-ID, CSeq
    number and the top Via, and `branch` is empty.

    A tuple (immutable; hashed and compared in C: every message looks one up at least
    twice, which a dataclass's generated __hash__ and __eq__ made Python calls).
    """

    is_client: bool
    method: str
    branch: str
    sent_by: str = ""
    legacy: tuple[str, ...] = ()


# States after the final response: nothing left needs the parsed request (17.1.1.2 D,
# 17.1.2.2 K, 17.2.1 H/I, 17.2.2 J; RFC 6026 L and M).
FINAL_WAIT_STATES = frozenset({TransactionState.COMPLETED, TransactionState.ACCEPTED, TransactionState.CONFIRMED})


@dataclass(slots=True)
class _RunningTimer:
    deadline: float
    interval: float


class Transaction:
    """State and timers of one transaction (RFC 3261 Figures 5-8, RFC 6026 Figures 3-4)."""

    __slots__ = ("kind", "key", "request", "request_bytes", "peer", "reliable", "config", "response_bytes",
                 "response_to_tag", "ack_bytes", "response_index", "scheduled_at", "_table", "state", "_timers")

    def __init__(
        self,
        kind: TransactionKind,
        key: TransactionKey,
        request: Request | None,
        peer: Address,
        reliable: bool,
        config: TimerConfig,
        now: float,
    ) -> None:
        self.kind = kind
        self.key = key
        # The parsed request, until the final response (then None: see release_request).
        self.request: Request | None = request
        # A client request the TU encoded itself (TransactionLayer.send_encoded), as sent:
        # what a retransmission resends, until the final response.
        self.request_bytes: bytes | None = None
        self.peer = peer
        self.reliable = reliable
        self.config = config
        # The last response a server sent, as sent (resent on a retransmitted request), and
        # its To tag (an RFC 2543 ACK must carry it, 17.2.3).
        self.response_bytes: bytes | None = None
        self.response_to_tag = ""
        self.ack_bytes: bytes | None = None  # the ACK a client sent for a non-2xx final response
        # A server's entry in the layer's index of transactions by response fields.
        self.response_index: tuple[str | None, ...] = ()
        self.scheduled_at: float | None = None  # the deadline the layer's timer heap holds
        self._table = TABLES[kind]
        self.state, first_timers = INITIAL[kind]
        self._timers: dict[Timer, _RunningTimer] = {}
        for timer in first_timers:
            interval = config.initial_interval(timer, reliable)
            if interval is not None:
                self._timers[timer] = _RunningTimer(now + interval, interval)

    def __repr__(self) -> str:
        return f"<Transaction {self.kind.value} {self.state.name} {self.key.method} {self.key.branch!r}>"

    @property
    def terminated(self) -> bool:
        return self.state is TransactionState.TERMINATED

    def release_request(self) -> None:
        """Drop the parsed request once the machine is in a final wait state, where only the
        encoded response/ACK, the peer and the key are needed."""
        if self.state in FINAL_WAIT_STATES:
            self.request = None
            self.request_bytes = None

    def timer_deadlines(self) -> dict[Timer, float]:
        return {timer: running.deadline for timer, running in self._timers.items()}

    def next_deadline(self) -> float | None:
        timers = self._timers
        if len(timers) == 1:  # most states run one timer
            for running in timers.values():
                return running.deadline
        deadline = None
        for running in timers.values():  # two at most (A and B, E and F, G and H)
            if deadline is None or running.deadline < deadline:
                deadline = running.deadline
        return deadline

    def fire_due_timer(self, now: float) -> tuple[Timer, tuple[Action, ...] | None] | None:
        """Fire the earliest timer due at `now`: (timer, actions as from `step`), or None
        when no timer is due."""
        timers = self._timers
        if len(timers) == 1:  # most states run one timer (Timer J, K, L, M... at the end)
            timer, running = next(iter(timers.items()))
            if running.deadline > now:
                return None
            del timers[timer]
            return timer, self._apply(Input.for_timer(timer), now, (timer, running))
        due = [(running.deadline, timer.value, timer) for timer, running in timers.items()
               if running.deadline <= now]
        if not due:
            return None
        _, _, timer = min(due)
        return timer, self._apply(Input.for_timer(timer), now, (timer, self._timers.pop(timer)))

    def end_if_quiet(self, now: float) -> bool:
        """When the one timer left is due and its row ends the machine with no action (the
        final waits D, I, J, K, L, M: QUIET_ENDS), end it and say True: what
        `fire_due_timer` does there, without the general step. False: nothing done."""
        timers = self._timers
        if len(timers) != 1:
            return False
        for timer, running in timers.items():
            if running.deadline > now or (self.kind, self.state, timer) not in QUIET_ENDS:
                return False
        timers.clear()
        self.state = TransactionState.TERMINATED
        return True

    def step(self, inp: Input, now: float) -> tuple[Action, ...] | None:
        """Apply one message or transport input. Returns the message-level actions, or None
        if `inp` has no row in the current state (the input is ignored)."""
        return self._apply(inp, now, None)

    def _apply(
        self, inp: Input, now: float, fired: tuple[Timer, _RunningTimer] | None
    ) -> tuple[Action, ...] | None:
        row = self._table.get((self.state, inp))
        if row is None:
            return None
        next_state, actions = row
        self.state = next_state
        performed: list[Action] = []
        for action in actions:
            timer = _STARTS[action]
            if timer is not None:
                self._start(timer, now)
            elif action is Action.BACK_OFF and fired is not None:
                # Schedule from the old deadline so a late handle_timer() keeps the RFC's
                # schedule (A: T1, 2T1, 4T1...; E and G capped at T2).
                interval = self.config.backed_off(fired[0], fired[1].interval)
                self._timers[fired[0]] = _RunningTimer(fired[1].deadline + interval, interval)
            elif action is Action.RESTART_AT_T2 and fired is not None:
                t2 = self.config.t2
                self._timers[fired[0]] = _RunningTimer(fired[1].deadline + t2, t2)
            else:
                performed.append(action)
        live = live_timers(self.kind, self.state)
        for timer in [t for t in self._timers if t not in live]:
            del self._timers[timer]
        return tuple(performed)

    def _start(self, timer: Timer, now: float) -> None:
        interval = self.config.initial_interval(timer, self.reliable)
        if interval is not None:
            self._timers[timer] = _RunningTimer(now + interval, interval)
