"""Presence subscriptions of watchers over TCP and WebSocket when their connection goes
away: across a real ucd restart (SIGTERM, then a new process on the same data directory
and ports), and on a plain connection drop. Python clients with digest credentials:

- after the restart the old connections are gone; nothing reaches a watcher until it
  registers again on a new connection; then it gets the current state in its old dialog,
  with a CSeq above every NOTIFY it got, and the next PUBLISH's change after it;
- a change published while a watcher is unreachable is not lost: the watcher gets the
  state as it is when it registers again;
- an outbound watcher (+sip.instance, reg-id) that registers again under a new Contact
  is found by its instance;
- a WebSocket watcher (a .invalid Contact, nothing to connect to) is reached through its
  new registration;
- a watcher whose connection dropped while ucd kept running is reached the same way;
- a resource-list subscriber (RFC 4662) gets the full state in its old dialog, with an
  RLMI version above the last one it got.
"""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from presence_udp import DOMAIN, pidf, shown_state
from uc_signal.rls import parse_list_body
from uc_signal.rls.rlmi import RlmiList
from uc_signal.sip import NEED_DATA, DigestClient, MessageReceived, Request, Response, StreamFramer, make_response
from ucd_harness import Ucd, start_ucd

SETTINGS: dict[str, dict[str, Any]] = {"auth": {"algorithms": ["MD5"]}, "presence": {"state_flush_interval": 0.1}}
INSTANCE = "urn:uuid:6f0c8b1e-2a55-4d3c-9a3e-0a95a0e1280b"
WAIT = 20.0


