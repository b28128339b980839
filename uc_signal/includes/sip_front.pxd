from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "sip_front.h" nogil:
    enum:
        SIP_FRONT_ANSWER_MAX
        SIP_FRONT_PASS
        SIP_FRONT_ABSORB
        SIP_FRONT_ANSWER
        SIP_FRONT_RESEND
        SIP_FRONT_REGISTER
        SIP_FRONT_INVITE
        SIP_FRONT_MESSAGE
        SIP_FRONT_METHODS
        SIP_FRONT_UAS
        SIP_FRONT_PROXY
        SIP_FRONT_MAX_CHALLENGES

    ctypedef struct sip_front_counters_t:
        uint64_t answered[3]
        uint64_t resent
        uint64_t absorbed
        uint64_t passed

    ctypedef struct sip_front_config_t:
        const uint8_t *secret
        size_t secret_len
        const char *tag_prefix
        size_t tag_prefix_len
        uint32_t cache_entries
        double cache_seconds
        uint64_t seed

    ctypedef struct sip_front_result_t:
        int verdict
        int method
        uint32_t len
        uint16_t dest_port

    ctypedef struct sip_front_t:
        pass

    sip_front_t *sip_front_create(const sip_front_config_t *config)
    void sip_front_destroy(sip_front_t *front)
    void sip_front_clear(sip_front_t *front)
    int sip_front_set_realm(sip_front_t *front, const char *realm, size_t realm_len, int kind,
                            const char *const *heads, const size_t *head_lens, const char *const *tails,
                            const size_t *tail_lens, size_t n)
    int sip_front_exclude_uri(sip_front_t *front, const char *user_at_host, size_t len)
    void sip_front_set_enabled(sip_front_t *front, int enabled)
    int sip_front_handle(sip_front_t *front, const uint8_t *buf, size_t len, const char *src_host,
                         size_t src_host_len, uint16_t src_port, double now, uint8_t *out, size_t out_cap,
                         sip_front_result_t *result)
    void sip_front_counters(const sip_front_t *front, sip_front_counters_t *out)
