/* Adaptive audio jitter buffer: see jitter.h for the model and the caller's contract. */
#include "jitter.h"

#include <stdlib.h>
#include <string.h>

#include "uc_errors.h"

/* RFC 3550 A.1: a jump of more than MAX_DROPOUT sequence numbers is believed only when
 * the next packet follows it (probation of one packet). */
#define MAX_DROPOUT 3000
/* Duplicates are recognised within this many sequence numbers of the highest one. */
#define SEEN_BITS 1024u
#define SEEN_WORDS (SEEN_BITS / 64u)
/* NetEq's DelayManager looks for the fastest packet within the last two seconds. */
#define BASE_WINDOW_MS 2000
#define BASE_WINDOW_LEN 128u
/* Clock skew between the sender's timestamps and our clock: the slope of the fastest
 * arrival per block of this length, smoothed with this gain, bounded by MAX_SKEW (1 %: far
 * beyond real audio clocks, whose crystals are within about 100 ppm). */
#define SKEW_BLOCK_MS 1000
#define SKEW_GAIN 0.125
#define MAX_SKEW 0.01
/* Histogram resolution of relative delay. */
#define BUCKET_MS 5.0
#define MAX_BUCKETS (UC_JB_MAX_DELAY_MS / 5u + 2u)
/* A packet whose arrival contradicts its timestamp by more than this restarts the stream. */
#define RESYNC_MS 5000.0
/* The longest packet whose duration we infer from timestamp deltas (RFC 7587: Opus <= 120 ms). */
#define MAX_PACKET_MS 120u
/* NetEq's start_forget_weight for the lateness histogram: its forgetting factor ramps
 * up as 1 - 2 / (n + 1), so early packets weigh more than a plain average would give. */
#define LATE_START_FORGET_WEIGHT 2.0
/* With nothing buffered, conceal at most this long, then fall silent (DTX or stream gone). */
#define MAX_EMPTY_CONCEAL_MS 100u
/* Patience with a missing packet once later ones are here (see observe_delay and decide).
 * A new stream starts patient, as aiortc's 16-packet window or NetEq's start delay do,
 * since nothing yet tells a reordering path from a lossy one; that prior fades by this
 * factor per packet (half-life ~1000 packets, 20 s at 50 pps). It cannot be made to wait
 * for evidence of jitter: the first straggler can come before any (mobile_mixed's 150 ms
 * one among its first four packets, after nothing but clean arrivals), so the first gap
 * of a clean stream that turns out lost is held for too (see GAP_PRIOR for how long). */
#define START_PATIENCE_MS 300.0
#define START_PATIENCE_DECAY 0.9993
/* Peak detector: the lateness of the latest out-of-order packets, with headroom, since a
 * heavy tail's next peak is likely higher than the last one (Pareto, alpha 2: the excess
 * over a threshold has a median of 0.41 x the threshold); the peak fades by this factor
 * per packet (half-life ~3500 packets, 70 s). */
#define PEAK_HEADROOM 1.5
#define PEAK_DECAY 0.9998
/* Whether gaps are reordering or loss: the share of missing packets that arrived after
 * all, forgetting this factor per gap (about the last 20 gaps), starting from GAP_PRIOR
 * gap that arrived. Below GAP_ARRIVED_LOW the path's gaps are losses and a gap is waited
 * for only up to the target; from GAP_ARRIVED_FULL on, up to the full patience; between,
 * in proportion. So on a fresh stream whose gaps are losses the first one is held for
 * with weight 0.57 (share 0.49), the second with 0.23, the third with 0.06. */
#define GAP_FORGET 0.95
#define GAP_PRIOR 1.0
#define GAP_ARRIVED_LOW 0.2
#define GAP_ARRIVED_FULL 0.7
#define MAX_GAP_COUNT 16

struct slot {
    int used;
    int talkspurt; /* first packet after silence: marker bit, or a timestamp gap without loss */
    int64_t seq;   /* extended */
    int64_t ts;    /* extended */
    int64_t arrival_ms;
    uint32_t len;
};

struct base_sample {
    int64_t arrival_ms;
    double base_ms;
};

struct uc_jitter {
    uc_jb_config cfg;
    uint32_t tick;       /* samples per tick */
    uint32_t max_packet; /* samples */
    struct slot *slots;
    uint8_t *arena;
    uint32_t used;

    /* the stream */
    int have_stream;
    uint32_t ssrc;
    int64_t highest_seq, highest_ts, ts_origin;
    uint64_t seen[SEEN_WORDS];
    int bad_seq_valid;
    uint16_t bad_seq;
    uint32_t packet_samples;

