"""SIP over UDP through the real TransportManager and TransactionLayer, on loopback."""

from __future__ import annotations

from pathlib import Path

from sip_transport_harness import make_config, options, run, running, udp_client

from uc_signal.sip import Response


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
