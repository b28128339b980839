"""A list subscription over TCP against ucd, from Python: the NOTIFYs come back over the
subscriber's own connection (its flow), and a list of 300 contacts (a body larger than
one TCP segment) arrives whole."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from uc_signal.rls import parse_list_body
from uc_signal.sip import NEED_DATA, DigestClient, MessageReceived, Request, Response, StreamFramer, make_response
from ucd_harness import start_ucd

LIST_URI = "sip:alice@example.test;list=contacts"
CONTACTS = 300


def test_a_list_subscription_over_tcp_gets_its_notifies_on_the_same_connection(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, {"auth": {"algorithms": ["MD5"]}})
    try:
        ucd.add_users("alice")
        with ucd.api() as client:
            for n in range(CONTACTS):
                assert client.post("/api/v1/users/alice/contacts", json={"uri": f"user{n:03d}"}).status_code == 201
        with socket.create_connection(ucd.sip_address("TCP"), timeout=20) as sock:
            local = sock.getsockname()
            framer = StreamFramer()
            sock.settimeout(0.5)

            def subscribe(cseq: int, extra: str = "") -> None:
                sock.sendall((f"SUBSCRIBE {LIST_URI} SIP/2.0\r\n"
                              f"Via: SIP/2.0/TCP {local[0]}:{local[1]};branch=z9hG4bK-tcp-{cseq}\r\n"
                              "Max-Forwards: 70\r\nFrom: <sip:alice@example.test>;tag=tcp-alice\r\n"
                              f"To: <{LIST_URI}>\r\nCall-ID: tcp-list-1\r\nCSeq: {cseq} SUBSCRIBE\r\n"
                              f"Contact: <sip:alice@{local[0]}:{local[1]};transport=tcp>\r\nEvent: presence\r\n"
                              f"Supported: eventlist\r\nExpires: 600\r\n{extra}Content-Length: 0\r\n\r\n").encode())

            def next_message(timeout: float = 20.0) -> Request | Response:
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    event = framer.next_event()
                    if isinstance(event, MessageReceived):
                        return event.message
                    assert event is NEED_DATA, event
                    try:
                        framer.receive_data(sock.recv(65536))
                    except socket.timeout:
                        continue
                raise AssertionError("nothing from ucd over TCP")

            subscribe(1)
            challenge = next_message()
            assert isinstance(challenge, Response) and challenge.status == 407
            auth = DigestClient("alice", "alice-pw").authorize(challenge.headers.get_all("Proxy-Authenticate")[-1],
                                                               "SUBSCRIBE", LIST_URI)
            subscribe(2, f"Proxy-Authorization: {auth}\r\n")
            accepted = next_message()
            assert isinstance(accepted, Response) and accepted.status == 200
            notify = next_message()
            assert isinstance(notify, Request) and notify.method == "NOTIFY"
            assert notify.top_via is not None and notify.top_via.transport == "TCP"
            sock.sendall(bytes(make_response(notify, 200)))
            assert notify.content_type is not None and len(notify.body) > 16_000
            body = parse_list_body(notify.body, notify.content_type)
            assert [r.uri for r in body.rlmi.resources] == [f"sip:user{n:03d}@example.test" for n in range(CONTACTS)]
    finally:
        assert ucd.stop() == 0, ucd.output()
