#include "mixer.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "uc_errors.h"

/* The sample loops are written plainly (restrict pointers, no branches the compiler cannot
 * turn into min/max/blend) so that GCC vectorises them. The build's -O2 only vectorises
 * loops whose trip count it knows, so these few functions ask for -O3, and on x86-64 Linux
 * GCC also builds AVX-512, AVX2 and SSE4.2 (x86-64-v2) clones chosen at load time (ifunc),
 * with the baseline SSE2 version as the fallback: SSE2 lacks the sign-extending loads and
 * 32-bit min/max the loops want and runs about 2x slower. Everything else stays at the
 * build's level. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define UC_MIX_LOOP __attribute__((optimize("O3"), target_clones("arch=x86-64-v4", "avx2", "arch=x86-64-v2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define UC_MIX_LOOP __attribute__((optimize("O3")))
#else
#define UC_MIX_LOOP
#endif

#define FULL_SCALE_SQUARED 1073741824.0 /* 32768^2: 0 dBov, as RFC 6464 / WebRTC measure it */

struct uc_mixer {
    uc_mixer_config cfg;
    int32_t *acc;         /* frame_samples: the int32 sum of the talkers' frames */
    double *held_key;     /* per slot: loudness key when it last talked */
    int32_t *quiet_ticks; /* per slot: consecutive ticks below the threshold (0: talking) */
    uint8_t *selected;    /* per slot: 1 if selected at the last selection */
    uint8_t *levels;      /* per slot: RFC 6464 level at the last selection */
    double *key;          /* per slot: loudness (frame energy) ranked at the last selection */
    int *heap;            /* top_k slots: a min-heap of the best candidates so far */
    int *talkers;         /* ascending slots of the last selection */
    int talker_count;
    int selected_n;       /* n of the last selection; -1 before the first */
    /* energy_floor[L]: a frame's energy must exceed this to have a level of L or louder
     * (L = 0..126); level_key[L]: the energy a frame of level L has at mid-band. Keys are
     * doubles so that levels and energies rank on one scale without rounding together. */
    double energy_floor[UC_MIXER_LEVEL_SILENT];
    double level_key[UC_MIXER_LEVEL_SILENT + 1];
};

/* ---- levels ------------------------------------------------------------------------- */

/* Level L covers RMS in (-(L+0.5), -(L-0.5)] dBov: "rounded to the nearest dB". One
 * expression, so the mixer's table and uc_audio_level agree to the last bit. */
static double energy_floor_of(int level, int samples)
{
    return (double)samples * FULL_SCALE_SQUARED * pow(10.0, -(level + 0.5) / 10.0);
}

static uint64_t frame_energy_scalar(const int16_t *x, int samples)
{
    uint64_t e = 0;
    for (int i = 0; i < samples; i++)
        e += (uint64_t)((int32_t)x[i] * x[i]);
    return e;
}

UC_MIX_LOOP
static uint64_t frame_energy(const int16_t *restrict x, int samples)
{
    /* A square is at most 32768^2 = 2^30, so it fits int32; the sum needs 64 bits. */
    uint64_t e = 0;
    for (int i = 0; i < samples; i++) {
        int32_t v = x[i];
        e += (uint32_t)(v * v);
    }
    return e;
}

int uc_audio_level(const int16_t *frame, int samples)
{
    if (frame == NULL || samples <= 0)
        return UC_MIXER_LEVEL_SILENT;
    double energy = (double)frame_energy_scalar(frame, samples);
    if (energy <= 0.0)
        return UC_MIXER_LEVEL_SILENT;
    /* Estimate from the logarithm, then settle on the exact boundaries. */
    double x = -10.0 * log10(energy / ((double)samples * FULL_SCALE_SQUARED)) - 0.5;
    int level = x < 0.0 ? 0 : x >= UC_MIXER_LEVEL_SILENT ? UC_MIXER_LEVEL_SILENT : (int)floor(x) + 1;
    while (level > 0 && energy > energy_floor_of(level - 1, samples))
        level--;
    while (level < UC_MIXER_LEVEL_SILENT && !(energy > energy_floor_of(level, samples)))
        level++;
    return level;
}

