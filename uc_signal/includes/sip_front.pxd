from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "sip_front.h" nogil:
    enum:
        SIP_FRONT_ANSWER_MAX
        SIP_FRONT_PASS
        SIP_FRONT_ABSORB
        SIP_FRONT_ANSWER
        SIP_FRONT_RESEND
        SIP_FRONT_VERIFIED
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
        uint64_t registered

    ctypedef struct sip_front_config_t:
        const uint8_t *secret
        size_t secret_len
        const char *tag_prefix
        size_t tag_prefix_len
        uint32_t cache_entries
        double cache_seconds
        uint64_t seed

    ctypedef struct sip_front_span_t:
        uint32_t off
        uint32_t len

    ctypedef struct sip_front_result_t:
        int verdict
        int method
        uint32_t len
        uint16_t dest_port
        sip_front_span_t user, host, contact_uri, contact_params, expires
        sip_front_span_t call_id, user_agent, supported, nonce
        uint32_t cseq
        uint32_t nc
        double issued_at

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
    int sip_front_set_digest(sip_front_t *front, const char *realm, size_t realm_len, const char *opaque,
                             size_t opaque_len, unsigned algorithms, double nonce_lifetime)
    int sip_front_set_user(sip_front_t *front, const char *username, size_t username_len, const char *realm,
                           size_t realm_len, unsigned algorithm, const char *ha1, size_t ha1_len)
    int sip_front_drop_user(sip_front_t *front, const char *username, size_t username_len, const char *realm,
                            size_t realm_len)
    size_t sip_front_users(const sip_front_t *front)
    void sip_front_set_register(sip_front_t *front, int enabled)
    int sip_front_registered(sip_front_t *front, const uint8_t *answer, size_t len, double until)
    void sip_front_declined(sip_front_t *front)
    int sip_front_handle(sip_front_t *front, const uint8_t *buf, size_t len, const char *src_host,
                         size_t src_host_len, uint16_t src_port, double now, uint8_t *out, size_t out_cap,
                         sip_front_result_t *result)
    void sip_front_counters(const sip_front_t *front, sip_front_counters_t *out)