    /* delay estimation */
    struct base_sample window[BASE_WINDOW_LEN];
    uint32_t window_next, window_len;
    double min_base_ms;
    /* clock skew: d(arrival - timestamp)/d(arrival), from the minima of SKEW_BLOCK_MS blocks */
    double skew;
    int have_block, have_prev_block;
    int64_t block_start_ms, prev_block_start_ms;
    double block_min, prev_block_min;
    double hist[MAX_BUCKETS];
    uint32_t buckets;
    uint64_t hist_count;
    double underrun_ms; /* quantile of relative delay: keeps the buffer from running dry */
    double late_hist[MAX_BUCKETS];
    uint64_t late_count;
    double late_ms;     /* the delay that best trades delay against late loss */
    double target_ms;
    /* how long a missing packet is waited for once later ones are here (>= target) */
    double patience_ms;
    double start_patience_ms; /* the start-up prior, fading */
    double peak_ms;           /* peak detector: recent out-of-order lateness x headroom, fading */
    double gaps_missing, gaps_arrived; /* gap packets seen missing / arrived after all, forgetting */

    /* the playout timeline: the packet with timestamp ts plays at ts_ms(ts) + offset_ms */
    int have_offset;
    double offset_ms;

    /* playout */
    int anchored, playing;
    int64_t next_ts;
    int64_t played_seq; /* extended sequence number of the last packet played */
    uint32_t continue_ticks;
    uint32_t conceal_run;  /* consecutive ticks concealed for missing packets */
    int concealing;
    int waiting_for_gap;   /* the timeline holds for the missing packet at next_ts */
    uint32_t ticks_since_stretch;

    uc_jb_stats stats;
};

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

static double ts_ms(const uc_jitter *jb, int64_t ts)
{
    return (double)(ts - jb->ts_origin) * 1000.0 / (double)jb->cfg.clock_rate;
}

/* When the packet with timestamp ts would play if it is to wait `delay` ms beyond the
 * fastest recent packet: the current delay of ts is now - this. */
static double delay_of(const uc_jitter *jb, int64_t ts, int64_t now_ms)
{
    return (double)now_ms - (jb->min_base_ms + ts_ms(jb, ts));
}

int uc_jb_create(const uc_jb_config *config, uc_jitter **out)
{
    if (out == NULL)
        return UC_ERR_ARGUMENT;
    *out = NULL;
    if (config == NULL)
        return UC_ERR_ARGUMENT;
    const uc_jb_config *c = config;
    if (c->clock_rate < 8000 || c->clock_rate > 192000 || c->frame_ms < 5 || c->frame_ms > 120 ||
        ((uint64_t)c->clock_rate * c->frame_ms) % 1000 != 0 || c->max_delay_ms > UC_JB_MAX_DELAY_MS ||
        c->min_delay_ms > c->max_delay_ms || c->capacity < 1 || c->capacity > 4096 || c->max_payload < 1 ||
        c->max_payload > 65535)
        return UC_ERR_ARGUMENT;
    if (c->quantile != 0.0 && !(c->quantile > 0.5 && c->quantile < 1.0))
        return UC_ERR_ARGUMENT;
    if (c->forget_factor != 0.0 && !(c->forget_factor > 0.5 && c->forget_factor < 1.0))
        return UC_ERR_ARGUMENT;
    if (c->late_forget_factor != 0.0 && !(c->late_forget_factor > 0.5 && c->late_forget_factor < 1.0))
        return UC_ERR_ARGUMENT;
    if (!(c->ms_per_late_percent >= 0.0 && c->ms_per_late_percent <= 1e6))
        return UC_ERR_ARGUMENT;

    uc_jitter *jb = calloc(1, sizeof *jb);
    if (jb == NULL)
        return UC_ERR_NOMEM;
    jb->slots = calloc(c->capacity, sizeof *jb->slots);
    jb->arena = malloc((size_t)c->capacity * c->max_payload);
    if (jb->slots == NULL || jb->arena == NULL) {
        uc_jb_destroy(jb);
        return UC_ERR_NOMEM;
    }
    jb->cfg = *c;
    if (jb->cfg.quantile == 0.0)
        jb->cfg.quantile = UC_JB_DEFAULT_QUANTILE;
    if (jb->cfg.forget_factor == 0.0)
        jb->cfg.forget_factor = UC_JB_DEFAULT_FORGET_FACTOR;
    if (jb->cfg.late_forget_factor == 0.0)
        jb->cfg.late_forget_factor = UC_JB_DEFAULT_LATE_FORGET_FACTOR;
    if (jb->cfg.ms_per_late_percent == 0.0)
        jb->cfg.ms_per_late_percent = UC_JB_DEFAULT_MS_PER_LATE_PERCENT;
    jb->tick = (uint32_t)((uint64_t)c->clock_rate * c->frame_ms / 1000);
    jb->max_packet = c->clock_rate / 1000 * MAX_PACKET_MS;
    jb->buckets = c->max_delay_ms / 5u + 2u;
    uc_jb_reset(jb);
    *out = jb;
    return UC_OK;
}

