# RTP packets: parse and build over csrc/rtp.c. The typed API is uc_media.rtp.RtpPacket;
# these functions move fields between Python and C in one call each.
# (included by _core.pyx)

from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.string cimport memset

from uc_media.includes cimport rtp as c_rtp


cdef const uint8_t *_bytes_ptr(const uint8_t[::1] data) noexcept:
    return &data[0] if data.shape[0] else NULL


cdef str _rtp_diagnosis(const uint8_t[::1] data):
    """Say which part of a packet uc_rtp_parse rejected (error path only)."""
    cdef Py_ssize_t n = data.shape[0]
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


cdef int _require(bint ok, str context) except -1:
    if not ok:
        _check(uc_errors.UC_ERR_ARGUMENT, context)
    return 0


def rtp_parse(const uint8_t[::1] data):
    """Parse an RTP packet into a tuple of its fields (see uc_media.rtp.RtpPacket.parse)."""
    cdef c_rtp.uc_rtp_packet pkt
    cdef c_rtp.uc_rtp_ext_element el
    cdef size_t pos = 0
    cdef const uint8_t *buf = _bytes_ptr(data)
    cdef int rc
    with nogil:
        rc = c_rtp.uc_rtp_parse(buf, <size_t>data.shape[0], &pkt)
    if rc < 0:
        _check(rc, _rtp_diagnosis(data))
    extensions = []
    extension_data = b""
    profile = None
    if pkt.extension:
        profile = pkt.ext_profile
        if c_rtp.uc_rtp_ext_is_rfc8285(pkt.ext_profile):
            while True:
                rc = c_rtp.uc_rtp_ext_next(buf, &pkt, &pos, &el)
                if rc == 0:
                    break
                _check(rc, f"RTP header extension element at byte {pkt.ext_offset + pos} "
                           f"(profile 0x{pkt.ext_profile:04X})")
                extensions.append((el.id, bytes(data[el.offset:el.offset + el.length])))
        else:
            extension_data = bytes(data[pkt.ext_offset:pkt.ext_offset + pkt.ext_length])
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
        bytes(data[pkt.payload_offset:pkt.payload_offset + pkt.payload_length]),
        pkt.padding_length,
    )


def rtp_build(bint marker, int payload_type, long long sequence_number, long long timestamp,
              long long ssrc, csrc, extension_profile, extensions, const uint8_t[::1] extension_data,
              const uint8_t[::1] payload, int padding_size):
    """Serialise RTP fields (see uc_media.rtp.RtpPacket.__bytes__)."""
    cdef c_rtp.uc_rtp_packet pkt
    cdef c_rtp.uc_rtp_ext_writer w
    cdef const uint8_t[::1] value
    cdef int rc, n
    _require(0 <= payload_type <= 127, f"RTP payload type {payload_type} (0..127)")
    _require(0 <= sequence_number <= 0xFFFF, f"RTP sequence number {sequence_number} (0..65535)")
    _require(0 <= timestamp <= 0xFFFFFFFF, f"RTP timestamp {timestamp} (32 bits)")
    _require(0 <= ssrc <= 0xFFFFFFFF, f"RTP SSRC {ssrc} (32 bits)")
    _require(len(csrc) <= c_rtp.UC_RTP_MAX_CSRC, f"RTP CSRC list of {len(csrc)} (at most 15)")
    _require(0 <= padding_size <= 255, f"RTP padding size {padding_size} (0..255)")
    memset(&pkt, 0, sizeof(pkt))
    pkt.marker = marker
    pkt.payload_type = payload_type
    pkt.sequence_number = <uint16_t>sequence_number
    pkt.timestamp = <uint32_t>timestamp
    pkt.ssrc = <uint32_t>ssrc
    pkt.csrc_count = len(csrc)
    for i, source in enumerate(csrc):
        _require(0 <= source <= 0xFFFFFFFF, f"RTP CSRC {source} (32 bits)")
        pkt.csrc[i] = source

    cdef Py_ssize_t cap = (c_rtp.UC_RTP_HEADER_SIZE + 4 * c_rtp.UC_RTP_MAX_CSRC + 4 + 3
                           + extension_data.shape[0] + payload.shape[0] + padding_size)
    for _, ext_value in extensions:
        cap += 2 + len(ext_value)
    out = bytearray(cap)
    cdef uint8_t *buf = out
    n = _check(c_rtp.uc_rtp_write_header(buf, cap, &pkt), "RTP header")
    if extension_profile is not None:
        _require(0 <= extension_profile <= 0xFFFF,
                 f"RTP header extension profile {extension_profile} (16 bits)")
        _check(c_rtp.uc_rtp_ext_begin(&w, buf, cap, n, extension_profile), "RTP header extension")
        for ext_id, ext_value in extensions:
            value = ext_value
            _require(0 <= ext_id <= 255, f"RTP header extension id {ext_id}")
            _check(c_rtp.uc_rtp_ext_add(&w, ext_id, _bytes_ptr(value), value.shape[0]),
                   f"RTP header extension element id {ext_id} of {value.shape[0]} bytes "
                   f"in profile 0x{extension_profile:04X}")
        _check(c_rtp.uc_rtp_ext_add_raw(&w, _bytes_ptr(extension_data), extension_data.shape[0]),
               "RTP header extension data")
        n = _check(c_rtp.uc_rtp_ext_end(&w), "RTP header extension")
    n = _check(c_rtp.uc_rtp_append(buf, cap, n, _bytes_ptr(payload), payload.shape[0]),
               "RTP payload")
    if padding_size:
        n = _check(c_rtp.uc_rtp_add_padding(buf, cap, n, padding_size), "RTP padding")
    return bytes(out[:n])


def rtp_audio_level_read(const uint8_t[::1] data):
    """RFC 6464 element -> (voice activity, level in -dBov)."""
    cdef int voice = 0
    cdef uint8_t level = 0
    _check(c_rtp.uc_rtp_audio_level_read(_bytes_ptr(data), data.shape[0], &voice, &level),
           f"RFC 6464 audio level element of {data.shape[0]} bytes (expected 1)")
    return bool(voice), level


def rtp_audio_level_write(bint voice, int level):
    """(voice activity, level in -dBov) -> the 1-byte RFC 6464 element."""
    cdef uint8_t out = 0
    _require(0 <= level <= 127, f"RFC 6464 audio level {level} (0..127 -dBov)")
    _check(c_rtp.uc_rtp_audio_level_write(&out, voice, <uint8_t>level), "RFC 6464 audio level")
    return bytes([out])
