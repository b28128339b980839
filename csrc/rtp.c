#include "rtp.h"

#include <limits.h>
#include <string.h>

#include "byteorder.h"
#include "uc_errors.h"

int uc_rtp_parse(const uint8_t *buf, size_t len, uc_rtp_packet *pkt)
{
    if (len < UC_RTP_HEADER_SIZE)
        return UC_ERR_TRUNCATED;
    if ((buf[0] >> 6) != UC_RTP_VERSION)
        return UC_ERR_MALFORMED;
    pkt->padding = (buf[0] >> 5) & 1;
    pkt->extension = (buf[0] >> 4) & 1;
    pkt->csrc_count = buf[0] & 0x0F;
    pkt->marker = buf[1] >> 7;
    pkt->payload_type = buf[1] & 0x7F;
    pkt->sequence_number = uc_rd16(buf + 2);
    pkt->timestamp = uc_rd32(buf + 4);
    pkt->ssrc = uc_rd32(buf + 8);

    size_t pos = UC_RTP_HEADER_SIZE;
    if (len - pos < 4u * pkt->csrc_count)
        return UC_ERR_TRUNCATED;
    for (unsigned i = 0; i < pkt->csrc_count; i++, pos += 4)
        pkt->csrc[i] = uc_rd32(buf + pos);

    pkt->ext_profile = 0;
    pkt->ext_offset = 0;
    pkt->ext_length = 0;
    if (pkt->extension) {
        /* RFC 3550 5.3.1: 16-bit profile field, 16-bit length in 32-bit words. */
        if (len - pos < 4)
            return UC_ERR_TRUNCATED;
        size_t words = uc_rd16(buf + pos + 2);
        pkt->ext_profile = uc_rd16(buf + pos);
        pos += 4;
        if (len - pos < 4 * words)
            return UC_ERR_TRUNCATED;
        pkt->ext_offset = pos;
        pkt->ext_length = 4 * words;
        pos += 4 * words;
    }

    pkt->padding_length = 0;
    if (pkt->padding) {
        /* RFC 3550 5.1: the last octet counts the padding, itself included. */
        if (pos == len)
            return UC_ERR_TRUNCATED;
        size_t pad = buf[len - 1];
        if (pad == 0 || pad > len - pos)
            return UC_ERR_MALFORMED;
        pkt->padding_length = pad;
    }
    pkt->payload_offset = pos;
    pkt->payload_length = len - pos - pkt->padding_length;
    return UC_OK;
}

int uc_rtp_ext_is_rfc8285(uint16_t profile)
{
    return profile == UC_RTP_EXT_PROFILE_ONE_BYTE ||
           (profile & UC_RTP_EXT_PROFILE_TWO_BYTE_MASK) == UC_RTP_EXT_PROFILE_TWO_BYTE;
}

int uc_rtp_ext_next(const uint8_t *buf, const uc_rtp_packet *pkt, size_t *pos,
                    uc_rtp_ext_element *el)
{
    if (!pkt->extension || !uc_rtp_ext_is_rfc8285(pkt->ext_profile))
        return 0;
    const uint8_t *body = buf + pkt->ext_offset;
    size_t n = pkt->ext_length;
    int one_byte = pkt->ext_profile == UC_RTP_EXT_PROFILE_ONE_BYTE;
    size_t p = *pos;
    /* Padding bytes (value 0) may sit before, between and after elements (RFC 8285 4.1). */
    while (p < n && body[p] == 0)
        p++;
    if (p >= n) {
        *pos = n;
        return 0;
    }
    size_t id, length;
    if (one_byte) {
        id = body[p] >> 4;
        length = (size_t)(body[p] & 0x0F) + 1;
        if (id == 15) {
            /* RFC 8285 4.2: id 15 stops processing; its length is not to be trusted. */
            *pos = n;
            return 0;
        }
        if (id == 0)
            return UC_ERR_MALFORMED; /* id 0 is padding only, it carries no data */
        p += 1;
    } else {
        if (n - p < 2)
            return UC_ERR_TRUNCATED;
        id = body[p];
        length = body[p + 1];
        p += 2;
    }
    if (n - p < length)
        return UC_ERR_TRUNCATED;
    el->id = (uint8_t)id;
    el->offset = pkt->ext_offset + p;
    el->length = length;
    *pos = p + length;
    return 1;
}

int uc_rtp_ext_find(const uint8_t *buf, const uc_rtp_packet *pkt, uint8_t id,
                    uc_rtp_ext_element *el)
{
    size_t pos = 0;
    int rc;
    /* Bounded: every step consumes at least one byte of the extension body. */
    while ((rc = uc_rtp_ext_next(buf, pkt, &pos, el)) == 1) {
        if (el->id == id)
            return 1;
    }
    return rc;
}

