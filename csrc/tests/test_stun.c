/* C-level tests of csrc/stun.c and csrc/ice_lite.c: the RFC 5769 test vectors (parse,
 * MESSAGE-INTEGRITY, FINGERPRINT, XOR-MAPPED-ADDRESS, byte-exact rebuild), every
 * truncation of them, attribute bounds, the builder's capacity rule, and the ICE-lite
 * responder's answers (success, 400, 401, 420, 487), nomination and consent expiry.
 * Exits non-zero if any check failed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice_lite.h"
#include "stun.h"
#include "uc_errors.h"

#include "check.h"

/* RFC 5769 section 2.1-2.3; password "VOkJxbRl1RmTxUk/WvJxBt". */
static const char PASSWORD[] = "VOkJxbRl1RmTxUk/WvJxBt";

static const uint8_t REQUEST[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74,
    0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e,
    0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20,
    0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
    0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5,
    0x7a, 0x3b, 0xcf};

static const uint8_t RESPONSE_V4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
    0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
    0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
    0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

static const uint8_t RESPONSE_V6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
    0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
    0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6,
    0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

static uc_stun_key *key_of(const char *password)
{
    uc_stun_key *key = NULL;
    CHECK(uc_stun_key_create(&key, (const uint8_t *)password, strlen(password)) == UC_OK);
    return key;
}

/* Parse a copy in an exactly sized heap block, so ASan flags any read past the end. */
static int parse_exact(uc_stun_msg *msg, const uint8_t *buf, size_t len, uint8_t **copy)
{
    *copy = malloc(len ? len : 1);
    memcpy(*copy, buf, len);
    return uc_stun_parse(msg, *copy, len);
}

/* Rebuild a parsed message attribute by attribute; integrity and fingerprint recomputed. */
static int rebuild(const uc_stun_msg *msg, const uc_stun_key *key, uint8_t *out, size_t cap)
{
    uc_stun_builder b;
    uc_stun_build_start(&b, out, cap, msg->type, msg->txid);
    for (int i = 0; i < msg->n_attrs; i++) {
        const uc_stun_attr *a = &msg->attrs[i];
        if (a->type == UC_STUN_ATTR_MESSAGE_INTEGRITY)
            uc_stun_add_integrity(&b, key);
        else if (a->type == UC_STUN_ATTR_FINGERPRINT)
            uc_stun_add_fingerprint(&b);
        else
            uc_stun_add_attr(&b, a->type, msg->data + a->offset, a->length);
    }
    return uc_stun_build_finish(&b);
}

