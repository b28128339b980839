from libc.stdint cimport int32_t, uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "rtcp.h" nogil:
    enum:
        UC_RTCP_SR
        UC_RTCP_RR
        UC_RTCP_SDES
        UC_RTCP_BYE
        UC_RTCP_APP
        UC_RTCP_RTPFB
        UC_RTCP_PSFB
        UC_RTCP_RTPFB_NACK
        UC_RTCP_PSFB_PLI
        UC_RTCP_PSFB_FIR
        UC_RTCP_REDUCED_SIZE
        UC_RTCP_MAX_COUNT

    ctypedef struct uc_rtcp_view:
        uint8_t padding
        uint8_t count
        uint8_t packet_type
        size_t offset
        size_t length
        size_t body_offset
        size_t body_length

    ctypedef struct uc_rtcp_iter:
        pass

    ctypedef struct uc_rtcp_report_block:
        uint32_t ssrc
        uint8_t fraction_lost
        int32_t cumulative_lost
        uint32_t highest_sequence
        uint32_t jitter
        uint32_t lsr
        uint32_t dlsr

    ctypedef struct uc_rtcp_report:
        uint32_t ssrc
        uint64_t ntp_timestamp
        uint32_t rtp_timestamp
        uint32_t packet_count
        uint32_t octet_count
        uint8_t report_count
        uc_rtcp_report_block blocks[31]
        size_t ext_offset
        size_t ext_length

    ctypedef struct uc_rtcp_sdes_iter:
        pass

    ctypedef struct uc_rtcp_sdes_chunk:
        uint32_t ssrc
        size_t items_offset
        size_t items_end

    ctypedef struct uc_rtcp_sdes_item:
        uint8_t type
        size_t offset
        size_t length

    ctypedef struct uc_rtcp_bye:
        uint8_t ssrc_count
        size_t ssrc_offset
        size_t reason_offset
        size_t reason_length
        uint8_t has_reason

    ctypedef struct uc_rtcp_app:
        uint8_t subtype
        uint32_t ssrc
        uint8_t name[4]
        size_t data_offset
        size_t data_length

    ctypedef struct uc_rtcp_feedback:
        uint8_t fmt
        uint32_t sender_ssrc
        uint32_t media_ssrc
        size_t fci_offset
        size_t fci_length
        size_t entry_count

    ctypedef struct uc_rtcp_nack_item:
        uint16_t pid
        uint16_t blp

    ctypedef struct uc_rtcp_fir_entry:
        uint32_t ssrc
        uint8_t sequence_number

    ctypedef struct uc_rtcp_builder:
        size_t len

    int uc_rtcp_validate(const uint8_t *buf, size_t len, int flags)
    void uc_rtcp_iter_init(uc_rtcp_iter *it, const uint8_t *buf, size_t len)
    int uc_rtcp_next(uc_rtcp_iter *it, uc_rtcp_view *v)
    int uc_rtcp_parse_sr(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_report *out)
    int uc_rtcp_parse_rr(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_report *out)
    int uc_rtcp_sdes_begin(uc_rtcp_sdes_iter *it, const uint8_t *buf, const uc_rtcp_view *v)
    int uc_rtcp_sdes_next_chunk(uc_rtcp_sdes_iter *it, uc_rtcp_sdes_chunk *chunk)
    int uc_rtcp_sdes_next_item(const uint8_t *buf, const uc_rtcp_sdes_chunk *chunk, size_t *pos,
                               uc_rtcp_sdes_item *item)
    int uc_rtcp_parse_bye(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_bye *out)
    int uc_rtcp_parse_app(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_app *out)
    int uc_rtcp_parse_feedback(const uint8_t *buf, const uc_rtcp_view *v, uc_rtcp_feedback *out)
    uc_rtcp_nack_item uc_rtcp_nack_at(const uint8_t *buf, const uc_rtcp_feedback *fb, size_t i)
    uc_rtcp_fir_entry uc_rtcp_fir_at(const uint8_t *buf, const uc_rtcp_feedback *fb, size_t i)
    int uc_rtcp_nack_expand(uc_rtcp_nack_item item, uint16_t *out)
    int uc_rtcp_nack_pack(const uint16_t *seqs, size_t n, uc_rtcp_nack_item *items, size_t cap)

    void uc_rtcp_builder_init(uc_rtcp_builder *b, uint8_t *buf, size_t cap)
    int uc_rtcp_build_sr(uc_rtcp_builder *b, const uc_rtcp_report *r, const uint8_t *ext)
    int uc_rtcp_build_rr(uc_rtcp_builder *b, const uc_rtcp_report *r, const uint8_t *ext)
    int uc_rtcp_build_sdes_begin(uc_rtcp_builder *b)
    int uc_rtcp_build_sdes_chunk(uc_rtcp_builder *b, uint32_t ssrc)
    int uc_rtcp_build_sdes_item(uc_rtcp_builder *b, uint8_t type, const uint8_t *text, size_t len)
    int uc_rtcp_build_sdes_end(uc_rtcp_builder *b)
    int uc_rtcp_build_bye(uc_rtcp_builder *b, const uint32_t *ssrcs, size_t n,
                          const uint8_t *reason, size_t reason_len, int has_reason)
    int uc_rtcp_build_app(uc_rtcp_builder *b, uint8_t subtype, uint32_t ssrc, const uint8_t *name,
                          const uint8_t *data, size_t len)
    int uc_rtcp_build_nack(uc_rtcp_builder *b, uint32_t sender_ssrc, uint32_t media_ssrc,
                           const uc_rtcp_nack_item *items, size_t n)
    int uc_rtcp_build_pli(uc_rtcp_builder *b, uint32_t sender_ssrc, uint32_t media_ssrc)
    int uc_rtcp_build_fir(uc_rtcp_builder *b, uint32_t sender_ssrc,
                          const uc_rtcp_fir_entry *entries, size_t n)
    int uc_rtcp_build_raw(uc_rtcp_builder *b, const uint8_t *packet, size_t len)
