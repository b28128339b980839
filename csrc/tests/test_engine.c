/* C tests of the engine's plumbing and its tick: the SPSC ring (single thread and across two
 * threads), RFC 7983 demux, RFC 4733 payloads and pacing, the RTCP session's RTT, and a
 * real engine on loopback: a conference of two G.711 legs fed by a plain socket, whose mix
 * must reach the other socket; then every object is destroyed (ASan checks for leaks). And
 * the initial RTP sequence numbers of new legs: random, below 2^15 (SRTP roll-over). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "codec_g711.h"
#include "conference.h"
#include "demux.h"
#include "dtmf.h"
#include "engine.h"
#include "leg.h"
#include "rtcp_session.h"
#include "spsc_queue.h"
#include "uc_errors.h"

#include "check.h"
#include "loopback.h"

static void test_spsc_single_thread(void)
{
    uc_spsc q;
    CHECK(uc_spsc_init(&q, 3, 4) == UC_ERR_ARGUMENT);
    CHECK(uc_spsc_init(&q, 4, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_spsc_init(&q, 4, sizeof(uint32_t)) == UC_OK);
    uint32_t v;
    CHECK(uc_spsc_pop(&q, &v) == 0);
    for (uint32_t i = 0; i < 4; i++)
        CHECK(uc_spsc_push(&q, &i) == 1);
    uint32_t extra = 99;
    CHECK(uc_spsc_push(&q, &extra) == 0); /* full */
    CHECK(uc_spsc_size(&q) == 4);
    for (uint32_t i = 0; i < 4; i++) {
        CHECK(uc_spsc_pop(&q, &v) == 1);
        CHECK(v == i);
    }
    CHECK(uc_spsc_pop(&q, &v) == 0);
    /* Wrap the indexes around many times. */
    for (uint32_t i = 0; i < 1000; i++) {
        CHECK(uc_spsc_push(&q, &i) == 1);
        CHECK(uc_spsc_pop(&q, &v) == 1 && v == i);
    }
    uc_spsc_free(&q);
}

#define THREAD_ITEMS 200000u

static void *producer(void *arg)
{
    uc_spsc *q = arg;
    for (uint64_t i = 0; i < THREAD_ITEMS;) {
        if (uc_spsc_push(q, &i))
            i++;
    }
    return NULL;
}

static void test_spsc_two_threads(void)
{
    uc_spsc q;
    CHECK(uc_spsc_init(&q, 64, sizeof(uint64_t)) == UC_OK);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, producer, &q) == 0);
    uint64_t expect = 0, v;
    int in_order = 1;
    while (expect < THREAD_ITEMS) {
        if (uc_spsc_pop(&q, &v)) {
            if (v != expect)
                in_order = 0;
            expect++;
        }
    }
    pthread_join(t, NULL);
    CHECK(in_order);
    CHECK(uc_spsc_pop(&q, &v) == 0);
    uc_spsc_free(&q);
}

static void test_demux(void)
{
    uint8_t p[2] = {0, 0};
    CHECK(uc_demux_classify(p, 0) == UC_DEMUX_UNKNOWN);
    p[0] = 0x00; CHECK(uc_demux_classify(p, 2) == UC_DEMUX_STUN);
    p[0] = 0x01; CHECK(uc_demux_classify(p, 2) == UC_DEMUX_STUN);
    p[0] = 17;   CHECK(uc_demux_classify(p, 2) == UC_DEMUX_ZRTP);
    p[0] = 22;   CHECK(uc_demux_classify(p, 2) == UC_DEMUX_DTLS);
    p[0] = 64;   CHECK(uc_demux_classify(p, 2) == UC_DEMUX_TURN);
    p[0] = 0x80; p[1] = 111; CHECK(uc_demux_classify(p, 2) == UC_DEMUX_RTP);
    p[1] = 0x80 | 111;       CHECK(uc_demux_classify(p, 2) == UC_DEMUX_RTP); /* marker set */
    p[1] = 200;              CHECK(uc_demux_classify(p, 2) == UC_DEMUX_RTCP);
    p[1] = 223;              CHECK(uc_demux_classify(p, 2) == UC_DEMUX_RTCP);
    p[1] = 224;              CHECK(uc_demux_classify(p, 2) == UC_DEMUX_RTP);
    CHECK(uc_demux_classify(p, 1) == UC_DEMUX_RTP);
    p[0] = 0xC0; CHECK(uc_demux_classify(p, 2) == UC_DEMUX_UNKNOWN);
}

