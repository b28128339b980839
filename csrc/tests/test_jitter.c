/* C tests of csrc/jitter.c: in-order playout, reordering, duplicates, late packets,
 * sequence and timestamp wrap, SSRC change, timestamp jump, DTX gaps, multi-tick packets,
 * time-stretching and argument checks. Exits non-zero on the first failure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jitter.h"
#include "uc_errors.h"

#include "check.h"

#define RATE 48000u
#define PKT 960u /* 20 ms at 48 kHz */

static uc_jitter *make(uint32_t min_ms, uint32_t max_ms, uint32_t capacity)
{
    uc_jb_config cfg = {RATE, 20, min_ms, max_ms, capacity, 64, 0.0, 0.0, 0.0, 0.0};
    uc_jitter *jb = NULL;
    CHECK(uc_jb_create(&cfg, &jb) == UC_OK);
    return jb;
}

/* Put packet i of a stream starting at (seq0, ts0); its payload is its index. */
static int put_i(uc_jitter *jb, uint32_t i, uint16_t seq0, uint32_t ts0, uint32_t ssrc, int64_t now)
{
    uint8_t payload[4] = {(uint8_t)i, (uint8_t)(i >> 8), 0xAB, 0xCD};
    return uc_jb_put(jb, payload, sizeof payload, (uint16_t)(seq0 + i), ts0 + i * PKT, ssrc, i == 0, now);
}

static unsigned index_of(const uc_jb_frame *f) { return (unsigned)(f->payload[0] | (f->payload[1] << 8)); }

static void test_arguments(void)
{
    uc_jb_config good = {RATE, 20, 0, 500, 32, 64, 0.0, 0.0, 0.0, 0.0};
    uc_jitter *jb = NULL;
    uc_jb_config bad = good;
    bad.clock_rate = 100;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT && jb == NULL);
    bad = good;
    bad.min_delay_ms = 600;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    bad = good;
    bad.max_delay_ms = UC_JB_MAX_DELAY_MS + 1;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    bad = good;
    bad.capacity = 0;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    bad = good;
    bad.quantile = 1.5;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    bad = good;
    bad.forget_factor = 1.0;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    bad = good;
    bad.late_forget_factor = 0.2;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    bad = good;
    bad.ms_per_late_percent = -1.0;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    bad = good;
    bad.clock_rate = 44100; /* 7 ms at 44.1 kHz is not a whole number of samples */
    bad.frame_ms = 7;
    CHECK(uc_jb_create(&bad, &jb) == UC_ERR_ARGUMENT);
    CHECK(uc_jb_create(NULL, &jb) == UC_ERR_ARGUMENT);
    CHECK(uc_jb_create(&good, NULL) == UC_ERR_ARGUMENT);

    CHECK(uc_jb_create(&good, &jb) == UC_OK && jb != NULL);
    uint8_t big[65] = {0};
    CHECK(uc_jb_put(jb, big, sizeof big, 1, 1, 1, 0, 0) == UC_ERR_NOSPACE);
    CHECK(uc_jb_put(jb, NULL, 4, 1, 1, 1, 0, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_jb_put(jb, NULL, 0, 1, 1, 1, 0, 0) == UC_JB_STORED); /* empty payload is legal RTP */
    CHECK(uc_jb_get(jb, 0, NULL) == UC_ERR_ARGUMENT);
    uc_jb_destroy(jb);
    uc_jb_destroy(NULL);
    uc_jb_reset(NULL);
    uc_jb_get_stats(NULL, NULL);
    CHECK(uc_jb_target_delay_ms(NULL) == 0.0 && uc_jb_buffered(NULL) == 0);
}

