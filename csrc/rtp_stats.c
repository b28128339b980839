#include "rtp_stats.h"

#include <string.h>

void uc_rtp_stats_init(uc_rtp_stats *s, uint32_t ssrc)
{
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
}

/* RFC 3550 A.1 init_seq. */
static void init_seq(uc_rtp_stats *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = UC_RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
    s->seen = 0;
}

/* Record seq as received in the duplicate window; `ahead` is how far it moved the
 * highest sequence number forward (0 for a packet at or behind it). Returns 1 if the
 * sequence number was already marked (a duplicate). */
static int mark_seen(uc_rtp_stats *s, uint32_t ahead, uint32_t behind)
{
    if (ahead) {
        s->seen = ahead >= UC_RTP_DUPLICATE_WINDOW ? 0 : s->seen << ahead;
        s->seen |= 1;
        return 0;
    }
    if (behind >= UC_RTP_DUPLICATE_WINDOW)
        return 0;
    uint64_t bit = (uint64_t)1 << behind;
    int dup = (s->seen & bit) != 0;
    s->seen |= bit;
    return dup;
}

/* RFC 3550 A.1 update_seq, plus the reorder/duplicate classification. Returns 1 valid,
 * 0 not (yet) valid, and sets *dup for a duplicate. */
static int update_seq(uc_rtp_stats *s, uint16_t seq, int *dup)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    *dup = 0;
    if (s->probation) {
        if (seq == (uint16_t)(s->max_seq + 1)) {
            s->probation--;
            s->max_seq = seq;
            if (s->probation == 0) {
                init_seq(s, seq);
                s->received++;
                mark_seen(s, 1, 0);
                return 1;
            }
        } else {
            s->probation = UC_RTP_MIN_SEQUENTIAL - 1;
            s->max_seq = seq;
        }
        return 0;
    } else if (udelta < UC_RTP_MAX_DROPOUT) {
        /* in order, with permissible gap (udelta 0 repeats the highest: a duplicate) */
        if (seq < s->max_seq)
            s->cycles += UC_RTP_SEQ_MOD; /* sequence number wrapped */
        s->max_seq = seq;
        *dup = mark_seen(s, udelta, 0);
    } else if (udelta <= UC_RTP_SEQ_MOD - UC_RTP_MAX_MISORDER) {
        /* the sequence number made a very large jump */
        if (seq == s->bad_seq) {
            /* Two sequential packets: the sender restarted; re-sync as if first. */
            init_seq(s, seq);
            mark_seen(s, 1, 0);
        } else {
            s->bad_seq = (seq + 1u) & (UC_RTP_SEQ_MOD - 1);
            return 0;
        }
    } else {
        /* duplicate or reordered packet, behind the highest by 65536 - udelta */
        *dup = mark_seen(s, 0, UC_RTP_SEQ_MOD - udelta);
        if (!*dup)
            s->reordered++;
    }
    if (*dup)
        s->duplicates++;
    s->received++;
    return 1;
}

int uc_rtp_stats_update(uc_rtp_stats *s, uint16_t seq, uint32_t timestamp, uint32_t arrival)
{
    int dup = 0;
    if (!s->started) {
        /* RFC 3550 A.1: the first packet starts probation. */
        init_seq(s, seq);
        s->max_seq = (uint16_t)(seq - 1);
        s->probation = UC_RTP_MIN_SEQUENTIAL;
        s->started = 1;
    }
    int valid = update_seq(s, seq, &dup);
    /* A.8: J += (|D| - J) / 16 over consecutive arrivals; a duplicate carries no new
     * timing information, so it is left out. */
    if (valid && !dup) {
        uint32_t transit = arrival - timestamp;
        if (s->have_transit) {
            int32_t d = (int32_t)(transit - s->transit);
            double ad = d < 0 ? -(double)d : (double)d;
            s->jitter += (ad - s->jitter) / 16.0;
        }
        s->transit = transit;
        s->have_transit = 1;
    }
    return valid;
}

uint32_t uc_rtp_stats_extended_max(const uc_rtp_stats *s)
{
    return s->cycles + s->max_seq;
}

uint32_t uc_rtp_stats_expected(const uc_rtp_stats *s)
{
    if (!s->started || s->probation)
        return 0;
    return uc_rtp_stats_extended_max(s) - s->base_seq + 1;
}

int64_t uc_rtp_stats_lost(const uc_rtp_stats *s)
{
    return (int64_t)uc_rtp_stats_expected(s) - (int64_t)s->received;
}

void uc_rtp_stats_sr_received(uc_rtp_stats *s, uint64_t sr_ntp, uint64_t arrival_ntp)
{
    /* RFC 3550 6.4.1 LSR: the middle 32 bits of the SR's NTP timestamp. */
    s->last_sr = (uint32_t)(sr_ntp >> 16);
    s->last_sr_arrival = arrival_ntp;
    s->have_sr = 1;
}

void uc_rtp_stats_report(uc_rtp_stats *s, uint64_t now_ntp, uc_rtcp_report_block *block)
{
    uint32_t expected = uc_rtp_stats_expected(s);
    int64_t lost = uc_rtp_stats_lost(s);
    /* A.3: fraction lost over the interval since the previous report. */
    uint32_t expected_interval = expected - s->expected_prior;
    uint32_t received_interval = s->received - s->received_prior;
    int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
    s->expected_prior = expected;
    s->received_prior = s->received;

    block->ssrc = s->ssrc;
    if (expected_interval == 0 || lost_interval <= 0)
        block->fraction_lost = 0;
    else {
        /* 8-bit fixed point; all lost (256/256) saturates at 255. */
        uint64_t fraction = ((uint64_t)lost_interval << 8) / expected_interval;
        block->fraction_lost = (uint8_t)(fraction > 255 ? 255 : fraction);
    }
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    else if (lost < -0x800000)
        lost = -0x800000;
    block->cumulative_lost = (int32_t)lost;
    block->highest_sequence = uc_rtp_stats_extended_max(s);
    block->jitter = (uint32_t)s->jitter;
    if (s->have_sr) {
        block->lsr = s->last_sr;
        /* DLSR in units of 1/65536 s: the middle 32 bits of the NTP-format delay. */
        block->dlsr = now_ntp > s->last_sr_arrival
                          ? (uint32_t)((now_ntp - s->last_sr_arrival) >> 16) : 0;
    } else {
        block->lsr = 0;
        block->dlsr = 0;
    }
}