void uc_jb_destroy(uc_jitter *jb)
{
    if (jb == NULL)
        return;
    free(jb->slots);
    free(jb->arena);
    free(jb);
}

/* Throw away every buffered packet, counting them discarded. */
static void flush(uc_jitter *jb)
{
    for (uint32_t i = 0; i < jb->cfg.capacity; i++) {
        if (jb->slots[i].used) {
            jb->slots[i].used = 0;
            jb->stats.packets_discarded++;
        }
    }
    jb->used = 0;
}

/* Restart the stream's timeline at this packet (after a jump); the histogram survives,
 * since the network path is the same. */
static void restart_timeline(uc_jitter *jb, uint16_t seq, uint32_t ts)
{
    flush(jb);
    jb->highest_seq = seq;
    jb->highest_ts = ts;
    jb->ts_origin = ts;
    memset(jb->seen, 0, sizeof jb->seen);
    jb->bad_seq_valid = 0;
    jb->window_len = 0;
    jb->window_next = 0;
    jb->have_offset = 0;
    jb->have_block = 0; /* timestamps restart: block minima are not comparable (skew survives) */
    jb->have_prev_block = 0;
    jb->anchored = 0;
    jb->playing = 0;
    jb->continue_ticks = 0;
    jb->conceal_run = 0;
    jb->concealing = 0;
    jb->waiting_for_gap = 0;
}

void uc_jb_reset(uc_jitter *jb)
{
    if (jb == NULL)
        return;
    restart_timeline(jb, 0, 0);
    jb->have_stream = 0;
    jb->packet_samples = jb->cfg.clock_rate / 50; /* 20 ms until timestamps say otherwise */
    memset(jb->hist, 0, sizeof jb->hist);
    jb->hist_count = 0;
    memset(jb->late_hist, 0, sizeof jb->late_hist);
    jb->late_count = 0;
    jb->underrun_ms = 0.0;
    jb->late_ms = 0.0;
    jb->skew = 0.0;
    jb->target_ms = (double)jb->cfg.min_delay_ms;
    jb->start_patience_ms = START_PATIENCE_MS;
    jb->peak_ms = 0.0;
    jb->gaps_missing = GAP_PRIOR;
    jb->gaps_arrived = GAP_PRIOR;
    jb->patience_ms = clampd(START_PATIENCE_MS, jb->target_ms, (double)jb->cfg.max_delay_ms);
    jb->ticks_since_stretch = UC_JB_STRETCH_COOLDOWN_TICKS;
}

static int seen_test(const uc_jitter *jb, int64_t seq)
{
    uint64_t bit = (uint64_t)seq % SEEN_BITS;
    return (jb->seen[bit / 64] >> (bit % 64)) & 1u;
}

static void seen_set(uc_jitter *jb, int64_t seq)
{
    uint64_t bit = (uint64_t)seq % SEEN_BITS;
    jb->seen[bit / 64] |= (uint64_t)1 << (bit % 64);
}

static void seen_clear(uc_jitter *jb, int64_t seq)
{
    uint64_t bit = (uint64_t)seq % SEEN_BITS;
    jb->seen[bit / 64] &= ~((uint64_t)1 << (bit % 64));
}

/* Add one observation to a histogram with a per-packet forgetting factor. During start-up
 * the factor ramps up as 1 - w / (n + 1) (NetEq's start_forget_weight w), so the first
 * packets are not outweighed by an empty histogram. */
static void hist_add(double *hist, uint32_t buckets, uint64_t *count, double forget, double start_weight,
                     uint32_t idx)
{
    double ff = 1.0 - start_weight / (double)(*count + 1);
    ff = clampd(ff, 0.0, forget);
    for (uint32_t i = 0; i < buckets; i++)
        hist[i] *= ff;
    hist[idx] += 1.0 - ff;
    (*count)++;
}

static uint32_t bucket_of(const uc_jitter *jb, double ms)
{
    return (uint32_t)clampd(ms / BUCKET_MS, 0.0, (double)(jb->buckets - 1));
}

/* The delay that minimises (delay above the underrun target) + ms_per_late_percent * (late
 * loss in percent), late loss read off the lateness histogram: NetEq's ReorderOptimizer
 * cost function. A delay of (i + 1) buckets plays every packet of buckets 0..i in time. */
