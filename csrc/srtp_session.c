#include "srtp_session.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "byteorder.h"
#include "uc_errors.h"

/* RTP fixed header (RFC 3550 section 5.1) and RTCP common header (section 6.4). */
#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8
/* The E flag and 31-bit SRTCP index every SRTCP packet carries (RFC 3711 section 3.4). */
#define SRTCP_INDEX_LEN 4
/* Largest packet accepted: what fits in a UDP datagram or an RFC 4571 frame. */
#define MAX_PACKET_LEN 65535

struct uc_srtp_session {
    srtp_t ctx;
    int direction;
    size_t rtp_overhead;  /* tag + MKI */
    size_t rtcp_overhead; /* SRTCP index word + tag + MKI */
    unsigned use_mki;
    int last_status; /* srtp_err_status_t of the last call */
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t library_status = srtp_err_status_init_fail;

static void library_init_once(void) { library_status = srtp_init(); }

int uc_srtp_library_init(void)
{
    pthread_once(&library_once, library_init_once);
    return library_status == srtp_err_status_ok ? UC_OK : UC_ERR_SRTP;
}

static int suite_profile(int suite, srtp_profile_t *profile)
{
    switch (suite) {
    case UC_SRTP_AES_CM_128_HMAC_SHA1_80: *profile = srtp_profile_aes128_cm_sha1_80; return UC_OK;
    case UC_SRTP_AES_CM_128_HMAC_SHA1_32: *profile = srtp_profile_aes128_cm_sha1_32; return UC_OK;
    case UC_SRTP_AEAD_AES_128_GCM: *profile = srtp_profile_aead_aes_128_gcm; return UC_OK;
    default: return UC_ERR_ARGUMENT;
    }
}

int uc_srtp_suite_key_salt_len(int suite)
{
    srtp_profile_t profile;
    if (suite_profile(suite, &profile) < 0)
        return UC_ERR_ARGUMENT;
    return (int)(srtp_profile_get_master_key_length(profile) +
                 srtp_profile_get_master_salt_length(profile));
}

/* Fill the RTP and RTCP crypto policies for a suite. libsrtp's profile setters return
 * bad_param for a profile the build left out (AES-GCM needs OpenSSL, NSS or mbedTLS),
 * which is how "not in this build" is told apart from "unknown". For
 * AES_CM_128_HMAC_SHA1_32 the RTCP policy keeps the 80-bit tag unless
 * UC_SRTP_FLAG_SRTCP_TAG_32 says otherwise (see srtp_session.h). */
static int set_crypto_policies(int suite, srtp_policy_t *policy)
{
    srtp_profile_t profile;
    if (suite_profile(suite, &profile) < 0)
        return UC_ERR_ARGUMENT;
    if (srtp_crypto_policy_set_from_profile_for_rtp(&policy->rtp, profile) != srtp_err_status_ok ||
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy->rtcp, profile) != srtp_err_status_ok)
        return UC_ERR_UNSUPPORTED;
    return UC_OK;
}

int uc_srtp_suite_available(int suite)
{
    if (uc_srtp_library_init() < 0)
        return UC_ERR_SRTP;
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    int rc = set_crypto_policies(suite, &policy);
    if (rc == UC_ERR_ARGUMENT)
        return rc;
    if (rc < 0)
        return 0;
    /* The policy exists; make sure the cipher is in the crypto kernel by building a
     * throwaway session (set-up path only). */
    uint8_t key[UC_SRTP_MAX_KEY_SALT_LEN] = {0};
    policy.key = key;
    policy.ssrc.type = ssrc_any_outbound;
    srtp_t ctx;
    if (srtp_create(&ctx, &policy) != srtp_err_status_ok)
        return 0;
    srtp_dealloc(ctx);
    return 1;
}

