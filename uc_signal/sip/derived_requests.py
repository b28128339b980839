"""Requests derived from others: the ACK for a non-2xx (RFC 3261 17.1.1.3), CANCEL (9.1),
and new branch values (8.1.1.7)."""

from __future__ import annotations

import os
from collections.abc import Callable

from .headers import Headers
from .message import Request, Response
from .via import MAGIC_COOKIE


def new_branch(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A branch unique across space and time, starting with the magic cookie (8.1.1.7)."""
    return MAGIC_COOKIE + random_bytes(12).hex()


def _top_via_text(request: Request) -> str:
    vias = request.headers.values("Via")
    if not vias:
        raise ValueError("request has no Via")
    return vias[0]


def _copy(request: Request, headers: Headers, name: str) -> None:
    value = request.headers.get(name)
    if value is None:
        raise ValueError(f"request has no {name}")
    headers.add(name, value)


def make_ack(invite: Request, response: Response) -> Request:
    """The ACK a client transaction sends for a 300-699 to `invite` (17.1.1.3).

    Same Request-URI, Call-ID, From and CSeq number as the INVITE; To from the response
    (it carries the tag); one Via, the INVITE's top Via (so the same branch); the INVITE's
    Route header fields.
    """
    cseq = invite.cseq
    if cseq is None:
        raise ValueError("INVITE has no CSeq")
    headers = Headers()
    headers.add("Via", _top_via_text(invite))
    for route in invite.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    _copy(invite, headers, "From")
    to = response.headers.get("To")
    if to is None:
        raise ValueError("response has no To")
    headers.add("To", to)
    _copy(invite, headers, "Call-ID")
    headers.add("CSeq", f"{cseq.seq} ACK")
    headers.add("Content-Length", "0")
    return Request("ACK", invite.uri_text, headers)


def make_cancel(request: Request) -> Request:
    """A CANCEL for `request` (9.1): its Request-URI, Call-ID, To, From, CSeq number, its
    top Via (same branch, so it reaches the same server transaction) and Route fields."""
    cseq = request.cseq
    if cseq is None:
        raise ValueError("request has no CSeq")
    if request.method in ("ACK", "CANCEL"):
        raise ValueError(f"a {request.method} cannot be cancelled")
    headers = Headers()
    headers.add("Via", _top_via_text(request))
    for route in request.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    for name in ("From", "To", "Call-ID"):
        _copy(request, headers, name)
    headers.add("CSeq", f"{cseq.seq} CANCEL")
    headers.add("Content-Length", "0")
    return Request("CANCEL", request.uri_text, headers)
