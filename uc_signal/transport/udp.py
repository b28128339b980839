"""SIP over UDP: one DatagramProtocol per listening address (RFC 3261 18).

Each datagram is one message; the manager parses and answers it, unless the manager has a
C front (challenge_front.py) that answers it first: a digest challenge, its retransmission,
or the ACK to it never reaches Python's SIP layers. Nothing a peer sends can raise out of
here: any failure is counted and the datagram dropped.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import TYPE_CHECKING, cast

from .peer import Peer

if TYPE_CHECKING:
    from .manager import TransportManager

log = logging.getLogger(__name__)
_new_tuple = tuple.__new__


def bind_udp_socket(host: str, port: int, rcvbuf: int) -> tuple[socket.socket, int]:
    """A bound UDP socket with a receive buffer as large as the kernel grants; returns it
    and the granted size (Linux reports twice the asked size, capped by net.core.rmem_max
    unless the process may use SO_RCVBUFFORCE)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        try:
            sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), rcvbuf)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.bind(address)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock, sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


class UdpEndpoint(asyncio.DatagramProtocol):
    """One listening UDP socket. `name` is the flow id its peers carry (Peer.flow)."""

    def __init__(self, manager: TransportManager, name: str) -> None:
        self.manager = manager
        self.name = name
        self.transport: asyncio.DatagramTransport | None = None
        self.local: tuple[str, int] = ("", 0)
        self.rcvbuf_granted = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        self.local = sock.getsockname()[:2]
        self.rcvbuf_granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        front = self.manager.front
        try:
            if front is not None and front.handle(data, addr[0], addr[1], time.time(), self.name):
                answer = front.answer   # None: an ACK absorbed
                if answer is not None:
                    self.send(answer, (addr[0], front.dest_port))
                return
            # tuple.__new__: Peer's own __new__ is a Python function (NamedTuple), one
            # more Python call per datagram for the same tuple.
            self.manager.packet_received(data, _new_tuple(Peer, (addr[0], addr[1], "UDP", self.name)))
        except Exception:  # the daemon never dies of what a peer sends
            self.manager.counters.internal_errors += 1
            log.exception("UDP datagram from %s:%s", addr[0], addr[1])

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like, for some earlier sendto(); UDP cannot tell
        # which one, so only count it (the transaction timers cover the loss).
        self.manager.counters.send_failures += 1

    def send(self, data: bytes, address: tuple[str, int]) -> None:
        if self.transport is None or self.transport.is_closing():
            self.manager.counters.send_failures += 1
            return
        self.transport.sendto(data, address)
        self.manager.counters.messages_sent += 1

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
