#include "rtcp_session.h"

#include <string.h>
#include <time.h>

#include "rtcp.h"
#include "uc_errors.h"

/* Seconds from 1900 (NTP era 0) to 1970 (Unix epoch). */
#define NTP_UNIX_OFFSET 2208988800ull

uint64_t uc_ntp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t sec = (uint64_t)ts.tv_sec + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000ull;
    return (sec << 32) | frac;
}

static uint32_t next_random(uint32_t *state)
{
    /* xorshift32: spreads report times (RFC 3550 6.3.1), no cryptographic need. */
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

static void schedule(uc_rtcp_session *s, int64_t now_ms)
{
    /* RFC 3550 6.3.1: the interval times a random factor in [0.5, 1.5]. */
    uint32_t spread = next_random(&s->rng) % (s->interval_ms + 1);
    s->next_report_ms = now_ms + s->interval_ms / 2 + spread;
}

void uc_rtcp_session_init(uc_rtcp_session *s, uint32_t local_ssrc, uint32_t clock_rate,
                          uint32_t interval_ms, const char *cname, uint32_t seed, int64_t now_ms)
{
    memset(s, 0, sizeof(*s));
    s->local_ssrc = local_ssrc;
    s->clock_rate = clock_rate;
    s->interval_ms = interval_ms ? interval_ms : 5000;
    s->rng = seed;
    size_t n = cname ? strlen(cname) : 0;
    if (n > UC_RTCP_CNAME_MAX)
        n = UC_RTCP_CNAME_MAX;
    memcpy(s->cname, cname, n);
    s->cname_len = (uint8_t)n;
    /* RFC 3550 6.2: the first report after half an interval. */
    s->next_report_ms = now_ms + s->interval_ms / 2;
}

void uc_rtcp_session_on_rtp(uc_rtcp_session *s, uint32_t ssrc, uint16_t seq, uint32_t timestamp,
                            int64_t arrival_ms)
{
    if (!s->have_remote || s->remote.ssrc != ssrc) {
        uc_rtp_stats_init(&s->remote, ssrc);
        s->have_remote = 1;
    }
    uint32_t arrival = (uint32_t)((uint64_t)arrival_ms * s->clock_rate / 1000u);
    uc_rtp_stats_update(&s->remote, seq, timestamp, arrival);
}

void uc_rtcp_session_on_sent(uc_rtcp_session *s, size_t payload_len)
{
    s->packets_sent++;
    s->octets_sent += (uint32_t)payload_len;
    s->sent_since_report = 1;
}

int uc_rtcp_session_due(const uc_rtcp_session *s, int64_t now_ms)
{
    return now_ms >= s->next_report_ms;
}

int uc_rtcp_session_build(uc_rtcp_session *s, int64_t now_ms, uint64_t now_ntp,
                          uint32_t rtp_timestamp, uint8_t *buf, size_t cap)
{
    uc_rtcp_builder b;
    uc_rtcp_report r;
    memset(&r, 0, sizeof(r));
    uc_rtcp_builder_init(&b, buf, cap);
    r.ssrc = s->local_ssrc;
    if (s->have_remote && s->remote.received > 0) {
        uc_rtp_stats_report(&s->remote, now_ntp, &r.blocks[0]);
        r.report_count = 1;
    }
    int rc;
    if (s->sent_since_report) {
        r.ntp_timestamp = now_ntp;
        r.rtp_timestamp = rtp_timestamp;
        r.packet_count = s->packets_sent;
        r.octet_count = s->octets_sent;
        rc = uc_rtcp_build_sr(&b, &r, NULL);
    } else {
        rc = uc_rtcp_build_rr(&b, &r, NULL);
    }
    if (rc < 0)
        return rc;
    if ((rc = uc_rtcp_build_sdes_begin(&b)) < 0 || (rc = uc_rtcp_build_sdes_chunk(&b, s->local_ssrc)) < 0 ||
        (rc = uc_rtcp_build_sdes_item(&b, UC_RTCP_SDES_CNAME, s->cname, s->cname_len)) < 0 ||
        (rc = uc_rtcp_build_sdes_end(&b)) < 0)
        return rc;
    s->sent_since_report = 0;
    s->reports_sent++;
    schedule(s, now_ms);
    return (int)b.len;
}

static void take_blocks(uc_rtcp_session *s, const uc_rtcp_report *r, uint64_t now_ntp)
{
    for (unsigned i = 0; i < r->report_count; i++) {
        const uc_rtcp_report_block *blk = &r->blocks[i];
        if (blk->ssrc != s->local_ssrc)
            continue;
        s->peer_fraction_lost = blk->fraction_lost;
        s->peer_cumulative_lost = blk->cumulative_lost;
        s->peer_jitter = blk->jitter;
        s->have_peer_report = 1;
        if (blk->lsr != 0) {
            /* RFC 3550 6.4.1: RTT = A - LSR - DLSR, all in the middle 32 bits of NTP time. */
            uint32_t a = (uint32_t)(now_ntp >> 16);
            uint32_t rtt = a - blk->lsr - blk->dlsr;
            if ((int32_t)rtt >= 0) {
                s->rtt_q16 = rtt;
                s->have_rtt = 1;
            }
        }
    }
}

int uc_rtcp_session_receive(uc_rtcp_session *s, const uint8_t *buf, size_t len, uint64_t now_ntp)
{
    int count = uc_rtcp_validate(buf, len, UC_RTCP_REDUCED_SIZE);
    if (count < 0)
        return count;
    uc_rtcp_iter it;
    uc_rtcp_view v;
    uc_rtcp_report r;
    uc_rtcp_iter_init(&it, buf, len);
    while (uc_rtcp_next(&it, &v) == 1) {
        if (v.packet_type == UC_RTCP_SR) {
            if (uc_rtcp_parse_sr(buf, &v, &r) < 0)
                continue;
            if (s->have_remote && r.ssrc == s->remote.ssrc)
                uc_rtp_stats_sr_received(&s->remote, r.ntp_timestamp, now_ntp);
            take_blocks(s, &r, now_ntp);
        } else if (v.packet_type == UC_RTCP_RR) {
            if (uc_rtcp_parse_rr(buf, &v, &r) < 0)
                continue;
            take_blocks(s, &r, now_ntp);
        } else if (v.packet_type == UC_RTCP_BYE) {
            s->byes_received++;
        }
    }
    s->reports_received++;
    return count;
}
