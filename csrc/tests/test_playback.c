/* C tests of prompts and recordings (playback.h): clip resampling (length, no delay, the
 * tone kept), the player (exact end, loop wrap without a gap, saturation), the recorder
 * (fills to capacity, resamples), argument checks; then a real engine on loopback: an idle
 * G.711 leg plays a clip to a plain socket, is replaced and stopped (events with handles
 * and sample counts), records what the socket sends, a conference plays a clip to its leg
 * and is destroyed mid-clip (ASan checks for leaks and stray reads). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec_g711.h"
#include "conference.h"
#include "engine.h"
#include "leg.h"
#include "playback.h"
#include "uc_errors.h"

#include "check.h"
#include "loopback.h"

static double rms(const int16_t *x, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)x[i] * x[i];
    return n > 0 ? sqrt(sum / n) : 0.0;
}

/* Magnitude of one frequency (Goertzel) per sample. */
static double goertzel(const int16_t *x, int n, double freq, int rate)
{
    double w = 2 * M_PI * freq / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / n;
}

static int16_t *sine(int n, double freq, int rate, double amp)
{
    int16_t *x = malloc((size_t)n * sizeof(int16_t));
    for (int i = 0; i < n; i++)
        x[i] = (int16_t)(amp * sin(2 * M_PI * freq * i / rate));
    return x;
}

static void test_clip(void)
{
    uc_clip *clip = NULL;
    int16_t *in = sine(8000, 1000, 8000, 8000);
    CHECK(uc_clip_create(in, 8000, 8000, &clip) == UC_OK);
    if (clip) {
        CHECK(clip->samples == 48000);
        CHECK(rms(clip->pcm, 960) > 4000);       /* no resampler delay at the front */
        CHECK(rms(clip->pcm + 47040, 960) > 4000); /* nor a lost tail */
        CHECK(goertzel(clip->pcm, 48000, 1000, 48000) > 3000);
        CHECK(goertzel(clip->pcm, 48000, 7000, 48000) < 20);
    }
    uc_clip_destroy(clip);
    CHECK(uc_clip_create(in, 8000, 16000, &clip) == UC_OK && clip->samples == 24000);
    uc_clip_destroy(clip);
    CHECK(uc_clip_create(in, 480, 48000, &clip) == UC_OK && clip->samples == 480 &&
          memcmp(clip->pcm, in, 960) == 0);
    uc_clip_destroy(clip);
    CHECK(uc_clip_create(in, 8000, 44100, &clip) == UC_ERR_ARGUMENT && clip == NULL);
    CHECK(uc_clip_create(in, 0, 8000, &clip) == UC_ERR_ARGUMENT);
    CHECK(uc_clip_create(NULL, 10, 8000, &clip) == UC_ERR_ARGUMENT);
    CHECK(uc_clip_create(in, (size_t)UC_CLIP_MAX_SAMPLES + 1, 48000, &clip) == UC_ERR_ARGUMENT);
    uc_clip_destroy(NULL);
    free(in);
}

static void test_player(void)
{
    int16_t pcm[1500];
    for (int i = 0; i < 1500; i++)
        pcm[i] = (int16_t)(i + 1);
    uc_clip clip = {.pcm = pcm, .samples = 1500};
    uc_player p = {.clip = &clip, .id = 1};
    int16_t frame[960];
    memset(frame, 0, sizeof(frame));
    CHECK(uc_player_mix(&p, frame, 960) == 1);
    CHECK(frame[0] == 1 && frame[959] == 960);
    memset(frame, 0, sizeof(frame));
    CHECK(uc_player_mix(&p, frame, 960) == 2); /* 540 left: ends inside this frame */
    CHECK(frame[539] == 1500 && frame[540] == 0 && p.passes == 1);
    p.clip = NULL;
    CHECK(uc_player_mix(&p, frame, 960) == 0);

    uc_player loop = {.clip = &clip, .loop = 1};
    memset(frame, 0, sizeof(frame));
    CHECK(uc_player_mix(&loop, frame, 960) == 1);
    memset(frame, 0, sizeof(frame));
    CHECK(uc_player_mix(&loop, frame, 960) == 1);
    CHECK(frame[539] == 1500 && frame[540] == 1 && frame[959] == 420); /* no gap at the wrap */
    CHECK(loop.passes == 1 && loop.pos == 420);

    /* A clip shorter than a frame loops several times inside one. */
    uc_clip tiny = {.pcm = pcm, .samples = 100};
    uc_player t = {.clip = &tiny, .loop = 1};
    memset(frame, 0, sizeof(frame));
    CHECK(uc_player_mix(&t, frame, 960) == 1 && t.passes == 9 && frame[900] == 1);

    int16_t loud[4] = {30000, -30000, 100, -100};
    int16_t dst[4] = {30000, -30000, 100, -100};
    uc_pcm_add_saturate(dst, loud, 4);
    CHECK(dst[0] == 32767 && dst[1] == -32768 && dst[2] == 200 && dst[3] == -200);
}

