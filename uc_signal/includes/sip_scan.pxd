from libc.stdint cimport int32_t, int64_t, uint16_t, uint32_t


cdef extern from "sip_scan.h" nogil:
    enum:
        SIP_NO_SPAN

    ctypedef struct sip_span_t:
        uint32_t off
        uint32_t len

    enum sip_scan_reason:
        SIP_OK
        SIP_ERR_START_LINE
        SIP_ERR_VIA
        SIP_ERR_VIA_PROTOCOL
        SIP_ERR_VIA_VERSION
        SIP_ERR_PARAMS
        SIP_ERR_ADDRESS
        SIP_ERR_CSEQ
        SIP_ERR_CSEQ_TOO_LARGE
        SIP_ERR_AUTH
        SIP_ERR_AUTH_PARAM
        SIP_ERR_AUTH_TRAILING
        SIP_ERR_AUTH_EMPTY
        SIP_ERR_TOO_LONG
        SIP_ERR_NOSPACE

    ctypedef struct sip_message_span_t:
        uint32_t head_off
        uint32_t head_len
        uint32_t body_off

    void sip_split_message(const char *buf, size_t len, sip_message_span_t *out)

    enum sip_start_kind:
        SIP_START_REQUEST
        SIP_START_RESPONSE

    ctypedef struct sip_start_line_t:
        sip_span_t a, b, c
        int status

    int sip_scan_start_line(const char *buf, size_t len, sip_start_line_t *out)

    enum:
        SIP_FIELD_FOLDED
        SIP_FIELD_MALFORMED
        SIP_CL_ABSENT
        SIP_CL_UNREAD

    ctypedef struct sip_field_t:
        sip_span_t name
        sip_span_t value
        uint16_t id
        uint16_t flags

    ctypedef struct sip_head_t:
        sip_span_t start_line
        uint32_t start_flags
        int start_kind
        sip_start_line_t start
        uint32_t n_fields
        int64_t content_length

    int sip_scan_head(const char *buf, size_t len, sip_head_t *out, sip_field_t *fields,
                      size_t cap, int *reason)

    ctypedef struct sip_param_t:
        sip_span_t name
        sip_span_t value

    int sip_scan_params(const char *buf, size_t len, size_t pos, sip_param_t *params, size_t cap,
                        uint32_t *needed, int *reason)

    ctypedef struct sip_via_t:
        sip_span_t protocol
        sip_span_t version
        sip_span_t transport
        sip_span_t host
        int32_t port
        uint32_t n_params

    int sip_scan_via(const char *buf, size_t len, sip_via_t *out, sip_param_t *params, size_t cap,
                     int *reason)

    ctypedef struct sip_name_addr_t:
        sip_span_t display
        int display_quoted
        sip_span_t uri
        uint32_t n_params

    int sip_scan_name_addr(const char *buf, size_t len, sip_name_addr_t *out, sip_param_t *params,
                           size_t cap, int *reason)

    int sip_scan_cseq(const char *buf, size_t len, uint32_t *seq, sip_span_t *digits,
                      sip_span_t *method, int *reason)

    enum sip_auth_kind:
        SIP_AUTH_SCHEME
        SIP_AUTH_PARAM
        SIP_AUTH_TOKEN68

    ctypedef struct sip_auth_item_t:
        int kind
        int quoted
        sip_span_t name
        sip_span_t value

    int sip_scan_auth(const char *buf, size_t len, sip_auth_item_t *items, size_t cap,
                      uint32_t *needed, int *reason)

    int sip_is_token(const char *buf, size_t len)
