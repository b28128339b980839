"""SIP over WebSocket (RFC 7118) through the Starlette endpoint on in-process uvicorn,
with the `websockets` client library as the peer."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from sip_transport_harness import WAIT, make_config, options, peer_of, run, running
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from uc_signal.sip import CSeq, NameAddr, Request, Response, SipUri, Via, parse_message

WS_ONLY = dict(udp_port=None, tcp_port=None, tls_port=None)


def test_options_over_websocket_with_subprotocol_sip(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, wss_port=None, **WS_ONLY)) as (manager, uas):
            host, port = manager.address("WS")
            async with connect(f"ws://{host}:{port}/", subprotocols=["sip"], open_timeout=WAIT) as ws:  # type: ignore[list-item]
                assert ws.subprotocol == "sip"
                await ws.send(options("WS", sent_by="df7jal23ls0d.invalid").decode())
                frame = await ws.recv(decode=False)
                response = parse_message(frame)
                assert isinstance(response, Response) and response.status == 200
                via = response.top_via
                assert via is not None and via.received == "127.0.0.1"  # RFC 7118 5.2: .invalid host
                source = peer_of(uas.requests[0])
                assert source.transport == "WS" and source.flow
                # In-dialog request back over the same WebSocket, found by flow token.
                request = Request("OPTIONS", SipUri("df7jal23ls0d.invalid", "client"), [
                    ("Via", Via("WS", "127.0.0.1", port, {"branch": "z9hG4bKws-out"})),
                    ("Max-Forwards", 70), ("From", NameAddr("sip:server@test").with_tag("s")),
                    ("To", NameAddr("sip:client@test")), ("Call-ID", "ws-out@test"),
                    ("CSeq", CSeq(1, "OPTIONS")), ("Content-Length", 0)])
                manager.send_request(request, source)
                incoming = parse_message(await ws.recv(decode=False))
                assert isinstance(incoming, Request) and incoming.call_id == "ws-out@test"
                # A malformed message in one frame gets its 400 on the same socket.
                await ws.send(options("WS", cseq="bad OPTIONS", branch="z9hG4bKwsbad"))  # binary frame
                bad = parse_message(await ws.recv(decode=False))
                assert isinstance(bad, Response) and bad.status == 400
            assert manager.counters.malformed_answered == 1
    run(scenario())


def test_websocket_without_the_sip_subprotocol_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, wss_port=None, **WS_ONLY)) as (manager, _):
            host, port = manager.address("WS")
            with pytest.raises(InvalidStatus):
                async with connect(f"ws://{host}:{port}/", open_timeout=WAIT):
                    pass
            assert len(manager.connections) == 0
    run(scenario())


def test_options_over_secure_websocket(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, ws_port=None, **WS_ONLY)) as (manager, uas):
            host, port = manager.address("WSS")
            assert manager.tls_files is not None
            context = ssl.create_default_context(cafile=manager.tls_files[0])
            async with connect(f"wss://localhost:{port}/", subprotocols=["sip"], ssl=context,  # type: ignore[list-item]
                               open_timeout=WAIT) as ws:
                await ws.send(options("WSS"))
                response = parse_message(await ws.recv(decode=False))
                assert isinstance(response, Response) and response.status == 200
            assert peer_of(uas.requests[0]).transport == "WSS"
    run(scenario())


def test_idle_websocket_is_closed_and_leaves_the_table(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, wss_port=None, idle_timeout=0.3, **WS_ONLY)) as (manager, _):
            host, port = manager.address("WS")
            async with connect(f"ws://{host}:{port}/", subprotocols=["sip"], open_timeout=WAIT) as ws:  # type: ignore[list-item]
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), WAIT)
            assert manager.counters.connections_idle_closed == 1
            for _ in range(500):
                if len(manager.connections) == 0:
                    break
                await asyncio.sleep(0.02)
            assert len(manager.connections) == 0
    run(scenario())
