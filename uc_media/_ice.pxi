# ICE-lite responder over csrc/ice_lite.c (RFC 8445 lite implementation, RFC 7675
# consent). The engine calls the C responder directly on its worker threads; this class is
# the same responder for Python-level use, tests and tools. (included by _core.pyx)

from libc.math cimport llround
from libc.stdint cimport int64_t, uint8_t, uint64_t

from uc_media.includes cimport ice_lite as c_ice
from uc_media.includes cimport stun as c_stun
from uc_media.includes.stun cimport socklen_t

ICE_CONSENT_TIMEOUT = c_ice.UC_ICE_LITE_CONSENT_TIMEOUT_MS / 1000.0

_ICE_LITE_STATES = {
    c_ice.UC_ICE_LITE_WAITING: "waiting",
    c_ice.UC_ICE_LITE_CONNECTED: "connected",
    c_ice.UC_ICE_LITE_EXPIRED: "expired",
}


cdef int64_t _ice_now_ms(double now) except? -1:
    return <int64_t>llround(now * 1000.0)


cdef bytes _ice_credential(object value, str what, bint required):
    if value is None or value == "":
        if required:
            raise InvalidArgumentError(f"ICE {what} is required")
        return b""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"ICE {what} must be str, got {type(value).__name__}")
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidArgumentError(f"ICE {what} {value!r}: ice-chars are ASCII") from None


cdef class IceLiteResponder:
    """The ICE-lite side of one leg: answers a full agent's connectivity and consent checks.

    `local_ufrag`/`local_pwd` are ours (our SDP's a=ice-ufrag/a=ice-pwd), `remote_ufrag`/
    `remote_pwd` the peer's, or None until its SDP arrives (checks are then answered for
    any remote fragment; see `set_remote`). `handle(packet, src_addr, now)` returns the
    response to send back to `src_addr` from the same socket, or None; `nominated` is the
    remote (host, port) media goes to; `consent_expired(now)` says media must stop (30 s
    without a valid check on that pair, RFC 7675). `now` is float seconds on any
    monotonic clock (the same for every call).
    """
    cdef c_ice.uc_ice_lite *ice
    cdef unsigned last_events  # UC_ICE_LITE_EV_* bits of the last handle()

    def __cinit__(self, local_ufrag, local_pwd, remote_ufrag=None, remote_pwd=None):
        cdef bytes lu = _ice_credential(local_ufrag, "local ufrag", True)
        cdef bytes lp = _ice_credential(local_pwd, "local password", True)
        cdef bytes ru = _ice_credential(remote_ufrag, "remote ufrag", False)
        cdef bytes rp = _ice_credential(remote_pwd, "remote password", False)
        _check(c_ice.uc_ice_lite_create(&self.ice, lu, len(lu), lp, len(lp), ru, len(ru),
                                        rp, len(rp)),
               "ICE-lite credentials (ufrag without ':', at most 256 characters; password 1..256)")

    def __dealloc__(self):
        c_ice.uc_ice_lite_destroy(self.ice)

    def set_remote(self, remote_ufrag, remote_pwd):
        """Set the peer's credentials once its SDP arrives."""
        cdef bytes ru = _ice_credential(remote_ufrag, "remote ufrag", False)
        cdef bytes rp = _ice_credential(remote_pwd, "remote password", False)
        _check(c_ice.uc_ice_lite_set_remote(self.ice, ru, len(ru), rp, len(rp)),
               "ICE remote credentials")

    def handle(self, packet, src_addr, double now):
        """Handle one STUN datagram from src_addr (host, port); return the response bytes
        to send back to src_addr, or None (dropped: not STUN, bad FINGERPRINT, not a
        request). Error responses (400/401/420/487) are returned like successes. An IPv6
        scope ("fe80::1%eth0", or the 4-tuple's scope id) is not part of the pair."""
        cdef const uint8_t[::1] buf = _stun_bytes(packet, "STUN packet")
        cdef c_stun.uc_stun_addr addr
        cdef uint64_t sa[16]  # sockaddr_storage-sized and aligned
        cdef socklen_t sa_len = sizeof(sa)
        cdef uint8_t out[c_ice.UC_ICE_LITE_MAX_RESPONSE]
        cdef unsigned events = 0
        _stun_addr_from_tuple(src_addr, &addr)
        _check(c_stun.uc_stun_addr_to_sockaddr(&addr, <c_stun.sockaddr *>sa, &sa_len), "address")
        rc = _check(c_ice.uc_ice_lite_handle(
            self.ice, &buf[0] if buf.shape[0] else NULL, buf.shape[0],
            <c_stun.sockaddr *>sa, sa_len, _ice_now_ms(now), out, sizeof(out), &events),
            "ICE-lite")
        self.last_events = events
        return (<const char *>out)[:rc] if rc > 0 else None

    @property
    def selection_changed(self):
        """True if the last handle() changed the nominated pair."""
        return bool(self.last_events & c_ice.UC_ICE_LITE_EV_SELECTED)

    @property
    def nominated(self):
        """(host, port) of the nominated (selected) pair's remote side, or None."""
        cdef uint64_t sa[16]
        cdef socklen_t sa_len = sizeof(sa)
        cdef c_stun.uc_stun_addr addr
        if not c_ice.uc_ice_lite_selected(self.ice, <c_stun.sockaddr *>sa, &sa_len):
            return None
        _check(c_stun.uc_stun_addr_from_sockaddr(&addr, <c_stun.sockaddr *>sa, sa_len), "address")
        return _stun_addr_to_tuple(&addr)

    def state(self, double now):
        """'waiting' (nothing nominated), 'connected' or 'expired' (consent lost)."""
        return _ICE_LITE_STATES[c_ice.uc_ice_lite_state(self.ice, _ice_now_ms(now))]

    def consent_expired(self, double now):
        """True once a pair is nominated and no valid check arrived on it for 30 s."""
        return bool(c_ice.uc_ice_lite_consent_expired(self.ice, _ice_now_ms(now)))

    @property
    def last_check(self):
        """`now` (seconds) of the last valid check on the nominated pair, or None."""
        cdef int64_t t = c_ice.uc_ice_lite_last_check(self.ice)
        return None if t < 0 else t / 1000.0

    @property
    def counters(self):
        """Counts since creation: requests, success, malformed, bad_fingerprint,
        bad_integrity, unknown_user, bad_request, unknown_attribute, role_conflict,
        ignored."""
        cdef c_ice.uc_ice_lite_counters c
        c_ice.uc_ice_lite_get_counters(self.ice, &c)
        return {
            "requests": c.requests,
            "success": c.success,
            "malformed": c.malformed,
            "bad_fingerprint": c.bad_fingerprint,
            "bad_integrity": c.bad_integrity,
            "unknown_user": c.unknown_user,
            "bad_request": c.bad_request,
            "unknown_attribute": c.unknown_attribute,
            "role_conflict": c.role_conflict,
            "ignored": c.ignored,
        }
