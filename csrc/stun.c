/* STUN messages (RFC 8489): see stun.h. */

/* SHA1_Init/SHA256_Init and friends are deprecated in OpenSSL 3.0 in favour of EVP, but
 * EVP_MAC, HMAC_CTX and EVP_MD_CTX re-initialisation each allocate per use in 3.0 (their
 * provider contexts are duplicated on every init), while the low-level functions work on
 * a caller-owned struct: hashing from a copied, precomputed HMAC state costs nothing
 * beyond the compression function. Request the 1.1.1 API level so they are declared
 * without the deprecation attribute (-Werror). See docs/architecture.md, As built: STUN. */
#define OPENSSL_API_COMPAT 10101

#include "stun.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "byteorder.h"
#include "uc_errors.h"

#define HMAC_BLOCK 64 /* SHA-1 and SHA-256 block size */
#define MAX_PASSWORD 1024

struct uc_stun_key {
    SHA_CTX sha1_inner, sha1_outer;
    SHA256_CTX sha256_inner, sha256_outer;
};

uint16_t uc_stun_type(unsigned method, unsigned msg_class)
{
    /* RFC 8489 section 5: M11..M7, C1, M6..M4, C0, M3..M0. */
    return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                      (msg_class & 0x0110));
}

unsigned uc_stun_type_method(uint16_t type)
{
    return (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
}

unsigned uc_stun_type_class(uint16_t type) { return type & 0x0110; }

int uc_stun_is_stun(const uint8_t *buf, size_t len)
{
    return buf != NULL && len >= UC_STUN_HEADER_LEN && buf[0] <= 3 &&
           uc_rd32(buf + 4) == UC_STUN_MAGIC_COOKIE;
}

int uc_stun_parse(uc_stun_msg *msg, const uint8_t *buf, size_t len)
{
    if (msg == NULL || (buf == NULL && len > 0))
        return UC_ERR_ARGUMENT;
    if (len < UC_STUN_HEADER_LEN)
        return UC_ERR_TRUNCATED;
    if ((buf[0] & 0xC0) != 0 || uc_rd32(buf + 4) != UC_STUN_MAGIC_COOKIE)
        return UC_ERR_MALFORMED;
    size_t body = uc_rd16(buf + 2);
    if (body % 4 != 0)
        return UC_ERR_MALFORMED;
    if (len < UC_STUN_HEADER_LEN + body)
        return UC_ERR_TRUNCATED;
    if (len > UC_STUN_HEADER_LEN + body) /* over UDP a datagram holds exactly one message */
        return UC_ERR_MALFORMED;

    msg->data = buf;
    msg->length = len;
    msg->type = uc_rd16(buf);
    msg->method = (uint16_t)uc_stun_type_method(msg->type);
    msg->msg_class = (uint16_t)uc_stun_type_class(msg->type);
    memcpy(msg->txid, buf + 8, UC_STUN_TXID_LEN);
    msg->n_attrs = 0;
    msg->integrity = msg->integrity_sha256 = msg->fingerprint = -1;

    size_t pos = UC_STUN_HEADER_LEN;
    while (pos < len) {
        if (len - pos < 4)
            return UC_ERR_MALFORMED;
        uint16_t type = uc_rd16(buf + pos);
        uint16_t alen = uc_rd16(buf + pos + 2);
        size_t padded = ((size_t)alen + 3) & ~(size_t)3;
        if (padded > len - pos - 4)
            return UC_ERR_MALFORMED;
        /* Order (RFC 8489 sections 14.5-14.7): nothing after FINGERPRINT; after an
         * integrity attribute only the other integrity attribute and FINGERPRINT. */
        if (msg->fingerprint >= 0)
            return UC_ERR_MALFORMED;
        if (msg->integrity >= 0 && type != UC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 &&
            type != UC_STUN_ATTR_FINGERPRINT)
            return UC_ERR_MALFORMED;
        if (msg->integrity_sha256 >= 0 && type != UC_STUN_ATTR_MESSAGE_INTEGRITY &&
            type != UC_STUN_ATTR_FINGERPRINT)
            return UC_ERR_MALFORMED;
        if (msg->n_attrs == UC_STUN_MAX_ATTRS)
            return UC_ERR_UNSUPPORTED;
        switch (type) {
        case UC_STUN_ATTR_MESSAGE_INTEGRITY:
            if (alen != UC_STUN_INTEGRITY_LEN)
                return UC_ERR_MALFORMED;
            msg->integrity = msg->n_attrs;
            break;
        case UC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
            if (alen < 16 || alen > UC_STUN_INTEGRITY_SHA256_LEN || alen % 4 != 0)
                return UC_ERR_MALFORMED;
            msg->integrity_sha256 = msg->n_attrs;
            break;
        case UC_STUN_ATTR_FINGERPRINT:
            if (alen != 4)
                return UC_ERR_MALFORMED;
            msg->fingerprint = msg->n_attrs;
            break;
        default:
            break;
        }
        uc_stun_attr *a = &msg->attrs[msg->n_attrs++];
        a->type = type;
        a->length = alen;
        a->offset = (uint32_t)(pos + 4);
        pos += 4 + padded;
    }
    return UC_OK;
}

int uc_stun_find(const uc_stun_msg *msg, uint16_t type)
{
    if (msg == NULL)
        return -1;
    for (int i = 0; i < msg->n_attrs; i++)
        if (msg->attrs[i].type == type)
            return i;
    return -1;
}

const uint8_t *uc_stun_attr_value(const uc_stun_msg *msg, int index)
{
    if (msg == NULL || index < 0 || index >= msg->n_attrs)
        return NULL;
    return msg->data + msg->attrs[index].offset;
}

/* The attribute at index, or NULL for a bad index. */
static const uc_stun_attr *attr_at(const uc_stun_msg *msg, int index)
{
    if (msg == NULL || index < 0 || index >= msg->n_attrs)
        return NULL;
    return &msg->attrs[index];
}

static int read_address(const uc_stun_msg *msg, int index, uc_stun_addr *out, int xored)
{
    const uc_stun_attr *a = attr_at(msg, index);
    if (a == NULL || out == NULL)
        return UC_ERR_ARGUMENT;
    const uint8_t *v = msg->data + a->offset;
    /* RFC 8489 section 14.1/14.2: reserved byte, family (0x01 IPv4, 0x02 IPv6), port,
     * address; the XOR form xors port and address with the cookie (|| transaction ID). */
    size_t addr_len;
    if (a->length == 8 && v[1] == 0x01)
        addr_len = 4;
    else if (a->length == 20 && v[1] == 0x02)
        addr_len = 16;
    else
        return UC_ERR_MALFORMED;
    uint8_t mask[16];
    uc_wr32(mask, UC_STUN_MAGIC_COOKIE);
    memcpy(mask + 4, msg->txid, UC_STUN_TXID_LEN);
    memset(out, 0, sizeof *out);
    out->family = addr_len == 4 ? 4 : 6;
    out->port = uc_rd16(v + 2);
    memcpy(out->addr, v + 4, addr_len);
    if (xored) {
        out->port ^= (uint16_t)(UC_STUN_MAGIC_COOKIE >> 16);
        for (size_t i = 0; i < addr_len; i++)
            out->addr[i] ^= mask[i];
    }
    return UC_OK;
}

int uc_stun_read_xor_address(const uc_stun_msg *msg, int index, uc_stun_addr *out)
{
    return read_address(msg, index, out, 1);
}

int uc_stun_read_address(const uc_stun_msg *msg, int index, uc_stun_addr *out)
{
    return read_address(msg, index, out, 0);
}

int uc_stun_read_u32(const uc_stun_msg *msg, int index, uint32_t *out)
{
    const uc_stun_attr *a = attr_at(msg, index);
    if (a == NULL || out == NULL)
        return UC_ERR_ARGUMENT;
    if (a->length != 4)
        return UC_ERR_MALFORMED;
    *out = uc_rd32(msg->data + a->offset);
    return UC_OK;
}

int uc_stun_read_u64(const uc_stun_msg *msg, int index, uint64_t *out)
{
    const uc_stun_attr *a = attr_at(msg, index);
    if (a == NULL || out == NULL)
        return UC_ERR_ARGUMENT;
    if (a->length != 8)
        return UC_ERR_MALFORMED;
    const uint8_t *v = msg->data + a->offset;
    *out = ((uint64_t)uc_rd32(v) << 32) | uc_rd32(v + 4);
    return UC_OK;
}

int uc_stun_read_error_code(const uc_stun_msg *msg, int index, int *code,
                            const uint8_t **reason, size_t *reason_len)
{
    const uc_stun_attr *a = attr_at(msg, index);
    if (a == NULL || code == NULL || reason == NULL || reason_len == NULL)
        return UC_ERR_ARGUMENT;
    /* RFC 8489 section 14.8: 21 reserved bits, class (3 bits, 3..6), number (0..99),
     * reason phrase (at most 763 bytes). */
    if (a->length < 4 || a->length > 4 + 763)
        return UC_ERR_MALFORMED;
    const uint8_t *v = msg->data + a->offset;
    int cls = v[2] & 0x07, number = v[3];
    if (cls < 3 || cls > 6 || number > 99)
        return UC_ERR_MALFORMED;
    *code = cls * 100 + number;
    *reason = v + 4;
    *reason_len = (size_t)a->length - 4;
    return UC_OK;
}

int uc_stun_read_unknown_attributes(const uc_stun_msg *msg, int index, uint16_t *types,
                                    size_t capacity, size_t *count)
{
    const uc_stun_attr *a = attr_at(msg, index);
    if (a == NULL || count == NULL || (types == NULL && capacity > 0))
        return UC_ERR_ARGUMENT;
    if (a->length % 2 != 0)
        return UC_ERR_MALFORMED;
    const uint8_t *v = msg->data + a->offset;
    size_t n = (size_t)a->length / 2;
    for (size_t i = 0; i < n && i < capacity; i++)
        types[i] = uc_rd16(v + 2 * i);
    *count = n;
    return UC_OK;
}

static int known_type(uint16_t type)
{
    switch (type) {
    case UC_STUN_ATTR_MAPPED_ADDRESS:
    case UC_STUN_ATTR_USERNAME:
    case UC_STUN_ATTR_MESSAGE_INTEGRITY:
    case UC_STUN_ATTR_ERROR_CODE:
    case UC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    case UC_STUN_ATTR_REALM:
    case UC_STUN_ATTR_NONCE:
    case UC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    case UC_STUN_ATTR_PASSWORD_ALGORITHM:
    case UC_STUN_ATTR_USERHASH:
    case UC_STUN_ATTR_XOR_MAPPED_ADDRESS:
    case UC_STUN_ATTR_PRIORITY:
    case UC_STUN_ATTR_USE_CANDIDATE:
        return 1;
    default:
        return 0;
    }
}

int uc_stun_unknown_required(const uc_stun_msg *msg, uint16_t *types, size_t capacity)
{
    if (msg == NULL || (types == NULL && capacity > 0))
        return UC_ERR_ARGUMENT;
    size_t n = 0;
    for (int i = 0; i < msg->n_attrs; i++) {
        uint16_t t = msg->attrs[i].type;
        if (t < 0x8000 && !known_type(t)) {
            if (n < capacity)
                types[n] = t;
            n++;
        }
    }
    return (int)n;
}

/* ---- integrity and fingerprint ---- */

int uc_stun_key_create(uc_stun_key **out, const uint8_t *password, size_t password_len)
{
    if (out == NULL || (password == NULL && password_len > 0) || password_len > MAX_PASSWORD)
        return UC_ERR_ARGUMENT;
    uc_stun_key *key = calloc(1, sizeof *key);
    if (key == NULL)
        return UC_ERR_NOMEM;
    /* HMAC (RFC 2104): a key longer than the block is hashed first (per hash). */
    uint8_t k1[HMAC_BLOCK] = {0}, k256[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK];
    if (password_len > HMAC_BLOCK) {
        SHA1(password, password_len, k1);
        SHA256(password, password_len, k256);
    } else if (password_len > 0) {
        memcpy(k1, password, password_len);
        memcpy(k256, password, password_len);
    }
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k1[i] ^ 0x36;
    SHA1_Init(&key->sha1_inner);
    SHA1_Update(&key->sha1_inner, pad, HMAC_BLOCK);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k1[i] ^ 0x5c;
    SHA1_Init(&key->sha1_outer);
    SHA1_Update(&key->sha1_outer, pad, HMAC_BLOCK);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k256[i] ^ 0x36;
    SHA256_Init(&key->sha256_inner);
    SHA256_Update(&key->sha256_inner, pad, HMAC_BLOCK);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k256[i] ^ 0x5c;
    SHA256_Init(&key->sha256_outer);
    SHA256_Update(&key->sha256_outer, pad, HMAC_BLOCK);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k256, sizeof k256);
    OPENSSL_cleanse(pad, sizeof pad);
    *out = key;
    return UC_OK;
}

