#include "rtcp.h"

#include <limits.h>
#include <string.h>

#include "byteorder.h"
#include "uc_errors.h"

/* ---- compound iteration and validation ---- */

void uc_rtcp_iter_init(uc_rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->pos = 0;
}

int uc_rtcp_next(uc_rtcp_iter *it, uc_rtcp_view *v)
{
    if (it->pos >= it->len)
        return 0;
    const uint8_t *p = it->buf + it->pos;
    size_t left = it->len - it->pos;
    if (left < UC_RTCP_HEADER_SIZE)
        return UC_ERR_TRUNCATED;
    if ((p[0] >> 6) != UC_RTCP_VERSION)
        return UC_ERR_MALFORMED;
    /* RFC 3550 6.4.1: the length is in 32-bit words minus one, header included. */
    size_t length = 4 * ((size_t)uc_rd16(p + 2) + 1);
    if (left < length)
        return UC_ERR_TRUNCATED;
    v->padding = (p[0] >> 5) & 1;
    v->count = p[0] & 0x1F;
    v->packet_type = p[1];
    v->offset = it->pos;
    v->length = length;
    v->body_offset = it->pos + UC_RTCP_HEADER_SIZE;
    v->body_length = length - UC_RTCP_HEADER_SIZE;
    if (v->padding) {
        /* The last octet counts the padding, itself included; it is a multiple of four
         * (RFC 3550 6.4.1), so every body stays 32-bit aligned. */
        size_t pad = p[length - 1];
        if (pad == 0 || pad % 4 || pad > v->body_length)
            return UC_ERR_MALFORMED;
        v->body_length -= pad;
    }
    it->pos += length;
    return 1;
}

int uc_rtcp_validate(const uint8_t *buf, size_t len, int flags)
{
    uc_rtcp_iter it;
    uc_rtcp_view v;
    int count = 0, rc;
    if (len == 0)
        return UC_ERR_TRUNCATED;
    uc_rtcp_iter_init(&it, buf, len);
    /* Bounded: every packet is at least 4 bytes long. */
    while ((rc = uc_rtcp_next(&it, &v)) == 1) {
        if (count == 0 && v.packet_type != UC_RTCP_SR && v.packet_type != UC_RTCP_RR &&
            !(flags & UC_RTCP_REDUCED_SIZE))
            return UC_ERR_MALFORMED;
        /* Padding belongs only to the last packet of a compound (RFC 3550 A.2). */
        if (v.padding && v.offset + v.length != len)
            return UC_ERR_MALFORMED;
        if (count == INT_MAX)
            return UC_ERR_MALFORMED;
        count++;
    }
    return rc < 0 ? rc : count;
}

/* ---- SR and RR ---- */

static void read_report_block(const uint8_t *p, uc_rtcp_report_block *b)
{
    b->ssrc = uc_rd32(p);
    b->fraction_lost = p[4];
    uint32_t lost = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    /* 24-bit two's complement (RFC 3550 6.4.1: may be negative with duplicates). */
    b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    b->highest_sequence = uc_rd32(p + 8);
    b->jitter = uc_rd32(p + 12);
    b->lsr = uc_rd32(p + 16);
    b->dlsr = uc_rd32(p + 20);
}

static int parse_report(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_report *out,
                        size_t sender_info)
{
    const uint8_t *p = buf + v->body_offset;
    size_t need = 4 + sender_info + (size_t)UC_RTCP_REPORT_BLOCK_SIZE * v->count;
    if (v->body_length < need)
        return UC_ERR_TRUNCATED;
    out->ssrc = uc_rd32(p);
    if (sender_info) {
        out->ntp_timestamp = ((uint64_t)uc_rd32(p + 4) << 32) | uc_rd32(p + 8);
        out->rtp_timestamp = uc_rd32(p + 12);
        out->packet_count = uc_rd32(p + 16);
        out->octet_count = uc_rd32(p + 20);
    } else {
        out->ntp_timestamp = 0;
        out->rtp_timestamp = out->packet_count = out->octet_count = 0;
    }
    out->report_count = v->count;
    p += 4 + sender_info;
    for (unsigned i = 0; i < v->count; i++, p += UC_RTCP_REPORT_BLOCK_SIZE)
        read_report_block(p, &out->blocks[i]);
    out->ext_offset = v->body_offset + need;
    out->ext_length = v->body_length - need;
    return UC_OK;
}

