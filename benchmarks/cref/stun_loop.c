/* The plain-C reference for benchmarks/kernel_stun.py: answering ICE connectivity checks.
 *
 *   stun_loop COUNT REPEAT
 *
 * COUNT distinct Binding requests (USERNAME "srvU:cliU", PRIORITY, ICE-CONTROLLING,
 * USE-CANDIDATE, MESSAGE-INTEGRITY under "serverpasswordserverpass", FINGERPRINT; the
 * transaction ID differs per request) are built outside the timed region. Two loops
 * answer each with a Binding success (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
 * FINGERPRINT):
 *  - uc: uc_ice_lite_handle (csrc/ice_lite.c) - full validation, pair bookkeeping;
 *  - ref: the straightforward code over OpenSSL's one-shot HMAC() and zlib's crc32(),
 *    checking FINGERPRINT and MESSAGE-INTEGRITY at the known offsets and writing the
 *    response - no attribute walk, no USERNAME check, no state: a floor, not a responder;
 *  - evp: the same with an EVP_MAC context keyed once and re-initialised per message.
 * Both responses are compared byte for byte. malloc/calloc/realloc are counted (this
 * program interposes them over glibc's) to report allocations per request.
 * Prints one JSON line: best thread-CPU microseconds per request of each loop, and
 * allocations per request of each. */
#define OPENSSL_API_COMPAT 10101
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "byteorder.h"
#include "ice_lite.h"
#include "stun.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static long allocations;
void *malloc(size_t n)
{
    allocations++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    allocations++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    allocations++;
    return __libc_realloc(p, n);
}

static const char PWD[] = "serverpasswordserverpass";
#define REQ_MAX 128

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* HMAC-SHA1 of the reference loops: OpenSSL's one-shot HMAC(), or (mac_ctx set) an
 * EVP_MAC context keyed once and re-initialised per message, OpenSSL 3's recommended API. */
static EVP_MAC_CTX *mac_ctx;

static void ref_hmac(const uint8_t *data, size_t len, uint8_t out[20])
{
    if (mac_ctx == NULL) {
        unsigned mac_len;
        HMAC(EVP_sha1(), PWD, (int)strlen(PWD), data, len, out, &mac_len);
        return;
    }
    size_t mac_len;
    EVP_MAC_init(mac_ctx, NULL, 0, NULL);
    EVP_MAC_update(mac_ctx, data, len);
    EVP_MAC_final(mac_ctx, out, &mac_len, 20);
}

/* The reference: verify FINGERPRINT and MESSAGE-INTEGRITY (at the end of the request),
 * write the success response. Returns its length or -1. */
