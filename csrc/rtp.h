/* RTP packets (RFC 3550 section 5.1): parse into offsets, build in place, header extensions
 * (RFC 8285 one-byte and two-byte forms) and the client-to-mixer audio level (RFC 6464).
 *
 * Parsing never copies or allocates: the parsed struct holds the decoded fixed fields and
 * offsets/lengths into the caller's buffer, which must outlive it. Malformed input returns
 * UC_ERR_TRUNCATED or UC_ERR_MALFORMED and is never read past `len`. */
#ifndef UC_RTP_H
#define UC_RTP_H

#include <stddef.h>
#include <stdint.h>

#define UC_RTP_VERSION 2
#define UC_RTP_HEADER_SIZE 12
#define UC_RTP_MAX_CSRC 15

/* RFC 8285 section 4.2: the "defined by profile" value of the one-byte form. */
#define UC_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
/* RFC 8285 section 4.3: 0x100 in the top 12 bits, 4 application bits below. */
#define UC_RTP_EXT_PROFILE_TWO_BYTE 0x1000
#define UC_RTP_EXT_PROFILE_TWO_BYTE_MASK 0xFFF0

/* Element limits of the two forms (RFC 8285 4.2 and 4.3). */
#define UC_RTP_EXT_ONE_BYTE_MAX_ID 14
#define UC_RTP_EXT_ONE_BYTE_MAX_LEN 16
#define UC_RTP_EXT_TWO_BYTE_MAX_ID 255
#define UC_RTP_EXT_TWO_BYTE_MAX_LEN 255

/* RFC 6464: the level is 0..127, in -dBov. */
#define UC_RTP_AUDIO_LEVEL_MAX 127

typedef struct uc_rtp_packet {
    uint8_t padding;        /* P bit */
    uint8_t extension;      /* X bit */
    uint8_t marker;         /* M bit */
    uint8_t payload_type;   /* 0..127 */
    uint8_t csrc_count;     /* CC, 0..15 */
    uint16_t sequence_number;
    uint32_t timestamp;
    uint32_t ssrc;
    uint32_t csrc[UC_RTP_MAX_CSRC];
    uint16_t ext_profile;   /* the 16-bit "defined by profile" field; 0 without X */
    size_t ext_offset;      /* first byte of the extension body (after its 4-byte header) */
    size_t ext_length;      /* bytes of extension body (a multiple of 4) */
    size_t payload_offset;
    size_t payload_length;
    size_t padding_length;  /* trailing padding bytes, including the count byte; 0 without P */
} uc_rtp_packet;

/* One header extension element: id and where its data sits in the packet buffer. */
typedef struct uc_rtp_ext_element {
    uint8_t id;
    size_t offset;
    size_t length;
} uc_rtp_ext_element;

/* Parse buf[0..len) as an RTP packet. Returns UC_OK, UC_ERR_TRUNCATED (shorter than its
 * header, CSRC list or extension claims) or UC_ERR_MALFORMED (version other than 2, a
 * padding count of 0 or larger than what follows the header). */
int uc_rtp_parse(const uint8_t *buf, size_t len, uc_rtp_packet *pkt);

/* 1 when the extension uses an RFC 8285 form (one-byte or two-byte), else 0. */
int uc_rtp_ext_is_rfc8285(uint16_t profile);

/* Iterate the RFC 8285 elements of a parsed packet. Set *pos = 0 before the first call.
 * Returns 1 with *el filled, 0 when there are no more (also for a non-RFC 8285 profile and
 * at an id 15 element, which ends processing per RFC 8285 4.2), or UC_ERR_TRUNCATED /
 * UC_ERR_MALFORMED for an element that overruns the extension or uses id 0 with data. */
int uc_rtp_ext_next(const uint8_t *buf, const uc_rtp_packet *pkt, size_t *pos,
                    uc_rtp_ext_element *el);

/* Find the first element with this id. Returns 1 found, 0 not present, < 0 as above. */
int uc_rtp_ext_find(const uint8_t *buf, const uc_rtp_packet *pkt, uint8_t id,
                    uc_rtp_ext_element *el);

/* Write the fixed header and CSRC list of *pkt (P and X bits clear; payload_type < 128,
 * csrc_count <= 15). Returns the header length, UC_ERR_NOSPACE or UC_ERR_ARGUMENT. */
int uc_rtp_write_header(uint8_t *buf, size_t cap, const uc_rtp_packet *pkt);

/* Writes header extension elements in place after a header written by
 * uc_rtp_write_header: begin, add elements, end. */
typedef struct uc_rtp_ext_writer {
    uint8_t *buf;
    size_t cap;
    size_t start;     /* offset of the 4-byte extension header */
    size_t pos;       /* next free byte */
    uint16_t profile;
} uc_rtp_ext_writer;

/* Start an extension after `header_len` bytes, set the X bit. `profile` must be 0xBEDE or
 * 0x100x for elements; any other profile takes one raw body through uc_rtp_ext_add_raw. */
int uc_rtp_ext_begin(uc_rtp_ext_writer *w, uint8_t *buf, size_t cap, size_t header_len,
                     uint16_t profile);
/* Add an element. One-byte form: id 1..14, 1..16 bytes; two-byte form: id 1..255,
 * 0..255 bytes. Returns UC_OK, UC_ERR_ARGUMENT or UC_ERR_NOSPACE. */
int uc_rtp_ext_add(uc_rtp_ext_writer *w, uint8_t id, const uint8_t *data, size_t len);
/* Append opaque body bytes (for profiles other than RFC 8285). */
int uc_rtp_ext_add_raw(uc_rtp_ext_writer *w, const uint8_t *data, size_t len);
/* Zero-pad to a 32-bit boundary, write the length. Returns the packet length so far. */
int uc_rtp_ext_end(uc_rtp_ext_writer *w);

/* Append payload after `len` bytes already written. Returns the new length. */
int uc_rtp_append(uint8_t *buf, size_t cap, size_t len, const uint8_t *data, size_t n);

/* Append `count` (1..255) padding bytes, the last holding the count (RFC 3550 5.1), and
 * set the P bit. Returns the new length. */
int uc_rtp_add_padding(uint8_t *buf, size_t cap, size_t len, size_t count);

/* RFC 6464 section 3: one byte, V (voice activity) in the top bit, level in -dBov below.
 * read: data must be exactly 1 byte, else UC_ERR_MALFORMED. */
int uc_rtp_audio_level_read(const uint8_t *data, size_t len, int *voice, uint8_t *level);
/* write: level 0..127, else UC_ERR_ARGUMENT. Returns 1 (bytes written). */
int uc_rtp_audio_level_write(uint8_t *out, int voice, uint8_t level);

#endif
