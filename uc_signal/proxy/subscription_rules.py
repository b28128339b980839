"""Rules every notifier of the chain applies the same way (RFC 6665): presence, the
resource list server, the conference event package. Sans-IO, answering through the
request's context when a rule refuses.
"""

from __future__ import annotations

from ..application import RequestContext
from ..sip import DIALOG_ERROR_STATUS, Dialog


def granted_expires(context: RequestContext, *, default: int, minimum: int, maximum: int) -> int | None:
    """The subscription (or publication) interval granted: `default` when the request asks
    none, at most `maximum`; 0 stays 0 (a fetch or an unsubscribe). None after answering
    423 with Min-Expires for a nonzero interval under `minimum` (RFC 6665 4.2.1.1,
    RFC 3903 5)."""
    asked = context.request.expires
    expires = default if asked is None else asked
    if 0 < expires < minimum:
        context.respond(423, headers=[("Min-Expires", str(minimum))])
        return None
    return min(expires, maximum)


def accepts_refresh(context: RequestContext, dialog: Dialog, package: str, allow_events: str) -> bool:
    """Whether an in-dialog SUBSCRIBE may refresh the subscription `dialog` holds: its CSeq
    in order (12.2.2, else 500) and the same event package (RFC 6665 4.2.1.2, else 489).
    False after answering."""
    error = dialog.receive_request(context.request)
    if error is not None:
        context.respond(*DIALOG_ERROR_STATUS[error])
        return False
    event = context.request.event
    if event is None or event.package.lower() != package:
        context.respond(489, headers=[("Allow-Events", allow_events)])
        return False
    return True
