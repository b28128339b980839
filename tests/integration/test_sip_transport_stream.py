"""SIP over TCP and TLS through the real TransportManager, on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cryptography import x509
from sip_transport_harness import (make_config, options, peer_of, run, running, tcp_client,
                                   tls_client)

from uc_signal.sip import CSeq, NameAddr, Request, Response, SipUri, Via
from uc_signal.transport import Peer, generate_self_signed
from uc_signal.transport.certificates import SELF_SIGNED_CERT, SELF_SIGNED_KEY

STREAMS_ONLY = dict(udp_port=None, ws_port=None, wss_port=None)


def test_options_over_tcp_gets_200_on_the_same_connection(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tls_port=None, **STREAMS_ONLY)) as (manager, uas):
            client = await tcp_client(manager.address("TCP"))
            client.send(options("TCP"))
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 200
            via = response.top_via
            assert via is not None and via.received == "127.0.0.1" and via.rport == client.port
            source = peer_of(uas.requests[0])
            assert source.transport == "TCP" and source.port == client.port and source.flow
            assert manager.flow(source.flow) is not None
            await client.close()
    run(scenario())


def test_malformed_tcp_message_gets_400_and_the_stream_stays_in_sync(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tls_port=None, **STREAMS_ONLY)) as (manager, uas):
            client = await tcp_client(manager.address("TCP"))
            bad_body = b"v=0\r\n"
            bad = (options("TCP", branch="z9hG4bKbad", cseq="x OPTIONS")
                   .replace(b"Content-Length: 0", b"Content-Length: %d" % len(bad_body)) + bad_body)
            unparsable_head = (b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKq\r\n"
                               b"Bad Header Line\r\nContent-Length: 3\r\n\r\nabc")
            # Three messages in one write: a bad CSeq (with a body), a broken header line, a
            # good one.
            client.send(bad + unparsable_head + options("TCP", branch="z9hG4bKgood"))
            first, second, third = [await client.receive() for _ in range(3)]
            assert isinstance(first, Response) and first.status == 400
            assert first.top_via is not None and first.top_via.branch == "z9hG4bKbad"
            assert isinstance(second, Response) and second.status == 400
            assert isinstance(third, Response) and third.status == 200
            assert third.top_via is not None and third.top_via.branch == "z9hG4bKgood"
            assert [e.request.top_via.branch for e in uas.requests] == ["z9hG4bKgood"]  # type: ignore[union-attr]
            assert manager.counters.malformed_answered == 2
            await client.close()
    run(scenario())


def test_unframeable_message_closes_only_its_connection(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tls_port=None, **STREAMS_ONLY)) as (manager, _):
            victim = await tcp_client(manager.address("TCP"))
            bystander = await tcp_client(manager.address("TCP"))
            # No Content-Length on a stream: its end cannot be found (RFC 3261 18.3).
            victim.send(options("TCP").replace(b"Content-Length: 0\r\n", b""))
            assert await victim.closed_by_server()
            garbage = await tcp_client(manager.address("TCP"))
            garbage.send(b"\x16\x03\x01 this is not SIP" + b"x" * 70000)  # no header end in 64 KiB
            assert await garbage.closed_by_server()
            bystander.send(options("TCP", branch="z9hG4bKstill"))
            response = await bystander.receive()
            assert isinstance(response, Response) and response.status == 200
            assert manager.counters.framing_errors == 2
            assert len(manager.connections) == 1
            for client in (victim, bystander, garbage):
                await client.close()
    run(scenario())


def test_crlf_keepalive_ping_gets_a_pong(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tls_port=None, **STREAMS_ONLY)) as (manager, _):
            client = await tcp_client(manager.address("TCP"))
            client.send(b"\r\n\r\n")
            assert await client.read_raw(16) == b"\r\n"   # RFC 5626 4.4.1
            client.send(b"\r\n\r\n" + options("TCP"))        # a ping just before a request
            assert await client.read_raw(2) == b"\r\n"
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 200
            assert manager.counters.keepalives_answered == 2
            await client.close()
    run(scenario())


def test_idle_connection_is_closed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tls_port=None, idle_timeout=0.3, **STREAMS_ONLY)) as (manager, _):
            client = await tcp_client(manager.address("TCP"))
            client.send(b"\r\n\r\n")
            assert await client.read_raw(2) == b"\r\n"
            assert await client.closed_by_server()
            assert manager.counters.connections_idle_closed == 1
            assert len(manager.connections) == 0
            await client.close()
    run(scenario())


def test_connections_over_the_limit_are_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tls_port=None, max_connections=2, **STREAMS_ONLY)) as (manager, _):
            first, second = await tcp_client(manager.address("TCP")), await tcp_client(manager.address("TCP"))
            first.send(b"\r\n\r\n")
            second.send(b"\r\n\r\n")
            assert await first.read_raw(2) == b"\r\n" and await second.read_raw(2) == b"\r\n"
            third = await tcp_client(manager.address("TCP"))
            assert await third.closed_by_server()
            assert manager.counters.connections_refused == 1
            await first.close()
            fourth = None
            for _ in range(500):  # the closed slot frees once the server sees the close
                await asyncio.sleep(0.02)
                if len(manager.connections) < 2:
                    fourth = await tcp_client(manager.address("TCP"))
                    break
            assert fourth is not None
            fourth.send(options("TCP"))
            response = await fourth.receive()
            assert isinstance(response, Response) and response.status == 200
            for client in (second, third, fourth):
                await client.close()
    run(scenario())


def _request_to(peer: Peer, branch: str) -> Request:
    return Request("OPTIONS", SipUri("127.0.0.1", "client", peer.port), [
        ("Via", Via(peer.transport, "127.0.0.1", 5060, {"branch": branch})),
        ("Max-Forwards", 70),
        ("From", NameAddr("sip:server@127.0.0.1").with_tag("s1")),
        ("To", NameAddr("sip:client@test")),
        ("Call-ID", "server-side@test"),
        ("CSeq", CSeq(7, "OPTIONS")),
        ("Content-Length", 0)])


def test_requests_to_a_peer_reuse_its_connection_by_flow_token_and_by_address(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_config(tmp_path, tls_port=None, **STREAMS_ONLY)) as (manager, uas):
            client = await tcp_client(manager.address("TCP"))
            client.send(options("TCP"))
            assert isinstance(await client.receive(), Response)
            source = peer_of(uas.requests[0])
            # An in-dialog request (or one to a contact registered over this flow) goes back
            # over the very connection, found by its flow token...
            manager.send_request(_request_to(source, "z9hG4bKsrv1"), source)
            request = await client.receive()
            assert isinstance(request, Request) and request.top_via.branch == "z9hG4bKsrv1"  # type: ignore[union-attr]
            # ...or by (transport, address) when no token is given.
            manager.send_request(_request_to(source, "z9hG4bKsrv2"),
                                 Peer(source.host, source.port, "TCP"))
            request = await client.receive()
            assert isinstance(request, Request) and request.top_via.branch == "z9hG4bKsrv2"  # type: ignore[union-attr]
            assert manager.counters.connections_accepted == 1
            await client.close()
    run(scenario())


def test_request_over_a_closed_flow_fails_as_a_transport_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        from uc_signal.sip import TransportErrorOccurred
        async with running(make_config(tmp_path, tls_port=None, **STREAMS_ONLY)) as (manager, uas):
            client = await tcp_client(manager.address("TCP"))
            client.send(options("TCP"))
            assert isinstance(await client.receive(), Response)
            source = peer_of(uas.requests[0])
            await client.close()
            for _ in range(500):
                if manager.flow(source.flow) is None:
                    break
                await asyncio.sleep(0.02)
            assert manager.flow(source.flow) is None
            manager.send_request(_request_to(source, "z9hG4bKgone"), source)
            assert any(isinstance(e, TransportErrorOccurred) for e in uas.events)
            assert manager.counters.send_failures == 1
    run(scenario())


def test_request_to_a_new_tcp_address_opens_a_connection(tmp_path: Path) -> None:
    async def scenario() -> None:
        received: asyncio.Queue[bytes] = asyncio.Queue()

        async def peer_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.put_nowait(await reader.readuntil(b"\r\n\r\n"))
            writer.close()

        server = await asyncio.start_server(peer_server, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with running(make_config(tmp_path, tls_port=None, **STREAMS_ONLY)) as (manager, _):
            target = Peer("127.0.0.1", port, "TCP")
            manager.send_request(_request_to(target, "z9hG4bKout"), target)
            data = await asyncio.wait_for(received.get(), 10)
            assert data.startswith(b"OPTIONS sip:client@127.0.0.1:")
            assert b"branch=z9hG4bKout" in data
        server.close()
        await server.wait_closed()
    run(scenario())


def test_options_over_tls_with_a_self_signed_certificate_made_once(tmp_path: Path) -> None:
    async def scenario() -> bytes:
        config = make_config(tmp_path, tcp_port=None, **STREAMS_ONLY)
        async with running(config) as (manager, _):
            assert manager.tls_files is not None
            cert_path = manager.tls_files[0]
            client = await tls_client(manager.address("TLS"), cert_path)
            client.send(options("TLS"))
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 200
            assert response.top_via is not None and response.top_via.received == "127.0.0.1"
            # The certificate also verifies for the IP address and the domain.
            await client.close()
            client = await tls_client(manager.address("TLS"), cert_path, server_hostname="127.0.0.1")
            client.send(options("TLS", branch="z9hG4bKip"))
            assert isinstance(await client.receive(), Response)
            await client.close()
        return Path(cert_path).read_bytes()

    first = run(scenario())
    cert_file = tmp_path / "data" / SELF_SIGNED_CERT
    key_file = tmp_path / "data" / SELF_SIGNED_KEY
    assert key_file.stat().st_mode & 0o077 == 0  # the key is private to its owner
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["sip.example.test", "localhost"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    second = run(scenario())
    assert first == second  # reused, not regenerated


def test_tls_serves_the_configured_certificate(tmp_path: Path) -> None:
    cert, key = tmp_path / "mine.crt", tmp_path / "mine.key"
    generate_self_signed("configured.example", cert, key)

    async def scenario() -> None:
        config = make_config(tmp_path, tcp_port=None, tls_cert=cert, tls_key=key, **STREAMS_ONLY)
        async with running(config) as (manager, _):
            assert manager.tls_files == (str(cert), str(key))
            client = await tls_client(manager.address("TLS"), str(cert), server_hostname="configured.example")
            client.send(options("TLS"))
            response = await client.receive()
            assert isinstance(response, Response) and response.status == 200
            await client.close()
    run(scenario())
    assert not (tmp_path / "data" / SELF_SIGNED_CERT).exists()
