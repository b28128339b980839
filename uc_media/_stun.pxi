# STUN messages over csrc/stun.c: parse, verify, build. The typed API is
# uc_media.stun.StunMessage; these functions move whole messages between Python and C.
# (included by _core.pyx)

import socket as _stun_socket

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from uc_media.includes cimport stun as c_stun

# Largest STUN message: 20-byte header + a 16-bit length of attributes.
_STUN_MAX_MESSAGE = 20 + 0xFFFF


cdef class _StunKey:
    """Precomputed HMAC keys for one short-term password (csrc uc_stun_key)."""
    cdef c_stun.uc_stun_key *key

    def __cinit__(self, password):
        cdef const uint8_t[::1] pw = _stun_bytes(password, "STUN key")
        cdef const uint8_t *p = &pw[0] if pw.shape[0] else NULL
        _check(c_stun.uc_stun_key_create(&self.key, p, pw.shape[0]), "STUN key")

    def __dealloc__(self):
        c_stun.uc_stun_key_destroy(self.key)


cdef object _stun_bytes(object data, str context):
    """bytes-like -> a bytes object (str is refused: keys and values are bytes)."""
    if type(data) is bytes:
        return data
    if isinstance(data, str):
        raise InvalidArgumentError(f"{context}: expected bytes, got str")
    return bytes(data)


cdef object _stun_addr_to_tuple(const c_stun.uc_stun_addr *a):
    if a.family == 4:
        host = _stun_socket.inet_ntop(_stun_socket.AF_INET, (<const char *>a.addr)[:4])
    else:
        host = _stun_socket.inet_ntop(_stun_socket.AF_INET6, (<const char *>a.addr)[:16])
    return (host, a.port)


cdef int _stun_addr_from_tuple(object address, c_stun.uc_stun_addr *out) except -1:
    """(host, port[, ...]) with a literal IPv4 or IPv6 host -> uc_stun_addr."""
    try:
        host, port = address[0], int(address[1])
    except (TypeError, IndexError, ValueError):
        raise InvalidArgumentError(f"address {address!r}: expected (host, port)") from None
    if not (0 <= port <= 0xFFFF):
        raise InvalidArgumentError(f"address {address!r}: port out of range")
    memset(out, 0, sizeof(out[0]))
    try:
        if ":" in host:
            raw = _stun_socket.inet_pton(_stun_socket.AF_INET6, host.split("%", 1)[0])
            out.family = 6
        else:
            raw = _stun_socket.inet_pton(_stun_socket.AF_INET, host)
            out.family = 4
    except (OSError, TypeError):
        raise InvalidArgumentError(f"address {address!r}: host is not an IP literal") from None
    memcpy(out.addr, <const uint8_t *><bytes>raw, len(raw))
    out.port = port
    return 0


def stun_is_stun(data):
    """True if the datagram could be STUN (RFC 7983 first byte 0..3 and the magic cookie)."""
    cdef const uint8_t[::1] buf = _stun_bytes(data, "STUN")
    return bool(c_stun.uc_stun_is_stun(&buf[0] if buf.shape[0] else NULL, buf.shape[0]))


cdef object _stun_decode(const c_stun.uc_stun_msg *msg, int i):
    """The typed value of attribute i for the types this module knows, else None."""
    cdef c_stun.uc_stun_addr addr
    cdef uint32_t u32
    cdef uint64_t u64
    cdef int code
    cdef const uint8_t *reason
    cdef size_t reason_len, count
    cdef uint16_t types[64]
    t = msg.attrs[i].type
    if t == c_stun.UC_STUN_ATTR_XOR_MAPPED_ADDRESS:
        if c_stun.uc_stun_read_xor_address(msg, i, &addr) == 0:
            return _stun_addr_to_tuple(&addr)
    elif t in (c_stun.UC_STUN_ATTR_MAPPED_ADDRESS, c_stun.UC_STUN_ATTR_ALTERNATE_SERVER):
        if c_stun.uc_stun_read_address(msg, i, &addr) == 0:
            return _stun_addr_to_tuple(&addr)
    elif t == c_stun.UC_STUN_ATTR_PRIORITY:
        if c_stun.uc_stun_read_u32(msg, i, &u32) == 0:
            return u32
    elif t in (c_stun.UC_STUN_ATTR_ICE_CONTROLLING, c_stun.UC_STUN_ATTR_ICE_CONTROLLED):
        if c_stun.uc_stun_read_u64(msg, i, &u64) == 0:
            return u64
    elif t == c_stun.UC_STUN_ATTR_ERROR_CODE:
        if c_stun.uc_stun_read_error_code(msg, i, &code, &reason, &reason_len) == 0:
            return (code, (<const char *>reason)[:reason_len].decode("utf-8", "replace"))
    elif t == c_stun.UC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
        if c_stun.uc_stun_read_unknown_attributes(msg, i, types, 64, &count) == 0:
            return tuple([types[k] for k in range(min(count, <size_t>64))])
    return None


def stun_parse(data):
    """Parse one STUN datagram: (type, method, class, transaction_id, attributes), where
    attributes is a list of (type, value bytes, typed value or None). Raises
    TruncatedPacketError / MalformedPacketError / UnsupportedError."""
    cdef bytes raw = _stun_bytes(data, "STUN message")
    cdef const uint8_t *buf = raw
    cdef size_t n = len(raw)
    cdef c_stun.uc_stun_msg msg
    cdef int rc
    with nogil:
        rc = c_stun.uc_stun_parse(&msg, buf, n)
    if rc < 0:
        _check(rc, f"STUN message of {n} bytes")
    attributes = []
    for i in range(msg.n_attrs):
        a = msg.attrs[i]
        attributes.append((a.type, raw[a.offset:a.offset + a.length], _stun_decode(&msg, i)))
    return (msg.type, msg.method, msg.msg_class, raw[8:20], attributes)


