"""make_response hands the request's parsed Via, From, Call-ID and CSeq to the response
(the same fields): they equal what parsing the response's own fields gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from uc_signal.sip import Headers, Request, make_response, parse_message

VIAS = ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=5060;received=10.0.0.9",
        "SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2", "SIP/2.0/UDP [::1]:5070;branch=z9hG4bK3, SIP/2.0/UDP h;branch=z9hG4bK4"]


def request_with(vias: list[str], compact: bool) -> Request:
    via_lines = "".join(f"{'v' if compact else 'Via'}: {via}\r\n" for via in vias)
    data = (f"OPTIONS sip:bob@example.com SIP/2.0\r\n{via_lines}"
            f"{'f' if compact else 'From'}: \"Alice\" <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
            f"{'i' if compact else 'Call-ID'}: c@h\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
    request = parse_message(data)
    assert isinstance(request, Request)
    return request


@given(vias=st.lists(st.sampled_from(VIAS), min_size=1, max_size=3), compact=st.booleans(),
       read=st.lists(st.sampled_from(["via", "from", "call-id", "cseq"]), unique=True), status=st.sampled_from([100, 200, 486]))
def test_copied_values_equal_a_fresh_parse(vias: list[str], compact: bool, read: list[str], status: int) -> None:
    request = request_with(vias, compact)
    for key in read:
        request.headers.typed(key)
    response = make_response(request, status, to_tag="t")
    fresh = Headers._from_parsed(list(response.headers._fields))
    assert set(response.headers._typed) == set(read)
    for key in ("via", "from", "call-id", "cseq"):
        assert str(response.headers.typed(key)) == str(fresh.typed(key))
    if "via" in read:  # the list is the response's own
        assert response.headers._typed["via"] is not request.headers._typed["via"]


@given(to=st.sampled_from(["<sip:bob@example.com>", '"Bob" <sip:bob@example.com>;x=1', "sip:bob@example.com",
                           "<sip:bob@example.com>;tag=there"]), read_to=st.booleans())
def test_the_to_tag_is_added_alike_whether_the_to_was_read(to: str, read_to: bool) -> None:
    data = (f"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: {VIAS[0]}\r\nFrom: <sip:a@example.com>;tag=1\r\n"
            f"To: {to}\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n").encode()
    request, fresh = parse_message(data), parse_message(data)
    assert isinstance(request, Request) and isinstance(fresh, Request)
    if read_to:
        request.to
    assert bytes(make_response(request, 486, to_tag="ours")) == bytes(make_response(fresh, 486, to_tag="ours"))
