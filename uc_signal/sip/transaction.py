"""One SIP transaction: state, timers and the request/response it retransmits.

The machine is driven by `transaction_table`; this class keeps the state and the timers
and hands the message-level actions (send, pass up, report) back to the caller, the
`TransactionLayer`, which owns the wire. Nothing here reads a clock: every step takes `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .transaction_table import (
    INITIAL,
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
    from .message import Request, Response

# (host, port), or a transport's longer tuple that also names the flow it came on
# (uc_signal.transport.Peer: host, port, transport, flow). The layer reads only the host
# and port and hands the same tuple back with whatever it sends there.
Address = tuple[str, int] | tuple[str, int, str, str]


@dataclass(frozen=True)
class TransactionKey:
    """Identifies a transaction (RFC 3261 17.1.3, 17.2.3).

    RFC 3261 requests: the branch (with magic cookie), the top Via sent-by (servers only;
    a client generated the branch itself) and the method, with ACK folded into INVITE.
    RFC 2543 requests (no cookie): `legacy` holds Request-URI, From tag, Call-ID, CSeq
    number and the top Via, and `branch` is empty.
    """

    is_client: bool
    method: str
    branch: str
    sent_by: str = ""
    legacy: tuple[str, ...] = ()


@dataclass
class _RunningTimer:
    deadline: float
    interval: float


class Transaction:
    """State and timers of one transaction (RFC 3261 Figures 5-8, RFC 6026 Figures 3-4)."""

    def __init__(
        self,
        kind: TransactionKind,
        key: TransactionKey,
        request: Request,
        peer: Address,
        reliable: bool,
        config: TimerConfig,
        now: float,
    ) -> None:
        self.kind = kind
        self.key = key
        self.request = request
        self.peer = peer
        self.reliable = reliable
        self.config = config
        self.last_response: Response | None = None
        self.ack: Request | None = None  # the ACK a client sent for a non-2xx final response
        self.scheduled_at: float | None = None  # the deadline the layer's timer heap holds
        self._table = TABLES[kind]
        self.state, first_timers = INITIAL[kind]
        self._timers: dict[Timer, _RunningTimer] = {}
        for timer in first_timers:
            self._start(timer, now)

    def __repr__(self) -> str:
        return f"<Transaction {self.kind.value} {self.state.name} {self.key.method} {self.key.branch!r}>"

    @property
    def terminated(self) -> bool:
        return self.state is TransactionState.TERMINATED

    def timer_deadlines(self) -> dict[Timer, float]:
        return {timer: running.deadline for timer, running in self._timers.items()}

    def next_deadline(self) -> float | None:
        return min((running.deadline for running in self._timers.values()), default=None)

    def fire_due_timer(self, now: float) -> tuple[Timer, tuple[Action, ...] | None] | None:
        """Fire the earliest timer due at `now`: (timer, actions as from `step`), or None
        when no timer is due."""
        due = [(running.deadline, timer.value, timer) for timer, running in self._timers.items()
               if running.deadline <= now]
        if not due:
            return None
        _, _, timer = min(due)
        return timer, self._apply(Input.for_timer(timer), now, (timer, self._timers.pop(timer)))

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
            timer = action.starts
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
