/* Receive statistics of one RTP source (RFC 3550 appendix A): extended sequence numbers with
 * probation (A.1), expected and lost counts and the fraction lost (A.3), interarrival jitter
 * (A.8), reordered and duplicate counts, and the fields of an RR report block.
 *
 * No clock is read here: every arrival time is an argument. Sequence and jitter updates take
 * the arrival in RTP timestamp units (the clock rate of the stream); SR bookkeeping and
 * DLSR take NTP-format 32.32 fixed-point times. */
#ifndef UC_RTP_STATS_H
#define UC_RTP_STATS_H

#include <stdint.h>

#include "rtcp.h"

/* RFC 3550 A.1 constants. */
#define UC_RTP_MIN_SEQUENTIAL 2
#define UC_RTP_MAX_DROPOUT 3000
#define UC_RTP_MAX_MISORDER 100
#define UC_RTP_SEQ_MOD (1u << 16)

/* How far back (in packets behind the highest) a duplicate is recognised. */
#define UC_RTP_DUPLICATE_WINDOW 64

typedef struct uc_rtp_stats {
    uint32_t ssrc;
    uint8_t started;         /* a first packet was seen */
    uint16_t max_seq;        /* highest sequence number seen */
    uint32_t cycles;         /* shifted count of sequence number cycles */
    uint32_t base_seq;       /* base sequence number */
    uint32_t bad_seq;        /* last 'bad' seq number + 1 */
    uint32_t probation;      /* sequential packets till source is valid */
    uint32_t received;       /* packets received (duplicates included, RFC 3550 6.4.1) */
    uint32_t expected_prior; /* packet expected at last interval */
    uint32_t received_prior; /* packet received at last interval */
    uint32_t reordered;      /* arrived after a higher sequence number */
    uint32_t duplicates;     /* sequence number already received */
    uint64_t seen;           /* bit i: extended max - i was received */
    uint8_t have_transit;
    uint32_t transit;        /* relative transit time of the previous packet */
    double jitter;           /* estimated jitter, timestamp units (A.8, unscaled) */
    uint32_t last_sr;        /* middle 32 bits of the last SR's NTP timestamp */
    uint64_t last_sr_arrival;/* NTP-format arrival time of that SR */
    uint8_t have_sr;         /* an SR was received: LSR and DLSR are meaningful */
} uc_rtp_stats;

/* Reset for the source `ssrc`; the first packet starts probation. */
void uc_rtp_stats_init(uc_rtp_stats *s, uint32_t ssrc);

/* Account one received packet. `arrival` is the arrival time in timestamp units.
 * Returns 1 if the packet is valid for the source (counted), 0 while on probation or for
 * a very large jump that is not yet confirmed (RFC 3550 A.1). */
int uc_rtp_stats_update(uc_rtp_stats *s, uint16_t seq, uint32_t timestamp, uint32_t arrival);

uint32_t uc_rtp_stats_extended_max(const uc_rtp_stats *s);
uint32_t uc_rtp_stats_expected(const uc_rtp_stats *s);
/* expected - received: may be negative with duplicates (RFC 3550 6.4.1). */
int64_t uc_rtp_stats_lost(const uc_rtp_stats *s);

/* A sender report from this source arrived: its NTP timestamp, our NTP arrival time. */
void uc_rtp_stats_sr_received(uc_rtp_stats *s, uint64_t sr_ntp, uint64_t arrival_ntp);

/* Fill a report block for this source at NTP time `now_ntp` and start a new interval for
 * the fraction lost (RFC 3550 A.3). Cumulative lost is clamped to 24-bit signed. */
void uc_rtp_stats_report(uc_rtp_stats *s, uint64_t now_ntp, uc_rtcp_report_block *block);

#endif
