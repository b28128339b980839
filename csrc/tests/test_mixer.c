/* C tests of csrc/mixer.c: saturation at the extremes, N-1 exactness, the soft knee, top-K
 * selection, threshold, hangover, and argument checks. Exits non-zero on the first failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mixer.h"
#include "uc_errors.h"

#include "check.h"

#define FS 160
#define MAXN 16

static int16_t frames[MAXN][FS];
static int16_t shared[FS];
static int16_t n1[MAXN][FS];
static uint8_t levels[MAXN];

static uint32_t rng = 1;
static int16_t rand16(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (int16_t)(rng >> 16);
}

static uc_mixer *make(int n, int k, int hangover, int threshold, int limiter)
{
    uc_mixer_config cfg;
    uc_mixer *m = NULL;
    uc_mixer_config_default(&cfg, FS, n);
    cfg.top_k = k;
    cfg.hangover_ticks = hangover;
    cfg.level_threshold = threshold;
    cfg.limiter = limiter;
    if (uc_mixer_create(&cfg, &m) != UC_OK) {
        fprintf(stderr, "uc_mixer_create failed\n");
        exit(1);
    }
    return m;
}

static int16_t clamp16(int64_t v) { return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); }

static int tick_levels(uc_mixer *m, int n)
{
    return uc_mixer_tick(m, &frames[0][0], FS, n, levels, shared, &n1[0][0], FS);
}

static void test_config_rejected(void)
{
    uc_mixer_config cfg;
    uc_mixer *m = NULL;
    uc_mixer_config_default(&cfg, FS, 4);
    cfg.top_k = 5;
    CHECK(uc_mixer_create(&cfg, &m) == UC_ERR_ARGUMENT && m == NULL);
    uc_mixer_config_default(&cfg, 0, 4);
    CHECK(uc_mixer_create(&cfg, &m) == UC_ERR_ARGUMENT);
    uc_mixer_config_default(&cfg, FS, UC_MIXER_MAX_PARTICIPANTS + 1);
    CHECK(uc_mixer_create(&cfg, &m) == UC_ERR_ARGUMENT);
    uc_mixer_config_default(&cfg, FS, 4);
    cfg.level_threshold = 128;
    CHECK(uc_mixer_create(&cfg, &m) == UC_ERR_ARGUMENT);
    uc_mixer_config_default(&cfg, FS, 4);
    cfg.limiter = 2;
    CHECK(uc_mixer_create(&cfg, &m) == UC_ERR_ARGUMENT);
    uc_mixer_config_default(&cfg, FS, 4);
    cfg.knee = 32767;
    CHECK(uc_mixer_create(&cfg, &m) == UC_ERR_ARGUMENT);
    uc_mixer_config_default(&cfg, FS, 4);
    cfg.hangover_ticks = -1;
    CHECK(uc_mixer_create(&cfg, &m) == UC_ERR_ARGUMENT);
}

/* Every participant at full scale, positive and negative: sums far beyond int16 clamp. */
static void test_saturation_extremes(void)
{
    const int n = MAXN;
    uc_mixer *m = make(n, n, 0, 127, UC_MIXER_SATURATE);
    memset(levels, 0, sizeof(levels));
    const int16_t extremes[2] = {INT16_MAX, INT16_MIN};
    for (int e = 0; e < 2; e++) {
        for (int i = 0; i < n; i++)
            for (int s = 0; s < FS; s++)
                frames[i][s] = extremes[e];
        CHECK(tick_levels(m, n) == n);
        for (int s = 0; s < FS; s++) {
            CHECK(shared[s] == extremes[e]);
            for (int i = 0; i < n; i++)
                CHECK(n1[i][s] == extremes[e]);
        }
    }
    /* Alternating signs per sample and participant: no wrap, exact clamp. */
    for (int i = 0; i < n; i++)
        for (int s = 0; s < FS; s++)
            frames[i][s] = ((i + s) % 3 == 0) ? INT16_MIN : INT16_MAX;
    CHECK(tick_levels(m, n) == n);
    for (int s = 0; s < FS; s++) {
        int64_t sum = 0;
        for (int i = 0; i < n; i++)
            sum += frames[i][s];
        CHECK(shared[s] == clamp16(sum));
        for (int i = 0; i < n; i++)
            CHECK(n1[i][s] == clamp16(sum - frames[i][s]));
    }
    uc_mixer_free(m);
}

