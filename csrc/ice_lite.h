/* ICE-lite responder for one leg (RFC 8445 sections 2.5, 6.1.1, 7.3; RFC 7675 consent).
 *
 * The engine is the lite side toward full agents (softphones, browsers): it never sends
 * checks, it answers them. Every STUN datagram arriving on a leg socket goes to
 * uc_ice_lite_handle(), which validates a Binding request (FINGERPRINT, USERNAME
 * "local_ufrag:remote_ufrag", MESSAGE-INTEGRITY keyed with the local password, PRIORITY)
 * and writes the response to send back to the source address from the same socket:
 *  - Binding success with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT;
 *  - 400 Bad Request: a request without USERNAME, MESSAGE-INTEGRITY or PRIORITY, or of a
 *    method other than Binding (RFC 8489 sections 6.3.1, 9.1.3);
 *  - 401 Unauthorized: unknown USERNAME or MESSAGE-INTEGRITY that does not verify (no
 *    MESSAGE-INTEGRITY in the answer: we do not know the sender's key);
 *  - 420 Unknown Attribute with UNKNOWN-ATTRIBUTES for comprehension-required attributes
 *    we do not know;
 *  - 487 Role Conflict to a request carrying ICE-CONTROLLED: a lite agent is always
 *    controlled (RFC 8445 section 6.1.1), so the peer must take the controlling role
 *    (section 7.3.1.1 with our tie-breaker treated as the largest value).
 * Integrity is MESSAGE-INTEGRITY (HMAC-SHA1), which RFC 8445 section 7.2.2 prescribes for
 * checks; a MESSAGE-INTEGRITY-SHA256 in a request is not checked and does not stand in
 * for it (a request with only that one gets 400).
 * Silently dropped (no answer, a counter incremented): datagrams that do not parse,
 * a FINGERPRINT absent or wrong (RFC 8445 section 7.3: FINGERPRINT is mandatory in ICE),
 * Binding indications (keepalives, RFC 8445 section 11) and responses (a lite agent sends
 * no requests).
 *
 * Pairs: with one local candidate per leg socket, a candidate pair is identified by the
 * remote transport address (the request's source). A valid check refreshes the pair's
 * consent (RFC 7675: consent checks are ordinary ICE Binding requests). A valid check with
 * USE-CANDIDATE nominates its pair (RFC 8445 section 7.3.1.5): the nominated pair
 * becomes the selected pair, unless a pair of higher priority (PRIORITY attribute) is
 * already selected and still has consent; equal priority goes to the newer nomination
 * (a NAT rebinding moves the client to a new port with the same priority). The leg sends
 * media to the selected pair's remote address (uc_ice_lite_selected()).
 *
 * Consent: uc_ice_lite_consent_expired(now) is 1 once a pair is selected and no valid check
 * arrived on it for UC_ICE_LITE_CONSENT_TIMEOUT_MS (RFC 7675 section 5.1: 30 s); the leg
 * must then stop sending media. A later valid check on that pair restores consent.
 *
 * Time is an argument, `now_ms`: milliseconds on any monotonic clock the caller chooses
 * (the same one for every call). No clock reads, no allocation and no locks after create;
 * one responder is used by one thread at a time (the worker that owns the leg). */
#ifndef UC_ICE_LITE_H
#define UC_ICE_LITE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun.h"

#define UC_ICE_LITE_CONSENT_TIMEOUT_MS 30000
/* Remote addresses tracked at once; a new one replaces the least recently checked
 * unselected pair. */
#define UC_ICE_LITE_MAX_PAIRS 8
/* ice-ufrag is 4..256 ice-chars, ice-pwd 22..256 (RFC 8839 section 5.4). */
#define UC_ICE_MAX_UFRAG 256
#define UC_ICE_MAX_PWD 256
/* Buffer large enough for any response uc_ice_lite_handle() writes. */
#define UC_ICE_LITE_MAX_RESPONSE 160

/* Bits of *events after uc_ice_lite_handle(). */
#define UC_ICE_LITE_EV_CHECK 0x1u    /* a valid check was answered (consent refreshed) */
#define UC_ICE_LITE_EV_SELECTED 0x2u /* the selected pair changed: read uc_ice_lite_selected */
#define UC_ICE_LITE_EV_REJECTED 0x4u /* a request was answered with an error response */
#define UC_ICE_LITE_EV_DROPPED 0x8u  /* the datagram was dropped without an answer */

