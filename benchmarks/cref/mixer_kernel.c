/* Times the mixer kernel (csrc/mixer.c) beside a plain C loop doing the same N-1 mix.
 *
 * usage: mixer_kernel N FRAME_SAMPLES TICKS REPEAT
 * Prints one JSON object: best ns per tick for
 *   all_n     uc_mixer_mix with every participant a talker (top_k = N): N-1 mix of all N
 *   plain_c   the same computation as a plain -O2 loop (int32 sum, subtract own, clamp)
 *   top_k     uc_mixer_select_levels + uc_mixer_mix with K = 3 of N talking
 * A participant-sample is one participant's one sample of one tick: N * FRAME_SAMPLES. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mixer.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The reference: what anyone would write first, compiled at the build's -O2. */
static void plain_n1_mix(const int16_t *frames, int n, int fs, int32_t *sum, int16_t *out)
{
    for (int s = 0; s < fs; s++)
        sum[s] = 0;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < fs; s++)
            sum[s] += frames[(size_t)i * fs + s];
    for (int i = 0; i < n; i++)
        for (int s = 0; s < fs; s++) {
            int32_t v = sum[s] - frames[(size_t)i * fs + s];
            out[(size_t)i * fs + s] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
        }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s N FRAME_SAMPLES TICKS REPEAT\n", argv[0]);
        return 2;
    }
    const int n = atoi(argv[1]), fs = atoi(argv[2]), ticks = atoi(argv[3]), repeat = atoi(argv[4]);
    if (n < 1 || fs < 1 || ticks < 1 || repeat < 1)
        return 2;
    int16_t *frames = malloc((size_t)n * fs * sizeof(int16_t));
    int16_t *out = malloc((size_t)(n + 1) * fs * sizeof(int16_t));
    int32_t *sum = malloc((size_t)fs * sizeof(int32_t));
    uint8_t *levels = malloc((size_t)n);
    if (!frames || !out || !sum || !levels)
        return 1;
    uint32_t seed = 12345;
    for (size_t i = 0; i < (size_t)n * fs; i++) {
        seed = seed * 1664525u + 1013904223u;
        frames[i] = (int16_t)(seed >> 16);
    }
    for (int i = 0; i < n; i++)
        levels[i] = (uint8_t)(20 + (i * 37) % 100);

    uc_mixer_config cfg;
    uc_mixer *all = NULL, *topk = NULL;
    uc_mixer_config_default(&cfg, fs, n);
    cfg.top_k = n;
    cfg.level_threshold = 127;
    if (uc_mixer_create(&cfg, &all) < 0)
        return 1;
    uc_mixer_config_default(&cfg, fs, n);
    cfg.top_k = n < 3 ? n : 3;
    if (uc_mixer_create(&cfg, &topk) < 0)
        return 1;
    if (uc_mixer_select_levels(all, levels, n) != n)
        return 1;

    double best_all = 1e30, best_plain = 1e30, best_topk = 1e30;
    long check = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = now_ns();
        for (int k = 0; k < ticks; k++)
            check += uc_mixer_mix(all, frames, (size_t)fs, n, out, out + fs, (size_t)fs);
        double t1 = now_ns();
        for (int k = 0; k < ticks; k++) {
            plain_n1_mix(frames, n, fs, sum, out + fs);
            check += out[fs + k % fs];
        }
        double t2 = now_ns();
        for (int k = 0; k < ticks; k++) {
            levels[k % n] ^= 1; /* a changing input, so no tick is the same as the last */
            check += uc_mixer_select_levels(topk, levels, n);
            check += uc_mixer_mix(topk, frames, (size_t)fs, n, out, out + fs, (size_t)fs);
        }
        double t3 = now_ns();
        best_all = (t1 - t0) / ticks < best_all ? (t1 - t0) / ticks : best_all;
        best_plain = (t2 - t1) / ticks < best_plain ? (t2 - t1) / ticks : best_plain;
        best_topk = (t3 - t2) / ticks < best_topk ? (t3 - t2) / ticks : best_topk;
    }
    printf("{\"n\": %d, \"frame_samples\": %d, \"all_n_ns_per_tick\": %.1f, "
           "\"plain_c_ns_per_tick\": %.1f, \"top_k_ns_per_tick\": %.1f, \"check\": %ld}\n",
           n, fs, best_all, best_plain, best_topk, check);
    uc_mixer_free(all);
    uc_mixer_free(topk);
    free(frames);
    free(out);
    free(sum);
    free(levels);
    return 0;
}