/* A perfect network: after the start-up wait every tick plays the next packet. */
static void test_in_order(void)
{
    uc_jitter *jb = make(40, 500, 32);
    uc_jb_frame f;
    unsigned played = 0, expect = 0;
    for (uint32_t i = 0; i < 100; i++) {
        CHECK(put_i(jb, i, 100, 5000, 7, (int64_t)i * 20) == UC_JB_STORED);
        CHECK(uc_jb_get(jb, (int64_t)i * 20 + 10, &f) == UC_OK);
        if (f.action == UC_JB_PLAY) {
            CHECK(index_of(&f) == expect);
            CHECK(f.seq == (uint16_t)(100 + expect));
            CHECK(f.timestamp == 5000 + expect * PKT);
            CHECK(f.samples == PKT);
            CHECK(f.len == 4 && f.payload[2] == 0xAB);
            expect++;
            played++;
        } else {
            CHECK(played == 0); /* only before the start */
            CHECK(f.action == UC_JB_SILENCE);
        }
    }
    CHECK(played >= 97);
    /* far beyond the duplicate window (1024 sequence numbers) and a sequence wrap */
    for (uint32_t i = 100; i < 70000; i++) {
        CHECK(put_i(jb, i, 100, 5000, 7, (int64_t)i * 20) == UC_JB_STORED);
        CHECK(uc_jb_get(jb, (int64_t)i * 20 + 10, &f) == UC_OK);
        CHECK(f.action == UC_JB_PLAY && f.seq == (uint16_t)(100 + i - 2));
    }
    played += 70000 - 100;
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_received == 70000);
    CHECK(s.packets_late == 0 && s.packets_discarded == 0 && s.concealed_samples == 0);
    CHECK(s.jitter_buffer_emitted_count == (uint64_t)played * PKT);
    CHECK(uc_jb_target_delay_ms(jb) == 40.0); /* no jitter: the minimum */
    /* every sample waited between 40 ms and 40 ms + a tick */
    double mean = s.jitter_buffer_delay / (double)s.jitter_buffer_emitted_count;
    CHECK(mean >= 0.040 && mean < 0.061);
    uc_jb_destroy(jb);
}

/* Reordering within the buffer's delay is invisible; duplicates are discarded and counted. */
static void test_reorder_and_duplicates(void)
{
    uc_jitter *jb = make(60, 500, 32);
    uc_jb_frame f;
    static const uint32_t order[] = {0, 2, 1, 3, 5, 4, 4, 6, 7, 7, 8, 9};
    int dups = 0;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        int rc = put_i(jb, order[k], 0, 0, 9, (int64_t)k * 20);
        if (rc == UC_JB_DUPLICATE)
            dups++;
        else
            CHECK(rc == UC_JB_STORED);
    }
    CHECK(dups == 2);
    unsigned expect = 0;
    for (int t = 0; t < 20; t++) {
        CHECK(uc_jb_get(jb, 240 + t * 20, &f) == UC_OK);
        if (f.action == UC_JB_PLAY) {
            CHECK(index_of(&f) == expect + f.dropped);
            expect = index_of(&f) + 1;
        }
    }
    CHECK(expect == 10);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_duplicated == 2);
    CHECK(s.packets_received == 12);
    uc_jb_destroy(jb);
}

/* A packet that arrives after its tick has passed is discarded as late. */
static void test_late_packet(void)
{
    uc_jitter *jb = make(20, 100, 32);
    uc_jb_frame f;
    int conceals = 0;
    for (uint32_t i = 0; i < 30; i++) {
        if (i != 10)
            put_i(jb, i, 0, 0, 1, (int64_t)i * 20);
        uc_jb_get(jb, (int64_t)i * 20 + 5, &f);
        if (f.action == UC_JB_CONCEAL && !f.inserted)
            conceals++;
        if (f.action == UC_JB_PLAY)
            CHECK(index_of(&f) != 10);
    }
    CHECK(conceals >= 1);
    CHECK(put_i(jb, 10, 0, 0, 1, 30 * 20) == UC_JB_LATE);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_late == 1 && s.packets_discarded >= 1);
    CHECK(s.concealment_events >= 1 && s.concealed_samples >= PKT);
    uc_jb_destroy(jb);
}

