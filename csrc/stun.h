/* STUN messages (RFC 8489, which obsoletes RFC 5389): parse, verify, build.
 *
 * Parsing indexes a message in place: uc_stun_parse() checks the 20-byte header (top two
 * bits zero, length a multiple of 4 that matches the datagram, the magic cookie) and walks
 * the attributes with bounds checks, recording each one's type, length and value offset
 * in a fixed array inside uc_stun_msg. Nothing is copied and nothing is allocated; the
 * message keeps pointing at the caller's bytes, which must outlive it.
 *
 * Attribute order rules (RFC 8489 sections 14.5, 14.6, 14.7): FINGERPRINT must be last;
 * after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow, and
 * after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT. Attributes that break them are not
 * errors in the RFC's eyes (a receiver ignores them), but nothing legitimate sends them, so
 * parse rejects such a message as UC_ERR_MALFORMED: an attacker gains nothing from bytes
 * appended after the integrity tag.
 *
 * Integrity: short-term credentials (RFC 8489 section 9.1) key HMAC with the password
 * itself (after OpaqueString, a no-op for ICE passwords, which are ice-chars). A
 * uc_stun_key holds the HMAC-SHA1 and HMAC-SHA256 inner/outer states precomputed from the
 * key, so verifying or signing a message copies two hash states and hashes the message:
 * no allocation and no lock per message (OpenSSL's HMAC and EVP_MAC APIs each allocate per
 * use in OpenSSL 3.0, see docs/architecture.md). FINGERPRINT is CRC-32 (zlib) xor
 * 0x5354554E.
 *
 * Building writes into a caller's buffer through uc_stun_builder; the header length field
 * is kept current after every attribute, so MESSAGE-INTEGRITY and FINGERPRINT are computed
 * over exactly the bytes RFC 8489 names. A builder that ran out of room (or got a bad
 * argument) stays failed: every later call returns the same code, so a caller may check
 * only the result of uc_stun_build_finish().
 *
 * Everything here is reentrant; a uc_stun_key may be shared by threads (read only). */
#ifndef UC_STUN_H
#define UC_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UC_STUN_HEADER_LEN 20
#define UC_STUN_MAGIC_COOKIE 0x2112A442u
#define UC_STUN_FINGERPRINT_XOR 0x5354554Eu
#define UC_STUN_TXID_LEN 12
#define UC_STUN_INTEGRITY_LEN 20        /* HMAC-SHA1 */
#define UC_STUN_INTEGRITY_SHA256_LEN 32 /* full HMAC-SHA256 (RFC 8489 allows 16..32) */
/* Attributes recorded per message; a message with more is UC_ERR_UNSUPPORTED. ICE
 * checks carry 5 to 7. */
#define UC_STUN_MAX_ATTRS 32
/* Longest USERNAME value (RFC 8489 section 14.3: < 513 bytes). */
#define UC_STUN_MAX_USERNAME 512
/* Most attribute types one UNKNOWN-ATTRIBUTES lists (we write at most this many). */
#define UC_STUN_MAX_UNKNOWN 8

/* Classes (RFC 8489 section 5: bits C1 = 0x0100, C0 = 0x0010 of the type). */
enum uc_stun_class {
    UC_STUN_REQUEST = 0x0000,
    UC_STUN_INDICATION = 0x0010,
    UC_STUN_SUCCESS = 0x0100,
    UC_STUN_ERROR = 0x0110,
};

/* Methods (12 bits, interleaved with the class bits on the wire). */
enum uc_stun_method {
    UC_STUN_BINDING = 0x001,
};

/* Attribute types (RFC 8489 section 18.3, RFC 8445 section 16.1, RFC 5766). Below 0x8000
 * comprehension-required, from 0x8000 comprehension-optional. */
