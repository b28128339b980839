/* The RTCP side of one leg (RFC 3550 section 6): when to send a report, what it carries
 * (an SR while we send, else an RR; a report block about the peer's stream; SDES CNAME),
 * and what the peer's reports tell us (loss and jitter of our stream as it sees it, and
 * the round-trip time from LSR/DLSR, RFC 3550 section 6.4.1).
 *
 * Built on the rtcp.h builder/parser and the rtp_stats.h receive statistics; no clock is
 * read here (times are arguments), nothing is allocated. */
#ifndef UC_RTCP_SESSION_H
#define UC_RTCP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "rtp_stats.h"

#define UC_RTCP_CNAME_MAX 32

typedef struct uc_rtcp_session {
    uint32_t local_ssrc;
    uint32_t clock_rate;
    uint32_t interval_ms;      /* mean report interval; each one is randomised 0.5..1.5x */
    int64_t next_report_ms;
    uint32_t rng;
    uint8_t cname[UC_RTCP_CNAME_MAX];
    uint8_t cname_len;

    uc_rtp_stats remote;       /* the peer's stream (RFC 3550 appendix A) */
    uint8_t have_remote;

    uint32_t packets_sent;     /* SR sender info */
    uint32_t octets_sent;
    uint8_t sent_since_report; /* SR or RR (RFC 3550 6.4: SR only if we sent since the last) */

    /* From the peer's report blocks about our stream. */
    uint8_t peer_fraction_lost;
    int32_t peer_cumulative_lost;
    uint32_t peer_jitter;      /* timestamp units */
    uint32_t rtt_q16;          /* round-trip time, 1/65536 s */
    uint8_t have_rtt;
    uint8_t have_peer_report;

    uint64_t reports_sent;
    uint64_t reports_received;
    uint64_t byes_received;
} uc_rtcp_session;

void uc_rtcp_session_init(uc_rtcp_session *s, uint32_t local_ssrc, uint32_t clock_rate,
                          uint32_t interval_ms, const char *cname, uint32_t seed, int64_t now_ms);
/* An RTP packet of the peer arrived (after authentication). arrival_ms on the monotonic
 * clock; a new SSRC restarts the statistics. */
void uc_rtcp_session_on_rtp(uc_rtcp_session *s, uint32_t ssrc, uint16_t seq, uint32_t timestamp,
                            int64_t arrival_ms);
/* We sent an RTP packet with `payload_len` payload bytes. */
void uc_rtcp_session_on_sent(uc_rtcp_session *s, size_t payload_len);
/* 1 when a report is due at now_ms. */
int uc_rtcp_session_due(const uc_rtcp_session *s, int64_t now_ms);
/* Build the compound report (SR or RR, then SDES CNAME) into buf and schedule the next.
 * rtp_timestamp is our stream's RTP time at now. Returns its length or < 0. */
int uc_rtcp_session_build(uc_rtcp_session *s, int64_t now_ms, uint64_t now_ntp,
                          uint32_t rtp_timestamp, uint8_t *buf, size_t cap);
/* Process a received compound (already unprotected). Returns the packet count or < 0
 * (UC_ERR_TRUNCATED / UC_ERR_MALFORMED), in which case nothing was taken from it. */
int uc_rtcp_session_receive(uc_rtcp_session *s, const uint8_t *buf, size_t len, uint64_t now_ntp);

/* NTP-format (32.32) wall-clock time now; CLOCK_REALTIME. */
uint64_t uc_ntp_now(void);

#endif
