/* C-level tests of csrc/srtp_session.c: a known answer, round trips for every suite (RTP
 * and RTCP, single and batch), tampering, replay, wrong keys, the capacity rule, MKI and
 * header validation. Exits non-zero if any check failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srtp_session.h"
#include "uc_errors.h"

#include "check.h"

static const int SUITES[] = {UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_AES_CM_128_HMAC_SHA1_32,
                             UC_SRTP_AEAD_AES_128_GCM};
static const size_t RTP_TAG[] = {10, 4, 16};
static const size_t RTCP_TRAILER[] = {14, 14, 20}; /* index word + tag (80-bit for _32) */

/* Guard bytes after the capacity: protect must never write there. */
#define GUARD 32
#define GUARD_BYTE 0xa5

static void key_for(uint8_t *key, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        key[i] = (uint8_t)(seed + 7 * i);
}

static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload_len)
{
    buf[0] = 0x80;
    buf[1] = 111;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 960u;
    buf[4] = (uint8_t)(ts >> 24);
    buf[5] = (uint8_t)(ts >> 16);
    buf[6] = (uint8_t)(ts >> 8);
    buf[7] = (uint8_t)ts;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    for (size_t i = 0; i < payload_len; i++)
        buf[12 + i] = (uint8_t)(i * 31 + seq);
    return 12 + payload_len;
}

/* A minimal RTCP receiver report with no report blocks (RFC 3550 section 6.4.2). */
static size_t make_rtcp(uint8_t *buf, uint32_t ssrc)
{
    buf[0] = 0x80;
    buf[1] = 201;
    buf[2] = 0;
    buf[3] = 1;
    buf[4] = (uint8_t)(ssrc >> 24);
    buf[5] = (uint8_t)(ssrc >> 16);
    buf[6] = (uint8_t)(ssrc >> 8);
    buf[7] = (uint8_t)ssrc;
    return 8;
}

static uc_srtp_session *create(int suite, int direction, uint8_t seed)
{
    uint8_t key[UC_SRTP_MAX_KEY_SALT_LEN];
    int klen = uc_srtp_suite_key_salt_len(suite);
    key_for(key, (size_t)klen, seed);
    uc_srtp_session *s = NULL;
    int rc = uc_srtp_session_create(&s, suite, direction, key, (size_t)klen, -1, 0, NULL, 0, 0);
    CHECK(rc == UC_OK);
    return s;
}

/* AES_CM_128_HMAC_SHA1_80 known answer: the vector of libsrtp's srtp_driver (pylibsrtp
 * produces the same bytes). */