void uc_stun_key_destroy(uc_stun_key *key)
{
    if (key == NULL)
        return;
    OPENSSL_cleanse(key, sizeof *key);
    free(key);
}

/* HMAC over a message prefix `head` (the 20-byte header and the attributes before the
 * integrity attribute, head_len bytes) with the header's length field replaced by
 * `length_field`, as RFC 8489 sections 14.5/14.6 prescribe. */
static void hmac_sha1(const uc_stun_key *key, const uint8_t *head, size_t head_len,
                      uint16_t length_field, uint8_t out[SHA_DIGEST_LENGTH])
{
    uint8_t len_be[2];
    uc_wr16(len_be, length_field);
    SHA_CTX c = key->sha1_inner;
    SHA1_Update(&c, head, 2);
    SHA1_Update(&c, len_be, 2);
    SHA1_Update(&c, head + 4, head_len - 4);
    SHA1_Final(out, &c);
    c = key->sha1_outer;
    SHA1_Update(&c, out, SHA_DIGEST_LENGTH);
    SHA1_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof c);
}

static void hmac_sha256(const uc_stun_key *key, const uint8_t *head, size_t head_len,
                        uint16_t length_field, uint8_t out[SHA256_DIGEST_LENGTH])
{
    uint8_t len_be[2];
    uc_wr16(len_be, length_field);
    SHA256_CTX c = key->sha256_inner;
    SHA256_Update(&c, head, 2);
    SHA256_Update(&c, len_be, 2);
    SHA256_Update(&c, head + 4, head_len - 4);
    SHA256_Final(out, &c);
    c = key->sha256_outer;
    SHA256_Update(&c, out, SHA256_DIGEST_LENGTH);
    SHA256_Final(out, &c);
    OPENSSL_cleanse(&c, sizeof c);
}

