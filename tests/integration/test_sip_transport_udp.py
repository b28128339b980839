"""SIP over UDP through the real TransportManager and TransactionLayer, on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sip_transport_harness import make_config, options, run, running, udp_client

from uc_signal.sip import (CSeq, NameAddr, Request, Response, SipUri, Timer, TimerConfig,
                           TransactionLayer, TransactionTerminated, TransactionTimedOut, Via)
from uc_signal.transport import Peer


def test_options_over_udp_gets_200_with_received_and_rport(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tcp_port=None, tls_port=None, ws_port=None,
                                       wss_port=None)) as (manager, uas):
            client = await udp_client(manager.address("UDP"))
            client.transport.sendto(options())  # type: ignore[union-attr]
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 200
            via = response.top_via
            assert via is not None
            # RFC 3261 18.2.1 (sent-by 192.0.2.1 is not the source) and RFC 3581 4.
            assert via.received == "127.0.0.1"
            assert via.rport == client.port
            assert uas.requests[0].request.method == "OPTIONS"
            assert manager.counters.messages_received == 1
            client.close()
    run(scenario())


def test_udp_without_rport_answers_to_the_sent_by_port(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tcp_port=None, tls_port=None, ws_port=None,
                                       wss_port=None)) as (manager, _):
            client = await udp_client(manager.address("UDP"))
            # No rport: 18.2.2 sends to received (the source host) and the sent-by port,
            # which is the client's own port here.
            client.transport.sendto(options(sent_by=f"127.0.0.1:{client.port}", via_params=""))  # type: ignore[union-attr]
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 200
            via = response.top_via
            assert via is not None and via.received is None and via.rport is None
            client.close()
    run(scenario())


def test_malformed_udp_requests_get_their_4xx_and_garbage_is_dropped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tcp_port=None, tls_port=None, ws_port=None,
                                       wss_port=None)) as (manager, uas):
            client = await udp_client(manager.address("UDP"))
            send = client.transport.sendto  # type: ignore[union-attr]
            send(options(cseq="one OPTIONS", branch="z9hG4bKbad1"))          # bad CSeq
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 400
            assert response.top_via is not None and response.top_via.rport == client.port
            assert response.to is not None and response.to.tag  # 8.2.6.2: To tag added
            send(options(version="SIP/3.0", branch="z9hG4bKbad2"))           # version
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 505
            send(options(extra="Content-Length: 5\r\n", branch="z9hG4bKbad3"))  # conflicting lengths
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 400
            send(b"\x00\xff not SIP at all \r\n\r\n")                          # unreadable: dropped
            send(b"SIP/2.0 200 OK\r\nVia: broken\r\n\r\n")                    # bad response: dropped
            send(b"\r\n\r\n")                                                   # keep-alive: ignored
            send(options(branch="z9hG4bKgood"))                                # still serving
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 200
            assert manager.counters.malformed_answered == 3
            assert manager.counters.malformed_dropped == 2
            assert manager.counters.internal_errors == 0
            assert len(uas.requests) == 1
            client.close()
    run(scenario())


def test_udp_socket_gets_a_large_receive_buffer(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tcp_port=None, tls_port=None, ws_port=None,
                                       wss_port=None)) as (manager, _):
            granted = manager.udp_rcvbuf_granted
            assert len(granted) == 1
            # Linux doubles the asked size; without CAP_NET_ADMIN rmem_max caps it.
            rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
            assert granted[0] >= min(4 * 1024 * 1024, rmem_max)
    run(scenario())


UDP_ONLY = dict(tcp_port=None, tls_port=None, ws_port=None, wss_port=None)
FAST = TimerConfig(t1=0.01, t2=0.04, t4=0.05)  # 64*T1 = 0.64 s


def test_the_layer_timer_drives_server_transactions_to_their_end(tmp_path: Path) -> None:
    """Timer J (64*T1 after the 200 over UDP) fires only through the manager's call_at."""
    async def scenario() -> None:
        async with running(make_config(tmp_path, **UDP_ONLY), TransactionLayer(FAST)) as (manager, uas):
            client = await udp_client(manager.address("UDP"))
            client.transport.sendto(options())  # type: ignore[union-attr]
            assert isinstance(await client.receive(), Response)
            assert len(manager.layer) == 1
            key = uas.requests[0].transaction
            for _ in range(500):
                if any(isinstance(e, TransactionTerminated) and e.transaction == key for e in uas.events):
                    break
                await asyncio.sleep(0.01)
            assert len(manager.layer) == 0
            client.close()
    run(scenario())


def test_client_transaction_retransmits_over_udp_then_times_out(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, **UDP_ONLY), TransactionLayer(FAST)) as (manager, uas):
            silent = await udp_client(manager.address("UDP"))
            target = Peer("127.0.0.1", silent.port, "UDP")
            request = Request("OPTIONS", SipUri("127.0.0.1", "silent", silent.port), [
                ("Via", Via("UDP", "127.0.0.1", manager.address("UDP")[1], {"branch": "z9hG4bKretx", "rport": None})),
                ("Max-Forwards", 70), ("From", NameAddr("sip:server@test").with_tag("s")),
                ("To", NameAddr("sip:silent@test")), ("Call-ID", "retx@test"),
                ("CSeq", CSeq(1, "OPTIONS")), ("Content-Length", 0)])
            manager.send_request(request, target)
            copies = [await silent.receive() for _ in range(3)]  # Timer E: T1, 2T1, 4T1...
            assert all(isinstance(c, Request) and c.call_id == "retx@test" for c in copies)
            for _ in range(500):
                if any(isinstance(e, TransactionTimedOut) for e in uas.events):
                    break
                await asyncio.sleep(0.01)
            timed_out = [e for e in uas.events if isinstance(e, TransactionTimedOut)]
            assert timed_out and timed_out[0].timer is Timer.F
            silent.close()
    run(scenario())
