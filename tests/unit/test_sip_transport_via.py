"""Via handling on receipt and the response address (RFC 3261 18.2.1/18.2.2, RFC 3581)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from uc_signal.sip import Headers, Via, parse_message
from uc_signal.transport import Peer, response_peer, stamp_via

UDP_SOURCE = Peer("203.0.113.7", 40000, "UDP", "udp0")


def headers_with(*vias: str) -> Headers:
    return Headers([*(("Via", via) for via in vias), ("CSeq", "1 OPTIONS")])


def test_received_added_when_sent_by_host_differs() -> None:
    headers = headers_with("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1")
    via = stamp_via(headers, UDP_SOURCE)
    assert via is not None and via.received == "203.0.113.7" and via.rport is None
    assert headers.get_all("via") == ["SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=203.0.113.7"]


def test_nothing_added_when_sent_by_is_the_source_and_no_rport() -> None:
    headers = headers_with("SIP/2.0/UDP 203.0.113.7:40000;branch=z9hG4bK1")
    stamp_via(headers, UDP_SOURCE)
    assert headers.get_all("via") == ["SIP/2.0/UDP 203.0.113.7:40000;branch=z9hG4bK1"]


def test_ipv6_sent_by_in_brackets_matches_the_bare_source_address() -> None:
    headers = headers_with("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1")
    stamp_via(headers, Peer("2001:db8::1", 5060, "UDP"))
    assert headers.get_all("via") == ["SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1"]


def test_rport_filled_and_received_added_even_when_equal() -> None:
    # RFC 3581 4: with rport, received is added even if it equals the sent-by host.
    headers = headers_with("SIP/2.0/UDP 203.0.113.7:5060;rport;branch=z9hG4bK1")
    via = stamp_via(headers, UDP_SOURCE)
    assert via is not None and via.rport == 40000 and via.received == "203.0.113.7"


def test_only_the_top_via_element_changes_in_a_shared_line() -> None:
    headers = headers_with("SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/UDP b.example;branch=z9hG4bK0",
                           "SIP/2.0/UDP c.example;branch=z9hG4bK2")
    stamp_via(headers, UDP_SOURCE)
    vias = headers.typed("via")
    assert [v.host for v in vias] == ["a.example", "b.example", "c.example"]
    assert vias[0].received == "203.0.113.7" and vias[1].received is None
    assert headers.items()[0][0] == "Via" and headers.items()[-1] == ("CSeq", "1 OPTIONS")


def test_unreadable_or_missing_via_is_left_alone() -> None:
    headers = headers_with("garbage")
    assert stamp_via(headers, UDP_SOURCE) is None
    assert headers.get_all("via") == ["garbage"]
    assert stamp_via(Headers([("CSeq", "1 OPTIONS")]), UDP_SOURCE) is None


def test_response_peer_rules() -> None:
    plain = Via.parse("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;received=203.0.113.7")
    assert response_peer(plain, UDP_SOURCE) == Peer("203.0.113.7", 5070, "UDP", "udp0")
    default_port = Via.parse("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=203.0.113.7")
    assert response_peer(default_port, UDP_SOURCE).port == 5060
    with_rport = Via.parse("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;rport=40000;received=203.0.113.7")
    assert response_peer(with_rport, UDP_SOURCE) == UDP_SOURCE
    maddr = Via.parse("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;maddr=239.0.0.1")
    assert response_peer(maddr, UDP_SOURCE).host == "239.0.0.1"
    tcp_source = Peer("203.0.113.7", 50000, "TCP", "token")
    assert response_peer(plain, tcp_source) == tcp_source  # same connection (18.2.2)
    assert response_peer(None, UDP_SOURCE) == UDP_SOURCE


@given(host=st.sampled_from(["10.0.0.1", "203.0.113.7", "host.example", "[2001:db8::1]"]),
       port=st.integers(1, 65535), rport=st.booleans(),
       source_port=st.integers(1, 65535), transport=st.sampled_from(["UDP", "TCP", "TLS", "WS"]))
def test_stamped_request_answers_back_to_its_source(host: str, port: int, rport: bool,
                                                    source_port: int, transport: str) -> None:
    """Whatever the Via says, after stamping a response either reaches the source address
    (rport, or a stream) or the host the request really came from, never the sent-by host."""
    raw = (f"OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/{transport} {host}:{port};branch=z9hG4bKp"
           f"{';rport' if rport else ''}\r\nCSeq: 1 OPTIONS\r\n\r\n").encode()
    message = parse_message(raw)
    source = Peer("198.51.100.9", source_port, transport, "f")
    via = stamp_via(message.headers, source)
    assert via is not None
    again = parse_message(bytes(message)).top_via  # the stamp survives serialisation
    assert again == via
    target = response_peer(via, source)
    assert target.host == "198.51.100.9"
    if rport or transport != "UDP":
        assert target == source
    else:
        assert target.port == port
