/* SRTP and SRTCP (RFC 3711, RFC 7714 for AES-GCM) through libsrtp2.
 *
 * One uc_srtp_session protects OR unprotects: it holds one master key (with its salt)
 * for one direction, for RTP and RTCP alike. That is the SDES model (RFC 4568): each side
 * announces the key it sends with, so a call leg has an outbound session (our key) and
 * an inbound session (the peer's key). Calling protect on an inbound session, or
 * unprotect on an outbound one, returns UC_ERR_STATE.
 *
 * Packets are processed in place. Capacity rule: protecting a packet of `len` bytes
 * writes uc_srtp_overhead() more bytes after it (authentication tag, MKI, and for SRTCP
 * the 4-byte E-flag/index word), so the buffer's capacity must be at least
 * len + uc_srtp_overhead(session, is_rtcp); UC_SRTP_MAX_OVERHEAD bounds it for every
 * suite. Unprotecting only shrinks a packet.
 *
 * Replay protection is on for both directions (libsrtp's sender check rejects a repeated
 * sequence number, its receiver check a replayed or too-old index).
 *
 * Nothing here allocates after uc_srtp_session_create, with one exception owned by
 * libsrtp: a session made without a fixed SSRC (ssrc < 0) uses libsrtp's wildcard
 * template, and libsrtp clones it once for each new SSRC it sees - on the first packet
 * of that stream that authenticates (inbound) or is protected (outbound), never for
 * later packets. A session with a fixed SSRC never allocates after create and rejects
 * other SSRCs with UC_ERR_SRTP (srtp_err_status_no_ctx).
 *
 * Not thread-safe: one session is used by one thread at a time. */
#ifndef UC_SRTP_SESSION_H
#define UC_SRTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

/* Crypto suites, named as in RFC 4568 section 6.2 and RFC 7714 section 14.2. */
enum uc_srtp_suite {
    UC_SRTP_AES_CM_128_HMAC_SHA1_80 = 1,
    UC_SRTP_AES_CM_128_HMAC_SHA1_32 = 2,
    UC_SRTP_AEAD_AES_128_GCM = 3,
};

enum uc_srtp_direction {
    UC_SRTP_OUTBOUND = 0, /* protect: packets we send */
    UC_SRTP_INBOUND = 1,  /* unprotect: packets we receive */
};

/* Creation flags. With AES_CM_128_HMAC_SHA1_32 the SRTCP tag is 80 bits by default, as
 * in libsrtp's profiles, RFC 5764 section 4.1.2 and pjsip's SDES table. Asterisk and
 * ffmpeg read RFC 4568 section 6.2.2 literally and put the 32-bit tag on SRTCP too; this
 * flag selects that. Other suites reject it. */
#define UC_SRTP_FLAG_SRTCP_TAG_32 0x1u

/* Largest master key || master salt (AES-128: 16 + 14 bytes). */
#define UC_SRTP_MAX_KEY_SALT_LEN 30
/* Longest MKI libsrtp accepts (RFC 4568 allows 1..128 bytes). */
#define UC_SRTP_MAX_MKI_LEN 128
/* Bytes protect may add: SRTCP index word (4) + largest tag (16) + longest MKI. */
#define UC_SRTP_MAX_OVERHEAD (4 + 16 + UC_SRTP_MAX_MKI_LEN)

/* libsrtp's default replay window (packets) when window_size is 0. */
#define UC_SRTP_DEFAULT_WINDOW 128

typedef struct uc_srtp_session uc_srtp_session;

/* Initialise libsrtp once per process (pthread_once); every create calls it too.
 * Returns UC_OK or UC_ERR_SRTP. */
int uc_srtp_library_init(void);

/* 1 if this libsrtp build implements the suite, 0 if not (ours, over OpenSSL, has AES-GCM;
 * a build without a crypto library has none), < 0 for an unknown suite. */
int uc_srtp_suite_available(int suite);

/* Length of master key || master salt for the suite (30 for AES-CM, 28 for AES-GCM),
 * or UC_ERR_ARGUMENT for an unknown suite. */