int uc_stun_check_integrity(const uc_stun_msg *msg, const uc_stun_key *key)
{
    const uc_stun_attr *a = attr_at(msg, msg ? msg->integrity : -1);
    if (a == NULL || key == NULL)
        return UC_ERR_STUN_INTEGRITY;
    uint8_t mac[SHA_DIGEST_LENGTH];
    size_t head = a->offset - 4;
    hmac_sha1(key, msg->data, head, (uint16_t)(a->offset + UC_STUN_INTEGRITY_LEN - UC_STUN_HEADER_LEN),
              mac);
    return CRYPTO_memcmp(mac, msg->data + a->offset, UC_STUN_INTEGRITY_LEN) == 0
               ? UC_OK
               : UC_ERR_STUN_INTEGRITY;
}

int uc_stun_check_integrity_sha256(const uc_stun_msg *msg, const uc_stun_key *key)
{
    const uc_stun_attr *a = attr_at(msg, msg ? msg->integrity_sha256 : -1);
    if (a == NULL || key == NULL)
        return UC_ERR_STUN_INTEGRITY;
    uint8_t mac[SHA256_DIGEST_LENGTH];
    size_t head = a->offset - 4;
    hmac_sha256(key, msg->data, head, (uint16_t)(a->offset + a->length - UC_STUN_HEADER_LEN), mac);
    return CRYPTO_memcmp(mac, msg->data + a->offset, a->length) == 0 ? UC_OK
                                                                      : UC_ERR_STUN_INTEGRITY;
}

