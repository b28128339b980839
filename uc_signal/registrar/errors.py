"""Why a REGISTER failed, and the one table mapping each reason to status and reason
phrase (Kamailio's registrar/rerrno.h and reply.c)."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class RegistrarError(enum.Enum):
    UNKNOWN_AOR = "unknown address of record"
    USER_DISABLED = "user disabled"
    AOR_NOT_AUTHORIZED = "credentials do not match the address of record"
    BAD_TO = "To header is not a SIP URI of a local domain"
    BAD_STAR = "Contact * with other contacts or a non-zero Expires"
    BAD_CONTACT = "Contact is not a usable URI"
    INTERVAL_TOO_BRIEF = "expiry shorter than Min-Expires"
    OUT_OF_ORDER = "CSeq not higher than the binding's for the same Call-ID"
    TOO_MANY_CONTACTS = "too many contacts for the address of record"
    BAD_EXTENSION = "Require names an extension the registrar does not support"


# RFC 3261 10.3 names 404 (step 3), 403 (step 4), 423 (step 7) and 420 (step 2); the
# out-of-order case (step 7: "the update MUST be aborted and the request fails") has no
# code in the RFC: 500 with a reason, as most registrars answer.
REPLIES: Mapping[RegistrarError, tuple[int, str]] = {
    RegistrarError.UNKNOWN_AOR: (404, "Not Found"),
    RegistrarError.USER_DISABLED: (403, "Forbidden"),
    RegistrarError.AOR_NOT_AUTHORIZED: (403, "Forbidden"),
    RegistrarError.BAD_TO: (404, "Not Found"),
    RegistrarError.BAD_STAR: (400, "Invalid Contact *"),
    RegistrarError.BAD_CONTACT: (400, "Invalid Contact"),
    RegistrarError.INTERVAL_TOO_BRIEF: (423, "Interval Too Brief"),
    RegistrarError.OUT_OF_ORDER: (500, "Out Of Order CSeq"),
    RegistrarError.TOO_MANY_CONTACTS: (403, "Too Many Contacts"),
    RegistrarError.BAD_EXTENSION: (420, "Bad Extension"),
}
