"""SIP messages: parsing, typed headers, building, serialising, errors (no sockets)."""

from __future__ import annotations

import pytest

from uc_signal.sip import (CSeq, Challenge, Contact, ContentType, Credentials, Event, Headers,
                           NameAddr, ParseError, Replaces, Request, Response, SipUri,
                           SubscriptionState, Via, canonical_name, make_response, parse_head,
                           parse_message)

REGISTER = (
    b"REGISTER sip:example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: Bob <sip:bob@example.com>;tag=456248\r\n"
    b"To: Bob <sip:bob@example.com>\r\n"
    b"Call-ID: 843817637684230@998sdasdh09\r\n"
    b"CSeq: 1826 REGISTER\r\n"
    b"Contact: <sip:bob@192.0.2.4>;expires=7200, <sip:bob@192.0.2.5>;q=0.5\r\n"
    b'Authorization: Digest username="bob", realm="example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359",'
    b' uri="sip:example.com", response="dfe56131d1958046689d83306477ecc", algorithm=MD5, qop=auth,'
    b' nc=00000001, cnonce="0a4f113b"\r\n'
    b"Expires: 7200\r\n"
    b"Content-Length: 0\r\n\r\n")


def test_register_typed_headers() -> None:
    msg = parse_message(REGISTER)
    assert isinstance(msg, Request)
    assert msg.method == "REGISTER" and str(msg.uri) == "sip:example.com"
    via = msg.top_via
    assert via is not None
    assert (via.transport, via.host, via.port, via.branch, via.rport) == ("UDP", "192.0.2.4", 5060, "z9hG4bKnashds7", True)
    assert via.is_rfc3261_branch and not via.is_reliable
    assert msg.from_ is not None and msg.from_.display_name == "Bob" and msg.from_.tag == "456248"
    assert msg.to is not None and msg.to.tag is None
    assert msg.call_id == "843817637684230@998sdasdh09"
    assert msg.cseq == CSeq(1826, "REGISTER")
    assert [(str(c.uri), c.expires, c.q) for c in msg.contact] == [
        ("sip:bob@192.0.2.4", 7200, None), ("sip:bob@192.0.2.5", None, 0.5)]
    creds = msg.authorization[0]
    assert isinstance(creds, Credentials) and creds.is_digest
    assert (creds.username, creds.realm, creds.uri, creds.qop, creds.nc, creds.cnonce, creds.algorithm) == (
        "bob", "example.com", "sip:example.com", "auth", "00000001", "0a4f113b", "MD5")
    assert msg.expires == 7200 and msg.content_length == 0 and msg.max_forwards == 70
    msg.validate()
    msg.check_required_headers()


def test_serialize_is_exact_for_canonical_input() -> None:
    assert bytes(parse_message(REGISTER)) == REGISTER


def test_compact_forms_and_case() -> None:
    data = (b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK1\r\nf: <sip:x@y>;tag=1\r\n"
            b"t: sip:a@b\r\ni: abc\r\nCSEQ: 1 OPTIONS\r\nm: *\r\nk: path, gruu\r\no: dialog;id=3\r\n"
            b"u: presence, dialog\r\nr: <sip:c@d?Replaces=x%40y>\r\nc: text/plain;charset=UTF-8\r\n"
            b"l: 5\r\n\r\nhello")
    msg = parse_message(data)
    assert msg.via[0].transport == "TCP" and msg.call_id == "abc"
    assert msg.contact[0].is_star
    assert msg.supported == ["path", "gruu"]
    assert msg.event == Event("dialog", {"id": "3"})
    assert msg.allow_events == ["presence", "dialog"]
    assert msg.refer_to is not None and msg.refer_to.uri.headers == {"Replaces": "x%40y"}  # type: ignore[union-attr]
    assert msg.content_type is not None and msg.content_type.mime_type == "text/plain"
    assert msg.content_type.param("charset") == "UTF-8"
    assert msg.headers.get("Call-ID") == msg.headers.get("I") == "abc"
    assert msg.body == b"hello"
    assert canonical_name("i") == "Call-ID" and canonical_name("cseq") == "CSeq"
    assert bytes(parse_message(bytes(msg))) == bytes(msg)


