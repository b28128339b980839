/* Digest credentials checked in C (see sip_digest.h for what and why). */

/* The low-level MD5_* / SHA256_* / SHA512_* functions are deprecated in OpenSSL 3.0, hence
 * the 1.1.1 API level: EVP_MD_CTX allocates on every use there, a stack MD5_CTX /
 * SHA256_CTX / SHA512_CTX does not (the reasoning of csrc/stun.c and csrc/sip_front.c). */
#define OPENSSL_API_COMPAT 10101

#include "sip_digest.h"

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "sip_nonce.h"
#include "uc_errors.h"

#define MAX_HEX 64 /* SHA-256 and SHA-512/256: 32 bytes */

struct sip_digest {
    sip_nonce_key_t nonce_key;
    char realm[SIP_DIGEST_MAX_REALM];
    size_t realm_len;
    char opaque[SIP_DIGEST_MAX_OPAQUE];
    size_t opaque_len;
    unsigned algorithms;
    double lifetime;
};

/* ---- one hash over three algorithms, on the stack ---- */

typedef struct {
    unsigned algorithm;
    union {
        MD5_CTX md5;
        SHA256_CTX sha256;
        SHA512_CTX sha512;
    } c;
} hash_t;

/* SHA-512/256's initial hash value (FIPS 180-4 section 5.3.6.2): SHA-512's compression
 * with these eight words and the output cut to 32 bytes (OpenSSL's SHA512_Final honours
 * md_len 32, as its own SHA-512/256 does). */
static const uint64_t SHA512_256_IV[8] = {
    0x22312194FC2BF72Cull, 0x9F555FA3C84C64C2ull, 0x2393B86B6F53B151ull, 0x963877195940EABDull,
    0x96283EE2A88EFFE3ull, 0xBE5E1E2553863992ull, 0x2B0199FC2C85B8AAull, 0x0EB72DDC81C52CA2ull,
};

static int hash_init(hash_t *h, unsigned algorithm)
{
    h->algorithm = algorithm;
    switch (algorithm) {
    case SIP_DIGEST_MD5:
        return MD5_Init(&h->c.md5) == 1 ? 0 : UC_ERR_ARGUMENT;
    case SIP_DIGEST_SHA256:
        return SHA256_Init(&h->c.sha256) == 1 ? 0 : UC_ERR_ARGUMENT;
    case SIP_DIGEST_SHA512_256:
        if (SHA512_Init(&h->c.sha512) != 1)
            return UC_ERR_ARGUMENT;
        for (int i = 0; i < 8; i++)
            h->c.sha512.h[i] = SHA512_256_IV[i];
        h->c.sha512.md_len = 32;
        return 0;
    default:
        return UC_ERR_ARGUMENT;
    }
}

static void hash_update(hash_t *h, const void *data, size_t len)
{
    if (len == 0)
        return;
    switch (h->algorithm) {
    case SIP_DIGEST_MD5:
        MD5_Update(&h->c.md5, data, len);
        break;
    case SIP_DIGEST_SHA256:
        SHA256_Update(&h->c.sha256, data, len);
        break;
    default:
        SHA512_Update(&h->c.sha512, data, len);
        break;
    }
}

static const char HEX[] = "0123456789abcdef";

/* Finish as lower-case hex into out[0..2 * size); returns the hex length. */
static size_t hash_final_hex(hash_t *h, char out[MAX_HEX])
{
    uint8_t md[64];
    size_t n;
    switch (h->algorithm) {
    case SIP_DIGEST_MD5:
        MD5_Final(md, &h->c.md5);
        n = MD5_DIGEST_LENGTH;
        break;
    case SIP_DIGEST_SHA256:
        SHA256_Final(md, &h->c.sha256);
        n = SHA256_DIGEST_LENGTH;
        break;
    default:
        SHA512_Final(md, &h->c.sha512);
        n = 32;
        break;
    }
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[md[i] >> 4];
        out[2 * i + 1] = HEX[md[i] & 15];
    }
    OPENSSL_cleanse(h, sizeof *h);
    return 2 * n;
}