int uc_rtp_write_header(uint8_t *buf, size_t cap, const uc_rtp_packet *pkt)
{
    if (pkt->payload_type > 127 || pkt->csrc_count > UC_RTP_MAX_CSRC)
        return UC_ERR_ARGUMENT;
    size_t n = UC_RTP_HEADER_SIZE + 4u * pkt->csrc_count;
    if (cap < n)
        return UC_ERR_NOSPACE;
    buf[0] = (uint8_t)((UC_RTP_VERSION << 6) | pkt->csrc_count);
    buf[1] = (uint8_t)((pkt->marker ? 0x80 : 0) | pkt->payload_type);
    uc_wr16(buf + 2, pkt->sequence_number);
    uc_wr32(buf + 4, pkt->timestamp);
    uc_wr32(buf + 8, pkt->ssrc);
    for (unsigned i = 0; i < pkt->csrc_count; i++)
        uc_wr32(buf + UC_RTP_HEADER_SIZE + 4 * i, pkt->csrc[i]);
    return (int)n;
}

int uc_rtp_ext_begin(uc_rtp_ext_writer *w, uint8_t *buf, size_t cap, size_t header_len,
                     uint16_t profile)
{
    if (header_len < UC_RTP_HEADER_SIZE || header_len > cap || cap > INT_MAX)
        return UC_ERR_ARGUMENT;
    if (cap - header_len < 4)
        return UC_ERR_NOSPACE;
    w->buf = buf;
    w->cap = cap;
    w->start = header_len;
    w->pos = header_len + 4;
    w->profile = profile;
    buf[0] |= 0x10;
    uc_wr16(buf + header_len, profile);
    uc_wr16(buf + header_len + 2, 0);
    return UC_OK;
}

int uc_rtp_ext_add(uc_rtp_ext_writer *w, uint8_t id, const uint8_t *data, size_t len)
{
    size_t need;
    if (w->profile == UC_RTP_EXT_PROFILE_ONE_BYTE) {
        if (id < 1 || id > UC_RTP_EXT_ONE_BYTE_MAX_ID || len < 1 || len > UC_RTP_EXT_ONE_BYTE_MAX_LEN)
            return UC_ERR_ARGUMENT;
        need = 1 + len;
    } else if ((w->profile & UC_RTP_EXT_PROFILE_TWO_BYTE_MASK) == UC_RTP_EXT_PROFILE_TWO_BYTE) {
        if (id < 1 || len > UC_RTP_EXT_TWO_BYTE_MAX_LEN)
            return UC_ERR_ARGUMENT;
        need = 2 + len;
    } else {
        return UC_ERR_ARGUMENT;
    }
    if (w->cap - w->pos < need)
        return UC_ERR_NOSPACE;
    if (w->profile == UC_RTP_EXT_PROFILE_ONE_BYTE) {
        w->buf[w->pos++] = (uint8_t)((id << 4) | (len - 1));
    } else {
        w->buf[w->pos++] = id;
        w->buf[w->pos++] = (uint8_t)len;
    }
    if (len)
        memcpy(w->buf + w->pos, data, len);
    w->pos += len;
    return UC_OK;
}

int uc_rtp_ext_add_raw(uc_rtp_ext_writer *w, const uint8_t *data, size_t len)
{
    if (w->cap - w->pos < len)
        return UC_ERR_NOSPACE;
    if (len)
        memcpy(w->buf + w->pos, data, len);
    w->pos += len;
    return UC_OK;
}

int uc_rtp_ext_end(uc_rtp_ext_writer *w)
{
    size_t body = w->pos - w->start - 4;
    size_t pad = (4 - body % 4) % 4;
    if (w->cap - w->pos < pad)
        return UC_ERR_NOSPACE;
    if ((body + pad) / 4 > 0xFFFF)
        return UC_ERR_ARGUMENT;
    memset(w->buf + w->pos, 0, pad);
    w->pos += pad;
    uc_wr16(w->buf + w->start + 2, (uint16_t)((body + pad) / 4));
    return (int)w->pos;
}

int uc_rtp_append(uint8_t *buf, size_t cap, size_t len, const uint8_t *data, size_t n)
{
    if (len > cap || cap > INT_MAX)
        return UC_ERR_ARGUMENT;
    if (cap - len < n)
        return UC_ERR_NOSPACE;
    if (n)
        memcpy(buf + len, data, n);
    return (int)(len + n);
}

int uc_rtp_add_padding(uint8_t *buf, size_t cap, size_t len, size_t count)
{
    if (len < UC_RTP_HEADER_SIZE || len > cap || cap > INT_MAX || count < 1 || count > 255)
        return UC_ERR_ARGUMENT;
    if (cap - len < count)
        return UC_ERR_NOSPACE;
    memset(buf + len, 0, count - 1);
    buf[len + count - 1] = (uint8_t)count;
    buf[0] |= 0x20;
    return (int)(len + count);
}

int uc_rtp_audio_level_read(const uint8_t *data, size_t len, int *voice, uint8_t *level)
{
    if (len != 1)
        return UC_ERR_MALFORMED;
    *voice = data[0] >> 7;
    *level = data[0] & 0x7F;
    return UC_OK;
}

int uc_rtp_audio_level_write(uint8_t *out, int voice, uint8_t level)
{
    if (level > UC_RTP_AUDIO_LEVEL_MAX)
        return UC_ERR_ARGUMENT;
    out[0] = (uint8_t)((voice ? 0x80 : 0) | level);
    return 1;
}