/* Random frames, random talker subsets: N-1 equals the int64 reference, clamped. */
static void test_n1_exact(void)
{
    for (int round = 0; round < 200; round++) {
        int n = 1 + round % MAXN;
        int k = 1 + (round / 3) % n;
        uc_mixer *m = make(n, k, 0, 60, UC_MIXER_SATURATE);
        for (int i = 0; i < n; i++) {
            levels[i] = (uint8_t)(rand16() & 0x7f);
            int16_t scale = (int16_t)(1 + ((uint16_t)rand16() % 4));
            for (int s = 0; s < FS; s++)
                frames[i][s] = (int16_t)(rand16() / scale);
        }
        int count = tick_levels(m, n);
        CHECK(count >= 0 && count <= k);
        const int *t = uc_mixer_talkers(m);
        for (int s = 0; s < FS; s++) {
            int64_t sum = 0;
            for (int j = 0; j < count; j++)
                sum += frames[t[j]][s];
            CHECK(shared[s] == (count ? clamp16(sum) : 0));
            for (int j = 0; j < count; j++)
                CHECK(n1[j][s] == clamp16(sum - frames[t[j]][s]));
        }
        uc_mixer_free(m);
    }
}

/* A lone talker's N-1 mix is silence, to the sample. */
static void test_lone_talker_hears_silence(void)
{
    uc_mixer *m = make(4, 3, 0, 50, UC_MIXER_SATURATE);
    memset(levels, 127, sizeof(levels));
    levels[2] = 10;
    for (int s = 0; s < FS; s++)
        frames[2][s] = rand16();
    CHECK(tick_levels(m, 4) == 1 && uc_mixer_talkers(m)[0] == 2);
    for (int s = 0; s < FS; s++) {
        CHECK(n1[0][s] == 0);
        CHECK(shared[s] == frames[2][s]);
    }
    memset(levels, 127, sizeof(levels));
    CHECK(tick_levels(m, 4) == 0);
    for (int s = 0; s < FS; s++)
        CHECK(shared[s] == 0);
    uc_mixer_free(m);
}

static void test_soft_knee(void)
{
    const int n = 8;
    uc_mixer_config cfg;
    uc_mixer *m = NULL;
    uc_mixer_config_default(&cfg, FS, n);
    cfg.top_k = n;
    cfg.level_threshold = 127;
    cfg.limiter = UC_MIXER_SOFT_KNEE;
    cfg.knee = 20000;
    CHECK(uc_mixer_create(&cfg, &m) == UC_OK);
    memset(levels, 0, sizeof(levels));
    /* Sweep the sum from -8 * 32768 to 8 * 32767 across ticks; check bounds and order. */
    int16_t prev = INT16_MIN;
    int first = 1;
    for (int32_t v = -8 * 32768; v <= 8 * 32767; v += 997) {
        for (int s = 0; s < FS; s++) {
            for (int i = 0; i < n; i++)
                frames[i][s] = 0;
            int32_t rest = v + s; /* spread v+s over the frames, each within int16 */
            for (int i = 0; i < n && rest != 0; i++) {
                int32_t part = rest > 32767 ? 32767 : rest < -32768 ? -32768 : rest;
                frames[i][s] = (int16_t)part;
                rest -= part;
            }
        }
        CHECK(tick_levels(m, n) == n);
        for (int s = 0; s < FS; s++) {
            int32_t sum = v + s;
            CHECK(shared[s] >= -32767 && shared[s] <= 32767);
            if (sum >= -20000 && sum <= 20000)
                CHECK(shared[s] == sum);
            CHECK(first || shared[s] >= prev);
            prev = shared[s];
            first = 0;
            for (int i = 0; i < n; i++)
                CHECK(n1[i][s] >= -32767 && n1[i][s] <= 32767);
        }
    }
    uc_mixer_free(m);
}

/* With levels 0..127 and no hangover, the talkers are the K loudest above the threshold;
 * on equal levels the last tick's talker keeps its place, then the lower slot wins. */
