"""What the transaction layer tells its user (the TU): past-tense, frozen events.

`TransactionLayer.next_event()` returns them one at a time, in the order they happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from .frozen_init import direct_init
from .message import Request, Response
from .parse_error import ParseError
from .transaction import Address, TransactionKey
from .transaction_table import Timer


@direct_init  # one per request
@dataclass(frozen=True)
class RequestReceived:
    """A new request (a server transaction was created for it), or an ACK.

    `transaction` is None for an ACK that matched no transaction: the ACK for a 2xx, which
    RFC 3261 17.2.3 leaves to the TU (13.3.1.4). An ACK that matched an INVITE server
    transaction in Accepted is passed up too (RFC 6026 7.1). For a CANCEL, `cancels` is
    the INVITE server transaction it matches (RFC 3261 9.2), if any.
    """

    request: Request
    source: Address
    transaction: TransactionKey | None
    cancels: TransactionKey | None = None

    def __post_init__(self) -> None:
        if self.cancels is not None and self.request.method != "CANCEL":
            raise ValueError("only a CANCEL cancels a transaction")


@direct_init  # one per message or transaction
@dataclass(frozen=True)
class ResponseReceived:
    """A response for the TU. `transaction` is None for a stray response that matched no
    client transaction (say a 2xx retransmission after Timer M; RFC 6026 8.3 lets a
    proxy forward it, a UA core discards or re-ACKs it)."""

    response: Response
    source: Address
    transaction: TransactionKey | None


@dataclass(frozen=True)
class TransactionTimedOut:
    """Timer B, F (no final response) or H (no ACK) fired; the transaction is terminated.

    For B and F the TU treats it as a 408 (RFC 3261 8.1.3.1). `request` is None for H: the
    transaction released the parsed request when it sent its final response."""

    transaction: TransactionKey
    timer: Timer
    request: Request | None

    def __post_init__(self) -> None:
        if self.timer not in (Timer.B, Timer.F, Timer.H):
            raise ValueError(f"Timer {self.timer.value} does not time a transaction out")


@dataclass(frozen=True)
class TransportErrorOccurred:
    """Sending to `peer` failed (RFC 3261 17.1.4, 17.2.4); the transaction is terminated.
    The TU treats it as a 503 (8.1.3.1). `request` is None once the final response was sent
    or received (the transaction then keeps only the encoded messages)."""

    transaction: TransactionKey
    peer: Address
    request: Request | None


@dataclass(frozen=True)
class AckTimedOut:
    """A 2xx to INVITE was retransmitted for 64*T1 and no ACK came (RFC 3261 13.3.1.4):
    the dialog is confirmed but the TU SHOULD end the session (send BYE)."""

    response: Response
    peer: Address


@direct_init  # one per message or transaction
@dataclass(frozen=True)
class TransactionTerminated:
    """The transaction reached Terminated and was removed from the layer."""

    transaction: TransactionKey


@dataclass(frozen=True)
class MalformedMessageReceived:
    """Bytes from `source` failed to parse (or lacked the fields matching needs).

    `error.can_respond` says whether a 400 may be sent (RFC 3261 8.2.6.2); responses that
    fail are only dropped (18.1.2)."""

    source: Address
    error: ParseError


TransactionEvent = (
    RequestReceived
    | ResponseReceived
    | TransactionTimedOut
    | TransportErrorOccurred
    | AckTimedOut
    | TransactionTerminated
    | MalformedMessageReceived
)
