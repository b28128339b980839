"""The RFC 6665 rules the notifiers share: the granted interval (423 under the minimum)
and what an in-dialog refresh must match (CSeq order, event package)."""

from __future__ import annotations

from uc_signal.application import RequestContext
from uc_signal.proxy.subscription_rules import accepts_refresh, granted_expires
from uc_signal.sip import Dialog, Request, Response, make_response, parse_message
from uc_signal.transport.peer import Peer


class Answers:
    def __init__(self) -> None:
        self.sent: list[Response] = []

    def reply(self, context: RequestContext, response: Response, *, stateless: bool = False) -> None:
        self.sent.append(response)


def subscribe(expires: int | None, cseq: int = 1, event: str = "presence", to_tag: str = "") -> Request:
    raw = ("SUBSCRIBE sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKs" + str(cseq) + "\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:alice@example.test>;tag=a\r\n"
           f"To: <sip:bob@example.test>{';tag=' + to_tag if to_tag else ''}\r\nCall-ID: s1\r\n"
           f"CSeq: {cseq} SUBSCRIBE\r\nContact: <sip:alice@192.0.2.9>\r\nEvent: {event}\r\n"
           + (f"Expires: {expires}\r\n" if expires is not None else "") + "Content-Length: 0\r\n\r\n")
    request = parse_message(raw.encode())
    assert isinstance(request, Request)
    return request


def context(request: Request, answers: Answers) -> RequestContext:
    return RequestContext(request, Peer("192.0.2.9", 5060), None, 0.0, answers, to_tag="n1")


def test_granted_interval_default_clamp_fetch_and_423() -> None:
    answers = Answers()
    rules = {"default": 3600, "minimum": 60, "maximum": 7200}
    assert granted_expires(context(subscribe(None), answers), **rules) == 3600
    assert granted_expires(context(subscribe(90000), answers), **rules) == 7200
    assert granted_expires(context(subscribe(0), answers), **rules) == 0
    assert answers.sent == []
    assert granted_expires(context(subscribe(10), answers), **rules) is None
    assert [(r.status, r.headers.get("Min-Expires")) for r in answers.sent] == [(423, "60")]


def test_a_refresh_needs_the_cseq_in_order_and_the_same_package() -> None:
    initial = subscribe(600)
    response = make_response(initial, 200, to_tag="n1")
    response.headers.add("Contact", "<sip:ucd@192.0.2.1>")
    dialog = Dialog.for_uas(initial, response)
    dialog.sent_response(response)
    answers = Answers()
    assert accepts_refresh(context(subscribe(600, cseq=2, to_tag="n1"), answers), dialog, "presence", "presence")
    assert not accepts_refresh(context(subscribe(600, cseq=1, to_tag="n1"), answers), dialog, "presence", "presence")
    assert not accepts_refresh(context(subscribe(600, cseq=3, event="dialog", to_tag="n1"), answers), dialog,
                               "presence", "presence, presence.winfo")
    assert [r.status for r in answers.sent] == [500, 489]
    assert answers.sent[1].headers.get("Allow-Events") == "presence, presence.winfo"
