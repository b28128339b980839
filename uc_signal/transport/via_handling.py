"""The server transport's part of Via handling (RFC 3261 18.2.1, 18.2.2; RFC 3581 4).

On receipt the top Via gets `received` when its sent-by host is not the source address,
and `received` plus the filled-in `rport` when the request asked for rport (RFC 3581 4:
received is then added even when it equals sent-by). Responses then go back to the
source address over UDP when rport was asked for, else to received and the sent-by port;
over a stream transport, over the connection the request came on.
"""

from __future__ import annotations

from ..sip import Headers, ParseError, Via
from .peer import Peer


def stamp_via(headers: Headers, source: Peer) -> Via | None:
    """Add received/rport to the top Via of a received request's headers; return the top
    Via as it now is (None when there is none or the Vias cannot be read)."""
    try:
        vias = headers.typed("via")
    except ParseError:
        return None
    if not vias:
        return None
    via: Via = vias[0]
    params: dict[str, str | None] = {}
    if via.rport is True:
        params["received"] = source.host
        params["rport"] = str(source.port)
    elif via.host.strip("[]") != source.host and via.received != source.host:  # [v6] in sent-by
        params["received"] = source.host
    if not params:
        return via
    stamped = via.with_params(**params)
    # The top Via may share its field line with others: take off just the first element
    # and put the stamped one, as a line of its own, where that field was (RFC 3261 7.3.1).
    headers.replace_first_element("via", stamped)
    # The field now holds str(stamped), which parses back to an equal Via (serialising a
    # parsed Via is a fixed point): keep the parsed list instead of reading it again.
    headers._typed["via"] = [stamped, *vias[1:]]
    return stamped


def response_peer(via: Via | None, source: Peer) -> Peer:
    """Where a response to a request from `source` with top Via `via` goes (18.2.2)."""
    if source.is_stream or via is None:
        return source  # the same connection; or, Via unreadable, back where it came from
    if via.maddr:
        return Peer(via.maddr, via.port or 5060, "UDP", source.flow)
    if via.rport is not None:
        return source
    return Peer(via.received or source.host, via.port or 5060, "UDP", source.flow)