enum uc_stun_attr_type {
    UC_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    UC_STUN_ATTR_USERNAME = 0x0006,
    UC_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    UC_STUN_ATTR_ERROR_CODE = 0x0009,
    UC_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
    UC_STUN_ATTR_REALM = 0x0014,
    UC_STUN_ATTR_NONCE = 0x0015,
    UC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
    UC_STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
    UC_STUN_ATTR_USERHASH = 0x001E,
    UC_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    UC_STUN_ATTR_PRIORITY = 0x0024,
    UC_STUN_ATTR_USE_CANDIDATE = 0x0025,
    UC_STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
    UC_STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
    UC_STUN_ATTR_SOFTWARE = 0x8022,
    UC_STUN_ATTR_ALTERNATE_SERVER = 0x8023,
    UC_STUN_ATTR_FINGERPRINT = 0x8028,
    UC_STUN_ATTR_ICE_CONTROLLED = 0x8029,
    UC_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* One attribute of a parsed message: its value is msg->data[offset .. offset + length). */
typedef struct uc_stun_attr {
    uint16_t type;
    uint16_t length; /* value length, without padding */
    uint32_t offset; /* of the value, from the start of the message */
} uc_stun_attr;

/* A parsed message. Indexes of the special attributes are -1 when absent. */
typedef struct uc_stun_msg {
    const uint8_t *data;
    size_t length;              /* whole message: 20 + the header's length field */
    uint16_t type;              /* method | class, as uc_stun_type() makes it */
    uint16_t method;            /* enum uc_stun_method (12 bits) */
    uint16_t msg_class;         /* enum uc_stun_class */
    uint8_t txid[UC_STUN_TXID_LEN];
    int n_attrs;
    int integrity;              /* index of MESSAGE-INTEGRITY */
    int integrity_sha256;       /* index of MESSAGE-INTEGRITY-SHA256 */
    int fingerprint;            /* index of FINGERPRINT */
    uc_stun_attr attrs[UC_STUN_MAX_ATTRS];
} uc_stun_msg;

/* A transport address as XOR-MAPPED-ADDRESS carries it. */
typedef struct uc_stun_addr {
    uint8_t family; /* 4 or 6 */
    uint16_t port;  /* host order */
    uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
} uc_stun_addr;

/* Precomputed HMAC keys for one short-term password (opaque; see the top comment). */
typedef struct uc_stun_key uc_stun_key;

/* The wire message type for a method and class, and back. */
uint16_t uc_stun_type(unsigned method, unsigned msg_class);
unsigned uc_stun_type_method(uint16_t type);
unsigned uc_stun_type_class(uint16_t type);

/* Cheap test for demultiplexing (RFC 7983 section 7 plus the magic cookie): 1 if the
 * datagram could be STUN (first byte 0..3, at least 20 bytes, cookie at bytes 4..7),
 * else 0. Does not validate further; uc_stun_parse() does. */
int uc_stun_is_stun(const uint8_t *buf, size_t len);

/* Parse one datagram. Returns UC_OK, UC_ERR_TRUNCATED (shorter than the header or than
 * its length field), UC_ERR_MALFORMED (top bits set, length not a multiple of 4, a
 * datagram longer than the message, wrong cookie, an attribute running past the end,
 * attribute order broken as above, MESSAGE-INTEGRITY or FINGERPRINT of the wrong
 * length), UC_ERR_UNSUPPORTED (more than UC_STUN_MAX_ATTRS attributes) or
 * UC_ERR_ARGUMENT. On failure *msg is unspecified. */
int uc_stun_parse(uc_stun_msg *msg, const uint8_t *buf, size_t len);

/* Index of the first attribute of `type`, or -1. */
int uc_stun_find(const uc_stun_msg *msg, uint16_t type);

/* Value of attribute `index` (0 <= index < n_attrs): pointer into msg->data. */
const uint8_t *uc_stun_attr_value(const uc_stun_msg *msg, int index);

/* Attribute readers; each returns UC_OK, UC_ERR_ARGUMENT (bad index) or UC_ERR_MALFORMED
 * (value of the wrong size or content). */
/* XOR-MAPPED-ADDRESS (and anything in its format, e.g. XOR-PEER-ADDRESS). */
int uc_stun_read_xor_address(const uc_stun_msg *msg, int index, uc_stun_addr *out);
/* MAPPED-ADDRESS / ALTERNATE-SERVER (plain, not xored). */
int uc_stun_read_address(const uc_stun_msg *msg, int index, uc_stun_addr *out);
/* 32-bit value (PRIORITY). */
int uc_stun_read_u32(const uc_stun_msg *msg, int index, uint32_t *out);
/* 64-bit value (ICE-CONTROLLING / ICE-CONTROLLED tie-breaker). */
int uc_stun_read_u64(const uc_stun_msg *msg, int index, uint64_t *out);
/* ERROR-CODE: code 300..699; the reason phrase points into the message (UTF-8, not
 * NUL-terminated). */
int uc_stun_read_error_code(const uc_stun_msg *msg, int index, int *code,
                            const uint8_t **reason, size_t *reason_len);
/* UNKNOWN-ATTRIBUTES: up to `capacity` types into types[]; *count gets how many the
 * attribute lists (may exceed capacity; only the first `capacity` are written). */
int uc_stun_read_unknown_attributes(const uc_stun_msg *msg, int index, uint16_t *types,
                                    size_t capacity, size_t *count);

/* The comprehension-required attribute types (< 0x8000) in the message that this module
 * does not know (any type not in enum uc_stun_attr_type): up to `capacity` written into
 * types[]; returns how many there are (>= 0). For 420 responses (RFC 8489 section 6.3.1). */
int uc_stun_unknown_required(const uc_stun_msg *msg, uint16_t *types, size_t capacity);

/* Keys. create copies the password (any bytes, up to 1024) into precomputed HMAC states;
 * it is the only allocating call here. Returns UC_OK, UC_ERR_ARGUMENT or UC_ERR_NOMEM. */
int uc_stun_key_create(uc_stun_key **out, const uint8_t *password, size_t password_len);
void uc_stun_key_destroy(uc_stun_key *key);

/* Verify MESSAGE-INTEGRITY (HMAC-SHA1 over the message up to the attribute, with the
 * header length adjusted to end after it) in constant time. Returns UC_OK, or
 * UC_ERR_STUN_INTEGRITY when the attribute is absent or does not match. */
int uc_stun_check_integrity(const uc_stun_msg *msg, const uc_stun_key *key);
/* The same for MESSAGE-INTEGRITY-SHA256 (truncated values of 16..32 bytes accepted, as
 * RFC 8489 section 14.6 allows, if a multiple of 4). */
int uc_stun_check_integrity_sha256(const uc_stun_msg *msg, const uc_stun_key *key);
/* Verify FINGERPRINT. UC_OK, or UC_ERR_STUN_FINGERPRINT when absent or wrong. */
int uc_stun_check_fingerprint(const uc_stun_msg *msg);

/* Builder. */
typedef struct uc_stun_builder {
    uint8_t *buf;
    size_t capacity;
    size_t length;
    int status;     /* UC_OK, or the first failure */
    int sealed;     /* FINGERPRINT added: nothing may follow */
} uc_stun_builder;

/* Start a message of `type` (uc_stun_type()) with the 12-byte transaction ID. */
int uc_stun_build_start(uc_stun_builder *b, uint8_t *buf, size_t capacity, uint16_t type,
                        const uint8_t txid[UC_STUN_TXID_LEN]);
/* Append an attribute with `length` bytes of value (zero padding added). */
int uc_stun_add_attr(uc_stun_builder *b, uint16_t type, const uint8_t *value, size_t length);
int uc_stun_add_u32(uc_stun_builder *b, uint16_t type, uint32_t value);
int uc_stun_add_u64(uc_stun_builder *b, uint16_t type, uint64_t value);
/* XOR-MAPPED-ADDRESS (or another type in its format) from a uc_stun_addr. */
int uc_stun_add_xor_address(uc_stun_builder *b, uint16_t type, const uc_stun_addr *addr);
/* ERROR-CODE with code 300..699 and a reason phrase (may be NULL/0). */
int uc_stun_add_error_code(uc_stun_builder *b, int code, const char *reason, size_t reason_len);
/* UNKNOWN-ATTRIBUTES listing `count` types. */
int uc_stun_add_unknown_attributes(uc_stun_builder *b, const uint16_t *types, size_t count);
/* MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 (32 bytes) over what is built so far. */
int uc_stun_add_integrity(uc_stun_builder *b, const uc_stun_key *key);
int uc_stun_add_integrity_sha256(uc_stun_builder *b, const uc_stun_key *key);
/* FINGERPRINT; must be the last attribute. */
int uc_stun_add_fingerprint(uc_stun_builder *b);
/* The message length (> 0), or the builder's first failure (UC_ERR_NOSPACE,
 * UC_ERR_ARGUMENT, UC_ERR_STATE for an attribute added after FINGERPRINT). */
int uc_stun_build_finish(const uc_stun_builder *b);

/* Socket address <-> uc_stun_addr. from_sockaddr: AF_INET / AF_INET6 (a v4-mapped IPv6
 * address stays IPv6), else UC_ERR_ARGUMENT. to_sockaddr fills a sockaddr_in/_in6 in
 * *out (capacity *out_len, set to the length used; UC_ERR_NOSPACE if too small). */
int uc_stun_addr_from_sockaddr(uc_stun_addr *out, const struct sockaddr *sa, socklen_t sa_len);
int uc_stun_addr_to_sockaddr(const uc_stun_addr *addr, struct sockaddr *out, socklen_t *out_len);
/* 1 if the two addresses are equal (family, address, port), else 0. */
int uc_stun_addr_equal(const uc_stun_addr *a, const uc_stun_addr *b);

#endif