static int ref_answer(const uint8_t *req, size_t len, const struct sockaddr_in *src, uint8_t *out)
{
    if (len < 20 + 24 + 8)
        return -1;
    if ((crc32(0L, req, (uInt)(len - 8)) ^ 0x5354554Eu) != uc_rd32(req + len - 4))
        return -1;
    uint8_t head[REQ_MAX], mac[20];
    size_t mi_at = len - 8 - 24;
    memcpy(head, req, mi_at);
    head[2] = (uint8_t)((len - 20 - 8) >> 8);
    head[3] = (uint8_t)(len - 20 - 8);
    ref_hmac(head, mi_at, mac);
    if (memcmp(mac, req + mi_at + 4, 20) != 0)
        return -1;
    /* header, XOR-MAPPED-ADDRESS (12), MESSAGE-INTEGRITY (24), FINGERPRINT (8) */
    out[0] = 0x01;
    out[1] = 0x01;
    out[2] = 0;
    out[3] = 12 + 24; /* length while computing MESSAGE-INTEGRITY */
    memcpy(out + 4, req + 4, 16);
    out[20] = 0x00;
    out[21] = 0x20;
    out[22] = 0;
    out[23] = 8;
    out[24] = 0;
    out[25] = 1;
    uint16_t xport = (uint16_t)(ntohs(src->sin_port) ^ 0x2112);
    out[26] = (uint8_t)(xport >> 8);
    out[27] = (uint8_t)xport;
    uc_wr32(out + 28, ntohl(src->sin_addr.s_addr) ^ 0x2112A442u);
    out[32] = 0x00;
    out[33] = 0x08;
    out[34] = 0;
    out[35] = 20;
    ref_hmac(out, 32, out + 36);
    out[3] = 12 + 24 + 8;
    out[56] = 0x80;
    out[57] = 0x28;
    out[58] = 0;
    out[59] = 4;
    uc_wr32(out + 60, (uint32_t)crc32(0L, out, 56) ^ 0x5354554Eu);
    return 64;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stun_loop COUNT REPEAT\n");
        return 2;
    }
    int count = atoi(argv[1]), repeat = atoi(argv[2]);
    uint8_t (*reqs)[REQ_MAX] = calloc((size_t)count, REQ_MAX);
    size_t *lens = calloc((size_t)count, sizeof *lens);
    uc_stun_key *key;
    uc_stun_key_create(&key, (const uint8_t *)PWD, strlen(PWD));
    for (int i = 0; i < count; i++) {
        uint8_t txid[12] = {0};
        uc_wr32(txid, (uint32_t)i);
        uc_stun_builder b;
        uc_stun_build_start(&b, reqs[i], REQ_MAX, uc_stun_type(UC_STUN_BINDING, UC_STUN_REQUEST), txid);
        uc_stun_add_attr(&b, UC_STUN_ATTR_USERNAME, (const uint8_t *)"srvU:cliU", 9);
        uc_stun_add_u32(&b, UC_STUN_ATTR_PRIORITY, 1853824767u);
        uc_stun_add_u64(&b, UC_STUN_ATTR_ICE_CONTROLLING, 0x1234567890ULL + (uint64_t)i);
        uc_stun_add_attr(&b, UC_STUN_ATTR_USE_CANDIDATE, NULL, 0);
        uc_stun_add_integrity(&b, key);
        uc_stun_add_fingerprint(&b);
        lens[i] = (size_t)uc_stun_build_finish(&b);
    }
    struct sockaddr_in src;
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    src.sin_port = htons(40000);
    inet_pton(AF_INET, "192.0.2.7", &src.sin_addr);
    uc_ice_lite *ice;
    uc_ice_lite_create(&ice, "srvU", 4, PWD, strlen(PWD), "cliU", 4, "clientpasswordclientpass", 24);

    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *keyed = EVP_MAC_CTX_new(mac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_init(keyed, (const unsigned char *)PWD, strlen(PWD), params);

    uint8_t out_uc[UC_ICE_LITE_MAX_RESPONSE], out_ref[UC_ICE_LITE_MAX_RESPONSE];
    double best_uc = 1e30, best_ref = 1e30, best_evp = 1e30;
    long alloc_uc = 0, alloc_ref = 0, alloc_evp = 0;
    int same = 1;
    unsigned events;
    for (int r = 0; r < repeat; r++) {
        long a0 = allocations;
        double t0 = now_seconds();
        for (int i = 0; i < count; i++)
            if (uc_ice_lite_handle(ice, reqs[i], lens[i], (const struct sockaddr *)&src, sizeof src,
                                   i, out_uc, sizeof out_uc, &events) <= 0)
                same = 0;
        double t1 = now_seconds();
        alloc_uc = allocations - a0;
        a0 = allocations;
        for (int i = 0; i < count; i++)
            if (ref_answer(reqs[i], lens[i], &src, out_ref) <= 0)
                same = 0;
        double t2 = now_seconds();
        alloc_ref = allocations - a0;
        a0 = allocations;
        mac_ctx = keyed;
        for (int i = 0; i < count; i++)
            if (ref_answer(reqs[i], lens[i], &src, out_ref) <= 0)
                same = 0;
        mac_ctx = NULL;
        double t3 = now_seconds();
        alloc_evp = allocations - a0;
        if (t1 - t0 < best_uc)
            best_uc = t1 - t0;
        if (t2 - t1 < best_ref)
            best_ref = t2 - t1;
        if (t3 - t2 < best_evp)
            best_evp = t3 - t2;
    }
    /* The last request's answers must be identical. */
    int n_uc = uc_ice_lite_handle(ice, reqs[count - 1], lens[count - 1], (const struct sockaddr *)&src,
                                  sizeof src, 0, out_uc, sizeof out_uc, &events);
    int n_ref = ref_answer(reqs[count - 1], lens[count - 1], &src, out_ref);
    same = same && n_uc == n_ref && memcmp(out_uc, out_ref, (size_t)n_uc) == 0;
    printf("{\"us_uc\": %.4f, \"us_ref\": %.4f, \"us_evp\": %.4f, \"allocs_per_request_uc\": %.2f, "
           "\"allocs_per_request_ref\": %.2f, \"allocs_per_request_evp\": %.2f, \"same_bytes\": %s}\n",
           best_uc / count * 1e6, best_ref / count * 1e6, best_evp / count * 1e6,
           (double)alloc_uc / count, (double)alloc_ref / count, (double)alloc_evp / count,
           same ? "true" : "false");
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
    uc_ice_lite_destroy(ice);
    uc_stun_key_destroy(key);
    free(reqs);
    free(lens);
    return 0;
}
