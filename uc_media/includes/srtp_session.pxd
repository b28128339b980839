from libc.stdint cimport int64_t, uint8_t


cdef extern from "srtp_session.h" nogil:
    enum uc_srtp_suite:
        UC_SRTP_AES_CM_128_HMAC_SHA1_80
        UC_SRTP_AES_CM_128_HMAC_SHA1_32
        UC_SRTP_AEAD_AES_128_GCM

    enum uc_srtp_direction:
        UC_SRTP_OUTBOUND
        UC_SRTP_INBOUND

    enum:
        UC_SRTP_MAX_KEY_SALT_LEN
        UC_SRTP_MAX_MKI_LEN
        UC_SRTP_MAX_OVERHEAD
        UC_SRTP_DEFAULT_WINDOW
        UC_SRTP_FLAG_SRTCP_TAG_32

    ctypedef struct uc_srtp_session:
        pass

    int uc_srtp_library_init()
    int uc_srtp_suite_available(int suite)
    int uc_srtp_suite_key_salt_len(int suite)
    int uc_srtp_session_create(uc_srtp_session **out, int suite, int direction,
                               const uint8_t *key_salt, size_t key_salt_len, int64_t ssrc,
                               unsigned window_size, const uint8_t *mki, size_t mki_len,
                               unsigned flags)
    void uc_srtp_session_destroy(uc_srtp_session *session)
    size_t uc_srtp_overhead(const uc_srtp_session *session, int is_rtcp)

    int uc_srtp_protect_rtp(uc_srtp_session *session, uint8_t *packet, size_t len, size_t capacity)
    int uc_srtp_unprotect_rtp(uc_srtp_session *session, uint8_t *packet, size_t len)
    int uc_srtp_protect_rtcp(uc_srtp_session *session, uint8_t *packet, size_t len, size_t capacity)
    int uc_srtp_unprotect_rtcp(uc_srtp_session *session, uint8_t *packet, size_t len)

    int uc_srtp_protect_rtp_batch(uc_srtp_session *session, uint8_t **packets, size_t *lengths,
                                  const size_t *capacities, int *status, int *srtp_status,
                                  size_t count)
    int uc_srtp_unprotect_rtp_batch(uc_srtp_session *session, uint8_t **packets, size_t *lengths,
                                    int *status, int *srtp_status, size_t count)
    int uc_srtp_protect_rtcp_batch(uc_srtp_session *session, uint8_t **packets, size_t *lengths,
                                   const size_t *capacities, int *status, int *srtp_status,
                                   size_t count)
    int uc_srtp_unprotect_rtcp_batch(uc_srtp_session *session, uint8_t **packets,
                                     size_t *lengths, int *status, int *srtp_status, size_t count)

    int uc_srtp_last_status(const uc_srtp_session *session)
    const char *uc_srtp_status_name(int srtp_status)
    const char *uc_srtp_status_text(int srtp_status)
