from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "<sys/socket.h>" nogil:
    ctypedef unsigned int socklen_t

    cdef struct sockaddr:
        unsigned short sa_family


cdef extern from "stun.h" nogil:
    enum:
        UC_STUN_HEADER_LEN
        UC_STUN_TXID_LEN
        UC_STUN_MAX_ATTRS
        UC_STUN_MAX_UNKNOWN

    enum uc_stun_class:
        UC_STUN_REQUEST
        UC_STUN_INDICATION
        UC_STUN_SUCCESS
        UC_STUN_ERROR

    enum uc_stun_method:
        UC_STUN_BINDING

    enum uc_stun_attr_type:
        UC_STUN_ATTR_MAPPED_ADDRESS
        UC_STUN_ATTR_USERNAME
        UC_STUN_ATTR_MESSAGE_INTEGRITY
        UC_STUN_ATTR_ERROR_CODE
        UC_STUN_ATTR_UNKNOWN_ATTRIBUTES
        UC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256
        UC_STUN_ATTR_XOR_MAPPED_ADDRESS
        UC_STUN_ATTR_PRIORITY
        UC_STUN_ATTR_USE_CANDIDATE
        UC_STUN_ATTR_SOFTWARE
        UC_STUN_ATTR_ALTERNATE_SERVER
        UC_STUN_ATTR_FINGERPRINT
        UC_STUN_ATTR_ICE_CONTROLLED
        UC_STUN_ATTR_ICE_CONTROLLING

    ctypedef struct uc_stun_attr:
        uint16_t type
        uint16_t length
        uint32_t offset

    ctypedef struct uc_stun_msg:
        const uint8_t *data
        size_t length
        uint16_t type
        uint16_t method
        uint16_t msg_class
        uint8_t txid[12]
        int n_attrs
        int integrity
        int integrity_sha256
        int fingerprint
        uc_stun_attr attrs[32]

    ctypedef struct uc_stun_addr:
        uint8_t family
        uint16_t port
        uint8_t addr[16]

    ctypedef struct uc_stun_key:
        pass

    ctypedef struct uc_stun_builder:
        uint8_t *buf
        size_t capacity
        size_t length
        int status
        int sealed

    uint16_t uc_stun_type(unsigned method, unsigned msg_class)
    unsigned uc_stun_type_method(uint16_t type)
    unsigned uc_stun_type_class(uint16_t type)
    int uc_stun_is_stun(const uint8_t *buf, size_t len)
    int uc_stun_parse(uc_stun_msg *msg, const uint8_t *buf, size_t len)
    int uc_stun_find(const uc_stun_msg *msg, uint16_t type)
    int uc_stun_read_xor_address(const uc_stun_msg *msg, int index, uc_stun_addr *out)
    int uc_stun_read_address(const uc_stun_msg *msg, int index, uc_stun_addr *out)
    int uc_stun_read_u32(const uc_stun_msg *msg, int index, uint32_t *out)
    int uc_stun_read_u64(const uc_stun_msg *msg, int index, uint64_t *out)
    int uc_stun_read_error_code(const uc_stun_msg *msg, int index, int *code,
                                const uint8_t **reason, size_t *reason_len)
    int uc_stun_read_unknown_attributes(const uc_stun_msg *msg, int index, uint16_t *types,
                                        size_t capacity, size_t *count)
    int uc_stun_unknown_required(const uc_stun_msg *msg, uint16_t *types, size_t capacity)
    int uc_stun_key_create(uc_stun_key **out, const uint8_t *password, size_t password_len)
    void uc_stun_key_destroy(uc_stun_key *key)
    int uc_stun_check_integrity(const uc_stun_msg *msg, const uc_stun_key *key)
    int uc_stun_check_integrity_sha256(const uc_stun_msg *msg, const uc_stun_key *key)
    int uc_stun_check_fingerprint(const uc_stun_msg *msg)
    int uc_stun_build_start(uc_stun_builder *b, uint8_t *buf, size_t capacity, uint16_t type,
                            const uint8_t *txid)
    int uc_stun_add_attr(uc_stun_builder *b, uint16_t type, const uint8_t *value, size_t length)
    int uc_stun_add_u32(uc_stun_builder *b, uint16_t type, uint32_t value)
    int uc_stun_add_u64(uc_stun_builder *b, uint16_t type, uint64_t value)
    int uc_stun_add_xor_address(uc_stun_builder *b, uint16_t type, const uc_stun_addr *addr)
    int uc_stun_add_error_code(uc_stun_builder *b, int code, const char *reason, size_t reason_len)
    int uc_stun_add_unknown_attributes(uc_stun_builder *b, const uint16_t *types, size_t count)
    int uc_stun_add_integrity(uc_stun_builder *b, const uc_stun_key *key)
    int uc_stun_add_integrity_sha256(uc_stun_builder *b, const uc_stun_key *key)
    int uc_stun_add_fingerprint(uc_stun_builder *b)
    int uc_stun_build_finish(const uc_stun_builder *b)
    int uc_stun_addr_from_sockaddr(uc_stun_addr *out, const sockaddr *sa, socklen_t sa_len)
    int uc_stun_addr_to_sockaddr(const uc_stun_addr *addr, sockaddr *out, socklen_t *out_len)
