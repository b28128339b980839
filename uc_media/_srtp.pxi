# SRTP/SRTCP sessions over csrc/srtp_session.c (libsrtp2). (included by _core.pyx)

from cpython.buffer cimport PyBUF_SIMPLE, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memcpy

from uc_media.includes cimport srtp_session as _srtp

# RFC 4568 / RFC 7714 suite names -> csrc suite codes.
_SRTP_SUITE_CODES = {
    "AES_CM_128_HMAC_SHA1_80": _srtp.UC_SRTP_AES_CM_128_HMAC_SHA1_80,
    "AES_CM_128_HMAC_SHA1_32": _srtp.UC_SRTP_AES_CM_128_HMAC_SHA1_32,
    "AEAD_AES_128_GCM": _srtp.UC_SRTP_AEAD_AES_128_GCM,
}
_SRTP_DIRECTIONS = {"outbound": _srtp.UC_SRTP_OUTBOUND, "inbound": _srtp.UC_SRTP_INBOUND}

SRTP_SUITES = tuple(_SRTP_SUITE_CODES)
SRTP_MAX_OVERHEAD = _srtp.UC_SRTP_MAX_OVERHEAD


def _srtp_suite_code(str suite):
    try:
        return _SRTP_SUITE_CODES[suite]
    except KeyError:
        raise UnsupportedError(
            f"SRTP suite {suite!r} is not supported (supported: {', '.join(SRTP_SUITES)})") from None


def srtp_suite_available(str suite):
    """True if the linked libsrtp2 implements the suite (AES-GCM needs a crypto backend)."""
    return _check(_srtp.uc_srtp_suite_available(_srtp_suite_code(suite)), "SRTP suite") == 1


def srtp_key_salt_length(str suite):
    """Bytes of master key || master salt the suite takes (30 for AES-CM, 28 for AES-GCM)."""
    return _check(_srtp.uc_srtp_suite_key_salt_len(_srtp_suite_code(suite)), "SRTP suite")


cdef object _srtp_exception(int rc, int srtp_status, str context):
    """The exception for a failed SRTP call, from the same table as _check; SrtpError
    subclasses carry libsrtp's status name in `reason`."""
    cls, text = _ERROR_BY_CODE.get(rc, (MediaError, f"error {rc}"))
    if issubclass(cls, SrtpError):
        reason = _srtp.uc_srtp_status_name(srtp_status).decode("ascii")
        detail = _srtp.uc_srtp_status_text(srtp_status).decode("ascii")
        return cls(f"{context}: {text} ({reason}: {detail})", reason)
    return cls(f"{context}: {text}")