static double late_optimum(const uc_jitter *jb)
{
    double total = 0.0;
    for (uint32_t i = 0; i < jb->buckets; i++)
        total += jb->late_hist[i];
    if (total <= 0.0)
        return 0.0;
    double tail = total, best_cost = -1.0, best = 0.0;
    double per_unit = 100.0 * jb->cfg.ms_per_late_percent / total;
    for (uint32_t i = 0; i < jb->buckets; i++) {
        tail -= jb->late_hist[i];
        double delay = (double)(i + 1) * BUCKET_MS;
        /* Beyond max_delay_ms no target can save a packet: its lateness (a single 1 s
         * outlier, say) must not drag the target to the bound. */
        if (i > 0 && delay > (double)jb->cfg.max_delay_ms)
            break;
        double above = delay > jb->underrun_ms ? delay - jb->underrun_ms : 0.0;
        double cost = above + per_unit * (tail > 0.0 ? tail : 0.0);
        if (best_cost < 0.0 || cost < best_cost) {
            best_cost = cost;
            best = delay;
        }
        if (tail <= 0.0)
            break;
    }
    return best;
}

/* Estimate clock skew from the fastest arrival (lowest arrival - timestamp) of each block
 * of SKEW_BLOCK_MS: its slope from one block to the next, smoothed. Block minima are
 * insensitive to jitter, which only ever adds delay. */
static void track_skew(uc_jitter *jb, int64_t now_ms, double base)
{
    if (jb->have_block && now_ms - jb->block_start_ms < SKEW_BLOCK_MS) {
        if (base < jb->block_min)
            jb->block_min = base;
        return;
    }
    if (jb->have_block) {
        if (jb->have_prev_block && jb->block_start_ms > jb->prev_block_start_ms) {
            double span = (double)(jb->block_start_ms - jb->prev_block_start_ms);
            double slope = clampd((jb->block_min - jb->prev_block_min) / span, -MAX_SKEW, MAX_SKEW);
            jb->skew = clampd(jb->skew + SKEW_GAIN * (slope - jb->skew), -MAX_SKEW, MAX_SKEW);
        }
        jb->prev_block_min = jb->block_min;
        jb->prev_block_start_ms = jb->block_start_ms;
        jb->have_prev_block = 1;
    }
    jb->have_block = 1;
    jb->block_start_ms = now_ms;
    jb->block_min = base;
}

/* Feed one packet's arrival into the delay statistics (NetEq DelayManager).
 *
 * Two estimates, the target being the larger (clamped to [min, max]):
 *  - underrun: the `quantile` of relative delay (arrival - timestamp, relative to the
 *    fastest packet of the last two seconds, net of clock skew) over every packet: how
 *    deep the buffer must be not to run dry;
 *  - lateness: a packet can only be late when a newer one overtook it (an in-order packet
 *    that is slow stalls playout instead: the timeline waits for it). Each reordered
 *    packet's lateness is measured against the playout timeline as it actually runs, so
 *    a stall the timeline already absorbed (a delay spike: everything late together) is
 *    not mistaken for reordering. In-order packets count as lateness 0. The delay is
 *    then chosen by cost: ms_per_late_percent ms of delay buys one percent less late
 *    loss. A late packet lands in the tail of this histogram at once, so lateness raises
 *    the target on that packet, not after the quantile drifts.
 * And the patience with a missing packet (used by decide): how far beyond the target the
 * timeline may hold for a packet that later ones overtook before giving it up as lost.
 * Holding costs concealment now and a drop later (to shrink back), so it is worth it only
 * on a path whose gaps are mostly late packets rather than lost ones; there it reaches
 * the larger of the peak detector (the recent peak lateness, with headroom for a heavy
 * tail) and the start-up prior, scaled by the share of gaps that arrived after all. */
