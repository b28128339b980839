"""The registrar and proxy (SipServer: transport manager + sans-IO core) against sipp on
loopback UDP, with the in-memory user directory and binding store.

- sipp registers with digest auth (-au/-ap: sipp 3.6 cannot take a per-call username;
  -auth_uri: sipp's digest uri is otherwise the server's address, not the Request-URI,
  which RFC 7616 3.4.6 makes a 400).
- the project's load generator registers 20 users from a CSV, each with its own password.
- a sipp UAS (no 180, PEERS.md) is registered as bob by a sipp REGISTER whose Contact is
  the UAS's port; a sipp UAC calls bob through the proxy: 407 challenge, INVITE with
  Proxy-Authorization, 200, ACK and BYE along the Record-Route.
sipp must be installed (`make test` installs it): a missing sipp fails.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
import time
from pathlib import Path

import pytest
from peers import free_port, run_peer, sipp_media_port

from uc_signal.directory import InMemoryBindingStore, InMemoryUserDirectory
from uc_signal.proxy.server import SipServer
from uc_signal.sip import DigestAlgorithm
from uc_signal.transport import TransportConfig

pytestmark = pytest.mark.peer

SIPP_DIR = Path(__file__).parent / "sipp"
REPO = Path(__file__).resolve().parents[2]
DOMAIN = "example.com"
SECRET = b"integration-proxy-secret-0123456"


def sipp_args(server: tuple[str, int], scenario: str, service: str, calls: int, tmp_path: Path,
              *extra: str, port: int | None = None) -> list[str]:
    return ["sipp", f"{server[0]}:{server[1]}", "-sf", str(SIPP_DIR / scenario), "-s", service,
            "-m", str(calls), "-r", "10", "-i", "127.0.0.1", "-p", str(port or free_port()),
            "-mp", str(sipp_media_port()), "-timeout", "30s", "-timeout_error", "-max_retrans", "5",
            "-nostdin", "-trace_err",
            "-error_file", str(tmp_path / f"sipp_{scenario}_{service}.log"), *extra]


def make_server(tmp_path: Path, users: InMemoryUserDirectory) -> SipServer:
    config = TransportConfig(hosts=("127.0.0.1",), udp_port=0, tcp_port=None, tls_port=None,
                             data_dir=tmp_path, domain=DOMAIN)
    # sipp 3.6 answers only the first challenge and computes only MD5.
    return SipServer(config, domains=(DOMAIN,), users=users, store=InMemoryBindingStore(), secret=SECRET,
                     digest_algorithms=(DigestAlgorithm.MD5,))


def test_sipp_registers_with_digest(tmp_path: Path) -> None:
    users = InMemoryUserDirectory()
    users.add_user("alice", DOMAIN, "alice-pw")

    async def scenario() -> None:
        server = make_server(tmp_path, users)
        await server.start()
        try:
            address = server.manager.address("UDP")
            code, out = await run_peer(*sipp_args(
                address, "register_digest.xml", "alice", 5, tmp_path,
                "-au", "alice", "-ap", "alice-pw", "-auth_uri", DOMAIN, "-set", "domain", DOMAIN,
                "-set", "contact_port", "5999"))
            assert code == 0, out[-3000:]
            assert server.services is not None
            bindings = server.services.location.lookup(f"sip:alice@{DOMAIN}", time.time())
            assert [b.contact for b in bindings] == ["sip:alice@127.0.0.1:5999"]
            code, out = await run_peer(*sipp_args(
                address, "register_digest.xml", "alice", 1, tmp_path,
                "-au", "alice", "-ap", "wrong", "-auth_uri", DOMAIN, "-set", "domain", DOMAIN,
                "-set", "contact_port", "5998"))
            assert code != 0  # 403 where sipp expected 200
            assert len(server.services.location) == 1
        finally:
            await server.stop()
    asyncio.run(scenario())


def test_loadgen_registers_users_from_a_csv(tmp_path: Path) -> None:
    users = InMemoryUserDirectory()
    rows = [(f"user{i:03d}", f"pw-{i}") for i in range(20)]
    for name, password in rows:
        users.add_user(name, DOMAIN, password)
    with (tmp_path / "users.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)

    async def scenario() -> None:
        server = make_server(tmp_path, users)
        await server.start()
        try:
            host, port = server.manager.address("UDP")
            code, out = await run_peer(
                sys.executable, str(REPO / "benchmarks" / "loadgen" / "sip_register_load.py"),
                "--registrar", f"{host}:{port}", "--domain", DOMAIN, "--users", str(tmp_path / "users.csv"),
                "--count", "40", "--rate", "200", "--time-limit", "20", "--json")
            assert code == 0, out
            report = json.loads(out.strip().splitlines()[-1])
            assert report["completed"] == 40 and report["failed"] == 0, report
            assert report["statuses"] == {"200": 40, "401": 40}
            assert server.services is not None
            assert len(server.services.location) == 20
            # sipp's injection-file form, split over two generator processes
            (tmp_path / "users.sipp.csv").write_text("SEQUENTIAL\n" + "".join(f"{u};{p}\n" for u, p in rows))
            code, out = await run_peer(
                sys.executable, str(REPO / "benchmarks" / "loadgen" / "sip_register_load.py"),
                "--registrar", f"{host}:{port}", "--domain", DOMAIN, "--users", str(tmp_path / "users.sipp.csv"),
                "--count", "41", "--rate", "200", "--time-limit", "20", "--json", "--processes", "2")
            assert code == 0, out
            report = json.loads(out.strip().splitlines()[-1])
            assert (report["completed"], report["failed"], report["processes"]) == (41, 0, 2), report
        finally:
            await server.stop()
    asyncio.run(scenario())


def test_sipp_call_through_the_proxy_to_a_registered_sipp_uas(tmp_path: Path) -> None:
    users = InMemoryUserDirectory()
    users.add_user("alice", DOMAIN, "alice-pw")
    users.add_user("bob", DOMAIN, "bob-pw")
    calls = 5

    async def scenario() -> None:
        server = make_server(tmp_path, users)
        await server.start()
        try:
            address = server.manager.address("UDP")
            uas_port = free_port()
            code, out = await run_peer(*sipp_args(
                address, "register_digest.xml", "bob", 1, tmp_path,
                "-au", "bob", "-ap", "bob-pw", "-auth_uri", DOMAIN, "-set", "domain", DOMAIN,
                "-set", "contact_port", str(uas_port)))
            assert code == 0, out[-3000:]
            uas = asyncio.create_task(run_peer(*sipp_args(
                address, "uas_no180.xml", "bob", calls, tmp_path, port=uas_port), timeout=90))
            await asyncio.sleep(0.5)  # let the UAS bind its port
            code, out = await run_peer(*sipp_args(
                address, "uac_invite_auth.xml", "bob", calls, tmp_path,
                "-au", "alice", "-ap", "alice-pw", "-auth_uri", f"bob@{DOMAIN}", "-set", "domain", DOMAIN, "-set", "caller", "alice"),
                timeout=90)
            assert code == 0, out[-3000:]
            uas_code, uas_out = await uas
            assert uas_code == 0, uas_out[-3000:]
            assert server.manager.counters.internal_errors == 0
        finally:
            await server.stop()
    asyncio.run(scenario())
