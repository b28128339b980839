"""Peers, the connection table and flow tokens (no sockets)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from uc_signal.transport import ConnectionTable, Peer, as_peer, new_flow_token


@dataclass
class Recorded:
    """A connection stand-in that records what the table's users send (the table itself
    is under test here, not a connection)."""

    peer: Peer
    sent: list[bytes] = field(default_factory=list)
    closed: bool = False

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None:
        self.closed = True


def test_as_peer_keeps_peers_and_reads_plain_tuples_as_udp() -> None:
    peer = Peer("192.0.2.1", 5061, "TLS", "tok")
    assert as_peer(peer) is peer
    assert as_peer(("192.0.2.1", 5060)) == Peer("192.0.2.1", 5060, "UDP", "")
    assert str(Peer("::1", 5060, "TCP", "t")) == "tcp:[::1]:5060~t"
    assert Peer("::1", 5060, "WS").is_stream and not Peer("::1", 5060).is_stream


def test_flow_tokens_are_unique_and_urlsafe() -> None:
    tokens = {new_flow_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(t.replace("-", "").replace("_", "").isalnum() for t in tokens)


def test_table_finds_by_token_and_by_address_and_forgets_closed_flows() -> None:
    table = ConnectionTable()
    first = Recorded(Peer("192.0.2.1", 40000, "TCP", "a"))
    table.add(first)
    assert table.find(Peer("192.0.2.1", 40000, "TCP", "a")) is first
    assert table.find(Peer("192.0.2.1", 40000, "TCP")) is first       # by address
    assert table.find(Peer("192.0.2.1", 40000, "TLS")) is None        # other transport
    # The peer reconnects from the same address: a new flow; the old token stays dead.
    second = Recorded(Peer("192.0.2.1", 40000, "TCP", "b"))
    table.add(second)
    table.remove(first)
    assert table.find(Peer("192.0.2.1", 40000, "TCP", "a")) is None
    assert table.find(Peer("192.0.2.1", 40000, "TCP")) is second
    assert table.by_token("b") is second and len(table) == 1
    table.remove(second)
    assert len(table) == 0 and table.by_address("TCP", "192.0.2.1", 40000) is None


def test_table_refuses_a_connection_without_a_fresh_token() -> None:
    table = ConnectionTable()
    table.add(Recorded(Peer("192.0.2.1", 1, "TCP", "x")))
    with pytest.raises(ValueError):
        table.add(Recorded(Peer("192.0.2.2", 2, "TCP", "x")))
    with pytest.raises(ValueError):
        table.add(Recorded(Peer("192.0.2.2", 2, "TCP", "")))
