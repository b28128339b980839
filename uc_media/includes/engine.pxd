from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "<sys/socket.h>" nogil:
    cdef struct sockaddr_storage:
        pass


cdef extern from "udp_io.h" nogil:
    int uc_udp_addr_format(const sockaddr_storage *a, char *ip, size_t cap, int *port)


cdef extern from "engine.h" nogil:
    ctypedef struct uc_engine:
        pass
    ctypedef struct uc_leg:
        pass
    ctypedef struct uc_conference:
        pass
    ctypedef struct uc_bridge:
        pass

    ctypedef struct uc_engine_config:
        int workers
        const char *bind_ip
        int port_lo
        int port_hi
        int tick_ms
        int max_legs_per_worker
        int max_objects_per_worker
        uint32_t event_queue

    enum uc_event_type:
        UC_EV_REMOTE_LATCHED
        UC_EV_TALKERS
        UC_EV_DTMF
        UC_EV_LEG_STATS
        UC_EV_LEVEL
        UC_EV_ERROR
        UC_EV_ICE_STATE
        UC_EV_PLAYBACK_FINISHED
        UC_EV_RECORDING_FINISHED

    enum:
        UC_EVENT_MAX_TALKERS

    ctypedef struct uc_event:
        uint16_t type
        uint16_t worker
        uint32_t object_id
        int32_t code
        uint32_t value
        uint32_t ids[8]
        uint8_t levels[8]
        uint64_t packets_received
        int64_t packets_lost
        uint64_t packets_sent
        float jitter_ms
        float rtt_ms
        float fraction_lost
        sockaddr_storage addr
        uint32_t handle
        uint32_t samples

    ctypedef struct uc_worker_stats:
        uint64_t ticks
        uint64_t late_ticks
        uint64_t tick_ns_total
        uint64_t tick_ns_max
        uint64_t cpu_ns
        uint64_t packets_received
        uint64_t packets_sent
        uint64_t send_errors
        uint64_t sendmmsg_calls
        uint64_t recvmmsg_calls
        uint64_t events_dropped
        uint32_t legs
        uint32_t conferences
        uint32_t bridges

    int uc_engine_create(const uc_engine_config *cfg, uc_engine **out)
    void uc_engine_stop(uc_engine *e)
    void uc_engine_destroy(uc_engine *e)
    int uc_engine_worker_count(const uc_engine *e)
    int uc_engine_tick_ms(const uc_engine *e)
    int uc_engine_event_fd(const uc_engine *e)
    int uc_engine_poll_events(uc_engine *e, uc_event *out, int max)
    int uc_engine_worker_stats(uc_engine *e, int worker, uc_worker_stats *out)


from uc_media.includes.playback cimport uc_clip