static uint32_t fingerprint_of(const uint8_t *buf, size_t len)
{
    /* zlib's crc32 is the CRC-32 of ISO 3309 that RFC 8489 section 14.7 names. */
    return (uint32_t)crc32(0L, buf, (uInt)len) ^ UC_STUN_FINGERPRINT_XOR;
}

int uc_stun_check_fingerprint(const uc_stun_msg *msg)
{
    const uc_stun_attr *a = attr_at(msg, msg ? msg->fingerprint : -1);
    if (a == NULL)
        return UC_ERR_STUN_FINGERPRINT;
    /* Parse made FINGERPRINT the last attribute, so the header length already ends after
     * it, as the CRC requires. */
    uint32_t want = fingerprint_of(msg->data, a->offset - 4);
    return uc_rd32(msg->data + a->offset) == want ? UC_OK : UC_ERR_STUN_FINGERPRINT;
}

/* ---- builder ---- */

static int fail(uc_stun_builder *b, int rc)
{
    b->status = rc;
    return rc;
}

int uc_stun_build_start(uc_stun_builder *b, uint8_t *buf, size_t capacity, uint16_t type,
                        const uint8_t txid[UC_STUN_TXID_LEN])
{
    if (b == NULL)
        return UC_ERR_ARGUMENT;
    b->buf = buf;
    b->capacity = capacity;
    b->length = 0;
    b->status = UC_OK;
    b->sealed = 0;
    if (buf == NULL || txid == NULL || (type & 0xC000) != 0)
        return fail(b, UC_ERR_ARGUMENT);
    if (capacity < UC_STUN_HEADER_LEN)
        return fail(b, UC_ERR_NOSPACE);
    uc_wr16(buf, type);
    uc_wr16(buf + 2, 0);
    uc_wr32(buf + 4, UC_STUN_MAGIC_COOKIE);
    memcpy(buf + 8, txid, UC_STUN_TXID_LEN);
    b->length = UC_STUN_HEADER_LEN;
    return UC_OK;
}