int uc_rtcp_parse_sr(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_report *out)
{
    if (v->packet_type != UC_RTCP_SR)
        return UC_ERR_ARGUMENT;
    return parse_report(buf, v, out, 20);
}

int uc_rtcp_parse_rr(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_report *out)
{
    if (v->packet_type != UC_RTCP_RR)
        return UC_ERR_ARGUMENT;
    return parse_report(buf, v, out, 0);
}

/* ---- SDES ---- */

int uc_rtcp_sdes_begin(uc_rtcp_sdes_iter *it, const uint8_t *buf, const uc_rtcp_view *v)
{
    if (v->packet_type != UC_RTCP_SDES)
        return UC_ERR_ARGUMENT;
    it->buf = buf;
    it->pos = v->body_offset;
    it->end = v->body_offset + v->body_length;
    it->chunks_left = v->count;
    return UC_OK;
}

int uc_rtcp_sdes_next_chunk(uc_rtcp_sdes_iter *it, uc_rtcp_sdes_chunk *chunk)
{
    const uint8_t *buf = it->buf;
    if (it->chunks_left == 0) {
        /* Bytes beyond the last chunk the SC field announces are not an SDES packet. */
        return it->pos == it->end ? 0 : UC_ERR_MALFORMED;
    }
    size_t pos = it->pos;
    if (it->end - pos < 4)
        return UC_ERR_TRUNCATED;
    chunk->ssrc = uc_rd32(buf + pos);
    pos += 4;
    chunk->items_offset = pos;
    /* RFC 3550 6.5: items end at the first null octet; nulls then pad to 32 bits. */
    for (;;) {
        if (pos >= it->end)
            return UC_ERR_TRUNCATED;
        if (buf[pos] == UC_RTCP_SDES_END)
            break;
        if (it->end - pos < 2 || it->end - pos - 2 < buf[pos + 1])
            return UC_ERR_TRUNCATED;
        pos += 2 + (size_t)buf[pos + 1];
    }
    chunk->items_end = pos;
    pos += 1;
    pos = (pos + 3) & ~(size_t)3; /* packets start on 32-bit boundaries in the compound */
    if (pos > it->end)
        return UC_ERR_TRUNCATED;
    it->pos = pos;
    it->chunks_left--;
    return 1;
}

int uc_rtcp_sdes_next_item(const uint8_t *buf, const uc_rtcp_sdes_chunk *chunk, size_t *pos,
                           uc_rtcp_sdes_item *item)
{
    /* The chunk was checked by uc_rtcp_sdes_next_chunk: every item fits before items_end. */
    size_t p = *pos;
    if (p >= chunk->items_end)
        return 0;
    item->type = buf[p];
    item->length = buf[p + 1];
    item->offset = p + 2;
    *pos = p + 2 + item->length;
    return 1;
}

/* ---- BYE ---- */

int uc_rtcp_parse_bye(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_bye *out)
{
    if (v->packet_type != UC_RTCP_BYE)
        return UC_ERR_ARGUMENT;
    size_t ssrcs = 4 * (size_t)v->count;
    if (v->body_length < ssrcs)
        return UC_ERR_TRUNCATED;
    out->ssrc_count = v->count;
    out->ssrc_offset = v->body_offset;
    out->has_reason = 0;
    out->reason_offset = 0;
    out->reason_length = 0;
    size_t rest = v->body_length - ssrcs;
    if (rest > 0) {
        /* RFC 3550 6.6: optional length-prefixed reason, padded to 32 bits. */
        size_t p = v->body_offset + ssrcs;
        size_t n = buf[p];
        if (rest - 1 < n)
            return UC_ERR_TRUNCATED;
        out->has_reason = 1;
        out->reason_offset = p + 1;
        out->reason_length = n;
    }
    return UC_OK;
}

