"""STUN messages (RFC 8489) for tests and tools: `StunMessage.parse(data)` / `bytes(msg)`.

The engine's packet path never comes here: its workers call the C responder
(csrc/ice_lite.c) directly. This module wraps the same C parser and builder
(csrc/stun.c) for Python code: a message is its method, class, transaction ID and the
ordered list of (type, value) attributes; typed views (username, priority,
xor_mapped_address, error_code, ...) decode through the C readers.

`bytes(msg)` writes the attributes as they are (zero padding), so
`StunMessage.parse(bytes(msg)) == msg`. To sign, use `msg.encode(integrity_key=...,
fingerprint=True)`, which drops any MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
FINGERPRINT attributes and appends freshly computed ones. `msg.verify(...)` checks the
bytes the message was parsed from (the exact received bytes, padding included).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import IntEnum

from uc_media._core import (
    stun_build,
    stun_encode_error_code,
    stun_encode_xor_address,
    stun_is_stun,
    stun_parse,
    stun_verify,
)

__all__ = ["StunAttr", "StunClass", "StunMessage", "StunMethod", "is_stun"]


class StunClass(IntEnum):
    """Message classes (RFC 8489 section 5), as their bits in the message type."""

    REQUEST = 0x000
    INDICATION = 0x010
    SUCCESS = 0x100
    ERROR = 0x110


class StunMethod(IntEnum):
    BINDING = 0x001


class StunAttr(IntEnum):
    """Attribute types (RFC 8489 section 18.3, RFC 8445 section 16.1)."""

    MAPPED_ADDRESS = 0x0001
    USERNAME = 0x0006
    MESSAGE_INTEGRITY = 0x0008
    ERROR_CODE = 0x0009
    UNKNOWN_ATTRIBUTES = 0x000A
    REALM = 0x0014
    NONCE = 0x0015
    MESSAGE_INTEGRITY_SHA256 = 0x001C
    PASSWORD_ALGORITHM = 0x001D
    USERHASH = 0x001E
    XOR_MAPPED_ADDRESS = 0x0020
    PRIORITY = 0x0024
    USE_CANDIDATE = 0x0025
    PASSWORD_ALGORITHMS = 0x8002
    ALTERNATE_DOMAIN = 0x8003
    SOFTWARE = 0x8022
    ALTERNATE_SERVER = 0x8023
    FINGERPRINT = 0x8028
    ICE_CONTROLLED = 0x8029
    ICE_CONTROLLING = 0x802A


# Attributes computed over the message by encode(); never copied from a parsed message.
_SEALS = (StunAttr.MESSAGE_INTEGRITY, StunAttr.MESSAGE_INTEGRITY_SHA256, StunAttr.FINGERPRINT)


def is_stun(data: bytes) -> bool:
    """True if a datagram could be STUN (RFC 7983 first byte 0..3 and the magic cookie)."""
    return bool(stun_is_stun(data))


def _message_type(method: int, message_class: int) -> int:
    # RFC 8489 section 5: the class bits sit between the method bits.
    return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | message_class


@dataclass
class StunMessage:
    """One STUN message: method, class, 12-byte transaction ID, ordered attributes."""

    method: int = StunMethod.BINDING
    message_class: StunClass = StunClass.REQUEST
    transaction_id: bytes = field(default_factory=lambda: secrets.token_bytes(12))
    attributes: list[tuple[int, bytes]] = field(default_factory=list)
    # The exact bytes parse() read (None for a built message): what verify() checks.
    received: bytes | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, data: bytes) -> StunMessage:
        """Parse one datagram; raises TruncatedPacketError, MalformedPacketError or
        UnsupportedError (more than 32 attributes)."""
        raw = bytes(data)
        _type, method, message_class, txid, attributes = stun_parse(raw)
        return cls(
            method=method,
            message_class=StunClass(message_class),
            transaction_id=txid,
            attributes=[(t, v) for t, v, _typed in attributes],
            received=raw,
        )

    def __bytes__(self) -> bytes:
        return stun_build(self.message_type, self.transaction_id, self.attributes)

    @property
    def message_type(self) -> int:
        return _message_type(self.method, self.message_class)

    def encode(
        self,
        *,
        integrity_key: bytes | None = None,
        integrity_sha256_key: bytes | None = None,
        fingerprint: bool = False,
    ) -> bytes:
        """Serialise with MESSAGE-INTEGRITY (HMAC-SHA1 under integrity_key; for ICE the
        password), MESSAGE-INTEGRITY-SHA256 and FINGERPRINT computed as asked."""
        attributes = [(t, v) for t, v in self.attributes if t not in _SEALS]
        return stun_build(
            self.message_type,
            self.transaction_id,
            attributes,
            integrity_key,
            integrity_sha256_key,
            fingerprint,
        )

    def verify(
        self,
        *,
        integrity_key: bytes | None = None,
        integrity_sha256_key: bytes | None = None,
        fingerprint: bool = False,
    ) -> None:
        """Check FINGERPRINT and/or MESSAGE-INTEGRITY(-SHA256) over the received bytes
        (or bytes(self) for a built message). Raises StunFingerprintError or
        StunIntegrityError."""
        data = self.received if self.received is not None else bytes(self)
        stun_verify(data, integrity_key, integrity_sha256_key, fingerprint)

    # ---- attributes ----

    def get(self, attr_type: int) -> bytes | None:
        """Value of the first attribute of this type, or None."""
        for t, v in self.attributes:
            if t == attr_type:
                return v
        return None

    def add(self, attr_type: int, value: bytes = b"") -> StunMessage:
        """Append an attribute (raw value); returns self for chaining."""
        self.attributes.append((int(attr_type), bytes(value)))
        return self

    def add_u32(self, attr_type: int, value: int) -> StunMessage:
        return self.add(attr_type, value.to_bytes(4, "big"))

    def add_u64(self, attr_type: int, value: int) -> StunMessage:
        return self.add(attr_type, value.to_bytes(8, "big"))

    def add_xor_mapped_address(self, address: tuple[str, int]) -> StunMessage:
        return self.add(StunAttr.XOR_MAPPED_ADDRESS,
                        stun_encode_xor_address(self.transaction_id, address))

    def add_error_code(self, code: int, reason: str) -> StunMessage:
        return self.add(StunAttr.ERROR_CODE, stun_encode_error_code(code, reason))

    def _typed(self, attr_type: int) -> object:
        # Decode through the C readers (they know the transaction ID for XOR addresses).
        for t, _value, typed in stun_parse(bytes(self))[4]:
            if t == attr_type:
                return typed
        return None

    @property
    def username(self) -> str | None:
        value = self.get(StunAttr.USERNAME)
        return None if value is None else value.decode("utf-8", "replace")

    @property
    def software(self) -> str | None:
        value = self.get(StunAttr.SOFTWARE)
        return None if value is None else value.decode("utf-8", "replace")

    @property
    def priority(self) -> int | None:
        return self._typed(StunAttr.PRIORITY)  # type: ignore[return-value]

    @property
    def use_candidate(self) -> bool:
        return self.get(StunAttr.USE_CANDIDATE) is not None

    @property
    def ice_controlling(self) -> int | None:
        """The tie-breaker of ICE-CONTROLLING, or None."""
        return self._typed(StunAttr.ICE_CONTROLLING)  # type: ignore[return-value]

    @property
    def ice_controlled(self) -> int | None:
        return self._typed(StunAttr.ICE_CONTROLLED)  # type: ignore[return-value]

    @property
    def xor_mapped_address(self) -> tuple[str, int] | None:
        return self._typed(StunAttr.XOR_MAPPED_ADDRESS)  # type: ignore[return-value]

    @property
    def error_code(self) -> tuple[int, str] | None:
        """(code, reason phrase) of ERROR-CODE, or None."""
        return self._typed(StunAttr.ERROR_CODE)  # type: ignore[return-value]

    @property
    def unknown_attributes(self) -> tuple[int, ...] | None:
        return self._typed(StunAttr.UNKNOWN_ATTRIBUTES)  # type: ignore[return-value]