/* Sequence numbers and timestamps both wrap mid-stream: no resync, nothing lost. */
static void test_wrap(void)
{
    uc_jitter *jb = make(20, 200, 32);
    uc_jb_frame f;
    unsigned expect = 0;
    uint32_t ts0 = 0xFFFFFFFFu - 5 * PKT;
    for (uint32_t i = 0; i < 40; i++) {
        CHECK(put_i(jb, i, 65530, ts0, 3, (int64_t)i * 20) == UC_JB_STORED);
        uc_jb_get(jb, (int64_t)i * 20 + 10, &f);
        if (f.action == UC_JB_PLAY) {
            CHECK(index_of(&f) == expect);
            CHECK(f.seq == (uint16_t)(65530 + expect));
            CHECK(f.timestamp == ts0 + expect * PKT);
            expect++;
        }
    }
    CHECK(expect >= 37);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.resyncs == 0 && s.packets_late == 0 && s.concealed_samples == 0);
    uc_jb_destroy(jb);
}

/* A new SSRC resets the stream: the old packets go, the new stream plays from its start. */
static void test_ssrc_change(void)
{
    uc_jitter *jb = make(20, 200, 32);
    uc_jb_frame f;
    for (uint32_t i = 0; i < 10; i++) {
        put_i(jb, i, 0, 0, 1, (int64_t)i * 20);
        uc_jb_get(jb, (int64_t)i * 20 + 10, &f);
    }
    /* the new source starts at unrelated numbers, earlier in both seq and timestamp */
    unsigned first = 1000;
    for (uint32_t i = 0; i < 10; i++) {
        CHECK(put_i(jb, i, 50000, 12345, 2, 200 + (int64_t)i * 20) == UC_JB_STORED);
        uc_jb_get(jb, 200 + (int64_t)i * 20 + 10, &f);
        if (f.action == UC_JB_PLAY && first == 1000) {
            first = index_of(&f);
            CHECK(f.seq == 50000 && f.timestamp == 12345);
        }
    }
    CHECK(first == 0);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.resyncs == 1 && s.packets_late == 0);
    uc_jb_destroy(jb);
}

/* The timestamp base jumps backwards mid-stream (same SSRC, sequence continues):
 * the buffer re-syncs instead of calling every later packet late. */
static void test_timestamp_jump(void)
{
    uc_jitter *jb = make(20, 200, 32);
    uc_jb_frame f;
    int played_after = 0;
    for (uint32_t i = 0; i < 40; i++) {
        uint32_t ts = i < 20 ? 900000 + i * PKT : 1000 + i * PKT;
        uint8_t payload[2] = {(uint8_t)i, 0};
        int rc = uc_jb_put(jb, payload, 2, (uint16_t)(7 + i), ts, 5, 0, (int64_t)i * 20);
        CHECK(rc == UC_JB_STORED);
        uc_jb_get(jb, (int64_t)i * 20 + 10, &f);
        if (f.action == UC_JB_PLAY && i >= 20)
            played_after++;
    }
    CHECK(played_after >= 17);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.resyncs == 1 && s.packets_late == 0);

    /* a forward jump of minutes (timestamp contradicts arrival) also re-syncs */
    for (uint32_t i = 40; i < 60; i++) {
        uint8_t payload[2] = {(uint8_t)i, 0};
        CHECK(uc_jb_put(jb, payload, 2, (uint16_t)(7 + i), 1000 + i * PKT + RATE * 600, 5, 0, (int64_t)i * 20) ==
              UC_JB_STORED);
        uc_jb_get(jb, (int64_t)i * 20 + 10, &f);
    }
    uc_jb_get_stats(jb, &s);
    CHECK(s.resyncs == 2);
    CHECK(uc_jb_target_delay_ms(jb) <= 40.0); /* the jump did not pollute the histogram */
    uc_jb_destroy(jb);
}

