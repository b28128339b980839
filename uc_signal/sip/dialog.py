"""Dialogs (RFC 3261 section 12): state above the transactions. Sans-IO, no clock.

A `Dialog` owns what section 12 gives it: the dialog ID (Call-ID, local tag, remote tag),
the local and remote CSeq numbers, the local and remote URIs, the remote target and the
route set. It is made from an initial request and a response with a To tag: on the UAC
side (`Dialog.for_uac`, 12.1.2) from a 1xx (early) or 2xx (confirmed), on the UAS side
(`Dialog.for_uas`, 12.1.1) from the response the UAS sends. `UacDialogSet` gathers the
dialogs one INVITE creates when a proxy forks it (13.2.2.4). `DialogTable` finds the
dialog an incoming request belongs to (12.2.2).

Domain errors are `DialogError`, mapped to responses by one table.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .address import NameAddr
from .fields import CSeq
from .headers import Headers
from .message import Request, Response
from .uri import SipUri
from .via import Via

# Requests whose 2xx (or which, received) replace the remote target: re-INVITE (12.2),
# UPDATE (RFC 3311 5.1), SUBSCRIBE / NOTIFY (RFC 6665 4.1.2.1, 4.2.2) and REFER (RFC 3515).
TARGET_REFRESH_METHODS = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})


class DialogState(enum.Enum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class DialogError(enum.Enum):
    CSEQ_OUT_OF_ORDER = "CSeq lower than the remote sequence number"
    DOES_NOT_EXIST = "no dialog matches the request"
    TERMINATED = "the dialog is terminated"
    NO_TAG = "a dialog needs a To tag"
    NO_CONTACT = "a dialog-creating message needs a Contact"


# One table from domain errors to responses (12.2.2: out-of-order CSeq is answered 500;
# an unknown dialog 481).
DIALOG_ERROR_STATUS: Mapping[DialogError, tuple[int, str]] = {
    DialogError.CSEQ_OUT_OF_ORDER: (500, "Server Internal Error"),
    DialogError.DOES_NOT_EXIST: (481, "Call/Transaction Does Not Exist"),
    DialogError.TERMINATED: (481, "Call/Transaction Does Not Exist"),
    DialogError.NO_TAG: (400, "Bad Request"),
    DialogError.NO_CONTACT: (400, "Bad Request"),
}


class DialogProtocolError(Exception):
    """A message cannot create or update a dialog; `error` says why."""

    def __init__(self, error: DialogError) -> None:
        super().__init__(error.value)
        self.error = error

    @property
    def status(self) -> tuple[int, str]:
        return DIALOG_ERROR_STATUS[self.error]


@dataclass(frozen=True)
class DialogId:
    call_id: str
    local_tag: str
    remote_tag: str


def _remote_target(message: Request | Response) -> str:
    contacts = message.contact
    if not contacts or contacts[0].is_star:
        raise DialogProtocolError(DialogError.NO_CONTACT)
    return contacts[0].uri_text


def _without_tag(addr: NameAddr) -> NameAddr:
    params = {k: v for k, v in addr.params.items() if k != "tag"}
    return NameAddr(addr.uri_text, addr.display_name, params)


class Dialog:
    """One dialog's state (12.1), and the requests it sends (12.2.1.1)."""

    def __init__(
        self,
        *,
        dialog_id: DialogId,
        state: DialogState,
        is_uac: bool,
        local_seq: int | None,
        remote_seq: int | None,
        local_uri: NameAddr,
        remote_uri: NameAddr,
        remote_target: str,
        route_set: list[str],
        secure: bool,
    ) -> None:
        self.id = dialog_id
        self.state = state
        self.is_uac = is_uac
        self.local_seq = local_seq
        self.remote_seq = remote_seq
        self.local_uri = local_uri
        self.remote_uri = remote_uri
        self.remote_target = remote_target
        self.route_set = route_set
        self.secure = secure

    def __repr__(self) -> str:
        role = "UAC" if self.is_uac else "UAS"
        return f"<Dialog {role} {self.state.name} {self.id}>"

    # --- creation -------------------------------------------------------------------------

    @classmethod
    def for_uac(cls, request: Request, response: Response) -> Dialog:
        """The UAC's dialog from a 1xx with a To tag (early) or a 2xx (confirmed) (12.1.2)."""
        to, from_, cseq = response.to, request.from_, request.cseq
        if to is None or from_ is None or to.tag is None:
            raise DialogProtocolError(DialogError.NO_TAG)
        assert cseq is not None  # check_required_headers() ran when it was received
        return cls(
            dialog_id=DialogId(request.call_id or "", from_.tag or "", to.tag),
            state=DialogState.CONFIRMED if 200 <= response.status < 300 else DialogState.EARLY,
            is_uac=True,
            local_seq=cseq.seq,
            remote_seq=None,
            local_uri=_without_tag(from_),
            remote_uri=_without_tag(to),
            remote_target=_remote_target(response),
            # 12.1.2: the Record-Route values of the response, in reverse order.
            route_set=list(reversed(response.headers.values("Record-Route"))),
            secure=_is_sips(request),
        )

    @classmethod
    def for_uas(cls, request: Request, response: Response) -> Dialog:
        """The UAS's dialog from the response it sends (with its To tag) (12.1.1)."""
        to, from_ = response.to, request.from_
        if to is None or from_ is None or to.tag is None:
            raise DialogProtocolError(DialogError.NO_TAG)
        cseq = request.cseq
        assert cseq is not None
        return cls(
            dialog_id=DialogId(request.call_id or "", to.tag, from_.tag or ""),
            state=DialogState.CONFIRMED if 200 <= response.status < 300 else DialogState.EARLY,
            is_uac=False,
            local_seq=None,
            remote_seq=cseq.seq,
            local_uri=_without_tag(to),
            remote_uri=_without_tag(from_),
            remote_target=_remote_target(request),
            # 12.1.1: the Record-Route values of the request, in order.
            route_set=list(request.headers.values("Record-Route")),
            secure=_is_sips(request),
        )

    # --- the UAC side ---------------------------------------------------------------------

    def receive_response(self, request: Request, response: Response) -> None:
        """Update from a response to a request this dialog sent, or to the INVITE that
        made it early (12.2.1.2, 13.2.2.4)."""
        if self.state is DialogState.TERMINATED:
            return
        status = response.status
        if status in (408, 481) or (request.method == "BYE" and status >= 200):
            # 12.2.1.2: 408/481 mean the dialog is gone; 15.1.1: so does any final to BYE.
            self.state = DialogState.TERMINATED
            return
        if not 200 <= status < 300:
            if status >= 300 and self.state is DialogState.EARLY and request.method == "INVITE":
                self.state = DialogState.TERMINATED  # 12.3: non-2xx ends early dialogs
            return
        if self.state is DialogState.EARLY and request.method == "INVITE":
            # 13.2.2.4: confirmed, with the route set recomputed from the 2xx.
            self.state = DialogState.CONFIRMED
            self.route_set = list(reversed(response.headers.values("Record-Route")))
        if request.method in TARGET_REFRESH_METHODS and response.contact:
            self.remote_target = _remote_target(response)

    def create_request(
        self,
        method: str,
        via: Via,
        *,
        contact: str | None = None,
        cseq: int | None = None,
        extra_headers: Iterable[tuple[str, object]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Request:
        """A request within this dialog (12.2.1.1).

        `via` carries the sent-by and the new branch. `cseq` is only for ACK (the INVITE's
        number, 13.2.2.4); other methods take the next local sequence number. `contact` is
        needed for target refresh requests (INVITE, UPDATE...).
        """
        if self.state is DialogState.TERMINATED:
            raise DialogProtocolError(DialogError.TERMINATED)
        if method in ("ACK", "CANCEL"):
            if cseq is None:
                raise ValueError(f"{method} reuses the CSeq number of the request it answers")
            number = cseq
        else:
            # 12.2.1.1: incremented by one; an empty local number (a UAS that has not sent
            # a request yet) starts at an arbitrary value, here 1 (8.1.1.5).
            number = 1 if self.local_seq is None else self.local_seq + 1
            self.local_seq = number
        request_uri, routes = self._request_uri_and_routes()
        headers: list[tuple[str, object]] = [("Via", via)]
        headers += [("Route", route) for route in routes]
        remote = self.remote_uri.with_tag(self.id.remote_tag) if self.id.remote_tag else self.remote_uri
        headers += [
            ("Max-Forwards", 70),
            ("From", self.local_uri.with_tag(self.id.local_tag)),
            ("To", remote),
            ("Call-ID", self.id.call_id),
            ("CSeq", CSeq(number, method)),
        ]
        if contact is not None:
            headers.append(("Contact", f"<{contact}>"))
        headers += list(extra_headers)
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        headers.append(("Content-Length", len(body)))
        return Request(method, request_uri, Headers(headers), body)

    def _request_uri_and_routes(self) -> tuple[str, list[str]]:
        """Request-URI and Route set (12.2.1.1): loose routing keeps the remote target as
        Request-URI; a strict router (no lr) becomes the Request-URI and the remote target
        goes last in Route."""
        if not self.route_set:
            return self.remote_target, []
        first = NameAddr.parse(self.route_set[0])
        first_uri = first.uri
        if isinstance(first_uri, SipUri) and first_uri.lr:
            return self.remote_target, list(self.route_set)
        # Strict: strip what a Request-URI may not carry (19.1.1 Table 1: headers, method).
        if isinstance(first_uri, SipUri):
            params = {k: v for k, v in first_uri.params.items() if k != "method"}
            request_uri = str(first_uri.replace(params=params, headers={}))
        else:
            request_uri = first.uri_text
        return request_uri, self.route_set[1:] + [f"<{self.remote_target}>"]

    # --- the UAS side ---------------------------------------------------------------------

    def receive_request(self, request: Request) -> DialogError | None:
        """Check and apply a request within this dialog (12.2.2). The caller answers an
        error through DIALOG_ERROR_STATUS (out-of-order CSeq: 500)."""
        if self.state is DialogState.TERMINATED:
            return DialogError.TERMINATED
        cseq = request.cseq
        assert cseq is not None
        if request.method not in ("ACK", "CANCEL"):  # they reuse the INVITE's number
            if self.remote_seq is not None and cseq.seq < self.remote_seq:
                return DialogError.CSEQ_OUT_OF_ORDER
            self.remote_seq = cseq.seq
        if request.method in TARGET_REFRESH_METHODS and request.contact:
            self.remote_target = _remote_target(request)
        if request.method == "BYE":
            self.state = DialogState.TERMINATED  # 15.1.2
        return None

    def sent_response(self, response: Response) -> None:
        """The UAS sent a final response to the dialog-creating INVITE (12.1.1, 13.3.1.4)."""
        if self.state is DialogState.EARLY:
            if 200 <= response.status < 300:
                self.state = DialogState.CONFIRMED
            elif response.status >= 300:
                self.state = DialogState.TERMINATED

    def terminate(self) -> None:
        self.state = DialogState.TERMINATED


def _is_sips(request: Request) -> bool:
    # 12.1.1 / 12.1.2: secure if the request went over TLS with a sips Request-URI.
    via = request.top_via
    return request.uri_text.lower().startswith("sips:") and via is not None and via.transport == "TLS"


def copy_record_route(request: Request, response: Response) -> None:
    """12.1.1: a UAS copies the request's Record-Route fields into dialog-creating responses."""
    for value in request.headers.get_all("Record-Route"):
        response.headers.add("Record-Route", value)


class UacDialogSet:
    """The dialogs one INVITE creates at the UAC: one per To tag when forked (13.2.2.4).

    Early dialogs come from 1xx with a tag; each 2xx confirms its dialog (or creates one).
    A non-2xx final response ends the early dialogs (12.3), and so does the end of the
    INVITE client transaction for those no 2xx confirmed.
    """

    def __init__(self, invite: Request) -> None:
        if invite.method != "INVITE":
            raise ValueError("a dialog set starts from an INVITE")
        self.invite = invite
        self.dialogs: dict[str, Dialog] = {}

    def __iter__(self) -> Iterator[Dialog]:
        return iter(self.dialogs.values())

    @property
    def confirmed(self) -> list[Dialog]:
        return [d for d in self.dialogs.values() if d.state is DialogState.CONFIRMED]

    @property
    def early(self) -> list[Dialog]:
        return [d for d in self.dialogs.values() if d.state is DialogState.EARLY]

    def receive_response(self, response: Response) -> Dialog | None:
        """Apply a response to the INVITE; returns the dialog it belongs to, if any."""
        to = response.to
        tag = to.tag if to is not None else None
        if response.status >= 300:
            for early in self.early:
                early.state = DialogState.TERMINATED
            return None
        if tag is None or response.status == 100:
            return None  # no dialog without a To tag (12.1.2)
        known = self.dialogs.get(tag)
        if known is not None:
            known.receive_response(self.invite, response)
            return known
        dialog = Dialog.for_uac(self.invite, response)
        self.dialogs[tag] = dialog
        return dialog

    def transaction_ended(self) -> None:
        """The INVITE client transaction ended: early dialogs never confirmed are over."""
        for dialog in self.early:
            dialog.state = DialogState.TERMINATED


class DialogTable:
    """Dialogs by ID, and the lookup of an incoming request's dialog (12.2.2)."""

    def __init__(self) -> None:
        self._dialogs: dict[DialogId, Dialog] = {}

    def __len__(self) -> int:
        return len(self._dialogs)

    def add(self, dialog: Dialog) -> None:
        self._dialogs[dialog.id] = dialog

    def remove(self, dialog: Dialog) -> None:
        self._dialogs.pop(dialog.id, None)

    def get(self, dialog_id: DialogId) -> Dialog | None:
        return self._dialogs.get(dialog_id)

    def match_request(self, request: Request) -> Dialog | DialogError | None:
        """The dialog of an incoming request: None if it is out of any dialog (no To tag),
        DOES_NOT_EXIST if it names a dialog we do not have (answer 481)."""
        to, from_ = request.to, request.from_
        if to is None or to.tag is None:
            return None
        dialog = self._dialogs.get(DialogId(request.call_id or "", to.tag, from_.tag if from_ and from_.tag else ""))
        return dialog if dialog is not None else DialogError.DOES_NOT_EXIST

    def match_response(self, response: Response) -> Dialog | None:
        """The dialog of a response to a request we sent (From tag ours, To tag theirs)."""
        to, from_ = response.to, response.from_
        if to is None or from_ is None or to.tag is None or from_.tag is None:
            return None
        return self._dialogs.get(DialogId(response.call_id or "", from_.tag, to.tag))


__all__ = [
    "DIALOG_ERROR_STATUS",
    "TARGET_REFRESH_METHODS",
    "Dialog",
    "DialogError",
    "DialogId",
    "DialogProtocolError",
    "DialogState",
    "DialogTable",
    "UacDialogSet",
    "copy_record_route",
]