static void observe_delay(uc_jitter *jb, int64_t ts, int64_t now_ms, int reordered)
{
    double base = (double)now_ms - ts_ms(jb, ts);
    track_skew(jb, now_ms, base);
    jb->window[jb->window_next] = (struct base_sample){now_ms, base};
    jb->window_next = (jb->window_next + 1) % BASE_WINDOW_LEN;
    if (jb->window_len < BASE_WINDOW_LEN)
        jb->window_len++;
    /* The fastest recent packet, each projected to now along the clock skew, so a sender
     * clock that runs slow (every packet a little later than the last) is not taken for
     * jitter of up to 2 s x skew. */
    double min_base = base;
    for (uint32_t i = 0; i < jb->window_len; i++) {
        const struct base_sample *w = &jb->window[i];
        double projected = w->base_ms + jb->skew * (double)(now_ms - w->arrival_ms);
        if (w->arrival_ms >= now_ms - BASE_WINDOW_MS && projected < min_base)
            min_base = projected;
    }
    jb->min_base_ms = min_base;

    double rel = base - min_base;
    hist_add(jb->hist, jb->buckets, &jb->hist_count, jb->cfg.forget_factor, 1.0, bucket_of(jb, rel));
    double total = 0.0;
    for (uint32_t i = 0; i < jb->buckets; i++)
        total += jb->hist[i];
    double want = jb->cfg.quantile * total, acc = 0.0;
    uint32_t q = jb->buckets - 1;
    for (uint32_t i = 0; i < jb->buckets; i++) {
        acc += jb->hist[i];
        if (acc >= want) {
            q = i;
            break;
        }
    }
    jb->underrun_ms = (double)(q + 1) * BUCKET_MS;

    uint32_t late_idx = 0;
    if (reordered) {
        double need = rel;
        /* The packet the timeline is holding for needed all of its delay: without the
         * hold it would have been late. */
        int held_for = jb->waiting_for_gap && ts == jb->next_ts;
        if (jb->have_offset && !held_for) {
            /* The timeline runs deeper than the target. Within steering's band (a packet
             * and half a tick) that is slack the next hold or drop may take away, so the
             * delay counts in full; beyond it the timeline waited through a stall, and
             * the packet only needed the target plus its lateness on that timeline. */
            double band = (double)jb->packet_samples * 1000.0 / (double)jb->cfg.clock_rate +
                          (double)jb->cfg.frame_ms / 2.0;
            double excess = jb->offset_ms - min_base - jb->target_ms;
            if (excess >= band)
                need -= excess;
        }
        if (need > 0.0)
            late_idx = bucket_of(jb, need);
        jb->gaps_arrived += 1.0;
        if (need * PEAK_HEADROOM > jb->peak_ms)
            jb->peak_ms = need * PEAK_HEADROOM;
    }
    hist_add(jb->late_hist, jb->buckets, &jb->late_count, jb->cfg.late_forget_factor, LATE_START_FORGET_WEIGHT,
             late_idx);
    jb->late_ms = late_optimum(jb);

    double target = jb->underrun_ms > jb->late_ms ? jb->underrun_ms : jb->late_ms;
    jb->target_ms = clampd(target, (double)jb->cfg.min_delay_ms, (double)jb->cfg.max_delay_ms);

    jb->peak_ms *= PEAK_DECAY;
    jb->start_patience_ms *= START_PATIENCE_DECAY;
    double arrived = jb->gaps_missing > 0.0 ? jb->gaps_arrived / jb->gaps_missing : 1.0;
    double weight = clampd((arrived - GAP_ARRIVED_LOW) / (GAP_ARRIVED_FULL - GAP_ARRIVED_LOW), 0.0, 1.0);
    double peak = jb->peak_ms > jb->start_patience_ms ? jb->peak_ms : jb->start_patience_ms;
    peak = clampd(peak, jb->target_ms, (double)jb->cfg.max_delay_ms);
    jb->patience_ms = jb->target_ms + weight * (peak - jb->target_ms);
}

/* A newer packet arrived `missing` sequence numbers past the highest: those are gaps, to be
 * told apart (by observe_delay) into late packets and lost ones. */
static void count_gap(uc_jitter *jb, int64_t missing)
{
    jb->gaps_missing = jb->gaps_missing * GAP_FORGET + (double)(missing < MAX_GAP_COUNT ? missing : MAX_GAP_COUNT);
    jb->gaps_arrived *= GAP_FORGET;
}

static struct slot *earliest(uc_jitter *jb, const struct slot *after)
{
    struct slot *best = NULL;
    for (uint32_t i = 0; i < jb->cfg.capacity; i++) {
        struct slot *s = &jb->slots[i];
        if (!s->used || (after != NULL && s->ts <= after->ts))
            continue;
        if (best == NULL || s->ts < best->ts || (s->ts == best->ts && s->seq < best->seq))
            best = s;
    }
    return best;
}

static uint8_t *payload_of(uc_jitter *jb, const struct slot *s)
{
    return jb->arena + (size_t)(s - jb->slots) * jb->cfg.max_payload;
}

static void release(uc_jitter *jb, struct slot *s)
{
    s->used = 0;
    jb->used--;
}