def stun_verify(data, integrity_key=None, integrity_sha256_key=None, bint fingerprint=False):
    """Check a received message's FINGERPRINT (when `fingerprint`), MESSAGE-INTEGRITY
    (when `integrity_key`) and MESSAGE-INTEGRITY-SHA256 (when `integrity_sha256_key`).
    Raises StunFingerprintError / StunIntegrityError (or a parse error); returns None."""
    cdef bytes raw = _stun_bytes(data, "STUN message")
    cdef c_stun.uc_stun_msg msg
    cdef _StunKey key
    _check(c_stun.uc_stun_parse(&msg, raw, len(raw)), "STUN message")
    if fingerprint:
        _check(c_stun.uc_stun_check_fingerprint(&msg), "STUN FINGERPRINT")
    if integrity_key is not None:
        key = _StunKey(integrity_key)
        _check(c_stun.uc_stun_check_integrity(&msg, key.key), "STUN MESSAGE-INTEGRITY")
    if integrity_sha256_key is not None:
        key = _StunKey(integrity_sha256_key)
        _check(c_stun.uc_stun_check_integrity_sha256(&msg, key.key),
               "STUN MESSAGE-INTEGRITY-SHA256")


def stun_build(int type, transaction_id, attributes, integrity_key=None,
               integrity_sha256_key=None, bint fingerprint=False):
    """Serialise a message: `attributes` is a list of (type, value bytes) written as given
    (zero padding), then MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
    computed when asked for."""
    cdef bytes txid = _stun_bytes(transaction_id, "STUN transaction ID")
    cdef bytes value
    cdef bytearray out
    cdef c_stun.uc_stun_builder b
    cdef _StunKey key1 = None, key256 = None
    if len(txid) != c_stun.UC_STUN_TXID_LEN:
        raise InvalidArgumentError(f"STUN transaction ID of {len(txid)} bytes, expected 12")
    if not (0 <= type <= 0x3FFF):
        raise InvalidArgumentError(f"STUN message type 0x{type:X} (14 bits)")
    if integrity_key is not None:
        key1 = _StunKey(integrity_key)
    if integrity_sha256_key is not None:
        key256 = _StunKey(integrity_sha256_key)
    cdef Py_ssize_t size = 20 + 24 + 36 + 8  # header, MESSAGE-INTEGRITY(-SHA256), FINGERPRINT
    encoded = []
    for attr_type, attr_value in attributes:
        if not (0 <= attr_type <= 0xFFFF):
            raise InvalidArgumentError(f"STUN attribute type {attr_type} (16 bits)")
        value = _stun_bytes(attr_value, "STUN attribute value")
        encoded.append((attr_type, value))
        size += 4 + ((len(value) + 3) & ~3)
    if size > _STUN_MAX_MESSAGE:
        raise InvalidArgumentError(f"STUN message of {size} bytes exceeds the 16-bit length")
    out = bytearray(size)
    c_stun.uc_stun_build_start(&b, out, size, type, txid)
    for attr_type, value in encoded:
        c_stun.uc_stun_add_attr(&b, attr_type, value, len(value))
    if key1 is not None:
        c_stun.uc_stun_add_integrity(&b, key1.key)
    if key256 is not None:
        c_stun.uc_stun_add_integrity_sha256(&b, key256.key)
    if fingerprint:
        c_stun.uc_stun_add_fingerprint(&b)
    n = _check(c_stun.uc_stun_build_finish(&b), "STUN build")
    return bytes(out[:n])


def stun_encode_xor_address(transaction_id, address):
    """The XOR-MAPPED-ADDRESS value for (host, port) in a message with this transaction ID."""
    cdef bytes txid = _stun_bytes(transaction_id, "STUN transaction ID")
    cdef c_stun.uc_stun_addr addr
    cdef c_stun.uc_stun_builder b
    cdef uint8_t buf[48]
    if len(txid) != c_stun.UC_STUN_TXID_LEN:
        raise InvalidArgumentError(f"STUN transaction ID of {len(txid)} bytes, expected 12")
    _stun_addr_from_tuple(address, &addr)
    c_stun.uc_stun_build_start(&b, buf, sizeof(buf), 0, txid)
    c_stun.uc_stun_add_xor_address(&b, c_stun.UC_STUN_ATTR_XOR_MAPPED_ADDRESS, &addr)
    n = _check(c_stun.uc_stun_build_finish(&b), "XOR-MAPPED-ADDRESS")
    return (<const char *>buf)[24:n]


def stun_encode_error_code(int code, str reason):
    """The ERROR-CODE value for code 300..699 and a reason phrase."""
    cdef bytes text = reason.encode("utf-8")
    cdef c_stun.uc_stun_builder b
    cdef uint8_t buf[20 + 4 + 4 + 764]
    cdef uint8_t txid[12]
    memset(txid, 0, 12)
    c_stun.uc_stun_build_start(&b, buf, sizeof(buf), 0, txid)
    c_stun.uc_stun_add_error_code(&b, code, text, len(text))
    _check(c_stun.uc_stun_build_finish(&b), f"ERROR-CODE {code} {reason!r}")
    return (<const char *>buf)[24:24 + 4 + len(text)]