int sip_digest_hash_hex(unsigned algorithm, const void *data, size_t len, char *out, size_t out_cap)
{
    hash_t h;
    char hex[MAX_HEX];
    if (hash_init(&h, algorithm) < 0)
        return UC_ERR_ARGUMENT;
    hash_update(&h, data, len);
    size_t n = hash_final_hex(&h, hex);
    if (out_cap < n + 1)
        return UC_ERR_ARGUMENT;
    memcpy(out, hex, n);
    out[n] = '\0';
    return (int)n;
}

/* ---- set-up ---- */

sip_digest_t *sip_digest_create(const uint8_t *secret, size_t secret_len, const char *realm, size_t realm_len,
                                const char *opaque, size_t opaque_len, unsigned algorithms,
                                double nonce_lifetime)
{
    const unsigned known = SIP_DIGEST_MD5 | SIP_DIGEST_SHA256 | SIP_DIGEST_SHA512_256;
    if (secret == NULL || secret_len < 16 || realm_len > SIP_DIGEST_MAX_REALM ||
        opaque_len > SIP_DIGEST_MAX_OPAQUE || algorithms == 0 || (algorithms & ~known) != 0 ||
        (realm_len > 0 && realm == NULL) || (opaque_len > 0 && opaque == NULL))
        return NULL;
    sip_digest_t *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    sip_nonce_key_init(&d->nonce_key, secret, secret_len);
    if (realm_len > 0)
        memcpy(d->realm, realm, realm_len);
    d->realm_len = realm_len;
    if (opaque_len > 0)
        memcpy(d->opaque, opaque, opaque_len);
    d->opaque_len = opaque_len;
    d->algorithms = algorithms;
    d->lifetime = nonce_lifetime;
    return d;
}

void sip_digest_destroy(sip_digest_t *digest)
{
    if (digest == NULL)
        return;
    OPENSSL_cleanse(digest, sizeof *digest);
    free(digest);
}

/* ---- small helpers ---- */

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int equal_nocase(sip_digest_text_t t, const char *text)
{
    size_t n = strlen(text);
    if (t.p == NULL || t.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)t.p[i]) != (unsigned char)text[i])
            return 0;
    return 1;
}

static int equal(sip_digest_text_t t, const char *p, size_t n)
{
    return t.p != NULL && t.n == n && (n == 0 || memcmp(t.p, p, n) == 0);
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

unsigned sip_digest_algorithm(sip_digest_text_t token)
{
    if (token.p == NULL)
        return SIP_DIGEST_MD5;
    if (equal_nocase(token, "md5"))
        return SIP_DIGEST_MD5;
    if (equal_nocase(token, "sha-256"))
        return SIP_DIGEST_SHA256;
    if (equal_nocase(token, "sha-512-256"))
        return SIP_DIGEST_SHA512_256;
    return 0;
}

/* ---- nonces (sip_nonce.c) ---- */

void sip_digest_make_nonce(const sip_digest_t *digest, double now, const uint8_t salt[8],
                           char out[SIP_DIGEST_NONCE_LEN])
{
    sip_nonce_make(&digest->nonce_key, digest->realm, digest->realm_len, now, salt, out);
}

int sip_digest_nonce_issued_at(const sip_digest_t *digest, const char *nonce, size_t len, double *issued_at)
{
    return sip_nonce_issued_at(&digest->nonce_key, digest->realm, digest->realm_len, nonce, len, issued_at);
}

/* ---- the check (DigestAuthenticator.verify's order; RFC 7616 section 3.4) ---- */

/* nc-value = 8LHEX (RFC 7616 section 3.4), at least 1. */
static int parse_nc(sip_digest_text_t t, uint32_t *nc)
{
    if (t.p == NULL || t.n != 8)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        int x = hex_value((unsigned char)t.p[i]);
        if (x < 0)
            return -1;
        v = (v << 4) | (uint32_t)x;
    }
    if (v < 1)
        return -1;
    *nc = v;
    return 0;
}

