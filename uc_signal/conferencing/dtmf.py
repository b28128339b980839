"""DTMF digits from SIP INFO bodies and RFC 4733 event codes.

Two INFO bodies carry a digit in practice (neither is an RFC; both are what gateways and
softphones send):
- application/dtmf-relay (Cisco): lines `Signal=5` and `Duration=160` (milliseconds);
- application/dtmf: the digit alone, or its RFC 4733 event code (0-15).
RFC 4733 3.2 numbers the events: 0-9 the digits, 10 `*`, 11 `#`, 12-15 `A`-`D`.
Anything else raises DtmfBodyError with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENT_DIGITS = "0123456789*#ABCD"
MAX_BODY = 256
DEFAULT_DURATION_MS = 250


class DtmfBodyError(ValueError):
    """An INFO body that carries no single valid DTMF digit."""


@dataclass(frozen=True)
class DtmfDigit:
    digit: str
    duration_ms: int = DEFAULT_DURATION_MS


def digit_from_event(event: int) -> str:
    """The digit of an RFC 4733 telephone-event code."""
    if not 0 <= event < len(EVENT_DIGITS):
        raise DtmfBodyError(f"telephone-event {event} is not a DTMF digit (0-15)")
    return EVENT_DIGITS[event]


def _signal(text: str) -> str:
    value = text.strip().upper()
    if len(value) == 1 and value in EVENT_DIGITS:
        return value            # the digit itself (0-9 are also their own event codes)
    if value.isascii() and value.isdigit() and len(value) == 2 and 10 <= int(value) <= 15:
        return EVENT_DIGITS[int(value)]
    raise DtmfBodyError(f"signal {text.strip()!r} is not a DTMF digit (0-9, *, #, A-D or an event code 0-15)")


def parse_dtmf_relay(body: bytes) -> DtmfDigit:
    text = _decode(body)
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, eq, value = line.partition("=")
        if not eq:
            raise DtmfBodyError(f"line {line.strip()!r} is not name=value")
        fields[name.strip().lower()] = value.strip()
    if "signal" not in fields:
        raise DtmfBodyError("no Signal= line")
    duration = DEFAULT_DURATION_MS
    if "duration" in fields:
        raw = fields["duration"]
        if not raw.isdigit() or not raw.isascii() or len(raw) > 6:
            raise DtmfBodyError(f"Duration {raw!r} is not a number of milliseconds")
        duration = int(raw)
    return DtmfDigit(_signal(fields["signal"]), duration)


def parse_dtmf(body: bytes) -> DtmfDigit:
    return DtmfDigit(_signal(_decode(body)))


def parse_info_body(content_type: str, body: bytes) -> DtmfDigit:
    """The digit of an INFO request by its Content-Type (parameters ignored)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/dtmf-relay":
        return parse_dtmf_relay(body)
    if media_type == "application/dtmf":
        return parse_dtmf(body)
    raise DtmfBodyError(f"INFO with {media_type or 'no content type'} carries no DTMF "
                        "(application/dtmf-relay or application/dtmf)")


def _decode(body: bytes) -> str:
    if len(body) > MAX_BODY:
        raise DtmfBodyError(f"body of {len(body)} bytes is too long for one digit")
    try:
        return body.decode("ascii")
    except UnicodeDecodeError:
        raise DtmfBodyError("body is not ASCII") from None