/* Smallest L with energy > energy_floor[L] (the table decreases with L), else silent. */
static int level_of_energy(const uc_mixer *m, uint64_t energy)
{
    double e = (double)energy;
    int lo = 0, hi = UC_MIXER_LEVEL_SILENT; /* answer in [lo, hi] */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (e > m->energy_floor[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ---- life cycle --------------------------------------------------------------------- */

void uc_mixer_config_default(uc_mixer_config *cfg, int frame_samples, int max_participants)
{
    cfg->frame_samples = frame_samples;
    cfg->max_participants = max_participants;
    cfg->top_k = 3;
    cfg->hangover_ticks = 15;
    cfg->level_threshold = 50;
    cfg->limiter = UC_MIXER_SATURATE;
    cfg->knee = 24576;
}

static int config_valid(const uc_mixer_config *c)
{
    return c->frame_samples >= 1 && c->frame_samples <= UC_MIXER_MAX_FRAME_SAMPLES
        && c->max_participants >= 1 && c->max_participants <= UC_MIXER_MAX_PARTICIPANTS
        && c->top_k >= 1 && c->top_k <= c->max_participants
        && c->hangover_ticks >= 0
        && c->level_threshold >= 0 && c->level_threshold <= UC_MIXER_LEVEL_SILENT
        && (c->limiter == UC_MIXER_SATURATE || c->limiter == UC_MIXER_SOFT_KNEE)
        && c->knee >= 1 && c->knee <= 32766;
}

int uc_mixer_create(const uc_mixer_config *cfg, uc_mixer **out)
{
    if (cfg == NULL || out == NULL || !config_valid(cfg))
        return UC_ERR_ARGUMENT;
    uc_mixer *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return UC_ERR_NOMEM;
    size_t slots = (size_t)cfg->max_participants;
    m->cfg = *cfg;
    m->acc = calloc((size_t)cfg->frame_samples, sizeof(*m->acc));
    m->held_key = calloc(slots, sizeof(*m->held_key));
    m->quiet_ticks = calloc(slots, sizeof(*m->quiet_ticks));
    m->selected = calloc(slots, sizeof(*m->selected));
    m->levels = calloc(slots, sizeof(*m->levels));
    m->key = calloc(slots, sizeof(*m->key));
    m->heap = calloc((size_t)cfg->top_k, sizeof(*m->heap));
    m->talkers = calloc((size_t)cfg->top_k, sizeof(*m->talkers));
    if (!m->acc || !m->held_key || !m->quiet_ticks || !m->selected || !m->levels || !m->key
        || !m->heap || !m->talkers) {
        uc_mixer_free(m);
        return UC_ERR_NOMEM;
    }
    for (size_t i = 0; i < slots; i++) {
        m->quiet_ticks[i] = INT32_MAX;
        m->levels[i] = UC_MIXER_LEVEL_SILENT;
    }
    for (int l = 0; l < UC_MIXER_LEVEL_SILENT; l++) {
        m->energy_floor[l] = energy_floor_of(l, cfg->frame_samples);
        m->level_key[l] = (double)cfg->frame_samples * FULL_SCALE_SQUARED * pow(10.0, -l / 10.0);
    }
    m->level_key[UC_MIXER_LEVEL_SILENT] = 0;
    m->selected_n = -1;
    *out = m;
    return UC_OK;
}

void uc_mixer_free(uc_mixer *m)
{
    if (m == NULL)
        return;
    free(m->acc);
    free(m->held_key);
    free(m->quiet_ticks);
    free(m->selected);
    free(m->levels);
    free(m->key);
    free(m->heap);
    free(m->talkers);
    free(m);
}

const int *uc_mixer_talkers(const uc_mixer *m) { return m->talkers; }
int uc_mixer_talker_count(const uc_mixer *m) { return m->talker_count; }
const uint8_t *uc_mixer_levels(const uc_mixer *m) { return m->levels; }

static void forget_slot(uc_mixer *m, int slot)
{
    m->held_key[slot] = 0;
    m->quiet_ticks[slot] = INT32_MAX;
    m->selected[slot] = 0;
    m->levels[slot] = UC_MIXER_LEVEL_SILENT;
    m->key[slot] = 0;
}

int uc_mixer_forget(uc_mixer *m, int slot)
{
    if (slot < 0 || slot >= m->cfg.max_participants)
        return UC_ERR_ARGUMENT;
    forget_slot(m, slot);
    /* The last selection no longer holds: mixing it would mix a departed participant. */
    for (int j = 0; j < m->talker_count; j++) {
        if (m->talkers[j] == slot) {
            memmove(&m->talkers[j], &m->talkers[j + 1], (size_t)(m->talker_count - j - 1) * sizeof(int));
            m->talker_count--;
            break;
        }
    }
    return UC_OK;
}

/* ---- selection ---------------------------------------------------------------------- */

/* Does slot a rank above slot b? Louder first; on a tie the incumbent keeps its place
 * (less flapping), then the lower slot wins, so the order is total and reproducible. */
static int ranks_above(const uc_mixer *m, int a, int b)
{
    if (m->key[a] != m->key[b])
        return m->key[a] > m->key[b];
    if (m->selected[a] != m->selected[b])
        return m->selected[a] > m->selected[b];
    return a < b;
}

/* The heap keeps the best top_k candidates seen so far with the weakest at its root. */
static void heap_sift_down(const uc_mixer *m, int *heap, int len, int i)
{
    for (;;) {
        int weakest = i, l = 2 * i + 1, r = l + 1;
        if (l < len && ranks_above(m, heap[weakest], heap[l]))
            weakest = l;
        if (r < len && ranks_above(m, heap[weakest], heap[r]))
            weakest = r;
        if (weakest == i)
            return;
        int t = heap[i];
        heap[i] = heap[weakest];
        heap[weakest] = t;
        i = weakest;
    }
}

static void heap_push(const uc_mixer *m, int *heap, int len, int slot)
{
    int i = len;
    heap[i] = slot;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!ranks_above(m, heap[parent], heap[i]))
            return;
        int t = heap[i];
        heap[i] = heap[parent];
        heap[parent] = t;
        i = parent;
    }
}

/* m->levels[i] and m->key[i] hold this tick's measurement for slots 0..n-1. Applies the
 * threshold and hangover, ranks the candidates, and records the talkers. */
static int select_talkers(uc_mixer *m, int n)
{
    for (int i = n; i < m->selected_n; i++)
        forget_slot(m, i);
    const int k = m->cfg.top_k;
    int len = 0;
    for (int i = 0; i < n; i++) {
        if (m->levels[i] <= m->cfg.level_threshold) {
            m->quiet_ticks[i] = 0;
            m->held_key[i] = m->key[i];
        } else {
            if (m->quiet_ticks[i] < INT32_MAX)
                m->quiet_ticks[i]++;
            /* A quiet talker in its hangover competes with the loudness it last had. */
            if (!(m->selected[i] && m->quiet_ticks[i] <= m->cfg.hangover_ticks))
                continue;
            m->key[i] = m->held_key[i];
        }
        if (len < k) {
            heap_push(m, m->heap, len, i);
            len++;
        } else if (ranks_above(m, i, m->heap[0])) {
            m->heap[0] = i;
            heap_sift_down(m, m->heap, len, 0);
        }
    }
    /* selected[] is 1 exactly for the slots in talkers[] (forget keeps it so). */
    for (int j = 0; j < m->talker_count; j++)
        m->selected[m->talkers[j]] = 0;
    for (int j = 0; j < len; j++)
        m->selected[m->heap[j]] = 1;
    int count = 0;
    for (int i = 0; i < n && count < len; i++)
        if (m->selected[i])
            m->talkers[count++] = i;
    m->talker_count = count;
    m->selected_n = n;
    return count;
}

int uc_mixer_select_levels(uc_mixer *m, const uint8_t *levels, int n)
{
    if (n < 0 || n > m->cfg.max_participants || (n > 0 && levels == NULL))
        return UC_ERR_ARGUMENT;
    for (int i = 0; i < n; i++)
        if (levels[i] > UC_MIXER_LEVEL_SILENT)
            return UC_ERR_ARGUMENT;
    for (int i = 0; i < n; i++) {
        m->levels[i] = levels[i];
        m->key[i] = m->level_key[levels[i]];
    }
    return select_talkers(m, n);
}

int uc_mixer_select_frames(uc_mixer *m, const int16_t *frames, size_t stride, int n)
{
    if (n < 0 || n > m->cfg.max_participants || stride < (size_t)m->cfg.frame_samples
        || (n > 0 && frames == NULL))
        return UC_ERR_ARGUMENT;
    for (int i = 0; i < n; i++) {
        uint64_t e = frame_energy(frames + (size_t)i * stride, m->cfg.frame_samples);
        m->key[i] = (double)e; /* exact: e < 2^47 */
        m->levels[i] = (uint8_t)level_of_energy(m, e);
    }
    return select_talkers(m, n);
}

/* ---- mixing ------------------------------------------------------------------------- */

UC_MIX_LOOP
static void acc_set(int32_t *restrict acc, const int16_t *restrict x, int samples)
{
    for (int i = 0; i < samples; i++)
        acc[i] = x[i];
}

UC_MIX_LOOP
static void acc_add(int32_t *restrict acc, const int16_t *restrict x, int samples)
{
    for (int i = 0; i < samples; i++)
        acc[i] += x[i];
}

/* Two frames per pass halves the loads and stores of the accumulator. */
UC_MIX_LOOP
static void acc_add2(int32_t *restrict acc, const int16_t *restrict x, const int16_t *restrict y,
                     int samples)
{
    for (int i = 0; i < samples; i++)
        acc[i] += (int32_t)x[i] + y[i];
}

static inline int16_t saturate16(int32_t v)
{
    v = v > INT16_MAX ? INT16_MAX : v;
    v = v < INT16_MIN ? INT16_MIN : v;
    return (int16_t)v;
}

UC_MIX_LOOP
static void out_saturate(int16_t *restrict out, const int32_t *restrict acc, int samples)
{
    for (int i = 0; i < samples; i++)
        out[i] = saturate16(acc[i]);
}

UC_MIX_LOOP
static void out_saturate_minus(int16_t *restrict out, const int32_t *restrict acc,
                               const int16_t *restrict own, int samples)
{
    for (int i = 0; i < samples; i++)
        out[i] = saturate16(acc[i] - own[i]);
}

/* Soft knee: |v| up to the knee passes unchanged; above it the excess u is mapped to
 * span * u / (u + span), which starts with slope 1 (no corner) and approaches full scale
 * without reaching past it, so the output is monotonic and within [-32767, 32767]. */
static inline int16_t soft_knee(int32_t v, float knee, float span)
{
    float a = fabsf((float)v);
    float u = a - knee;
    float y = u > 0.0f ? knee + span * u / (u + span) : a;
    return (int16_t)copysignf(y, (float)v);
}

UC_MIX_LOOP
static void out_soft(int16_t *restrict out, const int32_t *restrict acc, int samples, float knee,
                     float span)
{
    for (int i = 0; i < samples; i++)
        out[i] = soft_knee(acc[i], knee, span);
}

UC_MIX_LOOP
static void out_soft_minus(int16_t *restrict out, const int32_t *restrict acc,
                           const int16_t *restrict own, int samples, float knee, float span)
{
    for (int i = 0; i < samples; i++)
        out[i] = soft_knee(acc[i] - own[i], knee, span);
}

int uc_mixer_mix(uc_mixer *m, const int16_t *frames, size_t stride, int n,
                 int16_t *out_shared, int16_t *out_n1, size_t out_stride)
{
    const int fs = m->cfg.frame_samples;
    if (m->selected_n < 0)
        return UC_ERR_STATE;
    if (n != m->selected_n || stride < (size_t)fs || out_stride < (size_t)fs || out_shared == NULL
        || (m->talker_count > 0 && (frames == NULL || out_n1 == NULL)))
        return UC_ERR_ARGUMENT;
    const int count = m->talker_count;
    const int *t = m->talkers;
    int32_t *acc = m->acc;
    if (count == 0) {
        memset(out_shared, 0, (size_t)fs * sizeof(*out_shared));
        return 0;
    }
    acc_set(acc, frames + (size_t)t[0] * stride, fs);
    int j = 1;
    for (; j + 1 < count; j += 2)
        acc_add2(acc, frames + (size_t)t[j] * stride, frames + (size_t)t[j + 1] * stride, fs);
    if (j < count)
        acc_add(acc, frames + (size_t)t[j] * stride, fs);

    if (m->cfg.limiter == UC_MIXER_SATURATE) {
        out_saturate(out_shared, acc, fs);
        for (j = 0; j < count; j++)
            out_saturate_minus(out_n1 + (size_t)j * out_stride, acc, frames + (size_t)t[j] * stride, fs);
    } else {
        const float knee = (float)m->cfg.knee, span = (float)(INT16_MAX - m->cfg.knee);
        out_soft(out_shared, acc, fs, knee, span);
        for (j = 0; j < count; j++)
            out_soft_minus(out_n1 + (size_t)j * out_stride, acc, frames + (size_t)t[j] * stride, fs,
                           knee, span);
    }
    return count;
}

int uc_mixer_tick(uc_mixer *m, const int16_t *frames, size_t stride, int n, const uint8_t *levels,
                  int16_t *out_shared, int16_t *out_n1, size_t out_stride)
{
    /* Checked before selecting, so a bad call leaves the selection as it was. */
    if (stride < (size_t)m->cfg.frame_samples || out_stride < (size_t)m->cfg.frame_samples
        || out_shared == NULL || (n > 0 && (frames == NULL || out_n1 == NULL)))
        return UC_ERR_ARGUMENT;
    int rc = levels != NULL ? uc_mixer_select_levels(m, levels, n)
                            : uc_mixer_select_frames(m, frames, stride, n);
    if (rc < 0)
        return rc;
    return uc_mixer_mix(m, frames, stride, n, out_shared, out_n1, out_stride);
}
