"""Two baresip softphones through the registrar and proxy (SipServer, in-memory users and
bindings, MD5 challenges: baresip 1.0 refuses a 401 carrying SHA-256): both register
with digest auth, alice calls bob (407 answered, INVITE forwarded to bob's contact),
bob auto-answers, the 200 and the ACK cross the proxy, and alice's hang-up (BYE along the
Record-Route) reaches bob. baresip must be installed (`make test` installs it)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from peers import baresip_config, baresip_sip_port, require, wait_until

from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory
from uc_signal.proxy.server import SipServer
from uc_signal.sip import DigestAlgorithm, RequestReceived, ResponseReceived, TransactionEvent
from uc_signal.transport import TransportConfig

pytestmark = pytest.mark.peer

DOMAIN = "example.com"
WAIT = 30.0


async def start_baresip(conf: Path, seconds: int, *commands: str) -> asyncio.subprocess.Process:
    baresip = require("baresip")
    args = ["-4", "-f", str(conf), "-n", "127.0.0.1", "-t", str(seconds)]
    for command in commands:
        args += ["-e", command]
    return await asyncio.create_subprocess_exec(
        "timeout", str(seconds + 15), baresip, *args, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def finish(process: asyncio.subprocess.Process) -> str:
    out, _ = await asyncio.wait_for(process.communicate(), WAIT + 20)
    return out.decode(errors="replace")


async def start_recording_server(tmp_path: Path, users: InMemoryUserDirectory, secret: bytes,
                                 seen: list[str]) -> SipServer:
    """The registrar and proxy for DOMAIN on loopback UDP, MD5 challenges only (baresip 1.0
    refuses a 401 carrying SHA-256). Every request the core handles adds its method to
    `seen`, every response "<status> <method>"."""
    config = TransportConfig(hosts=("127.0.0.1",), udp_port=0, tcp_port=None, tls_port=None,
                             data_dir=tmp_path, domain=DOMAIN)
    server = SipServer(config, domains=(DOMAIN,), users=users, store=InMemoryBindingStore(),
                       secret=secret, digest_algorithms=(DigestAlgorithm.MD5,))
    await server.start()
    assert server.services is not None
    core = server.services.core
    handle = core.handle_event

    def record(event: TransactionEvent, now: float) -> None:
        if isinstance(event, RequestReceived):
            seen.append(event.request.method)
        elif isinstance(event, ResponseReceived) and event.response.cseq is not None:
            seen.append(f"{event.response.status} {event.response.cseq.method}")
        handle(event, now)
    core.handle_event = record  # type: ignore[method-assign]
    return server


def test_baresip_calls_baresip_through_the_proxy(tmp_path: Path) -> None:
    users = InMemoryUserDirectory()
    users.add_user("alice", DOMAIN, "alice-pw")
    users.add_user("bob", DOMAIN, "bob-pw")
    seen: list[str] = []

    async def scenario() -> None:
        server = await start_recording_server(tmp_path, users, b"baresip-test-secret-0123456789", seen)
        assert server.services is not None
        try:
            host, port = server.manager.address("UDP")
            line = f'<sip:{{}}@{DOMAIN}>;auth_pass={{}};outbound="sip:{host}:{port}";regint=600;audio_codecs=opus/48000/2'
            baresip_config(tmp_path / "bob", baresip_sip_port(), line.format("bob", "bob-pw") + ";answermode=auto")
            baresip_config(tmp_path / "alice", baresip_sip_port(), line.format("alice", "alice-pw"))
            bob = await start_baresip(tmp_path / "bob", 25)
            location = server.services.location
            await wait_until(lambda: location.lookup(f"sip:bob@{DOMAIN}", time.time()), "bob did not register", WAIT)
            alice = await start_baresip(tmp_path / "alice", 8, f"/dial sip:bob@{DOMAIN}")
            alice_out = await finish(alice)
            bob.terminate()
            bob_out = await finish(bob)
            assert "200 INVITE" in seen, (seen, alice_out[-2000:], bob_out[-2000:])
            assert seen.count("INVITE") >= 2  # the challenged one and the authenticated one
            assert "BYE" in seen and "200 BYE" in seen, (seen, alice_out[-2000:])
            assert "established" in alice_out.lower(), alice_out[-2000:]
            assert server.manager.counters.internal_errors == 0
        finally:
            await server.stop()
    asyncio.run(scenario())
