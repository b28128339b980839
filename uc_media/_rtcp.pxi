# RTCP compound packets: validate, parse and build over csrc/rtcp.c. The typed API is
# uc_media.rtcp; these functions move tagged tuples between Python and C.
# (included by _core.pyx)

from libc.stdint cimport int32_t, uint8_t, uint16_t, uint32_t, uint64_t
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memset

from uc_media.includes cimport rtcp as c_rtcp

# Tags of the tuples rtcp_parse returns and rtcp_build takes.
_RTCP_NAMES = {200: "SR", 201: "RR", 202: "SDES", 203: "BYE", 204: "APP", 205: "RTPFB", 206: "PSFB"}


cdef str _rtcp_where(const c_rtcp.uc_rtcp_view *v):
    name = _RTCP_NAMES.get(v.packet_type, f"type {v.packet_type}")
    return f"RTCP {name} (count/FMT {v.count}) at byte {v.offset}, {v.body_length}-byte body"


cdef list _report_blocks(const c_rtcp.uc_rtcp_report *r):
    cdef const c_rtcp.uc_rtcp_report_block *b
    blocks = []
    for i in range(r.report_count):
        b = &r.blocks[i]
        blocks.append((b.ssrc, b.fraction_lost, b.cumulative_lost, b.highest_sequence, b.jitter,
                       b.lsr, b.dlsr))
    return blocks


cdef tuple _parse_one(const uint8_t[::1] data, const uint8_t *buf, c_rtcp.uc_rtcp_view *v):
    cdef c_rtcp.uc_rtcp_report report
    cdef c_rtcp.uc_rtcp_sdes_iter sit
    cdef c_rtcp.uc_rtcp_sdes_chunk chunk
    cdef c_rtcp.uc_rtcp_sdes_item item
    cdef c_rtcp.uc_rtcp_bye bye
    cdef c_rtcp.uc_rtcp_app app
    cdef c_rtcp.uc_rtcp_feedback fb
    cdef uint16_t seqs[17]
    cdef size_t pos, i
    cdef int rc, k, j
    pt = v.packet_type
    if pt == c_rtcp.UC_RTCP_SR:
        rc = c_rtcp.uc_rtcp_parse_sr(buf, v, &report)
        if rc < 0:
            _check(rc, _rtcp_where(v))
        return ("sr", report.ssrc, report.ntp_timestamp, report.rtp_timestamp,
                report.packet_count, report.octet_count, _report_blocks(&report),
                bytes(data[report.ext_offset:report.ext_offset + report.ext_length]))
    if pt == c_rtcp.UC_RTCP_RR:
        rc = c_rtcp.uc_rtcp_parse_rr(buf, v, &report)
        if rc < 0:
            _check(rc, _rtcp_where(v))
        return ("rr", report.ssrc, _report_blocks(&report),
                bytes(data[report.ext_offset:report.ext_offset + report.ext_length]))
    if pt == c_rtcp.UC_RTCP_SDES:
        rc = c_rtcp.uc_rtcp_sdes_begin(&sit, buf, v)
        if rc < 0:
            _check(rc, _rtcp_where(v))
        chunks = []
        while True:  # bounded by the SC field (at most 31 chunks)
            rc = c_rtcp.uc_rtcp_sdes_next_chunk(&sit, &chunk)
            if rc == 0:
                break
            if rc < 0:
                _check(rc, f"{_rtcp_where(v)}, chunk {len(chunks)}")
            items = []
            pos = chunk.items_offset
            while c_rtcp.uc_rtcp_sdes_next_item(buf, &chunk, &pos, &item) == 1:
                items.append((item.type, bytes(data[item.offset:item.offset + item.length])))
            chunks.append((chunk.ssrc, items))
        return ("sdes", chunks)
    if pt == c_rtcp.UC_RTCP_BYE:
        rc = c_rtcp.uc_rtcp_parse_bye(buf, v, &bye)
        if rc < 0:
            _check(rc, _rtcp_where(v))
        sources = [int.from_bytes(data[bye.ssrc_offset + 4 * i:bye.ssrc_offset + 4 * i + 4], "big")
                   for i in range(bye.ssrc_count)]
        reason = (bytes(data[bye.reason_offset:bye.reason_offset + bye.reason_length])
                  if bye.has_reason else None)
        return ("bye", sources, reason)
    if pt == c_rtcp.UC_RTCP_APP:
        rc = c_rtcp.uc_rtcp_parse_app(buf, v, &app)
        if rc < 0:
            _check(rc, _rtcp_where(v))
        return ("app", app.subtype, app.ssrc, bytes(app.name[:4]),
                bytes(data[app.data_offset:app.data_offset + app.data_length]))
    if pt == c_rtcp.UC_RTCP_RTPFB or pt == c_rtcp.UC_RTCP_PSFB:
        rc = c_rtcp.uc_rtcp_parse_feedback(buf, v, &fb)
        if rc < 0:
            _check(rc, _rtcp_where(v))
        if pt == c_rtcp.UC_RTCP_RTPFB and fb.fmt == c_rtcp.UC_RTCP_RTPFB_NACK:
            lost = []
            for i in range(fb.entry_count):
                k = c_rtcp.uc_rtcp_nack_expand(c_rtcp.uc_rtcp_nack_at(buf, &fb, i), seqs)
                for j in range(k):
                    lost.append(seqs[j])
            return ("nack", fb.sender_ssrc, fb.media_ssrc, lost)
        if pt == c_rtcp.UC_RTCP_PSFB and fb.fmt == c_rtcp.UC_RTCP_PSFB_PLI:
            return ("pli", fb.sender_ssrc, fb.media_ssrc)
        if pt == c_rtcp.UC_RTCP_PSFB and fb.fmt == c_rtcp.UC_RTCP_PSFB_FIR:
            entries = []
            for i in range(fb.entry_count):
                e = c_rtcp.uc_rtcp_fir_at(buf, &fb, i)
                entries.append((e.ssrc, e.sequence_number))
            return ("fir", fb.sender_ssrc, entries)
    return ("raw", pt, v.count, bytes(data[v.body_offset:v.body_offset + v.body_length]))