/* A sequence jump is believed after two sequential packets (RFC 3550 A.1). */
static void test_sequence_jump(void)
{
    uc_jitter *jb = make(20, 200, 32);
    uc_jb_frame f;
    for (uint32_t i = 0; i < 10; i++) {
        put_i(jb, i, 0, 0, 1, (int64_t)i * 20);
        uc_jb_get(jb, (int64_t)i * 20 + 10, &f);
    }
    CHECK(put_i(jb, 10, 30000, 0, 1, 200) == UC_JB_DISCARDED); /* 30010: a jump, on probation */
    CHECK(put_i(jb, 11, 30000, 0, 1, 220) == UC_JB_STORED);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.resyncs == 1);
    uc_jb_destroy(jb);
}

/* DTX: after the last packet of a talkspurt the sender stays quiet for a second and
 * resumes with the marker bit. Concealment stops after a short while; the gap is not
 * loss; the new talkspurt plays from its first packet. */
static void test_dtx_gap(void)
{
    uc_jitter *jb = make(20, 200, 32);
    uc_jb_frame f;
    int64_t now = 0;
    for (uint32_t i = 0; i < 10; i++, now += 20) {
        put_i(jb, i, 0, 0, 1, now);
        uc_jb_get(jb, now + 10, &f);
    }
    int silence = 0;
    for (int t = 0; t < 50; t++, now += 20) {
        uc_jb_get(jb, now + 10, &f);
        if (f.action == UC_JB_SILENCE)
            silence++;
    }
    CHECK(silence >= 40);
    uc_jb_stats before;
    uc_jb_get_stats(jb, &before);
    CHECK(before.concealed_samples <= 6 * PKT);
    /* resume: sequence continues (no loss), timestamp jumped by 1 s; first with marker */
    unsigned first = 1000;
    for (uint32_t i = 0; i < 10; i++, now += 20) {
        uint8_t payload[2] = {(uint8_t)(100 + i), 0};
        CHECK(uc_jb_put(jb, payload, 2, (uint16_t)(10 + i), 10 * PKT + RATE + i * PKT, 1, i == 0, now) ==
              UC_JB_STORED);
        uc_jb_get(jb, now + 10, &f);
        if (f.action == UC_JB_PLAY && first == 1000)
            first = f.payload[0];
        CHECK(f.action != UC_JB_CONCEAL);
    }
    CHECK(first == 100);
    uc_jb_stats after;
    uc_jb_get_stats(jb, &after);
    CHECK(after.concealed_samples == before.concealed_samples);
    CHECK(after.packets_late == 0 && after.resyncs == 0);

    /* the same without the marker bit: the timestamp gap with no sequence gap says DTX */
    uc_jb_reset(jb);
    now = 0;
    for (uint32_t i = 0; i < 10; i++, now += 20) {
        put_i(jb, i, 0, 0, 1, now);
        uc_jb_get(jb, now + 10, &f);
    }
    now += 1000;
    uint8_t payload[2] = {77, 0};
    uc_jb_put(jb, payload, 2, 10, 10 * PKT + RATE, 1, 0, now);
    uc_jb_get_stats(jb, &before);
    first = 0;
    for (int t = 0; t < 5 && first != 77; t++, now += 20) {
        uc_jb_get(jb, now + 10, &f);
        CHECK(f.action != UC_JB_CONCEAL); /* silence until the new talkspurt starts */
        if (f.action == UC_JB_PLAY)
            first = f.payload[0];
    }
    CHECK(first == 77);
    uc_jb_get_stats(jb, &after);
    CHECK(after.concealed_samples == before.concealed_samples);
    uc_jb_destroy(jb);
}

/* 40 ms packets on a 20 ms tick: PLAY then CONTINUE; the duration comes from timestamps
 * (the very first packet is taken for 20 ms: its successor has not arrived yet). */