/* ---- APP ---- */

int uc_rtcp_parse_app(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_app *out)
{
    if (v->packet_type != UC_RTCP_APP)
        return UC_ERR_ARGUMENT;
    if (v->body_length < 8)
        return UC_ERR_TRUNCATED;
    const uint8_t *p = buf + v->body_offset;
    out->subtype = v->count;
    out->ssrc = uc_rd32(p);
    memcpy(out->name, p + 4, 4);
    out->data_offset = v->body_offset + 8;
    out->data_length = v->body_length - 8;
    return UC_OK;
}

/* ---- RTPFB / PSFB ---- */

int uc_rtcp_parse_feedback(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_feedback *out)
{
    if (v->packet_type != UC_RTCP_RTPFB && v->packet_type != UC_RTCP_PSFB)
        return UC_ERR_ARGUMENT;
    if (v->body_length < 8)
        return UC_ERR_TRUNCATED;
    const uint8_t *p = buf + v->body_offset;
    out->fmt = v->count;
    out->sender_ssrc = uc_rd32(p);
    out->media_ssrc = uc_rd32(p + 4);
    out->fci_offset = v->body_offset + 8;
    out->fci_length = v->body_length - 8;
    out->entry_count = 0;
    if (v->packet_type == UC_RTCP_RTPFB && v->count == UC_RTCP_RTPFB_NACK) {
        /* RFC 4585 6.2.1: one or more PID/BLP pairs. */
        if (out->fci_length == 0 || out->fci_length % 4)
            return UC_ERR_MALFORMED;
        out->entry_count = out->fci_length / 4;
    } else if (v->packet_type == UC_RTCP_PSFB && v->count == UC_RTCP_PSFB_PLI) {
        /* RFC 4585 6.3.1: PLI carries no FCI. */
        if (out->fci_length != 0)
            return UC_ERR_MALFORMED;
    } else if (v->packet_type == UC_RTCP_PSFB && v->count == UC_RTCP_PSFB_FIR) {
        /* RFC 5104 4.3.1: one or more 8-byte entries (SSRC, seq nr, 24 reserved bits). */
        if (out->fci_length == 0 || out->fci_length % 8)
            return UC_ERR_MALFORMED;
        out->entry_count = out->fci_length / 8;
    }
    return UC_OK;
}

uc_rtcp_nack_item uc_rtcp_nack_at(const uint8_t *buf, const uc_rtcp_feedback *fb, size_t i)
{
    const uint8_t *p = buf + fb->fci_offset + 4 * i;
    uc_rtcp_nack_item item = {uc_rd16(p), uc_rd16(p + 2)};
    return item;
}

uc_rtcp_fir_entry uc_rtcp_fir_at(const uint8_t *buf, const uc_rtcp_feedback *fb, size_t i)
{
    const uint8_t *p = buf + fb->fci_offset + 8 * i;
    uc_rtcp_fir_entry e = {uc_rd32(p), p[4]};
    return e;
}

int uc_rtcp_nack_expand(uc_rtcp_nack_item item, uint16_t out[17])
{
    int n = 0;
    out[n++] = item.pid;
    for (unsigned i = 0; i < 16; i++)
        if (item.blp & (1u << i))
            out[n++] = (uint16_t)(item.pid + i + 1);
    return n;
}

