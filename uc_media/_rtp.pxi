# RTP packets: parse and build over csrc/rtp.c. The typed API is uc_media.rtp.RtpPacket;
# these functions move fields between Python and C in one call each.
# (included by _core.pyx)

from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.string cimport memset

from uc_media.includes cimport rtp as c_rtp


cdef const uint8_t *_bytes_ptr(const uint8_t[::1] data) noexcept:
    return &data[0] if data.shape[0] else NULL


cdef str _rtp_diagnosis(bytes data):
    """Say which part of a packet uc_rtp_parse rejected (error path only)."""
    cdef Py_ssize_t n = len(data)
    cdef Py_ssize_t need = c_rtp.UC_RTP_HEADER_SIZE
    if n < need:
        return f"RTP packet of {n} bytes, the fixed header needs {need}"
    if data[0] >> 6 != 2:
        return f"RTP version {data[0] >> 6}, expected 2"
    need += 4 * (data[0] & 0x0F)
    if n < need:
        return f"RTP packet of {n} bytes, its {data[0] & 0x0F} CSRCs need {need}"
    if data[0] & 0x10:
        if n < need + 4:
            return f"RTP packet of {n} bytes, the header extension header needs {need + 4}"
        words = (data[need + 2] << 8) | data[need + 3]
        need += 4 + 4 * words
        if n < need:
            return f"RTP packet of {n} bytes, its {words}-word header extension needs {need}"
    if n == need:
        return f"RTP padding bit set on a {n}-byte packet with no room for the count"
    return f"RTP padding count {data[n - 1]} with {n - need} bytes after the header"


cdef int _invalid(str context) except -1:
    """Raise InvalidArgumentError; callers test first so the message is built only on failure."""
    return _check(uc_errors.UC_ERR_ARGUMENT, context)


def rtp_parse(data):
    """Parse an RTP packet into a tuple of its fields (see uc_media.rtp.RtpPacket.parse)."""
    cdef bytes raw = data if type(data) is bytes else bytes(data)
    cdef c_rtp.uc_rtp_packet pkt
    cdef c_rtp.uc_rtp_ext_element el
    cdef size_t pos = 0
    cdef const uint8_t *buf = raw
    cdef size_t n = len(raw)
    cdef int rc
    with nogil:
        rc = c_rtp.uc_rtp_parse(buf, n, &pkt)
    if rc < 0:
        _check(rc, _rtp_diagnosis(raw))
    extensions = []
    extension_data = b""
    profile = None
    if pkt.extension:
        profile = pkt.ext_profile
        if c_rtp.uc_rtp_ext_is_rfc8285(pkt.ext_profile):
            while True:  # bounded: each element consumes at least one byte
                rc = c_rtp.uc_rtp_ext_next(buf, &pkt, &pos, &el)
                if rc == 0:
                    break
                if rc < 0:
                    _check(rc, f"RTP header extension element at byte {pkt.ext_offset + pos} "
                               f"(profile 0x{pkt.ext_profile:04X})")
                extensions.append((el.id, raw[el.offset:el.offset + el.length]))
        else:
            extension_data = raw[pkt.ext_offset:pkt.ext_offset + pkt.ext_length]
    return (
        bool(pkt.marker),
        pkt.payload_type,
        pkt.sequence_number,
        pkt.timestamp,
        pkt.ssrc,
        [pkt.csrc[i] for i in range(pkt.csrc_count)],
        profile,
        extensions,
        extension_data,
        raw[pkt.payload_offset:pkt.payload_offset + pkt.payload_length],
        pkt.padding_length,
    )


