/* Digest credentials checked in C (RFC 7616 section 3.4; RFC 8760 for SIP).
 *
 * The one copy of the server's rules for a Digest response: uc_signal.sip.digest's
 * DigestAuthenticator calls it for every verified request (REGISTER, INVITE, MESSAGE...),
 * and the C front of SIP over UDP can call it on the header bytes directly. Given the
 * credentials' parameters (spans into the caller's text), it checks realm, algorithm,
 * qop, nc, uri, the stateless nonce's HMAC and age, opaque, and the response computed
 * from the user's HA1, in the order DigestAuthenticator documents (stale and replay are
 * only said of a correct digest). The nonce-count replay record stays with the caller:
 * the verdict carries the nonce's issue time and the nc to record.
 *
 * Nonces are sip_nonce.h's, under the realm's name. The hashes use OpenSSL's low-level
 * MD5 / SHA256 / SHA512 functions on stack contexts: no allocation after
 * sip_digest_create, no lock, never reads outside a span. */
#ifndef UC_SIP_DIGEST_H
#define UC_SIP_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* Algorithms (RFC 7616 section 3.2), as bit flags for the set a realm offers. */
#define SIP_DIGEST_MD5 1u
#define SIP_DIGEST_SHA256 2u
#define SIP_DIGEST_SHA512_256 4u

#define SIP_DIGEST_NONCE_LEN 43 /* SIP_NONCE_LEN (sip_nonce.h) */
#define SIP_DIGEST_MAX_REALM 256
#define SIP_DIGEST_MAX_OPAQUE 128

/* Verdicts, in DigestError's terms (uc_signal.sip.digest). OK: the digest is right and
 * fresh; the caller still records `nc` for the nonce (a replay is its verdict to give). */
enum sip_digest_verdict {
    SIP_DIGEST_OK = 0,
    SIP_DIGEST_MALFORMED = 1,
    SIP_DIGEST_REALM_MISMATCH = 2,
    SIP_DIGEST_UNSUPPORTED_ALGORITHM = 3,
    SIP_DIGEST_UNSUPPORTED_QOP = 4,
    SIP_DIGEST_URI_MISMATCH = 5,
    SIP_DIGEST_INVALID_NONCE = 6,
    SIP_DIGEST_OPAQUE_MISMATCH = 7,
    SIP_DIGEST_UNKNOWN_USER = 8,
    SIP_DIGEST_WRONG_RESPONSE = 9,
    SIP_DIGEST_STALE_NONCE = 10
};

/* A parameter's text; p == NULL when the parameter is absent. */
typedef struct {
    const char *p;
    size_t n;
} sip_digest_text_t;

/* The auth-params of one Digest credentials value (RFC 7616 section 3.4), unquoted. */
typedef struct {
    sip_digest_text_t username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque;
} sip_digest_credentials_t;

typedef struct {
    double issued_at;  /* the nonce's issue time (seconds) once it verified */
    uint32_t nc;       /* the nonce-count, once it parsed */
    unsigned algorithm; /* SIP_DIGEST_* flag, once it parsed */
} sip_digest_outcome_t;

typedef struct sip_digest sip_digest_t;

/* One realm's checker. NULL when the secret is shorter than 16 bytes, the realm or opaque
 * too long, `algorithms` empty, or out of memory. */
sip_digest_t *sip_digest_create(const uint8_t *secret, size_t secret_len, const char *realm, size_t realm_len,
                                const char *opaque, size_t opaque_len, unsigned algorithms,
                                double nonce_lifetime);
void sip_digest_destroy(sip_digest_t *digest);

/* The SIP_DIGEST_* flag of an algorithm token (case-insensitive; "MD5", "SHA-256",
 * "SHA-512-256"), or 0 when unknown. An absent token (p == NULL) is MD5 (RFC 7616 3.3). */
unsigned sip_digest_algorithm(sip_digest_text_t token);

/* The issue time of a nonce this realm's secret made (0), or UC_ERR_MALFORMED when it is
 * not 43 base64url characters or its MAC does not verify. */
int sip_digest_nonce_issued_at(const sip_digest_t *digest, const char *nonce, size_t len, double *issued_at);

/* Write the nonce for `now` with this salt (what DigestAuthenticator.make_nonce makes). */
void sip_digest_make_nonce(const sip_digest_t *digest, double now, const uint8_t salt[8],
                           char out[SIP_DIGEST_NONCE_LEN]);

/* Lower-case hex of H(data) for one algorithm flag into out (2 * digest size + NUL);
 * returns the hex length, or UC_ERR_ARGUMENT for an unknown flag or short buffer. */
int sip_digest_hash_hex(unsigned algorithm, const void *data, size_t len, char *out, size_t out_cap);

/* Check credentials for a request `method` to `request_uri` (p == NULL: not compared),
 * with the user's HA1 hex for the credentials' algorithm (p == NULL: unknown user), at
 * wall-clock `now`. Returns an enum sip_digest_verdict; `out` is filled as far as the
 * checks got. */
int sip_digest_check(const sip_digest_t *digest, const sip_digest_credentials_t *credentials,
                     sip_digest_text_t method, sip_digest_text_t request_uri, sip_digest_text_t ha1, double now,
                     sip_digest_outcome_t *out);

#endif