int uc_srtp_session_create(uc_srtp_session **out, int suite, int direction,
                           const uint8_t *key_salt, size_t key_salt_len, int64_t ssrc,
                           unsigned window_size, const uint8_t *mki, size_t mki_len,
                           unsigned flags)
{
    if (out == NULL || key_salt == NULL)
        return UC_ERR_ARGUMENT;
    *out = NULL;
    if (direction != UC_SRTP_OUTBOUND && direction != UC_SRTP_INBOUND)
        return UC_ERR_ARGUMENT;
    int expected = uc_srtp_suite_key_salt_len(suite);
    if (expected < 0 || key_salt_len != (size_t)expected)
        return UC_ERR_ARGUMENT;
    if (ssrc > (int64_t)UINT32_MAX)
        return UC_ERR_ARGUMENT;
    /* libsrtp's bitmap window: 64..0x7fff packets (srtp_rdbx_init). */
    if (window_size != 0 && (window_size < 64 || window_size > 0x7fff))
        return UC_ERR_ARGUMENT;
    if (mki_len > UC_SRTP_MAX_MKI_LEN || (mki_len > 0 && mki == NULL))
        return UC_ERR_ARGUMENT;
    if ((flags & ~UC_SRTP_FLAG_SRTCP_TAG_32) != 0 ||
        ((flags & UC_SRTP_FLAG_SRTCP_TAG_32) && suite != UC_SRTP_AES_CM_128_HMAC_SHA1_32))
        return UC_ERR_ARGUMENT;
    if (uc_srtp_library_init() < 0)
        return UC_ERR_SRTP;

    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    int rc = set_crypto_policies(suite, &policy);
    if (rc < 0)
        return rc;
    if (flags & UC_SRTP_FLAG_SRTCP_TAG_32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtcp);
    /* libsrtp copies the key material into its own contexts during srtp_create, so
     * these stack copies are wiped before returning. */
    uint8_t key[UC_SRTP_MAX_KEY_SALT_LEN];
    uint8_t mki_copy[UC_SRTP_MAX_MKI_LEN];
    memcpy(key, key_salt, key_salt_len);
    srtp_master_key_t master = {key, mki_copy, (unsigned)mki_len};
    srtp_master_key_t *masters[1] = {&master};
    if (mki_len > 0) {
        memcpy(mki_copy, mki, mki_len);
        policy.keys = masters;
        policy.num_master_keys = 1;
    } else {
        policy.key = key;
    }
    if (ssrc >= 0) {
        policy.ssrc.type = ssrc_specific;
        policy.ssrc.value = (uint32_t)ssrc;
    } else {
        policy.ssrc.type = direction == UC_SRTP_OUTBOUND ? ssrc_any_outbound : ssrc_any_inbound;
    }
    policy.window_size = window_size;
    policy.allow_repeat_tx = 0;

    uc_srtp_session *session = calloc(1, sizeof *session);
    if (session == NULL) {
        explicit_bzero(key, sizeof key);
        return UC_ERR_NOMEM;
    }
    srtp_err_status_t status = srtp_create(&session->ctx, &policy);
    explicit_bzero(key, sizeof key);
    explicit_bzero(mki_copy, sizeof mki_copy);
    if (status != srtp_err_status_ok) {
        free(session);
        if (status == srtp_err_status_alloc_fail)
            return UC_ERR_NOMEM;
        /* The profile was accepted but the cipher is missing from the crypto kernel. */
        return suite == UC_SRTP_AEAD_AES_128_GCM ? UC_ERR_UNSUPPORTED : UC_ERR_SRTP;
    }
    session->direction = direction;
    session->use_mki = mki_len > 0;
    session->rtp_overhead = (size_t)policy.rtp.auth_tag_len + mki_len;
    session->rtcp_overhead = SRTCP_INDEX_LEN + (size_t)policy.rtcp.auth_tag_len + mki_len;
    *out = session;
    return UC_OK;
}

void uc_srtp_session_destroy(uc_srtp_session *session)
{
    if (session == NULL)
        return;
    srtp_dealloc(session->ctx);
    free(session);
}

size_t uc_srtp_overhead(const uc_srtp_session *session, int is_rtcp)
{
    return is_rtcp ? session->rtcp_overhead : session->rtp_overhead;
}

int uc_srtp_last_status(const uc_srtp_session *session) { return session->last_status; }

/* Length of the RTP header (fixed part, CSRCs, extension) or a code when the bytes are
 * not an RTP header that fits in len (RFC 3550 section 5.1, RFC 8285). */
static int rtp_header_len(const uint8_t *p, size_t len)
{
    if (len < RTP_HEADER_LEN)
        return UC_ERR_TRUNCATED;
    if ((p[0] >> 6) != 2)
        return UC_ERR_MALFORMED;
    size_t hlen = RTP_HEADER_LEN + 4u * (p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (len < hlen + 4)
            return UC_ERR_TRUNCATED;
        hlen += 4 + 4u * (size_t)uc_rd16(p + hlen + 2);
    }
    if (len < hlen)
        return UC_ERR_TRUNCATED;
    return (int)hlen;
}

static int rtcp_header_check(const uint8_t *p, size_t len)
{
    if (len < RTCP_HEADER_LEN)
        return UC_ERR_TRUNCATED;
    if ((p[0] >> 6) != 2)
        return UC_ERR_MALFORMED;
    return UC_OK;
}

static int map_status(srtp_err_status_t status)
{
    switch (status) {
    case srtp_err_status_ok: return UC_OK;
    case srtp_err_status_auth_fail: return UC_ERR_SRTP_AUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return UC_ERR_SRTP_REPLAY;
    default: return UC_ERR_SRTP;
    }
}