static void test_top_k_from_levels(void)
{
    const int n = MAXN, k = 3;
    uc_mixer *m = make(n, k, 0, 70, UC_MIXER_SATURATE);
    int before[MAXN] = {0};
    for (int round = 0; round < 300; round++) {
        for (int i = 0; i < n; i++)
            levels[i] = (uint8_t)((uint16_t)rand16() % 128);
        int count = uc_mixer_select_levels(m, levels, n);
        /* Reference: repeatedly take the best remaining candidate. */
        int taken[MAXN] = {0}, ne = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (taken[i] || levels[i] > 70)
                    continue;
                if (best < 0 || levels[i] < levels[best] || (levels[i] == levels[best] && before[i] > before[best]))
                    best = i;
            }
            if (best < 0)
                break;
            taken[best] = 1;
            ne++;
        }
        CHECK(count == ne);
        for (int i = 0, j = 0; i < n; i++)
            if (taken[i]) {
                CHECK(j < count && uc_mixer_talkers(m)[j] == i);
                j++;
            }
        memcpy(before, taken, sizeof(before));
    }
    uc_mixer_free(m);

    /* Adjacent quiet levels still rank apart, even with one-sample frames. */
    uc_mixer_config cfg;
    uc_mixer_config_default(&cfg, 1, 3);
    cfg.top_k = 1;
    cfg.level_threshold = 127;
    CHECK(uc_mixer_create(&cfg, &m) == UC_OK);
    for (int l = 0; l < 126; l++) {
        levels[0] = (uint8_t)(l + 1);
        levels[1] = 127;
        levels[2] = (uint8_t)l;
        CHECK(uc_mixer_select_levels(m, levels, 3) == 1 && uc_mixer_talkers(m)[0] == 2);
        CHECK(uc_mixer_forget(m, 2) == UC_OK);
    }
    uc_mixer_free(m);
}

/* A talker that falls quiet stays selected for exactly hangover ticks, then leaves. */
static void test_hangover(void)
{
    for (int h = 0; h <= 5; h++) {
        uc_mixer *m = make(4, 3, h, 50, UC_MIXER_SATURATE);
        memset(levels, 127, sizeof(levels));
        levels[1] = 20;
        CHECK(uc_mixer_select_levels(m, levels, 4) == 1);
        levels[1] = 90; /* quiet from here on */
        for (int t = 1; t <= h; t++) {
            CHECK(uc_mixer_select_levels(m, levels, 4) == 1);
            CHECK(uc_mixer_talkers(m)[0] == 1);
        }
        CHECK(uc_mixer_select_levels(m, levels, 4) == 0);
        /* Once gone, quiet ticks do not bring it back. */
        CHECK(uc_mixer_select_levels(m, levels, 4) == 0);
        uc_mixer_free(m);
    }
    /* Talking again inside the hangover restarts it. */
    uc_mixer *m = make(2, 1, 3, 50, UC_MIXER_SATURATE);
    levels[0] = 10;
    levels[1] = 127;
    CHECK(uc_mixer_select_levels(m, levels, 2) == 1);
    levels[0] = 100;
    CHECK(uc_mixer_select_levels(m, levels, 2) == 1);
    CHECK(uc_mixer_select_levels(m, levels, 2) == 1);
    levels[0] = 30;
    CHECK(uc_mixer_select_levels(m, levels, 2) == 1);
    levels[0] = 100;
    for (int t = 0; t < 3; t++)
        CHECK(uc_mixer_select_levels(m, levels, 2) == 1);
    CHECK(uc_mixer_select_levels(m, levels, 2) == 0);
    /* A quiet incumbent keeps its slot against a quieter newcomer, not a louder one. */
    levels[0] = 10;
    levels[1] = 127;
    CHECK(uc_mixer_select_levels(m, levels, 2) == 1 && uc_mixer_talkers(m)[0] == 0);
    levels[0] = 100;
    levels[1] = 40;
    CHECK(uc_mixer_select_levels(m, levels, 2) == 1 && uc_mixer_talkers(m)[0] == 0);
    levels[1] = 5;
    CHECK(uc_mixer_select_levels(m, levels, 2) == 1 && uc_mixer_talkers(m)[0] == 1);
    uc_mixer_free(m);
}