int uc_rtcp_nack_pack(const uint16_t *seqs, size_t n, uc_rtcp_nack_item *items, size_t cap)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (count > 0) {
            uint16_t delta = (uint16_t)(seqs[i] - items[count - 1].pid);
            if (delta == 0)
                continue;
            if (delta <= 16) {
                items[count - 1].blp |= (uint16_t)(1u << (delta - 1));
                continue;
            }
        }
        if (count == cap)
            return UC_ERR_NOSPACE;
        items[count].pid = seqs[i];
        items[count].blp = 0;
        count++;
    }
    return count > INT_MAX ? UC_ERR_ARGUMENT : (int)count;
}

/* ---- builder ---- */

void uc_rtcp_builder_init(uc_rtcp_builder *b, uint8_t *buf, size_t cap)
{
    b->buf = buf;
    b->cap = cap > INT_MAX ? INT_MAX : cap;
    b->len = 0;
    b->sdes_start = 0;
    b->sdes_open = 0;
    b->chunk_open = 0;
    b->sdes_chunks = 0;
}

/* Reserve a packet of `length` bytes (a multiple of 4) and write its header. */
static uint8_t *begin_packet(uc_rtcp_builder *b, uint8_t count, uint8_t type, size_t length)
{
    uint8_t *p = b->buf + b->len;
    p[0] = (uint8_t)((UC_RTCP_VERSION << 6) | count);
    p[1] = type;
    uc_wr16(p + 2, (uint16_t)(length / 4 - 1));
    b->len += length;
    return p;
}

static int check_room(const uc_rtcp_builder *b, size_t length)
{
    if (b->sdes_open)
        return UC_ERR_STATE;
    if (length % 4 || length / 4 - 1 > 0xFFFF)
        return UC_ERR_ARGUMENT;
    if (b->cap - b->len < length)
        return UC_ERR_NOSPACE;
    return UC_OK;
}

static void write_report_block(uint8_t *p, const uc_rtcp_report_block *blk)
{
    uc_wr32(p, blk->ssrc);
    p[4] = blk->fraction_lost;
    uint32_t lost = (uint32_t)blk->cumulative_lost & 0xFFFFFF;
    p[5] = (uint8_t)(lost >> 16);
    p[6] = (uint8_t)(lost >> 8);
    p[7] = (uint8_t)lost;
    uc_wr32(p + 8, blk->highest_sequence);
    uc_wr32(p + 12, blk->jitter);
    uc_wr32(p + 16, blk->lsr);
    uc_wr32(p + 20, blk->dlsr);
}

static int build_report(uc_rtcp_builder *b, const uc_rtcp_report *r, const uint8_t *ext,
                        uint8_t type, size_t sender_info)
{
    if (r->report_count > UC_RTCP_MAX_COUNT || (r->ext_length && !ext))
        return UC_ERR_ARGUMENT;
    for (unsigned i = 0; i < r->report_count; i++)
        if (r->blocks[i].cumulative_lost < -0x800000 || r->blocks[i].cumulative_lost > 0x7FFFFF)
            return UC_ERR_ARGUMENT;
    size_t length = 8 + sender_info + (size_t)UC_RTCP_REPORT_BLOCK_SIZE * r->report_count;
    if (r->ext_length > SIZE_MAX / 2)
        return UC_ERR_ARGUMENT;
    length += r->ext_length;
    int rc = check_room(b, length);
    if (rc < 0)
        return rc;
    uint8_t *p = begin_packet(b, r->report_count, type, length);
    uc_wr32(p + 4, r->ssrc);
    p += 8;
    if (sender_info) {
        uc_wr32(p, (uint32_t)(r->ntp_timestamp >> 32));
        uc_wr32(p + 4, (uint32_t)r->ntp_timestamp);
        uc_wr32(p + 8, r->rtp_timestamp);
        uc_wr32(p + 12, r->packet_count);
        uc_wr32(p + 16, r->octet_count);
        p += sender_info;
    }
    for (unsigned i = 0; i < r->report_count; i++, p += UC_RTCP_REPORT_BLOCK_SIZE)
        write_report_block(p, &r->blocks[i]);
    if (r->ext_length)
        memcpy(p, ext, r->ext_length);
    return (int)b->len;
}

