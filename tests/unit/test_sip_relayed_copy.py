"""encode_relayed_copy writes the bytes of the Request-built copy (Headers edits, then
bytes()), for arbitrary header lists: the differential test of the byte path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.sip import Headers, Request, parse_message
from uc_signal.sip.relayed_copy import encode_relayed_copy, forwarded_fields

VIA = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKours;rport"


def object_copy(request: Request, uri: str, via: str, max_forwards: int, routes: tuple[str, ...],
                drop: tuple[str, ...], body: bytes) -> bytes:
    """The copy as the IM service built it before (Request path): the reference."""
    headers = request.headers.copy()
    for name in ("Via", "Route", "Record-Route", *drop):
        headers.remove(name)
    headers.set("Max-Forwards", str(max_forwards))
    for route in reversed(routes):
        headers.prepend("Route", route)
    copy = Request(request.method, uri, headers)
    copy.set_body(body)
    copy.headers.insert(0, "Via", via)
    return bytes(copy)


BASE = [("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport"), ("From", "<sip:alice@example.com>;tag=1"),
        ("To", "<sip:bob@example.com>"), ("Call-ID", "c1@h"), ("CSeq", "2 MESSAGE")]
OPTIONAL = [("Max-Forwards", "70"), ("max-forwards", "12"), ("Route", "<sip:proxy.example.com;lr>"),
            ("Record-Route", "<sip:rr.example.com;lr>"), ("Proxy-Authorization", 'Digest username="alice"'),
            ("v", "SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK2"), ("Content-Type", "text/plain"), ("l", "5"),
            ("Content-Length", "5"), ("X-Extra", "caf\u00e9 \u2603"), ("Subject", "hi"), ("Via", "SIP/2.0/UDP a;branch=z9hG4bKb")]


@settings(max_examples=300, deadline=None)
@given(extra=st.lists(st.sampled_from(OPTIONAL), max_size=8), order=st.randoms(use_true_random=False),
       max_forwards=st.integers(0, 70), routes=st.lists(st.sampled_from(["<sip:edge;lr>", "<sip:10.0.0.9:5070;lr>"]),
                                                         max_size=2),
       drop=st.sampled_from([(), ("proxy-authorization",), ("proxy-authorization", "subject")]),
       body=st.sampled_from([b"hello", b"", "gr\u00fc\u00df".encode()]))
def test_bytes_equal_the_request_built_copy(extra, order, max_forwards, routes, drop, body) -> None:
    fields = BASE + extra
    order.shuffle(fields)
    text = "MESSAGE sip:bob@example.com SIP/2.0\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields) + "\r\n"
    data = text.encode()
    if any(n.lower() in ("l", "content-length") for n, _ in fields):
        data += b"hello"
    request = parse_message(data)
    assert isinstance(request, Request)
    uri = "sip:bob@127.0.0.1:5062;transport=udp"
    drop_names = tuple({"proxy-authorization": "Proxy-Authorization", "subject": "Subject"}[d] for d in drop)
    expected = object_copy(request, uri, VIA, max_forwards, tuple(routes), drop_names, body)
    assert encode_relayed_copy(request, uri, VIA, max_forwards, routes=routes, drop=drop, body=body) == expected


def test_the_copy_parses_to_what_the_endpoint_needs() -> None:
    request = parse_message(
        b"MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
        b"Route: <sip:us;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
        b"To: <sip:bob@example.com>\r\nCall-ID: c\r\nCSeq: 2 MESSAGE\r\nProxy-Authorization: Digest x=1\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
    assert isinstance(request, Request)
    data = encode_relayed_copy(request, "sip:bob@10.0.0.2:5062", VIA, 69, routes=("<sip:edge;lr>",),
                               drop=("proxy-authorization",))
    copy = parse_message(data)
    assert isinstance(copy, Request)
    assert copy.uri_text == "sip:bob@10.0.0.2:5062"
    assert [str(v) for v in copy.via] == [VIA]
    assert copy.max_forwards == 69
    assert copy.headers.get_all("Route") == ["<sip:edge;lr>"]
    assert "Proxy-Authorization" not in copy.headers
    assert copy.body == b"hello" and copy.headers.get("Content-Length") == "5"


def object_forwarded(request: Request, via: str, max_forwards: str, routes: tuple[str, ...],
                     record_routes: tuple[str, ...]) -> Headers:
    """The proxy router's forwarded headers as it built them before (Headers edits): the reference."""
    headers = request.headers.copy()
    headers.set("Max-Forwards", max_forwards)
    for route in reversed(routes):
        headers.prepend("Route", route)
    for route in reversed(record_routes):
        headers.prepend("Record-Route", route)
    headers.prepend("Via", via)
    return headers


@settings(max_examples=300, deadline=None)
@given(extra=st.lists(st.sampled_from(OPTIONAL), max_size=8), order=st.randoms(use_true_random=False),
       keep_via=st.booleans(), max_forwards=st.sampled_from(["0", "69"]),
       routes=st.lists(st.sampled_from(["<sip:edge;lr>", "<sip:10.0.0.9:5070;lr>"]), max_size=2),
       record_routes=st.sampled_from([(), ("<sip:us;lr>",), ("<sip:us:5061;transport=tls;lr>", "<sip:us;lr>")]))
def test_forwarded_fields_equal_the_headers_edits(extra, order, keep_via, max_forwards, routes, record_routes) -> None:
    fields = (BASE if keep_via else BASE[1:]) + extra
    order.shuffle(fields)
    headers = Headers(fields)
    request = Request("INVITE", "sip:bob@example.com", headers)
    expected = object_forwarded(request, VIA, max_forwards, tuple(routes), record_routes)
    got = forwarded_fields(headers._fields, VIA, max_forwards, routes=routes, record_routes=record_routes)
    assert got == expected._fields
