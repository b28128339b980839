"""sipp drives presence against a real ucd (tests/integration/sipp/presence_uac.xml):
PUBLISH with digest, SUBSCRIBE, the first NOTIFY, a modification with SIP-If-Match and
its NOTIFY, unsubscription with a terminated NOTIFY, removal of the publication."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from peers import sipp_media_port
from ucd_harness import start_ucd, ucctl_json

SCENARIO = Path(__file__).parent / "sipp" / "presence_uac.xml"
DOMAIN = "example.test"
pytestmark = pytest.mark.peer


def test_sipp_publishes_subscribes_and_gets_the_notifies(tmp_path):
    sipp = shutil.which("sipp")
    assert sipp, "sipp is not installed (make test installs sip-tester)"
    ucd = start_ucd(tmp_path, {"auth": {"algorithms": ["MD5"]}})
    try:
        ucd.add_users("alice")
        host, port = ucd.sip_address("UDP")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            local_port = probe.getsockname()[1]
        result = subprocess.run(
            [sipp, f"{host}:{port}", "-sf", str(SCENARIO), "-s", "alice", "-m", "1", "-l", "1", "-i", "127.0.0.1",
             "-p", str(local_port), "-mp", str(sipp_media_port()), "-au", "alice", "-ap", "alice-pw",
             "-auth_uri", f"alice@{DOMAIN}", "-set", "domain", DOMAIN, "-timeout", "30s", "-timeout_error",
             "-max_retrans", "5", "-nostdin", "-trace_err", "-error_file", str(tmp_path / "sipp-errors.log")],
            capture_output=True, text=True, timeout=60, cwd=tmp_path)
        errors = (tmp_path / "sipp-errors.log").read_text() if (tmp_path / "sipp-errors.log").exists() else ""
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr + errors + ucd.output()
        assert ucctl_json(ucd, "presence", "show", "alice")["availability"] == "offline"   # removed at the end
    finally:
        assert ucd.stop() == 0, ucd.output()


def sipp_command(host: str, port: int, scenario: str, service: str, tmp_path: Path, *extra: str,
                 local_port: int | None = None) -> list[str]:
    sipp = shutil.which("sipp")
    assert sipp, "sipp is not installed (make test installs sip-tester)"
    return [sipp, f"{host}:{port}", "-sf", str(SCENARIO.parent / scenario), "-s", service, "-m", "1",
            "-i", "127.0.0.1", "-p", str(local_port or free_udp_port()), "-mp", str(sipp_media_port()),
            "-timeout", "30s", "-timeout_error", "-max_retrans", "5", "-nostdin", "-trace_err",
            "-error_file", str(tmp_path / f"sipp-{scenario}-{service}.log"), *extra]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_sipp_call_through_ucd_shows_in_a_call_to_watchers(tmp_path):
    """alice (sipp UAC) calls bob (a registered sipp UAS) through ucd's proxy: carol, who
    watches both, sees each In a Call on the 200 and out of it on the BYE (the router's
    call events)."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.loadgen.presence_agents import Agents, notify_request

    ucd = start_ucd(tmp_path, {"auth": {"algorithms": ["MD5"]}})
    agents = None
    uas = None
    try:
        ucd.add_users("alice", "bob", "carol")
        host, port = ucd.sip_address("UDP")
        agents = Agents((host, port), DOMAIN)
        carol = agents.add("carol", "carol-pw")
        for target in ("alice", "bob"):
            uri = f"sip:{target}@{DOMAIN}"
            done = agents.transact([(carol, lambda auth, uri=uri: carol.build(
                "SUBSCRIBE", uri, call_id=f"sub-{uri}", extra="Event: presence\r\nExpires: 600\r\n" + auth))],
                method="SUBSCRIBE", uri_of=lambda _a, uri=uri: uri)
            assert done[carol].status == 200
        uas_port = free_udp_port()
        registered = subprocess.run(sipp_command(host, port, "register_digest.xml", "bob", tmp_path, "-au", "bob",
                                                 "-ap", "bob-pw", "-auth_uri", DOMAIN, "-set", "domain", DOMAIN,
                                                 "-set", "contact_port", str(uas_port)),
                                    capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert registered.returncode == 0, registered.stdout[-2000:]
        uas = subprocess.Popen(sipp_command(host, port, "uas_no180.xml", "bob", tmp_path, local_port=uas_port),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
        agents.pump(0.5)   # the UAS binds its port
        call = subprocess.run(sipp_command(host, port, "uac_invite_auth.xml", "bob", tmp_path, "-au", "alice",
                                           "-ap", "alice-pw", "-auth_uri", f"bob@{DOMAIN}", "-set", "domain",
                                           DOMAIN, "-set", "caller", "alice"),
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert call.returncode == 0, call.stdout[-2000:]
        assert uas.wait(timeout=60) == 0

        def states(user: str) -> list[str]:
            found = []
            for _, raw in carol.notifies:
                body = notify_request(raw).body.decode()
                if f'entity="sip:{user}@{DOMAIN}"' in body:
                    found.append(body[body.index("<ucs:state>") + 11:body.index("</ucs:state>")])
            return found

        assert agents.wait(lambda: states("alice")[-1:] == ["Offline"] and "In a Call" in states("alice")
                           and states("bob")[-1:] == ["Offline"] and "In a Call" in states("bob"), 20), \
            (states("alice"), states("bob"))
        assert states("alice") == ["Offline", "In a Call", "Offline"]
        assert states("bob") == ["Offline", "In a Call", "Offline"]
    finally:
        if uas is not None and uas.poll() is None:
            uas.kill()
            uas.wait(timeout=10)
        if agents is not None:
            agents.close()
        assert ucd.stop() == 0, ucd.output()