cdef extern from "leg.h" nogil:
    enum uc_leg_direction:
        UC_DIR_SENDRECV
        UC_DIR_SENDONLY
        UC_DIR_RECVONLY
        UC_DIR_INACTIVE

    ctypedef struct uc_leg_config:
        uint32_t id
        int worker
        int codec
        int payload_type
        int dtmf_payload_type
        int audio_level_id
        int opus_bitrate
        int opus_complexity
        uint32_t ssrc
        int jitter_min_ms
        int jitter_max_ms
        uint32_t rtcp_interval_ms
        int srtp_suite
        uint8_t srtp_tx_key[30]
        uint8_t srtp_rx_key[30]
        unsigned srtp_flags
        int dtmf_clock_rate

    ctypedef struct uc_leg_stats:
        uint64_t packets_received
        uint64_t bytes_received
        uint64_t rtp_received
        uint64_t rtcp_received
        uint64_t stun_received
        uint64_t dtls_dropped
        uint64_t unknown_dropped
        uint64_t malformed
        uint64_t auth_failed
        uint64_t replayed
        uint64_t srtp_errors
        uint64_t wrong_source
        uint64_t wrong_payload_type
        uint64_t dropped_direction
        uint64_t jitter_late
        uint64_t jitter_discarded
        uint64_t concealed_ticks
        uint64_t decode_errors
        uint64_t decodes
        uint64_t encodes
        uint64_t packets_sent
        uint64_t bytes_sent
        uint64_t rtcp_sent
        uint64_t dtmf_received
        uint64_t dtmf_sent
        uint64_t relayed
        uint32_t remote_ssrc
        uint32_t expected
        int64_t lost
        double jitter_ms
        int have_peer_report
        double peer_fraction_lost
        int64_t peer_cumulative_lost
        double peer_jitter_ms
        double rtt_ms
        uint32_t local_ssrc
        int remote_known
        uint8_t last_level
        int ice_state
        uint64_t stun_answered

    int uc_leg_create(uc_engine *e, const uc_leg_config *cfg, uc_leg **out)
    void uc_leg_destroy(uc_leg *leg)
    int uc_leg_local_port(const uc_leg *leg)
    int uc_leg_worker_index(const uc_leg *leg)
    uint32_t uc_leg_ssrc(const uc_leg *leg)
    int uc_leg_set_remote(uc_leg *leg, const char *ip, int port)
    int uc_leg_set_srtp(uc_leg *leg, int suite, const uint8_t *tx_key, const uint8_t *rx_key, unsigned flags)
    int uc_leg_set_ice(uc_leg *leg, const char *local_ufrag, size_t local_ufrag_len,
                       const char *local_pwd, size_t local_pwd_len, const char *remote_ufrag,
                       size_t remote_ufrag_len, const char *remote_pwd, size_t remote_pwd_len)
    int uc_leg_set_codec(uc_leg *leg, int codec, int payload_type, int dtmf_payload_type, int audio_level_id)
    int uc_leg_set_direction(uc_leg *leg, int direction)
    int uc_leg_set_mute(uc_leg *leg, int muted)
    int uc_leg_send_dtmf(uc_leg *leg, char digit, int duration_ms)
    int uc_leg_set_dtmf_clock(uc_leg *leg, int rate)
    int uc_leg_play(uc_leg *leg, const uc_clip *clip, uint32_t id, uint32_t handle, int loop)
    int uc_leg_stop_playback(uc_leg *leg)
    int uc_leg_record(uc_leg *leg, int16_t *buf, uint32_t capacity, int rate, uint32_t id,
                      uint32_t handle)
    int uc_leg_stop_recording(uc_leg *leg)
    int uc_leg_get_stats(uc_leg *leg, uc_leg_stats *out)


cdef extern from "conference.h" nogil:
    ctypedef struct uc_conference_config:
        uint32_t id
        int worker
        int max_participants
        int top_k
        int hangover_ticks
        int level_threshold
        int naive
        int level_event_ticks

    ctypedef struct uc_conference_stats:
        uint64_t ticks
        uint64_t decodes
        uint64_t shared_encodes
        uint64_t own_encodes
        uint64_t talker_changes
        uint32_t participants
        uint32_t classes
        uint32_t talkers

    int uc_conference_create(uc_engine *e, const uc_conference_config *cfg, uc_conference **out)
    void uc_conference_destroy(uc_conference *c)
    int uc_conference_worker_index(const uc_conference *c)
    int uc_conference_add_leg(uc_conference *c, uc_leg *leg)
    int uc_conference_remove_leg(uc_conference *c, uc_leg *leg)
    int uc_conference_get_stats(uc_conference *c, uc_conference_stats *out)
    int uc_conference_play(uc_conference *c, const uc_clip *clip, uint32_t id, uint32_t handle,
                           int loop)
    int uc_conference_stop_playback(uc_conference *c)


cdef extern from "bridge.h" nogil:
    enum uc_bridge_mode:
        UC_BRIDGE_RELAY
        UC_BRIDGE_TRANSCODE

    int uc_bridge_create(uc_engine *e, uc_leg *a, uc_leg *b, int mode, uint32_t id, uc_bridge **out)
    void uc_bridge_destroy(uc_bridge *br)
