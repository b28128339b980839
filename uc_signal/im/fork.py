"""One MESSAGE sent to every registered endpoint of a recipient at once (RFC 3428
section 4 lets a proxy fork a MESSAGE; Lync delivers an IM to every point of presence),
each copy its own client transaction through the application's originator.

The outcome is decided once: `on_accepted` at the first 2xx (later answers are only
counted), else `on_failed` with every final response when the last branch has ended.

A copy is built either as a Request (`build`) or, on the hot path of a live MESSAGE, as
the bytes to send (`encode`, given our Via; sent with the originator's `send_encoded`, so
neither the copy nor its Via is parsed back).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..proxy.services import ApplicationServices
from ..proxy.targets import Destination
from ..sip import Request, Response

# (destination, our Via for it) -> the copy as sent: a non-INVITE request with that Via on top
EncodeCopy = Callable[[Destination, str], bytes]

# Endpoint answers that mean "not reachable now" rather than "refused": a stored copy is
# delivered later. 408: Timer F fired (the UA is gone); 480: the UA says it is away;
# 503: the transport failed, or the UA is overloaded.
UNREACHABLE = frozenset({408, 480, 503})


def best_failure(responses: Sequence[Response]) -> Response | None:
    """The failure a sender is told (RFC 3261 16.7 item 6, simplified): a 6xx wins;
    else a 4xx other than a timeout before any 5xx; the lowest code among equals."""
    if not responses:
        return None
    global_failures = [r for r in responses if r.status >= 600]
    if global_failures:
        return global_failures[0]
    return min(responses, key=lambda r: (r.status >= 500 or r.status == 408, r.status))


def all_unreachable(responses: Sequence[Response]) -> bool:
    return all(r.status in UNREACHABLE for r in responses)


class Fork:
    def __init__(self, services: ApplicationServices, build: Callable[[Destination], Request] | None,
                 on_accepted: Callable[[Response, float], None],
                 on_failed: Callable[[list[Response], float], None], *,
                 encode: tuple[str, EncodeCopy] | None = None) -> None:
        """`build` makes each copy as a Request; or `encode` = (method, encoder) as bytes."""
        if (build is None) == (encode is None):
            raise ValueError("a Fork builds its copies either as Requests or as bytes")
        self.services = services
        self.build = build
        self.encode = encode
        self.on_accepted = on_accepted
        self.on_failed = on_failed
        self.outstanding = 0
        self.accepted = False
        self.failures: list[Response] = []

    def start(self, destinations: Sequence[Destination], now: float) -> bool:
        """Send a copy to each destination; False when there is none (nothing sent)."""
        if not destinations:
            return False
        self.outstanding = len(destinations)
        originator = self.services.originator
        for destination in destinations:
            via = originator.via(destination.peer.transport)
            # A copy that cannot be sent is answered 503 at once, through the callback.
            if self.encode is not None:
                method, encode = self.encode
                originator.send_encoded(encode(destination, str(via)), method, via.branch or "", destination.peer,
                                        self._on_response, now)
                continue
            assert self.build is not None
            request = self.build(destination)
            # Our Via on top, first line of the header (the originator would append it).
            request.headers.insert(0, "Via", str(via))
            originator.send(request, destination.peer, self._on_response, now)
        return True

    def _on_response(self, response: Response, now: float) -> None:
        if response.status < 200:
            return
        self.outstanding -= 1
        if 200 <= response.status < 300:
            if not self.accepted:
                self.accepted = True
                self.on_accepted(response, now)
            return
        self.failures.append(response)
        if self.outstanding == 0 and not self.accepted:
            self.on_failed(self.failures, now)
