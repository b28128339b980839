"""A TransportManager with a minimal UAS on the transaction layer, and raw clients to talk
to it over real loopback sockets. Every wait is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
from pathlib import Path
from typing import Any, AsyncIterator

from uc_signal.sip import (Request, RequestReceived, Response, TransactionEvent, TransactionLayer,
                           make_response, parse_message)
from uc_signal.transport import Peer, TransportConfig, TransportManager

WAIT = 10.0  # seconds any single read may take before the test fails


class EchoUas:
    """Answers every request that opens a server transaction with 200 OK."""

    def __init__(self) -> None:
        self.manager: TransportManager | None = None
        self.requests: list[RequestReceived] = []
        self.events: list[TransactionEvent] = []
        self.received = asyncio.Event()

    def __call__(self, event: TransactionEvent) -> None:
        self.events.append(event)
        if isinstance(event, RequestReceived) and event.transaction is not None:
            self.requests.append(event)
            assert self.manager is not None
            response = make_response(event.request, 200, to_tag="uas-tag")
            self.manager.send_response(response, event.transaction)
            self.received.set()


def make_config(tmp_path: Path, **changes: Any) -> TransportConfig:
    config = TransportConfig(hosts=("127.0.0.1",), udp_port=0, tcp_port=0, tls_port=0, ws_port=0,
                             wss_port=0, data_dir=tmp_path / "data", domain="sip.example.test",
                             udp_rcvbuf=4 * 1024 * 1024)
    return dataclasses.replace(config, **changes)


@contextlib.asynccontextmanager
async def running(config: TransportConfig, layer: TransactionLayer | None = None
                  ) -> AsyncIterator[tuple[TransportManager, EchoUas]]:
    uas = EchoUas()
    manager = TransportManager(config, uas, layer)
    uas.manager = manager
    await manager.start()
    try:
        yield manager, uas
    finally:
        await manager.stop()


def options(transport: str = "UDP", *, branch: str = "z9hG4bKopt1", sent_by: str = "192.0.2.1:5070",
            via_params: str = ";rport", cseq: str = "1 OPTIONS", call_id: str = "opt-1@test",
            extra: str = "", version: str = "SIP/2.0") -> bytes:
    return (
        f"OPTIONS sip:server@127.0.0.1 {version}\r\n"
        f"Via: SIP/2.0/{transport} {sent_by};branch={branch}{via_params}\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:client@test>;tag=c1\r\n"
        "To: <sip:server@127.0.0.1>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq}\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


class UdpClient(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.queue.put_nowait(data)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    async def receive(self) -> Response | Request:
        return parse_message(await asyncio.wait_for(self.queue.get(), WAIT))

    def close(self) -> None:
        assert self.transport is not None
        self.transport.close()


async def udp_client(server: tuple[str, int]) -> UdpClient:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_datagram_endpoint(UdpClient, local_addr=("127.0.0.1", 0),
                                                    remote_addr=server)
    return client


class StreamClient:
    """A raw TCP or TLS client that reads whole SIP messages by Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @property
    def port(self) -> int:
        return int(self.writer.get_extra_info("sockname")[1])

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def receive(self) -> Response | Request:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), WAIT)
        message = parse_message(head)
        length = message.content_length or 0
        if length:
            message.body = await asyncio.wait_for(self.reader.readexactly(length), WAIT)
        return message

    async def read_raw(self, n: int) -> bytes:
        return await asyncio.wait_for(self.reader.read(n), WAIT)

    async def closed_by_server(self) -> bool:
        """True when the server closed the connection (EOF) without sending more."""
        try:
            data = await asyncio.wait_for(self.reader.read(65536), WAIT)
        except ConnectionResetError:
            return True  # refused connections are aborted (RST)
        return data == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self.writer.wait_closed()


async def tcp_client(server: tuple[str, int]) -> StreamClient:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(*server), WAIT)
    return StreamClient(reader, writer)


def trusting(cert_path: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cert_path)
    return context


async def tls_client(server: tuple[str, int], cert_path: str, server_hostname: str = "localhost") -> StreamClient:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(*server, ssl=trusting(cert_path), server_hostname=server_hostname), WAIT)
    return StreamClient(reader, writer)


def run(coro: object, timeout: float = 60.0) -> object:
    """Run a test coroutine with an overall bound."""
    async def bounded() -> object:
        return await asyncio.wait_for(coro, timeout)  # type: ignore[arg-type]
    return asyncio.run(bounded())


def peer_of(event: RequestReceived) -> Peer:
    source = event.source
    assert isinstance(source, Peer)
    return source
