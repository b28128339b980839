/* RTCP (RFC 3550 section 6): compound packet iteration and validation (appendix A.2,
 * reduced-size RFC 5506), parse and build of SR, RR, SDES, BYE, APP, generic NACK
 * (RFC 4585 6.2.1), PLI (RFC 4585 6.3.1) and FIR (RFC 5104 4.3.1).
 *
 * Parsers take one packet located by the iterator and fill structs of decoded fields and
 * offsets into the caller's buffer; variable lists (SDES chunks and items, BYE SSRCs, NACK
 * and FIR entries) are read through small iterators or indexed readers, so nothing is
 * copied or allocated. The builder appends whole packets to a caller buffer. */
#ifndef UC_RTCP_H
#define UC_RTCP_H

#include <stddef.h>
#include <stdint.h>

#define UC_RTCP_VERSION 2
#define UC_RTCP_HEADER_SIZE 4
#define UC_RTCP_MAX_COUNT 31 /* 5-bit RC / SC field */

enum uc_rtcp_type {
    UC_RTCP_SR = 200,
    UC_RTCP_RR = 201,
    UC_RTCP_SDES = 202,
    UC_RTCP_BYE = 203,
    UC_RTCP_APP = 204,
    UC_RTCP_RTPFB = 205, /* RFC 4585 transport-layer feedback */
    UC_RTCP_PSFB = 206,  /* RFC 4585 payload-specific feedback */
};

enum uc_rtcp_fmt {
    UC_RTCP_RTPFB_NACK = 1, /* RFC 4585 6.2.1 */
    UC_RTCP_PSFB_PLI = 1,   /* RFC 4585 6.3.1 */
    UC_RTCP_PSFB_FIR = 4,   /* RFC 5104 4.3.1 */
};

enum uc_rtcp_sdes_type {
    UC_RTCP_SDES_END = 0,
    UC_RTCP_SDES_CNAME = 1,
    UC_RTCP_SDES_NAME = 2,
    UC_RTCP_SDES_EMAIL = 3,
    UC_RTCP_SDES_PHONE = 4,
    UC_RTCP_SDES_LOC = 5,
    UC_RTCP_SDES_TOOL = 6,
    UC_RTCP_SDES_NOTE = 7,
    UC_RTCP_SDES_PRIV = 8,
};

/* Validation flags. */
#define UC_RTCP_REDUCED_SIZE 1 /* RFC 5506: the first packet need not be an SR or RR */

/* One packet inside a compound: its header fields and where it sits. */
typedef struct uc_rtcp_view {
    uint8_t padding;     /* P bit */
    uint8_t count;       /* RC, SC, FMT or APP subtype: the 5 bits after P */
    uint8_t packet_type;
    size_t offset;       /* of the 4-byte header within the compound */
    size_t length;       /* whole packet in bytes, header and padding included */
    size_t body_offset;  /* offset + 4 */
    size_t body_length;  /* length - 4 - padding bytes */
} uc_rtcp_view;

typedef struct uc_rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} uc_rtcp_iter;

/* RFC 3550 appendix A.2 on a whole compound: version 2 everywhere, the first packet an SR
 * or RR (unless flags has UC_RTCP_REDUCED_SIZE: RFC 5506 lets a reduced-size compound start
 * with any packet), P set only on the last packet, padding counts that are a non-zero
 * multiple of 4 and fit, and lengths that add up to len.
 * Returns the number of packets, UC_ERR_TRUNCATED or UC_ERR_MALFORMED. */
int uc_rtcp_validate(const uint8_t *buf, size_t len, int flags);

void uc_rtcp_iter_init(uc_rtcp_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 with *v filled, 0 at the end, < 0 for a bad header or length. Checks one packet
 * at a time; call uc_rtcp_validate first for the compound rules. */
int uc_rtcp_next(uc_rtcp_iter *it, uc_rtcp_view *v);

typedef struct uc_rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t cumulative_lost;  /* 24-bit signed on the wire */
    uint32_t highest_sequence;
    uint32_t jitter;
    uint32_t lsr;
    uint32_t dlsr;
} uc_rtcp_report_block;

#define UC_RTCP_REPORT_BLOCK_SIZE 24

/* SR and RR share this struct (an RR leaves the sender info zero). The report blocks are
 * decoded in place (at most 31, fixed size); profile-specific extensions follow them. */
typedef struct uc_rtcp_report {
    uint32_t ssrc;
    uint64_t ntp_timestamp;  /* SR only: 32.32 fixed point */
    uint32_t rtp_timestamp;  /* SR only */
    uint32_t packet_count;   /* SR only */
    uint32_t octet_count;    /* SR only */
    uint8_t report_count;
    uc_rtcp_report_block blocks[UC_RTCP_MAX_COUNT];
    size_t ext_offset;       /* profile-specific extension (RFC 3550 6.4.1), opaque */
    size_t ext_length;
} uc_rtcp_report;

int uc_rtcp_parse_sr(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_report *out);
int uc_rtcp_parse_rr(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_report *out);

/* SDES: a chunk iterator, then an item iterator over each chunk's items. */
typedef struct uc_rtcp_sdes_iter {
    const uint8_t *buf;
    size_t pos;
    size_t end;
    uint8_t chunks_left;
} uc_rtcp_sdes_iter;

typedef struct uc_rtcp_sdes_chunk {
    uint32_t ssrc;
    size_t items_offset;  /* first item */
    size_t items_end;     /* the terminating null item */
} uc_rtcp_sdes_chunk;

typedef struct uc_rtcp_sdes_item {
    uint8_t type;
    size_t offset;
    size_t length;
} uc_rtcp_sdes_item;