/* uc_ice_lite_state() */
enum uc_ice_lite_state {
    UC_ICE_LITE_WAITING = 0,   /* no pair selected yet */
    UC_ICE_LITE_CONNECTED = 1, /* a pair is selected and has consent */
    UC_ICE_LITE_EXPIRED = 2,   /* the selected pair's consent expired: stop media */
};

typedef struct uc_ice_lite_counters {
    uint64_t requests;        /* Binding requests that parsed and had a good FINGERPRINT */
    uint64_t success;         /* success responses written */
    uint64_t malformed;       /* datagrams that failed to parse as STUN */
    uint64_t bad_fingerprint; /* FINGERPRINT absent or wrong: dropped */
    uint64_t bad_integrity;   /* MESSAGE-INTEGRITY wrong: 401 */
    uint64_t unknown_user;    /* USERNAME not "local:remote": 401 */
    uint64_t bad_request;     /* missing USERNAME/MESSAGE-INTEGRITY/PRIORITY, other method: 400 */
    uint64_t unknown_attribute; /* unknown comprehension-required attribute: 420 */
    uint64_t role_conflict;   /* ICE-CONTROLLED in a request: 487 */
    uint64_t ignored;         /* indications and responses: dropped */
} uc_ice_lite_counters;

typedef struct uc_ice_lite uc_ice_lite;

/* Create a responder. local ufrag/pwd are ours (from our SDP); remote ufrag/pwd the
 * peer's, or NULL/0 when not known yet (we offered and the answer has not arrived: RFC
 * 8445 section 7.3 says to answer checks anyway; then the remote part of USERNAME is not
 * checked until uc_ice_lite_set_remote()). Only the local password keys the integrity
 * of checks and responses; the remote password is kept for completeness of the
 * credentials and is not used by a lite agent. Returns UC_OK, UC_ERR_ARGUMENT (empty
 * local ufrag/pwd, lengths above the limits, ':' in a ufrag) or UC_ERR_NOMEM. */
int uc_ice_lite_create(uc_ice_lite **out, const char *local_ufrag, size_t local_ufrag_len,
                       const char *local_pwd, size_t local_pwd_len, const char *remote_ufrag,
                       size_t remote_ufrag_len, const char *remote_pwd, size_t remote_pwd_len);
void uc_ice_lite_destroy(uc_ice_lite *ice);

/* Set or replace the remote credentials (answer arrived). Returns UC_OK or
 * UC_ERR_ARGUMENT. An ICE restart (new local credentials) is a new responder. */
int uc_ice_lite_set_remote(uc_ice_lite *ice, const char *remote_ufrag, size_t remote_ufrag_len,
                           const char *remote_pwd, size_t remote_pwd_len);

/* Handle one STUN datagram received from `src`. Writes the response, if any, into
 * out[0..out_capacity) and returns its length (> 0: send it to `src` from the socket the
 * request came in on), 0 when nothing is to be sent, or UC_ERR_NOSPACE (out_capacity
 * below the response; UC_ICE_LITE_MAX_RESPONSE is always enough) or UC_ERR_ARGUMENT
 * (src not AF_INET/AF_INET6, NULL pointers). *events (may be NULL) receives the
 * UC_ICE_LITE_EV_* bits. */
int uc_ice_lite_handle(uc_ice_lite *ice, const uint8_t *packet, size_t len,
                       const struct sockaddr *src, socklen_t src_len, int64_t now_ms,
                       uint8_t *out, size_t out_capacity, unsigned *events);

/* The selected pair's remote address (where media goes): returns 1 and fills *out
 * (capacity *out_len, set to the length used; sockaddr_storage is always enough), or 0
 * when no pair is selected. */
int uc_ice_lite_selected(const uc_ice_lite *ice, struct sockaddr *out, socklen_t *out_len);

/* enum uc_ice_lite_state at `now_ms`. */
int uc_ice_lite_state(const uc_ice_lite *ice, int64_t now_ms);

/* 1 if a pair is selected and its consent has expired at `now_ms` (stop sending media),
 * else 0. */
int uc_ice_lite_consent_expired(const uc_ice_lite *ice, int64_t now_ms);

/* Time of the last valid check on the selected pair (now_ms as passed to handle), or -1
 * when no pair is selected. */
int64_t uc_ice_lite_last_check(const uc_ice_lite *ice);

/* Counters since create. */
void uc_ice_lite_get_counters(const uc_ice_lite *ice, uc_ice_lite_counters *out);

#endif
