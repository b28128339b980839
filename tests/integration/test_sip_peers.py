"""The message layer against a live peer: sipp registers with digest auth, sends an INVITE
with SDP and a SUBSCRIBE/NOTIFY pair to a small UDP responder built on uc_signal.sip.

sipp succeeding proves the other direction too: it parsed every response this package
serialised (401 with a challenge, 200, 100, 486) and found what it needed in them.
sipp missing is a failure, not a skip (`make test` installs it).
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
from pathlib import Path

import pytest
from peers import DatagramThread, require, sipp_media_port

from uc_signal.sip import ParseError, Request, make_response, parse_datagram

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("capture_sip_fixtures", ROOT / "scripts" / "capture_sip_fixtures.py")
assert _spec is not None and _spec.loader is not None
capture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(capture)


class Responder(DatagramThread):
    """Answers like the capture script's registrar/busy UAS, on an ephemeral port."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.errors: list[ParseError] = []

    def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            msg = parse_datagram(data)
            if not isinstance(msg, Request):
                return
            msg.validate()
        except ParseError as exc:
            self.errors.append(exc)
            return
        self.requests.append(msg)
        tag = hashlib.sha1((msg.call_id or "").encode()).hexdigest()[:8]
        if msg.method == "ACK":
            return
        if msg.method == "REGISTER" and not msg.authorization:
            reply = make_response(msg, 401, to_tag=tag)
            reply.headers.add("WWW-Authenticate", 'Digest realm="127.0.0.1", nonce="abc123", qop="auth"')
            replies = [reply]
        elif msg.method == "INVITE":
            replies = [make_response(msg, 100), make_response(msg, 486, to_tag=tag)]
        else:
            replies = [make_response(msg, 200, to_tag=tag)]
        for reply in replies:
            self.sock.sendto(bytes(reply), addr)


@pytest.mark.peer
@pytest.mark.parametrize("scenario", ["register", "invite", "notify"])
def test_sipp_scenarios_against_the_message_layer(tmp_path: Path, scenario: str) -> None:
    require("sipp")
    responder = Responder()
    responder.start()
    try:
        xml = tmp_path / f"{scenario}.xml"
        xml.write_text(capture.SIPP_SCENARIOS[scenario])
        result = subprocess.run(
            ["timeout", "30", "sipp", f"127.0.0.1:{responder.port}", "-sf", str(xml), "-m", "1",
             "-i", "127.0.0.1", "-p", "0", "-mp", str(sipp_media_port()), "-au", "alice", "-ap", "secret",
             "-timeout", "20", "-nostdin", "-trace_err"],
            cwd=tmp_path, capture_output=True, text=True, check=False)
    finally:
        responder.close()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert not responder.errors
    methods = [r.method for r in responder.requests]
    expected = {"register": ["REGISTER", "REGISTER"], "invite": ["INVITE", "ACK"],
                "notify": ["SUBSCRIBE", "NOTIFY"]}[scenario]
    assert methods == expected
    if scenario == "register":
        creds = responder.requests[1].authorization[0]
        assert (creds.username, creds.realm, creds.nonce, creds.qop) == ("alice", "127.0.0.1", "abc123", "auth")
        ha1 = hashlib.md5(b"alice:127.0.0.1:secret").hexdigest()
        ha2 = hashlib.md5(f"REGISTER:{creds.uri}".encode()).hexdigest()
        assert creds.response == hashlib.md5(
            f"{ha1}:abc123:{creds.nc}:{creds.cnonce}:auth:{ha2}".encode()).hexdigest()
    if scenario == "notify":
        notify = responder.requests[1]
        assert notify.subscription_state is not None and notify.subscription_state.state == "active"
        assert notify.body.startswith(b"<?xml") and notify.content_length == len(notify.body)
