"""SIGTERM: ucd stops taking new work (503 + Retry-After), lets a transaction in progress
finish, persists bindings and exits 0. Raw UDP user agents on loopback; digest answers
computed with uc_signal.sip's DigestClient; every receive bounded."""

from __future__ import annotations

import json
import secrets
import signal
import socket
from dataclasses import dataclass, field

from ucd_harness import start_ucd
from uc_signal.sip import DigestClient, Request, Response, parse_message

WAIT = 20.0


@dataclass
class RawUa:
    user: str
    password: str
    server: tuple[str, int]
    sock: socket.socket = field(default_factory=lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    cseq: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(WAIT)
        self.port = self.sock.getsockname()[1]
        self.digest = DigestClient(self.user, self.password)

    def request(self, method: str, uri: str, to: str, *, call_id: str | None = None, extra: str = "",
                branch: str | None = None, cseq: int | None = None, to_tag: str = "") -> tuple[str, str, int]:
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = branch or "z9hG4bK" + secrets.token_hex(8)
        call_id = call_id or secrets.token_hex(8) + "@test"
        text = (f"{method} {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:{self.user}@example.test>;tag={self.user}-tag\r\n"
                f"To: <{to}>{';tag=' + to_tag if to_tag else ''}\r\n"
                f"Call-ID: {call_id}\r\n"
                f"CSeq: {cseq} {method}\r\n"
                f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>\r\n"
                f"{extra}"
                "Content-Length: 0\r\n\r\n")
        self.sock.sendto(text.encode(), self.server)
        return call_id, branch, cseq

    def receive(self) -> Request | Response:
        data, _ = self.sock.recvfrom(65535)
        return parse_message(data)

    def final(self) -> Response:
        for _ in range(20):
            message = self.receive()
            if isinstance(message, Response) and message.status >= 200:
                return message
        raise AssertionError("no final response")

    def authenticated(self, method: str, uri: str, to: str, extra: str = "") -> tuple[Response, str]:
        call_id, _, _ = self.request(method, uri, to, extra=extra)
        challenge = self.final()
        assert challenge.status in (401, 407), challenge.status
        header = "WWW-Authenticate" if challenge.status == 401 else "Proxy-Authenticate"
        answer = "Authorization" if challenge.status == 401 else "Proxy-Authorization"
        credentials = self.digest.authorize(challenge.headers.get(header), method, uri)
        self.request(method, uri, to, call_id=call_id, extra=extra + f"{answer}: {credentials}\r\n")
        return self.final() if method != "INVITE" else None, call_id  # type: ignore[return-value]

    def close(self) -> None:
        self.sock.close()


def test_sigterm_turns_new_requests_away_finishes_the_open_invite_and_exits_0(tmp_path):
    ucd = start_ucd(tmp_path, {"daemon": {"shutdown_grace": 30.0}})
    alice = bob = None
    try:
        ucd.add_users("alice", "bob")
        server = ucd.sip_address("UDP")
        alice, bob = RawUa("alice", "alice-pw", server), RawUa("bob", "bob-pw", server)
        registered, _ = bob.authenticated("REGISTER", "sip:example.test", "sip:bob@example.test",
                                          extra="Expires: 600\r\n")
        assert registered.status == 200

        # alice calls bob; bob receives the INVITE and does not answer yet.
        alice.authenticated("INVITE", "sip:bob@example.test", "sip:bob@example.test")
        for _ in range(5):
            invite = bob.receive()
            if isinstance(invite, Request) and invite.method == "INVITE":
                break
        assert isinstance(invite, Request) and invite.method == "INVITE"

        ucd.proc.send_signal(signal.SIGTERM)
        ucd.wait_for(r"draining")

        # New work is refused while the INVITE is still open...
        alice.request("OPTIONS", "sip:example.test", "sip:example.test")
        refused = alice.final()
        assert refused.status == 503
        assert refused.headers.get("Retry-After") == "5"
        assert ucd.proc.poll() is None

        # ...and the open transaction finishes: bob declines, alice gets the 486.
        busy = "SIP/2.0 486 Busy Here\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in invite.headers.items()
            if name.lower() in ("via", "from", "call-id", "cseq")) + \
            f"To: {invite.headers.get('To')};tag=bob-busy\r\nContent-Length: 0\r\n\r\n"
        bob.sock.sendto(busy.encode(), server)
        answer = alice.final()
        assert answer.status == 486
        code = ucd.stop()
    finally:
        for ua in (alice, bob):
            if ua is not None:
                ua.close()
        if ucd.proc.poll() is None:
            ucd.stop(signal.SIGKILL)
    assert code == 0, ucd.output()
    output = ucd.output()
    assert "still unfinished" not in output
    assert "bindings persisted" in output and "stopped" in output

    again = start_ucd(tmp_path, name="again.toml")
    try:
        found = json.loads(again.ucctl("registrations", "--json").stdout)
        assert [b["contact"] for b in found] == [f"sip:bob@127.0.0.1:{bob.port}"]
    finally:
        assert again.stop() == 0


def test_sigterm_when_idle_exits_0_at_once_with_json_logs(tmp_path):
    ucd = start_ucd(tmp_path, {"daemon": {"shutdown_grace": 30.0}, "log": {"format": "json"}})
    assert ucd.stop() == 0
    logged = [json.loads(line) for line in ucd.lines if line.startswith("{")]
    messages = [entry["msg"] for entry in logged]
    assert "ready" in messages and "stopped" in messages
    assert next(e for e in logged if e["msg"] == "ready")["domain"] == "example.test"
    assert not any("still unfinished" in message for message in messages)
    # Everything else on the merged output is the sign-in banner, which goes to stdout.
    assert all(line.startswith("{") or not line.startswith("20") for line in ucd.lines)
