"""Requests within one dialog, pre-serialised (RFC 3261 12.2.1.1). Sans-IO.

A notifier sends one dialog many requests that differ only in their CSeq number, Via
branch, a header or two and the body: a presence agent's NOTIFYs (RFC 6665 4.2.2).
`Dialog.create_request` builds each as a Request of typed headers, then serialises it.
Here the fields that stay the same for the dialog (Request-URI and Route set, Max-Forwards,
From and To with their tags, Call-ID, Contact and the fixed extra headers) are encoded
once; `encode()` joins them with what changes per request. The bytes are those of
`bytes(dialog.create_request(...))` for the same arguments (tested field by field).

The fields kept depend on the dialog's remote target and route set (a target refresh,
RFC 6665 4.2.1.2, moves the target): `fits()` tells whether a template still matches
its dialog, and the holder makes a new one when it does not (as it does when the Via's
sent-by or the Contact it gave changes: another transport).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .dialog import Dialog, DialogError, DialogProtocolError, DialogState
from .via import Via

_BRANCH_MARK = "z9hG4bK.branch-of-the-request."


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")   # as Message.__bytes__


class DialogRequestTemplate:
    """One method's requests in one dialog, with `via` (its branch replaced per request)
    and `contact`, and `fixed_headers` after Contact, as `Dialog.create_request` orders them."""

    __slots__ = ("dialog", "method", "_target", "_routes", "_head", "_after_branch", "_after_cseq")

    def __init__(self, dialog: Dialog, method: str, via: Via, *, contact: str | None = None,
                 fixed_headers: Iterable[tuple[str, object]] = ()) -> None:
        if method in ("ACK", "CANCEL", "INVITE"):
            raise ValueError(f"{method} is not sent from a template (its CSeq or transaction differs)")
        self.dialog = dialog
        self.method = method
        self._target = dialog.remote_target
        self._routes = list(dialog.route_set)
        request_uri, routes = dialog._request_uri_and_routes()
        marked = str(via.with_params(branch=_BRANCH_MARK))
        before, _, after = marked.partition(_BRANCH_MARK)
        remote = dialog.remote_uri.with_tag(dialog.id.remote_tag) if dialog.id.remote_tag else dialog.remote_uri
        self._head = _encode(f"{method} {request_uri} SIP/2.0\r\nVia: {before}")
        self._after_branch = _encode(
            f"{after}\r\n" + "".join(f"Route: {route}\r\n" for route in routes)
            + "Max-Forwards: 70\r\n"
            f"From: {dialog.local_uri.with_tag(dialog.id.local_tag)}\r\n"
            f"To: {remote}\r\n"
            f"Call-ID: {dialog.id.call_id}\r\n"
            "CSeq: ")
        self._after_cseq = _encode(
            f" {method}\r\n" + (f"Contact: <{contact}>\r\n" if contact is not None else "")
            + "".join(f"{name}: {value}\r\n" for name, value in fixed_headers))

    def fits(self) -> bool:
        """Whether the dialog still has the remote target and route set encoded here."""
        dialog = self.dialog
        return dialog.remote_target == self._target and dialog.route_set == self._routes

    def encode(self, branch: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b"",
               content_type: str | None = None) -> bytes:
        """The next request of the dialog (its local CSeq number goes up by one, 12.2.1.1),
        with `branch` in the Via, `headers` after the fixed ones, then Content-Type and
        Content-Length."""
        dialog = self.dialog
        if dialog.state is DialogState.TERMINATED:
            raise DialogProtocolError(DialogError.TERMINATED)
        number = 1 if dialog.local_seq is None else dialog.local_seq + 1
        dialog.local_seq = number
        tail = ""
        for name, value in headers:
            tail += f"{name}: {value}\r\n"
        if content_type is not None:
            tail += f"Content-Type: {content_type}\r\n"
        tail += f"Content-Length: {len(body)}\r\n\r\n"
        return b"%s%s%s%d%s%s%s" % (self._head, _encode(branch), self._after_branch, number, self._after_cseq,
                                    _encode(tail), body)
