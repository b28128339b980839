"""RFC 4475 torture messages: every file of the shared corpus parses or is rejected as its
manifest says, with the status hint the RFC recommends where it is a parser's to give.

The corpus is not copied into the repository: it is found at $UC_SHARED_DIR/corpus/rfc4475
or <repo>/../shared/corpus/rfc4475. A missing corpus FAILS the suite (CI provides it).
"""

from __future__ import annotations

import pytest
from corpus import rfc4475_dir, rfc4475_manifest, rfc4475_message

from uc_signal.sip import (AbsoluteUri, ParseError, Request, Response, SipUri, check_request, parse_datagram,
                           unescape, unsupported_options)
from uc_signal.sip.multipart import parse_multipart

ROWS = rfc4475_manifest()


def test_corpus_is_present() -> None:
    # Fail, never skip: without the corpus the torture tests below would silently vanish.
    assert (rfc4475_dir() / "manifest.tsv").is_file(), (
        f"RFC 4475 corpus not found at {rfc4475_dir()}; set UC_SHARED_DIR to the shared/ directory")
    assert len(ROWS) == 49
    for row in ROWS:
        assert (rfc4475_dir() / row["file"]).is_file(), row["file"]


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_manifest_verdict(row: dict[str, str]) -> None:
    data = rfc4475_message(row["file"])
    if row["parser"] == "parse":
        msg = parse_datagram(data)
        assert msg is not None
        msg.validate()
        # Round trip: serialising and re-parsing gives the same message, then the same bytes.
        again = parse_datagram(bytes(msg))
        assert again == msg
        assert bytes(again) == bytes(msg)
    else:
        assert row["parser"] == "reject"
        with pytest.raises(ParseError) as info:
            msg = parse_datagram(data)
            assert msg is not None
            msg.validate()
        err = info.value
        advice = row["server_should"]
        if advice == "drop":
            assert not err.can_respond  # a response is never answered
        elif advice[:3].isdigit():
            assert err.status_hint == int(advice[:3]), err
            assert err.can_respond, err  # a request: its headers are there to answer it


def test_error_carries_headers_for_the_response() -> None:
    with pytest.raises(ParseError) as info:
        parse_datagram(rfc4475_message("mismatch01.dat")).validate()  # type: ignore[union-attr]
    err = info.value
    assert err.can_respond and err.method == "OPTIONS"
    assert err.headers is not None
    assert err.headers.get("Call-ID") == "mismatch01.dj0234sxdfl3"
    assert err.headers.get("Via") == "SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw"


def test_wsinv_typed_values() -> None:
    msg = parse_datagram(rfc4475_message("wsinv.dat"))
    assert isinstance(msg, Request)
    assert msg.to is not None and msg.to.tag == "1918181833n"
    assert msg.from_ is not None and msg.from_.display_name == 'J Rosenberg \\"'
    assert msg.from_.tag == "98asjd8"
    assert msg.max_forwards == 68
    assert msg.cseq is not None and (msg.cseq.seq, msg.cseq.method) == (9, "INVITE")
    assert [(v.transport, v.host, v.branch) for v in msg.via] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239")]
    assert msg.contact[0].q == 0.33 and msg.contact[0].params["newparam"] == "newvalue"
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert msg.headers.get("Subject") == ""
    assert msg.content_length == 150 == len(msg.body)
    route = msg.route[0].uri
    assert isinstance(route, SipUri) and route.lr and route.params["unknownwith"] == "value"


def test_escapes() -> None:
    msg = parse_datagram(rfc4475_message("esc01.dat"))
    assert isinstance(msg, Request) and isinstance(msg.uri, SipUri)
    assert unescape(msg.uri.user or "") == b"sips:user@example.com"
    contact = msg.contact[0].uri
    assert isinstance(contact, SipUri) and contact.lr  # ";%6C%72" is ";lr"
    null = parse_datagram(rfc4475_message("escnull.dat"))
    assert null is not None and [unescape(c.uri.user) for c in null.contact] == [b"\0", b"\0\0"]  # type: ignore[union-attr,arg-type]


