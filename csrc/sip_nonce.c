/* Stateless digest nonces (see sip_nonce.h for the format and why). */

#define OPENSSL_API_COMPAT 10101

#include "sip_nonce.h"

#include <openssl/crypto.h>
#include <string.h>

#include "uc_errors.h"

#define HMAC_BLOCK 64
#define NONCE_RAW 32
#define NONCE_HEAD 16 /* issued_ms || salt */
#define NONCE_MAC 16

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void sip_nonce_key_init(sip_nonce_key_t *key, const uint8_t *secret, size_t secret_len)
{
    /* HMAC (RFC 2104): a key longer than the block is hashed first. */
    uint8_t k[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK];
    if (secret_len > HMAC_BLOCK)
        SHA256(secret, secret_len, k);
    else if (secret_len > 0)
        memcpy(k, secret, secret_len);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    SHA256_Init(&key->inner);
    SHA256_Update(&key->inner, pad, HMAC_BLOCK);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    SHA256_Init(&key->outer);
    SHA256_Update(&key->outer, pad, HMAC_BLOCK);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
}

static void nonce_mac(const sip_nonce_key_t *key, const char *realm, size_t realm_len,
                      const uint8_t head[NONCE_HEAD], uint8_t mac[SHA256_DIGEST_LENGTH])
{
    SHA256_CTX c = key->inner; /* HMAC-SHA256(secret, issued_ms || salt || realm) */
    SHA256_Update(&c, head, NONCE_HEAD);
    SHA256_Update(&c, realm, realm_len);
    SHA256_Final(mac, &c);
    c = key->outer;
    SHA256_Update(&c, mac, SHA256_DIGEST_LENGTH);
    SHA256_Final(mac, &c);
    OPENSSL_cleanse(&c, sizeof c);
}

void sip_nonce_make(const sip_nonce_key_t *key, const char *realm, size_t realm_len, double now,
                    const uint8_t salt[8], char out[SIP_NONCE_LEN])
{
    uint8_t raw[NONCE_RAW + 1] = {0}, mac[SHA256_DIGEST_LENGTH];
    uint64_t ms = (uint64_t)(now * 1000.0);
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)(ms >> (56 - 8 * i));
    memcpy(raw + 8, salt, 8);
    nonce_mac(key, realm, realm_len, raw, mac);
    memcpy(raw + NONCE_HEAD, mac, NONCE_MAC);
    size_t o = 0;
    for (size_t i = 0; i < NONCE_RAW; i += 3) { /* raw[32] is a zero pad for the last group */
        uint32_t v = ((uint32_t)raw[i] << 16) | ((uint32_t)raw[i + 1] << 8) | raw[i + 2];
        out[o++] = B64URL[(v >> 18) & 63];
        out[o++] = B64URL[(v >> 12) & 63];
        out[o++] = B64URL[(v >> 6) & 63];
        if (o < SIP_NONCE_LEN)
            out[o++] = B64URL[v & 63];
    }
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int sip_nonce_issued_at(const sip_nonce_key_t *key, const char *realm, size_t realm_len, const char *nonce,
                        size_t len, double *issued_at)
{
    uint8_t raw[NONCE_RAW + 1], mac[SHA256_DIGEST_LENGTH];
    if (nonce == NULL || len != SIP_NONCE_LEN)
        return UC_ERR_MALFORMED;
    /* 43 characters: ten groups of four (30 bytes), then three for the last two bytes,
     * whose two spare bits must be zero (the one text sip_nonce_make writes). */
    size_t o = 0;
    for (size_t i = 0; i < SIP_NONCE_LEN; i += 4) {
        int v[4] = {0, 0, 0, 0};
        size_t k = SIP_NONCE_LEN - i < 4 ? SIP_NONCE_LEN - i : 4;
        for (size_t j = 0; j < k; j++)
            if ((v[j] = b64url_value((unsigned char)nonce[i + j])) < 0)
                return UC_ERR_MALFORMED;
        uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) | (uint32_t)v[3];
        raw[o++] = (uint8_t)(w >> 16);
        raw[o++] = (uint8_t)(w >> 8);
        if (k == 4)
            raw[o++] = (uint8_t)w;
        else if ((w & 0xFF) != 0)
            return UC_ERR_MALFORMED;
    }
    nonce_mac(key, realm, realm_len, raw, mac);
    int ok = CRYPTO_memcmp(mac, raw + NONCE_HEAD, NONCE_MAC) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    if (!ok)
        return UC_ERR_MALFORMED;
    uint64_t ms = 0;
    for (int i = 0; i < 8; i++)
        ms = (ms << 8) | raw[i];
    *issued_at = (double)ms / 1000.0;
    return 0;
}
