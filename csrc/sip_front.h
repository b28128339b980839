/* The C front of SIP over UDP: digest challenges answered before Python parses.
 *
 * Every UDP datagram is offered here first (uc_signal/transport/udp.py). For a narrow,
 * exactly specified subset the answer depends only on a few header bytes, and the front
 * gives it itself (sans-IO: the caller sends, the time comes in as an argument):
 *
 * - ANSWER: a REGISTER for a served domain with no credentials gets the registrar's 401
 *   (RFC 3261 10.3 step 3, 22.1); an INVITE or MESSAGE out of a dialog from a local user
 *   to a user of a served domain, with no credentials, gets CallerAuthentication's 407
 *   (22.3). Stateless (8.2.7): To tag = the stateless prefix + 8 hex digits, the nonce
 *   base64url(issued_ms || salt || HMAC-SHA256(secret, issued_ms || salt || realm)[:16]),
 *   as uc_signal.sip.digest.DigestAuthenticator makes and checks it.
 * - RESEND: a retransmission (same method, Via branch and sent-by: the transaction key,
 *   17.2.3) within `cache_seconds` gets the very bytes sent before, from a fixed table.
 * - ABSORB: an ACK whose To tag carries the stateless prefix acknowledges such a
 *   challenge (17.2.3 / 8.2.7); nothing to do.
 * - PASS: everything else, unchanged, to the Python stack. Anything unusual passes: a
 *   header outside a short list, a folded or compact one, a second Via, credentials,
 *   Require / Proxy-Require / Route, a To tag, URIs with parameters, IPv6, quoted
 *   strings... so the front answers only where the Python path certainly sends that same
 *   challenge (docs/architecture.md, "As built: C front for challenges").
 *
 * No allocation after sip_front_create (the HMAC's inner and outer SHA-256 states are
 * computed there and copied per nonce), no lock: one front per thread (the asyncio
 * loop's). Never reads outside `buf[0..len)`. */
#ifndef UC_SIP_FRONT_H
#define UC_SIP_FRONT_H

#include <stddef.h>
#include <stdint.h>

#define SIP_FRONT_MAX_REALMS 8
#define SIP_FRONT_MAX_CHALLENGES 3
#define SIP_FRONT_MAX_TEMPLATE 384  /* one challenge value's text before or after its nonce */
#define SIP_FRONT_MAX_NAME 128      /* a realm, an excluded user@host, the tag prefix */
#define SIP_FRONT_MAX_EXCLUDED 32
#define SIP_FRONT_ANSWER_MAX 1400   /* larger answers are left to Python */
#define SIP_FRONT_KEY_MAX 160
#define SIP_FRONT_MAX_DATAGRAM 4096 /* longer datagrams pass */

enum sip_front_verdict {
    SIP_FRONT_PASS = 0,
    SIP_FRONT_ABSORB = 1,
    SIP_FRONT_ANSWER = 2, /* a new challenge in `out` */
    SIP_FRONT_RESEND = 3, /* the remembered answer to this request, in `out` */
    SIP_FRONT_VERIFIED = 4 /* an authenticated REGISTER whose digest verified: `out` holds
                            * the 200's head, `result` the values the registrar needs; the
                            * caller applies the binding and either completes the answer
                            * (sip_front_registered) or hands the datagram on
                            * (sip_front_declined) */
};

enum sip_front_method { SIP_FRONT_REGISTER = 0, SIP_FRONT_INVITE = 1, SIP_FRONT_MESSAGE = 2, SIP_FRONT_METHODS = 3 };

/* What the realm's challenges say: 401 with WWW-Authenticate (registrar), 407 with
 * Proxy-Authenticate (caller authentication). */
enum sip_front_kind { SIP_FRONT_UAS = 0, SIP_FRONT_PROXY = 1 };

typedef struct {
    uint64_t answered[SIP_FRONT_METHODS]; /* new challenges: REGISTER 401, INVITE/MESSAGE 407 */
    uint64_t resent;                      /* retransmissions answered from the table */
    uint64_t absorbed;                    /* ACKs to stateless answers */
    uint64_t passed;                      /* datagrams left to Python */
    uint64_t registered;                  /* authenticated REGISTERs answered 200 */
} sip_front_counters_t;

typedef struct {
    const uint8_t *secret; /* the nonce secret (>= 16 bytes) */
    size_t secret_len;
    const char *tag_prefix; /* uc_signal.sip.STATELESS_TAG_PREFIX */
    size_t tag_prefix_len;
    uint32_t cache_entries; /* answers remembered (rounded up to a power of two, >= 4) */
    double cache_seconds;   /* how long (STATELESS_ANSWER_MEMORY) */
    uint64_t seed;          /* for salts and To tags (from os.urandom) */
} sip_front_config_t;

