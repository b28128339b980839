from libc.stdint cimport uint8_t, uint32_t


cdef extern from "sip_digest.h" nogil:
    enum:
        SIP_DIGEST_MD5
        SIP_DIGEST_SHA256
        SIP_DIGEST_SHA512_256
        SIP_DIGEST_NONCE_LEN
        SIP_DIGEST_OK
        SIP_DIGEST_MALFORMED

    ctypedef struct sip_digest_text_t:
        const char *p
        size_t n

    ctypedef struct sip_digest_credentials_t:
        sip_digest_text_t username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque

    ctypedef struct sip_digest_outcome_t:
        double issued_at
        uint32_t nc
        unsigned algorithm

    ctypedef struct sip_digest_t:
        pass

    sip_digest_t *sip_digest_create(const uint8_t *secret, size_t secret_len, const char *realm, size_t realm_len,
                                    const char *opaque, size_t opaque_len, unsigned algorithms,
                                    double nonce_lifetime)
    void sip_digest_destroy(sip_digest_t *digest)
    unsigned sip_digest_algorithm(sip_digest_text_t token)
    int sip_digest_nonce_issued_at(const sip_digest_t *digest, const char *nonce, size_t len, double *issued_at)
    void sip_digest_make_nonce(const sip_digest_t *digest, double now, const uint8_t *salt, char *out)
    int sip_digest_hash_hex(unsigned algorithm, const void *data, size_t len, char *out, size_t out_cap)
    int sip_digest_check(const sip_digest_t *digest, const sip_digest_credentials_t *credentials,
                         sip_digest_text_t method, sip_digest_text_t request_uri, sip_digest_text_t ha1,
                         double now, sip_digest_outcome_t *out)