class Agent:
    """One user's endpoint over one TCP connection or WebSocket: requests answered once
    with digest credentials, NOTIFYs answered 200 and kept (every wait bounded)."""

    def __init__(self, ucd: Ucd, user: str, transport: str, contact: str = "", contact_params: str = "",
                 cseq: int = 0) -> None:
        """`cseq`: where the agent's CSeq went before (a UA that reconnects goes on from it)."""
        self.user = user
        self.transport = transport
        self.framer = StreamFramer()
        self.ws: ClientConnection | None = None
        self.sock: socket.socket | None = None
        self._stack = ExitStack()
        host, port = ucd.sip_address(transport)
        if transport == "WS":
            self.ws = self._stack.enter_context(
                connect(f"ws://{host}:{port}/", subprotocols=["sip"], open_timeout=WAIT))  # type: ignore[list-item]
            self.via_host = "df7jal23ls0d.invalid"
        else:
            self.sock = socket.create_connection((host, port), timeout=WAIT)
            self.sock.settimeout(0.2)
            self.via_host = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.contact = contact or f"sip:{user}@{self.via_host};transport={transport.lower()}"
        self.contact_params = contact_params
        self.cseq = cseq
        self.notifies: list[Request] = []
        self.responses: list[Response] = []

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{DOMAIN}"

    def close(self) -> None:
        self._stack.close()
        if self.sock is not None:
            self.sock.close()

    def _write(self, data: bytes) -> None:
        if self.ws is not None:
            self.ws.send(data.decode())
        else:
            assert self.sock is not None
            self.sock.sendall(data)

    def _read(self) -> list[Request | Response]:
        """What arrived within a short poll (nothing when the connection is closed)."""
        if self.ws is not None:
            try:
                frame = self.ws.recv(timeout=0.2)
            except TimeoutError:
                return []
            except ConnectionClosed:
                time.sleep(0.2)
                return []
            self.framer.receive_data(frame.encode() if isinstance(frame, str) else frame)
        else:
            assert self.sock is not None
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return []
            except OSError:
                data = b""
            if not data:
                time.sleep(0.2)   # closed by the server (the old process went away)
                return []
            self.framer.receive_data(data)
        messages: list[Request | Response] = []
        while isinstance(event := self.framer.next_event(), MessageReceived):
            messages.append(event.message)
        assert event is NEED_DATA, event
        return messages

    def poll(self, timeout: float) -> None:
        """Read for `timeout` seconds: NOTIFYs answered and kept, responses kept."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self._read():
                if isinstance(message, Request) and message.method == "NOTIFY":
                    self._write(bytes(make_response(message, 200)))
                    self.notifies.append(message)
                elif isinstance(message, Response):
                    self.responses.append(message)

    def notify(self, after: int) -> Request:
        """The first NOTIFY beyond the first `after` this agent got."""
        deadline = time.monotonic() + WAIT
        while len(self.notifies) <= after and time.monotonic() < deadline:
            self.poll(0.2)
        assert len(self.notifies) > after, f"no NOTIFY for {self.user} within {WAIT} s"
        return self.notifies[after]

    def _send(self, method: str, uri: str, call_id: str, extra: str, body: str, to: str) -> None:
        self.cseq += 1
        content = "Content-Type: application/pidf+xml\r\n" if body else ""
        self._write((f"{method} {uri} SIP/2.0\r\n"
                     f"Via: SIP/2.0/{self.transport} {self.via_host};branch=z9hG4bK-{self.user}-{call_id}-{self.cseq}\r\n"
                     f"Max-Forwards: 70\r\nFrom: <{self.aor}>;tag={self.user}-tag\r\nTo: {to}\r\n"
                     f"Call-ID: {call_id}\r\nCSeq: {self.cseq} {method}\r\n"
                     f"Contact: <{self.contact}>{self.contact_params}\r\n{extra}{content}"
                     f"Content-Length: {len(body.encode())}\r\n\r\n{body}").encode())

    def _final(self) -> Response:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            finals = [r for r in self.responses if r.status >= 200]
            if finals:
                self.responses.clear()
                return finals[0]
            self.poll(0.2)
        raise AssertionError(f"no final response for {self.user} within {WAIT} s")

    def request(self, method: str, uri: str, call_id: str, extra: str = "", body: str = "",
                to: str | None = None) -> Response:
        """Send; a 401 or 407 is answered once with credentials. The final response."""
        to = to or f"<{uri}>"
        self._send(method, uri, call_id, extra, body, to)
        response = self._final()
        if response.status in (401, 407):
            challenge, field = ("WWW-Authenticate", "Authorization") if response.status == 401 else \
                ("Proxy-Authenticate", "Proxy-Authorization")
            auth = DigestClient(self.user, f"{self.user}-pw").authorize(
                response.headers.get_all(challenge)[-1], method, uri)
            self._send(method, uri, call_id, extra + f"{field}: {auth}\r\n", body, to)
            response = self._final()
        return response

    def register(self) -> Response:
        return self.request("REGISTER", f"sip:{DOMAIN}", f"reg-{self.user}", "Expires: 600\r\nSupported: outbound\r\n",
                            to=f"<{self.aor}>")

    def subscribe(self, presentity: str) -> Response:
        return self.request("SUBSCRIBE", presentity, f"{self.user}-watches", "Event: presence\r\nExpires: 600\r\n")


def publish(agent: Agent, activities: str, etag: str = "") -> str:
    headers = "Event: presence\r\nExpires: 600\r\n" + (f"SIP-If-Match: {etag}\r\n" if etag else "")
    response = agent.request("PUBLISH", agent.aor, "alice-publishes", headers, pidf("alice", activities))
    assert response.status == 200, response
    return response.headers.get("SIP-ETag") or ""


def restarted(tmp_path: Path, ucd: Ucd) -> Ucd:
    """SIGTERM, then ucd again on the same data and ports (the dialogs' Contact names them)."""
    ports: dict[str, Any] = {"udp_port": ucd.sip_address("UDP")[1], "tcp_port": ucd.sip_address("TCP")[1]}
    assert ucd.stop() == 0, ucd.output()
    assert "presence state persisted" in ucd.output()
    return start_ucd(tmp_path, {**SETTINGS, "sip": ports})


def in_old_dialog(notify: Request, watcher: str, last_cseq: int) -> bool:
    return notify.headers.get("Call-ID") == f"{watcher}-watches" and notify.cseq is not None \
        and notify.cseq.seq > last_cseq and notify.to is not None and notify.to.tag == f"{watcher}-tag"


def test_watchers_over_tcp_and_ws_get_their_notifies_after_a_restart_once_registered_again(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    agents: list[Agent] = []
    try:
        ucd.add_users("alice", "bob", "carol", "dave")
        alice = Agent(ucd, "alice", "TCP")
        carol = Agent(ucd, "carol", "TCP")   # a plain TCP UA: the same Contact when it registers again
        bob = Agent(ucd, "bob", "TCP", contact_params=f';+sip.instance="<{INSTANCE}>";reg-id=1')   # outbound
        dave = Agent(ucd, "dave", "WS")
        agents += [alice, carol, bob, dave]
        etag = publish(alice, "")
        for watcher in (carol, bob, dave):
            assert watcher.register().status == 200
            assert watcher.subscribe(alice.aor).status == 200
            assert shown_state(watcher.notify(0).body) == "Available"
        last = {w.user: max(n.cseq.seq for n in w.notifies if n.cseq) for w in (carol, bob, dave)}
        carol_contact = carol.contact

        ucd = restarted(tmp_path, ucd)
        for agent in agents:
            agent.close()
        agents.clear()
        alice = Agent(ucd, "alice", "TCP", cseq=alice.cseq)
        agents.append(alice)

        carol = Agent(ucd, "carol", "TCP", contact=carol_contact, cseq=carol.cseq)
        agents.append(carol)
        assert carol.register().status == 200
        resumed = carol.notify(0)   # the current state, in the old dialog
        assert in_old_dialog(resumed, "carol", last["carol"]) and shown_state(resumed.body) == "Available"
        etag = publish(alice, "<rpid:busy/>", etag)
        busy = carol.notify(1)
        assert resumed.cseq is not None and in_old_dialog(busy, "carol", resumed.cseq.seq) and shown_state(busy.body) == "Busy"

        # bob and dave were unreachable when alice became Busy: they get it on registering again.
        bob = Agent(ucd, "bob", "TCP", contact_params=f';+sip.instance="<{INSTANCE}>";reg-id=1',
                    cseq=bob.cseq)   # a new Contact (its new port)
        dave = Agent(ucd, "dave", "WS", cseq=dave.cseq)
        agents += [bob, dave]
        for watcher in (bob, dave):
            assert watcher.register().status == 200
            notify = watcher.notify(0)
            assert in_old_dialog(notify, watcher.user, last[watcher.user]), notify
            assert shown_state(notify.body) == "Busy"
            assert notify.top_via is not None and notify.top_via.transport == watcher.transport
        etag = publish(alice, "<rpid:away/>", etag)
        for watcher in (carol, bob, dave):
            assert shown_state(watcher.notify(len(watcher.notifies)).body) == "Away"
    finally:
        for agent in agents:
            agent.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()


def test_a_tcp_watcher_whose_connection_dropped_gets_the_state_it_missed_when_it_registers_again(
        tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    agents: list[Agent] = []
    try:
        ucd.add_users("alice", "carol")
        alice, carol = Agent(ucd, "alice", "TCP"), Agent(ucd, "carol", "TCP")
        agents += [alice, carol]
        etag = publish(alice, "")
        assert carol.register().status == 200
        assert carol.subscribe(alice.aor).status == 200
        assert shown_state(carol.notify(0).body) == "Available"
        last = carol.notifies[-1].cseq.seq   # type: ignore[union-attr]
        contact = carol.contact

        carol.close()
        agents.remove(carol)
        for activities in ("<rpid:busy/>", "<rpid:away/>"):   # while carol is gone
            etag = publish(alice, activities, etag)
        carol = Agent(ucd, "carol", "TCP", contact=contact, cseq=carol.cseq)
        agents.append(carol)
        assert carol.register().status == 200
        missed = carol.notify(0)
        assert in_old_dialog(missed, "carol", last) and shown_state(missed.body) == "Away"
        publish(alice, "", etag)
        back = carol.notify(1)
        assert missed.cseq is not None and in_old_dialog(back, "carol", missed.cseq.seq) and shown_state(back.body) == "Available"
    finally:
        for agent in agents:
            agent.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()


def test_a_list_subscriber_over_tcp_gets_the_full_state_in_its_old_dialog_after_a_restart(tmp_path: Path) -> None:
    settings = {**SETTINGS, "rls": {"notify_interval": 0.2}}
    ucd = start_ucd(tmp_path, settings)
    agents: list[Agent] = []
    list_uri = f"sip:carol@{DOMAIN};list=contacts"
    subscribe_headers = ("Event: presence\r\nSupported: eventlist\r\nExpires: 600\r\n"
                         "Accept: multipart/related, application/rlmi+xml, application/pidf+xml\r\n")

    def rlmi(notify: Request) -> RlmiList:
        assert notify.content_type is not None, notify
        return parse_list_body(notify.body, notify.content_type).rlmi

    try:
        ucd.add_users("alice", "carol")
        with ucd.api() as client:
            assert client.post("/api/v1/users/carol/contacts", json={"uri": "alice"}).status_code == 201
        alice, carol = Agent(ucd, "alice", "TCP"), Agent(ucd, "carol", "TCP")
        agents += [alice, carol]
        etag = publish(alice, "")
        assert carol.register().status == 200
        assert carol.request("SUBSCRIBE", list_uri, "carol-watches", subscribe_headers).status == 200
        first = carol.notify(0)
        assert rlmi(first).full_state and first.cseq is not None

        ports: dict[str, Any] = {"udp_port": ucd.sip_address("UDP")[1], "tcp_port": ucd.sip_address("TCP")[1]}
        assert ucd.stop() == 0, ucd.output()
        ucd = start_ucd(tmp_path, {**settings, "sip": ports})
        for agent in agents:
            agent.close()
        alice = Agent(ucd, "alice", "TCP", cseq=alice.cseq)
        carol = Agent(ucd, "carol", "TCP", contact=carol.contact, cseq=carol.cseq)
        agents[:] = [alice, carol]
        publish(alice, "<rpid:busy/>", etag)   # while carol cannot be reached
        assert carol.register().status == 200
        resumed = carol.notify(0)
        assert in_old_dialog(resumed, "carol", first.cseq.seq)
        document = rlmi(resumed)
        assert document.full_state and document.version > rlmi(first).version   # RFC 4662: full state again
        assert b"<ucs:state>Busy</ucs:state>" in resumed.body
    finally:
        for agent in agents:
            agent.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()