int uc_rtcp_sdes_begin(uc_rtcp_sdes_iter *it, const uint8_t *buf, const uc_rtcp_view *v);
/* Returns 1 with the chunk (its items already checked), 0 after the last, < 0 if bad. */
int uc_rtcp_sdes_next_chunk(uc_rtcp_sdes_iter *it, uc_rtcp_sdes_chunk *chunk);
/* *pos starts at chunk->items_offset. Returns 1 with *item, 0 at the chunk end. */
int uc_rtcp_sdes_next_item(const uint8_t *buf, const uc_rtcp_sdes_chunk *chunk, size_t *pos,
                           uc_rtcp_sdes_item *item);

typedef struct uc_rtcp_bye {
    uint8_t ssrc_count;
    size_t ssrc_offset;      /* ssrc_count big-endian 32-bit words */
    size_t reason_offset;
    size_t reason_length;    /* 0 without a reason */
    uint8_t has_reason;
} uc_rtcp_bye;

int uc_rtcp_parse_bye(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_bye *out);

typedef struct uc_rtcp_app {
    uint8_t subtype;
    uint32_t ssrc;
    uint8_t name[4];
    size_t data_offset;
    size_t data_length;      /* a multiple of 4 */
} uc_rtcp_app;

int uc_rtcp_parse_app(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_app *out);

/* RTPFB and PSFB (RFC 4585 6.1): common header, then feedback control information. */
typedef struct uc_rtcp_feedback {
    uint8_t fmt;
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    size_t fci_offset;
    size_t fci_length;
    size_t entry_count;      /* NACK: PID/BLP pairs; FIR: entries; PLI: 0 */
} uc_rtcp_feedback;

typedef struct uc_rtcp_nack_item {
    uint16_t pid;   /* first lost sequence number */
    uint16_t blp;   /* bit i set: pid + i + 1 lost too */
} uc_rtcp_nack_item;

typedef struct uc_rtcp_fir_entry {
    uint32_t ssrc;
    uint8_t sequence_number;
} uc_rtcp_fir_entry;

/* Parse any RTPFB/PSFB packet; the FCI must be a whole number of entries for NACK (4 bytes)
 * and FIR (8 bytes), empty for PLI. Other FMT values: entry_count 0, FCI left opaque. */
int uc_rtcp_parse_feedback(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_feedback *out);
uc_rtcp_nack_item uc_rtcp_nack_at(const uint8_t *buf, const uc_rtcp_feedback *fb, size_t i);
uc_rtcp_fir_entry uc_rtcp_fir_at(const uint8_t *buf, const uc_rtcp_feedback *fb, size_t i);

/* Sequence numbers one NACK item names, in order; out must hold 17. Returns the count. */
int uc_rtcp_nack_expand(uc_rtcp_nack_item item, uint16_t out[17]);
/* Pack lost sequence numbers (in increasing RTP order, modulo 2^16) into NACK items.
 * Returns the number of items, or UC_ERR_NOSPACE if more than cap are needed. */
int uc_rtcp_nack_pack(const uint16_t *seqs, size_t n, uc_rtcp_nack_item *items, size_t cap);

/* Appends packets to buf; every build call returns the compound length so far or < 0
 * (UC_ERR_NOSPACE, UC_ERR_ARGUMENT, UC_ERR_STATE while an SDES is open). */
typedef struct uc_rtcp_builder {
    uint8_t *buf;
    size_t cap;
    size_t len;
    size_t sdes_start;   /* header of the open SDES packet */
    uint8_t sdes_open;
    uint8_t chunk_open;
    uint8_t sdes_chunks;
} uc_rtcp_builder;

void uc_rtcp_builder_init(uc_rtcp_builder *b, uint8_t *buf, size_t cap);
/* An SR from r's sender info and report blocks; r->ext_length bytes at ext are appended
 * as the profile-specific extension (a multiple of 4; NULL/0 for none). */
int uc_rtcp_build_sr(uc_rtcp_builder *b, const uc_rtcp_report *r, const uint8_t *ext);
int uc_rtcp_build_rr(uc_rtcp_builder *b, const uc_rtcp_report *r, const uint8_t *ext);
/* SDES, built in steps: begin, then per source a chunk and its items, then end. */
int uc_rtcp_build_sdes_begin(uc_rtcp_builder *b);
int uc_rtcp_build_sdes_chunk(uc_rtcp_builder *b, uint32_t ssrc);
/* type 1..255 except 0; text up to 255 bytes. PRIV (8) text is the prefix-length form. */
int uc_rtcp_build_sdes_item(uc_rtcp_builder *b, uint8_t type, const uint8_t *text, size_t len);
int uc_rtcp_build_sdes_end(uc_rtcp_builder *b);
int uc_rtcp_build_bye(uc_rtcp_builder *b, const uint32_t *ssrcs, size_t n,
                      const uint8_t *reason, size_t reason_len, int has_reason);
int uc_rtcp_build_app(uc_rtcp_builder *b, uint8_t subtype, uint32_t ssrc, const uint8_t name[4],
                      const uint8_t *data, size_t len);
int uc_rtcp_build_nack(uc_rtcp_builder *b, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uc_rtcp_nack_item *items, size_t n);
int uc_rtcp_build_pli(uc_rtcp_builder *b, uint32_t sender_ssrc, uint32_t media_ssrc);
int uc_rtcp_build_fir(uc_rtcp_builder *b, uint32_t sender_ssrc,
                      const uc_rtcp_fir_entry *entries, size_t n);
/* Append one packet verbatim (header and body as given; checked with uc_rtcp_next). */
int uc_rtcp_build_raw(uc_rtcp_builder *b, const uint8_t *packet, size_t len);

#endif
