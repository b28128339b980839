"""Pre-serialised in-dialog requests (DialogRequestTemplate): byte for byte what the generic
path (Dialog.create_request, then serialisation) gives for the same dialog and arguments."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.sip import Dialog, DialogProtocolError, Request, Via, make_response, parse_message
from uc_signal.sip.request_template import DialogRequestTemplate

CONTACT = "sip:192.0.2.1:5060;transport=udp"


def subscribe(*, record_route: str = "", contact: str = "<sip:bob@192.0.2.20:5070;ob>",
              from_: str = '"Bob B." <sip:bob@example.com>;tag=b-tag') -> Request:
    raw = ("SUBSCRIBE sip:alice@example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.20:5070;branch=z9hG4bKs1;rport\r\n"
           "Max-Forwards: 70\r\n"
           f"From: {from_}\r\n"
           "To: <sip:alice@example.com>\r\n"
           "Call-ID: sub-1@192.0.2.20\r\n"
           "CSeq: 7 SUBSCRIBE\r\n"
           f"Contact: {contact}\r\n"
           f"{record_route}"
           "Event: presence\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n")
    message = parse_message(raw.encode())
    assert isinstance(message, Request)
    return message


def uas_dialog(request: Request) -> Dialog:
    """The notifier's dialog, as the presence agent makes it (12.1.1)."""
    ok = make_response(request, 200, to_tag="pa0123")
    ok.headers.add("Contact", f"<{CONTACT}>")
    return Dialog.for_uas(request, ok)


def via(branch: str = "z9hG4bKplaceholder", transport: str = "UDP", host: str = "192.0.2.1") -> Via:
    return Via(transport, host, 5060, {"branch": branch, "rport": None})


def generic(dialog: Dialog, branch: str, state: str, body: bytes, content_type: str | None,
            *, transport: str = "UDP", host: str = "192.0.2.1", contact: str | None = CONTACT) -> bytes:
    return bytes(dialog.create_request(
        "NOTIFY", via(branch, transport, host), contact=contact,
        extra_headers=[("Event", "presence;id=7"), ("Subscription-State", state)],
        body=body, content_type=content_type))


def template_for(dialog: Dialog, *, transport: str = "UDP", host: str = "192.0.2.1",
                 contact: str | None = CONTACT) -> DialogRequestTemplate:
    return DialogRequestTemplate(dialog, "NOTIFY", via("z9hG4bKignored", transport, host), contact=contact,
                                 fixed_headers=[("Event", "presence;id=7")])


PIDF = b'<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com"/>'

ROUTE_SETS = {
    "none": "",
    "loose": "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.net;lr;transport=tcp>\r\n",
    "strict": "Record-Route: <sip:p1.example.com;method=SUBSCRIBE>\r\nRecord-Route: <sip:p2.example.net;lr>\r\n",
}


@pytest.mark.parametrize("routes", sorted(ROUTE_SETS))
@pytest.mark.parametrize("body,content_type", [(PIDF, "application/pidf+xml"), (b"", None)])
def test_the_bytes_are_those_of_the_generic_path(routes: str, body: bytes, content_type: str | None) -> None:
    dialog = uas_dialog(subscribe(record_route=ROUTE_SETS[routes]))
    twin = copy.deepcopy(dialog)
    template = template_for(dialog)
    for number, state in enumerate(("active;expires=3600", "terminated;reason=timeout"), start=1):
        data = template.encode("z9hG4bK" + f"{number:016x}", [("Subscription-State", state)], body, content_type)
        expected = generic(twin, "z9hG4bK" + f"{number:016x}", state, body, content_type)
        assert data == expected
        parsed = parse_message(data)
        assert isinstance(parsed, Request)
        parsed.validate()
        assert parsed == parse_message(expected)
        assert parsed.cseq is not None and (parsed.cseq.seq, parsed.cseq.method) == (number, "NOTIFY")
        assert parsed.body == body and parsed.content_length == len(body)
    assert dialog.local_seq == twin.local_seq == 2


