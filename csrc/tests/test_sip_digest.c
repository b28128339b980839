/* csrc/sip_digest.c: hash vectors (FIPS 180-4, RFC 1321), the stateless nonce, every
 * verdict of sip_digest_check in its order, responses fixed by Python's hashlib, and
 * damaged inputs of every length (read under ASan/UBSan by `make test-asan`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_digest.h"
#include "uc_errors.h"

#include "check.h"

#define SECRET "0123456789abcdef-c-test-secret"
#define REALM "example.com"
/* From uc_signal._sipfront.DigestChecker(SECRET, REALM, ...).make_nonce(1000.0, b"saltsalt"),
 * the responses from hashlib: H(HA1:nonce:00000001:abc:auth:H(REGISTER:sip:example.com)). */
#define NONCE "AAAAAAAPQkBzYWx0c2FsdA7Plm8dONl3dkcwMCP_u5A"
#define MD5_HA1 "b1726872c344b6dc8365b774f8fd6412"
#define MD5_RESPONSE "d777939ff15ca72b9d7f079fa1ed3024"
#define SHA256_HA1 "ed8925b20f9a77b8f8f8d5f8e4467fe32b866f7208ab9e4b20595e9821a0fdee"
#define SHA256_RESPONSE "e83a43fe8255b9a50fdd5eb4b5a1872b0124db8e00136a2209a393d81390b033"

static sip_digest_text_t T(const char *s)
{
    sip_digest_text_t t = {s, s ? strlen(s) : 0};
    return t;
}