def test_folding_and_lws() -> None:
    data = (b"INVITE sip:a@b SIP/2.0\r\nVia : SIP / 2.0 / UDP\r\n  host.example\t;\r\n branch = z9hG4bKx\r\n"
            b"To:\r\n\t<sip:a@b>\r\nSubject: one\r\n two\r\n\tthree\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(data)
    assert msg.via[0].host == "host.example" and msg.via[0].branch == "z9hG4bKx"
    assert msg.headers.get("subject") == "one two three"
    assert str(msg.to) == "<sip:a@b>"
    # The folded form serialises unfolded, and that is a fixed point.
    once = bytes(msg)
    assert b"\r\n " not in once and parse_message(once) == msg and bytes(parse_message(once)) == once


def test_multiple_values_per_line_and_per_header() -> None:
    data = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
            b"Via: SIP/2.0/UDP c;branch=z9hG4bK3;received=192.0.2.9;rport=5070;maddr=224.2.0.1;ttl=16\r\n"
            b'Contact: "A, B" <sip:a@b;x=1,2>;q=1, sip:c@d;expires=30\r\n'
            b"Record-Route: <sip:p1;lr>, <sip:p2;lr>\r\nRecord-Route: <sip:p3;lr>\r\n"
            b"WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth,auth-int\", stale=TRUE, "
            b"Newauth realm=\"apps\", type=1\r\n"
            b"Content-Length: 0\r\n\r\n")
    msg = parse_message(data)
    assert isinstance(msg, Response) and msg.status == 200
    assert [v.host for v in msg.via] == ["a", "b", "c"]
    last = msg.via[2]
    assert (last.received, last.rport, last.maddr, last.ttl) == ("192.0.2.9", 5070, "224.2.0.1", 16)
    assert [c.display_name for c in msg.contact] == ["A, B", None]
    assert msg.contact[1].expires == 30 and msg.contact[0].q == 1.0
    assert [str(r.uri) for r in msg.record_route] == ["sip:p1;lr", "sip:p2;lr", "sip:p3;lr"]
    challenges = msg.www_authenticate
    assert [c.scheme for c in challenges] == ["Digest", "Newauth"]
    assert challenges[0].qop_options == ["auth", "auth-int"] and challenges[0].stale
    assert challenges[1].params == {"realm": "apps", "type": "1"}
    assert msg.headers.values("Via") == [str(v) for v in msg.via]


def test_event_package_headers() -> None:
    data = (b"NOTIFY sip:a@b SIP/2.0\r\nEvent: presence;id=7\r\n"
            b"Subscription-State: terminated;reason=timeout;retry-after=30\r\n"
            b"Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only\r\n"
            b"Path: <sip:p.example.com;lr>\r\nUnsupported: 100rel\r\nAllow: INVITE, ACK\r\n"
            b"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n\r\n")
    msg = parse_message(data)
    assert msg.event is not None and msg.event.package == "presence" and msg.event.id == "7"
    state = msg.subscription_state
    assert isinstance(state, SubscriptionState)
    assert (state.state, state.reason, state.retry_after, state.expires) == ("terminated", "timeout", 30, None)
    rep = msg.replaces
    assert isinstance(rep, Replaces)
    assert (rep.call_id, rep.to_tag, rep.from_tag, rep.early_only) == ("425928@bobster.example.org", "7743", "6472", True)
    assert str(msg.path[0].uri) == "sip:p.example.com;lr"
    assert msg.unsupported == ["100rel"] and msg.allow == ["INVITE", "ACK"]
    assert msg.header("Date").year == 2010


