# Exceptions of the media engine and the one place C return codes become them.
# (included by _core.pyx)

class MediaError(Exception):
    """Base class of every error the media engine raises."""


class PacketError(MediaError, ValueError):
    """A packet (RTP, RTCP, STUN...) could not be parsed."""


class TruncatedPacketError(PacketError):
    """The packet ends before the length its headers claim."""


class MalformedPacketError(PacketError):
    """A field of the packet holds a value its format forbids."""


class UnsupportedError(MediaError):
    """Well-formed input that uses a feature the engine does not implement."""


class BufferTooSmallError(MediaError):
    """The output buffer cannot hold the result."""


class InvalidArgumentError(MediaError, ValueError):
    """A parameter passed to the engine is out of range or inconsistent."""


class CodecError(MediaError):
    """The codec library (libopus, spandsp, speexdsp) reported an error."""


class SrtpError(MediaError):
    """libsrtp reported an error; `reason` carries libsrtp's own status name."""

    def __init__(self, message, reason=""):
        super().__init__(message)
        self.reason = reason


class SrtpAuthError(SrtpError):
    """The SRTP/SRTCP authentication tag did not verify."""


class SrtpReplayError(SrtpError):
    """The SRTP/SRTCP packet was already received, or is older than the replay window."""


class StateError(MediaError):
    """The object is not in a state that allows this call."""


class StunIntegrityError(PacketError):
    """A STUN MESSAGE-INTEGRITY attribute is absent or does not verify with the key."""


class StunFingerprintError(PacketError):
    """A STUN FINGERPRINT attribute is absent or does not match the message."""


_ERROR_BY_CODE = {
    uc_errors.UC_ERR_TRUNCATED: (TruncatedPacketError, "packet truncated"),
    uc_errors.UC_ERR_MALFORMED: (MalformedPacketError, "malformed packet"),
    uc_errors.UC_ERR_UNSUPPORTED: (UnsupportedError, "unsupported"),
    uc_errors.UC_ERR_NOSPACE: (BufferTooSmallError, "output buffer too small"),
    uc_errors.UC_ERR_ARGUMENT: (InvalidArgumentError, "invalid argument"),
    uc_errors.UC_ERR_NOMEM: (MemoryError, "out of memory"),
    uc_errors.UC_ERR_CODEC: (CodecError, "codec error"),
    uc_errors.UC_ERR_SRTP: (SrtpError, "SRTP error"),
    uc_errors.UC_ERR_SRTP_AUTH: (SrtpAuthError, "SRTP authentication failed"),
    uc_errors.UC_ERR_SRTP_REPLAY: (SrtpReplayError, "SRTP replay"),
    uc_errors.UC_ERR_STATE: (StateError, "invalid state"),
    uc_errors.UC_ERR_IO: (OSError, "system call failed"),
    uc_errors.UC_ERR_STUN_INTEGRITY: (StunIntegrityError, "STUN MESSAGE-INTEGRITY does not verify"),
    uc_errors.UC_ERR_STUN_FINGERPRINT: (StunFingerprintError, "STUN FINGERPRINT does not match"),
}


cdef int _check(int rc, str context=None) except -1:
    """Return rc when it is a success (>= 0); raise the mapped exception otherwise."""
    if rc >= 0:
        return rc
    cls, text = _ERROR_BY_CODE.get(rc, (MediaError, f"error {rc}"))
    raise cls(f"{context}: {text}" if context else text)