static void test_multi_tick_packets(void)
{
    uc_jitter *jb = make(20, 200, 32);
    uc_jb_frame f;
    int plays = 0, continues = 0;
    for (uint32_t t = 0; t < 40; t++) {
        if (t % 2 == 0) {
            uint8_t payload[1] = {(uint8_t)(t / 2)};
            uc_jb_put(jb, payload, 1, (uint16_t)(t / 2), t / 2 * 2 * PKT, 1, t == 0, (int64_t)t * 20);
        }
        uc_jb_get(jb, (int64_t)t * 20 + 10, &f);
        if (f.action == UC_JB_PLAY) {
            plays++;
            if (f.payload[0] > 0)
                CHECK(f.samples == 2 * PKT);
        } else if (f.action == UC_JB_CONTINUE) {
            continues++;
        }
        CHECK(f.action != UC_JB_CONCEAL || f.inserted || plays < 2);
    }
    CHECK(plays >= 17 && continues >= plays - 2);
    uc_jb_destroy(jb);
}

/* Jitter raises the target; a burst of queued packets is worked off by dropping; the
 * target stays within [min, max]. */
static void test_adaptation(void)
{
    uc_jitter *jb = make(10, 150, 64);
    uc_jb_frame f;
    uint32_t lcg = 12345;
    int64_t now = 0;
    uint32_t next_put = 0;
    /* arrivals: packet i at 20 i + uniform jitter in [0, 80) ms */
    int64_t arrival[400];
    for (uint32_t i = 0; i < 400; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        arrival[i] = (int64_t)i * 20 + (lcg >> 8) % 80;
    }
    unsigned last = 0;
    int any = 0, out_of_order = 0;
    for (now = 0; now < 400 * 20; now += 20) {
        for (uint32_t i = 0; i < 400; i++)
            if (arrival[i] > now - 20 && arrival[i] <= now) {
                put_i(jb, i, 0, 0, 1, arrival[i]);
                next_put++;
            }
        uc_jb_get(jb, now, &f);
        double target = uc_jb_target_delay_ms(jb);
        CHECK(target >= 10.0 && target <= 150.0);
        if (f.action == UC_JB_PLAY) {
            if (any && index_of(&f) <= last)
                out_of_order++;
            last = index_of(&f);
            any = 1;
        }
    }
    CHECK(out_of_order == 0);
    CHECK(uc_jb_target_delay_ms(jb) >= 60.0);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_late < 20); /* under 5 % with a 0.97 quantile target */

    /* a 400 ms stall, then everything at once: the delay is brought back by drops */
    uc_jb_stats before;
    uc_jb_get_stats(jb, &before);
    for (uint32_t i = 400; i < 420; i++)
        put_i(jb, i, 0, 0, 1, now + 400);
    for (int t = 0; t < 60; t++, now += 20) {
        uc_jb_get(jb, now + 400, &f);
        CHECK(uc_jb_target_delay_ms(jb) <= 150.0);
    }
    uc_jb_get_stats(jb, &s);
    CHECK(s.removed_samples_for_acceleration > before.removed_samples_for_acceleration);
    uc_jb_destroy(jb);
}

/* A short pause: the next talkspurt's first packet (marker) is already buffered while
 * the previous one ends; its gap is silence, never concealment, and it plays on time. */
static void test_short_pause(void)
{
    uc_jitter *jb = make(100, 200, 32);
    uc_jb_frame f;
    int conceal = 0, silence = 0;
    unsigned last = 0;
    for (uint32_t t = 0; t < 30; t++) { /* the last packet plays on tick 29 */
        /* packets 0..9, then a 100 ms pause (timestamps jump by 6 packets), then 10..19 */
        if (t < 10 || (t >= 15 && t < 25)) {
            uint32_t i = t < 10 ? t : t - 5;
            uint32_t ts = t * PKT;
            uint8_t payload[2] = {(uint8_t)i, 0};
            CHECK(uc_jb_put(jb, payload, 2, (uint16_t)i, ts, 1, t == 0 || t == 15, (int64_t)t * 20) == UC_JB_STORED);
        }
        uc_jb_get(jb, (int64_t)t * 20 + 10, &f);
        if (f.action == UC_JB_CONCEAL)
            conceal++;
        if (f.action == UC_JB_SILENCE)
            silence++;
        if (f.action == UC_JB_PLAY) {
            CHECK(f.payload[0] == 0 || f.payload[0] == last + 1);
            last = f.payload[0];
        }
    }
    CHECK(last == 19);
    CHECK(silence >= 5);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.concealed_samples == (uint64_t)conceal * PKT);
    CHECK(conceal == 0);
    uc_jb_destroy(jb);
}