int uc_rtcp_build_sr(uc_rtcp_builder *b, const uc_rtcp_report *r, const uint8_t *ext)
{
    return build_report(b, r, ext, UC_RTCP_SR, 20);
}

int uc_rtcp_build_rr(uc_rtcp_builder *b, const uc_rtcp_report *r, const uint8_t *ext)
{
    return build_report(b, r, ext, UC_RTCP_RR, 0);
}

int uc_rtcp_build_sdes_begin(uc_rtcp_builder *b)
{
    int rc = check_room(b, 4);
    if (rc < 0)
        return rc;
    b->sdes_start = b->len;
    begin_packet(b, 0, UC_RTCP_SDES, 4);
    b->sdes_open = 1;
    b->chunk_open = 0;
    b->sdes_chunks = 0;
    return (int)b->len;
}

/* End the open chunk: the null item, then nulls to the next 32-bit boundary. */
static int close_chunk(uc_rtcp_builder *b)
{
    size_t end = (b->len + 1 + 3) & ~(size_t)3;
    if (end > b->cap)
        return UC_ERR_NOSPACE;
    memset(b->buf + b->len, 0, end - b->len);
    b->len = end;
    b->chunk_open = 0;
    return UC_OK;
}

int uc_rtcp_build_sdes_chunk(uc_rtcp_builder *b, uint32_t ssrc)
{
    if (!b->sdes_open)
        return UC_ERR_STATE;
    if (b->sdes_chunks == UC_RTCP_MAX_COUNT)
        return UC_ERR_ARGUMENT;
    if (b->chunk_open) {
        int rc = close_chunk(b);
        if (rc < 0)
            return rc;
    }
    if (b->cap - b->len < 4)
        return UC_ERR_NOSPACE;
    uc_wr32(b->buf + b->len, ssrc);
    b->len += 4;
    b->chunk_open = 1;
    b->sdes_chunks++;
    return (int)b->len;
}

int uc_rtcp_build_sdes_item(uc_rtcp_builder *b, uint8_t type, const uint8_t *text, size_t len)
{
    if (!b->sdes_open || !b->chunk_open)
        return UC_ERR_STATE;
    if (type == UC_RTCP_SDES_END || len > 255)
        return UC_ERR_ARGUMENT;
    if (b->cap - b->len < 2 + len)
        return UC_ERR_NOSPACE;
    b->buf[b->len] = type;
    b->buf[b->len + 1] = (uint8_t)len;
    if (len)
        memcpy(b->buf + b->len + 2, text, len);
    b->len += 2 + len;
    return (int)b->len;
}

int uc_rtcp_build_sdes_end(uc_rtcp_builder *b)
{
    if (!b->sdes_open)
        return UC_ERR_STATE;
    if (b->chunk_open) {
        int rc = close_chunk(b);
        if (rc < 0)
            return rc;
    }
    size_t length = b->len - b->sdes_start;
    if (length / 4 - 1 > 0xFFFF)
        return UC_ERR_ARGUMENT;
    uint8_t *p = b->buf + b->sdes_start;
    p[0] = (uint8_t)((UC_RTCP_VERSION << 6) | b->sdes_chunks);
    uc_wr16(p + 2, (uint16_t)(length / 4 - 1));
    b->sdes_open = 0;
    return (int)b->len;
}

int uc_rtcp_build_bye(uc_rtcp_builder *b, const uint32_t *ssrcs, size_t n,
                      const uint8_t *reason, size_t reason_len, int has_reason)
{
    if (n > UC_RTCP_MAX_COUNT || reason_len > 255 || (reason_len && !has_reason))
        return UC_ERR_ARGUMENT;
    size_t body = 4 * n + (has_reason ? 1 + reason_len : 0);
    size_t length = 4 + ((body + 3) & ~(size_t)3);
    int rc = check_room(b, length);
    if (rc < 0)
        return rc;
    uint8_t *p = begin_packet(b, (uint8_t)n, UC_RTCP_BYE, length);
    memset(p + 4, 0, length - 4);
    for (size_t i = 0; i < n; i++)
        uc_wr32(p + 4 + 4 * i, ssrcs[i]);
    if (has_reason) {
        p[4 + 4 * n] = (uint8_t)reason_len;
        if (reason_len)
            memcpy(p + 5 + 4 * n, reason, reason_len);
    }
    return (int)b->len;
}