static void test_rfc5769_request(void)
{
    uc_stun_key *key = key_of(PASSWORD);
    uc_stun_msg msg;
    uint8_t *copy;
    CHECK(parse_exact(&msg, REQUEST, sizeof REQUEST, &copy) == UC_OK);
    CHECK(msg.method == UC_STUN_BINDING && msg.msg_class == UC_STUN_REQUEST);
    CHECK(msg.type == uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST));
    CHECK(msg.n_attrs == 6);
    CHECK(uc_stun_check_fingerprint(&msg) == UC_OK);
    CHECK(uc_stun_check_integrity(&msg, key) == UC_OK);
    CHECK(uc_stun_check_integrity_sha256(&msg, key) == UC_ERR_STUN_INTEGRITY); /* absent */
    int u = uc_stun_find(&msg, UC_STUN_ATTR_USERNAME);
    CHECK(u == 3 && msg.attrs[u].length == 9);
    CHECK(memcmp(uc_stun_attr_value(&msg, u), "evtj:h6vY", 9) == 0);
    uint32_t prio;
    CHECK(uc_stun_read_u32(&msg, uc_stun_find(&msg, UC_STUN_ATTR_PRIORITY), &prio) == UC_OK);
    CHECK(prio == 0x6e0001ff);
    uint64_t tie;
    CHECK(uc_stun_read_u64(&msg, uc_stun_find(&msg, UC_STUN_ATTR_ICE_CONTROLLED), &tie) == UC_OK);
    CHECK(tie == 0x932ff9b151263b36ULL);
    CHECK(uc_stun_unknown_required(&msg, NULL, 0) == 0);
    CHECK(uc_stun_is_stun(REQUEST, sizeof REQUEST) == 1);

    /* Wrong password. */
    uc_stun_key *other = key_of("VOkJxbRl1RmTxUk/WvJxBu");
    CHECK(uc_stun_check_integrity(&msg, other) == UC_ERR_STUN_INTEGRITY);
    uc_stun_key_destroy(other);

    /* Rebuild: identical except the USERNAME padding (the RFC pads with spaces, we with
     * zeros), and integrity and fingerprint (computed over that padding) verify. */
    uint8_t out[256];
    int n = rebuild(&msg, key, out, sizeof out);
    CHECK(n == (int)sizeof REQUEST);
    uc_stun_msg again;
    CHECK(uc_stun_parse(&again, out, (size_t)n) == UC_OK);
    CHECK(uc_stun_check_integrity(&again, key) == UC_OK);
    CHECK(uc_stun_check_fingerprint(&again) == UC_OK);
    CHECK(memcmp(out, REQUEST, 73) == 0); /* up to the USERNAME padding */

    /* Each bit flip is caught by FINGERPRINT (or by parse). */
    for (size_t i = 0; i < sizeof REQUEST; i++) {
        copy[i] ^= 0x10;
        if (uc_stun_parse(&again, copy, sizeof REQUEST) == UC_OK)
            CHECK(uc_stun_check_fingerprint(&again) == UC_ERR_STUN_FINGERPRINT ||
                  uc_stun_check_integrity(&again, key) == UC_ERR_STUN_INTEGRITY);
        copy[i] ^= 0x10;
    }
    free(copy);
    uc_stun_key_destroy(key);
}

static void test_rfc5769_responses(void)
{
    uc_stun_key *key = key_of(PASSWORD);
    const uint8_t *vectors[2] = {RESPONSE_V4, RESPONSE_V6};
    const size_t lens[2] = {sizeof RESPONSE_V4, sizeof RESPONSE_V6};
    for (int v = 0; v < 2; v++) {
        uc_stun_msg msg;
        uint8_t *copy;
        CHECK(parse_exact(&msg, vectors[v], lens[v], &copy) == UC_OK);
        CHECK(msg.method == UC_STUN_BINDING && msg.msg_class == UC_STUN_SUCCESS);
        CHECK(uc_stun_check_fingerprint(&msg) == UC_OK);
        CHECK(uc_stun_check_integrity(&msg, key) == UC_OK);
        uc_stun_addr addr;
        CHECK(uc_stun_read_xor_address(&msg, uc_stun_find(&msg, UC_STUN_ATTR_XOR_MAPPED_ADDRESS),
                                       &addr) == UC_OK);
        CHECK(addr.port == 32853);
        if (v == 0) {
            static const uint8_t ip[4] = {192, 0, 2, 1};
            CHECK(addr.family == 4 && memcmp(addr.addr, ip, 4) == 0);
        } else {
            static const uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                           0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
            CHECK(addr.family == 6 && memcmp(addr.addr, ip, 16) == 0);
        }
        /* Byte-exact rebuild from typed values: SOFTWARE (its padding is a space in the
         * RFC, so copied raw), XOR-MAPPED-ADDRESS from the decoded address, then
         * MESSAGE-INTEGRITY and FINGERPRINT computed. */
        uint8_t out[128];
        uc_stun_builder b;
        uc_stun_build_start(&b, out, sizeof out, msg.type, msg.txid);
        uc_stun_add_attr(&b, UC_STUN_ATTR_SOFTWARE, (const uint8_t *)"test vector ", 12);
        out[22 + 1] = 0x0b; /* SOFTWARE length 11, as in the RFC */
        uc_stun_add_xor_address(&b, UC_STUN_ATTR_XOR_MAPPED_ADDRESS, &addr);
        uc_stun_add_integrity(&b, key);
        uc_stun_add_fingerprint(&b);
        CHECK(uc_stun_build_finish(&b) == (int)lens[v]);
        CHECK(memcmp(out, vectors[v], lens[v]) == 0);
        free(copy);
    }
    uc_stun_key_destroy(key);
}