@pytest.mark.parametrize("line,hint", [
    (b"INVITE sip:a@b SIP/2.0 ", 400),
    (b"INVITE  sip:a@b SIP/2.0", 400),
    (b"INVITE <sip:a@b> SIP/2.0", 400),
    (b"INVITE sip:a@b SIP/3.0", 505),
    (b"SIP/2.0 1000 Big", 400),
    (b"SIP/2.0 099 Small", 400),
    (b"", 400),
])
def test_bad_start_lines(line: bytes, hint: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_message(line + b"\r\nCall-ID: x\r\n\r\n")
    assert info.value.status_hint == hint


@pytest.mark.parametrize("name,value", [
    ("Via", "SIP/2.0/UDP"), ("Via", "SIP/2.0/UDP host;branch=a;;"), ("Via", "SIP/2.0/UDP host:99999"),
    ("Via", "SIP/2.0/UDP host;ttl=300"),
    ("From", '"unterminated <sip:a@b>'), ("From", "<sip:a@b"), ("To", "sip:a@b?x=y"),
    ("To", "a b c"), ("Contact", "<sip:a@b>;q=2"), ("Contact", "<sip:a@b>;expires=99999999999"),
    ("CSeq", "1"), ("CSeq", "x INVITE"), ("CSeq", "2147483648 INVITE"), ("Max-Forwards", "256"),
    ("Max-Forwards", "-1"), ("Content-Length", "1e3"), ("Expires", "4294967296"),
    ("Call-ID", "has space"), ("Content-Type", "text"), ("Event", ";id=1"),
    ("Subscription-State", "active;expires=x"), ("Supported", "a b"),
    ("Authorization", "Digest realm=\"x\" nonce=\"y\""), ("Authorization", ""),
    ("Date", "Fri, 01 Jan 2010 16:00:00 EST"), ("Route", "<sip:a@b>,,<sip:c@d>"),
])
def test_malformed_typed_headers(name: str, value: str) -> None:
    msg = Request("OPTIONS", "sip:a@b", [(name, value)])
    with pytest.raises(ParseError) as info:
        msg.validate()
    err = info.value
    assert err.status_hint == 400 and err.headers is msg.headers and err.method == "OPTIONS"


def test_malformed_header_line_keeps_the_rest() -> None:
    data = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: abc\r\nno colon here\r\nCSeq: 1 OPTIONS\r\n\r\n"
    with pytest.raises(ParseError) as info:
        parse_message(data)
    err = info.value
    assert err.can_respond and err.headers is not None
    assert err.headers.get("CSeq") == "1 OPTIONS" and err.headers.get("Call-ID") == "abc"
    response = make_response(err.headers, err.status_hint)
    assert response.status == 400 and response.reason == "Bad Request"
    assert response.headers.get("Call-ID") == "abc"


def test_content_length_rules_for_whole_messages() -> None:
    base = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\n"
    assert parse_message(base + b"hello, extra").body == b"hello"
    with pytest.raises(ParseError):
        parse_message(base + b"hi")
    with pytest.raises(ParseError):
        parse_message(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n")
    assert parse_message(b"\r\n\r\n" + base + b"hello").body == b"hello"  # leading CRLFs skipped


def test_build_request_and_response() -> None:
    via = Via("udp", "10.0.0.1", 5060, {"branch": "z9hG4bK77", "rport": None})
    req = Request("INVITE", SipUri("example.com", "bob"), [
        ("Via", via), ("Max-Forwards", 70),
        ("From", NameAddr(SipUri("example.com", "alice"), "Alice Liddell").with_tag("1")),
        ("To", NameAddr("sip:bob@example.com")), ("Call-ID", "abc@10.0.0.1"),
        ("CSeq", CSeq(1, "INVITE")), ("Contact", Contact("sip:alice@10.0.0.1:5060"))])
    req.set_body(b"v=0\r\n", "application/sdp")
    wire = bytes(req)
    assert wire.startswith(b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK77;rport\r\n")
    assert b'From: "Alice Liddell" <sip:alice@example.com>;tag=1\r\n' in wire
    assert wire.endswith(b"Content-Length: 5\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n")
    again = parse_message(wire).validate()
    assert again == req and again.content_type == ContentType("application", "sdp")

    ringing = make_response(req, 180, to_tag="t1")
    assert (ringing.status, ringing.reason) == (180, "Ringing")
    assert ringing.to is not None and ringing.to.tag == "t1"
    assert ringing.via == req.via and ringing.cseq == req.cseq and ringing.from_ == req.from_
    assert ringing.content_length == 0 and "Contact" not in ringing.headers
    trying = make_response(req, 100, to_tag="t1")
    assert trying.to is not None and trying.to.tag is None  # RFC 3261 8.2.6.2: no tag on 100
    custom = Response(299, headers=[("Call-ID", "x")])
    assert custom.reason == "" and bytes(custom) == b"SIP/2.0 299 \r\nCall-ID: x\r\n\r\n"


def test_headers_mutation_drops_cached_typed_values() -> None:
    msg = parse_message(REGISTER)
    assert len(msg.via) == 1
    msg.headers.prepend("Via", Via("TCP", "proxy.example", params={"branch": "z9hG4bKp"}))
    assert [v.host for v in msg.via] == ["proxy.example", "192.0.2.4"]
    assert msg.headers.items()[0][0] == "Via"
    assert msg.headers.pop_first("Via") == "SIP/2.0/TCP proxy.example;branch=z9hG4bKp"
    assert [v.host for v in msg.via] == ["192.0.2.4"]
    msg.headers.set("Max-Forwards", 69)
    assert msg.max_forwards == 69
    assert msg.headers.remove("Authorization") == 1 and msg.authorization == []
    msg.headers.add("v", "SIP/2.0/UDP x;branch=z9hG4bK2")
    assert msg.headers.count("Via") == 2 and len(msg.via) == 2
    copy = msg.headers.copy()
    copy.remove("Via")
    assert "Via" in msg.headers and "Via" not in copy


def test_pop_first_on_a_shared_line() -> None:
    headers = Headers([("Via", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2")])
    assert headers.pop_first("via") == "SIP/2.0/UDP a;branch=z9hG4bK1"
    assert headers.get_all("Via") == ["SIP/2.0/UDP b;branch=z9hG4bK2"]


def test_typed_objects_round_trip_through_str() -> None:
    via = Via.parse("SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKq;received=2001:db8::9")
    assert via.host == "[2001:db8::1]" and via.port == 5061 and Via.parse(str(via)) == via
    assert via.with_params(rport="1234").rport == 1234 and via.rport is None
    addr = NameAddr.parse('"Quote \\" here" <sip:a@b>;tag=x')
    assert addr.display_name == 'Quote " here' and NameAddr.parse(str(addr)) == addr
    creds = Credentials("Digest", {"username": "bob", "realm": "r", "nonce": "n", "uri": "sip:r",
                                   "response": "00", "algorithm": "MD5", "qop": "auth", "nc": "00000001",
                                   "cnonce": "c"})
    text = str(creds)
    assert 'username="bob"' in text and "algorithm=MD5" in text and "qop=auth" in text and "nc=00000001" in text
    ch = Challenge("Digest", {"realm": "r", "nonce": "n", "qop": "auth", "stale": "false"})
    assert 'qop="auth"' in str(ch) and "stale=false" in str(ch)
    assert Challenge.__name__ and repr(CSeq.parse("3 BYE")) == "CSeq(3, 'BYE')"
    basic = parse_message(b"OPTIONS sip:a SIP/2.0\r\nAuthorization: Basic QWxhZGRpbjpvcGVu\r\n\r\n")
    assert basic.authorization[0].token68 == "QWxhZGRpbjpvcGVu"


def test_parse_head_alone() -> None:
    msg = parse_head(b"SIP/2.0 180 Ringing\r\nContent-Length: 0")
    assert isinstance(msg, Response) and msg.body == b"" and msg.content_length == 0
