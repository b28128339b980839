"""SIP over WebSocket (RFC 7118) as a Starlette WebSocket endpoint.

The daemon has one HTTP stack (Starlette on uvicorn, in its own asyncio loop) for the
admin API, the Control Panel and SIP over WebSocket: `sip_websocket_route()` is the route
it mounts; `sip_websocket_app()` is a stand-alone app with just that route.

RFC 7118: the client must offer the `sip` subprotocol (5.1; a handshake without it is
refused); each WebSocket message carries exactly one SIP message, in a text frame when it
is UTF-8, else in a binary frame (5.2, 5.4); a message is framed by the WebSocket frame,
not by Content-Length, so it is parsed like a UDP datagram. The transport is WS, or WSS
when the HTTP server runs TLS.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .connection_table import new_flow_token
from .idle_timer import IdleTimer
from .peer import Peer

if TYPE_CHECKING:
    from .manager import TransportManager

log = logging.getLogger(__name__)

SUBPROTOCOL = "sip"
CLOSE_PROTOCOL_ERROR = 1002   # RFC 6455 7.4.1
CLOSE_TRY_AGAIN_LATER = 1013  # IANA WebSocket close code registry


class WebSocketConnection:
    """One accepted SIP WebSocket. Sends go through a queue drained by one task, so
    messages leave in the order the manager produced them."""

    def __init__(self, manager: TransportManager, websocket: WebSocket, transport_name: str) -> None:
        client = websocket.client
        self.manager = manager
        self.websocket = websocket
        self.peer = Peer(client.host if client else "", client.port if client else 0,
                         transport_name, new_flow_token())
        self._outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._queued = 0
        self._closing = False

    def send(self, data: bytes) -> None:
        if self._closing:
            self.manager.counters.send_failures += 1
            return
        self._queued += len(data)
        if self._queued > self.manager.config.max_write_buffer:
            self.manager.counters.connections_overflowed += 1
            self.close()
            return
        self._outbox.put_nowait(data)
        self.manager.counters.messages_sent += 1

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._outbox.put_nowait(None)

    async def run_sender(self) -> None:
        while (data := await self._outbox.get()) is not None:
            self._queued -= len(data)
            try:
                await self.websocket.send_text(data.decode("utf-8"))
            except UnicodeDecodeError:
                await self.websocket.send_bytes(data)
        await self.websocket.close()

    async def run_receiver(self, idle: IdleTimer) -> None:
        while not self._closing:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            idle.touch()
            text, data = message.get("text"), message.get("bytes")
            payload = data if data is not None else (text or "").encode("utf-8", "surrogateescape")
            try:
                self.manager.packet_received(payload, self.peer)
            except Exception:  # the daemon never dies of what a peer sends
                self.manager.counters.internal_errors += 1
                log.exception("WebSocket message from %s", self.peer)


async def serve_sip_websocket(manager: TransportManager, websocket: WebSocket) -> None:
    """Run one SIP WebSocket connection to its end."""
    if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
        await websocket.close(CLOSE_PROTOCOL_ERROR)  # before accept: the handshake fails
        return
    transport_name = "WSS" if websocket.scope.get("scheme") == "wss" else "WS"
    connection = WebSocketConnection(manager, websocket, transport_name)
    if not manager.connection_made(connection):
        await websocket.close(CLOSE_TRY_AGAIN_LATER)
        return
    await websocket.accept(subprotocol=SUBPROTOCOL)

    def idle_closed() -> None:
        manager.counters.connections_idle_closed += 1
        connection.close()

    idle = IdleTimer(asyncio.get_running_loop(), manager.config.idle_timeout, idle_closed)
    tasks = {asyncio.create_task(connection.run_sender()),
             asyncio.create_task(connection.run_receiver(idle))}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        idle.cancel()
        connection._closing = True
        manager.connection_lost(connection)
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                pass  # the socket is gone either way


def sip_websocket_route(manager: TransportManager, path: str = "/") -> WebSocketRoute:
    async def endpoint(websocket: WebSocket) -> None:
        await serve_sip_websocket(manager, websocket)
    return WebSocketRoute(path, endpoint, name="sip-websocket")


def sip_websocket_app(manager: TransportManager, path: str = "/") -> Starlette:
    return Starlette(routes=[sip_websocket_route(manager, path)])