def rtp_build(bint marker, payload_type, sequence_number, timestamp, ssrc, csrc,
              extension_profile, dict extensions, extension_data, payload, padding_size):
    """Serialise RTP fields (see uc_media.rtp.RtpPacket.__bytes__); `extensions` maps
    element ids to data."""
    cdef c_rtp.uc_rtp_packet pkt
    cdef c_rtp.uc_rtp_ext_writer w
    cdef bytes value
    cdef int rc, n
    if type(payload) is not bytes:
        payload = bytes(payload)
    if type(extension_data) is not bytes:
        extension_data = bytes(extension_data)
    if not (0 <= payload_type <= 127):
        _invalid(f"RTP payload type {payload_type} (0..127)")
    if not (0 <= sequence_number <= 0xFFFF):
        _invalid(f"RTP sequence number {sequence_number} (0..65535)")
    if not (0 <= timestamp <= 0xFFFFFFFF):
        _invalid(f"RTP timestamp {timestamp} (32 bits)")
    if not (0 <= ssrc <= 0xFFFFFFFF):
        _invalid(f"RTP SSRC {ssrc} (32 bits)")
    if not (len(csrc) <= c_rtp.UC_RTP_MAX_CSRC):
        _invalid(f"RTP CSRC list of {len(csrc)} (at most 15)")
    if not (0 <= padding_size <= 255):
        _invalid(f"RTP padding size {padding_size} (0..255)")
    memset(&pkt, 0, sizeof(pkt))
    pkt.marker = marker
    pkt.payload_type = payload_type
    pkt.sequence_number = <uint16_t>sequence_number
    pkt.timestamp = <uint32_t>timestamp
    pkt.ssrc = <uint32_t>ssrc
    pkt.csrc_count = len(csrc)
    for i, source in enumerate(csrc):
        if not (0 <= source <= 0xFFFFFFFF):
            _invalid(f"RTP CSRC {source} (32 bits)")
        pkt.csrc[i] = source

    cdef Py_ssize_t cap = (c_rtp.UC_RTP_HEADER_SIZE + 4 * c_rtp.UC_RTP_MAX_CSRC + 4 + 3
                           + len(extension_data) + len(payload) + padding_size)
    for ext_value in extensions.values():
        cap += 2 + len(ext_value)
    # Most packets fit a stack buffer; the result is then copied once into bytes.
    cdef uint8_t stack_buf[1500]
    cdef uint8_t *buf = stack_buf
    if cap > <Py_ssize_t>sizeof(stack_buf):
        out = bytearray(cap)
        buf = out
    n = _check(c_rtp.uc_rtp_write_header(buf, cap, &pkt), "RTP header")
    if extension_profile is not None:
        if not (0 <= extension_profile <= 0xFFFF):
            _invalid(f"RTP header extension profile {extension_profile} (16 bits)")
        if extension_data and c_rtp.uc_rtp_ext_is_rfc8285(extension_profile):
            _invalid(f"RTP extension_data is the opaque body of a profile other than RFC 8285; "
                     f"profile 0x{extension_profile:04X} carries elements")
        _check(c_rtp.uc_rtp_ext_begin(&w, buf, cap, n, extension_profile), "RTP header extension")
        for ext_id, ext_value in extensions.items():
            value = ext_value if type(ext_value) is bytes else bytes(ext_value)
            if not (0 <= ext_id <= 255):
                _invalid(f"RTP header extension id {ext_id}")
            rc = c_rtp.uc_rtp_ext_add(&w, ext_id, value, len(value))
            if rc < 0:
                _check(rc, f"RTP header extension element id {ext_id} of {len(value)} bytes "
                           f"in profile 0x{extension_profile:04X}")
        _check(c_rtp.uc_rtp_ext_add_raw(&w, extension_data, len(extension_data)),
               "RTP header extension data")
        n = _check(c_rtp.uc_rtp_ext_end(&w), "RTP header extension")
    n = _check(c_rtp.uc_rtp_append(buf, cap, n, payload, len(payload)),
               "RTP payload")
    if padding_size:
        n = _check(c_rtp.uc_rtp_add_padding(buf, cap, n, padding_size), "RTP padding")
    return buf[:n]


def rtp_audio_level_read(const uint8_t[::1] data):
    """RFC 6464 element -> (voice activity, level in -dBov)."""
    cdef int voice = 0, rc
    cdef uint8_t level = 0
    rc = c_rtp.uc_rtp_audio_level_read(_bytes_ptr(data), data.shape[0], &voice, &level)
    if rc < 0:
        _check(rc, f"RFC 6464 audio level element of {data.shape[0]} bytes (expected 1)")
    return bool(voice), level


def rtp_audio_level_write(bint voice, int level):
    """(voice activity, level in -dBov) -> the 1-byte RFC 6464 element."""
    cdef uint8_t out = 0
    if not (0 <= level <= 127):
        _invalid(f"RFC 6464 audio level {level} (0..127 -dBov)")
    _check(c_rtp.uc_rtp_audio_level_write(&out, voice, <uint8_t>level), "RFC 6464 audio level")
    return bytes([out])