/* Checks shared by the four packet calls; returns UC_OK or the code to report. */
static int check_call(uc_srtp_session *session, const uint8_t *packet, size_t len, int direction)
{
    if (session == NULL || packet == NULL)
        return UC_ERR_ARGUMENT;
    session->last_status = srtp_err_status_ok;
    if (session->direction != direction)
        return UC_ERR_STATE;
    if (len > MAX_PACKET_LEN)
        return UC_ERR_ARGUMENT;
    return UC_OK;
}

int uc_srtp_protect_rtp(uc_srtp_session *session, uint8_t *packet, size_t len, size_t capacity)
{
    int rc = check_call(session, packet, len, UC_SRTP_OUTBOUND);
    if (rc < 0)
        return rc;
    if ((rc = rtp_header_len(packet, len)) < 0)
        return rc;
    if (capacity < len + session->rtp_overhead)
        return UC_ERR_NOSPACE;
    int n = (int)len;
    srtp_err_status_t status = srtp_protect_mki(session->ctx, packet, &n, session->use_mki, 0);
    session->last_status = status;
    return status == srtp_err_status_ok ? n : map_status(status);
}

int uc_srtp_unprotect_rtp(uc_srtp_session *session, uint8_t *packet, size_t len)
{
    int rc = check_call(session, packet, len, UC_SRTP_INBOUND);
    if (rc < 0)
        return rc;
    if ((rc = rtp_header_len(packet, len)) < 0)
        return rc;
    /* The trailer (MKI, tag) must follow the header, or there is nothing to verify. */
    if (len < (size_t)rc + session->rtp_overhead)
        return UC_ERR_TRUNCATED;
    int n = (int)len;
    srtp_err_status_t status = srtp_unprotect_mki(session->ctx, packet, &n, session->use_mki);
    session->last_status = status;
    return status == srtp_err_status_ok ? n : map_status(status);
}

int uc_srtp_protect_rtcp(uc_srtp_session *session, uint8_t *packet, size_t len, size_t capacity)
{
    int rc = check_call(session, packet, len, UC_SRTP_OUTBOUND);
    if (rc < 0)
        return rc;
    if ((rc = rtcp_header_check(packet, len)) < 0)
        return rc;
    if (capacity < len + session->rtcp_overhead)
        return UC_ERR_NOSPACE;
    int n = (int)len;
    srtp_err_status_t status =
        srtp_protect_rtcp_mki(session->ctx, packet, &n, session->use_mki, 0);
    session->last_status = status;
    return status == srtp_err_status_ok ? n : map_status(status);
}

int uc_srtp_unprotect_rtcp(uc_srtp_session *session, uint8_t *packet, size_t len)
{
    int rc = check_call(session, packet, len, UC_SRTP_INBOUND);
    if (rc < 0)
        return rc;
    if ((rc = rtcp_header_check(packet, len)) < 0)
        return rc;
    if (len < RTCP_HEADER_LEN + session->rtcp_overhead)
        return UC_ERR_TRUNCATED;
    int n = (int)len;
    srtp_err_status_t status =
        srtp_unprotect_rtcp_mki(session->ctx, packet, &n, session->use_mki);
    session->last_status = status;
    return status == srtp_err_status_ok ? n : map_status(status);
}

/* One call of the batch: the same checks and results as the single calls. */
typedef int (*packet_op)(uc_srtp_session *, uint8_t *, size_t, size_t);

static int protect_rtp_op(uc_srtp_session *s, uint8_t *p, size_t len, size_t cap)
{
    return uc_srtp_protect_rtp(s, p, len, cap);
}

static int unprotect_rtp_op(uc_srtp_session *s, uint8_t *p, size_t len, size_t cap)
{
    (void)cap;
    return uc_srtp_unprotect_rtp(s, p, len);
}

static int protect_rtcp_op(uc_srtp_session *s, uint8_t *p, size_t len, size_t cap)
{
    return uc_srtp_protect_rtcp(s, p, len, cap);
}

static int unprotect_rtcp_op(uc_srtp_session *s, uint8_t *p, size_t len, size_t cap)
{
    (void)cap;
    return uc_srtp_unprotect_rtcp(s, p, len);
}