int sip_digest_check(const sip_digest_t *digest, const sip_digest_credentials_t *c, sip_digest_text_t method,
                     sip_digest_text_t request_uri, sip_digest_text_t ha1, double now, sip_digest_outcome_t *out)
{
    out->issued_at = 0;
    out->nc = 0;
    out->algorithm = 0;
    if (c->username.p == NULL || c->realm.p == NULL || c->nonce.p == NULL || c->uri.p == NULL ||
        c->response.p == NULL)
        return SIP_DIGEST_MALFORMED;
    unsigned algorithm = sip_digest_algorithm(c->algorithm);
    if (algorithm == 0)
        return SIP_DIGEST_MALFORMED; /* an unknown token does not parse (DigestCredentials) */
    out->algorithm = algorithm;
    if (!equal(c->realm, digest->realm, digest->realm_len))
        return SIP_DIGEST_REALM_MISMATCH;
    if ((digest->algorithms & algorithm) == 0)
        return SIP_DIGEST_UNSUPPORTED_ALGORITHM;
    /* We always offer qop=auth and need nc for replays. */
    if (!equal_nocase(c->qop, "auth"))
        return SIP_DIGEST_UNSUPPORTED_QOP;
    if (c->nc.p == NULL || c->cnonce.p == NULL || parse_nc(c->nc, &out->nc) < 0)
        return SIP_DIGEST_MALFORMED;
    if (request_uri.p != NULL && !equal(c->uri, request_uri.p, request_uri.n))
        return SIP_DIGEST_URI_MISMATCH; /* RFC 7616 section 3.4.6 */
    double issued_at;
    if (sip_digest_nonce_issued_at(digest, c->nonce.p, c->nonce.n, &issued_at) < 0 || issued_at > now)
        return SIP_DIGEST_INVALID_NONCE;
    out->issued_at = issued_at;
    if (c->opaque.p != NULL &&
        (c->opaque.n != digest->opaque_len || CRYPTO_memcmp(c->opaque.p, digest->opaque, c->opaque.n) != 0))
        return SIP_DIGEST_OPAQUE_MISMATCH;
    if (ha1.p == NULL)
        return SIP_DIGEST_UNKNOWN_USER;
    /* response = H(HA1 ":" nonce ":" nc ":" cnonce ":" "auth" ":" H(method ":" uri)) */
    char ha2[MAX_HEX], expected[MAX_HEX];
    hash_t h;
    if (hash_init(&h, algorithm) < 0)
        return SIP_DIGEST_MALFORMED;
    hash_update(&h, method.p, method.n);
    hash_update(&h, ":", 1);
    hash_update(&h, c->uri.p, c->uri.n);
    size_t ha2_len = hash_final_hex(&h, ha2);
    if (hash_init(&h, algorithm) < 0)
        return SIP_DIGEST_MALFORMED;
    hash_update(&h, ha1.p, ha1.n);
    hash_update(&h, ":", 1);
    hash_update(&h, c->nonce.p, c->nonce.n);
    hash_update(&h, ":", 1);
    hash_update(&h, c->nc.p, c->nc.n);
    hash_update(&h, ":", 1);
    hash_update(&h, c->cnonce.p, c->cnonce.n);
    hash_update(&h, ":auth:", 6);
    hash_update(&h, ha2, ha2_len);
    size_t n = hash_final_hex(&h, expected);
    /* Constant time in the response's bytes: lower-cased as compared. */
    unsigned diff = c->response.n != n;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned)(lower((unsigned char)(i < c->response.n ? c->response.p[i] : 0)) ^ (unsigned char)expected[i]);
    OPENSSL_cleanse(expected, sizeof expected);
    if (diff != 0)
        return SIP_DIGEST_WRONG_RESPONSE;
    if (now - issued_at > digest->lifetime)
        return SIP_DIGEST_STALE_NONCE; /* RFC 7616 section 3.3: stale only for a valid digest */
    return SIP_DIGEST_OK;
}
