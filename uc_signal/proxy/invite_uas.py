"""What a UAS core that answers INVITE itself owes (the focus, the dial-in attendant):
the 2xx that creates its dialog (12.1.1), and that 2xx sent again until the ACK comes.

RFC 3261 13.3.1.4: over an unreliable transport the 2xx is retransmitted from T1, doubling
up to T2, and a UAS that gets no ACK within 64*T1 ends the session (with a BYE). ucd's
transaction layer runs with `retransmit_2xx=False`, leaving this to the UAS core, since a
proxied 2xx is the far UAS's to retransmit. Sans-IO: time is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sip import Dialog, Request, Response, copy_record_route, make_response
from ..transport.peer import Peer

T1, T2 = 0.5, 4.0      # RFC 3261 17.1.1.1 defaults, seconds


def answer_invite(request: Request, to_tag: str, contact: str, allow: str, sdp: bytes,
                  content_type: str) -> tuple[Response, Dialog]:
    """The 200 with our SDP and the UAS dialog it creates (12.1.1: the request's
    Record-Route copied, our Contact as the remote target for the peer)."""
    response = make_response(request, 200, to_tag=to_tag)
    response.headers.add("Contact", contact)
    response.headers.add("Allow", allow)
    copy_record_route(request, response)
    response.set_body(sdp, content_type)
    dialog = Dialog.for_uas(request, response)
    dialog.sent_response(response)
    return response, dialog


@dataclass
class UnacknowledgedAnswer:
    """A 2xx sent over UDP whose ACK has not come yet."""

    response: Response
    peer: Peer
    next_at: float
    interval: float
    give_up_at: float

    @classmethod
    def sent(cls, response: Response, peer: Peer, now: float) -> UnacknowledgedAnswer:
        return cls(response, peer, now + T1, T1, now + 64 * T1)

    def due(self, now: float) -> bool:
        return self.next_at <= now

    def given_up(self, now: float) -> bool:
        """64*T1 without an ACK: the session is to be ended."""
        return now >= self.give_up_at

    def retransmitted(self, now: float) -> None:
        """The 2xx went out again at `now`: the next time is twice as far, at most T2."""
        self.interval = min(2 * self.interval, T2)
        self.next_at = min(now + self.interval, self.give_up_at)
