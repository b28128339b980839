"""The INVITE UAS core's 2xx retransmission schedule (RFC 3261 13.3.1.4) and the answer
that creates its dialog."""

from __future__ import annotations

from uc_signal.proxy.invite_uas import T1, T2, UnacknowledgedAnswer, answer_invite
from uc_signal.sip import Request, parse_message
from uc_signal.transport.peer import Peer

INVITE = (b"INVITE sip:meet@example.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKa1\r\n"
          b"Record-Route: <sip:192.0.2.1;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.test>;tag=a\r\n"
          b"To: <sip:meet@example.test>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.9>\r\n"
          b"Content-Length: 0\r\n\r\n")


def test_retransmissions_double_from_t1_to_t2_and_stop_after_64_t1() -> None:
    request = parse_message(INVITE)
    assert isinstance(request, Request)
    response, _ = answer_invite(request, "f1", "<sip:focus@192.0.2.1>", "INVITE, ACK, BYE", b"v=0\r\n",
                                "application/sdp")
    unacked = UnacknowledgedAnswer.sent(response, Peer("192.0.2.9", 5060), 100.0)
    sent_at = []
    now = 100.0
    while not unacked.given_up(now):
        now = unacked.next_at
        assert unacked.due(now) and not unacked.due(now - 0.01)
        if unacked.given_up(now):
            break
        sent_at.append(now - 100.0)
        unacked.retransmitted(now)
    gaps = [b - a for a, b in zip([0.0, *sent_at], sent_at)]
    assert gaps[:4] == [T1, 2 * T1, 4 * T1, T2] and all(gap <= T2 for gap in gaps)
    assert now == 100.0 + 64 * T1


def test_the_answer_carries_the_route_set_and_makes_a_confirmed_dialog() -> None:
    request = parse_message(INVITE)
    assert isinstance(request, Request)
    response, dialog = answer_invite(request, "f1", "<sip:focus@192.0.2.1>;isfocus", "INVITE, ACK, BYE",
                                     b"v=0\r\n", "application/sdp")
    assert response.status == 200 and response.headers.get("Record-Route") == "<sip:192.0.2.1;lr>"
    assert response.headers.get("Contact") == "<sip:focus@192.0.2.1>;isfocus" and response.body == b"v=0\r\n"
    assert dialog.id.local_tag == "f1" and dialog.id.remote_tag == "a" and dialog.remote_target == "sip:alice@192.0.2.9"
