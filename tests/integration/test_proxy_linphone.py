"""linphonec (liblinphone 5) registers to the registrar with digest auth and calls a
baresip user through the proxy: 407 answered, INVITE forwarded to bob's contact, bob
auto-answers, 200/ACK cross the proxy, `terminate` sends the BYE along the Record-Route.
linphonec and baresip must be installed (`make test` installs them)."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from test_proxy_baresip import WAIT, baresip_conf, finish, free_udp_port, start_baresip

from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory
from uc_signal.proxy.server import SipServer
from uc_signal.sip import DigestAlgorithm, RequestReceived, ResponseReceived, TransactionEvent
from uc_signal.transport import TransportConfig

pytestmark = pytest.mark.peer

DOMAIN = "example.com"


async def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


def test_linphonec_calls_a_baresip_user_through_the_proxy(tmp_path: Path) -> None:
    linphonec = shutil.which("linphonec")
    assert linphonec is not None, "linphonec is not installed (make test installs it)"
    users = InMemoryUserDirectory()
    users.add_user("alice", DOMAIN, "alice-pw")
    users.add_user("bob", DOMAIN, "bob-pw")
    seen: list[str] = []

    async def scenario() -> None:
        config = TransportConfig(hosts=("127.0.0.1",), udp_port=0, tcp_port=None, tls_port=None,
                                 data_dir=tmp_path, domain=DOMAIN)
        server = SipServer(config, domains=(DOMAIN,), users=users, store=InMemoryBindingStore(),
                           secret=b"linphone-test-secret-0123456789", digest_algorithms=(DigestAlgorithm.MD5,))
        await server.start()
        assert server.services is not None
        services = server.services
        handle = services.core.handle_event

        def record(event: TransactionEvent, now: float) -> None:
            if isinstance(event, RequestReceived):
                seen.append(event.request.method)
            elif isinstance(event, ResponseReceived) and event.response.cseq is not None:
                seen.append(f"{event.response.status} {event.response.cseq.method}")
            handle(event, now)
        services.core.handle_event = record  # type: ignore[method-assign]
        linphone = None
        try:
            host, port = server.manager.address("UDP")
            baresip_conf(tmp_path / "bob", free_udp_port(),
                         f'<sip:bob@{DOMAIN}>;auth_pass=bob-pw;outbound="sip:{host}:{port}";regint=600;'
                         "audio_codecs=opus/48000/2;answermode=auto")
            bob = await start_baresip(tmp_path / "bob", 40)
            await wait_for(lambda: services.location.lookup(f"sip:bob@{DOMAIN}", time.time()), "bob did not register")

            rc = tmp_path / "linphonerc"
            rc.write_text(f"[sip]\nsip_port={free_udp_port()}\nsip_tcp_port=0\nsip_tls_port=0\n"
                          f"bind_address=127.0.0.1\n[rtp]\naudio_rtp_port={free_udp_port()}\n")
            home = tmp_path / "home"
            (home / ".local" / "share" / "linphone").mkdir(parents=True)
            env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")}
            log = (tmp_path / "linphonec.log").open("wb")
            linphone = await asyncio.create_subprocess_exec(
                linphonec, "-c", str(rc), "-d", "0", cwd=tmp_path, env=env,
                stdin=asyncio.subprocess.PIPE, stdout=log, stderr=asyncio.subprocess.STDOUT)
            assert linphone.stdin is not None

            async def command(text: str) -> None:
                assert linphone is not None and linphone.stdin is not None
                linphone.stdin.write(text.encode() + b"\n")
                await linphone.stdin.drain()

            await asyncio.sleep(2.0)  # linphonec drops commands typed before it is up
            await command("soundcard use files")
            await command(f"register sip:alice@{DOMAIN} sip:{host}:{port} alice-pw")
            await wait_for(lambda: services.location.lookup(f"sip:alice@{DOMAIN}", time.time()),
                           "alice did not register")
            # liblinphone resolves the Request-URI's domain itself (no DNS for example.com
            # here), so the call names the server's address; bob@<this server> is the
            # AOR bob@example.com (the default domain).
            await command(f"call sip:bob@{host}:{port}")
            await wait_for(lambda: "200 INVITE" in seen and "ACK" in seen, f"no answered call: {seen}")
            await asyncio.sleep(1.0)
            await command("terminate")
            await wait_for(lambda: "200 BYE" in seen, f"no BYE: {seen}")
            await command("quit")
            await asyncio.wait_for(linphone.wait(), WAIT)
            bob.terminate()
            await finish(bob)
            assert server.manager.counters.internal_errors == 0
        finally:
            if linphone is not None and linphone.returncode is None:
                linphone.kill()
                await linphone.wait()
            await server.stop()
    asyncio.run(scenario())