static void test_hashes(void)
{
    char out[65];
    CHECK(sip_digest_hash_hex(SIP_DIGEST_MD5, "", 0, out, sizeof out) == 32);
    CHECK(strcmp(out, "d41d8cd98f00b204e9800998ecf8427e") == 0);
    CHECK(sip_digest_hash_hex(SIP_DIGEST_SHA256, "abc", 3, out, sizeof out) == 64);
    CHECK(strcmp(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    CHECK(sip_digest_hash_hex(SIP_DIGEST_SHA512_256, "abc", 3, out, sizeof out) == 64);
    CHECK(strcmp(out, "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23") == 0);
    CHECK(sip_digest_hash_hex(7, "abc", 3, out, sizeof out) == UC_ERR_ARGUMENT);
    CHECK(sip_digest_hash_hex(SIP_DIGEST_SHA256, "abc", 3, out, 64) == UC_ERR_ARGUMENT);
}

static void test_algorithm_tokens(void)
{
    sip_digest_text_t absent = {NULL, 0};
    CHECK(sip_digest_algorithm(absent) == SIP_DIGEST_MD5);
    CHECK(sip_digest_algorithm(T("md5")) == SIP_DIGEST_MD5);
    CHECK(sip_digest_algorithm(T("Sha-256")) == SIP_DIGEST_SHA256);
    CHECK(sip_digest_algorithm(T("SHA-512-256")) == SIP_DIGEST_SHA512_256);
    CHECK(sip_digest_algorithm(T("SHA-256-sess")) == 0);
    CHECK(sip_digest_algorithm(T("")) == 0);
}

static void test_nonces(sip_digest_t *d)
{
    char nonce[SIP_DIGEST_NONCE_LEN + 1] = {0};
    double at = -1;
    sip_digest_make_nonce(d, 1000.0, (const uint8_t *)"saltsalt", nonce);
    CHECK(strcmp(nonce, NONCE) == 0);
    CHECK(sip_digest_nonce_issued_at(d, nonce, SIP_DIGEST_NONCE_LEN, &at) == 0 && at == 1000.0);
    /* every character changed, the length changed: refused */
    for (size_t i = 0; i < SIP_DIGEST_NONCE_LEN; i++) {
        char bad[SIP_DIGEST_NONCE_LEN];
        memcpy(bad, nonce, sizeof bad);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        CHECK(sip_digest_nonce_issued_at(d, bad, sizeof bad, &at) == UC_ERR_MALFORMED);
        bad[i] = '=';
        CHECK(sip_digest_nonce_issued_at(d, bad, sizeof bad, &at) == UC_ERR_MALFORMED);
    }
    for (size_t n = 0; n < SIP_DIGEST_NONCE_LEN; n++)
        CHECK(sip_digest_nonce_issued_at(d, nonce, n, &at) == UC_ERR_MALFORMED);
    CHECK(sip_digest_nonce_issued_at(d, NULL, 0, &at) == UC_ERR_MALFORMED);
    /* another realm's nonce (same secret) does not verify here */
    sip_digest_t *other = sip_digest_create((const uint8_t *)SECRET, strlen(SECRET), "other", 5, "", 0,
                                            SIP_DIGEST_MD5, 60.0);
    CHECK(other != NULL);
    CHECK(sip_digest_nonce_issued_at(other, nonce, SIP_DIGEST_NONCE_LEN, &at) == UC_ERR_MALFORMED);
    sip_digest_destroy(other);
}

static sip_digest_credentials_t good(const char *algorithm, const char *response)
{
    sip_digest_credentials_t c;
    c.username = T("alice");
    c.realm = T(REALM);
    c.nonce = T(NONCE);
    c.uri = T("sip:example.com");
    c.response = T(response);
    c.algorithm = T(algorithm);
    c.qop = T("auth");
    c.nc = T("00000001");
    c.cnonce = T("abc");
    c.opaque = T("op");
    return c;
}

static int check(sip_digest_t *d, sip_digest_credentials_t c, const char *ha1, double now)
{
    sip_digest_outcome_t out;
    return sip_digest_check(d, &c, T("REGISTER"), T("sip:example.com"), T(ha1), now, &out);
}

static void test_verdicts(sip_digest_t *d)
{
    sip_digest_outcome_t out;
    sip_digest_credentials_t c = good(NULL, MD5_RESPONSE); /* absent algorithm: MD5 */
    CHECK(sip_digest_check(d, &c, T("REGISTER"), T("sip:example.com"), T(MD5_HA1), 1001.0, &out) == SIP_DIGEST_OK);
    CHECK(out.nc == 1 && out.issued_at == 1000.0 && out.algorithm == SIP_DIGEST_MD5);
    CHECK(check(d, good("SHA-256", SHA256_RESPONSE), SHA256_HA1, 1001.0) == SIP_DIGEST_OK);
    CHECK(check(d, good("sha-256", "E83A43FE8255B9A50FDD5EB4B5A1872B0124DB8E00136A2209A393D81390B033"), SHA256_HA1,
                1001.0) == SIP_DIGEST_OK); /* the response compares case-insensitively */
    /* one damage each, in the order of the checks */
    c = good("MD5", MD5_RESPONSE);
    c.uri.p = NULL;
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_MALFORMED);
    CHECK(check(d, good("SHA-1", MD5_RESPONSE), MD5_HA1, 1001.0) == SIP_DIGEST_MALFORMED);
    c = good("MD5", MD5_RESPONSE);
    c.realm = T("EXAMPLE.COM");
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_REALM_MISMATCH);
    CHECK(check(d, good("SHA-512-256", MD5_RESPONSE), MD5_HA1, 1001.0) == SIP_DIGEST_UNSUPPORTED_ALGORITHM);
    c = good("MD5", MD5_RESPONSE);
    c.qop = T("auth-int");
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_UNSUPPORTED_QOP);
    c.qop = T("AUTH");
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_OK);
    c.qop.p = NULL;
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_UNSUPPORTED_QOP);
    const char *bad_nc[] = {"00000000", "0000001", "000000001", "0000000g", " 0000001", "-0000001", NULL};
    for (int i = 0; bad_nc[i]; i++) {
        c = good("MD5", MD5_RESPONSE);
        c.nc = T(bad_nc[i]);
        CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_MALFORMED);
    }
    c = good("MD5", MD5_RESPONSE);
    c.cnonce.p = NULL;
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_MALFORMED);
    c = good("MD5", MD5_RESPONSE);
    CHECK(sip_digest_check(d, &c, T("REGISTER"), T("sip:other.com"), T(MD5_HA1), 1001.0, &out) ==
          SIP_DIGEST_URI_MISMATCH);
    sip_digest_text_t absent = {NULL, 0};
    CHECK(sip_digest_check(d, &c, T("REGISTER"), absent, T(MD5_HA1), 1001.0, &out) == SIP_DIGEST_OK);
    CHECK(check(d, c, MD5_HA1, 999.0) == SIP_DIGEST_INVALID_NONCE); /* from the future */
    c.nonce = T("AAAAAAAPQkBzYWx0c2FsdA7Plm8dONl3dkcwMCP_u5B");
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_INVALID_NONCE);
    c = good("MD5", MD5_RESPONSE);
    c.opaque = T("oq");
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_OPAQUE_MISMATCH);
    c.opaque.p = NULL;
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_OK); /* opaque may be left out */
    CHECK(check(d, c, NULL, 1001.0) == SIP_DIGEST_UNKNOWN_USER);
    CHECK(check(d, c, SHA256_HA1, 1001.0) == SIP_DIGEST_WRONG_RESPONSE);
    c.response = T("d777939ff15ca72b9d7f079fa1ed302");
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_WRONG_RESPONSE);
    c.response = T("d777939ff15ca72b9d7f079fa1ed30244");
    CHECK(check(d, c, MD5_HA1, 1001.0) == SIP_DIGEST_WRONG_RESPONSE);
    c = good("MD5", MD5_RESPONSE);
    CHECK(check(d, c, MD5_HA1, 1060.0) == SIP_DIGEST_OK);
    CHECK(check(d, c, MD5_HA1, 1060.5) == SIP_DIGEST_STALE_NONCE);
    /* stale only for a correct digest */
    c.response = T(SHA256_RESPONSE);
    CHECK(check(d, c, MD5_HA1, 1060.5) == SIP_DIGEST_WRONG_RESPONSE);
}

