/* The SRTP packet path allocates nothing and takes no lock: after the first packet of a
 * stream (libsrtp clones its wildcard-SSRC template once per new SSRC), protect and unprotect
 * of RTP and RTCP, single and batch, for every suite, must not call malloc, calloc or realloc,
 * nor lock a pthread mutex or rwlock - neither in our code nor inside libsrtp and its crypto
 * library. This is what rules out Debian's libsrtp2 over NSS, which makes a cipher context
 * per packet; libsrtp2 over OpenSSL reuses its contexts.
 *
 * Calls are counted in this binary alone. The executable's definitions interpose on libc's
 * for every shared library, libcrypto included: the lock functions are defined here and
 * forward to the next definition (dlsym RTLD_NEXT); malloc and friends, in the plain build,
 * forward to glibc's __libc_* entry points, while under AddressSanitizer, which owns malloc,
 * its allocation hooks count them. Positive controls (session create must allocate, and
 * OpenSSL takes its locks there) show the counters are live, so the test cannot pass by
 * counting nothing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srtp_session.h"
#include "uc_errors.h"

#include "alloc_count.h"
#include "check.h"

static volatile unsigned long locks;

static int (*next_mutex_lock)(pthread_mutex_t *);
static int (*next_rwlock_rdlock)(pthread_rwlock_t *);
static int (*next_rwlock_wrlock)(pthread_rwlock_t *);

/* Looked up before any thread or library needs them (main's first call). */
static void find_lock_functions(void)
{
    *(void **)&next_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
    *(void **)&next_rwlock_rdlock = dlsym(RTLD_NEXT, "pthread_rwlock_rdlock");
    *(void **)&next_rwlock_wrlock = dlsym(RTLD_NEXT, "pthread_rwlock_wrlock");
    if (next_mutex_lock == NULL || next_rwlock_rdlock == NULL || next_rwlock_wrlock == NULL) {
        fprintf(stderr, "test_srtp_alloc: cannot find the pthread lock functions\n");
        exit(1);
    }
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (counting)
        locks++;
    return next_mutex_lock(m);
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    if (counting)
        locks++;
    return next_rwlock_rdlock(l);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    if (counting)
        locks++;
    return next_rwlock_wrlock(l);
}


#define PACKETS 2000 /* per case, after the first packet */
#define BATCH 32
#define PAYLOAD 160
#define ROOM (12 + PAYLOAD + UC_SRTP_MAX_OVERHEAD)

static const int SUITES[] = {UC_SRTP_AES_CM_128_HMAC_SHA1_80, UC_SRTP_AES_CM_128_HMAC_SHA1_32,
                             UC_SRTP_AEAD_AES_128_GCM};
static const char *const SUITE_NAMES[] = {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                          "AEAD_AES_128_GCM"};

static uint8_t wire[PACKETS + 1][ROOM]; /* protected packets, kept for unprotect */
static size_t wire_len[PACKETS + 1];

static size_t make_rtp(uint8_t *buf, uint16_t seq)
{
    static const uint8_t header[12] = {0x80, 111, 0, 0, 0, 0, 0, 0, 0x5e, 0xc0, 0xde, 0x01};
    memcpy(buf, header, sizeof header);
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    for (size_t i = 0; i < PAYLOAD; i++)
        buf[12 + i] = (uint8_t)(i * 31 + seq);
    return 12 + PAYLOAD;
}

/* An RTCP receiver report with no report blocks (RFC 3550 section 6.4.2). */
static size_t make_rtcp(uint8_t *buf)
{
    static const uint8_t rr[8] = {0x80, 201, 0, 1, 0x5e, 0xc0, 0xde, 0x01};
    memcpy(buf, rr, sizeof rr);
    return sizeof rr;
}

static uc_srtp_session *create(int suite, int direction)
{
    uint8_t key[UC_SRTP_MAX_KEY_SALT_LEN];
    int klen = uc_srtp_suite_key_salt_len(suite);
    for (int i = 0; i < klen; i++)
        key[i] = (uint8_t)(3 + 7 * i);
    uc_srtp_session *s = NULL;
    CHECK(uc_srtp_session_create(&s, suite, direction, key, (size_t)klen, -1, 0, NULL, 0, 0) == UC_OK);
    return s;
}

/* Protect PACKETS + 1 packets (RTP or RTCP) singly, then unprotect them singly; packet 0 of
 * each direction runs uncounted (it creates the stream), the rest counted. */