/* Reserve an attribute of `length` value bytes (padding zeroed), keep the header length
 * current; returns a pointer to the value or NULL (b->status says why). */
static uint8_t *reserve(uc_stun_builder *b, uint16_t type, size_t length)
{
    if (b == NULL)
        return NULL;
    if (b->status < 0)
        return NULL;
    if (b->sealed) {
        fail(b, UC_ERR_STATE);
        return NULL;
    }
    size_t padded = (length + 3) & ~(size_t)3;
    if (length > 0xFFFF || b->length - UC_STUN_HEADER_LEN + 4 + padded > 0xFFFF) {
        fail(b, UC_ERR_ARGUMENT);
        return NULL;
    }
    if (b->capacity - b->length < 4 + padded) {
        fail(b, UC_ERR_NOSPACE);
        return NULL;
    }
    uint8_t *p = b->buf + b->length;
    uc_wr16(p, type);
    uc_wr16(p + 2, (uint16_t)length);
    memset(p + 4 + length, 0, padded - length);
    b->length += 4 + padded;
    uc_wr16(b->buf + 2, (uint16_t)(b->length - UC_STUN_HEADER_LEN));
    return p + 4;
}

int uc_stun_add_attr(uc_stun_builder *b, uint16_t type, const uint8_t *value, size_t length)
{
    if (b != NULL && b->status >= 0 && value == NULL && length > 0)
        return fail(b, UC_ERR_ARGUMENT);
    uint8_t *v = reserve(b, type, length);
    if (v == NULL)
        return b ? b->status : UC_ERR_ARGUMENT;
    if (length > 0)
        memcpy(v, value, length);
    return UC_OK;
}

