"""One list subscription's notification state (RFC 6665, RFC 4662), without SIP or I/O.

What it decides: when the next NOTIFY may go and what it carries.

- One NOTIFY in flight at a time (RFC 6665 4.2.2: a notifier waits for the response to a
  NOTIFY before sending the next in the same dialog; also what keeps versions in order).
- Rate limit and coalescing (RFC 3856 6.10, RFC 6665 4.2.2.2): after a NOTIFY, state
  changes wait out `interval` seconds and then go as one partial NOTIFY carrying every
  resource that changed meanwhile. Its documents are read when it is sent, so the last
  NOTIFY after a burst always carries the last state: nothing is lost, only merged.
- Full state after a list change (membership differs), after a refresh, at the start,
  and after a NOTIFY failed in a way that leaves the subscription alive (the subscriber
  may have missed a version, RFC 4662 4.6): the next one then says fullState="true".
- A subscriber whose flow is gone (its connection dropped or died with the server's
  previous process) is `unreachable`: nothing is sent until it registers again or
  refreshes, and then the full state (RFC 4662 4.6, as after a failed NOTIFY).
- The NOTIFYs the subscriber's own SUBSCRIBE asks for (the first, a refresh's, the final
  one) are not held back by the rate limit, only by the one in flight.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..sip import Dialog
from ..transport.peer import Peer


class NotifyOutcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"        # transient failure: the subscription stays, next NOTIFY is full state
    GONE = "gone"          # the subscriber or its dialog is gone: remove without a NOTIFY


# RFC 6665 4.2.2: 481 (and a timeout) MUST/SHOULD end the subscription; these are the
# failures that say "try later" instead (busy, overload, a request crossing ours).
_TRANSIENT = frozenset({480, 491, 500, 503, 504})


def outcome_of(status: int) -> NotifyOutcome:
    if 200 <= status < 300:
        return NotifyOutcome.DELIVERED
    return NotifyOutcome.RETRY if status in _TRANSIENT else NotifyOutcome.GONE


@dataclass(frozen=True)
class NotifyPlan:
    """What the next NOTIFY carries: a version, full or partial state (the resources to
    include, in list order), and for the last one why the subscription ends (it carries
    the full state too: for a fetch, RFC 6665 4.4.3, that state is the point)."""

    version: int
    full_state: bool
    resources: tuple[str, ...]
    terminated_reason: str | None = None


@dataclass(eq=False)
class ListSubscription:
    key: str
    owner: str                 # the list's owner (and the only allowed subscriber)
    list_uri: str              # the Request-URI subscribed to (the RLMI list uri)
    dialog: Dialog
    peer: Peer                 # where its NOTIFYs go
    event: str                 # the Event header value, echoed (RFC 6665 8.2.1: id param too)
    expires_at: float
    interval: float            # seconds between state-change NOTIFYs
    resources: tuple[str, ...] = ()
    version: int = 0           # of the last NOTIFY sent; the first one is 1 (RFC 4662 example)
    changed: set[str] = field(default_factory=set)
    full_pending: bool = True
    urgent: bool = True        # the subscriber asked (first, refresh, end): no rate limit
    in_flight: bool = False
    last_sent: float | None = None
    terminate_reason: str | None = None
    created_at: float = 0.0
    save_at: int = 0           # the dialog's CSeq at which to save it again (0: not saved)
    instance: str | None = None   # the subscriber's UA instance (+sip.instance) when registered with one
    unreachable: bool = False

    @property
    def terminating(self) -> bool:
        return self.terminate_reason is not None

    def lost(self) -> None:
        """Its flow is gone: hold NOTIFYs until it can be reached; then the full state."""
        self.unreachable = True
        self.in_flight = False
        self.full_pending = True

    def found(self) -> None:
        """Reachable again (registered again, or refreshed): the full state at once."""
        self.unreachable = False
        self.urgent = True

    # --- what happened ---------------------------------------------------------------------

    def resource_changed(self, uri: str) -> None:
        if uri in self.resources:
            self.changed.add(uri)

    def list_changed(self, resources: tuple[str, ...]) -> None:
        """The owner's list changed: full state with the new membership."""
        self.resources = resources
        self.changed.clear()
        self.full_pending = True

    def refreshed(self, expires_at: float) -> None:
        """RFC 6665 4.2.1.2: a refresh is answered with a NOTIFY of the current state."""
        self.expires_at = expires_at
        self.full_pending = True
        self.urgent = True

    def terminate(self, reason: str) -> None:
        if self.terminate_reason is None:
            self.terminate_reason = reason
            self.urgent = True

    # --- when and what ---------------------------------------------------------------------

    def ready_at(self) -> float | None:
        """When the next NOTIFY may go (None: nothing to send, one is in flight, or the
        subscriber cannot be reached; the end is always due: its server forgets it)."""
        if self.in_flight or (self.unreachable and not self.terminating) \
                or not (self.terminating or self.full_pending or self.changed):
            return None
        if self.urgent or self.last_sent is None:
            return 0.0
        return self.last_sent + self.interval

    def deadline(self) -> float | None:
        """The next moment anything is due: a NOTIFY, or the expiry."""
        ready = self.ready_at()
        expiry = None if self.terminating else self.expires_at
        candidates = [t for t in (ready, expiry) if t is not None]
        return min(candidates) if candidates else None

    def take(self, now: float) -> NotifyPlan:
        """The NOTIFY to send now; the subscription counts it as in flight."""
        self.version += 1
        self.in_flight = True
        self.last_sent = now
        self.urgent = False
        if self.terminate_reason is not None:
            return NotifyPlan(self.version, True, self.resources, self.terminate_reason)
        if self.full_pending:
            plan = NotifyPlan(self.version, True, self.resources)
        else:
            plan = NotifyPlan(self.version, False, tuple(r for r in self.resources if r in self.changed))
        self.full_pending = False
        self.changed.clear()
        return plan

    def answered(self, status: int) -> NotifyOutcome:
        self.in_flight = False
        outcome = outcome_of(status)
        if outcome is NotifyOutcome.RETRY:
            self.full_pending = True
        return outcome
