/* The plain-C reference for benchmarks/kernel_srtp.py: libsrtp2's srtp_protect called
 * directly in a loop.
 *
 *   srtp_loop SUITE COUNT REPEAT PAYLOAD_BYTES...
 *
 * SUITE is an RFC 4568 name (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,
 * AEAD_AES_128_GCM). For each payload size, COUNT RTP packets (sequence numbers 0..COUNT-1,
 * SSRC 0x5EC0DE, payload byte i = (7 * i + seq) & 0xff) are built in separate buffers
 * outside the timed region; each repetition makes a fresh outbound session (master key ||
 * salt = bytes 0, 1, 2, ...) and protects every packet in place - the same work as
 * uc_media's protect_batch. Prints one JSON line: the best (least disturbed) repetition's
 * thread-CPU microseconds per packet for each size, and the first and last protected packet in hex so
 * the caller can check every implementation produced the same bytes. */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SSRC 0x5EC0DEu
#define TRAILER 16 /* largest tag of the three suites; no MKI */

/* Thread CPU time, not wall time: on a shared machine, time spent descheduled is not the
 * loop's cost (kernel_srtp.py measures the Python side the same way). */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void build_packet(uint8_t *p, unsigned seq, size_t payload)
{
    uint32_t ts = seq * 960u;
    p[0] = 0x80;
    p[1] = 111;
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[4] = (uint8_t)(ts >> 24);
    p[5] = (uint8_t)(ts >> 16);
    p[6] = (uint8_t)(ts >> 8);
    p[7] = (uint8_t)ts;
    p[8] = (uint8_t)(SSRC >> 24);
    p[9] = (uint8_t)(SSRC >> 16);
    p[10] = (uint8_t)(SSRC >> 8);
    p[11] = (uint8_t)SSRC;
    for (size_t i = 0; i < payload; i++)
        p[12 + i] = (uint8_t)((7 * i + seq) & 0xff);
}

static void print_hex(const uint8_t *p, int len)
{
    putchar('"');
    for (int i = 0; i < len; i++)
        printf("%02x", p[i]);
    putchar('"');
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s SUITE COUNT REPEAT PAYLOAD_BYTES...\n", argv[0]);
        return 2;
    }
    srtp_profile_t profile;
    if (strcmp(argv[1], "AES_CM_128_HMAC_SHA1_80") == 0)
        profile = srtp_profile_aes128_cm_sha1_80;
    else if (strcmp(argv[1], "AES_CM_128_HMAC_SHA1_32") == 0)
        profile = srtp_profile_aes128_cm_sha1_32;
    else if (strcmp(argv[1], "AEAD_AES_128_GCM") == 0)
        profile = srtp_profile_aead_aes_128_gcm;
    else {
        fprintf(stderr, "unknown suite %s\n", argv[1]);
        return 2;
    }
    long count = strtol(argv[2], NULL, 10);
    long repeat = strtol(argv[3], NULL, 10);
    if (count < 1 || count > 65536 || repeat < 1) {
        fprintf(stderr, "COUNT must be 1..65536, REPEAT at least 1\n");
        return 2;
    }
    if (srtp_init() != srtp_err_status_ok) {
        fprintf(stderr, "srtp_init failed\n");
        return 1;
    }
    uint8_t key[64];
    for (int i = 0; i < 64; i++)
        key[i] = (uint8_t)i;

    printf("{\"version\": \"%s\", \"suite\": \"%s\", \"count\": %ld, \"sizes\": {", srtp_get_version_string(),
           argv[1], count);
    for (int a = 4; a < argc; a++) {
        size_t payload = (size_t)strtol(argv[a], NULL, 10);
        size_t stride = 12 + payload + TRAILER;
        uint8_t *plain = malloc((size_t)count * stride);
        uint8_t *work = malloc((size_t)count * stride);
        if (plain == NULL || work == NULL) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        for (long i = 0; i < count; i++)
            build_packet(plain + (size_t)i * stride, (unsigned)i, payload);
        double best = 1e30;
        int first_len = 0, last_len = 0;
        for (long r = 0; r < repeat; r++) {
            srtp_policy_t policy;
            memset(&policy, 0, sizeof policy);
            srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, profile);
            srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, profile);
            policy.key = key;
            policy.ssrc.type = ssrc_any_outbound;
            srtp_t session;
            if (srtp_create(&session, &policy) != srtp_err_status_ok) {
                fprintf(stderr, "srtp_create failed\n");
                return 1;
            }
            memcpy(work, plain, (size_t)count * stride); /* fresh plaintext, untimed */
            double start = now_seconds();
            for (long i = 0; i < count; i++) {
                int len = (int)(12 + payload);
                if (srtp_protect(session, work + (size_t)i * stride, &len) != srtp_err_status_ok) {
                    fprintf(stderr, "srtp_protect failed\n");
                    return 1;
                }
                if (i == 0)
                    first_len = len;
                last_len = len;
            }
            double elapsed = now_seconds() - start;
            if (elapsed < best)
                best = elapsed;
            srtp_dealloc(session);
        }
        printf("%s\"%zu\": {\"us\": %.4f, \"first\": ", a > 4 ? ", " : "", payload, best / (double)count * 1e6);
        print_hex(work, first_len);
        printf(", \"last\": ");
        print_hex(work + (size_t)(count - 1) * stride, last_len);
        printf("}");
        free(plain);
        free(work);
    }
    printf("}}\n");
    return 0;
}
