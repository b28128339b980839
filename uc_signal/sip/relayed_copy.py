"""A received request copied for another hop, written as bytes in one pass (RFC 3261 16.6).

An application that relays a request through a client transaction of its own (the IM
service forking a MESSAGE to each endpoint of its recipient, RFC 3428 section 4) sends a
copy that differs from what it received by a few fields: a new Request-URI, our Via as the
only one, the upstream Route / Record-Route / credentials left out, Max-Forwards one less,
the destination's Path as Route, and Content-Length for the (possibly filtered) body.

Built as a Request (Headers.copy, a removal per name, set, prepend, set_body, insert and
then `bytes()`), that copy costs a pass over the fields per edit and a parse of the Via back
in the transaction layer. `encode_relayed_copy()` writes the same bytes from the received
fields directly; the caller sends them with `TransactionLayer.send_encoded`, whose key is
the branch it chose. tests/unit/test_sip_relayed_copy.py checks the bytes against the
Request-built copy, field by field, for arbitrary header lists.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .message import SIP_VERSION, Request

# Always left out of a relayed copy: the upstream Vias (ours is the only one, the client
# transaction's) and the upstream route set (the destination's own Route set replaces it).
ALWAYS_DROPPED = frozenset({"via", "route", "record-route"})


def encode_relayed_copy(request: Request, uri: str, via: str, max_forwards: int, *,
                        routes: Sequence[str] = (), drop: Collection[str] = (), body: bytes | None = None) -> bytes:
    """`request` for `uri` with `via` as its one Via (first line), without its Via, Route,
    Record-Route and `drop` fields (header keys: lower-case long names), Max-Forwards set to
    `max_forwards` (in the first one's place, else after the other fields), `routes` as
    Route fields after those, and `body` (the request's own when None) with its
    Content-Length (in the first one's place, else last): the bytes of

        headers = request.headers.copy(); headers.remove(each of Via, Route, Record-Route, *drop)
        headers.set("Max-Forwards", max_forwards); headers.prepend("Route", r) for r in reversed(routes)
        copy = Request(request.method, uri, headers); copy.set_body(body)
        copy.headers.insert(0, "Via", via); bytes(copy)
    """
    if body is None:
        body = request.body
    dropped = ALWAYS_DROPPED.union(drop)
    max_forwards_text = str(max_forwards)
    parts = [request.method, " ", uri, " " + SIP_VERSION + "\r\nVia: ", via, "\r\n"]
    append = parts.append
    max_forwards_done = content_length_done = False
    for key, name, value in request.headers._fields:
        if key in dropped:
            continue
        if key == "max-forwards":
            if max_forwards_done:
                continue  # set() keeps one field, in the first one's place
            max_forwards_done = True
            name, value = "Max-Forwards", max_forwards_text
        elif key == "content-length":
            if content_length_done:
                continue
            content_length_done = True
            name, value = "Content-Length", str(len(body))
        append(name)
        append(": ")
        append(value)
        append("\r\n")
    if not max_forwards_done:
        append(f"Max-Forwards: {max_forwards_text}\r\n")
    for route in routes:
        append(f"Route: {route}\r\n")
    if not content_length_done:
        append(f"Content-Length: {len(body)}\r\n")
    append("\r\n")
    return "".join(parts).encode("utf-8", "surrogateescape") + body


def forwarded_fields(fields: Sequence[tuple[str, str, str]], via: str, max_forwards: str, *,
                     routes: Sequence[str] = (), record_routes: Sequence[str] = ()) -> list[tuple[str, str, str]]:
    """A proxy's forwarded copy of a request's header fields (16.6 items 3-8), in one pass:
    those of

        headers = Headers(fields); headers.set("Max-Forwards", max_forwards)
        headers.prepend("Route", r) for r in reversed(routes)
        headers.prepend("Record-Route", r) for r in reversed(record_routes)
        headers.prepend("Via", via)

    (each prepended before the first field of its name, else after every other field at
    that point), without a pass over the fields per edit."""
    max_forwards_field = ("max-forwards", "Max-Forwards", max_forwards)
    route_fields = [("route", "Route", route) for route in routes]
    record_route_fields = [("record-route", "Record-Route", route) for route in record_routes]
    out: list[tuple[str, str, str]] = []
    append = out.append
    max_forwards_done = via_done = False
    routes_done, record_routes_done = not route_fields, not record_route_fields
    for field in fields:
        key = field[0]
        if key == "max-forwards":
            if not max_forwards_done:
                max_forwards_done = True
                append(max_forwards_field)
            continue
        if key == "via":
            if not via_done:
                via_done = True
                append(("via", "Via", via))
        elif key == "route":
            if not routes_done:
                routes_done = True
                out += route_fields
        elif key == "record-route" and not record_routes_done:
            record_routes_done = True
            out += record_route_fields
        append(field)
    if not max_forwards_done:
        append(max_forwards_field)
    if not routes_done:
        out += route_fields
    if not record_routes_done:
        out += record_route_fields
    if not via_done:
        append(("via", "Via", via))
    return out
