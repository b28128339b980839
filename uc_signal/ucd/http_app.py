"""The daemon's one HTTP stack: a single uvicorn server on several sockets, the app chosen
by the local port a connection arrived on. The admin port serves the admin API, /healthz
and /metrics; the WebSocket port serves only the RFC 7118 SIP route, so the admin API is
never reachable on an address SIP clients use."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class ListenerDispatch:
    def __init__(self, apps_by_port: dict[int, ASGIApp]) -> None:
        self.apps_by_port = apps_by_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        server = scope.get("server")
        app = self.apps_by_port.get(server[1]) if server else None
        if app is None:
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 404,
                            "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"not found\n"})
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await app(scope, receive, send)
