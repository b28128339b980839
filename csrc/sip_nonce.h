/* The server's stateless digest nonces (RFC 7616 section 3.3: the nonce's content is the
 * server's choice; RFC 3261 22.4).
 *
 *     nonce = base64url(issued_ms || salt || HMAC-SHA256(secret, issued_ms || salt || realm)[:16])
 *
 * 43 characters unpadded: uc_signal.sip.digest's DigestAuthenticator, the digest checks
 * (sip_digest.c) and the C front's challenges (sip_front.c) all make and read them here.
 * The HMAC runs from inner and outer SHA-256 states computed once per secret, with
 * OpenSSL's low-level SHA256_* on stack contexts: EVP_MAC / HMAC_CTX allocate on every use
 * in OpenSSL 3.0, copying a SHA256_CTX does not (the reasoning of csrc/stun.c). A file
 * including this header defines OPENSSL_API_COMPAT 10101 first. */
#ifndef UC_SIP_NONCE_H
#define UC_SIP_NONCE_H

#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>

#define SIP_NONCE_LEN 43 /* base64url of 8 + 8 + 16 bytes, unpadded */

typedef struct {
    SHA256_CTX inner, outer; /* after the key's ipad / opad block (RFC 2104) */
} sip_nonce_key_t;

void sip_nonce_key_init(sip_nonce_key_t *key, const uint8_t *secret, size_t secret_len);

/* Write the nonce issued at wall-clock `now` with this salt. */
void sip_nonce_make(const sip_nonce_key_t *key, const char *realm, size_t realm_len, double now,
                    const uint8_t salt[8], char out[SIP_NONCE_LEN]);

/* The issue time of a nonce this key made for this realm (0), or UC_ERR_MALFORMED when it
 * is not 43 base64url characters or its MAC does not verify. */
int sip_nonce_issued_at(const sip_nonce_key_t *key, const char *realm, size_t realm_len, const char *nonce,
                        size_t len, double *issued_at);

#endif
