"""Random hex tokens for tags and branches, from a buffer of kernel random octets.

RFC 3261 19.3 wants tags cryptographically random (at least 32 bits) and 8.1.1.7 branches
unique: `secrets.token_hex` gives that, but with one getrandom() system call per token, two
per proxied request here (and one per digest nonce's salt). `token_hex(n)` and
`token_bytes(n)` take the same os.urandom octets from a buffer refilled 4 KiB at a time,
so the system call is paid once per few hundred tokens.
"""

from __future__ import annotations

import os

_REFILL = 4096
_buffer = b""
_offset = 0


def token_bytes(nbytes: int) -> bytes:
    """`nbytes` random octets (os.urandom's, taken from the buffer)."""
    global _buffer, _offset
    end = _offset + nbytes
    if end > len(_buffer):
        _buffer, _offset, end = os.urandom(max(_REFILL, nbytes)), 0, nbytes
    octets = _buffer[_offset:end]
    _offset = end
    return octets


def token_hex(nbytes: int) -> str:
    """`nbytes` random octets as 2*nbytes lower-case hex digits (secrets.token_hex)."""
    return token_bytes(nbytes).hex()


def _after_fork() -> None:
    """A forked child must not hand out the octets its parent still holds."""
    global _buffer, _offset
    _buffer, _offset = b"", 0


os.register_at_fork(after_in_child=_after_fork)