static int store(uc_jitter *jb, const uint8_t *payload, size_t len, int64_t seq, int64_t ts, int talkspurt,
                 int64_t now_ms)
{
    struct slot *s = NULL;
    if (jb->used == jb->cfg.capacity) {
        /* Full: the oldest packet goes (it is the one furthest behind), unless the new
         * one is older still. */
        struct slot *old = earliest(jb, NULL);
        jb->stats.packets_discarded++;
        if (ts <= old->ts)
            return UC_JB_DISCARDED;
        release(jb, old);
        s = old;
    } else {
        for (uint32_t i = 0; i < jb->cfg.capacity; i++) {
            if (!jb->slots[i].used) {
                s = &jb->slots[i];
                break;
            }
        }
    }
    *s = (struct slot){1, talkspurt, seq, ts, now_ms, (uint32_t)len};
    if (len > 0)
        memcpy(payload_of(jb, s), payload, len);
    jb->used++;
    return UC_JB_STORED;
}

int uc_jb_put(uc_jitter *jb, const uint8_t *payload, size_t len, uint16_t seq, uint32_t timestamp,
              uint32_t ssrc, int marker, int64_t now_ms)
{
    if (jb == NULL || (payload == NULL && len > 0))
        return UC_ERR_ARGUMENT;
    if (len > jb->cfg.max_payload)
        return UC_ERR_NOSPACE;
    jb->stats.packets_received++;

    if (!jb->have_stream || ssrc != jb->ssrc) {
        /* A new source: nothing learnt about the old one applies (RFC 3550 8.2). */
        if (jb->have_stream) {
            uc_jb_reset(jb);
            jb->stats.resyncs++;
        }
        jb->have_stream = 1;
        jb->ssrc = ssrc;
        restart_timeline(jb, seq, timestamp);
    }

    int16_t dseq = (int16_t)(uint16_t)(seq - (uint16_t)jb->highest_seq);
    if (dseq > MAX_DROPOUT || dseq < -MAX_DROPOUT) {
        if (!(jb->bad_seq_valid && seq == jb->bad_seq)) {
            jb->bad_seq_valid = 1;
            jb->bad_seq = (uint16_t)(seq + 1);
            jb->stats.packets_discarded++;
            return UC_JB_DISCARDED;
        }
        /* Two sequential packets after the jump: the sender restarted its numbering. */
        restart_timeline(jb, seq, timestamp);
        jb->stats.resyncs++;
        dseq = 0;
    }
    int64_t ext_seq = jb->highest_seq + dseq;
    int64_t ext_ts = jb->highest_ts + (int32_t)(uint32_t)(timestamp - (uint32_t)jb->highest_ts);

    if (ext_seq <= jb->highest_seq - (int64_t)SEEN_BITS) {
        /* Older than the duplicate window: far behind playout whatever it is. */
        jb->stats.packets_late++;
        jb->stats.packets_discarded++;
        return UC_JB_LATE;
    }
    /* Only numbers at or below the highest can be repeats; a newer one's bit still
     * belongs to the number SEEN_BITS before it until the window moves. */
    if (jb->window_len > 0 && ext_seq <= jb->highest_seq && seen_test(jb, ext_seq)) {
        jb->stats.packets_duplicated++;
        return UC_JB_DUPLICATE;
    }

    if (jb->window_len > 0 && ext_seq > jb->highest_seq) {
        /* A newer packet whose timestamp went backwards, or whose arrival contradicts its
         * timestamp by seconds: the sender's timestamp base jumped. */
        double base = (double)now_ms - ts_ms(jb, ext_ts);
        if (ext_ts < jb->highest_ts || base > jb->min_base_ms + RESYNC_MS || base < jb->min_base_ms - RESYNC_MS) {
            restart_timeline(jb, seq, timestamp);
            jb->stats.resyncs++;
            ext_seq = jb->highest_seq;
            ext_ts = jb->highest_ts;
        }
    }

    int talkspurt = marker != 0;
    int reordered = ext_seq < jb->highest_seq; /* a newer packet overtook it */
    if (ext_seq > jb->highest_seq) {
        int64_t dts = ext_ts - jb->highest_ts;
        if (ext_seq == jb->highest_seq + 1) {
            if (dts > (int64_t)jb->max_packet)
                talkspurt = 1; /* a timestamp gap with no sequence gap: the sender paused (DTX) */
            else if (!marker && dts > 0)
                jb->packet_samples = (uint32_t)dts;
        }
        for (int64_t s = jb->highest_seq + 1; s < ext_seq && s > ext_seq - (int64_t)SEEN_BITS; s++)
            seen_clear(jb, s);
        if (jb->window_len > 0 && ext_seq > jb->highest_seq + 1)
            count_gap(jb, ext_seq - jb->highest_seq - 1);
        seen_clear(jb, ext_seq);
        jb->highest_seq = ext_seq;
        jb->highest_ts = ext_ts;
    }
    seen_set(jb, ext_seq);
    /* Late packets count too: they are the ones that must raise the target. */
    observe_delay(jb, ext_ts, now_ms, reordered);

    if (jb->anchored && ext_ts < jb->next_ts) {
        jb->stats.packets_late++;
        jb->stats.packets_discarded++;
        return UC_JB_LATE;
    }
    return store(jb, payload, len, ext_seq, ext_ts, talkspurt, now_ms);
}