static void test_energy_levels(void)
{
    int16_t f[FS];
    memset(f, 0, sizeof(f));
    CHECK(uc_audio_level(f, FS) == 127);
    for (int s = 0; s < FS; s++)
        f[s] = (s & 1) ? INT16_MIN : INT16_MIN; /* full-scale DC: 0 dBov */
    CHECK(uc_audio_level(f, FS) == 0);
    for (int s = 0; s < FS; s++) /* full-scale sine: -3 dBov */
        f[s] = (int16_t)lrint(32767.0 * sin(2.0 * M_PI * s / 40.0));
    CHECK(uc_audio_level(f, FS) == 3);
    for (int s = 0; s < FS; s++) /* -40 dBov sine: 1% of full scale, -3 dB for the sine */
        f[s] = (int16_t)lrint(327.68 * sin(2.0 * M_PI * s / 40.0));
    CHECK(uc_audio_level(f, FS) == 43);

    /* The mixer's per-slot levels from frames agree with uc_audio_level. */
    uc_mixer *m = make(MAXN, 3, 0, 50, UC_MIXER_SATURATE);
    for (int i = 0; i < MAXN; i++) {
        int shift = i;
        for (int s = 0; s < FS; s++)
            frames[i][s] = (int16_t)(rand16() >> shift);
    }
    int count = uc_mixer_select_frames(m, &frames[0][0], FS, MAXN);
    CHECK(count == 3);
    for (int i = 0; i < MAXN; i++)
        CHECK(uc_mixer_levels(m)[i] == uc_audio_level(frames[i], FS));
    /* The three loudest are the three least attenuated. */
    CHECK(uc_mixer_talkers(m)[0] == 0 && uc_mixer_talkers(m)[1] == 1 && uc_mixer_talkers(m)[2] == 2);
    uc_mixer_free(m);
}

static void test_slots_and_errors(void)
{
    uc_mixer *m = make(8, 3, 10, 50, UC_MIXER_SATURATE);
    CHECK(uc_mixer_mix(m, &frames[0][0], FS, 8, shared, &n1[0][0], FS) == UC_ERR_STATE);
    memset(levels, 127, sizeof(levels));
    levels[6] = 10;
    levels[1] = 20;
    CHECK(uc_mixer_select_levels(m, levels, 8) == 2);
    /* A level above 127 is rejected and leaves the selection as it was. */
    levels[3] = 128;
    CHECK(uc_mixer_select_levels(m, levels, 8) == UC_ERR_ARGUMENT);
    CHECK(uc_mixer_talker_count(m) == 2);
    levels[3] = 127;
    CHECK(uc_mixer_select_levels(m, levels, 9) == UC_ERR_ARGUMENT);
    CHECK(uc_mixer_select_levels(m, levels, -1) == UC_ERR_ARGUMENT);
    CHECK(uc_mixer_select_frames(m, &frames[0][0], FS - 1, 8) == UC_ERR_ARGUMENT);
    CHECK(uc_mixer_mix(m, &frames[0][0], FS, 7, shared, &n1[0][0], FS) == UC_ERR_ARGUMENT);
    CHECK(uc_mixer_mix(m, &frames[0][0], FS, 8, shared, &n1[0][0], FS - 1) == UC_ERR_ARGUMENT);
    /* Shrinking n forgets the slots beyond it, hangover included. */
    levels[6] = 127;
    levels[1] = 127;
    CHECK(uc_mixer_select_levels(m, levels, 6) == 1 && uc_mixer_talkers(m)[0] == 1);
    CHECK(uc_mixer_select_levels(m, levels, 8) == 1 && uc_mixer_talkers(m)[0] == 1);
    /* Forgetting a slot drops it from the selection at once. */
    CHECK(uc_mixer_forget(m, 1) == UC_OK && uc_mixer_talker_count(m) == 0);
    CHECK(uc_mixer_select_levels(m, levels, 8) == 0);
    CHECK(uc_mixer_forget(m, 8) == UC_ERR_ARGUMENT);
    CHECK(uc_mixer_select_levels(m, levels, 0) == 0);
    CHECK(uc_mixer_mix(m, NULL, FS, 0, shared, NULL, FS) == 0);
    uc_mixer_free(m);
}

int main(void)
{
    test_config_rejected();
    test_saturation_extremes();
    test_n1_exact();
    test_lone_talker_hears_silence();
    test_soft_knee();
    test_top_k_from_levels();
    test_hangover();
    test_energy_levels();
    test_slots_and_errors();
    return check_finish("test_mixer");
}