int uc_srtp_suite_key_salt_len(int suite);

/* Create a session. key_salt is master key || master salt, exactly
 * uc_srtp_suite_key_salt_len(suite) bytes; libsrtp keeps its own copy. ssrc >= 0 binds
 * the session to that one SSRC; ssrc < 0 accepts any. window_size is the replay window
 * in packets (0: libsrtp's default of 128; otherwise 64..32767). mki (may be NULL when
 * mki_len is 0) is the RFC 3711 master key identifier carried in every packet. flags
 * is 0 or UC_SRTP_FLAG_SRTCP_TAG_32. Returns UC_OK, UC_ERR_ARGUMENT, UC_ERR_UNSUPPORTED (suite not in this build),
 * UC_ERR_NOMEM or UC_ERR_SRTP. */
int uc_srtp_session_create(uc_srtp_session **out, int suite, int direction,
                           const uint8_t *key_salt, size_t key_salt_len, int64_t ssrc,
                           unsigned window_size, const uint8_t *mki, size_t mki_len,
                           unsigned flags);

void uc_srtp_session_destroy(uc_srtp_session *session);

/* Bytes protect adds to an RTP (is_rtcp = 0) or RTCP (is_rtcp = 1) packet. */
size_t uc_srtp_overhead(const uc_srtp_session *session, int is_rtcp);

/* Protect or unprotect one packet in place. Returns the new length (>= 0) or a code:
 * UC_ERR_TRUNCATED / UC_ERR_MALFORMED (not a well-formed RTP or RTCP header, checked
 * before libsrtp sees it), UC_ERR_NOSPACE (capacity below the rule above),
 * UC_ERR_STATE (wrong direction), UC_ERR_SRTP_AUTH, UC_ERR_SRTP_REPLAY, UC_ERR_SRTP.
 * After a failure the packet's bytes are unspecified. */
int uc_srtp_protect_rtp(uc_srtp_session *session, uint8_t *packet, size_t len, size_t capacity);
int uc_srtp_unprotect_rtp(uc_srtp_session *session, uint8_t *packet, size_t len);
int uc_srtp_protect_rtcp(uc_srtp_session *session, uint8_t *packet, size_t len, size_t capacity);
int uc_srtp_unprotect_rtcp(uc_srtp_session *session, uint8_t *packet, size_t len);

/* Batches (RTP and RTCP alike): packet i is packets[i], lengths[i] bytes (updated in
 * place on success), capacities[i] bytes of room (protect only; unprotect takes none).
 * status[i] receives UC_OK or the code the single call would return; srtp_status[i]
 * (when srtp_status is not NULL) the raw srtp_err_status_t, 0 when libsrtp was not
 * reached. A failing packet does not stop the batch. Returns how many packets
 * succeeded, or UC_ERR_ARGUMENT for NULL arrays. */
int uc_srtp_protect_rtp_batch(uc_srtp_session *session, uint8_t *const *packets,
                              size_t *lengths, const size_t *capacities, int *status,
                              int *srtp_status, size_t count);
int uc_srtp_unprotect_rtp_batch(uc_srtp_session *session, uint8_t *const *packets,
                                size_t *lengths, int *status, int *srtp_status, size_t count);
int uc_srtp_protect_rtcp_batch(uc_srtp_session *session, uint8_t *const *packets,
                               size_t *lengths, const size_t *capacities, int *status,
                               int *srtp_status, size_t count);
int uc_srtp_unprotect_rtcp_batch(uc_srtp_session *session, uint8_t *const *packets,
                                 size_t *lengths, int *status, int *srtp_status, size_t count);

/* The srtp_err_status_t of the session's last call (0 = srtp_err_status_ok, also after
 * a failure detected before libsrtp was called). */
int uc_srtp_last_status(const uc_srtp_session *session);

/* libsrtp's name for a status, e.g. "srtp_err_status_auth_fail"; never NULL. */
const char *uc_srtp_status_name(int srtp_status);

/* libsrtp's description of a status, e.g. "authentication failure"; never NULL. */
const char *uc_srtp_status_text(int srtp_status);

#endif
