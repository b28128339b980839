from libc.stdint cimport int64_t, uint16_t, uint32_t, uint64_t, uint8_t


cdef extern from "jitter.h" nogil:
    enum uc_jb_action:
        UC_JB_PLAY
        UC_JB_CONCEAL
        UC_JB_SILENCE
        UC_JB_CONTINUE

    enum uc_jb_put_outcome:
        UC_JB_STORED
        UC_JB_DUPLICATE
        UC_JB_LATE
        UC_JB_DISCARDED

    ctypedef struct uc_jb_config:
        uint32_t clock_rate
        uint32_t frame_ms
        uint32_t min_delay_ms
        uint32_t max_delay_ms
        uint32_t capacity
        uint32_t max_payload
        double quantile
        double forget_factor
        double ms_per_late_percent
        double late_forget_factor

    ctypedef struct uc_jb_frame:
        int action
        const uint8_t *payload
        uint32_t len
        uint16_t seq
        uint32_t timestamp
        uint32_t samples
        uint32_t dropped
        int inserted

    ctypedef struct uc_jb_stats:
        uint64_t packets_received
        uint64_t packets_late
        uint64_t packets_duplicated
        uint64_t packets_discarded
        double jitter_buffer_delay
        uint64_t jitter_buffer_emitted_count
        double jitter_buffer_target_delay
        uint64_t concealed_samples
        uint64_t concealment_events
        uint64_t inserted_samples_for_deceleration
        uint64_t removed_samples_for_acceleration
        uint64_t resyncs

    ctypedef struct uc_jitter:
        pass

    unsigned int UC_JB_MAX_DELAY_MS

    int uc_jb_create(const uc_jb_config *config, uc_jitter **out)
    void uc_jb_destroy(uc_jitter *jb)
    void uc_jb_reset(uc_jitter *jb)
    int uc_jb_put(uc_jitter *jb, const uint8_t *payload, size_t len, uint16_t seq, uint32_t timestamp,
                  uint32_t ssrc, int marker, int64_t now_ms)
    int uc_jb_get(uc_jitter *jb, int64_t now_ms, uc_jb_frame *out)
    void uc_jb_get_stats(const uc_jitter *jb, uc_jb_stats *out)
    double uc_jb_target_delay_ms(const uc_jitter *jb)
    uint32_t uc_jb_buffered(const uc_jitter *jb)
    double uc_jb_clock_skew_ppm(const uc_jitter *jb)
    double uc_jb_patience_ms(const uc_jitter *jb)