static void single(int k, int rtcp)
{
    uc_srtp_session *out = create(SUITES[k], UC_SRTP_OUTBOUND);
    uc_srtp_session *in = create(SUITES[k], UC_SRTP_INBOUND);
    if (out == NULL || in == NULL)
        return;
    for (int i = 0; i <= PACKETS; i++) {
        size_t len = rtcp ? make_rtcp(wire[i]) : make_rtp(wire[i], (uint16_t)i);
        counting = i > 0;
        int n = rtcp ? uc_srtp_protect_rtcp(out, wire[i], len, ROOM)
                     : uc_srtp_protect_rtp(out, wire[i], len, ROOM);
        counting = 0;
        CHECK(n > 0);
        wire_len[i] = n > 0 ? (size_t)n : 0;
    }
    for (int i = 0; i <= PACKETS; i++) {
        counting = i > 0;
        int n = rtcp ? uc_srtp_unprotect_rtcp(in, wire[i], wire_len[i])
                     : uc_srtp_unprotect_rtp(in, wire[i], wire_len[i]);
        counting = 0;
        CHECK(n > 0);
    }
    printf("test_srtp_alloc: %s %s protect+unprotect x%d: %lu allocations, %lu locks\n",
           SUITE_NAMES[k], rtcp ? "RTCP" : "RTP", PACKETS, allocations, locks);
    CHECK(allocations == 0);
    CHECK(locks == 0);
    allocations = 0;
    locks = 0;
    uc_srtp_session_destroy(out);
    uc_srtp_session_destroy(in);
}

/* The same through the batch calls, BATCH packets a call; the first call creates the stream. */
static void batch(int k)
{
    uc_srtp_session *out = create(SUITES[k], UC_SRTP_OUTBOUND);
    uc_srtp_session *in = create(SUITES[k], UC_SRTP_INBOUND);
    if (out == NULL || in == NULL)
        return;
    uint8_t *ptrs[BATCH];
    size_t lens[BATCH], caps[BATCH];
    int status[BATCH], srtp_status[BATCH];
    for (int first = 0; first + BATCH <= PACKETS; first += BATCH) {
        for (int j = 0; j < BATCH; j++) {
            ptrs[j] = wire[first + j];
            lens[j] = make_rtp(ptrs[j], (uint16_t)(first + j));
            caps[j] = ROOM;
        }
        counting = first > 0;
        int ok = uc_srtp_protect_rtp_batch(out, ptrs, lens, caps, status, srtp_status, BATCH);
        CHECK(ok == BATCH);
        counting = 1;
        ok = uc_srtp_unprotect_rtp_batch(in, ptrs, lens, status, srtp_status, BATCH);
        counting = 0;
        CHECK(ok == BATCH);
        /* the inbound stream was created by the first unprotect; count from the next batch */
        if (first == 0) {
            allocations = 0;
            locks = 0;
        }
    }
    printf("test_srtp_alloc: %s RTP batch protect+unprotect: %lu allocations, %lu locks\n",
           SUITE_NAMES[k], allocations, locks);
    CHECK(allocations == 0);
    CHECK(locks == 0);
    allocations = 0;
    locks = 0;
    uc_srtp_session_destroy(out);
    uc_srtp_session_destroy(in);
}

int main(void)
{
    find_lock_functions();
    install_counter();

    /* Positive controls: initialising libsrtp (its crypto self tests) and creating a session
     * allocate and lock, and the counters see it. */
    counting = 1;
    CHECK(uc_srtp_library_init() == UC_OK);
    uc_srtp_session *control = create(SUITES[0], UC_SRTP_OUTBOUND);
    counting = 0;
    printf("test_srtp_alloc: library init and a session create: %lu allocations, %lu locks\n",
           allocations, locks);
    CHECK(allocations > 0);
    CHECK(locks > 0);
    uc_srtp_session_destroy(control);
    allocations = 0;
    locks = 0;

    for (int k = 0; k < 3; k++) {
        if (uc_srtp_suite_available(SUITES[k]) != 1) {
            fprintf(stderr, "test_srtp_alloc: %s not in this libsrtp2 build\n", SUITE_NAMES[k]);
            failures++;
            continue;
        }
        single(k, 0);
        single(k, 1);
        batch(k);
    }
    return check_finish("test_srtp_alloc");
}