static void test_recorder(void)
{
    int16_t buf[1000];
    uc_recorder r = {.buf = buf, .capacity = 1000, .rate = 48000};
    int16_t *in = sine(960, 500, 48000, 4000);
    CHECK(uc_recorder_write(&r, in, 960) == 0 && r.len == 960);
    CHECK(uc_recorder_write(&r, in, 960) == 1 && r.len == 1000);
    CHECK(memcmp(buf, in, 960 * sizeof(int16_t)) == 0 && buf[960] == in[0]);

    int16_t small[800];
    uc_recorder d = {.buf = small, .capacity = 800, .rate = 16000};
    CHECK(uc_resampler_create(&d.down, 1, 48000, 16000, UC_RESAMPLER_QUALITY_VOIP) == UC_OK);
    int full = 0;
    for (int i = 0; i < 3 && !full; i++)
        full = uc_recorder_write(&d, in, 960); /* 320 samples at 16 kHz per frame */
    CHECK(full && d.len == 800);
    CHECK(goertzel(small + 200, 600, 500, 16000) > 1000);
    uc_resampler_destroy(d.down);
    free(in);
}

/* ---- a real engine ---- */

/* Drain the socket; decode PCMU packets into out (8 kHz) from *n on. */
static void drain(int fd, uc_g711 *g711, int16_t *out, int *n, int cap)
{
    uint8_t in[2048];
    for (int k = 0; k < 20; k++) {
        ssize_t r = recv(fd, in, sizeof(in), 0);
        if (r <= 0)
            return;
        if (r == 12 + 160 && (in[1] & 0x7f) == 0 && *n + 160 <= cap) {
            uc_g711_decode(g711, in + 12, 160, out + *n);
            *n += 160;
        }
    }
}

static int poll_type(uc_engine *e, int type, uc_event *found)
{
    uc_event evs[64];
    int n = uc_engine_poll_events(e, evs, 64), hits = 0;
    for (int i = 0; i < n; i++)
        if (evs[i].type == type) {
            if (hits == 0 && found)
                *found = evs[i];
            hits++;
        }
    return hits;
}