int uc_stun_add_u32(uc_stun_builder *b, uint16_t type, uint32_t value)
{
    uint8_t v[4];
    uc_wr32(v, value);
    return uc_stun_add_attr(b, type, v, 4);
}

int uc_stun_add_u64(uc_stun_builder *b, uint16_t type, uint64_t value)
{
    uint8_t v[8];
    uc_wr32(v, (uint32_t)(value >> 32));
    uc_wr32(v + 4, (uint32_t)value);
    return uc_stun_add_attr(b, type, v, 8);
}

int uc_stun_add_xor_address(uc_stun_builder *b, uint16_t type, const uc_stun_addr *addr)
{
    if (b == NULL)
        return UC_ERR_ARGUMENT;
    if (b->status < 0)
        return b->status;
    if (addr == NULL || (addr->family != 4 && addr->family != 6))
        return fail(b, UC_ERR_ARGUMENT);
    size_t addr_len = addr->family == 4 ? 4 : 16;
    uint8_t v[20], mask[16];
    uc_wr32(mask, UC_STUN_MAGIC_COOKIE);
    memcpy(mask + 4, b->buf + 8, UC_STUN_TXID_LEN);
    v[0] = 0;
    v[1] = addr->family == 4 ? 0x01 : 0x02;
    uc_wr16(v + 2, (uint16_t)(addr->port ^ (UC_STUN_MAGIC_COOKIE >> 16)));
    for (size_t i = 0; i < addr_len; i++)
        v[4 + i] = addr->addr[i] ^ mask[i];
    return uc_stun_add_attr(b, type, v, 4 + addr_len);
}

int uc_stun_add_error_code(uc_stun_builder *b, int code, const char *reason, size_t reason_len)
{
    if (b == NULL)
        return UC_ERR_ARGUMENT;
    if (b->status < 0)
        return b->status;
    if (code < 300 || code > 699 || reason_len > 763 || (reason == NULL && reason_len > 0))
        return fail(b, UC_ERR_ARGUMENT);
    uint8_t *v = reserve(b, UC_STUN_ATTR_ERROR_CODE, 4 + reason_len);
    if (v == NULL)
        return b->status;
    v[0] = v[1] = 0;
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    if (reason_len > 0)
        memcpy(v + 4, reason, reason_len);
    return UC_OK;
}

int uc_stun_add_unknown_attributes(uc_stun_builder *b, const uint16_t *types, size_t count)
{
    if (b == NULL)
        return UC_ERR_ARGUMENT;
    if (b->status < 0)
        return b->status;
    if ((types == NULL && count > 0) || count > 0x7FFF)
        return fail(b, UC_ERR_ARGUMENT);
    uint8_t *v = reserve(b, UC_STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * count);
    if (v == NULL)
        return b->status;
    for (size_t i = 0; i < count; i++)
        uc_wr16(v + 2 * i, types[i]);
    return UC_OK;
}

/* MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 14.5) or MESSAGE-INTEGRITY-SHA256 (14.6): the
 * HMAC covers the message up to the attribute, with the length field already counting it. */