def rtcp_parse(const uint8_t[::1] data, bint reduced_size=False):
    """Validate a compound RTCP packet (RFC 3550 A.2) and parse every packet in it into a
    tagged tuple (see uc_media.rtcp.parse_rtcp)."""
    cdef c_rtcp.uc_rtcp_iter it
    cdef c_rtcp.uc_rtcp_view v
    cdef const uint8_t *buf = _bytes_ptr(data)
    cdef size_t n = data.shape[0]
    cdef int rc
    with nogil:
        rc = c_rtcp.uc_rtcp_validate(buf, n, c_rtcp.UC_RTCP_REDUCED_SIZE if reduced_size else 0)
    if rc < 0:
        _check(rc, _rtcp_diagnosis(data, reduced_size))
    c_rtcp.uc_rtcp_iter_init(&it, buf, n)
    packets = []
    while c_rtcp.uc_rtcp_next(&it, &v) == 1:  # bounded: validated, at least 4 bytes each
        packets.append(_parse_one(data, buf, &v))
    return packets


cdef str _rtcp_diagnosis(const uint8_t[::1] data, bint reduced_size):
    """Say where uc_rtcp_validate rejected a compound (error path only)."""
    cdef Py_ssize_t n = data.shape[0], pos = 0, length
    if n == 0:
        return "RTCP compound of 0 bytes"
    index = 0
    while pos < n:  # bounded: pos grows by at least 4 per packet
        if n - pos < 4:
            return f"RTCP packet {index} at byte {pos}: {n - pos} bytes, a header needs 4"
        if data[pos] >> 6 != 2:
            return f"RTCP packet {index} at byte {pos}: version {data[pos] >> 6}, expected 2"
        length = 4 * (((data[pos + 2] << 8) | data[pos + 3]) + 1)
        if n - pos < length:
            return (f"RTCP packet {index} at byte {pos}: length field says {length} bytes, "
                    f"{n - pos} remain")
        if index == 0 and data[1] not in (200, 201) and not reduced_size:
            return (f"RTCP compound starts with packet type {data[1]}, not SR or RR "
                    f"(RFC 3550 A.2; reduced-size RTCP not allowed)")
        if data[pos] & 0x20:
            if pos + length != n:
                return f"RTCP packet {index} at byte {pos}: padding bit set on a packet not last"
            return f"RTCP packet {index} at byte {pos}: padding count {data[pos + length - 1]}"
        pos += length
        index += 1
    return "RTCP compound"