int uc_rtcp_build_app(uc_rtcp_builder *b, uint8_t subtype, uint32_t ssrc, const uint8_t name[4],
                      const uint8_t *data, size_t len)
{
    if (subtype > 31 || len % 4 || len > 4 * 0xFFFF)
        return UC_ERR_ARGUMENT;
    size_t length = 12 + len;
    int rc = check_room(b, length);
    if (rc < 0)
        return rc;
    uint8_t *p = begin_packet(b, subtype, UC_RTCP_APP, length);
    uc_wr32(p + 4, ssrc);
    memcpy(p + 8, name, 4);
    if (len)
        memcpy(p + 12, data, len);
    return (int)b->len;
}

int uc_rtcp_build_nack(uc_rtcp_builder *b, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uc_rtcp_nack_item *items, size_t n)
{
    if (n == 0 || n > 0xFFFF)
        return UC_ERR_ARGUMENT;
    size_t length = 12 + 4 * n;
    int rc = check_room(b, length);
    if (rc < 0)
        return rc;
    uint8_t *p = begin_packet(b, UC_RTCP_RTPFB_NACK, UC_RTCP_RTPFB, length);
    uc_wr32(p + 4, sender_ssrc);
    uc_wr32(p + 8, media_ssrc);
    for (size_t i = 0; i < n; i++) {
        uc_wr16(p + 12 + 4 * i, items[i].pid);
        uc_wr16(p + 14 + 4 * i, items[i].blp);
    }
    return (int)b->len;
}

int uc_rtcp_build_pli(uc_rtcp_builder *b, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    int rc = check_room(b, 12);
    if (rc < 0)
        return rc;
    uint8_t *p = begin_packet(b, UC_RTCP_PSFB_PLI, UC_RTCP_PSFB, 12);
    uc_wr32(p + 4, sender_ssrc);
    uc_wr32(p + 8, media_ssrc);
    return (int)b->len;
}

int uc_rtcp_build_fir(uc_rtcp_builder *b, uint32_t sender_ssrc,
                      const uc_rtcp_fir_entry *entries, size_t n)
{
    if (n == 0 || n > 0x7FFF)
        return UC_ERR_ARGUMENT;
    size_t length = 12 + 8 * n;
    int rc = check_room(b, length);
    if (rc < 0)
        return rc;
    uint8_t *p = begin_packet(b, UC_RTCP_PSFB_FIR, UC_RTCP_PSFB, length);
    uc_wr32(p + 4, sender_ssrc);
    /* RFC 5104 4.3.1.2: the media source SSRC is not used by FIR and SHALL be 0. */
    uc_wr32(p + 8, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = p + 12 + 8 * i;
        uc_wr32(e, entries[i].ssrc);
        e[4] = entries[i].sequence_number;
        e[5] = e[6] = e[7] = 0;
    }
    return (int)b->len;
}

int uc_rtcp_build_raw(uc_rtcp_builder *b, const uint8_t *packet, size_t len)
{
    uc_rtcp_iter it;
    uc_rtcp_view v;
    uc_rtcp_iter_init(&it, packet, len);
    int rc = uc_rtcp_next(&it, &v);
    if (rc < 0)
        return rc;
    if (rc == 0 || v.length != len)
        return UC_ERR_ARGUMENT;
    rc = check_room(b, len);
    if (rc < 0)
        return rc;
    memcpy(b->buf + b->len, packet, len);
    b->len += len;
    return (int)b->len;
}