static int add_integrity(uc_stun_builder *b, const uc_stun_key *key, int sha256)
{
    if (b == NULL)
        return UC_ERR_ARGUMENT;
    if (b->status < 0)
        return b->status;
    if (key == NULL)
        return fail(b, UC_ERR_ARGUMENT);
    size_t head = b->length;
    uint16_t type = sha256 ? UC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 : UC_STUN_ATTR_MESSAGE_INTEGRITY;
    size_t mac_len = sha256 ? UC_STUN_INTEGRITY_SHA256_LEN : UC_STUN_INTEGRITY_LEN;
    uint8_t *v = reserve(b, type, mac_len);
    if (v == NULL)
        return b->status;
    uint8_t mac[SHA256_DIGEST_LENGTH];
    uint16_t length = (uint16_t)(b->length - UC_STUN_HEADER_LEN);
    if (sha256)
        hmac_sha256(key, b->buf, head, length, mac);
    else
        hmac_sha1(key, b->buf, head, length, mac);
    memcpy(v, mac, mac_len);
    return UC_OK;
}

int uc_stun_add_integrity(uc_stun_builder *b, const uc_stun_key *key) { return add_integrity(b, key, 0); }

int uc_stun_add_integrity_sha256(uc_stun_builder *b, const uc_stun_key *key) { return add_integrity(b, key, 1); }

int uc_stun_add_fingerprint(uc_stun_builder *b)
{
    if (b == NULL)
        return UC_ERR_ARGUMENT;
    size_t head = b->length;
    uint8_t *v = reserve(b, UC_STUN_ATTR_FINGERPRINT, 4);
    if (v == NULL)
        return b->status;
    uc_wr32(v, fingerprint_of(b->buf, head));
    b->sealed = 1;
    return UC_OK;
}

int uc_stun_build_finish(const uc_stun_builder *b)
{
    if (b == NULL)
        return UC_ERR_ARGUMENT;
    return b->status < 0 ? b->status : (int)b->length;
}

/* ---- addresses ---- */

int uc_stun_addr_from_sockaddr(uc_stun_addr *out, const struct sockaddr *sa, socklen_t sa_len)
{
    if (out == NULL || sa == NULL)
        return UC_ERR_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET && sa_len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        out->family = 4;
        out->port = ntohs(in->sin_port);
        memcpy(out->addr, &in->sin_addr, 4);
        return UC_OK;
    }
    if (sa->sa_family == AF_INET6 && sa_len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        out->family = 6;
        out->port = ntohs(in6->sin6_port);
        memcpy(out->addr, &in6->sin6_addr, 16);
        return UC_OK;
    }
    return UC_ERR_ARGUMENT;
}

int uc_stun_addr_to_sockaddr(const uc_stun_addr *addr, struct sockaddr *out, socklen_t *out_len)
{
    if (addr == NULL || out == NULL || out_len == NULL)
        return UC_ERR_ARGUMENT;
    if (addr->family == 4) {
        if (*out_len < (socklen_t)sizeof(struct sockaddr_in))
            return UC_ERR_NOSPACE;
        struct sockaddr_in in;
        memset(&in, 0, sizeof in);
        in.sin_family = AF_INET;
        in.sin_port = htons(addr->port);
        memcpy(&in.sin_addr, addr->addr, 4);
        memcpy(out, &in, sizeof in);
        *out_len = sizeof in;
        return UC_OK;
    }
    if (addr->family == 6) {
        if (*out_len < (socklen_t)sizeof(struct sockaddr_in6))
            return UC_ERR_NOSPACE;
        struct sockaddr_in6 in6;
        memset(&in6, 0, sizeof in6);
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(addr->port);
        memcpy(&in6.sin6_addr, addr->addr, 16);
        memcpy(out, &in6, sizeof in6);
        *out_len = sizeof in6;
        return UC_OK;
    }
    return UC_ERR_ARGUMENT;
}

int uc_stun_addr_equal(const uc_stun_addr *a, const uc_stun_addr *b)
{
    if (a == NULL || b == NULL || a->family != b->family || a->port != b->port)
        return 0;
    return memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}
