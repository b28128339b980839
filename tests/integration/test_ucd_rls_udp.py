"""A list subscription over real UDP against ucd, driven from Python: the subscriber's
NOTIFYs carry the list, a contact added with ucctl arrives; the subscription outlives a
restart of ucd (SIGTERM, a new process on the same data and UDP port): a full-state
NOTIFY in the same dialog with a CSeq and an RLMI version above the last, then the next
change, and the subscriber's in-dialog refresh is accepted; deleting the owner ends it
with `noresource`."""

from __future__ import annotations

from pathlib import Path

from presence_udp import NotifyAnsweringSocket
from uc_signal.rls import parse_list_body
from uc_signal.sip import DigestClient, Response
from ucd_harness import Ucd, start_ucd

LIST_URI = "sip:alice@example.test;list=contacts"


class Subscriber(NotifyAnsweringSocket):
    def __init__(self, server: tuple[str, int]) -> None:
        super().__init__(server, poll=0.5)

    def subscribe(self, extra: str = "", to_tag: str = "", uri: str = LIST_URI) -> None:
        self.cseq += 1
        to = f"<{LIST_URI}>" + (f";tag={to_tag}" if to_tag else "")
        message = (f"SUBSCRIBE {uri} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK-py-{self.cseq};rport\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:alice@example.test>;tag=py-alice\r\n"
                   f"To: {to}\r\nCall-ID: py-list-1\r\nCSeq: {self.cseq} SUBSCRIBE\r\n"
                   f"Contact: <sip:alice@127.0.0.1:{self.port}>\r\nEvent: presence\r\nSupported: eventlist\r\n"
                   f"Expires: 600\r\n{extra}Content-Length: 0\r\n\r\n")
        self.sock.sendto(message.encode(), self.server)


SETTINGS = {"auth": {"algorithms": ["MD5"]}, "rls": {"notify_interval": 0.5}}


def subscribed(ucd: Ucd) -> tuple[Subscriber, Response]:
    """alice subscribed to her list (407 answered); the 200."""
    subscriber = Subscriber(ucd.sip_address("UDP"))
    subscriber.subscribe()
    challenge = subscriber.response()
    assert challenge.status == 407
    auth = DigestClient("alice", "alice-pw").authorize(challenge.headers.get_all("Proxy-Authenticate")[-1],
                                                       "SUBSCRIBE", LIST_URI)
    subscriber.subscribe(f"Proxy-Authorization: {auth}\r\n")
    accepted = subscriber.response()
    assert accepted.status == 200 and accepted.headers.get("Require") == "eventlist"
    return subscriber, accepted


def test_a_list_subscription_over_udp_goes_on_after_a_restart(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    subscriber: Subscriber | None = None
    try:
        ucd.add_users("alice")
        ucd.ucctl("contacts", "add", "alice", "bob", "--name", "Bob")
        subscriber, accepted = subscribed(ucd)
        first = subscriber.notify()
        assert first.content_type is not None
        body = parse_list_body(first.body, first.content_type)
        assert [(r.uri, r.name) for r in body.rlmi.resources] == [("sip:bob@example.test", "Bob")]

        ucd.ucctl("contacts", "add", "alice", "carol")
        second = subscriber.notify()
        assert second.content_type is not None
        before = parse_list_body(second.body, second.content_type).rlmi
        assert [r.uri for r in before.resources] == ["sip:bob@example.test", "sip:carol@example.test"]

        port = ucd.sip_address("UDP")[1]
        assert ucd.stop() == 0, ucd.output()   # SIGTERM: the subscription is kept, not ended
        assert all(not n.headers.get("Subscription-State", "").startswith("terminated")
                   for n in subscriber.notifies)
        ucd = start_ucd(tmp_path, {**SETTINGS, "sip": {"udp_port": port}})
        resumed = subscriber.notify()
        assert resumed.content_type is not None and resumed.headers.get("Call-ID") == "py-list-1"
        assert resumed.cseq.seq > second.cseq.seq and resumed.from_.tag == accepted.to.tag
        full = parse_list_body(resumed.body, resumed.content_type).rlmi
        assert full.full_state and full.version > before.version
        assert [r.uri for r in full.resources] == ["sip:bob@example.test", "sip:carol@example.test"]

        ucd.ucctl("contacts", "add", "alice", "dave")
        added = subscriber.notify()
        assert added.cseq.seq == resumed.cseq.seq + 1
        assert added.content_type is not None
        assert parse_list_body(added.body, added.content_type).rlmi.version == full.version + 1

        subscriber.subscribe(to_tag=accepted.to.tag, uri=accepted.contact[0].uri_text)   # in the old dialog
        assert subscriber.response().status == 200
    finally:
        if subscriber is not None:
            subscriber.close()
        if ucd.proc.poll() is None:
            assert ucd.stop() == 0, ucd.output()


def test_deleting_the_owner_ends_the_subscription_with_noresource(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, SETTINGS)
    subscriber: Subscriber | None = None
    try:
        ucd.add_users("alice")
        subscriber, _ = subscribed(ucd)
        subscriber.notify()
        ucd.ucctl("user", "remove", "alice")
        last = subscriber.notify()
        assert last.headers.get("Subscription-State") == "terminated;reason=noresource"
    finally:
        if subscriber is not None:
            subscriber.close()
        assert ucd.stop() == 0, ucd.output()