static void test_dtmf(void)
{
    uint8_t b[4];
    uc_dtmf_payload d = {.event = 11, .end = 1, .volume = 10, .duration = 800}, e;
    uc_dtmf_write(b, &d);
    CHECK(b[0] == 11 && b[1] == 0x8A && b[2] == 0x03 && b[3] == 0x20);
    CHECK(uc_dtmf_parse(b, 3, &e) == UC_ERR_TRUNCATED);
    CHECK(uc_dtmf_parse(b, 4, &e) == UC_OK && e.event == 11 && e.end && e.volume == 10 && e.duration == 800);
    CHECK(uc_dtmf_event_char(11) == '#' && uc_dtmf_char_event('#') == 11 && uc_dtmf_char_event('d') == 15);
    CHECK(uc_dtmf_char_event('x') == UC_ERR_ARGUMENT && uc_dtmf_event_char(16) == 0);

    uc_dtmf_receiver r = {0};
    int ev;
    uint32_t dur;
    e.end = 0;
    CHECK(uc_dtmf_receive(&r, 1000, &e, &ev, &dur) == 0);
    e.end = 1;
    CHECK(uc_dtmf_receive(&r, 1000, &e, &ev, &dur) == 1 && ev == 11 && dur == 800);
    CHECK(uc_dtmf_receive(&r, 1000, &e, &ev, &dur) == 0); /* retransmitted end */
    CHECK(uc_dtmf_receive(&r, 2000, &e, &ev, &dur) == 1);  /* the next event */

    uc_dtmf_sender s = {0};
    CHECK(uc_dtmf_sender_start(&s, 16, 800, 10, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_dtmf_sender_start(&s, 5, 400, 10, 12345) == UC_OK);
    CHECK(uc_dtmf_sender_start(&s, 5, 400, 10, 0) == UC_ERR_STATE);
    int marker, packets = 0, ends = 0, markers = 0;
    uint32_t ts, last = 0;
    while (uc_dtmf_sender_next(&s, 160, &d, &marker, &ts) && packets < 100) {
        packets++;
        markers += marker;
        ends += d.end;
        CHECK(ts == 12345 && d.event == 5);
        CHECK(d.duration >= last);
        last = d.duration;
    }
    CHECK(packets == 3 + 3 - 1); /* 160, 320, 400(end) x3 */
    CHECK(ends == 3 && markers == 1 && last == 400);
}

static void test_rtcp_rtt(void)
{
    uc_rtcp_session a, b;
    uc_rtcp_session_init(&a, 0x1111, 48000, 5000, "a", 1, 0);
    uc_rtcp_session_init(&b, 0x2222, 48000, 5000, "b", 2, 0);
    /* b receives a's stream; a sends. */
    for (int i = 0; i < 50; i++) {
        uc_rtcp_session_on_sent(&a, 100);
        uc_rtcp_session_on_rtp(&b, 0x1111, (uint16_t)i, (uint32_t)i * 960, i * 20);
    }
    uint8_t buf[512];
    uint64_t t0 = (uint64_t)1000 << 32;
    CHECK(uc_rtcp_session_due(&a, 2500));
    int n = uc_rtcp_session_build(&a, 2500, t0, 48000, buf, sizeof(buf));
    CHECK(n > 0 && buf[1] == 200); /* an SR: a has sent */
    CHECK(!uc_rtcp_session_due(&a, 2500));
    /* The SR reaches b 10 ms later; b answers 250 ms after that; it reaches a 10 ms later. */
    uint64_t ms = ((uint64_t)1 << 32) / 1000;
    CHECK(uc_rtcp_session_receive(&b, buf, (size_t)n, t0 + 10 * ms) == 2);
    n = uc_rtcp_session_build(&b, 2760, t0 + 260 * ms, 0, buf, sizeof(buf));
    CHECK(n > 0 && buf[1] == 201); /* an RR: b has not sent */
    CHECK(uc_rtcp_session_receive(&a, buf, (size_t)n, t0 + 270 * ms) == 2);
    CHECK(a.have_rtt && a.have_peer_report);
    double rtt_ms = a.rtt_q16 * 1000.0 / 65536.0;
    CHECK(fabs(rtt_ms - 20.0) < 1.0);
    CHECK(a.peer_cumulative_lost == 0);
    CHECK(uc_rtcp_session_receive(&a, buf, 3, 0) < 0);
}

static void test_engine_conference_tick(void)
{
    uc_engine_config cfg = {.workers = 1, .bind_ip = "127.0.0.1", .port_lo = 45100, .port_hi = 45199, .tick_ms = 20};
    uc_engine *e = NULL;
    uc_engine_config bad = cfg;
    bad.tick_ms = 15;
    CHECK(uc_engine_create(&bad, &e) == UC_ERR_ARGUMENT);
    CHECK(uc_engine_create(&cfg, &e) == UC_OK);
    if (!e)
        return;
    CHECK(uc_engine_worker_count(e) == 1);

    uc_leg_config lc;
    memset(&lc, 0, sizeof(lc));
    lc.worker = -1;
    lc.codec = UC_CODEC_PCMU;
    lc.payload_type = 0;
    lc.dtmf_payload_type = 101;
    uc_leg *a = NULL, *b = NULL;
    lc.id = 1;
    CHECK(uc_leg_create(e, &lc, &a) == UC_OK);
    lc.id = 2;
    CHECK(uc_leg_create(e, &lc, &b) == UC_OK);
    uc_conference_config cc = {.id = 3, .worker = -1, .max_participants = 4, .top_k = 2,
                               .hangover_ticks = -1, .level_threshold = -1};
    uc_conference *c = NULL;
    CHECK(uc_conference_create(e, &cc, &c) == UC_OK);
    if (!a || !b || !c)
        return;
    CHECK(uc_conference_add_leg(c, a) == 0);
    CHECK(uc_conference_add_leg(c, b) == 1);
    CHECK(uc_conference_add_leg(c, a) == 0); /* already in: same slot */

    struct sockaddr_in ca, cb;
    int fa = client_socket(&ca), fb = client_socket(&cb);
    CHECK(uc_leg_set_remote(b, "127.0.0.1", ntohs(cb.sin_port)) == UC_OK);
    struct sockaddr_in leg_a = ca;
    leg_a.sin_port = htons((uint16_t)uc_leg_local_port(a));

    uc_g711 *g711 = NULL;
    uc_g711_create(&g711, UC_G711_ULAW);
    int received = 0, loud = 0;
    for (int i = 0; i < 40; i++) {
        uint8_t pkt[12 + 160];
        int16_t pcm[160];
        for (int k = 0; k < 160; k++)
            pcm[k] = (int16_t)(8000 * sin(2 * M_PI * 440 * (i * 160 + k) / 8000.0));
        pkt[0] = 0x80;
        pkt[1] = 0;
        pkt[2] = (uint8_t)(i >> 8);
        pkt[3] = (uint8_t)i;
        uint32_t ts = (uint32_t)i * 160, ssrc = 0xABCDEF01;
        for (int k = 0; k < 4; k++) {
            pkt[4 + k] = (uint8_t)(ts >> (24 - 8 * k));
            pkt[8 + k] = (uint8_t)(ssrc >> (24 - 8 * k));
        }
        uc_g711_encode(g711, pcm, 160, pkt + 12);
        sendto(fa, pkt, sizeof(pkt), 0, (struct sockaddr *)&leg_a, sizeof(leg_a));
        sleep_ms(20);
        uint8_t in[2048];
        for (int k = 0; k < 10; k++) {
            ssize_t r = recv(fb, in, sizeof(in), 0);
            if (r <= 0)
                break;
            received++;
            if (r == 12 + 160 && (in[1] & 0x7f) == 0) {
                int16_t out[160];
                uc_g711_decode(g711, in + 12, 160, out);
                double sum = 0;
                for (int s = 0; s < 160; s++)
                    sum += (double)out[s] * out[s];
                if (sqrt(sum / 160) > 1000)
                    loud++;
            }
        }
    }
    CHECK(received >= 30);
    CHECK(loud >= 10); /* b hears a's tone */

    uc_leg_stats st;
    CHECK(uc_leg_get_stats(a, &st) == UC_OK);
    CHECK(st.rtp_received == 40 && st.remote_known && st.decodes > 0);
    uc_conference_stats cs;
    CHECK(uc_conference_get_stats(c, &cs) == UC_OK);
    CHECK(cs.ticks >= 30 && cs.participants == 2 && cs.classes == 1);
    uc_worker_stats ws;
    CHECK(uc_engine_worker_stats(e, 0, &ws) == UC_OK);
    CHECK(ws.ticks >= 30 && ws.legs == 2 && ws.conferences == 1 && ws.cpu_ns > 0);

    uc_event evs[64];
    int n = uc_engine_poll_events(e, evs, 64), latched = 0, talkers = 0;
    for (int i = 0; i < n; i++) {
        latched += evs[i].type == UC_EV_REMOTE_LATCHED && evs[i].object_id == 1;
        talkers += evs[i].type == UC_EV_TALKERS && evs[i].object_id == 3;
    }
    CHECK(latched == 1 && talkers >= 1);

    /* A bridge refuses legs that are in a conference; after removal it takes them. */
    uc_bridge *br = NULL;
    CHECK(uc_bridge_create(e, a, b, UC_BRIDGE_RELAY, 4, &br) == UC_ERR_STATE);
    CHECK(uc_conference_remove_leg(c, a) == UC_OK);
    CHECK(uc_conference_remove_leg(c, a) == UC_ERR_STATE);
    CHECK(uc_conference_remove_leg(c, b) == UC_OK);
    CHECK(uc_bridge_create(e, a, b, UC_BRIDGE_TRANSCODE, 4, &br) == UC_OK);
    sleep_ms(60);
    uc_leg_destroy(a); /* leaves the bridge first */
    uc_bridge_destroy(br);
    uc_conference_destroy(c);
    uc_leg_destroy(b);
    uc_g711_destroy(g711);
    close(fa);
    close(fb);
    uc_engine_destroy(e);
}

/* Every leg starts its RTP sequence numbers below 2^15 (RFC 3711 3.3.1: a receiver whose
 * first packet comes after we wrapped would guess the roll-over counter wrong and fail
 * every packet; benchmarks/meeting_joins.py saw it as legs that sent nothing). 64 legs of
 * the old full 16-bit draw would all be below 2^15 with probability 2^-64. Still random:
 * not all the same. */
static void test_initial_sequence_numbers(void)
{
    enum { LEGS = 64 };
    uc_engine_config cfg = {.workers = 1, .bind_ip = "127.0.0.1", .port_lo = 45200, .port_hi = 45299, .tick_ms = 20};
    uc_engine *e = NULL;
    CHECK(uc_engine_create(&cfg, &e) == UC_OK);
    if (!e)
        return;
    uc_leg_config lc;
    memset(&lc, 0, sizeof(lc));
    lc.worker = -1;
    lc.codec = UC_CODEC_PCMU;
    lc.payload_type = 0;
    lc.dtmf_payload_type = -1;
    uc_leg *legs[LEGS] = {0};
    int below = 0, distinct = 0;
    for (int i = 0; i < LEGS; i++) {
        lc.id = (uint32_t)(100 + i);
        CHECK(uc_leg_create(e, &lc, &legs[i]) == UC_OK);
        if (!legs[i])
            continue;
        /* No remote address and no conference: the worker sends nothing, seq stays put. */
        below += legs[i]->seq < 0x8000;
        distinct += i > 0 && legs[i - 1] && legs[i]->seq != legs[i - 1]->seq;
    }
    CHECK(below == LEGS);
    CHECK(distinct > 0);
    for (int i = 0; i < LEGS; i++)
        if (legs[i])
            uc_leg_destroy(legs[i]);
    uc_engine_destroy(e);
}

int main(void)
{
    test_spsc_single_thread();
    test_spsc_two_threads();
    test_demux();
    test_dtmf();
    test_rtcp_rtt();
    test_engine_conference_tick();
    test_initial_sequence_numbers();
    return check_finish("test_engine");
}