def test_route_set_and_request_uri_follow_12_2_1_1() -> None:
    loose = parse_message(template_for(uas_dialog(subscribe(record_route=ROUTE_SETS["loose"]))).encode("z9hG4bKa"))
    assert isinstance(loose, Request)
    assert loose.uri_text == "sip:bob@192.0.2.20:5070;ob"        # the remote target stays
    assert loose.headers.values("Route") == ["<sip:p1.example.com;lr>", "<sip:p2.example.net;lr;transport=tcp>"]
    strict = parse_message(template_for(uas_dialog(subscribe(record_route=ROUTE_SETS["strict"]))).encode("z9hG4bKb"))
    assert isinstance(strict, Request)
    assert strict.uri_text == "sip:p1.example.com"                # a strict router first
    assert strict.headers.values("Route") == ["<sip:p2.example.net;lr>", "<sip:bob@192.0.2.20:5070;ob>"]


def test_tags_call_id_contact_and_via_of_each_request() -> None:
    data = template_for(uas_dialog(subscribe()), transport="TCP", host="[2001:db8::1]").encode("z9hG4bKv1")
    notify = parse_message(data)
    assert isinstance(notify, Request)
    top = notify.top_via
    assert top is not None
    assert (top.transport, top.host, top.branch, top.rport) == ("TCP", "[2001:db8::1]", "z9hG4bKv1", True)
    assert notify.from_ is not None and (notify.from_.uri_text, notify.from_.tag) == ("sip:alice@example.com", "pa0123")
    assert notify.to is not None and (notify.to.display_name, notify.to.tag) == ("Bob B.", "b-tag")
    assert notify.call_id == "sub-1@192.0.2.20" and notify.max_forwards == 70
    assert [c.uri_text for c in notify.contact] == [CONTACT]
    assert notify.event is not None and notify.event.id == "7"


def test_the_dialog_cseq_is_shared_with_the_generic_path() -> None:
    dialog = uas_dialog(subscribe())
    template = template_for(dialog)
    numbers = []
    for index in range(5):
        if index % 2:
            request = dialog.create_request("NOTIFY", via(f"z9hG4bKg{index}"))
            assert request.cseq is not None
            numbers.append(request.cseq.seq)
        else:
            parsed = parse_message(template.encode(f"z9hG4bKt{index}"))
            assert isinstance(parsed, Request) and parsed.cseq is not None
            numbers.append(parsed.cseq.seq)
    assert numbers == [1, 2, 3, 4, 5] and dialog.local_seq == 5


def test_a_target_refresh_makes_the_template_stale() -> None:
    dialog = uas_dialog(subscribe())
    template = template_for(dialog)
    assert template.fits()
    refresh = subscribe(contact="<sip:bob@198.51.100.7:6000>")
    refresh.headers.set("To", "<sip:alice@example.com>;tag=pa0123")
    refresh.headers.set("CSeq", "8 SUBSCRIBE")
    assert dialog.receive_request(refresh) is None                  # RFC 6665 4.2.1.2
    assert not template.fits()
    fresh = parse_message(template_for(dialog).encode("z9hG4bKr"))
    assert isinstance(fresh, Request) and fresh.uri_text == "sip:bob@198.51.100.7:6000"


def test_what_a_template_refuses() -> None:
    dialog = uas_dialog(subscribe())
    for method in ("INVITE", "ACK", "CANCEL"):
        with pytest.raises(ValueError):
            DialogRequestTemplate(dialog, method, via())
    template = template_for(dialog)
    dialog.terminate()
    with pytest.raises(DialogProtocolError):
        template.encode("z9hG4bKx")
    assert dialog.local_seq is None


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(branch=_token, expires=st.integers(0, 10**9), body=st.binary(max_size=300),
       routes=st.sampled_from(sorted(ROUTE_SETS)), with_contact=st.booleans(),
       transport=st.sampled_from(["UDP", "TCP", "TLS", "WS"]))
def test_property_same_bytes_as_create_request(branch: str, expires: int, body: bytes, routes: str,
                                               with_contact: bool, transport: str) -> None:
    dialog = uas_dialog(subscribe(record_route=ROUTE_SETS[routes]))
    twin = copy.deepcopy(dialog)
    contact = CONTACT if with_contact else None
    state = f"active;expires={expires}"
    content_type = "application/pidf+xml" if body else None
    data = template_for(dialog, transport=transport, contact=contact).encode(
        "z9hG4bK" + branch, [("Subscription-State", state)], body, content_type)
    assert data == generic(twin, "z9hG4bK" + branch, state, body, content_type, transport=transport, contact=contact)
