"""SDES (RFC 4568): the SDP `a=crypto` attribute that carries SRTP master keys.

    a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4

Each side announces the key it sends with, so an `a=crypto` line we generate keys our
outbound `SrtpSession` and the peer's line keys our inbound one. The keys travel in the
clear inside SDP: SDES is only as safe as the signalling channel (SIP over TLS).

Grammar (RFC 4568 section 9.1), as parsed here:

    crypto-attribute = tag 1*WSP crypto-suite 1*WSP key-params *(1*WSP session-param)
    key-params       = key-param *(";" key-param)
    key-param        = "inline:" key||salt ["|" lifetime] ["|" mki-value ":" mki-length]
    lifetime         = ["2^"] 1*DIGIT

Session parameters (KDR=, UNENCRYPTED_SRTP, WSH=, FEC_ORDER=...) are kept verbatim in
`session_params` but not applied: an offer/answer layer that cannot honour one must
refuse that crypto line (RFC 4568 section 6.3).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from uc_media._core import MediaError, SrtpSession, UnsupportedError

# Master key || master salt length per suite: AES-128 key (16) with a 112-bit salt (14)
# for AES-CM (RFC 4568 section 6.2), a 96-bit salt (12) for AES-GCM (RFC 7714 section 12).
SUITE_KEY_SALT_LENGTHS: dict[str, int] = {
    "AES_CM_128_HMAC_SHA1_80": 30,
    "AES_CM_128_HMAC_SHA1_32": 30,
    "AEAD_AES_128_GCM": 28,
}

_TAG = re.compile(r"[0-9]{1,9}\Z")
_SUITE_NAME = re.compile(r"[A-Za-z0-9_]+\Z")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}\Z")
_LIFETIME = re.compile(r"(2\^)?([0-9]{1,20})\Z")
_MKI = re.compile(r"([0-9]{1,39}):([0-9]{1,3})\Z")
_WHITESPACE = re.compile(r"[ \t]+")


class SdesError(MediaError, ValueError):
    """An `a=crypto` attribute that does not follow RFC 4568."""


class UnsupportedSuiteError(SdesError, UnsupportedError):
    """A well-formed `a=crypto` attribute whose crypto suite uc_media does not implement;
    an answerer skips that line and considers the next (RFC 4568 section 7.1.1)."""


@dataclass(frozen=True)
class SdesKey:
    """One `inline:` key parameter: master key || master salt, with its optional lifetime
    (in packets) and master key identifier."""

    key_salt: bytes
    lifetime: int | None = None
    # Written as 2^n (the usual form) rather than a decimal count when serialised.
    lifetime_as_power: bool = True
    mki: int | None = None
    mki_length: int | None = None

    def __post_init__(self) -> None:
        if (self.mki is None) != (self.mki_length is None):
            raise SdesError("MKI value and MKI length go together")
        if self.mki_length is not None and self.mki is not None:
            if not 1 <= self.mki_length <= 128:
                raise SdesError(f"MKI length {self.mki_length} outside 1..128")
            if self.mki >= 256**self.mki_length:
                raise SdesError(f"MKI {self.mki} does not fit in {self.mki_length} bytes")
        if self.lifetime is not None and self.lifetime < 1:
            raise SdesError("key lifetime must be at least 1 packet")
        if self.lifetime_as_power and self.lifetime is not None and self.lifetime & (self.lifetime - 1):
            raise SdesError(f"key lifetime {self.lifetime} is not a power of two")

    @property
    def mki_bytes(self) -> bytes:
        """The MKI as it appears in each SRTP packet (big-endian, mki_length bytes)."""
        if self.mki is None or self.mki_length is None:
            return b""
        return self.mki.to_bytes(self.mki_length, "big")

    @classmethod
    def parse(cls, text: str, suite: str) -> SdesKey:
        method, sep, info = text.partition(":")
        if not sep or method != "inline":
            raise SdesError(f"key parameter {text!r} is not 'inline:' (the only SDP key method)")
        fields = info.split("|")
        if len(fields) > 3:
            raise SdesError(f"too many '|' fields in key parameter {text!r}")
        key_salt = _decode_key_salt(fields[0], suite)
        lifetime: int | None = None
        as_power = True
        mki: int | None = None
        mki_length: int | None = None
        for field in fields[1:]:
            if (m := _MKI.match(field)) is not None:
                if mki is not None:
                    raise SdesError(f"two MKI fields in key parameter {text!r}")
                mki, mki_length = int(m.group(1)), int(m.group(2))
            elif (m := _LIFETIME.match(field)) is not None:
                if lifetime is not None or mki is not None:
                    raise SdesError(f"lifetime out of place in key parameter {text!r}")
                as_power = m.group(1) is not None
                lifetime = _lifetime(int(m.group(2)), as_power)
            else:
                raise SdesError(f"bad lifetime or MKI field {field!r}")
        return cls(key_salt, lifetime, as_power, mki, mki_length)

    def __str__(self) -> str:
        text = "inline:" + base64.b64encode(self.key_salt).decode("ascii")
        if self.lifetime is not None:
            if self.lifetime_as_power:
                text += f"|2^{self.lifetime.bit_length() - 1}"
            else:
                text += f"|{self.lifetime}"
        if self.mki is not None:
            text += f"|{self.mki}:{self.mki_length}"
        return text


# No SRTP suite allows more than 2^48 packets per key (RFC 3711 section 9.2); 2^64 bounds
# what is accepted at all, so a hostile "2^99999999" cannot make a huge integer.
_MAX_LIFETIME_EXPONENT = 64


def _lifetime(number: int, as_power: bool) -> int:
    if as_power:
        if number > _MAX_LIFETIME_EXPONENT:
            raise SdesError(f"key lifetime 2^{number} exceeds 2^{_MAX_LIFETIME_EXPONENT}")
        return 2**number
    if number > 2**_MAX_LIFETIME_EXPONENT:
        raise SdesError(f"key lifetime {number} exceeds 2^{_MAX_LIFETIME_EXPONENT}")
    return number


def _decode_key_salt(text: str, suite: str) -> bytes:
    if not _BASE64.match(text):
        raise SdesError(f"key||salt {text!r} is not base64")
    # Accept the padding some implementations leave out; reject anything else.
    padded = text + "=" * (-len(text) % 4)
    try:
        key_salt = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SdesError(f"key||salt {text!r} is not base64: {exc}") from None
    expected = SUITE_KEY_SALT_LENGTHS[suite]
    if len(key_salt) != expected:
        raise SdesError(f"{suite} needs {expected} bytes of key||salt, inline: holds {len(key_salt)}")
    return key_salt


@dataclass(frozen=True)
class CryptoAttribute:
    """One `a=crypto` line: tag, crypto suite, key parameters, session parameters."""

    tag: int
    suite: str
    keys: tuple[SdesKey, ...]
    session_params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.tag <= 999_999_999:
            raise SdesError(f"tag {self.tag} is not 1 to 9 digits")
        if self.suite not in SUITE_KEY_SALT_LENGTHS:
            raise UnsupportedSuiteError(
                f"crypto suite {self.suite!r} is not supported (supported: {', '.join(SUITE_KEY_SALT_LENGTHS)})"
            )
        if not self.keys:
            raise SdesError("an a=crypto attribute needs at least one key parameter")
        expected = SUITE_KEY_SALT_LENGTHS[self.suite]
        for key in self.keys:
            if len(key.key_salt) != expected:
                raise SdesError(f"{self.suite} needs {expected} bytes of key||salt, not {len(key.key_salt)}")
        # Several master keys are told apart only by their MKI (RFC 4568 section 6.1).
        if len(self.keys) > 1 and any(k.mki is None for k in self.keys):
            raise SdesError("several key parameters need an MKI on each")
        if len({k.mki_length for k in self.keys}) > 1:
            raise SdesError("every key parameter of one attribute needs the same MKI length")
        for param in self.session_params:
            if not param or any(c.isspace() for c in param):
                raise SdesError(f"bad session parameter {param!r}")

    @classmethod
    def parse(cls, text: str) -> CryptoAttribute:
        """Parse `a=crypto:...`, `crypto:...` or the bare attribute value."""
        value = text.strip()
        for prefix in ("a=crypto:", "crypto:"):
            if value.startswith(prefix):
                value = value[len(prefix):]
                break
        fields = _WHITESPACE.split(value)
        if len(fields) < 3:
            raise SdesError(f"a=crypto needs a tag, a suite and key parameters: {text!r}")
        tag_text, suite, key_params, *session_params = fields
        if not _TAG.match(tag_text):
            raise SdesError(f"tag {tag_text!r} is not 1 to 9 digits")
        if not _SUITE_NAME.match(suite):
            raise SdesError(f"bad crypto suite name {suite!r}")
        if suite not in SUITE_KEY_SALT_LENGTHS:
            raise UnsupportedSuiteError(
                f"crypto suite {suite!r} is not supported (supported: {', '.join(SUITE_KEY_SALT_LENGTHS)})"
            )
        keys = tuple(SdesKey.parse(param, suite) for param in key_params.split(";"))
        return cls(int(tag_text), suite, keys, tuple(session_params))

    def __str__(self) -> str:
        """The attribute value, without the `a=crypto:` prefix."""
        keys = ";".join(str(k) for k in self.keys)
        return " ".join([str(self.tag), self.suite, keys, *self.session_params])

    def to_sdp(self) -> str:
        """The whole SDP line: `a=crypto:<value>`."""
        return f"a=crypto:{self}"

    @property
    def key_salt(self) -> bytes:
        """Master key || master salt of the first (usually only) key."""
        return self.keys[0].key_salt

    def srtp_session(
        self,
        direction: Literal["outbound", "inbound"],
        *,
        ssrc: int | None = None,
        window_size: int = 0,
        srtcp_tag_32: bool = False,
    ) -> SrtpSession:
        """An SrtpSession keyed by this attribute: 'outbound' for a line we sent,
        'inbound' for the peer's line. `srtcp_tag_32`: see SrtpSession."""
        if len(self.keys) > 1:
            raise UnsupportedError("SRTP sessions take one master key; this a=crypto line has several")
        key = self.keys[0]
        return SrtpSession(
            self.suite,
            key.key_salt,
            direction,
            ssrc=ssrc,
            window_size=window_size,
            mki=key.mki_bytes,
            srtcp_tag_32=srtcp_tag_32,
        )


def generate_crypto_attribute(
    tag: int, suite: str = "AES_CM_128_HMAC_SHA1_80", *, mki: int | None = None, mki_length: int | None = None
) -> CryptoAttribute:
    """A fresh `a=crypto` attribute with a master key and salt from `secrets`."""
    if suite not in SUITE_KEY_SALT_LENGTHS:
        raise UnsupportedSuiteError(f"crypto suite {suite!r} is not supported")
    key = SdesKey(secrets.token_bytes(SUITE_KEY_SALT_LENGTHS[suite]), mki=mki, mki_length=mki_length)
    return CryptoAttribute(tag, suite, (key,))


__all__ = [
    "SUITE_KEY_SALT_LENGTHS",
    "CryptoAttribute",
    "SdesError",
    "SdesKey",
    "UnsupportedSuiteError",
    "generate_crypto_attribute",
]
