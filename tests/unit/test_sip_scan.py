"""The C scanner under the message layer (csrc/sip_scan.c via uc_signal._sipscan).

Hypothesis builds the typed values first (Via, From/To/Contact, CSeq, Authorization),
writes them the way RFC 4475 3.1.1.1 does (LWS around "/", ":", ";", "=", ",", folded
lines, any case and compact names), parses the message and expects exactly those typed
values back, and the canonical serialisation the typed objects give when built by hand;
plus the scanner's edges that the Python layer relies on (buffers larger than the stack
arrays, non-ASCII values, the RFC 4475 3.1.1.1 message itself).
"""

from __future__ import annotations

import string
import re

import pytest
from corpus import rfc4475_message
from hypothesis import given
from hypothesis import strategies as st

from uc_signal import _sipscan
from uc_signal.sip import (CSeq, Contact, Credentials, NameAddr, ParseError, Request, Via,
                           parse_head, parse_message)
from uc_signal.sip.grammar import parse_params, quote

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-.!%*_+`'~"
tokens = st.text(TOKEN_ALPHABET, min_size=1, max_size=10)
words = st.text(string.ascii_letters + string.digits, min_size=1, max_size=8)
hosts = st.one_of(st.lists(words, min_size=1, max_size=3).map(".".join),
                  st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
                  st.just("[2001:db8::1]"))
ports = st.one_of(st.none(), st.integers(0, 65535))
lws = st.sampled_from(["", " ", "\t", "  ", " \t"])
lws1 = st.sampled_from([" ", "\t", "  "])
# qdtext and quoted-pairs, including non-ASCII (display names and digest values are UTF-8)
quoted_text = st.text(string.ascii_letters + string.digits + ' ,;:<>@="\\éü', max_size=12)
param_names = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=8)


def names(*spellings: str) -> st.SearchStrategy[str]:
    return st.sampled_from(spellings)


@st.composite
def params(draw: st.DrawFn) -> dict[str, str | None]:
    """Header parameters: flag, token, host-like or quoted value (quotes kept)."""
    out: dict[str, str | None] = {}
    # q, expires, ttl and rport have typed values checked at parse time: not random text
    for name in draw(st.lists(param_names.filter(lambda n: n not in ("q", "expires", "ttl", "rport")),
                              max_size=4, unique=True)):
        out[name] = draw(st.one_of(st.none(), tokens, hosts, quoted_text.map(quote)))
    return out


def write_params(draw: st.DrawFn, values: dict[str, str | None]) -> str:
    out = ""
    for name, value in values.items():
        # any case on the wire; the typed value has it lower-cased
        spelled = "".join(c.upper() if draw(st.booleans()) else c for c in name)
        out += f"{draw(lws)};{draw(lws)}{spelled}"
        if value is not None:
            out += f"{draw(lws)}={draw(lws)}{value}"
    return out + draw(lws)


@st.composite
def vias(draw: st.DrawFn) -> tuple[Via, str]:
    transport = draw(st.sampled_from(["UDP", "TCP", "TLS", "WS", "SCTP"]))
    host, port, values = draw(hosts), draw(ports), draw(params())
    written = (f"{draw(lws)}{draw(names('SIP', 'sip', 'Sip'))}{draw(lws)}/{draw(lws)}2.0{draw(lws)}/"
               f"{draw(lws)}{draw(names(transport, transport.lower()))}{draw(lws1)}{host}")
    if port is not None:
        written += f"{draw(lws)}:{draw(lws)}{port}"
    written += write_params(draw, values)
    return Via(transport, host, port, values), written


@st.composite
def sip_uris(draw: st.DrawFn, with_params: bool) -> str:
    user = draw(st.one_of(st.none(), words))
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    uri = (draw(names("sip:", "sips:", "SIP:")) + (f"{user}@" if user else "") + draw(hosts)
           + (f":{port}" if port else ""))
    if with_params:
        uri += "".join(f";{k}" for k in draw(st.lists(words, max_size=2)))
    return uri


@st.composite
def addresses(draw: st.DrawFn, cls: type[NameAddr]) -> tuple[NameAddr, str]:
    form = draw(st.sampled_from(["quoted", "tokens", "bare", "spec"]))
    values = draw(params())
    if form == "spec":
        uri = draw(sip_uris(with_params=False))
        return cls(uri, None, values), f"{draw(lws)}{uri}{write_params(draw, values)}"
    uri = draw(sip_uris(with_params=True))
    display: str | None
    if form == "quoted":
        display = draw(quoted_text)
        head = f"{quote(display)}{draw(lws)}"
    elif form == "tokens":
        display = " ".join(draw(st.lists(tokens, min_size=1, max_size=3)))
        head = f"{display}{draw(lws)}"
    else:
        display, head = None, ""
    return cls(uri, display, values), f"{draw(lws)}{head}<{uri}>{draw(lws)}{write_params(draw, values)}"


@st.composite
def credentials(draw: st.DrawFn) -> tuple[Credentials, str]:
    names_ = draw(st.lists(st.sampled_from(["username", "realm", "nonce", "uri", "response", "cnonce",
                                            "opaque", "algorithm", "nc", "qop"]), min_size=1, unique=True))
    values: dict[str, str] = {}
    quoted: set[str] = set()
    parts = []
    for name in names_:
        if draw(st.booleans()):
            value = draw(quoted_text)
            quoted.add(name)
            parts.append(f"{name}{draw(lws)}={draw(lws)}{quote(value)}")
        else:
            value = draw(tokens)
            parts.append(f"{name}{draw(lws)}={draw(lws)}{value}")
        values[name] = value
    sep = draw(lws) + "," + draw(lws)
    cred = Credentials(draw(names("Digest", "digest")), values, quoted=frozenset(quoted))
    return cred, f"{cred.scheme}{draw(lws1)}{sep.join(parts)}{draw(lws)}"


def fold(draw: st.DrawFn, value: str) -> str:
    """Fold some of the value's LWS runs outside quoted strings onto continuation lines
    (RFC 3261 7.3.1)."""
    out, i, in_quotes = [], 0, False
    while i < len(value):
        ch = value[i]
        if in_quotes:
            out.append(value[i:i + 2] if ch == "\\" else ch)
            in_quotes = ch != '"'
            i += 2 if ch == "\\" else 1
            continue
        j = i
        while j < len(value) and value[j] in " \t":
            j += 1
        if j > i:
            fold_here = 0 < i and j < len(value) and draw(st.booleans())
            out.append(value[i:j] + "\r\n" + draw(lws1) if fold_here else value[i:j])
            i = j
            continue
        out.append(ch)
        in_quotes = ch == '"'
        i += 1
    return "".join(out)


def unfold(value: str) -> str:
    return re.sub(r"[ \t]*\r\n[ \t]+", " ", value).strip(" \t")


def same_via(a: Via, b: Via) -> bool:
    return ((a.transport, a.host, a.port, list(a.params.items()), a.protocol)
            == (b.transport, b.host, b.port, list(b.params.items()), b.protocol))


def same_address(a: NameAddr, b: NameAddr) -> bool:
    return (type(a) is type(b) and (a.display_name, a.uri_text, list(a.params.items()))
            == (b.display_name, b.uri_text, list(b.params.items())))


@given(st.data())
def test_typed_values_through_the_scanner_match_the_ones_written(data: st.DataObject) -> None:
    draw = data.draw
    via_list = [draw(vias()) for _ in range(draw(st.integers(1, 3)))]
    from_, from_text = draw(addresses(NameAddr))
    to, to_text = draw(addresses(NameAddr))
    contact, contact_text = draw(addresses(Contact))
    cred, cred_text = draw(credentials())
    seq, method = draw(st.integers(0, 2**31 - 1)), draw(tokens)
    cseq_text = f"{draw(lws)}{seq}{draw(lws1)}{method}{draw(lws)}"
    # one Via line with commas, or one line per Via
    if draw(st.booleans()):
        via_lines = [(draw(names("Via", "v", "VIA", "via")), ",".join(w for _, w in via_list))]
    else:
        via_lines = [(draw(names("Via", "v")), w) for _, w in via_list]
    fields = via_lines + [
        (draw(names("From", "f", "FROM")), from_text), (draw(names("To", "t", "tO")), to_text),
        (draw(names("Call-ID", "i", "call-id")), "a84b4c76e66710@pc33.example.com"),
        (draw(names("CSeq", "cseq", "CSEQ")), cseq_text),
        (draw(names("Contact", "m")), contact_text),
        (draw(names("Authorization", "authorization")), cred_text),
        (draw(names("Content-Length", "l")), "0"),
    ]
    head = f"{method} sip:registrar.example.com SIP/2.0\r\n"
    written = [(name, fold(draw, value)) for name, value in fields]
    for name, value in written:
        head += f"{name}{draw(lws)}:{draw(lws)}{value}\r\n"
    msg = parse_message(head.encode() + b"\r\n")
    assert isinstance(msg, Request)
    assert msg.headers.items() == [(name, unfold(value)) for name, value in written]
    assert len(msg.via) == len(via_list)
    assert all(same_via(got, want) for got, (want, _) in zip(msg.via, via_list))
    assert [str(v) for v in msg.via] == [str(want) for want, _ in via_list]
    assert same_address(msg.from_, from_) and str(msg.from_) == str(from_)
    assert same_address(msg.to, to) and str(msg.to) == str(to)
    assert len(msg.contact) == 1 and same_address(msg.contact[0], contact)
    assert (msg.cseq.seq, msg.cseq.method) == (seq, method)
    assert str(msg.cseq) == str(CSeq(seq, method))
    [got] = msg.authorization
    assert (got.scheme, got.params, got._quoted) == (cred.scheme, cred.params, cred._quoted)
    assert str(got) == str(cred)
    # serialize(parse(x)) is a fixed point and reparses to the same typed values
    again = parse_message(bytes(msg))
    assert bytes(again) == bytes(msg)
    assert [str(v) for v in again.via] == [str(v) for v in msg.via]
    assert str(again.authorization[0]) == str(cred)


@given(st.text(max_size=40))
def test_any_text_gives_a_value_or_parse_error(text: str) -> None:
    for parse in (Via.parse, NameAddr.parse, Contact.parse, CSeq.parse, parse_params,
                  lambda t: _sipscan.parse_auth(Credentials, t)):
        try:
            parse(text)
        except ParseError:
            pass


@given(st.binary(max_size=200))
def test_any_head_gives_a_message_or_parse_error(head: bytes) -> None:
    try:
        msg = parse_head(head)
    except ParseError as exc:
        assert exc.status_hint in (400, 413, 505)
    else:
        assert bytes(msg).endswith(b"\r\n\r\n")


def test_more_parameters_and_fields_than_the_stack_arrays() -> None:
    many = "".join(f";p{i}={i}" for i in range(100))
    via = Via.parse("SIP/2.0/UDP host" + many)
    assert len(via.params) == 100 and via.params["p99"] == "99"
    assert len(NameAddr.parse("<sip:a@b>" + many).params) == 100
    assert len(parse_params(many)) == 100
    cred = _sipscan.parse_auth(Credentials, "Digest " + ", ".join(f"k{i}={i}" for i in range(60)))
    assert len(cred[0].params) == 60
    head = b"OPTIONS sip:a@b SIP/2.0\r\n" + b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(300))
    msg = parse_message(head + b"\r\n")
    assert len(msg.headers) == 300 and msg.headers.get("x-h299") == "299"


def test_non_ascii_values_keep_their_characters() -> None:
    addr = NameAddr.parse('"Jörg \\"J\\" Müller" <sip:j@example.com>;tag=1')
    assert addr.display_name == 'Jörg "J" Müller' and addr.tag == "1"
    msg = parse_message(b"OPTIONS sip:a@b SIP/2.0\r\nSubject: gr\xc3\xbc\xc3\x9fe\r\nX-Raw: \xff\r\n\r\n")
    assert msg.headers.get("subject") == "grüße"
    assert bytes(msg).count(b"\xff") == 1  # an invalid octet survives the round trip
    with pytest.raises(ParseError):
        NameAddr.parse("<sip:a\u00a0b@c>")  # U+00A0 is whitespace: not inside a URI


def test_scanner_names_headers_in_any_spelling() -> None:
    msg = parse_message(b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h\r\nVIA: SIP/2.0/TCP g\r\n"
                        b"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nX-Other: 1\r\nk: path\r\n\r\n")
    assert [k for k, _, _ in msg.headers._fields] == ["via", "via", "date", "x-other", "supported"]
    assert [n for n, _ in msg.headers.items()] == ["v", "VIA", "Date", "X-Other", "k"]
    assert [v.host for v in msg.via] == ["h", "g"] and msg.supported == ["path"]


def test_rfc4475_wsinv_through_the_scanner() -> None:
    msg = parse_message(rfc4475_message("wsinv.dat"))
    assert msg.to.tag == "1918181833n" and msg.from_.display_name == 'J Rosenberg \\"'
    assert [(v.transport, v.host, v.branch) for v in msg.via] == [
        ("UDP", "192.0.2.2", "390skdjuw"), ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239")]
    assert (msg.cseq.seq, msg.cseq.method) == (9, "INVITE")
    assert msg.contact[0].display_name == 'Quoted string ""' and msg.contact[0].q == 0.33
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert msg.max_forwards == 68 and msg.content_length == 150


@pytest.mark.parametrize(("value", "status", "reason"), [
    ("SIP/3.0/UDP h", 505, "unsupported SIP version in Via"),
    ("FOO/2.0/UDP h", 400, "unknown protocol in Via"),
    ("SIP/2.0/UDP h:70000", 400, "port out of range in Via"),
    ("SIP/2.0/UDP h;ttl=300", 400, "Via ttl too large"),
    ("SIP/2.0/UDP h;branch=\"x", 400, "malformed Via parameter"),
    ("SIP/2.0/UDP", 400, "malformed Via"),
])
def test_via_errors_keep_their_status_hint(value: str, status: int, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        Via.parse(value)
    assert info.value.status_hint == status and info.value.reason.startswith(reason)


@pytest.mark.parametrize(("parse", "value", "reason"), [
    (CSeq.parse, "36893488147419103232 INVITE", "CSeq number too large"),
    (CSeq.parse, "1", "malformed CSeq"),
    (NameAddr.parse, '"unterminated <sip:a@b>', "malformed address"),
    (NameAddr.parse, "<sip:a@b>;tag=\"x", "malformed header parameter"),
    (lambda v: _sipscan.parse_auth(Credentials, v), 'Digest realm="a", nonce', "malformed auth-param"),
    (lambda v: _sipscan.parse_auth(Credentials, v), 'Digest realm="a" junk', "trailing characters in credentials"),
    (lambda v: _sipscan.parse_auth(Credentials, v), "  ", "empty credentials"),
])
def test_typed_errors(parse, value: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParseError) as info:
        parse(value)
    assert info.value.status_hint == 400 and info.value.reason.startswith(reason)


def test_bytes_like_input_parses_like_bytes() -> None:
    data = (b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
            b"Content-Length: 2\r\n\r\nhi")
    assert parse_message(bytearray(data)) == parse_message(memoryview(data)) == parse_message(data)
    assert parse_head(bytearray(data[:data.index(b"\r\n\r\n")])).headers == parse_message(data).headers


def test_scanner_keys_agree_with_header_key_for_every_known_name() -> None:
    # The C enum of names and _sipscan's table of keys must stay in step with headers.py.
    from uc_signal.sip.headers import CANONICAL, COMPACT_FORMS, header_key
    names = list(CANONICAL.values()) + list(COMPACT_FORMS) + [n.upper() for n in COMPACT_FORMS]
    names += [n.upper() for n in CANONICAL.values()] + [n.lower() for n in CANONICAL.values()]
    head = b"OPTIONS sip:a@b SIP/2.0\r\n" + b"".join(f"{n}: x\r\n".encode() for n in names)
    msg = parse_head(head[:-2])
    assert [(k, n) for k, n, _ in msg.headers._fields] == [(header_key(n), n) for n in names]
