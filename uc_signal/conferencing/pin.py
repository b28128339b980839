"""Leader PINs: the policy a new PIN must meet, and how it is kept (a salted scrypt hash,
never the digits).

The policy follows Lync's CsPinPolicy: a minimum length (5 by default), a limit of failed
attempts after which the PIN locks until it is set again, and no common patterns unless
allowed: one digit repeated (11111), an ascending or descending run (12345, 98765), or
the end of the user's own phone number or extension (what a stranger would try first).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

PIN_MAX_LENGTH = 24   # Lync's upper bound
_DIGITS = re.compile(r"^[0-9]+$")
# scrypt cost: ~16 MiB and a few tens of ms per check; a PIN space is small, so the hash
# must be slow to make an offline search of a stolen table expensive.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2 ** 14, 8, 1
_SCHEME = "scrypt"


class WeakPinError(ValueError):
    """The PIN does not meet the policy; str() says why, in words for the admin."""


@dataclass(frozen=True)
class PinPolicy:
    min_length: int = 5
    max_attempts: int = 5              # consecutive failures before the PIN locks
    allow_common_patterns: bool = False

    def __post_init__(self) -> None:
        if not 4 <= self.min_length <= PIN_MAX_LENGTH:
            raise ValueError(f"minimum PIN length must be 4-{PIN_MAX_LENGTH}, got {self.min_length}")
        if self.max_attempts < 1:
            raise ValueError(f"maximum attempts must be at least 1, got {self.max_attempts}")


def check_pin(pin: str, policy: PinPolicy, own_numbers: Iterable[str] = ()) -> str:
    """`pin` if it meets `policy`, else WeakPinError. `own_numbers`: the user's phone number
    and extension (any text; only its digits count)."""
    if not isinstance(pin, str) or not _DIGITS.match(pin):
        raise WeakPinError("a PIN must be digits only")
    if len(pin) < policy.min_length:
        raise WeakPinError(f"a PIN must have at least {policy.min_length} digits")
    if len(pin) > PIN_MAX_LENGTH:
        raise WeakPinError(f"a PIN must have at most {PIN_MAX_LENGTH} digits")
    if policy.allow_common_patterns:
        return pin
    if len(set(pin)) == 1:
        raise WeakPinError("a PIN must not repeat one digit")
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    if steps == {1}:
        raise WeakPinError("a PIN must not be an ascending run of digits")
    if steps == {9}:
        raise WeakPinError("a PIN must not be a descending run of digits")
    for number in own_numbers:
        digits = "".join(ch for ch in number if ch.isdigit())
        if digits and (pin in digits or digits.endswith(pin) or pin.endswith(digits) and len(digits) >= 3):
            raise WeakPinError("a PIN must not contain your phone number or extension")
    return pin


def numbers_of(line_uri: str | None) -> tuple[str, ...]:
    """The phone number and extension of a line URI (tel:+14255550100;ext=100)."""
    if not line_uri:
        return ()
    number, _, params = line_uri.removeprefix("tel:").partition(";")
    found = [number]
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.lower() == "ext" and value:
            found.append(value)
    return tuple(found)


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$hash` (base64), for verify_pin."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return "$".join((_SCHEME, str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest)))


def verify_pin(pin: str, stored: str) -> bool:
    """Whether `pin` is the PIN `stored` was made from (constant time in the digest)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt, validate=True), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
