from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t

from uc_media.includes.rtcp cimport uc_rtcp_report_block


cdef extern from "rtp_stats.h" nogil:
    ctypedef struct uc_rtp_stats:
        uint32_t ssrc
        uint8_t started
        uint16_t max_seq
        uint32_t cycles
        uint32_t base_seq
        uint32_t probation
        uint32_t received
        uint32_t reordered
        uint32_t duplicates
        double jitter
        uint32_t last_sr
        uint64_t last_sr_arrival

    void uc_rtp_stats_init(uc_rtp_stats *s, uint32_t ssrc)
    int uc_rtp_stats_update(uc_rtp_stats *s, uint16_t seq, uint32_t timestamp, uint32_t arrival)
    uint32_t uc_rtp_stats_extended_max(const uc_rtp_stats *s)
    uint32_t uc_rtp_stats_expected(const uc_rtp_stats *s)
    int64_t uc_rtp_stats_lost(const uc_rtp_stats *s)
    void uc_rtp_stats_sr_received(uc_rtp_stats *s, uint64_t sr_ntp, uint64_t arrival_ntp)
    void uc_rtp_stats_report(uc_rtp_stats *s, uint64_t now_ntp, uc_rtcp_report_block *block)
