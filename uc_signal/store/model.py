"""What the store keeps about a user, and the checks every backend applies before writing.

A user is an address of record `sip:username@domain` with a display name, an optional line
URI (the user's phone number, `tel:+E.164`, RFC 3966), an enabled flag, named policies
(`{"voice": "International"}`, Lync's policy assignment by name) and digest credentials as
HA1 hashes only, one per algorithm, with the realm equal to the domain (RFC 7616 3.4.2:
HA1 = H(username ":" realm ":" password); the password itself is never stored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..sip.digest import DigestAlgorithm, compute_ha1

# The algorithms a user gets HA1 hashes for (RFC 8760: SHA-256 for SIP; MD5 for the
# clients that still know nothing else).
STORED_ALGORITHMS = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5)

# RFC 3261 25.1 user part: unreserved and user-unreserved characters, so phone-number
# users (+14255550100) work; without ";", "?" and "/", which would need escaping in the
# SIP URI or the admin API's URL path, and without %-escapes (no NUL or CR in a name).
_USERNAME = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,]{1,64}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# RFC 3966 global number: "+" then digits (E.164: at most 15, no leading zero), with an
# optional extension parameter as Lync writes it (tel:+14255550100;ext=100).
_LINE_URI = re.compile(r"^tel:\+[1-9][0-9]{1,14}(;ext=[0-9]{1,10})?$")
_POLICY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


class StoreError(Exception):
    """Base of the store's domain errors."""


class DuplicateUserError(StoreError):
    def __init__(self, aor: str) -> None:
        super().__init__(f"user {aor} already exists")
        self.aor = aor


class UserNotFoundError(StoreError):
    def __init__(self, aor: str) -> None:
        super().__init__(f"no user {aor}")
        self.aor = aor


class InvalidUserError(StoreError, ValueError):
    """A field that fails validation; `field` names it (for a 422)."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise InvalidUserError("username", "must be 1-64 letters, digits or -_.!~*'()&=+$, "
                               f"(RFC 3261 user characters, unescaped), got {username!r}")
    return username


def check_domain(domain: str) -> str:
    lowered = domain.lower() if isinstance(domain, str) else ""
    if not lowered or len(lowered) > 253 or not all(_DOMAIN_LABEL.match(p) for p in lowered.split(".")):
        raise InvalidUserError("domain", f"must be a domain name, got {domain!r}")
    return lowered


def check_line_uri(line_uri: str | None) -> str | None:
    if line_uri is None or line_uri == "":
        return None
    if not isinstance(line_uri, str) or not _LINE_URI.match(line_uri):
        raise InvalidUserError("line_uri", f"must be tel:+E.164 such as tel:+14255550100 (;ext=NNN allowed), "
                               f"got {line_uri!r}")
    return line_uri


def check_display_name(display_name: str) -> str:
    if not isinstance(display_name, str) or len(display_name) > 128 or not display_name.isprintable():
        raise InvalidUserError("display_name", "must be at most 128 printable characters")
    return display_name


def check_policies(policies: dict[str, str]) -> dict[str, str]:
    if not isinstance(policies, dict):
        raise InvalidUserError("policies", "must map a policy kind to a policy name")
    for kind, name in policies.items():
        if not isinstance(kind, str) or not _POLICY_PART.match(kind) or " " in kind:
            raise InvalidUserError("policies", f"policy kind {kind!r} must be a word such as voice")
        if not isinstance(name, str) or not _POLICY_PART.match(name):
            raise InvalidUserError("policies", f"policy name {name!r} for {kind} must be 1-64 letters, digits, "
                                   "spaces or ._-")
    return dict(sorted(policies.items()))


def parse_aor(text: str, default_domain: str) -> tuple[str, str]:
    """(username, domain) from "alice", "alice@example.test" or "sip:alice@example.test"."""
    rest = text[4:] if text.lower().startswith("sip:") else text
    username, at, domain = rest.partition("@")
    return check_username(username), check_domain(domain if at else default_domain)


def credentials_for(username: str, domain: str, password: str) -> dict[str, str]:
    """HA1 per algorithm name, realm = domain; the password goes no further than here."""
    if not isinstance(password, str) or not password:
        raise InvalidUserError("password", "must not be empty")
    return {algorithm.value: compute_ha1(algorithm, username, domain, password) for algorithm in STORED_ALGORITHMS}


@dataclass(frozen=True)
class UserRecord:
    username: str
    domain: str
    display_name: str = ""
    line_uri: str | None = None
    enabled: bool = True
    policies: dict[str, str] = field(default_factory=dict)
    # {"SHA-256": ha1, "MD5": ha1}: HA1 hashes for realm = domain, never a password.
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def aor(self) -> str:
        return f"sip:{self.username}@{self.domain}"

    def validated(self) -> UserRecord:
        for name in self.credentials:
            DigestAlgorithm.from_token(name)
        return replace(self, username=check_username(self.username), domain=check_domain(self.domain),
                       display_name=check_display_name(self.display_name),
                       line_uri=check_line_uri(self.line_uri), policies=check_policies(self.policies))

    def public(self) -> dict[str, Any]:
        """Everything but the credentials (only which algorithms have one)."""
        return {"uri": self.aor, "username": self.username, "domain": self.domain,
                "display_name": self.display_name, "line_uri": self.line_uri, "enabled": self.enabled,
                "policies": dict(self.policies), "digest_algorithms": sorted(self.credentials),
                "created_at": self.created_at, "updated_at": self.updated_at}