/* A packet whose timestamp falls inside one already played (a sender with inconsistent
 * durations) is discarded instead of played out of order. */
static void test_overlapping_timestamps(void)
{
    uc_jitter *jb = make(20, 200, 8);
    uc_jb_frame f;
    uint8_t a[1] = {1}, b[1] = {2}, c[1] = {3};
    uc_jb_put(jb, a, 1, 0, 0, 1, 1, 0);
    uc_jb_put(jb, b, 1, 2, PKT / 2, 1, 0, 0);  /* sequence gap, timestamp inside packet 0 */
    uc_jb_put(jb, c, 1, 3, 2 * PKT, 1, 0, 0);
    int order_ok = 1, plays = 0;
    for (int t = 0; t < 6; t++) {
        uc_jb_get(jb, 30 + t * 20, &f);
        if (f.action == UC_JB_PLAY) {
            order_ok &= f.payload[0] != 2;
            plays++;
        }
    }
    CHECK(order_ok && plays == 2);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_discarded == 1);
    uc_jb_destroy(jb);
}

/* A full buffer drops its oldest packet. */
static void test_overflow(void)
{
    uc_jitter *jb = make(20, 200, 4);
    for (uint32_t i = 1; i < 7; i++)
        CHECK(put_i(jb, i, 0, 0, 1, 0) == UC_JB_STORED);
    CHECK(uc_jb_buffered(jb) == 4);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_discarded == 2);
    /* a packet older than everything in a full buffer is the one that goes */
    CHECK(put_i(jb, 0, 0, 0, 1, 0) == UC_JB_DISCARDED);
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_discarded == 3 && uc_jb_buffered(jb) == 4);
    uc_jb_frame f;
    uc_jb_get(jb, 100, &f);
    CHECK(f.action == UC_JB_PLAY && index_of(&f) >= 3);
    uc_jb_destroy(jb);
}

/* A packet from further back than the duplicate window is late, whatever it is. */
static void test_ancient_packet(void)
{
    uc_jitter *jb = make(20, 200, 8);
    uc_jb_frame f;
    for (uint32_t i = 0; i < 1200; i++) {
        put_i(jb, i, 0, 0, 1, (int64_t)i * 20);
        uc_jb_get(jb, (int64_t)i * 20 + 10, &f);
    }
    CHECK(put_i(jb, 100, 0, 0, 1, 1200 * 20) == UC_JB_LATE);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_late == 1 && s.packets_duplicated == 0 && s.resyncs == 0);
    uc_jb_destroy(jb);
}

/* Run packets 0..n-1 of a stream (ssrc 1) through the buffer: packet i arrives at
 * arrival[i] ms (< 0: lost), a tick runs every 20 ms at phase 10 ms until end_ms. Checks
 * that playout never goes backwards; returns how many puts answered LATE. */
static unsigned run_schedule(uc_jitter *jb, const int64_t *arrival, uint32_t n, int64_t end_ms)
{
    uc_jb_frame f;
    unsigned late = 0, last = 0;
    int any = 0;
    for (int64_t now = 10; now < end_ms; now += 20) {
        for (;;) { /* this tick's arrivals, earliest first */
            uint32_t best = n;
            for (uint32_t i = 0; i < n; i++)
                if (arrival[i] >= 0 && arrival[i] <= now && (best == n || arrival[i] < arrival[best]))
                    best = i;
            if (best == n)
                break;
            if (put_i(jb, best, 1000, 77, 1, arrival[best]) == UC_JB_LATE)
                late++;
            ((int64_t *)arrival)[best] = -1; /* consumed */
        }
        CHECK(uc_jb_get(jb, now, &f) == UC_OK);
        if (f.action == UC_JB_PLAY) {
            CHECK(!any || index_of(&f) > last);
            last = index_of(&f);
            any = 1;
        }
    }
    return late;
}

