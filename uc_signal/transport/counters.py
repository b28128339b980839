"""What the transports count: enough to see bad input and overload without a debugger."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class TransportCounters:
    """Monotonic counters of one TransportManager (all transports together)."""

    messages_received: int = 0
    messages_sent: int = 0
    keepalives_answered: int = 0     # RFC 5626 4.4.1 CRLFCRLF pings answered with CRLF
    malformed_answered: int = 0      # malformed requests answered with their 4xx
    malformed_dropped: int = 0       # malformed input nobody can be answered for
    framing_errors: int = 0          # streams closed because they could not be framed
    connections_accepted: int = 0
    connections_refused: int = 0     # over max_connections
    connections_idle_closed: int = 0
    connections_overflowed: int = 0  # closed because the peer did not read what we sent
    send_failures: int = 0           # no flow to send on (connection gone, socket error)
    internal_errors: int = 0         # exceptions caught at the transport boundary

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