def test_intmeth_unusual_characters() -> None:
    msg = parse_datagram(rfc4475_message("intmeth.dat"))
    assert isinstance(msg, Request)
    assert msg.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert isinstance(msg.uri, SipUri) and msg.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert msg.to is not None and msg.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert msg.from_ is not None and msg.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert msg.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"


def test_datagram_rules() -> None:
    first = parse_datagram(rfc4475_message("dblreq.dat"))  # trailing octets beyond Content-Length dropped
    assert isinstance(first, Request) and first.method == "REGISTER" and first.body == b""
    legacy = parse_datagram(rfc4475_message("inv2543.dat"))  # no Content-Length: body to the end
    assert legacy is not None and legacy.body.startswith(b"v=0") and legacy.content_length is None
    assert legacy.top_via is not None and legacy.top_via.branch is None
    conflicting = parse_datagram(rfc4475_message("mcl01.dat"))
    assert conflicting is not None
    with pytest.raises(ParseError):
        conflicting.check_required_headers()


def test_semantic_failures_parse_but_fail_the_header_check() -> None:
    for name in ("insuf.dat", "multi01.dat", "mcl01.dat"):
        msg = parse_datagram(rfc4475_message(name))
        assert msg is not None
        msg.validate()
        with pytest.raises(ParseError) as info:
            msg.check_required_headers()
        assert info.value.status_hint == 400 and info.value.can_respond


def test_unknown_schemes_and_extensions() -> None:
    msg = parse_datagram(rfc4475_message("unkscm.dat"))
    assert isinstance(msg, Request) and isinstance(msg.uri, AbsoluteUri)
    assert msg.uri.scheme == "nobodyknowsthisscheme"
    ext = parse_datagram(rfc4475_message("bext01.dat"))
    assert ext is not None and ext.require == ["nothingSupportsThis", "nothingSupportsThisEither"]
    assert ext.proxy_require == ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]
    auth = parse_datagram(rfc4475_message("regaut01.dat"))
    assert auth is not None and auth.authorization[0].scheme == "NoOneKnowsThisScheme"
    assert auth.authorization[0].params == {"opaque-data": "here"}
    reg = parse_datagram(rfc4475_message("regescrt.dat"))
    assert reg is not None and reg.contact[0].uri.headers == {"Route": "%3Csip:sip.example.com%3E"}  # type: ignore[union-attr]


@pytest.mark.parametrize("name,status", [
    ("unkscm.dat", 416), ("novelsc.dat", 416), ("bext01.dat", 420), ("insuf.dat", 400),
    ("multi01.dat", 400), ("mcl01.dat", 400),
])
def test_server_checks_give_the_rfc_status(name: str, status: int) -> None:
    msg = parse_datagram(rfc4475_message(name))
    assert isinstance(msg, Request)
    with pytest.raises(ParseError) as info:
        check_request(msg, supported=("path", "gruu"), proxy=True)
    assert info.value.status_hint == status and info.value.can_respond
    if status == 420:
        assert unsupported_options(msg, ("nothingSupportsThis",), proxy=False) == ["nothingSupportsThisEither"]


def test_server_checks_pass_valid_requests() -> None:
    for name in ("wsinv.dat", "cparam01.dat", "regescrt.dat", "zeromf.dat", "badbranch.dat"):
        msg = parse_datagram(rfc4475_message(name))
        assert isinstance(msg, Request)
        check_request(msg)


def test_multipart_body() -> None:
    msg = parse_datagram(rfc4475_message("mpart01.dat"))
    assert msg is not None and msg.content_type is not None
    parts = parse_multipart(msg.body, msg.content_type)
    assert [str(p.content_type) for p in parts] == ["text/plain", "application/octet-stream"]
    assert len(parts[1].body) == 342 and parts[0].body == b"Hello"


def test_responses() -> None:
    odd = parse_datagram(rfc4475_message("unreason.dat"))
    assert isinstance(odd, Response) and odd.status == 200 and odd.reason.startswith("= 2**3 * 5**2")
    empty = parse_datagram(rfc4475_message("noreason.dat"))
    assert isinstance(empty, Response) and empty.status == 100 and empty.reason == ""
