"""Outbound flow reuse over real loopback sockets (RFC 5626): a UA registers over TCP with
a Contact nobody could connect to; a request for it arrives over UDP and reaches the UA
over its own registration connection; once that connection is gone the user is 480.
A GRUU routes the same way. SipServer with the in-memory directory and binding store."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sip_transport_harness import StreamClient, UdpClient, tcp_client, udp_client

from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory
from uc_signal.proxy.server import SipServer
from uc_signal.sip import DigestClient, Request, Response, make_response
from uc_signal.sip.derived_requests import new_branch
from uc_signal.transport import TransportConfig

pytestmark = pytest.mark.peer

DOMAIN = "example.com"
INSTANCE = "urn:uuid:6c1e3d4c-5f0a-4a8e-9a57-000000000042"


def register(client: StreamClient, cseq: int, auth: str = "") -> bytes:
    port = client.port
    return (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:{port};branch={new_branch()}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:bob@{DOMAIN}>;tag=b1\r\nTo: <sip:bob@{DOMAIN}>\r\n"
            f"Call-ID: flow-reg@test\r\nCSeq: {cseq} REGISTER\r\n"
            # Port 1 on the UA's side: reachable only over the registration connection.
            f'Contact: <sip:bob@127.0.0.1:1;transport=tcp>;+sip.instance="<{INSTANCE}>";reg-id=1\r\n'
            "Supported: outbound, gruu\r\nExpires: 600\r\n"
            f"{auth}Content-Length: 0\r\n\r\n").encode()


def options(client: UdpClient, target: str, n: int) -> bytes:
    return (f"OPTIONS {target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{client.port};branch={new_branch()};rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:carol@example.net>;tag=c1\r\n"
            f"To: <sip:bob@{DOMAIN}>\r\nCall-ID: flow-opt-{n}@test\r\nCSeq: {n} OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n").encode()


async def final(client: UdpClient | StreamClient) -> Response:
    for _ in range(10):
        message = await client.receive()
        if isinstance(message, Response) and message.status >= 200:
            return message
    raise AssertionError("no final response")


def test_requests_reach_a_tcp_registered_ua_over_its_connection(tmp_path: Path) -> None:
    users = InMemoryUserDirectory()
    users.add_user("bob", DOMAIN, "bob-pw")

    async def scenario() -> None:
        config = TransportConfig(hosts=("127.0.0.1",), udp_port=0, tcp_port=0, tls_port=None,
                                 data_dir=tmp_path, domain=DOMAIN)
        server = SipServer(config, domains=(DOMAIN,), users=users, store=InMemoryBindingStore(),
                           secret=b"flow-test-secret-0123456789")
        await server.start()
        try:
            bob = await tcp_client(server.manager.address("TCP"))
            bob.send(register(bob, 1))
            challenge = await final(bob)
            assert challenge.status == 401
            value = challenge.headers.get_all("WWW-Authenticate")[0]
            auth = DigestClient("bob", "bob-pw").authorize(value, "REGISTER", f"sip:{DOMAIN}")
            bob.send(register(bob, 2, f"Authorization: {auth}\r\n"))
            ok = await final(bob)
            assert ok.status == 200 and ok.headers.get("Require") == "outbound"
            temp_gruu = ok.contact[0].params["temp-gruu"].strip('"')

            carol = await udp_client(server.manager.address("UDP"))
            for n, target in enumerate((f"sip:bob@{DOMAIN}", temp_gruu), start=1):
                carol.transport.sendto(options(carol, target, n))  # type: ignore[union-attr]
                incoming = await bob.receive()  # over the registration connection
                assert isinstance(incoming, Request) and incoming.method == "OPTIONS"
                assert incoming.uri_text == "sip:bob@127.0.0.1:1;transport=tcp"
                bob.send(bytes(make_response(incoming, 200, to_tag="bob")))
                assert (await final(carol)).status == 200

            await bob.close()
            for _ in range(50):  # the server notices the close
                if len(server.manager.connections) == 0:
                    break
                await asyncio.sleep(0.05)
            carol.transport.sendto(options(carol, f"sip:bob@{DOMAIN}", 3))  # type: ignore[union-attr]
            assert (await final(carol)).status == 480
            assert server.services is not None
            assert len(server.services.location.lookup(f"sip:bob@{DOMAIN}", time.time())) == 1  # until it expires
            carol.close()
        finally:
            await server.stop()
    asyncio.run(scenario())