/* The packet's duration: from its successor's timestamp when that is the next sequence
 * number of the same talkspurt, else the stream's last inferred packet duration. */
static uint32_t duration_of(const uc_jitter *jb, const struct slot *p, const struct slot *q)
{
    if (q != NULL && q->seq == p->seq + 1 && !q->talkspurt && q->ts > p->ts && q->ts - p->ts <= (int64_t)jb->max_packet)
        return (uint32_t)(q->ts - p->ts);
    return jb->packet_samples;
}

static void emit_play(uc_jitter *jb, struct slot *p, uint32_t dropped, int64_t now_ms, uc_jb_frame *out)
{
    struct slot *q = earliest(jb, p);
    uint32_t dur = duration_of(jb, p, q);
    out->action = UC_JB_PLAY;
    out->payload = payload_of(jb, p);
    out->len = p->len;
    out->seq = (uint16_t)p->seq;
    out->timestamp = (uint32_t)p->ts;
    out->samples = dur;
    out->dropped = dropped;

    jb->stats.jitter_buffer_emitted_count += dur;
    jb->stats.jitter_buffer_delay += (double)(now_ms - p->arrival_ms) / 1000.0 * dur;
    jb->stats.jitter_buffer_target_delay += jb->target_ms / 1000.0 * dur;

    uint32_t ticks = (dur + jb->tick / 2) / jb->tick;
    jb->continue_ticks = ticks > 1 ? ticks - 1 : 0;
    jb->next_ts = p->ts + dur;
    jb->played_seq = p->seq;
    jb->conceal_run = 0;
    jb->concealing = 0;
    jb->waiting_for_gap = 0;
    release(jb, p);
}

static void emit_conceal(uc_jitter *jb, int inserted, uc_jb_frame *out)
{
    out->action = UC_JB_CONCEAL;
    out->timestamp = (uint32_t)jb->next_ts;
    out->inserted = inserted;
    if (inserted) {
        jb->stats.inserted_samples_for_deceleration += jb->tick;
        return;
    }
    jb->stats.concealed_samples += jb->tick;
    if (!jb->concealing)
        jb->stats.concealment_events++;
    jb->concealing = 1;
    jb->conceal_run++;
}

static void decide(uc_jitter *jb, int64_t now_ms, uc_jb_frame *out);

int uc_jb_get(uc_jitter *jb, int64_t now_ms, uc_jb_frame *out)
{
    if (jb == NULL || out == NULL)
        return UC_ERR_ARGUMENT;
    decide(jb, now_ms, out);
    /* Where the timeline now stands: the packet with timestamp next_ts plays on the first
     * tick after this one's packet ends (while waiting for it, that moves a tick later
     * every tick, and lateness is judged against that). */
    jb->have_offset = jb->anchored;
    if (jb->anchored)
        jb->offset_ms = (double)now_ms + (double)(jb->continue_ticks + 1) * (double)jb->cfg.frame_ms -
                        ts_ms(jb, jb->next_ts);
    return UC_OK;
}

