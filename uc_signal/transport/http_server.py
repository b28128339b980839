"""uvicorn run inside the daemon's own asyncio loop (no worker processes, no signal
handlers of its own): the one HTTP stack that serves SIP over WebSocket, and later the
admin API and the Control Panel mounted in the same Starlette app."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp


def bind_tcp_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class HttpServer:
    """One uvicorn server on already-bound sockets (so port 0 works and the daemon knows
    its ports before serving)."""

    def __init__(self, app: ASGIApp, sockets: list[socket.socket], *, certfile: str | Path | None = None,
                 keyfile: str | Path | None = None, max_message: int = 16 * 1024 * 1024) -> None:
        self.sockets = sockets
        self.config = uvicorn.Config(
            app, lifespan="off", log_level="warning", access_log=False, ws="websockets-sansio",
            ws_max_size=max_message, ssl_certfile=certfile, ssl_keyfile=keyfile)
        self.server = uvicorn.Server(self.config)
        self._main: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self.config.loaded:
            self.config.load()
        self.server.lifespan = self.config.lifespan_class(self.config)
        await self.server.startup(sockets=self.sockets)
        # main_loop keeps the Date header fresh and returns once should_exit is set.
        self._main = asyncio.create_task(self.server.main_loop())

    async def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # do not wait for WebSocket peers to say goodbye
        if self._main is not None:
            await self._main
        await self.server.shutdown(sockets=self.sockets)