static void test_truncation_and_bounds(void)
{
    uc_stun_msg msg;
    uint8_t *copy;
    /* Every prefix: truncated or malformed, never out of bounds (ASan watches). */
    for (size_t len = 0; len < sizeof REQUEST; len++) {
        int rc = parse_exact(&msg, REQUEST, len, &copy);
        CHECK(rc == UC_ERR_TRUNCATED || rc == UC_ERR_MALFORMED);
        free(copy);
    }
    uint8_t m[sizeof REQUEST];
    memcpy(m, REQUEST, sizeof m);
    m[62] = 0x01; /* USERNAME length 0x0109: past the end */
    CHECK(parse_exact(&msg, m, sizeof m, &copy) == UC_ERR_MALFORMED);
    free(copy);
    memcpy(m, REQUEST, sizeof m);
    m[7] ^= 1; /* cookie */
    CHECK(parse_exact(&msg, m, sizeof m, &copy) == UC_ERR_MALFORMED);
    CHECK(uc_stun_is_stun(m, sizeof m) == 0);
    free(copy);
    memcpy(m, REQUEST, sizeof m);
    m[0] = 0x40; /* top bits */
    CHECK(parse_exact(&msg, m, sizeof m, &copy) == UC_ERR_MALFORMED);
    free(copy);
    memcpy(m, REQUEST, sizeof m);
    m[3] = 0x57; /* length not a multiple of 4 */
    CHECK(parse_exact(&msg, m, sizeof m, &copy) == UC_ERR_MALFORMED);
    free(copy);
    /* A datagram longer than the message. */
    uint8_t longer[sizeof REQUEST + 4] = {0};
    memcpy(longer, REQUEST, sizeof REQUEST);
    CHECK(parse_exact(&msg, longer, sizeof longer, &copy) == UC_ERR_MALFORMED);
    free(copy);

    /* Order rules: an attribute after FINGERPRINT, a SOFTWARE after MESSAGE-INTEGRITY. */
    uint8_t buf[256];
    uc_stun_builder b;
    uint8_t txid[12] = {1, 2, 3};
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    uc_stun_add_fingerprint(&b);
    CHECK(uc_stun_add_u32(&b, UC_STUN_ATTR_PRIORITY, 1) == UC_ERR_STATE);
    CHECK(uc_stun_build_finish(&b) == UC_ERR_STATE);
    /* Hand-made: FINGERPRINT then PRIORITY. */
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    uc_stun_add_u32(&b, UC_STUN_ATTR_FINGERPRINT, 0);
    uc_stun_add_u32(&b, UC_STUN_ATTR_PRIORITY, 1);
    CHECK(uc_stun_parse(&msg, buf, (size_t)uc_stun_build_finish(&b)) == UC_ERR_MALFORMED);
    uc_stun_key *key = key_of("pass");
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    uc_stun_add_integrity(&b, key);
    uc_stun_add_attr(&b, UC_STUN_ATTR_SOFTWARE, (const uint8_t *)"x", 1);
    CHECK(uc_stun_parse(&msg, buf, (size_t)uc_stun_build_finish(&b)) == UC_ERR_MALFORMED);
    /* MESSAGE-INTEGRITY of the wrong size. */
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    uc_stun_add_attr(&b, UC_STUN_ATTR_MESSAGE_INTEGRITY, buf, 16);
    CHECK(uc_stun_parse(&msg, buf, (size_t)uc_stun_build_finish(&b)) == UC_ERR_MALFORMED);
    /* Too many attributes. */
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    for (int i = 0; i <= UC_STUN_MAX_ATTRS; i++)
        uc_stun_add_attr(&b, UC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
    CHECK(uc_stun_parse(&msg, buf, (size_t)uc_stun_build_finish(&b)) == UC_ERR_UNSUPPORTED);
    /* Both integrity attributes and a fingerprint, then unknown required attributes. */
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    uc_stun_add_attr(&b, 0x7777, (const uint8_t *)"abc", 3);
    uc_stun_add_attr(&b, 0x8777, (const uint8_t *)"abc", 3);
    uc_stun_add_integrity(&b, key);
    uc_stun_add_integrity_sha256(&b, key);
    uc_stun_add_fingerprint(&b);
    int n = uc_stun_build_finish(&b);
    CHECK(n == 20 + 8 + 8 + 24 + 36 + 8);
    CHECK(uc_stun_parse(&msg, buf, (size_t)n) == UC_OK);
    CHECK(uc_stun_check_integrity(&msg, key) == UC_OK);
    CHECK(uc_stun_check_integrity_sha256(&msg, key) == UC_OK);
    CHECK(uc_stun_check_fingerprint(&msg) == UC_OK);
    uint16_t unknown[4];
    CHECK(uc_stun_unknown_required(&msg, unknown, 4) == 1 && unknown[0] == 0x7777);
    uc_stun_key_destroy(key);

    /* Builder capacity: every capacity below the message fails with NOSPACE, never
     * writing past it (ASan: exactly sized heap buffer). */
    for (size_t cap = 0; cap < 60; cap++) {
        uint8_t *small = malloc(cap ? cap : 1);
        uc_stun_build_start(&b, small, cap, uc_stun_type(UC_STUN_BINDING, UC_STUN_SUCCESS), txid);
        uc_stun_addr a = {.family = 4, .port = 1234, .addr = {127, 0, 0, 1}};
        uc_stun_add_xor_address(&b, UC_STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
        uc_stun_add_error_code(&b, 401, "Unauthorized", 12);
        uc_stun_add_fingerprint(&b);
        n = uc_stun_build_finish(&b);
        CHECK(n == UC_ERR_NOSPACE || (n == 60 && cap >= 60));
        free(small);
    }
}

static void test_readers(void)
{
    uint8_t buf[256];
    uint8_t txid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
    uc_stun_builder b;
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_ERROR), txid);
    uc_stun_add_error_code(&b, 487, "Role Conflict", 13);
    uint16_t types[3] = {0x0031, 0x7f00, 0x0002};
    uc_stun_add_unknown_attributes(&b, types, 3);
    uc_stun_add_u64(&b, UC_STUN_ATTR_ICE_CONTROLLING, 0x0102030405060708ULL);
    uc_stun_add_attr(&b, UC_STUN_ATTR_PRIORITY, (const uint8_t *)"abc", 3); /* bad size */
    int n = uc_stun_build_finish(&b);
    CHECK(n > 0);
    uc_stun_msg msg;
    CHECK(uc_stun_parse(&msg, buf, (size_t)n) == UC_OK);
    CHECK(msg.msg_class == UC_STUN_ERROR && msg.method == UC_STUN_BINDING);
    int code;
    const uint8_t *reason;
    size_t reason_len;
    CHECK(uc_stun_read_error_code(&msg, 0, &code, &reason, &reason_len) == UC_OK);
    CHECK(code == 487 && reason_len == 13 && memcmp(reason, "Role Conflict", 13) == 0);
    uint16_t got[2];
    size_t count;
    CHECK(uc_stun_read_unknown_attributes(&msg, 1, got, 2, &count) == UC_OK);
    CHECK(count == 3 && got[0] == 0x0031 && got[1] == 0x7f00);
    uint64_t tie;
    CHECK(uc_stun_read_u64(&msg, 2, &tie) == UC_OK && tie == 0x0102030405060708ULL);
    uint32_t prio;
    CHECK(uc_stun_read_u32(&msg, 3, &prio) == UC_ERR_MALFORMED);
    CHECK(uc_stun_read_u32(&msg, 4, &prio) == UC_ERR_ARGUMENT);
    CHECK(uc_stun_read_u32(&msg, -1, &prio) == UC_ERR_ARGUMENT);
    uc_stun_addr addr;
    CHECK(uc_stun_read_xor_address(&msg, 2, &addr) == UC_ERR_MALFORMED);
    CHECK(uc_stun_read_error_code(&msg, 1, &code, &reason, &reason_len) == UC_ERR_MALFORMED);
    CHECK(uc_stun_add_error_code(&b, 700, "x", 1) == UC_ERR_ARGUMENT);

    /* Method and class bits interleave (RFC 8489 figure 3). */
    CHECK(uc_stun_type(UC_STUN_BINDING, UC_STUN_SUCCESS) == 0x0101);
    CHECK(uc_stun_type(UC_STUN_BINDING, UC_STUN_ERROR) == 0x0111);
    CHECK(uc_stun_type(UC_STUN_BINDING, UC_STUN_INDICATION) == 0x0011);
    for (unsigned m = 0; m < 0x1000; m += 0x111)
        CHECK(uc_stun_type_method(uc_stun_type(m, UC_STUN_ERROR)) == m);

    /* Long passwords are hashed first (RFC 2104); the key still verifies what it signs. */
    char longpw[200];
    memset(longpw, 'p', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = 0;
    uc_stun_key *key = key_of(longpw);
    uc_stun_build_start(&b, buf, sizeof buf, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    uc_stun_add_integrity(&b, key);
    n = uc_stun_build_finish(&b);
    CHECK(uc_stun_parse(&msg, buf, (size_t)n) == UC_OK && uc_stun_check_integrity(&msg, key) == UC_OK);
    uc_stun_key_destroy(key);
}

/* ---- ICE-lite ---- */

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

/* A check as a full controlling agent sends it. */
static size_t make_check(uint8_t *buf, size_t cap, const char *username, const char *pwd,
                         uint32_t priority, int use_candidate, int controlled, uint8_t seq)
{
    uint8_t txid[12] = {0xab, seq};
    uc_stun_key *key = key_of(pwd);
    uc_stun_builder b;
    uc_stun_build_start(&b, buf, cap, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
    uc_stun_add_attr(&b, UC_STUN_ATTR_USERNAME, (const uint8_t *)username, strlen(username));
    if (priority)
        uc_stun_add_u32(&b, UC_STUN_ATTR_PRIORITY, priority);
    uc_stun_add_u64(&b, controlled ? UC_STUN_ATTR_ICE_CONTROLLED : UC_STUN_ATTR_ICE_CONTROLLING, 42);
    if (use_candidate)
        uc_stun_add_attr(&b, UC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
    uc_stun_add_integrity(&b, key);
    uc_stun_add_fingerprint(&b);
    uc_stun_key_destroy(key);
    int n = uc_stun_build_finish(&b);
    CHECK(n > 0);
    return (size_t)n;
}

/* Error code of a response, or 0 for a success, -1 if it does not parse. */
static int response_code(const uint8_t *buf, int len, const char *pwd, int expect_integrity)
{
    uc_stun_msg msg;
    if (len <= 0 || uc_stun_parse(&msg, buf, (size_t)len) != UC_OK)
        return -1;
    CHECK(uc_stun_check_fingerprint(&msg) == UC_OK);
    uc_stun_key *key = key_of(pwd);
    CHECK((uc_stun_check_integrity(&msg, key) == UC_OK) == expect_integrity);
    uc_stun_key_destroy(key);
    if (msg.msg_class == UC_STUN_SUCCESS)
        return 0;
    int code = -1;
    const uint8_t *reason;
    size_t rl;
    CHECK(uc_stun_read_error_code(&msg, uc_stun_find(&msg, UC_STUN_ATTR_ERROR_CODE), &code, &reason,
                                  &rl) == UC_OK);
    return code;
}

static void test_ice_lite(void)
{
    const char *lu = "LOCAL1", *lp = "localpasswordlocalpassword", *ru = "REM2",
               *rp = "remotepasswordremotepassword";
    uc_ice_lite *ice = NULL;
    CHECK(uc_ice_lite_create(&ice, "a:b", 3, lp, strlen(lp), NULL, 0, NULL, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_ice_lite_create(&ice, lu, strlen(lu), lp, strlen(lp), ru, strlen(ru), rp, strlen(rp)) ==
          UC_OK);
    struct sockaddr_in src = v4("192.0.2.7", 40000), src2 = v4("192.0.2.7", 40002);
    uint8_t req[256], out[UC_ICE_LITE_MAX_RESPONSE];
    unsigned ev;
    size_t n;
    int r;

    CHECK(uc_ice_lite_state(ice, 0) == UC_ICE_LITE_WAITING);
    CHECK(uc_ice_lite_consent_expired(ice, 100000) == 0);

    /* A check without USE-CANDIDATE: success, XOR-MAPPED-ADDRESS = source, no selection. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 1000, 0, 0, 1);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 1000, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 1) == 0);
    CHECK(ev == UC_ICE_LITE_EV_CHECK);
    uc_stun_msg msg;
    uc_stun_addr mapped;
    CHECK(uc_stun_parse(&msg, out, (size_t)r) == UC_OK);
    CHECK(memcmp(msg.txid, req + 8, 12) == 0);
    CHECK(uc_stun_read_xor_address(&msg, uc_stun_find(&msg, UC_STUN_ATTR_XOR_MAPPED_ADDRESS), &mapped) ==
          UC_OK);
    CHECK(mapped.family == 4 && mapped.port == 40000 && mapped.addr[0] == 192 && mapped.addr[3] == 7);
    CHECK(uc_ice_lite_state(ice, 1000) == UC_ICE_LITE_WAITING);

    /* USE-CANDIDATE selects the pair. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 1000, 1, 0, 2);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 2000, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 1) == 0);
    CHECK(ev == (UC_ICE_LITE_EV_CHECK | UC_ICE_LITE_EV_SELECTED));
    struct sockaddr_storage sel;
    socklen_t sel_len = sizeof sel;
    CHECK(uc_ice_lite_selected(ice, (struct sockaddr *)&sel, &sel_len) == 1);
    CHECK(sel_len == sizeof(struct sockaddr_in) && memcmp(&sel, &src, sizeof src) == 0);
    CHECK(uc_ice_lite_state(ice, 2000) == UC_ICE_LITE_CONNECTED);
    /* Repeated nomination of the same pair: no change event. */
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 2500, out, sizeof out, &ev);
    CHECK(ev == UC_ICE_LITE_EV_CHECK);
    /* A lower-priority nomination does not displace a fresh selected pair. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 999, 1, 0, 3);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src2, sizeof src2, 3000, out, sizeof out, &ev);
    CHECK(ev == UC_ICE_LITE_EV_CHECK);
    sel_len = sizeof sel;
    CHECK(uc_ice_lite_selected(ice, (struct sockaddr *)&sel, &sel_len) == 1 &&
          memcmp(&sel, &src, sizeof src) == 0);

    /* Consent: 30 s after the last valid check on the selected pair (2500). */
    CHECK(uc_ice_lite_last_check(ice) == 2500);
    CHECK(uc_ice_lite_consent_expired(ice, 2500 + 29999) == 0);
    CHECK(uc_ice_lite_consent_expired(ice, 2500 + 30000) == 1);
    CHECK(uc_ice_lite_state(ice, 2500 + 30000) == UC_ICE_LITE_EXPIRED);
    /* The lower-priority pair may take over once the selected one lost consent. */
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src2, sizeof src2, 40000, out, sizeof out, &ev);
    CHECK(ev == (UC_ICE_LITE_EV_CHECK | UC_ICE_LITE_EV_SELECTED));
    CHECK(uc_ice_lite_consent_expired(ice, 40000) == 0);

    /* 401: wrong password (no integrity in the answer), wrong usernames. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", "wrongpasswordwrongpassword", 1000, 1, 0, 4);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 41000, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 0) == 401 && ev == UC_ICE_LITE_EV_REJECTED);
    const char *bad_users[] = {"LOCAL2:REM2", "LOCAL1:REM3", "LOCAL1", "LOCAL1:", "REM2:LOCAL1",
                               "LOCAL1:REM2x"};
    for (size_t i = 0; i < sizeof bad_users / sizeof *bad_users; i++) {
        n = make_check(req, sizeof req, bad_users[i], lp, 1000, 1, 0, 5);
        r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 41000, out,
                               sizeof out, &ev);
        CHECK(response_code(out, r, lp, 0) == 401);
    }
    /* 487: the peer claims the controlled role too. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 1000, 0, 1, 6);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 41000, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 1) == 487);
    /* 400: no PRIORITY. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 0, 0, 0, 7);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 41000, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 1) == 400);
    /* Bad fingerprint: dropped silently. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 1000, 0, 0, 8);
    req[n - 1] ^= 1;
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 41000, out, sizeof out, &ev);
    CHECK(r == 0 && ev == UC_ICE_LITE_EV_DROPPED);
    /* Garbage and a response: dropped. */
    r = uc_ice_lite_handle(ice, (const uint8_t *)"\x80\x00garbage", 9, (struct sockaddr *)&src,
                           sizeof src, 41000, out, sizeof out, &ev);
    CHECK(r == 0 && ev == UC_ICE_LITE_EV_DROPPED);
    r = uc_ice_lite_handle(ice, RESPONSE_V4, sizeof RESPONSE_V4, (struct sockaddr *)&src, sizeof src,
                           41000, out, sizeof out, &ev);
    CHECK(r == 0 && ev == UC_ICE_LITE_EV_DROPPED);
    /* The RFC 5769 request has no PRIORITY problem but another user: 401. */
    r = uc_ice_lite_handle(ice, REQUEST, sizeof REQUEST, (struct sockaddr *)&src, sizeof src, 41000,
                           out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 0) == 401);
    /* Output too small. */
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 1000, 0, 0, 9);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 41000, out, 40, &ev);
    CHECK(r == UC_ERR_NOSPACE);

    uc_ice_lite_counters c;
    uc_ice_lite_get_counters(ice, &c);
    CHECK(c.success == 5 && c.bad_integrity == 1 && c.unknown_user == 7 && c.role_conflict == 1);
    CHECK(c.bad_request == 1 && c.bad_fingerprint == 1 && c.malformed == 1 && c.ignored == 1);
    uc_ice_lite_destroy(ice);

    /* Remote credentials unknown (we offered, no answer yet): any remote fragment. */
    CHECK(uc_ice_lite_create(&ice, lu, strlen(lu), lp, strlen(lp), NULL, 0, NULL, 0) == UC_OK);
    n = make_check(req, sizeof req, "LOCAL1:whoever", lp, 1000, 0, 0, 10);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 0, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 1) == 0);
    CHECK(uc_ice_lite_set_remote(ice, ru, strlen(ru), rp, strlen(rp)) == UC_OK);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&src, sizeof src, 0, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 0) == 401);
    /* IPv6 source. */
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(5000);
    inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
    n = make_check(req, sizeof req, "LOCAL1:REM2", lp, 1000, 1, 0, 11);
    r = uc_ice_lite_handle(ice, req, n, (struct sockaddr *)&s6, sizeof s6, 0, out, sizeof out, &ev);
    CHECK(response_code(out, r, lp, 1) == 0 && (ev & UC_ICE_LITE_EV_SELECTED));
    sel_len = sizeof sel;
    CHECK(uc_ice_lite_selected(ice, (struct sockaddr *)&sel, &sel_len) == 1 &&
          sel_len == sizeof s6 && memcmp(&sel, &s6, sizeof s6) == 0);
    uc_ice_lite_destroy(ice);
}

int main(void)
{
    test_rfc5769_request();
    test_rfc5769_responses();
    test_truncation_and_bounds();
    test_readers();
    test_ice_lite();
    return check_finish("test_stun");
}