static int run_batch(packet_op op, uc_srtp_session *session, uint8_t *const *packets,
                     size_t *lengths, const size_t *capacities, int *status, int *srtp_status,
                     size_t count)
{
    if (count > 0 && (packets == NULL || lengths == NULL || status == NULL))
        return UC_ERR_ARGUMENT;
    int ok = 0;
    for (size_t i = 0; i < count; i++) {
        int rc = op(session, packets[i], lengths[i], capacities != NULL ? capacities[i] : 0);
        if (rc >= 0) {
            lengths[i] = (size_t)rc;
            ok++;
        }
        status[i] = rc < 0 ? rc : UC_OK;
        if (srtp_status != NULL)
            srtp_status[i] = session != NULL ? session->last_status : 0;
    }
    return ok;
}

int uc_srtp_protect_rtp_batch(uc_srtp_session *session, uint8_t *const *packets,
                              size_t *lengths, const size_t *capacities, int *status,
                              int *srtp_status, size_t count)
{
    if (count > 0 && capacities == NULL)
        return UC_ERR_ARGUMENT;
    return run_batch(protect_rtp_op, session, packets, lengths, capacities, status, srtp_status,
                     count);
}

int uc_srtp_unprotect_rtp_batch(uc_srtp_session *session, uint8_t *const *packets,
                                size_t *lengths, int *status, int *srtp_status, size_t count)
{
    return run_batch(unprotect_rtp_op, session, packets, lengths, NULL, status, srtp_status,
                     count);
}

int uc_srtp_protect_rtcp_batch(uc_srtp_session *session, uint8_t *const *packets,
                               size_t *lengths, const size_t *capacities, int *status,
                               int *srtp_status, size_t count)
{
    if (count > 0 && capacities == NULL)
        return UC_ERR_ARGUMENT;
    return run_batch(protect_rtcp_op, session, packets, lengths, capacities, status,
                     srtp_status, count);
}

int uc_srtp_unprotect_rtcp_batch(uc_srtp_session *session, uint8_t *const *packets,
                                 size_t *lengths, int *status, int *srtp_status, size_t count)
{
    return run_batch(unprotect_rtcp_op, session, packets, lengths, NULL, status, srtp_status,
                     count);
}

/* Names and texts in srtp_err_status_t order (srtp2/srtp.h). libsrtp 2.5 has no
 * function that returns them. */
static const char *const STATUS_NAMES[][2] = {
    {"srtp_err_status_ok", "nothing to report"},
    {"srtp_err_status_fail", "unspecified failure"},
    {"srtp_err_status_bad_param", "unsupported parameter"},
    {"srtp_err_status_alloc_fail", "couldn't allocate memory"},
    {"srtp_err_status_dealloc_fail", "couldn't deallocate properly"},
    {"srtp_err_status_init_fail", "couldn't initialize"},
    {"srtp_err_status_terminus", "can't process as much data as requested"},
    {"srtp_err_status_auth_fail", "authentication failure"},
    {"srtp_err_status_cipher_fail", "cipher failure"},
    {"srtp_err_status_replay_fail", "replay check failed (bad index)"},
    {"srtp_err_status_replay_old", "replay check failed (index too old)"},
    {"srtp_err_status_algo_fail", "algorithm failed test routine"},
    {"srtp_err_status_no_such_op", "unsupported operation"},
    {"srtp_err_status_no_ctx", "no appropriate context found"},
    {"srtp_err_status_cant_check", "unable to perform desired validation"},
    {"srtp_err_status_key_expired", "can't use key any more"},
    {"srtp_err_status_socket_err", "error in use of socket"},
    {"srtp_err_status_signal_err", "error in use POSIX signals"},
    {"srtp_err_status_nonce_bad", "nonce check failed"},
    {"srtp_err_status_read_fail", "couldn't read data"},
    {"srtp_err_status_write_fail", "couldn't write data"},
    {"srtp_err_status_parse_err", "error parsing data"},
    {"srtp_err_status_encode_err", "error encoding data"},
    {"srtp_err_status_semaphore_err", "error while using semaphores"},
    {"srtp_err_status_pfkey_err", "error while using pfkey"},
    {"srtp_err_status_bad_mki", "MKI present in packet is invalid"},
    {"srtp_err_status_pkt_idx_old", "packet index is too old to consider"},
    {"srtp_err_status_pkt_idx_adv", "packet index advanced, reset needed"},
};

#define STATUS_COUNT (sizeof STATUS_NAMES / sizeof STATUS_NAMES[0])

const char *uc_srtp_status_name(int srtp_status)
{
    if (srtp_status < 0 || (size_t)srtp_status >= STATUS_COUNT)
        return "srtp_err_status_unknown";
    return STATUS_NAMES[srtp_status][0];
}

const char *uc_srtp_status_text(int srtp_status)
{
    if (srtp_status < 0 || (size_t)srtp_status >= STATUS_COUNT)
        return "unknown status";
    return STATUS_NAMES[srtp_status][1];
}