cdef int _fill_report(c_rtcp.uc_rtcp_report *r, ssrc, blocks, const uint8_t[::1] ext) except -1:
    memset(r, 0, sizeof(r[0]))
    if not (len(blocks) <= c_rtcp.UC_RTCP_MAX_COUNT):
        _invalid(f"RTCP report with {len(blocks)} blocks (max 31)")
    r.ssrc = ssrc
    r.report_count = len(blocks)
    for i, (b_ssrc, fraction, lost, highest, jitter, lsr, dlsr) in enumerate(blocks):
        if not (-0x800000 <= lost <= 0x7FFFFF):
            _invalid(f"RTCP cumulative lost {lost} (24-bit signed)")
        r.blocks[i].ssrc = b_ssrc
        r.blocks[i].fraction_lost = fraction
        r.blocks[i].cumulative_lost = lost
        r.blocks[i].highest_sequence = highest
        r.blocks[i].jitter = jitter
        r.blocks[i].lsr = lsr
        r.blocks[i].dlsr = dlsr
    r.ext_length = ext.shape[0]
    return 0


cdef int _build_one(c_rtcp.uc_rtcp_builder *b, tuple packet) except -1:
    cdef c_rtcp.uc_rtcp_report report
    cdef const uint8_t[::1] ext
    cdef const uint8_t[::1] text
    cdef uint32_t ssrcs[31]
    cdef c_rtcp.uc_rtcp_nack_item *items
    cdef uint16_t *lost_seqs
    cdef c_rtcp.uc_rtcp_fir_entry *firs
    cdef int rc
    tag = packet[0]
    if tag == "sr":
        _, ssrc, ntp, rtp_ts, packets, octets, blocks, ext = packet
        _fill_report(&report, ssrc, blocks, ext)
        report.ntp_timestamp = ntp
        report.rtp_timestamp = rtp_ts
        report.packet_count = packets
        report.octet_count = octets
        return _check(c_rtcp.uc_rtcp_build_sr(b, &report, _bytes_ptr(ext)),
                      "RTCP SR (its extension must be a multiple of 4 bytes)")
    if tag == "rr":
        _, ssrc, blocks, ext = packet
        _fill_report(&report, ssrc, blocks, ext)
        return _check(c_rtcp.uc_rtcp_build_rr(b, &report, _bytes_ptr(ext)),
                      "RTCP RR (its extension must be a multiple of 4 bytes)")
    if tag == "sdes":
        _check(c_rtcp.uc_rtcp_build_sdes_begin(b), "RTCP SDES")
        for ssrc, chunk_items in packet[1]:
            _check(c_rtcp.uc_rtcp_build_sdes_chunk(b, ssrc), "RTCP SDES chunk (at most 31)")
            for item_type, value in chunk_items:
                text = value
                if not (1 <= item_type <= 255):
                    _invalid(f"RTCP SDES item type {item_type} (1..255)")
                rc = c_rtcp.uc_rtcp_build_sdes_item(b, item_type, _bytes_ptr(text), text.shape[0])
                if rc < 0:
                    _check(rc, f"RTCP SDES item of {text.shape[0]} bytes (at most 255)")
        return _check(c_rtcp.uc_rtcp_build_sdes_end(b), "RTCP SDES")
    if tag == "bye":
        _, sources, reason = packet
        if not (len(sources) <= 31):
            _invalid(f"RTCP BYE with {len(sources)} sources (max 31)")
        for i, s in enumerate(sources):
            ssrcs[i] = s
        text = reason if reason is not None else b""
        rc = c_rtcp.uc_rtcp_build_bye(b, ssrcs, len(sources), _bytes_ptr(text), text.shape[0],
                                      reason is not None)
        if rc < 0:
            _check(rc, f"RTCP BYE reason of {text.shape[0]} bytes (at most 255)")
        return rc
    if tag == "app":
        _, subtype, ssrc, name, data = packet
        if not (len(name) == 4):
            _invalid(f"RTCP APP name {name!r} (4 bytes)")
        if not (0 <= subtype <= 31):
            _invalid(f"RTCP APP subtype {subtype} (0..31)")
        text = data
        rc = c_rtcp.uc_rtcp_build_app(b, subtype, ssrc, name, _bytes_ptr(text), text.shape[0])
        if rc < 0:
            _check(rc, f"RTCP APP data of {text.shape[0]} bytes (a multiple of 4)")
        return rc
    if tag == "nack":
        _, sender, media, lost = packet
        if not lost:
            _invalid("RTCP NACK with no lost sequence numbers")
        # Scratch arrays for the Python-level builder (the C packet path packs in place).
        lost_seqs = <uint16_t *>PyMem_Malloc(len(lost) * sizeof(uint16_t))
        items = <c_rtcp.uc_rtcp_nack_item *>PyMem_Malloc(len(lost) * sizeof(c_rtcp.uc_rtcp_nack_item))
        try:
            if lost_seqs == NULL or items == NULL:
                raise MemoryError()
            for i, seq in enumerate(lost):
                if not (0 <= seq <= 0xFFFF):
                    _invalid(f"RTCP NACK sequence number {seq} (0..65535)")
                lost_seqs[i] = seq
            rc = _check(c_rtcp.uc_rtcp_nack_pack(lost_seqs, len(lost), items, len(lost)), "RTCP NACK")
            return _check(c_rtcp.uc_rtcp_build_nack(b, sender, media, items, rc),
                          "RTCP NACK (at most 65532 PID/BLP pairs)")
        finally:
            PyMem_Free(lost_seqs)
            PyMem_Free(items)
    if tag == "pli":
        _, sender, media = packet
        return _check(c_rtcp.uc_rtcp_build_pli(b, sender, media), "RTCP PLI")
    if tag == "fir":
        _, sender, entries = packet
        if not entries:
            _invalid("RTCP FIR with no entries")
        firs = <c_rtcp.uc_rtcp_fir_entry *>PyMem_Malloc(len(entries) * sizeof(c_rtcp.uc_rtcp_fir_entry))
        try:
            if firs == NULL:
                raise MemoryError()
            for i, (ssrc, seq) in enumerate(entries):
                firs[i].ssrc = ssrc
                firs[i].sequence_number = seq
            return _check(c_rtcp.uc_rtcp_build_fir(b, sender, firs, len(entries)),
                          "RTCP FIR (at most 32767 entries)")
        finally:
            PyMem_Free(firs)
    if tag == "raw":
        _, pt, count, body = packet
        if not (0 <= pt <= 255 and 0 <= count <= 31):
            _invalid(f"RTCP packet type {pt} count {count}")
        if not (len(body) % 4 == 0 and len(body) < 4 * 0xFFFF):
            _invalid(f"RTCP body of {len(body)} bytes (a multiple of 4)")
        words = len(body) // 4
        text = bytes([0x80 | count, pt, words >> 8, words & 0xFF]) + body
        return _check(c_rtcp.uc_rtcp_build_raw(b, &text[0], text.shape[0]), "RTCP packet")
    if not (False):
        _invalid(f"RTCP packet tag {tag!r}")


def rtcp_build(packets):
    """Serialise tagged tuples (the shapes rtcp_parse returns) into one compound packet."""
    cdef c_rtcp.uc_rtcp_builder b
    cdef uint8_t *buf
    cdef Py_ssize_t cap = 1500
    while True:  # bounded: cap doubles up to 64 MiB
        out = bytearray(cap)
        buf = out
        c_rtcp.uc_rtcp_builder_init(&b, buf, cap)
        try:
            for packet in packets:
                try:
                    _build_one(&b, packet)
                except OverflowError as e:
                    # a field wider than its wire format (SSRCs, counts, NTP time...)
                    _invalid(f"RTCP {packet[0]} packet: a field is out of range ({e})")
        except BufferTooSmallError:
            if cap >= 64 << 20:
                raise
            cap *= 2
            continue
        return bytes(out[:b.len])