static void decide(uc_jitter *jb, int64_t now_ms, uc_jb_frame *out)
{
    memset(out, 0, sizeof *out);
    out->action = UC_JB_SILENCE;
    jb->waiting_for_gap = 0;
    out->samples = jb->tick;
    if (jb->ticks_since_stretch < UINT32_MAX)
        jb->ticks_since_stretch++;

    if (jb->continue_ticks > 0) {
        jb->continue_ticks--;
        out->action = UC_JB_CONTINUE;
        return;
    }
    if (jb->anchored) {
        /* Only packets whose timestamps overlap one already played can be behind playout. */
        for (uint32_t i = 0; i < jb->cfg.capacity; i++) {
            if (jb->slots[i].used && jb->slots[i].ts < jb->next_ts) {
                release(jb, &jb->slots[i]);
                jb->stats.packets_discarded++;
            }
        }
    }
    struct slot *p = earliest(jb, NULL);
    double target = jb->target_ms, max_delay = (double)jb->cfg.max_delay_ms;
    double frame_ms = (double)jb->cfg.frame_ms;

    /* Start of the stream or of a talkspurt: the gap before it is silence, not loss. Play
     * the first packet once it has waited the target delay beyond the fastest arrival.
     * Resuming after a stall (no marker, packets missing before it), the stalled packets
     * arrive together and not always in order: give the older ones a tick to catch up. */
    if (!jb->playing || (p != NULL && p->talkspurt && p->ts >= jb->next_ts + jb->tick)) {
        int straggler_wait = p != NULL && jb->anchored && !p->talkspurt && p->ts > jb->next_ts &&
                             now_ms - p->arrival_ms < (int64_t)jb->cfg.frame_ms;
        if (p != NULL && delay_of(jb, p->ts, now_ms) >= target && !straggler_wait) {
            jb->playing = 1;
            jb->anchored = 1;
            jb->ticks_since_stretch = 0;
            emit_play(jb, p, 0, now_ms, out);
            return;
        }
        if (jb->playing && p != NULL)
            jb->playing = 0;
        jb->concealing = 0;
        return;
    }

    if (p != NULL && p->ts < jb->next_ts + jb->tick) {
        /* The packet for this tick is here. */
        jb->next_ts = p->ts;
        double delay = delay_of(jb, p->ts, now_ms);
        if (delay < target && delay + frame_ms <= max_delay) {
            jb->ticks_since_stretch = 0;
            emit_conceal(jb, 1, out);
            return;
        }
        uint32_t dropped = 0;
        if (jb->ticks_since_stretch > UC_JB_STRETCH_COOLDOWN_TICKS || delay > max_delay) {
            struct slot *q = earliest(jb, p);
            uint32_t dur = duration_of(jb, p, q);
            double dur_ms = (double)dur * 1000.0 / (double)jb->cfg.clock_rate;
            if (q != NULL && q->ts <= p->ts + dur && delay - dur_ms >= target + frame_ms / 2) {
                jb->stats.packets_discarded++;
                jb->stats.removed_samples_for_acceleration += dur;
                release(jb, p);
                p = q;
                dropped = 1;
                jb->ticks_since_stretch = 0;
            }
        }
        emit_play(jb, p, dropped, now_ms, out);
        return;
    }

    /* The packet for this tick is missing. */
    double delay = delay_of(jb, jb->next_ts, now_ms);
    if (p == NULL) {
        /* Nothing buffered: late, lost, or the sender stopped (DTX without a marker).
         * Wait for it with concealment for a while, then fall silent. */
        if ((uint64_t)jb->conceal_run * jb->cfg.frame_ms >= MAX_EMPTY_CONCEAL_MS) {
            jb->playing = 0;
            jb->concealing = 0;
            return;
        }
        emit_conceal(jb, 0, out);
        if (delay >= max_delay)
            jb->next_ts += jb->tick;
        return;
    }
    /* Later packets are here. While the missing one is not yet due, wait for it; on a path
     * whose gaps are mostly late packets, hold the timeline for it up to the patience
     * (beyond the target: the delay grows, and shrinks back by drops later). Once it is
     * overdue, give it up: play the next packet at once if that one is due (the ticks
     * spent waiting stood in for the gap, so the delay does not grow further), else
     * conceal. A later packet that arrived within the last tick does not yet prove the
     * missing one lost: at the end of a stall the held-back packets arrive together, in
     * any order. */
    /* Only a sequence gap is a missing packet worth holding for; a timestamp gap between
     * consecutive packets is a duration the buffer had not learnt yet. */
    double patience = target;
    if (p->seq > jb->played_seq + 1)
        patience = clampd(jb->patience_ms, target, max_delay > target ? max_delay : target);
    int overdue = delay >= patience && now_ms - p->arrival_ms >= (int64_t)jb->cfg.frame_ms;
    jb->waiting_for_gap = !overdue;
    if (overdue && delay_of(jb, p->ts, now_ms) >= target) {
        emit_play(jb, p, 0, now_ms, out);
        return;
    }
    emit_conceal(jb, 0, out);
    if (overdue)
        jb->next_ts += jb->tick;
}

void uc_jb_get_stats(const uc_jitter *jb, uc_jb_stats *out)
{
    if (jb == NULL || out == NULL)
        return;
    *out = jb->stats;
}

double uc_jb_target_delay_ms(const uc_jitter *jb) { return jb == NULL ? 0.0 : jb->target_ms; }

uint32_t uc_jb_buffered(const uc_jitter *jb) { return jb == NULL ? 0 : jb->used; }

double uc_jb_clock_skew_ppm(const uc_jitter *jb) { return jb == NULL ? 0.0 : jb->skew * 1e6; }

double uc_jb_patience_ms(const uc_jitter *jb) { return jb == NULL ? 0.0 : jb->patience_ms; }
