"""A TransportManager driven without sockets, shared by
tests/unit/test_sip_transport_bad_input.py and fuzz/fuzz_sip_transport.py: byte streams go
through a real StreamConnection whose kernel socket is replaced by `MemoryTransport`."""

from __future__ import annotations

import asyncio

from uc_signal.sip import RequestReceived, TransactionEvent, make_response
from uc_signal.transport import TransportConfig, TransportManager


class MemoryTransport(asyncio.Transport):
    """An asyncio.Transport over nothing: keeps what is written; close() ends the
    connection as the loop would (connection_lost)."""

    def __init__(self, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.written = bytearray()
        self.closing = False

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("192.0.2.1", 40000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            self.protocol.connection_lost(None)

    def abort(self) -> None:
        self.close()


def answering_manager(config: TransportConfig) -> TransportManager:
    """A manager whose core answers every request that opens a transaction with 200."""
    manager: TransportManager

    def answer(event: TransactionEvent) -> None:
        if isinstance(event, RequestReceived) and event.transaction is not None:
            manager.send_response(make_response(event.request, 200, to_tag="t"), event.transaction)

    manager = TransportManager(config, answer)
    return manager
