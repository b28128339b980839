"""linphonec (liblinphone 5) registers to the registrar with digest auth and calls a
baresip user through the proxy: 407 answered, INVITE forwarded to bob's contact, bob
auto-answers, 200/ACK cross the proxy, `terminate` sends the BYE along the Record-Route.
linphonec and baresip must be installed (`make test` installs them)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from peers import baresip_config, baresip_sip_port, linphone_env, linphone_ports, linphone_rc, require, wait_until
from test_proxy_baresip import DOMAIN, WAIT, finish, start_baresip, start_recording_server

from uc_signal.directory import InMemoryUserDirectory

pytestmark = pytest.mark.peer


def test_linphonec_calls_a_baresip_user_through_the_proxy(tmp_path: Path) -> None:
    linphonec = require("linphonec")
    users = InMemoryUserDirectory()
    users.add_user("alice", DOMAIN, "alice-pw")
    users.add_user("bob", DOMAIN, "bob-pw")
    seen: list[str] = []

    async def scenario() -> None:
        server = await start_recording_server(tmp_path, users, b"linphone-test-secret-0123456789", seen)
        assert server.services is not None
        services = server.services
        linphone = None
        try:
            host, port = server.manager.address("UDP")
            baresip_config(tmp_path / "bob", baresip_sip_port(),
                         f'<sip:bob@{DOMAIN}>;auth_pass=bob-pw;outbound="sip:{host}:{port}";regint=600;'
                         "audio_codecs=opus/48000/2;answermode=auto")
            bob = await start_baresip(tmp_path / "bob", 40)
            await wait_until(lambda: services.location.lookup(f"sip:bob@{DOMAIN}", time.time()), "bob did not register")

            rc = linphone_rc(tmp_path / "linphonerc", *linphone_ports())
            env = linphone_env(tmp_path / "home")
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
            await wait_until(lambda: services.location.lookup(f"sip:alice@{DOMAIN}", time.time()),
                           "alice did not register")
            # liblinphone resolves the Request-URI's domain itself (no DNS for example.com
            # here), so the call names the server's address; bob@<this server> is the
            # AOR bob@example.com (the default domain).
            await command(f"call sip:bob@{host}:{port}")
            await wait_until(lambda: "200 INVITE" in seen and "ACK" in seen, f"no answered call: {seen}")
            await asyncio.sleep(1.0)
            await command("terminate")
            await wait_until(lambda: "200 BYE" in seen, f"no BYE: {seen}")
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
