"""Property tests for the SIP message layer (Hypothesis).

- serialize(parse(x)) is a fixed point for generated messages;
- the same logical message written with random header order, LWS around colons, folded
  lines and compact or long names parses to the same typed values;
- any octets give a message or a ParseError, nothing else; a stream cut anywhere frames
  to the same messages.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from uc_signal.sip import (NEED_DATA, MessageReceived, ParseError, StreamFramer, parse_datagram,
                           parse_message)

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-.!%*_+`'~"
tokens = st.text(TOKEN_ALPHABET, min_size=1, max_size=12)
words = st.text(string.ascii_letters + string.digits, min_size=1, max_size=10)
hosts = st.one_of(
    st.lists(words, min_size=1, max_size=3).map(".".join),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    st.just("[2001:db8::1]"))
ports = st.one_of(st.none(), st.integers(1, 65535))
display_names = st.one_of(st.none(), st.text(string.ascii_letters + " ,;:<>@", min_size=1, max_size=12))


@st.composite
def sip_uris(draw: st.DrawFn) -> str:
    user = draw(st.one_of(st.none(), words))
    port = draw(ports)
    params = draw(st.lists(st.tuples(words, st.one_of(st.none(), words)), max_size=2, unique_by=lambda p: p[0].lower()))
    uri = "sip:" + (f"{user}@" if user else "") + draw(hosts) + (f":{port}" if port else "")
    return uri + "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params)


@st.composite
def name_addrs(draw: st.DrawFn, tag: bool) -> str:
    name = draw(display_names)
    value = (f'"{name}" ' if name else "") + f"<{draw(sip_uris())}>"
    if tag:
        value += f";tag={draw(tokens)}"
    return value


@st.composite
def vias(draw: st.DrawFn) -> str:
    port = draw(ports)
    return (f"SIP/2.0/{draw(st.sampled_from(['UDP', 'TCP', 'TLS', 'WS']))} {draw(hosts)}"
            + (f":{port}" if port else "") + f";branch=z9hG4bK{draw(words)}"
            + draw(st.sampled_from(["", ";rport", ";received=192.0.2.1;rport=5060"])))


@st.composite
def logical_messages(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], bytes]:
    """A request as (start line, [(long name, value)], body): one logical message."""
    method = draw(st.sampled_from(["INVITE", "REGISTER", "OPTIONS", "MESSAGE", draw(tokens)]))
    body = draw(st.binary(max_size=40))
    headers = [("Via", v) for v in draw(st.lists(vias(), min_size=1, max_size=3))]
    headers += [
        ("From", draw(name_addrs(tag=True))),
        ("To", draw(name_addrs(tag=draw(st.booleans())))),
        ("Call-ID", draw(words) + "@" + draw(hosts)),
        ("CSeq", f"{draw(st.integers(0, 2**31 - 1))} {method}"),
        ("Max-Forwards", str(draw(st.integers(0, 255)))),
        ("Contact", draw(name_addrs(tag=False)) + draw(st.sampled_from(["", ";expires=60", ";q=0.5"]))),
        ("Supported", ", ".join(draw(st.lists(tokens, max_size=3)))),
        ("Content-Length", str(len(body))),
    ]
    headers += [("X-" + draw(words), draw(st.text(string.ascii_letters + " =;,", max_size=15)).strip())
                for _ in range(draw(st.integers(0, 2)))]
    return f"{method} {draw(sip_uris())} SIP/2.0", headers, body


COMPACT = {"Via": "v", "From": "f", "To": "t", "Call-ID": "i", "Contact": "m", "Supported": "k",
           "Content-Length": "l"}


@st.composite
def renderings(draw: st.DrawFn, logical: tuple[str, list[tuple[str, str]], bytes]) -> bytes:
    """One of the many ways to write the same message on the wire."""
    start, headers, body = logical
    # Shuffle, keeping the relative order of same-named fields (Via order is meaning).
    order = draw(st.permutations(range(len(headers))))
    by_name: dict[str, list[int]] = {}
    for i, (name, _) in enumerate(headers):
        by_name.setdefault(name, []).append(i)
    slots = {name: iter(idx) for name, idx in by_name.items()}
    shuffled = [headers[next(slots[headers[i][0]])] for i in order]
    lines = [start]
    for name, value in shuffled:
        if name in COMPACT and draw(st.booleans()):
            name = COMPACT[name]
        name = draw(st.sampled_from([name, name.lower(), name.upper()]))
        before = draw(st.sampled_from(["", " ", "\t "]))
        after = draw(st.sampled_from(["", " ", "  ", "\r\n ", " \r\n\t"]))  # SWS incl. folding
        if name.lower() in ("via", "v") and ";" in value and draw(st.booleans()):
            value = value.replace(";", "\r\n ;", 1)  # LWS may precede a Via parameter
        lines.append(f"{name}{before}:{after}{value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def typed_view(data: bytes) -> tuple:
    msg = parse_message(data).validate()
    return (msg.method, str(msg.uri), [str(v) for v in msg.via], str(msg.from_), str(msg.to),  # type: ignore[union-attr]
            msg.call_id, str(msg.cseq), msg.max_forwards, [str(c) for c in msg.contact],
            msg.supported, msg.content_length, msg.body)


@given(st.data())
def test_serialize_parse_is_a_fixed_point(data: st.DataObject) -> None:
    wire = data.draw(renderings(data.draw(logical_messages())))
    first = parse_message(wire)
    once = bytes(first)
    second = parse_message(once)
    assert second == first
    assert bytes(second) == once


@given(st.data())
def test_renderings_parse_to_the_same_typed_values(data: st.DataObject) -> None:
    logical = data.draw(logical_messages())
    a = data.draw(renderings(logical))
    b = data.draw(renderings(logical))
    assert typed_view(a) == typed_view(b)


@given(st.binary(max_size=300))
def test_arbitrary_octets_parse_or_raise_parse_error(data: bytes) -> None:
    try:
        msg = parse_datagram(data)
        if msg is not None:
            msg.validate()
            bytes(msg)
    except ParseError:
        pass


@given(st.data())
def test_mutated_messages_parse_or_raise_parse_error(data: st.DataObject) -> None:
    wire = bytearray(data.draw(renderings(data.draw(logical_messages()))))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(wire) - 1))
        wire[pos] = data.draw(st.sampled_from(b' \t\r\n:;,<>"@=%\\/\x00\xff'))
    try:
        msg = parse_datagram(bytes(wire))
        if msg is not None:
            msg.validate()
            msg.check_required_headers()
            assert parse_message(bytes(msg)) == msg
    except ParseError:
        pass


@given(st.data())
def test_stream_cut_anywhere_frames_the_same(data: st.DataObject) -> None:
    messages = [data.draw(renderings(data.draw(logical_messages()))) for _ in range(data.draw(st.integers(1, 3)))]
    stream = b"\r\n\r\n".join(messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    framer = StreamFramer()
    got = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)]):
        if start == end:
            continue  # receive_data(b"") would mean the peer closed
        framer.receive_data(stream[start:end])
        for _ in range(20):
            event = framer.next_event()
            if event is NEED_DATA:
                break
            if isinstance(event, MessageReceived):
                got.append(event.message)
    assert got == [parse_message(m) for m in messages]
