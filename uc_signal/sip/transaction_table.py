"""RFC 3261 section 17 transaction state machines as data, with RFC 6026's Accepted state.

Each of the four machines is one table: (state, input) -> (next state, actions). The
machine code in `transaction.py` only looks rows up and performs the actions; an input
without a row in the current state is ignored (a late timer, a stray retransmission).
A timer is live only in the states that have a row for it: on a state change the other
timers are cancelled, which is exactly what the figures' edges imply.

Timer durations (RFC 3261 section 17, Table 4) come from `TimerConfig`; on a reliable
transport the retransmission timers A, E and G are never started and the wait timers D, I,
J and K are zero.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class TransactionKind(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: identity hash, in C (tables hash these)

    INVITE_CLIENT = "INVITE client"
    NON_INVITE_CLIENT = "non-INVITE client"
    INVITE_SERVER = "INVITE server"
    NON_INVITE_SERVER = "non-INVITE server"

    @property
    def is_client(self) -> bool:
        return self in (TransactionKind.INVITE_CLIENT, TransactionKind.NON_INVITE_CLIENT)


class TransactionState(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: identity hash, in C (tables hash these)

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    ACCEPTED = "Accepted"  # RFC 6026 section 7.1 / 7.2
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


class Timer(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: identity hash, in C (tables hash these)

    A = "A"  # INVITE request retransmit (unreliable only)
    B = "B"  # INVITE transaction timeout
    D = "D"  # wait time for response retransmits (INVITE client)
    E = "E"  # non-INVITE request retransmit (unreliable only)
    F = "F"  # non-INVITE transaction timeout
    G = "G"  # INVITE final response retransmit (unreliable only)
    H = "H"  # wait time for ACK receipt
    I = "I"  # noqa: E741 - RFC name; wait time for ACK retransmits
    J = "J"  # wait time for non-INVITE request retransmits
    K = "K"  # wait time for non-INVITE response retransmits
    L = "L"  # RFC 6026: wait time for accepted INVITE request retransmits (server)
    M = "M"  # RFC 6026: wait time for retransmission of 2xx (client)


class Input(enum.Enum):
    """What can happen to a transaction. TU_* are responses the TU hands down to send."""

    __hash__ = object.__hash__  # members are singletons: identity hash, in C (tables hash these)

    RECV_1XX = "received 1xx"
    RECV_2XX = "received 2xx"
    RECV_300_699 = "received 300-699"
    RECV_REQUEST = "received request retransmission"
    RECV_ACK = "received ACK"
    TU_1XX = "TU sends 1xx"
    TU_2XX = "TU sends 2xx"
    TU_300_699 = "TU sends 300-699"
    TRANSPORT_ERROR = "transport error"
    TIMER_A = Timer.A
    TIMER_B = Timer.B
    TIMER_D = Timer.D
    TIMER_E = Timer.E
    TIMER_F = Timer.F
    TIMER_G = Timer.G
    TIMER_H = Timer.H
    TIMER_I = Timer.I
    TIMER_J = Timer.J
    TIMER_K = Timer.K
    TIMER_L = Timer.L
    TIMER_M = Timer.M

    @classmethod
    def for_timer(cls, timer: Timer) -> Input:
        return _INPUT_OF_TIMER[timer]   # a dict, not the Enum's by-value lookup: every firing


_INPUT_OF_TIMER: dict[Timer, Input] = {timer: Input(timer) for timer in Timer}


class Action(enum.Enum):
    __hash__ = object.__hash__  # members are singletons: identity hash, in C (tables hash these)

    PASS_TO_TU = "pass the message to the TU"
    SEND_RESPONSE = "send the TU's response"
    RESEND_RESPONSE = "resend the last response"
    RETRANSMIT_REQUEST = "retransmit the request"
    SEND_ACK = "send (or resend) the ACK for a non-2xx final response"
    REPORT_TIMEOUT = "inform the TU of a timeout"
    REPORT_TRANSPORT_ERROR = "inform the TU of a transport error"
    BACK_OFF = "restart the firing timer at twice its interval (capped at T2 for E and G)"
    RESTART_AT_T2 = "restart the firing timer at T2"
    START_A = Timer.A
    START_B = Timer.B
    START_D = Timer.D
    START_E = Timer.E
    START_F = Timer.F
    START_G = Timer.G
    START_H = Timer.H
    START_I = Timer.I
    START_J = Timer.J
    START_K = Timer.K
    START_L = Timer.L
    START_M = Timer.M

    @property
    def starts(self) -> Timer | None:
        return _STARTS[self]


# Action -> the timer it starts (None for a message-level action): read on every step, so
# looked up rather than through Enum.value (a Python-level descriptor).
_STARTS: dict[Action, Timer | None] = {
    action: action.value if isinstance(action.value, Timer) else None for action in Action}


@dataclass(frozen=True)
class TimerConfig:
    """RFC 3261 Table 4 base values, seconds. T1 is the RTT estimate (default 500 ms)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    _intervals: dict[tuple[Timer, bool], float | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.t1 <= self.t2:
            raise ValueError("need 0 < T1 <= T2")
        if self.t4 <= 0:
            raise ValueError("need T4 > 0")
        # Every transaction starts a timer or two: looked up, not worked out each time.
        object.__setattr__(self, "_intervals", {
            (timer, reliable): self._interval(timer, reliable) for timer in Timer for reliable in (False, True)})

    def initial_interval(self, timer: Timer, reliable: bool) -> float | None:
        """How long `timer` runs when started; None: not started on this transport."""
        return self._intervals[(timer, reliable)]

    def _interval(self, timer: Timer, reliable: bool) -> float | None:
        if timer in (Timer.A, Timer.E, Timer.G):
            return None if reliable else self.t1
        if timer in (Timer.B, Timer.F, Timer.H, Timer.J, Timer.L, Timer.M):
            # J is 64*T1 on unreliable and zero on reliable transports (17.2.2).
            return 0.0 if reliable and timer is Timer.J else 64 * self.t1
        if timer is Timer.D:
            return 0.0 if reliable else max(32.0, 64 * self.t1)  # "> 32 s" for unreliable
        return 0.0 if reliable else self.t4  # I and K

    def backed_off(self, timer: Timer, interval: float) -> float:
        """Timer A doubles without bound (17.1.1.2); E and G double up to T2 (17.1.2.2, 17.2.1)."""
        return 2 * interval if timer is Timer.A else min(2 * interval, self.t2)


S = TransactionState
I_ = Input
A_ = Action
Row = tuple[TransactionState, tuple[Action, ...]]

# RFC 3261 Figure 5 (17.1.1), with RFC 6026 section 7.2's Accepted state replacing the
# Calling/Proceeding -> Terminated edge on 2xx. The initial send starts A and B (Calling).
INVITE_CLIENT: Mapping[tuple[TransactionState, Input], Row] = {
    (S.CALLING, I_.TIMER_A): (S.CALLING, (A_.RETRANSMIT_REQUEST, A_.BACK_OFF)),
    (S.CALLING, I_.TIMER_B): (S.TERMINATED, (A_.REPORT_TIMEOUT,)),
    (S.CALLING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    (S.CALLING, I_.RECV_1XX): (S.PROCEEDING, (A_.PASS_TO_TU,)),
    (S.CALLING, I_.RECV_2XX): (S.ACCEPTED, (A_.PASS_TO_TU, A_.START_M)),
    (S.CALLING, I_.RECV_300_699): (S.COMPLETED, (A_.SEND_ACK, A_.PASS_TO_TU, A_.START_D)),
    (S.PROCEEDING, I_.RECV_1XX): (S.PROCEEDING, (A_.PASS_TO_TU,)),
    (S.PROCEEDING, I_.RECV_2XX): (S.ACCEPTED, (A_.PASS_TO_TU, A_.START_M)),
    (S.PROCEEDING, I_.RECV_300_699): (S.COMPLETED, (A_.SEND_ACK, A_.PASS_TO_TU, A_.START_D)),
    # RFC 6026 7.2: 2xx retransmissions go to the TU, which re-sends its ACK.
    (S.ACCEPTED, I_.RECV_2XX): (S.ACCEPTED, (A_.PASS_TO_TU,)),
    (S.ACCEPTED, I_.TIMER_M): (S.TERMINATED, ()),
    # 17.1.1.2: a retransmitted final response gets the ACK again, not passed up.
    (S.COMPLETED, I_.RECV_300_699): (S.COMPLETED, (A_.SEND_ACK,)),
    (S.COMPLETED, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    (S.COMPLETED, I_.TIMER_D): (S.TERMINATED, ()),
}

# RFC 3261 Figure 6 (17.1.2). The initial send starts E and F (Trying).
NON_INVITE_CLIENT: Mapping[tuple[TransactionState, Input], Row] = {
    (S.TRYING, I_.TIMER_E): (S.TRYING, (A_.RETRANSMIT_REQUEST, A_.BACK_OFF)),
    (S.TRYING, I_.TIMER_F): (S.TERMINATED, (A_.REPORT_TIMEOUT,)),
    (S.TRYING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    (S.TRYING, I_.RECV_1XX): (S.PROCEEDING, (A_.PASS_TO_TU,)),
    (S.TRYING, I_.RECV_2XX): (S.COMPLETED, (A_.PASS_TO_TU, A_.START_K)),
    (S.TRYING, I_.RECV_300_699): (S.COMPLETED, (A_.PASS_TO_TU, A_.START_K)),
    # 17.1.2.2: in Proceeding, E fires every T2.
    (S.PROCEEDING, I_.TIMER_E): (S.PROCEEDING, (A_.RETRANSMIT_REQUEST, A_.RESTART_AT_T2)),
    (S.PROCEEDING, I_.TIMER_F): (S.TERMINATED, (A_.REPORT_TIMEOUT,)),
    (S.PROCEEDING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    (S.PROCEEDING, I_.RECV_1XX): (S.PROCEEDING, (A_.PASS_TO_TU,)),
    (S.PROCEEDING, I_.RECV_2XX): (S.COMPLETED, (A_.PASS_TO_TU, A_.START_K)),
    (S.PROCEEDING, I_.RECV_300_699): (S.COMPLETED, (A_.PASS_TO_TU, A_.START_K)),
    # Completed absorbs response retransmissions (no row) until K fires.
    (S.COMPLETED, I_.TIMER_K): (S.TERMINATED, ()),
}

# RFC 3261 Figure 7 (17.2.1), with RFC 6026 section 7.1's Accepted state for 2xx.
# Creation passes the INVITE to the TU and enters Proceeding (optionally sending 100).
INVITE_SERVER: Mapping[tuple[TransactionState, Input], Row] = {
    (S.PROCEEDING, I_.RECV_REQUEST): (S.PROCEEDING, (A_.RESEND_RESPONSE,)),
    (S.PROCEEDING, I_.TU_1XX): (S.PROCEEDING, (A_.SEND_RESPONSE,)),
    (S.PROCEEDING, I_.TU_2XX): (S.ACCEPTED, (A_.SEND_RESPONSE, A_.START_L)),
    (S.PROCEEDING, I_.TU_300_699): (S.COMPLETED, (A_.SEND_RESPONSE, A_.START_G, A_.START_H)),
    (S.PROCEEDING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    # RFC 6026 7.1: INVITE retransmissions are absorbed, ACKs and the TU's 2xx
    # retransmissions pass through; Timer L ends it.
    (S.ACCEPTED, I_.RECV_REQUEST): (S.ACCEPTED, ()),
    (S.ACCEPTED, I_.RECV_ACK): (S.ACCEPTED, (A_.PASS_TO_TU,)),
    (S.ACCEPTED, I_.TU_2XX): (S.ACCEPTED, (A_.SEND_RESPONSE,)),
    (S.ACCEPTED, I_.TIMER_L): (S.TERMINATED, ()),
    (S.COMPLETED, I_.RECV_REQUEST): (S.COMPLETED, (A_.RESEND_RESPONSE,)),
    (S.COMPLETED, I_.TIMER_G): (S.COMPLETED, (A_.RESEND_RESPONSE, A_.BACK_OFF)),
    (S.COMPLETED, I_.TIMER_H): (S.TERMINATED, (A_.REPORT_TIMEOUT,)),
    (S.COMPLETED, I_.RECV_ACK): (S.CONFIRMED, (A_.START_I,)),
    (S.COMPLETED, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    # Confirmed absorbs ACK retransmissions (no row) until I fires.
    (S.CONFIRMED, I_.TIMER_I): (S.TERMINATED, ()),
}

# RFC 3261 Figure 8 (17.2.2). Creation passes the request to the TU and enters Trying.
NON_INVITE_SERVER: Mapping[tuple[TransactionState, Input], Row] = {
    (S.TRYING, I_.RECV_REQUEST): (S.TRYING, ()),  # no response yet: discard
    (S.TRYING, I_.TU_1XX): (S.PROCEEDING, (A_.SEND_RESPONSE,)),
    (S.TRYING, I_.TU_2XX): (S.COMPLETED, (A_.SEND_RESPONSE, A_.START_J)),
    (S.TRYING, I_.TU_300_699): (S.COMPLETED, (A_.SEND_RESPONSE, A_.START_J)),
    (S.PROCEEDING, I_.RECV_REQUEST): (S.PROCEEDING, (A_.RESEND_RESPONSE,)),
    (S.PROCEEDING, I_.TU_1XX): (S.PROCEEDING, (A_.SEND_RESPONSE,)),
    (S.PROCEEDING, I_.TU_2XX): (S.COMPLETED, (A_.SEND_RESPONSE, A_.START_J)),
    (S.PROCEEDING, I_.TU_300_699): (S.COMPLETED, (A_.SEND_RESPONSE, A_.START_J)),
    (S.PROCEEDING, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    (S.COMPLETED, I_.RECV_REQUEST): (S.COMPLETED, (A_.RESEND_RESPONSE,)),
    (S.COMPLETED, I_.TRANSPORT_ERROR): (S.TERMINATED, (A_.REPORT_TRANSPORT_ERROR,)),
    (S.COMPLETED, I_.TIMER_J): (S.TERMINATED, ()),
}

TABLES: Mapping[TransactionKind, Mapping[tuple[TransactionState, Input], Row]] = {
    TransactionKind.INVITE_CLIENT: INVITE_CLIENT,
    TransactionKind.NON_INVITE_CLIENT: NON_INVITE_CLIENT,
    TransactionKind.INVITE_SERVER: INVITE_SERVER,
    TransactionKind.NON_INVITE_SERVER: NON_INVITE_SERVER,
}

# Where each machine starts, and the timers its first step starts.
INITIAL: Mapping[TransactionKind, tuple[TransactionState, tuple[Timer, ...]]] = {
    TransactionKind.INVITE_CLIENT: (S.CALLING, (Timer.A, Timer.B)),
    TransactionKind.NON_INVITE_CLIENT: (S.TRYING, (Timer.E, Timer.F)),
    TransactionKind.INVITE_SERVER: (S.PROCEEDING, ()),
    TransactionKind.NON_INVITE_SERVER: (S.TRYING, ()),
}


def live_timers(kind: TransactionKind, state: TransactionState) -> frozenset[Timer]:
    """The timers that mean something in `state` (those with a row there)."""
    return _LIVE[(kind, state)]


_LIVE: dict[tuple[TransactionKind, TransactionState], frozenset[Timer]] = {
    (kind, state): frozenset(
        inp.value for (row_state, inp) in table if row_state is state and isinstance(inp.value, Timer)
    )
    for kind, table in TABLES.items()
    for state in TransactionState
}


# The final waits (D, I, J, K, L, M): a timer whose row ends the machine with nothing to do.
# Every transaction ends through one of them, 5 to 32 s after its final response; the layer
# ends those without the general step (Transaction.end_if_quiet).
QUIET_ENDS: frozenset[tuple[TransactionKind, TransactionState, Timer]] = frozenset(
    (kind, state, inp.value)
    for kind, table in TABLES.items()
    for (state, inp), (next_state, actions) in table.items()
    if isinstance(inp.value, Timer) and next_state is S.TERMINATED and not actions
)
