"""Choosing the response a forking proxy sends upstream (RFC 3261 16.7 item 6).

Pure functions over the final responses the branches collected: a 6xx wins; otherwise the
lowest class; within 4xx, 401, 407, 415, 420 and 484 are preferred (they let the UAC fix
the request); a 503 is sent as 500 (16.7 item 6: the 503 spoke of the next hop, not of us);
and a chosen 401/407 carries every challenge of every 401/407 received (16.7 item 7).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..sip import Response

PREFERRED_4XX = (401, 407, 415, 420, 484)
_CHALLENGES = ("WWW-Authenticate", "Proxy-Authenticate")


def best_response(responses: Sequence[Response]) -> Response | None:
    """The response to forward among final non-2xx `responses` (None when empty)."""
    finals = [r for r in responses if r.status >= 300]
    if not finals:
        return None
    six = [r for r in finals if r.status >= 600]
    if six:
        return six[0]
    lowest = min(r.status // 100 for r in finals)
    group = [r for r in finals if r.status // 100 == lowest]
    if lowest == 4:
        for status in PREFERRED_4XX:
            for response in group:
                if response.status == status:
                    return response
    return group[0]


def prepare_upstream(chosen: Response, responses: Sequence[Response]) -> Response:
    """The chosen response as it goes upstream: 503 -> 500, challenges merged."""
    if chosen.status == 503:
        chosen.status, chosen.reason = 500, "Server Internal Error"
        chosen.headers.remove("Retry-After")
    if chosen.status in (401, 407):
        have = {(n.lower(), v) for name in _CHALLENGES for n, v in
                ((name, value) for value in chosen.headers.get_all(name))}
        for response in responses:
            if response is chosen or response.status not in (401, 407):
                continue
            for name in _CHALLENGES:
                for value in response.headers.get_all(name):
                    if (name.lower(), value) not in have:
                        chosen.headers.add(name, value)
                        have.add((name.lower(), value))
    return chosen
