"""Where a SIP message came from or goes to: remote address, transport and flow.

The transaction layer treats an address as an opaque tuple whose first two items are the
host and port (it reads them for RFC 3261 18.2.1/18.2.2) and hands the same tuple back
with what it wants sent there. A `Peer` is such a tuple that also names the flow, so a
response or an in-dialog request goes out over the very connection (or the very UDP
socket) its request came in on: RFC 3261 18.2.2, RFC 3581 4, RFC 5626 flows.
"""

from __future__ import annotations

from typing import NamedTuple

# Transports over a connection: no retransmissions, responses over the same connection.
STREAM_TRANSPORTS = frozenset({"TCP", "TLS", "WS", "WSS"})
TRANSPORTS = STREAM_TRANSPORTS | {"UDP"}


class Peer(NamedTuple):
    """A remote address and the flow that reaches it.

    `flow` is the connection's flow token for TCP, TLS, WS and WSS (see ConnectionTable),
    and the name of the local listening socket for UDP; "" means "any": over UDP the
    default socket, over a stream transport any open connection to that address (or a
    new outbound one for TCP and TLS).
    """

    host: str
    port: int
    transport: str = "UDP"
    flow: str = ""

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def is_stream(self) -> bool:
        return self.transport in STREAM_TRANSPORTS

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport.lower()}:{host}:{self.port}" + (f"~{self.flow}" if self.flow else "")


def as_peer(addr: tuple) -> Peer:
    """A Peer from anything the transaction layer hands back: a Peer as is, a plain
    (host, port) as UDP (the layer builds those for 18.2.2's sent-by port and maddr)."""
    if isinstance(addr, Peer):
        return addr
    return Peer(str(addr[0]), int(addr[1]))
