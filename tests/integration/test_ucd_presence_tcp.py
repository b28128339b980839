"""Presence over TCP against ucd, from Python: a watcher subscribed over TCP gets its
NOTIFYs (pre-serialised per subscription, in encoded client transactions) over its own
connection, with a TCP Via and the dialog's CSeq going up by one, and the new state after a
PUBLISH sent over another connection."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from uc_signal.sip import NEED_DATA, DigestClient, MessageReceived, Request, Response, StreamFramer, make_response
from ucd_harness import start_ucd

ALICE = "sip:alice@example.test"


class TcpAgent:
    def __init__(self, address: tuple[str, int], user: str) -> None:
        self.sock = socket.create_connection(address, timeout=20)
        self.sock.settimeout(0.5)
        self.local = self.sock.getsockname()
        self.user = user
        self.framer = StreamFramer()
        self.cseq = 0

    def send(self, method: str, uri: str, call_id: str, extra: str = "", body: str = "") -> None:
        self.cseq += 1
        host, port = self.local[0], self.local[1]
        self.sock.sendall((f"{method} {uri} SIP/2.0\r\n"
                           f"Via: SIP/2.0/TCP {host}:{port};branch=z9hG4bK-{self.user}-{self.cseq}\r\n"
                           f"Max-Forwards: 70\r\nFrom: <sip:{self.user}@example.test>;tag=tcp-{self.user}\r\n"
                           f"To: <{uri}>\r\nCall-ID: {call_id}\r\nCSeq: {self.cseq} {method}\r\n"
                           f"Contact: <sip:{self.user}@{host}:{port};transport=tcp>\r\n{extra}"
                           f"Content-Length: {len(body.encode())}\r\n\r\n{body}").encode())

    def next_message(self, timeout: float = 20.0) -> Request | Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.framer.next_event()
            if isinstance(event, MessageReceived):
                return event.message
            assert event is NEED_DATA, event
            try:
                self.framer.receive_data(self.sock.recv(65536))
            except socket.timeout:
                continue
        raise AssertionError(f"nothing from ucd over TCP for {self.user}")

    def authorized(self, method: str, uri: str, call_id: str, extra: str = "", body: str = "") -> Response:
        """Send, answer the 407 with credentials, return the final response."""
        self.send(method, uri, call_id, extra, body)
        challenge = self.next_message()
        assert isinstance(challenge, Response) and challenge.status == 407, challenge
        auth = DigestClient(self.user, f"{self.user}-pw").authorize(
            challenge.headers.get_all("Proxy-Authenticate")[-1], method, uri)
        self.send(method, uri, call_id, extra + f"Proxy-Authorization: {auth}\r\n", body)
        final = self.next_message()
        assert isinstance(final, Response), final
        return final


def pidf(activities: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
            f'entity="{ALICE}"><tuple id="t"><status><basic>open</basic></status></tuple>'
            f'<dm:person id="p"><rpid:activities>{activities}</rpid:activities></dm:person></presence>')


def test_a_watcher_over_tcp_gets_each_change_on_its_own_connection(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, {"auth": {"algorithms": ["MD5"]}})
    try:
        ucd.add_users("alice", "bob")
        alice, bob = TcpAgent(ucd.sip_address("TCP"), "alice"), TcpAgent(ucd.sip_address("TCP"), "bob")
        try:
            published = alice.authorized("PUBLISH", ALICE, "tcp-pub", "Event: presence\r\nExpires: 600\r\n"
                                         "Content-Type: application/pidf+xml\r\n", pidf("<rpid:away/>"))
            assert published.status == 200
            etag = published.headers.get("SIP-ETag")
            assert bob.authorized("SUBSCRIBE", ALICE, "tcp-sub", "Event: presence\r\nExpires: 600\r\n").status == 200
            notifies = []
            for activities, state in (("", "Away"), ("<rpid:busy/>", "Busy")):
                if activities:
                    modified = alice.authorized("PUBLISH", ALICE, "tcp-pub", "Event: presence\r\nExpires: 600\r\n"
                                                f"SIP-If-Match: {etag}\r\nContent-Type: application/pidf+xml\r\n",
                                                pidf(activities))
                    assert modified.status == 200
                notify = bob.next_message()
                assert isinstance(notify, Request) and notify.method == "NOTIFY"
                bob.sock.sendall(bytes(make_response(notify, 200)))
                assert f"<ucs:state>{state}</ucs:state>".encode() in notify.body
                notifies.append(notify)
            for notify in notifies:
                notify.validate()
                assert notify.top_via is not None and notify.top_via.transport == "TCP"
                assert notify.uri_text == f"sip:bob@{bob.local[0]}:{bob.local[1]};transport=tcp"
                assert notify.headers.get("Subscription-State", "").startswith("active;expires=")
                assert [c.uri_text.endswith(";transport=tcp") for c in notify.contact] == [True]
            assert [n.cseq.seq for n in notifies] == [1, 2]   # type: ignore[union-attr]
        finally:
            alice.sock.close()
            bob.sock.close()
    finally:
        assert ucd.stop() == 0, ucd.output()