/* On a fresh stream nothing yet says whether a gap is loss or reordering, so a packet that
 * newer ones overtook is waited for (the start-up patience); the lateness it needed
 * raises the target on that very packet, and the same reordering depth afterwards plays
 * without a hold. With `lossy` the path first proves its gaps are losses (every 10th
 * packet never comes): then the buffer waits no longer than the target, the held-back
 * packet is late, and that raises the target the same way. */
static void run_late_packet_raises_target(int lossy)
{
    uc_jitter *jb = make(0, 500, 64);
    static int64_t arrival[1200];
    for (uint32_t i = 0; i < 1200; i++)
        arrival[i] = (int64_t)i * 20;
    if (lossy)
        for (uint32_t i = 5; i < 200; i += 10)
            arrival[i] = -1;
    CHECK(uc_jb_patience_ms(jb) >= 250.0);
    CHECK(run_schedule(jb, arrival, 200, 200 * 20) == 0);
    double calm = uc_jb_target_delay_ms(jb);
    CHECK(calm <= 10.0);
    if (lossy)
        CHECK(uc_jb_patience_ms(jb) <= calm + 1e-9);
    else
        CHECK(uc_jb_patience_ms(jb) >= 250.0);
    /* packet 200 is held back 100 ms: packets 201..205 overtake it */
    for (uint32_t i = 200; i < 1200; i++)
        arrival[i] = (int64_t)i * 20;
    arrival[200] += 100;
    uc_jb_frame f;
    int64_t now = 200 * 20 + 10;
    unsigned late = 0;
    double after_late = 0.0;
    for (uint32_t i = 201; i <= 205; i++) {
        put_i(jb, i, 1000, 77, 1, arrival[i]);
        uc_jb_get(jb, now, &f);
        now += 20;
    }
    if (put_i(jb, 200, 1000, 77, 1, arrival[200]) == UC_JB_LATE)
        late++;
    after_late = uc_jb_target_delay_ms(jb);
    CHECK(late == (lossy ? 1u : 0u));
    CHECK(after_late >= 60.0); /* raised at once, by most of the packet's lateness */
    /* from now on every 50th packet is held back 100 ms the same way: none is late */
    for (uint32_t i = 206; i < 1200; i++)
        arrival[i] = (int64_t)i * 20 + (i % 50 == 0 ? 100 : 0);
    for (uint32_t i = 0; i < 206; i++)
        arrival[i] = -1;
    CHECK(run_schedule(jb, arrival, 1200, 1200 * 20 + 400) == 0);
    CHECK(uc_jb_target_delay_ms(jb) >= 80.0 && uc_jb_target_delay_ms(jb) <= 200.0);
    uc_jb_destroy(jb);
}

static void test_late_packet_raises_target(void)
{
    run_late_packet_raises_target(0);
    run_late_packet_raises_target(1);
}

/* Reordering by whole packets (a packet held back 1..3 intervals) is learnt from the
 * reordered packets' lateness on the playout timeline: after the first few, none is late. */
static void test_reordering_depth_is_learnt(void)
{
    uc_jitter *jb = make(0, 500, 64);
    static int64_t arrival[3000];
    uint32_t lcg = 99;
    for (uint32_t i = 0; i < 3000; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        arrival[i] = (int64_t)i * 20 + 5 + (lcg >> 29); /* 0..7 ms of jitter */
        if (i % 40 == 17)
            arrival[i] += 20 * (1 + (i / 40) % 3); /* held back 1, 2 or 3 packets */
    }
    static int64_t first[1000], rest[3000];
    memcpy(first, arrival, sizeof first);
    unsigned early_late = run_schedule(jb, first, 1000, 1000 * 20);
    for (uint32_t i = 0; i < 3000; i++)
        rest[i] = i < 1000 ? -1 : arrival[i];
    unsigned later_late = run_schedule(jb, rest, 3000, 3000 * 20 + 400);
    CHECK(early_late <= 3);
    CHECK(later_late == 0);
    double target = uc_jb_target_delay_ms(jb);
    CHECK(target >= 60.0 && target <= 120.0);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_late == early_late);
    uc_jb_destroy(jb);
}