/* Every field cut to every length and filled with every byte class: never a read past a
 * span (ASan), never OK. */
static void test_damaged_fields(sip_digest_t *d)
{
    static const char junk[] = "\"\\\x00\xff\r\n =,AAAAAAAPQkBzYWx0c2FsdA7Plm8dONl3dkcwMCP_u5A";
    for (int field = 0; field < 10; field++) {
        for (size_t n = 0; n < sizeof junk; n++) {
            char *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees a read past them */
            memcpy(copy, junk, n);
            sip_digest_credentials_t c = good("MD5", MD5_RESPONSE);
            sip_digest_text_t *fields[] = {&c.username, &c.realm, &c.nonce, &c.uri, &c.response,
                                           &c.algorithm, &c.qop, &c.nc, &c.cnonce, &c.opaque};
            fields[field]->p = copy;
            fields[field]->n = n;
            sip_digest_outcome_t out;
            int verdict = sip_digest_check(d, &c, T("REGISTER"), T("sip:example.com"), T(MD5_HA1), 1001.0, &out);
            CHECK(verdict >= SIP_DIGEST_OK && verdict <= SIP_DIGEST_STALE_NONCE);
            CHECK(verdict != SIP_DIGEST_OK || field == 0 || field == 8); /* user, cnonce: in the hash only */
            free(copy);
        }
    }
}

static void test_bad_set_up(void)
{
    const uint8_t *s = (const uint8_t *)SECRET;
    CHECK(sip_digest_create(s, 15, REALM, 11, "", 0, SIP_DIGEST_MD5, 1) == NULL);
    CHECK(sip_digest_create(s, strlen(SECRET), REALM, 11, "", 0, 0, 1) == NULL);
    CHECK(sip_digest_create(s, strlen(SECRET), REALM, 11, "", 0, 8, 1) == NULL);
    CHECK(sip_digest_create(s, strlen(SECRET), REALM, SIP_DIGEST_MAX_REALM + 1, "", 0, 1, 1) == NULL);
    sip_digest_destroy(NULL);
}

int main(void)
{
    test_hashes();
    test_algorithm_tokens();
    sip_digest_t *d = sip_digest_create((const uint8_t *)SECRET, strlen(SECRET), REALM, strlen(REALM), "op", 2,
                                        SIP_DIGEST_MD5 | SIP_DIGEST_SHA256, 60.0);
    CHECK(d != NULL);
    if (d != NULL) {
        test_nonces(d);
        test_verdicts(d);
        test_damaged_fields(d);
        sip_digest_destroy(d);
    }
    test_bad_set_up();
    return check_finish("test_sip_digest");
}
