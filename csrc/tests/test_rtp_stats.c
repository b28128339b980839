/* C tests of csrc/rtp_stats.c against a sequence computed by hand from RFC 3550 A.1, A.3
 * and A.8 (the same sequence is checked from Python in tests/unit/test_rtp_stats.py). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rtp_stats.h"

#include "check.h"

static void test_hand_sequence(void)
{
    /* 8 kHz, 160 samples a packet; arrival in timestamp units. Sequence numbers wrap,
     * 0 arrives late, 2 twice, 3 and 4 are lost. */
    static const struct { uint16_t seq; uint32_t ts, arrival; int valid; double jitter; } steps[] = {
        {65533, 0, 1000, 0, 0.0},              /* probation */
        {65534, 160, 1160, 1, 0.0},            /* source valid; first transit 1000 */
        {65535, 320, 1330, 1, 0.625},          /* D = 10: J = 10/16 */
        {1, 640, 1640, 1, 1.2109375},          /* wraps; D = -10 */
        {0, 480, 1700, 1, 14.88525390625},     /* reordered; D = 220 */
        {2, 800, 1800, 1, 27.704925537109375}, /* D = -220 */
        {2, 800, 1810, 1, 27.704925537109375}, /* duplicate: jitter unchanged */
        {5, 1280, 2290, 1, 26.598367691040039},/* D = 10 */
    };
    uc_rtp_stats s;
    uc_rtp_stats_init(&s, 0xABCDEF00);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        CHECK(uc_rtp_stats_update(&s, steps[i].seq, steps[i].ts, steps[i].arrival) == steps[i].valid);
        CHECK(fabs(s.jitter - steps[i].jitter) < 1e-9);
    }
    CHECK(s.base_seq == 65534);
    CHECK(s.cycles == 65536);
    CHECK(uc_rtp_stats_extended_max(&s) == 65541);
    CHECK(uc_rtp_stats_expected(&s) == 8);
    CHECK(s.received == 7);
    CHECK(uc_rtp_stats_lost(&s) == 1);
    CHECK(s.reordered == 1);
    CHECK(s.duplicates == 1);

    uc_rtcp_report_block rb;
    uc_rtp_stats_report(&s, 0, &rb);
    CHECK(rb.ssrc == 0xABCDEF00);
    CHECK(rb.fraction_lost == 32); /* 1 of 8: 256 / 8 */
    CHECK(rb.cumulative_lost == 1);
    CHECK(rb.highest_sequence == 65541);
    CHECK(rb.jitter == 26);
    CHECK(rb.lsr == 0 && rb.dlsr == 0);

    /* An SR arrives at NTP 10.0 s; the report goes out at 10.5 s. */
    uc_rtp_stats_sr_received(&s, 0x0000AAAABBBB0000ull, 10ull << 32);
    CHECK(uc_rtp_stats_update(&s, 6, 1440, 2450) == 1);
    CHECK(uc_rtp_stats_update(&s, 9, 1920, 2930) == 1); /* 7 and 8 lost */
    uc_rtp_stats_report(&s, (10ull << 32) + (1ull << 31), &rb);
    CHECK(rb.fraction_lost == 128); /* 2 of the 4 expected since the last report */
    CHECK(rb.cumulative_lost == 3);
    CHECK(rb.highest_sequence == 65545);
    CHECK(rb.lsr == 0xAAAABBBB);
    CHECK(rb.dlsr == 32768); /* 0.5 s in 1/65536 s */
    /* nothing new: an empty interval reports 0 */
    uc_rtp_stats_report(&s, (11ull << 32), &rb);
    CHECK(rb.fraction_lost == 0 && rb.dlsr == 65536);
}

static void test_probation_and_resync(void)
{
    uc_rtp_stats s;
    uc_rtp_stats_init(&s, 1);
    CHECK(uc_rtp_stats_update(&s, 100, 0, 0) == 0);
    CHECK(uc_rtp_stats_update(&s, 200, 0, 0) == 0); /* not sequential: probation restarts */
    CHECK(uc_rtp_stats_update(&s, 201, 0, 0) == 1);
    CHECK(s.base_seq == 201 && s.received == 1);
    CHECK(uc_rtp_stats_update(&s, 202, 0, 0) == 1);
    /* a jump of more than MAX_DROPOUT is ignored once, then accepted as a restart */
    CHECK(uc_rtp_stats_update(&s, 20000, 0, 0) == 0);
    CHECK(s.received == 2);
    CHECK(uc_rtp_stats_update(&s, 20001, 0, 0) == 1);
    CHECK(s.base_seq == 20001 && s.received == 1 && uc_rtp_stats_expected(&s) == 1);
}

static void test_duplicate_window(void)
{
    uc_rtp_stats s;
    uc_rtp_stats_init(&s, 1);
    for (uint16_t q = 0; q < 200; q++)
        uc_rtp_stats_update(&s, q, 0, 0);
    CHECK(s.duplicates == 0 && s.reordered == 0);
    uc_rtp_stats_update(&s, 150, 0, 0); /* within the 64-packet window: duplicate */
    CHECK(s.duplicates == 1 && s.reordered == 0);
    uc_rtp_stats_update(&s, 120, 0, 0); /* 79 behind: too old to tell, counted as reordered */
    CHECK(s.duplicates == 1 && s.reordered == 1);
    /* received 199 (first on probation) + 2: cumulative lost goes negative */
    CHECK(s.received == 201 && uc_rtp_stats_lost(&s) == -2);
    uc_rtcp_report_block rb;
    uc_rtp_stats_report(&s, 0, &rb);
    CHECK(rb.cumulative_lost == -2 && rb.fraction_lost == 0);
}

int main(void)
{
    test_hand_sequence();
    test_probation_and_resync();
    test_duplicate_window();
    return check_finish("test_rtp_stats");
}
