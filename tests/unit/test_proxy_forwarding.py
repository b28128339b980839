"""What the stateful proxy puts on the wire when it forwards a request (RFC 3261 16.6):
every header and the body as received, except the ones 16.6 edits, and a forwarded
request whose parsed Via/CSeq (kept from forwarding, not re-read) agree with its bytes."""

from __future__ import annotations

from typing import Any

from uc_signal.sip import Request, parse_message

from proxy_network import DOMAIN, Network
from test_proxy import BOB, authenticated_invite

SDP = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
# Headers the proxy never reads, in odd spellings and spacing: forwarded as they came.
EXTRA = ("Subject:   lunch?  \r\n"
         "X-Custom: a , b,c\r\n"
         "Supported: replaces, timer\r\n"
         "User-Agent: test/1.0 (odd; spacing)\r\n"
         "Content-Type: application/sdp\r\n")
EDITED = {"via", "max-forwards", "record-route", "proxy-authorization", "content-length"}


def header_lines(data: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    start, *lines = head.decode().split("\r\n")
    return start, [(name.strip(), value) for name, _, value in (line.partition(":") for line in lines)], body


def capture_forwarded(net: Network) -> list[Request]:
    sent: list[Request] = []
    real = net.layer.send_request

    def send_request(request: Request, addr: Any, now: float) -> Any:
        sent.append(request)
        return real(request, addr, now)

    net.layer.send_request = send_request  # type: ignore[method-assign]
    return sent


def call(net: Network) -> tuple[Any, Any, list[Request]]:
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    assert bob.register().status == 200
    sent = capture_forwarded(net)
    authenticated_invite(net, alice, BOB, extra=EXTRA)
    return alice, bob, sent


def test_forwarded_invite_keeps_every_unedited_header_and_the_body_byte_exact() -> None:
    net = Network()
    alice = net.agent("alice", "192.0.2.10")
    bob = net.agent("bob", "192.0.2.20")
    assert bob.register().status == 200
    first = alice.request("INVITE", BOB, extra=EXTRA, body=SDP)
    alice.send(first)
    net.run()
    value = alice.final("INVITE").headers.get_all("Proxy-Authenticate")[-1]
    auth = alice.digest.authorize(value, "INVITE", BOB)
    invite = alice.request("INVITE", BOB, extra=EXTRA + f"Proxy-Authorization: {auth}\r\n", body=SDP)
    received = bytes(invite)
    alice.send(invite)
    net.run()
    [forwarded] = net.sent_by_proxy(f"INVITE {bob.contact} ")
    start_in, lines_in, body_in = header_lines(received)
    start_out, lines_out, body_out = header_lines(forwarded)
    assert start_in == f"INVITE {BOB} SIP/2.0" and start_out == f"INVITE {bob.contact} SIP/2.0"  # 16.6 step 2
    assert body_out == body_in == SDP.encode()
    kept_in = [(n, v) for n, v in lines_in if n.lower() not in EDITED]
    kept_out = [(n, v) for n, v in lines_out if n.lower() not in EDITED]
    assert kept_out == kept_in   # same names as written, same values, same order
    values = {n.lower(): v for n, v in lines_out}
    assert values["max-forwards"].strip() == "69"                                # step 3
    assert values["record-route"].strip() == "<sip:192.0.2.1:5060;transport=udp;lr>"  # step 4
    assert values["content-length"].strip() == str(len(SDP))
    assert "proxy-authorization" not in values                                   # consumed (22.3)
    vias_in = [v for n, v in lines_in if n.lower() == "via"]
    vias_out = [v for n, v in lines_out if n.lower() == "via"]
    assert len(vias_out) == len(vias_in) + 1                                     # step 8
    assert vias_out[0].strip().startswith("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK")
    assert vias_out[1].strip().startswith(vias_in[0].strip().split(";rport")[0])  # upstream's, stamped


def test_forwarded_request_parsed_fields_agree_with_its_bytes() -> None:
    net = Network()
    _, bob, sent = call(net)
    [invite] = [r for r in sent if r.method == "INVITE"]
    reparsed = parse_message(bytes(invite))
    assert isinstance(reparsed, Request)
    assert [str(v) for v in invite.via] == [str(v) for v in reparsed.via]
    assert [v.params for v in invite.via] == [v.params for v in reparsed.via]
    assert invite.top_via is not None and invite.top_via.branch == reparsed.top_via.branch  # type: ignore[union-attr]
    assert str(invite.cseq) == str(reparsed.cseq)
    [received] = bob.requests("INVITE")
    assert received.request.top_via.branch == invite.top_via.branch  # type: ignore[union-attr]
    assert DOMAIN in invite.headers.get("From", "")
