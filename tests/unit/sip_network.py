"""An in-memory network for transaction-layer tests: layers at addresses, a hand-run clock,
and datagrams moved between them through the real serializer and parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uc_signal.sip.message import Request, parse_message
from uc_signal.sip.transaction_layer import TransactionLayer

Address = tuple[str, int]

ALICE: Address = ("192.0.2.10", 5060)
BOB: Address = ("192.0.2.20", 5060)


def request(
    method: str = "INVITE",
    *,
    branch: str | None = "z9hG4bKa1",
    transport: str = "UDP",
    cseq: int = 1,
    via_host: str = "192.0.2.10",
    via_params: str = "",
    to_tag: str | None = None,
    uri: str = "sip:bob@192.0.2.20",
    extra: str = "",
) -> Request:
    branch_param = f";branch={branch}" if branch is not None else ""
    to = "<sip:bob@example.com>" + (f";tag={to_tag}" if to_tag else "")
    raw = (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {via_host}:5060{branch_param}{via_params}\r\n"
        "Max-Forwards: 70\r\n"
        "From: Alice <sip:alice@example.com>;tag=a-tag\r\n"
        f"To: {to}\r\n"
        "Call-ID: call-1@192.0.2.10\r\n"
        f"CSeq: {cseq} {method}\r\n"
        "Contact: <sip:alice@192.0.2.10>\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse_message(raw.encode())
    assert isinstance(message, Request)
    return message


@dataclass
class Network:
    """Layers by address. `deliver()` moves every queued datagram to its destination."""

    layers: dict[Address, TransactionLayer] = field(default_factory=dict)
    log: list[tuple[Address, Address, bytes]] = field(default_factory=list)

    def add(self, addr: Address, layer: TransactionLayer | None = None) -> TransactionLayer:
        self.layers[addr] = layer or TransactionLayer()
        return self.layers[addr]

    def take(self, source: Address, now: float) -> list[tuple[bytes, Address]]:
        datagrams = self.layers[source].datagrams_to_send(now)
        self.log.extend((source, dest, data) for data, dest in datagrams)
        return datagrams

    def deliver(self, now: float, drop: set[int] | None = None) -> int:
        """Move queued datagrams (bounded rounds); `drop` lists indexes in this call to lose."""
        moved = 0
        for _ in range(20):
            batch = [(src, data, dest) for src in self.layers for data, dest in self.take(src, now)]
            if not batch:
                return moved
            for src, data, dest in batch:
                if drop is None or moved not in drop:
                    self.layers[dest].receive(data, src, now)
                moved += 1
        raise AssertionError("network did not settle")

    def events(self, addr: Address) -> list[Any]:  # heterogeneous events; tests narrow them
        layer = self.layers[addr]
        out = []
        while (event := layer.next_event()) is not None:
            out.append(event)
        return out