/* Delay spikes: the path stalls 300 ms, then releases everything it held at once, in
 * reverse order. The timeline waits through the stall; no released packet is late (the
 * buffer gives stragglers a tick before giving up on them), and a train of such spikes
 * does not ratchet the target up to the spike height. */
static void test_spike_train_releases_are_not_late(void)
{
    uc_jitter *jb = make(0, 500, 64);
    static int64_t arrival[2000];
    for (uint32_t i = 0; i < 2000; i++)
        arrival[i] = (int64_t)i * 20 + 10;
    for (uint32_t spike = 0; spike < 6; spike++) {
        uint32_t start = 200 + spike * 300; /* every 6 s */
        int64_t release = (int64_t)start * 20 + 10 + 300;
        for (uint32_t i = start; i < start + 15; i++)
            arrival[i] = release + (int64_t)(start + 15 - i) / 3; /* newest first, within 5 ms */
    }
    CHECK(run_schedule(jb, arrival, 2000, 2000 * 20 + 400) == 0);
    uc_jb_stats s;
    uc_jb_get_stats(jb, &s);
    CHECK(s.packets_late == 0);
    CHECK(s.concealment_events >= 1); /* the first stall was longer than the buffer */
    CHECK(uc_jb_target_delay_ms(jb) < 300.0);
    uc_jb_destroy(jb);
}

/* Clock drift is not jitter: a sender clock 0.5 % slow (each packet 0.1 ms later than the
 * last) or fast leaves the target where a drift-free stream puts it, and the skew
 * estimate finds it. */
static void test_drift_does_not_inflate_the_target(void)
{
    static const double ppm[3] = {0.0, 5000.0, -5000.0};
    double target[3];
    for (int k = 0; k < 3; k++) {
        uc_jitter *jb = make(0, 500, 64);
        static int64_t arrival[3000];
        uint32_t lcg = 7;
        for (uint32_t i = 0; i < 3000; i++) {
            lcg = lcg * 1664525u + 1013904223u;
            arrival[i] = (int64_t)((double)i * 20.0 * (1.0 + ppm[k] * 1e-6)) + 30 + (lcg >> 28);
        }
        CHECK(run_schedule(jb, arrival, 3000, 3000 * 20 + 1000) == 0);
        target[k] = uc_jb_target_delay_ms(jb);
        double skew = uc_jb_clock_skew_ppm(jb);
        CHECK(skew > ppm[k] - 1000.0 && skew < ppm[k] + 1000.0);
        uc_jb_destroy(jb);
    }
    CHECK(target[0] <= 25.0);
    CHECK(target[1] <= target[0] + 5.0);
    CHECK(target[2] <= target[0] + 5.0);
    CHECK(uc_jb_clock_skew_ppm(NULL) == 0.0);
}

int main(void)
{
    test_arguments();
    test_in_order();
    test_reorder_and_duplicates();
    test_late_packet();
    test_wrap();
    test_ssrc_change();
    test_timestamp_jump();
    test_sequence_jump();
    test_dtx_gap();
    test_multi_tick_packets();
    test_adaptation();
    test_short_pause();
    test_overlapping_timestamps();
    test_overflow();
    test_ancient_packet();
    test_late_packet_raises_target();
    test_reordering_depth_is_learnt();
    test_spike_train_releases_are_not_late();
    test_drift_does_not_inflate_the_target();
    return check_finish("test_jitter");
}
