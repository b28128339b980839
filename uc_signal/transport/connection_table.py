"""Open connections by (transport, remote address) and by flow token (RFC 5626 flows).

A connection gets a random flow token when it opens. Messages that came in on it carry
`Peer(host, port, transport, token)` as their source, so the response, and any later
request to that peer (an in-dialog request, a request to a contact registered through
that connection), goes out over the same connection while it lives. A registrar keeps
the token with a contact; `by_token` finds the connection again or tells it is gone.
"""

from __future__ import annotations

import secrets
from typing import Iterator, Protocol

from .peer import Peer


class Connection(Protocol):
    """What the manager needs of a TCP, TLS, WS or WSS connection."""

    peer: Peer  # its flow token in peer.flow

    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...


def new_flow_token() -> str:
    """Unguessable, so a token in a Contact or Path cannot be forged to hijack a flow."""
    return secrets.token_urlsafe(12)


class ConnectionTable:
    def __init__(self) -> None:
        self._by_token: dict[str, Connection] = {}
        self._by_address: dict[tuple[str, str, int], Connection] = {}

    def add(self, connection: Connection) -> None:
        peer = connection.peer
        if not peer.flow or peer.flow in self._by_token:
            raise ValueError(f"connection needs a fresh flow token: {peer}")
        self._by_token[peer.flow] = connection
        self._by_address[(peer.transport, peer.host, peer.port)] = connection

    def remove(self, connection: Connection) -> None:
        peer = connection.peer
        if self._by_token.get(peer.flow) is connection:
            del self._by_token[peer.flow]
        key = (peer.transport, peer.host, peer.port)
        if self._by_address.get(key) is connection:
            del self._by_address[key]

    def by_token(self, token: str) -> Connection | None:
        return self._by_token.get(token)

    def by_address(self, transport: str, host: str, port: int) -> Connection | None:
        return self._by_address.get((transport, host, port))

    def find(self, peer: Peer) -> Connection | None:
        """The connection for `peer`: the one its flow token names (and only that one:
        a closed flow is not silently replaced), else any to its transport and address."""
        if peer.flow:
            return self._by_token.get(peer.flow)
        return self._by_address.get((peer.transport, peer.host, peer.port))

    def __len__(self) -> int:
        return len(self._by_token)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._by_token.values()))
