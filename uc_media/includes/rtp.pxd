from libc.stdint cimport uint8_t, uint16_t, uint32_t


cdef extern from "rtp.h" nogil:
    enum:
        UC_RTP_HEADER_SIZE
        UC_RTP_MAX_CSRC
        UC_RTP_EXT_PROFILE_ONE_BYTE
        UC_RTP_EXT_PROFILE_TWO_BYTE
        UC_RTP_EXT_ONE_BYTE_MAX_ID
        UC_RTP_EXT_ONE_BYTE_MAX_LEN

    ctypedef struct uc_rtp_packet:
        uint8_t padding
        uint8_t extension
        uint8_t marker
        uint8_t payload_type
        uint8_t csrc_count
        uint16_t sequence_number
        uint32_t timestamp
        uint32_t ssrc
        uint32_t csrc[15]
        uint16_t ext_profile
        size_t ext_offset
        size_t ext_length
        size_t payload_offset
        size_t payload_length
        size_t padding_length

    ctypedef struct uc_rtp_ext_element:
        uint8_t id
        size_t offset
        size_t length

    ctypedef struct uc_rtp_ext_writer:
        pass

    int uc_rtp_parse(const uint8_t *buf, size_t len, uc_rtp_packet *pkt)
    int uc_rtp_ext_is_rfc8285(uint16_t profile)
    int uc_rtp_ext_next(const uint8_t *buf, const uc_rtp_packet *pkt, size_t *pos,
                        uc_rtp_ext_element *el)
    int uc_rtp_ext_find(const uint8_t *buf, const uc_rtp_packet *pkt, uint8_t id,
                        uc_rtp_ext_element *el)
    int uc_rtp_write_header(uint8_t *buf, size_t cap, const uc_rtp_packet *pkt)
    int uc_rtp_ext_begin(uc_rtp_ext_writer *w, uint8_t *buf, size_t cap, size_t header_len,
                         uint16_t profile)
    int uc_rtp_ext_add(uc_rtp_ext_writer *w, uint8_t id, const uint8_t *data, size_t len)
    int uc_rtp_ext_add_raw(uc_rtp_ext_writer *w, const uint8_t *data, size_t len)
    int uc_rtp_ext_end(uc_rtp_ext_writer *w)
    int uc_rtp_append(uint8_t *buf, size_t cap, size_t len, const uint8_t *data, size_t n)
    int uc_rtp_add_padding(uint8_t *buf, size_t cap, size_t len, size_t count)
    int uc_rtp_audio_level_read(const uint8_t *data, size_t len, int *voice, uint8_t *level)
    int uc_rtp_audio_level_write(uint8_t *out, int voice, uint8_t level)