static void test_engine_playback(void)
{
    uc_engine_config cfg = {.workers = 1, .bind_ip = "127.0.0.1", .port_lo = 45200, .port_hi = 45299, .tick_ms = 20};
    uc_engine *e = NULL;
    CHECK(uc_engine_create(&cfg, &e) == UC_OK);
    if (!e)
        return;
    uc_leg_config lc;
    memset(&lc, 0, sizeof(lc));
    lc.id = 1;
    lc.worker = -1;
    lc.codec = UC_CODEC_PCMU;
    lc.dtmf_payload_type = 101;
    uc_leg *leg = NULL;
    CHECK(uc_leg_create(e, &lc, &leg) == UC_OK);
    lc.dtmf_clock_rate = 7000;
    uc_leg *bad = NULL;
    CHECK(uc_leg_create(e, &lc, &bad) == UC_ERR_ARGUMENT && !bad);
    lc.dtmf_clock_rate = 8500; /* not a whole number of samples per ms */
    CHECK(uc_leg_create(e, &lc, &bad) == UC_ERR_ARGUMENT && !bad);
    if (!leg)
        return;
    CHECK(uc_leg_set_dtmf_clock(leg, 8000) == UC_OK);
    CHECK(uc_leg_set_dtmf_clock(leg, 1234) == UC_ERR_ARGUMENT);
    struct sockaddr_in peer;
    int fd = client_socket(&peer);
    CHECK(uc_leg_set_remote(leg, "127.0.0.1", ntohs(peer.sin_port)) == UC_OK);
    uc_g711 *g711 = NULL;
    uc_g711_create(&g711, UC_G711_ULAW);

    int16_t *tone = sine(4000, 1000, 8000, 8000); /* 500 ms at 8 kHz */
    uc_clip *clip = NULL;
    CHECK(uc_clip_create(tone, 4000, 8000, &clip) == UC_OK);
    CHECK(uc_leg_play(leg, NULL, 1, 1, 0) == UC_ERR_ARGUMENT);
    CHECK(uc_leg_stop_playback(leg) == 0);

    /* An idle leg plays its clip to the peer, which hears it. */
    static int16_t heard[8000 * 4];
    int n = 0;
    CHECK(uc_leg_play(leg, clip, 7, 100, 0) == UC_OK);
    for (int i = 0; i < 40; i++) {
        sleep_ms(20);
        drain(fd, g711, heard, &n, 8000 * 4);
    }
    CHECK(n >= 3200 && n <= 4000 + 320); /* the clip, then silence: nothing more sent */
    CHECK(goertzel(heard, n < 3200 ? n : 3200, 1000, 8000) > 2000);
    uc_event ev;
    CHECK(poll_type(e, UC_EV_PLAYBACK_FINISHED, &ev) == 1);
    CHECK(ev.object_id == 1 && ev.value == 7 && ev.handle == 100 && ev.code == UC_END_COMPLETED &&
          ev.samples == 24000);

    /* Loop, replace, stop. */
    CHECK(uc_leg_play(leg, clip, 8, 101, 1) == UC_OK);
    sleep_ms(100);
    CHECK(uc_leg_play(leg, clip, 9, 102, 1) == UC_OK);
    sleep_ms(100);
    CHECK(uc_leg_stop_playback(leg) == 1);
    sleep_ms(30);
    uc_event evs[64];
    int got = uc_engine_poll_events(e, evs, 64), replaced = 0, stopped = 0;
    for (int i = 0; i < got; i++) {
        replaced += evs[i].type == UC_EV_PLAYBACK_FINISHED && evs[i].value == 8 && evs[i].code == UC_END_REPLACED &&
                    evs[i].handle == 101;
        stopped += evs[i].type == UC_EV_PLAYBACK_FINISHED && evs[i].value == 9 && evs[i].code == UC_END_STOPPED &&
                   evs[i].handle == 102 && evs[i].samples > 0;
    }
    CHECK(replaced == 1 && stopped == 1);

    /* Record what the peer sends (PCMU 1 kHz) at 16 kHz. */
    int16_t *rec = calloc(4800, sizeof(int16_t));
    CHECK(uc_leg_record(leg, rec, 4800, 44100, 1, 200) == UC_ERR_ARGUMENT);
    CHECK(uc_leg_stop_recording(leg) == UC_ERR_STATE);
    CHECK(uc_leg_record(leg, rec, 4800, 16000, 3, 200) == UC_OK); /* 300 ms */
    CHECK(uc_leg_record(leg, rec, 4800, 16000, 4, 201) == UC_ERR_STATE);
    struct sockaddr_in to = peer;
    to.sin_port = htons((uint16_t)uc_leg_local_port(leg));
    for (int i = 0; i < 30; i++) {
        uint8_t pkt[12 + 160];
        memset(pkt, 0, 12);
        pkt[0] = 0x80;
        pkt[2] = (uint8_t)(i >> 8);
        pkt[3] = (uint8_t)i;
        uint32_t ts = (uint32_t)i * 160;
        for (int k = 0; k < 4; k++)
            pkt[4 + k] = (uint8_t)(ts >> (24 - 8 * k));
        pkt[8] = 0x12;
        uc_g711_encode(g711, tone + (i % 20) * 160, 160, pkt + 12);
        sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to));
        sleep_ms(20);
    }
    CHECK(poll_type(e, UC_EV_RECORDING_FINISHED, &ev) == 1);
    CHECK(ev.value == 3 && ev.handle == 200 && ev.code == UC_END_COMPLETED && ev.samples == 4800);
    CHECK(goertzel(rec + 2400, 2400, 1000, 16000) > 1000);

    /* A conference plays a clip to its leg; destroyed mid-clip, then the leg. */
    uc_conference_config cc = {.id = 5, .worker = -1, .max_participants = 4, .top_k = 2,
                               .hangover_ticks = -1, .level_threshold = -1};
    uc_conference *c = NULL;
    CHECK(uc_conference_create(e, &cc, &c) == UC_OK);
    if (c) {
        CHECK(uc_conference_add_leg(c, leg) == 0);
        CHECK(uc_conference_play(c, clip, 11, 300, 1) == UC_OK);
        CHECK(uc_leg_play(leg, clip, 12, 301, 1) == UC_OK);
        CHECK(uc_leg_record(leg, rec, 4800, 48000, 13, 302) == UC_OK);
        n = 0;
        for (int i = 0; i < 10; i++) {
            sleep_ms(20);
            drain(fd, g711, heard, &n, 8000 * 4);
        }
        CHECK(n >= 960 && rms(heard + 160, n - 160) > 3000); /* both clips, summed */
        uc_conference_destroy(c);
    }
    uc_leg_destroy(leg);
    uc_clip_destroy(clip); /* only now: the worker has let go */
    free(rec);
    free(tone);
    uc_g711_destroy(g711);
    close(fd);
    uc_engine_destroy(e);
}

int main(void)
{
    test_clip();
    test_player();
    test_recorder();
    test_engine_playback();
    return check_finish("test_playback");
}
