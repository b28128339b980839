from libc.stdint cimport int64_t, uint8_t, uint64_t
from uc_media.includes.stun cimport sockaddr, socklen_t


cdef extern from "ice_lite.h" nogil:
    enum:
        UC_ICE_LITE_CONSENT_TIMEOUT_MS
        UC_ICE_LITE_MAX_PAIRS
        UC_ICE_MAX_UFRAG
        UC_ICE_MAX_PWD
        UC_ICE_LITE_MAX_RESPONSE
        UC_ICE_LITE_EV_CHECK
        UC_ICE_LITE_EV_SELECTED
        UC_ICE_LITE_EV_REJECTED
        UC_ICE_LITE_EV_DROPPED

    enum:  # enum uc_ice_lite_state (its name is also a function's)
        UC_ICE_LITE_WAITING
        UC_ICE_LITE_CONNECTED
        UC_ICE_LITE_EXPIRED

    ctypedef struct uc_ice_lite_counters:
        uint64_t requests
        uint64_t success
        uint64_t malformed
        uint64_t bad_fingerprint
        uint64_t bad_integrity
        uint64_t unknown_user
        uint64_t bad_request
        uint64_t unknown_attribute
        uint64_t role_conflict
        uint64_t ignored

    ctypedef struct uc_ice_lite:
        pass

    int uc_ice_lite_create(uc_ice_lite **out, const char *local_ufrag, size_t local_ufrag_len,
                           const char *local_pwd, size_t local_pwd_len, const char *remote_ufrag,
                           size_t remote_ufrag_len, const char *remote_pwd, size_t remote_pwd_len)
    void uc_ice_lite_destroy(uc_ice_lite *ice)
    int uc_ice_lite_set_remote(uc_ice_lite *ice, const char *remote_ufrag, size_t remote_ufrag_len,
                               const char *remote_pwd, size_t remote_pwd_len)
    int uc_ice_lite_handle(uc_ice_lite *ice, const uint8_t *packet, size_t len,
                           const sockaddr *src, socklen_t src_len, int64_t now_ms,
                           uint8_t *out, size_t out_capacity, unsigned *events)
    int uc_ice_lite_selected(const uc_ice_lite *ice, sockaddr *out, socklen_t *out_len)
    int uc_ice_lite_state(const uc_ice_lite *ice, int64_t now_ms)
    int uc_ice_lite_consent_expired(const uc_ice_lite *ice, int64_t now_ms)
    int64_t uc_ice_lite_last_check(const uc_ice_lite *ice)
    void uc_ice_lite_get_counters(const uc_ice_lite *ice, uc_ice_lite_counters *out)