typedef struct {
    uint32_t off, len; /* into the datagram; len == 0 and off == UINT32_MAX: absent */
} sip_front_span_t;

typedef struct {
    int verdict;        /* enum sip_front_verdict */
    int method;         /* enum sip_front_method when ANSWER / RESEND / VERIFIED */
    uint32_t len;       /* bytes written to `out` */
    uint16_t dest_port; /* where the answer goes: the source host, this port (18.2.2) */
    /* VERIFIED: the REGISTER's values, spans into the datagram */
    sip_front_span_t user, host;       /* To's user and host (= From's; the AOR) */
    sip_front_span_t contact_uri;      /* the one Contact's URI, as written */
    sip_front_span_t contact_params;   /* its header parameters, ";name[=value]..." as written */
    sip_front_span_t expires;          /* the Expires header's digits */
    sip_front_span_t call_id, user_agent, supported, nonce;
    uint32_t cseq;
    uint32_t nc;        /* the verified nonce-count, to record for the nonce */
    double issued_at;   /* the nonce's issue time */
} sip_front_result_t;

typedef struct sip_front sip_front_t;

/* NULL when out of memory, the secret is shorter than 16 bytes or the prefix too long. */
sip_front_t *sip_front_create(const sip_front_config_t *config);
void sip_front_destroy(sip_front_t *front);

/* Forget every realm and excluded URI (a configuration reload sets them again); answers
 * already remembered stay (they are what was sent). */
void sip_front_clear(sip_front_t *front);

/* A served domain (lower case) = its digest realm, with the challenge texts of one kind:
 * `n` values, each `heads[i]` + nonce + `tails[i]` (DigestAuthenticator._challenge_templates,
 * stale=false). The realm is added on first use; call once per kind. UC_ERR_ARGUMENT when
 * too many or too long. */
int sip_front_set_realm(sip_front_t *front, const char *realm, size_t realm_len, int kind,
                        const char *const *heads, const size_t *head_lens, const char *const *tails,
                        const size_t *tail_lens, size_t n);

/* A Request-URI `user@host` (host lower case) that some application answers without a
 * challenge (a dial-in access number): INVITEs and MESSAGEs to it pass. */
int sip_front_exclude_uri(sip_front_t *front, const char *user_at_host, size_t len);

/* The digest rules of a realm's registrar (DigestAuthenticator: its opaque, algorithms as
 * SIP_DIGEST_* flags, nonce lifetime), for authenticated REGISTERs; the realm must have
 * been set. UC_ERR_ARGUMENT / UC_ERR_NOMEM. */
int sip_front_set_digest(sip_front_t *front, const char *realm, size_t realm_len, const char *opaque,
                         size_t opaque_len, unsigned algorithms, double nonce_lifetime);

/* A user's HA1 (lower-case hex) for one algorithm flag in a realm: the table the C front
 * verifies authenticated REGISTERs from (kept in step with the user directory; a user not
 * in it is left to Python). Allocates (configuration, never the datagram path). */
int sip_front_set_user(sip_front_t *front, const char *username, size_t username_len, const char *realm,
                       size_t realm_len, unsigned algorithm, const char *ha1, size_t ha1_len);
/* Forget a user (every algorithm); 0 whether or not it was known. */
int sip_front_drop_user(sip_front_t *front, const char *username, size_t username_len, const char *realm,
                        size_t realm_len);
size_t sip_front_users(const sip_front_t *front);

/* 1: authenticated REGISTERs may be VERIFIED (the caller has a registrar to apply them);
 * 0 (the default): they pass. */
void sip_front_set_register(sip_front_t *front, int enabled);

/* After VERIFIED: the answer went out as answer[0..len); keep it for retransmissions
 * until `until` (Timer J) under that REGISTER's transaction key, and count it. An answer
 * longer than SIP_FRONT_ANSWER_MAX is counted but not kept. UC_ERR_STATE without a
 * VERIFIED before. */
int sip_front_registered(sip_front_t *front, const uint8_t *answer, size_t len, double until);
/* After VERIFIED: the caller left the REGISTER to the Python stack (count it passed). */
void sip_front_declined(sip_front_t *front);

/* 0 turns the front off (everything passes: the daemon is draining), 1 on. */
void sip_front_set_enabled(sip_front_t *front, int enabled);

/* Decide on one datagram from `src_host` (the address as text, as Python's socket gives
 * it) port `src_port`, at wall-clock `now` seconds. ANSWER / RESEND write the answer to
 * out[0..out_cap) (SIP_FRONT_ANSWER_MAX is always enough). Returns the verdict. */
int sip_front_handle(sip_front_t *front, const uint8_t *buf, size_t len, const char *src_host,
                     size_t src_host_len, uint16_t src_port, double now, uint8_t *out, size_t out_cap,
                     sip_front_result_t *result);

void sip_front_counters(const sip_front_t *front, sip_front_counters_t *out);

#endif
