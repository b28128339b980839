"""The focus's roster in a real ucd, over UDP with small SIP agents (no softphone): joins
get the meeting's roles, IM into the meeting reaches the other participant and lands in
the history, a C3P INFO from an attendee is 403 and from the organizer runs, and ucctl's
meeting commands (roster, mute, end) act on the running meeting. A graceful stop ends the
meetings: each participant gets a BYE, each conference-event watcher a terminating NOTIFY
(conferences are not kept across a restart, so no client waits on a dead subscription)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from sip_udp_agent import UdpAgent
from uc_signal.sip import Response
from ucd_harness import Ucd, start_ucd, ucctl_json

DOMAIN = "example.test"


def offer(port: int) -> bytes:
    return (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n").encode()


class Caller:
    """A UdpAgent's INVITE to the meeting, ACK, and requests within that dialog."""

    def __init__(self, agent: UdpAgent, uri: str) -> None:
        self.agent, self.uri = agent, uri
        self.call_id = secrets.token_hex(8)
        self.from_tag = secrets.token_hex(4)
        self.cseq = 0
        self.ok: Response | None = None

    def _head(self, method: str, target: str, to_tag: str | None, extra: str, body: bytes, cseq: int) -> bytes:
        agent = self.agent
        to = f"<{self.uri}>" + (f";tag={to_tag}" if to_tag else "")
        return (f"{method} {target} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{agent.port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <{agent.aor}>;tag={self.from_tag}\r\nTo: {to}\r\n"
                f"Call-ID: {self.call_id}\r\nCSeq: {cseq} {method}\r\n"
                f"Contact: <sip:{agent.user}@127.0.0.1:{agent.port}>\r\n{extra}"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    def join(self, media_port: int) -> Response:
        body = offer(media_port)

        def build(auth: str) -> bytes:
            self.cseq += 1
            return self._head("INVITE", self.uri, None, "Content-Type: application/sdp\r\n" + auth, body, self.cseq)
        ok = self.agent._transact(build, "INVITE", self.uri, 20.0)
        assert ok.status == 200, ok
        self.ok = ok
        self.agent.sock.sendto(self._head("ACK", self._target(), self._to_tag(), "", b"", self.cseq), self.agent.server)
        return ok

    def _target(self) -> str:
        assert self.ok is not None and self.ok.contact
        return self.ok.contact[0].uri_text

    def _to_tag(self) -> str:
        assert self.ok is not None and self.ok.to is not None and self.ok.to.tag
        return self.ok.to.tag

    def info(self, xml: str) -> Response:
        self.cseq += 1
        request = self._head("INFO", self._target(), self._to_tag(), "Content-Type: application/cccp+xml\r\n",
                             xml.encode(), self.cseq)
        self.agent.sock.sendto(request, self.agent.server)
        return self.agent._final("INFO", 20.0)


def c3p(control: str) -> str:
    return f'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="1">{control}</request>'


def test_roles_im_cccp_and_ucctl_on_a_running_meeting(tmp_path: Path) -> None:
    ucd: Ucd = start_ucd(tmp_path)
    agents: list[UdpAgent] = []
    try:
        ucd.add_users("alice", "bob")
        meeting = ucctl_json(ucd, "meeting", "add", "alice", "--subject", "Ops", "--presenters", "none")
        uri, conference_id = meeting["conference_uri"], meeting["conference_id"]
        server = ucd.sip_address("UDP")
        alice, bob = (UdpAgent(user, f"{user}-pw", DOMAIN, server) for user in ("alice", "bob"))
        agents += [alice, bob]
        assert alice.register().status == 200 and bob.register().status == 200
        not_running = ucd.ucctl("meeting", "roster", conference_id, check=False)
        assert not_running.returncode == 1 and "not running" in not_running.stderr + not_running.stdout
        calls = {"alice": Caller(alice, uri), "bob": Caller(bob, uri)}
        calls["alice"].join(40000)
        calls["bob"].join(40002)

        roster = ucctl_json(ucd, "meeting", "roster", conference_id)
        assert {p["entity"]: p["role"] for p in roster["participants"]} == {
            f"sip:alice@{DOMAIN}": "organizer", f"sip:bob@{DOMAIN}": "attendee"}, roster

        assert alice.message(uri, "agenda in chat").status == 200
        [received] = bob.wait_messages(1)
        assert received.body == b"agenda in chat" and received.from_ is not None
        assert received.from_.uri_text == f"sip:alice@{DOMAIN}"
        history = ucctl_json(ucd, "im", "history", "--user", "bob")
        assert [(h["sender"], h["conversation"]) for h in history] == [(f"sip:alice@{DOMAIN}", uri)], history

        lock = c3p("<modifyConferenceLock><locked>true</locked></modifyConferenceLock>")
        refused = calls["bob"].info(lock)
        assert refused.status == 403 and b'code="failure"' in refused.body
        assert calls["alice"].info(lock).status == 200
        assert ucctl_json(ucd, "meeting", "roster", conference_id)["locked"] is True

        ucd.ucctl("meeting", "mute", conference_id, f"sip:bob@{DOMAIN}")
        muted = {p["entity"]: p["muted"] for p in ucctl_json(ucd, "meeting", "roster", conference_id)["participants"]}
        assert muted == {f"sip:alice@{DOMAIN}": False, f"sip:bob@{DOMAIN}": True}
        ended = json.loads(ucd.ucctl("meeting", "end", conference_id, "--json").stdout)
        assert ended == {"control": "end", "participant": None}
        assert ucd.ucctl("meeting", "roster", conference_id, check=False).returncode == 1
    finally:
        for agent in agents:
            agent.close()
        assert ucd.stop() == 0, ucd.output()


def test_a_graceful_stop_ends_conference_event_subscriptions_with_a_terminating_notify(tmp_path: Path) -> None:
    ucd: Ucd = start_ucd(tmp_path)
    agents: list[UdpAgent] = []
    try:
        ucd.add_users("alice")
        uri = ucctl_json(ucd, "meeting", "add", "alice", "--subject", "Standup")["conference_uri"]
        alice = UdpAgent("alice", "alice-pw", DOMAIN, ucd.sip_address("UDP"))
        agents.append(alice)
        assert alice.register().status == 200
        Caller(alice, uri).join(40010)
        call_id = secrets.token_hex(8)
        subscribed = alice._transact(lambda auth: alice._request(
            "SUBSCRIBE", uri, uri, "Event: conference\r\nAccept: application/conference-info+xml\r\n"
            "Expires: 600\r\n" + auth, call_id=call_id), "SUBSCRIBE", uri, 20.0)
        assert subscribed.status == 200, subscribed
        [first] = alice.wait_requests("NOTIFY", lambda found: len(found) >= 1)
        assert (first.headers.get("Subscription-State") or "").startswith("active")

        assert ucd.stop() == 0, ucd.output()
        notifies = alice.wait_requests("NOTIFY", lambda found: len(found) >= 2, timeout=5.0)
        last = notifies[-1]
        assert last.call_id == call_id
        assert last.headers.get("Subscription-State") in ("terminated;reason=noresource",
                                                          "terminated;reason=deactivated"), last
        assert alice.wait_requests("BYE", lambda found: len(found) >= 1, timeout=5.0)
    finally:
        for agent in agents:
            agent.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()