static void test_known_answer(void)
{
    static const uint8_t key[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                                    0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                                    0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
    static const uint8_t expected[38] = {
        0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
        0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
        0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
    uint8_t buf[64] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe};
    memset(buf + 12, 0xab, 16);
    uc_srtp_session *tx = NULL;
    CHECK(uc_srtp_session_create(&tx, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_OUTBOUND, key,
                                 sizeof key, -1, 0, NULL, 0, 0) == UC_OK);
    CHECK(uc_srtp_protect_rtp(tx, buf, 28, sizeof buf) == 38);
    CHECK(memcmp(buf, expected, sizeof expected) == 0);
    uc_srtp_session_destroy(tx);
}

static void test_round_trips(int k)
{
    int suite = SUITES[k];
    uc_srtp_session *tx = create(suite, UC_SRTP_OUTBOUND, 1);
    uc_srtp_session *rx = create(suite, UC_SRTP_INBOUND, 1);
    if (tx == NULL || rx == NULL)
        return;
    CHECK(uc_srtp_overhead(tx, 0) == RTP_TAG[k]);
    CHECK(uc_srtp_overhead(tx, 1) == RTCP_TRAILER[k]);

    for (uint16_t seq = 100; seq < 140; seq++) {
        size_t payload = (size_t)(seq % 4 == 0 ? 1200 : 160);
        size_t cap = 12 + payload + RTP_TAG[k];
        /* Heap buffer of exactly the capacity plus a guard, so ASan and the guard
         * catch any write past the rule. */
        uint8_t *buf = malloc(cap + GUARD);
        uint8_t *plain = malloc(cap);
        CHECK(buf != NULL && plain != NULL);
        if (buf == NULL || plain == NULL)
            return;
        memset(buf, GUARD_BYTE, cap + GUARD);
        size_t len = make_rtp(buf, seq, 0x11223344, payload);
        memcpy(plain, buf, len);
        int n = uc_srtp_protect_rtp(tx, buf, len, cap);
        CHECK(n == (int)(len + RTP_TAG[k]));
        CHECK(memcmp(buf, plain, 12) == 0);             /* header stays in the clear */
        CHECK(memcmp(buf + 12, plain + 12, 16) != 0);   /* payload does not */
        for (size_t i = 0; i < GUARD; i++)
            CHECK(buf[cap + i] == GUARD_BYTE);
        CHECK(uc_srtp_unprotect_rtp(rx, buf, (size_t)n) == (int)len);
        CHECK(memcmp(buf, plain, len) == 0);
        free(buf);
        free(plain);
    }

    for (int i = 0; i < 5; i++) {
        uint8_t buf[8 + 20 + GUARD];
        memset(buf, GUARD_BYTE, sizeof buf);
        size_t len = make_rtcp(buf, 0x11223344);
        size_t cap = len + RTCP_TRAILER[k];
        int n = uc_srtp_protect_rtcp(tx, buf, len, cap);
        CHECK(n == (int)cap);
        for (size_t g = cap; g < sizeof buf; g++)
            CHECK(buf[g] == GUARD_BYTE);
        CHECK(uc_srtp_unprotect_rtcp(rx, buf, (size_t)n) == (int)len);
        CHECK(buf[1] == 201);
    }
    uc_srtp_session_destroy(tx);
    uc_srtp_session_destroy(rx);
}

static void test_failures(int k)
{
    int suite = SUITES[k];
    uc_srtp_session *tx = create(suite, UC_SRTP_OUTBOUND, 2);
    uc_srtp_session *rx = create(suite, UC_SRTP_INBOUND, 2);
    uc_srtp_session *other = create(suite, UC_SRTP_INBOUND, 3);
    if (tx == NULL || rx == NULL || other == NULL)
        return;
    uint8_t buf[256], copy[256];

    /* Tampered payload, then tampered tag: authentication fails. */
    size_t len = make_rtp(buf, 1, 42, 100);
    int n = uc_srtp_protect_rtp(tx, buf, len, sizeof buf);
    CHECK(n > 0);
    memcpy(copy, buf, (size_t)n);
    buf[20] ^= 1;
    CHECK(uc_srtp_unprotect_rtp(rx, buf, (size_t)n) == UC_ERR_SRTP_AUTH);
    CHECK(strcmp(uc_srtp_status_name(uc_srtp_last_status(rx)), "srtp_err_status_auth_fail") == 0);
    memcpy(buf, copy, (size_t)n);
    buf[n - 1] ^= 0x80;
    CHECK(uc_srtp_unprotect_rtp(rx, buf, (size_t)n) == UC_ERR_SRTP_AUTH);

    /* Wrong key: authentication fails. */
    memcpy(buf, copy, (size_t)n);
    CHECK(uc_srtp_unprotect_rtp(other, buf, (size_t)n) == UC_ERR_SRTP_AUTH);

    /* The genuine packet once, then its replay. */
    memcpy(buf, copy, (size_t)n);
    CHECK(uc_srtp_unprotect_rtp(rx, buf, (size_t)n) == (int)len);
    memcpy(buf, copy, (size_t)n);
    CHECK(uc_srtp_unprotect_rtp(rx, buf, (size_t)n) == UC_ERR_SRTP_REPLAY);
    CHECK(strcmp(uc_srtp_status_name(uc_srtp_last_status(rx)), "srtp_err_status_replay_fail") == 0);

    /* A packet protected early but delivered after the receiver moved 500 packets on:
     * far behind the 128-packet window, too old. */
    size_t old_len = make_rtp(copy, 2, 42, 20);
    int old_n = uc_srtp_protect_rtp(tx, copy, old_len, sizeof copy);
    CHECK(old_n == (int)(old_len + RTP_TAG[k]));
    len = make_rtp(buf, 500, 42, 20);
    n = uc_srtp_protect_rtp(tx, buf, len, sizeof buf);
    CHECK(uc_srtp_unprotect_rtp(rx, buf, (size_t)n) == (int)len);
    CHECK(uc_srtp_unprotect_rtp(rx, copy, (size_t)old_n) == UC_ERR_SRTP_REPLAY);
    CHECK(strcmp(uc_srtp_status_name(uc_srtp_last_status(rx)), "srtp_err_status_replay_old") == 0);

    /* The sender refuses to protect a sequence number twice (no repeated keystream). */
    len = make_rtp(buf, 600, 42, 20);
    CHECK(uc_srtp_protect_rtp(tx, buf, len, sizeof buf) > 0);
    len = make_rtp(buf, 600, 42, 20);
    CHECK(uc_srtp_protect_rtp(tx, buf, len, sizeof buf) == UC_ERR_SRTP_REPLAY);

    /* SRTCP: tamper and replay. */
    len = make_rtcp(buf, 42);
    n = uc_srtp_protect_rtcp(tx, buf, len, sizeof buf);
    CHECK(n > 0);
    memcpy(copy, buf, (size_t)n);
    buf[5] ^= 1;
    CHECK(uc_srtp_unprotect_rtcp(rx, buf, (size_t)n) == UC_ERR_SRTP_AUTH);
    memcpy(buf, copy, (size_t)n);
    CHECK(uc_srtp_unprotect_rtcp(rx, buf, (size_t)n) == (int)len);
    memcpy(buf, copy, (size_t)n);
    CHECK(uc_srtp_unprotect_rtcp(rx, buf, (size_t)n) == UC_ERR_SRTP_REPLAY);

    /* Capacity rule, direction and headers are checked before libsrtp runs. */
    len = make_rtp(buf, 700, 42, 20);
    CHECK(uc_srtp_protect_rtp(tx, buf, len, len + RTP_TAG[k] - 1) == UC_ERR_NOSPACE);
    CHECK(uc_srtp_protect_rtcp(tx, buf, 8, 8 + RTCP_TRAILER[k] - 1) == UC_ERR_NOSPACE);
    CHECK(uc_srtp_unprotect_rtp(tx, buf, len) == UC_ERR_STATE);
    CHECK(uc_srtp_protect_rtp(rx, buf, len, sizeof buf) == UC_ERR_STATE);
    CHECK(uc_srtp_unprotect_rtp(rx, buf, 11) == UC_ERR_TRUNCATED);
    CHECK(uc_srtp_unprotect_rtp(rx, buf, 12 + RTP_TAG[k] - 1) == UC_ERR_TRUNCATED);
    CHECK(uc_srtp_unprotect_rtcp(rx, buf, 7) == UC_ERR_TRUNCATED);
    CHECK(uc_srtp_unprotect_rtcp(rx, buf, 8 + RTCP_TRAILER[k] - 1) == UC_ERR_TRUNCATED);
    buf[0] = 0x40;
    CHECK(uc_srtp_protect_rtp(tx, buf, len, sizeof buf) == UC_ERR_MALFORMED);
    buf[0] = 0x8f; /* 15 CSRCs do not fit in 32 bytes */
    CHECK(uc_srtp_protect_rtp(tx, buf, len, sizeof buf) == UC_ERR_TRUNCATED);
    buf[0] = 0x90; /* extension whose length runs past the end */
    buf[12] = 0xbe;
    buf[13] = 0xde;
    buf[14] = 0xff;
    buf[15] = 0xff;
    CHECK(uc_srtp_protect_rtp(tx, buf, len, sizeof buf) == UC_ERR_TRUNCATED);
    CHECK(uc_srtp_unprotect_rtp(rx, buf, len) == UC_ERR_TRUNCATED);

    uc_srtp_session_destroy(tx);
    uc_srtp_session_destroy(rx);
    uc_srtp_session_destroy(other);
}

static void test_batch(int k)
{
    enum { COUNT = 8 };
    int suite = SUITES[k];
    uc_srtp_session *tx = create(suite, UC_SRTP_OUTBOUND, 4);
    uc_srtp_session *rx = create(suite, UC_SRTP_INBOUND, 4);
    if (tx == NULL || rx == NULL)
        return;
    uint8_t storage[COUNT][400], plain[COUNT][400];
    uint8_t *packets[COUNT];
    size_t lengths[COUNT], caps[COUNT], plain_len[COUNT];
    int status[COUNT], srtp_status[COUNT];
    for (int i = 0; i < COUNT; i++) {
        packets[i] = storage[i];
        lengths[i] = plain_len[i] = make_rtp(storage[i], (uint16_t)(10 + i), 7, (size_t)(100 + 20 * i));
        caps[i] = lengths[i] + RTP_TAG[k];
        memcpy(plain[i], storage[i], lengths[i]);
    }
    caps[3] -= 1; /* one packet breaks the capacity rule; the others go through */
    CHECK(uc_srtp_protect_rtp_batch(tx, packets, lengths, caps, status, srtp_status, COUNT) ==
          COUNT - 1);
    CHECK(status[3] == UC_ERR_NOSPACE && lengths[3] == plain_len[3]);
    for (int i = 0; i < COUNT; i++)
        if (i != 3)
            CHECK(status[i] == UC_OK && lengths[i] == plain_len[i] + RTP_TAG[k]);
    storage[5][14] ^= 4; /* tamper with one */
    lengths[3] = 5;      /* and truncate the one that was never protected */
    CHECK(uc_srtp_unprotect_rtp_batch(rx, packets, lengths, status, srtp_status, COUNT) ==
          COUNT - 2);
    CHECK(status[3] == UC_ERR_TRUNCATED && srtp_status[3] == 0);
    CHECK(status[5] == UC_ERR_SRTP_AUTH);
    CHECK(strcmp(uc_srtp_status_name(srtp_status[5]), "srtp_err_status_auth_fail") == 0);
    for (int i = 0; i < COUNT; i++)
        if (i != 3 && i != 5)
            CHECK(status[i] == UC_OK && lengths[i] == plain_len[i] &&
                  memcmp(storage[i], plain[i], plain_len[i]) == 0);

    /* SRTCP batch: every packet round-trips. */
    for (int i = 0; i < COUNT; i++) {
        lengths[i] = plain_len[i] = make_rtcp(storage[i], (uint32_t)i);
        caps[i] = lengths[i] + RTCP_TRAILER[k];
    }
    CHECK(uc_srtp_protect_rtcp_batch(tx, packets, lengths, caps, status, NULL, COUNT) == COUNT);
    CHECK(uc_srtp_unprotect_rtcp_batch(rx, packets, lengths, status, NULL, COUNT) == COUNT);
    for (int i = 0; i < COUNT; i++)
        CHECK(status[i] == UC_OK && lengths[i] == plain_len[i] && storage[i][7] == i);
    uc_srtp_session_destroy(tx);
    uc_srtp_session_destroy(rx);
}

static void test_mki(void)
{
    static const uint8_t mki[4] = {0, 0, 0, 9};
    static const uint8_t wrong_mki[4] = {0, 0, 0, 8};
    uint8_t key[30];
    key_for(key, sizeof key, 5);
    uc_srtp_session *tx = NULL, *rx = NULL, *rx_wrong = NULL;
    CHECK(uc_srtp_session_create(&tx, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_OUTBOUND, key, 30,
                                 -1, 0, mki, 4, 0) == UC_OK);
    CHECK(uc_srtp_session_create(&rx, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_INBOUND, key, 30,
                                 -1, 0, mki, 4, 0) == UC_OK);
    CHECK(uc_srtp_session_create(&rx_wrong, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_INBOUND, key,
                                 30, -1, 0, wrong_mki, 4, 0) == UC_OK);
    if (tx == NULL || rx == NULL || rx_wrong == NULL)
        return;
    CHECK(uc_srtp_overhead(tx, 0) == 14);
    CHECK(uc_srtp_overhead(tx, 1) == 18);
    uint8_t buf[200], copy[200];
    size_t len = make_rtp(buf, 1, 9, 50);
    int n = uc_srtp_protect_rtp(tx, buf, len, len + 14);
    CHECK(n == (int)len + 14);
    CHECK(memcmp(buf + len, mki, 4) == 0); /* the MKI sits between payload and tag */
    memcpy(copy, buf, (size_t)n);
    CHECK(uc_srtp_unprotect_rtp(rx_wrong, buf, (size_t)n) < 0);
    memcpy(buf, copy, (size_t)n);
    CHECK(uc_srtp_unprotect_rtp(rx, buf, (size_t)n) == (int)len);
    uc_srtp_session_destroy(tx);
    uc_srtp_session_destroy(rx);
    uc_srtp_session_destroy(rx_wrong);
}

static void test_fixed_ssrc(void)
{
    uint8_t key[30];
    key_for(key, sizeof key, 6);
    uc_srtp_session *tx = NULL;
    CHECK(uc_srtp_session_create(&tx, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_OUTBOUND, key, 30,
                                 0x1234, 0, NULL, 0, 0) == UC_OK);
    if (tx == NULL)
        return;
    uint8_t buf[100];
    size_t len = make_rtp(buf, 1, 0x1234, 20);
    CHECK(uc_srtp_protect_rtp(tx, buf, len, sizeof buf) == (int)len + 10);
    len = make_rtp(buf, 2, 0x9999, 20);
    CHECK(uc_srtp_protect_rtp(tx, buf, len, sizeof buf) == UC_ERR_SRTP);
    CHECK(strcmp(uc_srtp_status_name(uc_srtp_last_status(tx)), "srtp_err_status_no_ctx") == 0);
    uc_srtp_session_destroy(tx);
}

/* The literal RFC 4568 reading of AES_CM_128_HMAC_SHA1_32 (ffmpeg's): 32-bit SRTCP tag. */
static void test_srtcp_tag_32(void)
{
    uint8_t key[30];
    key_for(key, sizeof key, 8);
    uc_srtp_session *tx = NULL, *rx = NULL, *rx80 = NULL;
    CHECK(uc_srtp_session_create(&tx, UC_SRTP_AES_CM_128_HMAC_SHA1_32, UC_SRTP_OUTBOUND, key, 30,
                                 -1, 0, NULL, 0, UC_SRTP_FLAG_SRTCP_TAG_32) == UC_OK);
    CHECK(uc_srtp_session_create(&rx, UC_SRTP_AES_CM_128_HMAC_SHA1_32, UC_SRTP_INBOUND, key, 30,
                                 -1, 0, NULL, 0, UC_SRTP_FLAG_SRTCP_TAG_32) == UC_OK);
    CHECK(uc_srtp_session_create(&rx80, UC_SRTP_AES_CM_128_HMAC_SHA1_32, UC_SRTP_INBOUND, key, 30,
                                 -1, 0, NULL, 0, 0) == UC_OK);
    if (tx == NULL || rx == NULL || rx80 == NULL)
        return;
    CHECK(uc_srtp_overhead(tx, 0) == 4 && uc_srtp_overhead(tx, 1) == 8);
    uint8_t buf[64], copy[64];
    size_t len = make_rtcp(buf, 77);
    int n = uc_srtp_protect_rtcp(tx, buf, len, sizeof buf);
    CHECK(n == (int)len + 8);
    memcpy(copy, buf, (size_t)n);
    CHECK(uc_srtp_unprotect_rtcp(rx80, buf, (size_t)n) < 0);
    memcpy(buf, copy, (size_t)n);
    CHECK(uc_srtp_unprotect_rtcp(rx, buf, (size_t)n) == (int)len);
    uc_srtp_session *bad = NULL;
    CHECK(uc_srtp_session_create(&bad, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_OUTBOUND, key, 30,
                                 -1, 0, NULL, 0, UC_SRTP_FLAG_SRTCP_TAG_32) == UC_ERR_ARGUMENT);
    CHECK(uc_srtp_session_create(&bad, UC_SRTP_AES_CM_128_HMAC_SHA1_32, UC_SRTP_OUTBOUND, key, 30,
                                 -1, 0, NULL, 0, 0x80) == UC_ERR_ARGUMENT);
    uc_srtp_session_destroy(tx);
    uc_srtp_session_destroy(rx);
    uc_srtp_session_destroy(rx80);
}

static void test_arguments(void)
{
    uint8_t key[30] = {0};
    uc_srtp_session *s = NULL;
    CHECK(uc_srtp_session_create(&s, 99, UC_SRTP_OUTBOUND, key, 30, -1, 0, NULL, 0, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_srtp_session_create(&s, UC_SRTP_AES_CM_128_HMAC_SHA1_80, 7, key, 30, -1, 0, NULL, 0, 0) ==
          UC_ERR_ARGUMENT);
    CHECK(uc_srtp_session_create(&s, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_OUTBOUND, key, 29, -1,
                                 0, NULL, 0, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_srtp_session_create(&s, UC_SRTP_AEAD_AES_128_GCM, UC_SRTP_OUTBOUND, key, 30, -1, 0,
                                 NULL, 0, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_srtp_session_create(&s, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_OUTBOUND, key, 30, -1,
                                 32, NULL, 0, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_srtp_session_create(&s, UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_OUTBOUND, key, 30,
                                 (int64_t)1 << 32, 0, NULL, 0, 0) == UC_ERR_ARGUMENT);
    CHECK(s == NULL);
    CHECK(uc_srtp_suite_key_salt_len(UC_SRTP_AES_CM_128_HMAC_SHA1_32) == 30);
    CHECK(uc_srtp_suite_key_salt_len(UC_SRTP_AEAD_AES_128_GCM) == 28);
    CHECK(uc_srtp_suite_available(99) == UC_ERR_ARGUMENT);
    CHECK(uc_srtp_suite_available(UC_SRTP_AES_CM_128_HMAC_SHA1_80) == 1);
    CHECK(strcmp(uc_srtp_status_name(10), "srtp_err_status_replay_old") == 0);
    CHECK(strcmp(uc_srtp_status_name(999), "srtp_err_status_unknown") == 0);
    CHECK(uc_srtp_protect_rtp_batch(NULL, NULL, NULL, NULL, NULL, NULL, 0) == 0);
    CHECK(uc_srtp_unprotect_rtp_batch(NULL, NULL, NULL, NULL, NULL, 3) == UC_ERR_ARGUMENT);
}

int main(void)
{
    CHECK(uc_srtp_library_init() == UC_OK);
    int gcm = uc_srtp_suite_available(UC_SRTP_AEAD_AES_128_GCM);
    printf("test_srtp: AEAD_AES_128_GCM %s in this libsrtp2 build\n",
           gcm == 1 ? "available" : "NOT available");
    test_known_answer();
    for (int k = 0; k < 3; k++) {
        if (SUITES[k] == UC_SRTP_AEAD_AES_128_GCM && gcm != 1) {
            uc_srtp_session *s = NULL;
            uint8_t key[28] = {0};
            CHECK(uc_srtp_session_create(&s, SUITES[k], UC_SRTP_OUTBOUND, key, 28, -1, 0, NULL,
                                         0, 0) == UC_ERR_UNSUPPORTED);
            continue;
        }
        test_round_trips(k);
        test_failures(k);
        test_batch(k);
    }
    test_mki();
    test_fixed_ssrc();
    test_srtcp_tag_32();
    test_arguments();
    return check_finish("test_srtp");
}
