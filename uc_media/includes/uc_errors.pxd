cdef extern from "uc_errors.h" nogil:
    enum uc_status:
        UC_OK
        UC_ERR_TRUNCATED
        UC_ERR_MALFORMED
        UC_ERR_UNSUPPORTED
        UC_ERR_NOSPACE
        UC_ERR_ARGUMENT
        UC_ERR_NOMEM
        UC_ERR_CODEC
        UC_ERR_SRTP
        UC_ERR_SRTP_AUTH
        UC_ERR_SRTP_REPLAY
        UC_ERR_STATE
        UC_ERR_IO
        UC_ERR_STUN_INTEGRITY
        UC_ERR_STUN_FINGERPRINT