cdef class SrtpSession:
    """One direction of SRTP and SRTCP under one master key (RFC 3711; RFC 7714 for GCM).

    `direction="outbound"` protects what we send (our SDES key), `"inbound"` unprotects
    what the peer sends (its key). `key_salt` is master key || master salt, as carried in
    an RFC 4568 `inline:` parameter. `ssrc` binds the session to one SSRC (default: any);
    `window_size` is the replay window in packets (0: libsrtp's 128); `mki` is the RFC
    3711 master key identifier carried in each packet, if the SDES key has one.

    With AES_CM_128_HMAC_SHA1_32, SRTCP carries the 80-bit tag (libsrtp's profiles, RFC
    5764, pjsip); `srtcp_tag_32=True` selects the 32-bit SRTCP tag of peers that read RFC
    4568 section 6.2.2 literally, such as Asterisk and ffmpeg.

    Replay protection is always on: an outbound session refuses to protect a sequence
    number twice, an inbound one rejects replays with SrtpReplayError. Not thread-safe;
    a batch call releases the GIL, and a concurrent call on the same session raises
    StateError.
    """

    cdef _srtp.uc_srtp_session *_session
    cdef readonly str suite
    cdef readonly str direction
    cdef readonly Py_ssize_t rtp_overhead
    cdef readonly Py_ssize_t rtcp_overhead
    cdef bint _outbound
    cdef bint _busy
    # Batch scratch arrays, grown to the largest batch seen so the steady state allocates
    # nothing per call.
    cdef size_t _batch_room
    cdef Py_buffer *_views
    cdef uint8_t **_packets
    cdef size_t *_lengths
    cdef size_t *_capacities
    cdef int *_status
    cdef int *_srtp_status

    def __cinit__(self, str suite, key_salt, str direction="outbound", *, ssrc=None,
                  unsigned int window_size=0, mki=b"", bint srtcp_tag_32=False):
        cdef int suite_code = _srtp_suite_code(suite)
        if direction not in _SRTP_DIRECTIONS:
            raise InvalidArgumentError(f"SRTP direction must be 'outbound' or 'inbound', not {direction!r}")
        cdef const unsigned char[::1] key_view = key_salt
        cdef const unsigned char[::1] mki_view = mki
        cdef int expected = _check(_srtp.uc_srtp_suite_key_salt_len(suite_code), "SRTP suite")
        if key_view.shape[0] != expected:
            raise InvalidArgumentError(
                f"{suite} takes {expected} bytes of master key || salt, not {key_view.shape[0]}")
        if mki_view.shape[0] > _srtp.UC_SRTP_MAX_MKI_LEN:
            raise InvalidArgumentError(f"MKI longer than {_srtp.UC_SRTP_MAX_MKI_LEN} bytes")
        cdef int64_t ssrc_value = -1
        if ssrc is not None:
            if not 0 <= ssrc <= 0xFFFFFFFF:
                raise InvalidArgumentError(f"SSRC {ssrc} out of range")
            ssrc_value = ssrc
        if window_size != 0 and not 64 <= window_size <= 0x7FFF:
            raise InvalidArgumentError(f"replay window {window_size} outside 64..32767")
        if srtcp_tag_32 and suite != "AES_CM_128_HMAC_SHA1_32":
            raise InvalidArgumentError("srtcp_tag_32 applies to AES_CM_128_HMAC_SHA1_32 only")
        cdef const uint8_t *key_ptr = &key_view[0] if key_view.shape[0] else NULL
        cdef const uint8_t *mki_ptr = &mki_view[0] if mki_view.shape[0] else NULL
        rc = _srtp.uc_srtp_session_create(
            &self._session, suite_code, _SRTP_DIRECTIONS[direction], key_ptr,
            <size_t>key_view.shape[0], ssrc_value, window_size, mki_ptr, <size_t>mki_view.shape[0],
            _srtp.UC_SRTP_FLAG_SRTCP_TAG_32 if srtcp_tag_32 else 0)
        if rc == uc_errors.UC_ERR_UNSUPPORTED:
            raise UnsupportedError(f"SRTP suite {suite} is not implemented by this libsrtp2 build")
        _check(rc, "SRTP session")
        self.suite = suite
        self.direction = direction
        self._outbound = direction == "outbound"
        self.rtp_overhead = _srtp.uc_srtp_overhead(self._session, 0)
        self.rtcp_overhead = _srtp.uc_srtp_overhead(self._session, 1)

    def __dealloc__(self):
        _srtp.uc_srtp_session_destroy(self._session)
        PyMem_Free(self._views)
        PyMem_Free(self._packets)
        PyMem_Free(self._lengths)
        PyMem_Free(self._capacities)
        PyMem_Free(self._status)
        PyMem_Free(self._srtp_status)

    def __repr__(self):
        return f"<SrtpSession {self.suite} {self.direction}>"

    cdef int _enter(self, bint outbound, str what) except -1:
        if self._busy:
            raise StateError(f"SRTP {what}: the session is in use by another thread")
        if outbound != self._outbound:
            raise StateError(f"SRTP {what}: not allowed on an {self.direction} session")
        return 0

    cdef bytes _protect(self, packet, bint rtcp, str what):
        self._enter(True, what)
        cdef Py_buffer view
        PyObject_GetBuffer(packet, &view, PyBUF_SIMPLE)
        cdef Py_ssize_t length = view.len
        cdef size_t capacity = <size_t>length + <size_t>(self.rtcp_overhead if rtcp else self.rtp_overhead)
        cdef bytes out
        try:
            out = PyBytes_FromStringAndSize(NULL, capacity)
            memcpy(PyBytes_AS_STRING(out), view.buf, length)
        finally:
            PyBuffer_Release(&view)
        cdef uint8_t *data = <uint8_t *>PyBytes_AS_STRING(out)
        cdef int rc
        if rtcp:
            rc = _srtp.uc_srtp_protect_rtcp(self._session, data, length, capacity)
        else:
            rc = _srtp.uc_srtp_protect_rtp(self._session, data, length, capacity)
        if rc < 0:
            raise _srtp_exception(rc, _srtp.uc_srtp_last_status(self._session), f"SRTP {what}")
        # Protect always adds exactly the overhead, so `out` is already the right size.
        return out

    cdef bytes _unprotect(self, packet, bint rtcp, str what):
        self._enter(False, what)
        # libsrtp works in place: copy the packet into a fresh bytes object first.
        cdef Py_buffer view
        PyObject_GetBuffer(packet, &view, PyBUF_SIMPLE)
        cdef Py_ssize_t length = view.len
        cdef bytes out
        try:
            out = PyBytes_FromStringAndSize(<char *>view.buf, length)
        finally:
            PyBuffer_Release(&view)
        cdef uint8_t *data = <uint8_t *>PyBytes_AS_STRING(out)
        cdef int rc
        if rtcp:
            rc = _srtp.uc_srtp_unprotect_rtcp(self._session, data, length)
        else:
            rc = _srtp.uc_srtp_unprotect_rtp(self._session, data, length)
        if rc < 0:
            raise _srtp_exception(rc, _srtp.uc_srtp_last_status(self._session), f"SRTP {what}")
        return out[:rc]

    def protect(self, packet):
        """SRTP-protect one RTP packet; returns the SRTP packet (header in the clear)."""
        return self._protect(packet, False, "protect")

    def unprotect(self, packet):
        """Verify and decrypt one SRTP packet; returns the RTP packet."""
        return self._unprotect(packet, False, "unprotect")

    def protect_rtcp(self, packet):
        """SRTCP-protect one RTCP compound packet."""
        return self._protect(packet, True, "protect_rtcp")

    def unprotect_rtcp(self, packet):
        """Verify and decrypt one SRTCP packet; returns the RTCP compound packet."""
        return self._unprotect(packet, True, "unprotect_rtcp")

    cdef int _reserve(self, size_t count) except -1:
        if count <= self._batch_room:
            return 0
        # Each pointer is stored only when its realloc succeeded, so __dealloc__ frees
        # whatever was allocated even if a later one fails.
        cdef void *p
        p = PyMem_Realloc(self._views, count * sizeof(Py_buffer))
        if p == NULL:
            raise MemoryError()
        self._views = <Py_buffer *>p
        p = PyMem_Realloc(self._packets, count * sizeof(uint8_t *))
        if p == NULL:
            raise MemoryError()
        self._packets = <uint8_t **>p
        p = PyMem_Realloc(self._lengths, count * sizeof(size_t))
        if p == NULL:
            raise MemoryError()
        self._lengths = <size_t *>p
        p = PyMem_Realloc(self._capacities, count * sizeof(size_t))
        if p == NULL:
            raise MemoryError()
        self._capacities = <size_t *>p
        p = PyMem_Realloc(self._status, count * sizeof(int))
        if p == NULL:
            raise MemoryError()
        self._status = <int *>p
        p = PyMem_Realloc(self._srtp_status, count * sizeof(int))
        if p == NULL:
            raise MemoryError()
        self._srtp_status = <int *>p
        self._batch_room = count
        return 0

    cdef list _batch(self, list packets, bint outbound, bint rtcp, str what):
        """Run one batch in place: grow each bytearray by the overhead (protect), pin its
        buffer (a pinned bytearray cannot be resized or freed by another thread), run the
        C loop without the GIL, unpin, and cut each bytearray to its new length."""
        self._enter(outbound, what)
        self._busy = True
        try:
            return self._run_batch(packets, outbound, rtcp, what)
        finally:
            self._busy = False

    cdef list _run_batch(self, list packets, bint outbound, bint rtcp, str what):
        # A tuple holds our own references, whatever happens to the list meanwhile.
        cdef tuple items = tuple(packets)
        cdef Py_ssize_t count = len(items)
        self._reserve(<size_t>count)
        cdef size_t overhead = <size_t>(self.rtcp_overhead if rtcp else self.rtp_overhead) if outbound else 0
        cdef Py_ssize_t i, prepared = 0, pinned = 0
        cdef object packet
        cdef list results
        cdef int ok = 0
        try:
            for i in range(count):
                packet = items[i]
                if type(packet) is not bytearray:
                    raise TypeError(f"SRTP {what}: packet {i} is {type(packet).__name__}, not bytearray")
                self._lengths[i] = <size_t>PyByteArray_GET_SIZE(packet)
                prepared = i + 1
                if overhead:
                    PyByteArray_Resize(packet, <Py_ssize_t>(self._lengths[i] + overhead))
                PyObject_GetBuffer(packet, &self._views[i], PyBUF_WRITABLE)
                pinned = i + 1
                self._packets[i] = <uint8_t *>self._views[i].buf
                self._capacities[i] = self._lengths[i] + overhead
            with nogil:
                if outbound and rtcp:
                    ok = _srtp.uc_srtp_protect_rtcp_batch(self._session, self._packets, self._lengths,
                                                         self._capacities, self._status,
                                                         self._srtp_status, count)
                elif outbound:
                    ok = _srtp.uc_srtp_protect_rtp_batch(self._session, self._packets, self._lengths,
                                                        self._capacities, self._status,
                                                        self._srtp_status, count)
                elif rtcp:
                    ok = _srtp.uc_srtp_unprotect_rtcp_batch(self._session, self._packets,
                                                           self._lengths, self._status,
                                                           self._srtp_status, count)
                else:
                    ok = _srtp.uc_srtp_unprotect_rtp_batch(self._session, self._packets,
                                                          self._lengths, self._status,
                                                          self._srtp_status, count)
        finally:
            for i in range(pinned):
                PyBuffer_Release(&self._views[i])
            # Failed or never-processed packets keep their original length. Backwards, so
            # a bytearray listed twice (refused: it is pinned) ends at its first entry's length.
            for i in range(prepared - 1, -1, -1):
                PyByteArray_Resize(items[i], <Py_ssize_t>self._lengths[i])
        _check(ok, f"SRTP {what}")
        results = [None] * count
        if ok != count:
            for i in range(count):
                if self._status[i] < 0:
                    results[i] = _srtp_exception(self._status[i], self._srtp_status[i], f"SRTP {what} (packet {i})")
        return results

    def protect_batch(self, list packets):
        """SRTP-protect a list of RTP packets (bytearrays) in place, without the GIL.

        Returns one entry per packet: None when it was protected, else the exception
        (not raised) saying why; a failed packet is left at its original length.
        """
        return self._batch(packets, True, False, "protect_batch")

    def unprotect_batch(self, list packets):
        """Verify and decrypt a list of SRTP packets (bytearrays) in place, without the GIL.

        Returns one entry per packet: None when it verified, else the exception (not
        raised) saying why - SrtpAuthError, SrtpReplayError (with libsrtp's `reason`),
        or a PacketError for bytes that are not SRTP at all.
        """
        return self._batch(packets, False, False, "unprotect_batch")

    def protect_rtcp_batch(self, list packets):
        """protect_batch for RTCP compound packets."""
        return self._batch(packets, True, True, "protect_rtcp_batch")

    def unprotect_rtcp_batch(self, list packets):
        """unprotect_batch for SRTCP packets."""
        return self._batch(packets, False, True, "unprotect_rtcp_batch")
