/* Adaptive audio jitter buffer for one RTP stream (one leg of a conference).
 *
 * The packet path calls uc_jb_put() for every RTP packet as it arrives; the conference
 * tick calls uc_jb_get() once per tick (10 or 20 ms) and is told what to do for that
 * tick: decode a packet, run the decoder's packet-loss concealment, play comfort noise,
 * or keep using the packet it decoded on an earlier tick.
 *
 * Time is always an argument, `now_ms`: milliseconds on any monotonic clock the caller
 * likes (the same one for put and get). Nothing here reads a clock.
 *
 * Playout delay follows the statistics of arrival delay, the way WebRTC NetEq's
 * DelayManager does, from two histograms with forgetting factors; the target is the
 * larger of their answers, bounded by [min_delay_ms, max_delay_ms]:
 *   - underrun: a high quantile of every packet's delay relative to the fastest packet of
 *     the last two seconds (that fastest delay projected along the estimated clock skew,
 *     so a drifting sender clock is not taken for jitter);
 *   - lateness (NetEq's ReorderOptimizer cost function): only a packet that a newer one
 *     overtook can be late (a slow in-order packet makes the timeline wait instead), so
 *     reordered packets' lateness, measured against the playout timeline as it actually
 *     runs, goes into the second histogram (in-order packets count as 0); the delay chosen
 *     minimises delay + ms_per_late_percent * late loss in percent. A late packet lands in
 *     its tail at once, so it raises the target on the spot.
 * A missing packet that newer ones overtook (a sequence gap) is waited for up to the
 * patience (uc_jb_patience_ms), which is the target on a path whose gaps are losses and,
 * on one whose gaps mostly arrive after all (reordering, heavy-tailed jitter), reaches
 * the larger of a peak detector (recent out-of-order lateness x 1.5, fading over about a
 * minute) and a start-up prior (300 ms fading over about 20 s: a new stream waits for its
 * first reordered packets, as aiortc's 16-packet window does, before it knows the path).
 * Holding beyond the target grows the delay, which "drop one to shrink" then takes back;
 * the held-for packet counts its whole lateness in the lateness histogram, so where
 * holding keeps being needed the target itself rises instead.
 * The buffer steers towards the target one tick at a time:
 *   - grow: when the next packet would play earlier than the target, the tick is a
 *     CONCEAL with `inserted` set (the packet waits one tick: "hold to grow");
 *   - shrink: when it would play later than target + one packet + half a tick, the next
 *     packet is dropped and the one after it played in the same tick (`dropped` = 1:
 *     "drop one to shrink"). Two drops are more than UC_JB_STRETCH_COOLDOWN_TICKS ticks
 *     apart (and not right after a hold), except while the delay is above max_delay_ms.
 * A missing packet is waited for (CONCEAL ticks) while it is not yet due by the patience;
 * once it is overdue the next packet plays as soon as that one is due, so on a lossy path
 * a lost burst costs its own length in concealment and leaves the delay where it was. A packet that
 * arrived less than a tick ago does not make the buffer give up the ones before it: after
 * a stall the held-back packets arrive together, in any order. With nothing
 * buffered the buffer conceals for at most MAX_EMPTY_CONCEAL_MS (100 ms), then answers
 * SILENCE until a packet comes; a packet that starts a talkspurt (marker bit, or a
 * timestamp gap with no sequence gap: DTX) is scheduled afresh, its gap is not loss.
 *
 * What the caller does per action:
 *   PLAY     decode the payload (it covers `samples`; with `dropped` > 0 the packet
 *            before it was skipped: the decoder just sees a gap, as with loss);
 *   CONCEAL  run the decoder's PLC for one tick (`inserted`: the same, the next packet is
 *            waiting; a caller keeping decoded PCM may stretch it instead);
 *   SILENCE  comfort noise / silence for one tick (reset PLC fading);
 *   CONTINUE take the next tick's worth of samples from the last decoded packet.
 * Packets must last at least one tick (use a 10 ms tick for 10 ms packets): a PLAY covers
 * round(duration / tick) >= 1 ticks, so shorter packets would play slower than real time.
 * Whole-frame skip/insert is this stage's time-stretching; time-compressing/expanding
 * decoded PCM (WSOLA, as NetEq does) around these decisions is left to a later stage.
 *
 * All memory (slots and payload copies) is allocated by uc_jb_create; put and get never
 * allocate, lock or block. */
#ifndef UC_JITTER_H
#define UC_JITTER_H

#include <stddef.h>
#include <stdint.h>

/* What the caller does with one tick. */
enum uc_jb_action {
    UC_JB_PLAY = 0,     /* decode `payload`; it lasts `samples` (one or more ticks) */
    UC_JB_CONCEAL = 1,  /* run the decoder's PLC for one tick (packet missing or hold) */
    UC_JB_SILENCE = 2,  /* nothing is expected (not started, DTX, stream idle): comfort noise */
    UC_JB_CONTINUE = 3, /* the packet played on an earlier tick still covers this tick */
};

/* What uc_jb_put did with a packet (returned as a non-negative int). */
enum uc_jb_put_outcome {
    UC_JB_STORED = 0,     /* kept for playout */
    UC_JB_DUPLICATE = 1,  /* the same sequence number was already received: discarded */
    UC_JB_LATE = 2,       /* its playout time has passed: discarded, counted late */
    UC_JB_DISCARDED = 3,  /* dropped for another reason (buffer full, sequence jump on probation) */
};

typedef struct uc_jb_config {
    uint32_t clock_rate;   /* RTP clock rate, Hz (8000..192000) */
    uint32_t frame_ms;     /* tick period in ms (5..120; clock_rate * frame_ms divisible by 1000) */
    uint32_t min_delay_ms; /* lower bound of the target delay */
    uint32_t max_delay_ms; /* upper bound of the target delay (<= UC_JB_MAX_DELAY_MS) */
    uint32_t capacity;     /* packet slots (1..4096) */
    uint32_t max_payload;  /* bytes per slot (1..65535) */
    double quantile;       /* histogram quantile for the target; 0 = UC_JB_DEFAULT_QUANTILE */
    double forget_factor;  /* histogram forgetting factor per packet; 0 = default */
    /* Added later; a config zero-initialised beyond the fields above gets the defaults. */
    double ms_per_late_percent; /* delay worth one percent less late loss; 0 = default */
    double late_forget_factor;  /* lateness histogram forgetting factor per packet; 0 = default */
} uc_jb_config;

#define UC_JB_MAX_DELAY_MS 2500u
#define UC_JB_DEFAULT_QUANTILE 0.97
#define UC_JB_DEFAULT_FORGET_FACTOR 0.998
#define UC_JB_DEFAULT_MS_PER_LATE_PERCENT 1000.0
#define UC_JB_DEFAULT_LATE_FORGET_FACTOR 0.9995
#define UC_JB_STRETCH_COOLDOWN_TICKS 2u

/* One tick's instruction. */
typedef struct uc_jb_frame {
    int action;             /* enum uc_jb_action */
    const uint8_t *payload; /* PLAY only: points into the buffer, valid until the next put/get */
    uint32_t len;           /* PLAY only: payload length in bytes */
    uint16_t seq;           /* PLAY: the packet's sequence number */
    uint32_t timestamp;     /* PLAY: the packet's RTP timestamp; CONCEAL: the one this tick stands for */
    uint32_t samples;       /* PLAY: the packet's duration; otherwise one tick */
    uint32_t dropped;       /* PLAY: packets dropped just before this one to shrink the delay */
    int inserted;           /* CONCEAL: 1 when the tick was inserted to grow the delay */
} uc_jb_frame;

/* Counters named after W3C webrtc-stats (RTCInboundRtpStreamStats) where one exists. */
typedef struct uc_jb_stats {
    uint64_t packets_received;       /* packetsReceived: every valid put, duplicates included */
    uint64_t packets_late;           /* arrived after their playout time */
    uint64_t packets_duplicated;     /* same sequence number seen again (not in packetsDiscarded) */
    uint64_t packets_discarded;      /* packetsDiscarded: late, dropped to shrink, overflow, flushed */
    double jitter_buffer_delay;      /* jitterBufferDelay: sum over emitted samples of seconds waited */
    uint64_t jitter_buffer_emitted_count; /* jitterBufferEmittedCount: samples emitted */
    double jitter_buffer_target_delay;    /* jitterBufferTargetDelay: sum of target (s) per emitted sample */
    uint64_t concealed_samples;      /* concealedSamples: samples concealed for missing packets */
    uint64_t concealment_events;     /* concealmentEvents: runs of concealment */
    uint64_t inserted_samples_for_deceleration; /* insertedSamplesForDeceleration */
    uint64_t removed_samples_for_acceleration;  /* removedSamplesForAcceleration */
    uint64_t resyncs;                /* SSRC changes, sequence or timestamp jumps that restarted the stream */
} uc_jb_stats;

typedef struct uc_jitter uc_jitter;

/* Allocate a buffer; *out is NULL on failure. UC_ERR_ARGUMENT on a bad config. */
int uc_jb_create(const uc_jb_config *config, uc_jitter **out);
void uc_jb_destroy(uc_jitter *jb);

/* Forget the stream (packets, histogram, playout position); keep the counters. */
void uc_jb_reset(uc_jitter *jb);

/* Copy one RTP packet's payload in. Returns an enum uc_jb_put_outcome (>= 0), or
 * UC_ERR_NOSPACE when len > max_payload, UC_ERR_ARGUMENT on NULL arguments. */
int uc_jb_put(uc_jitter *jb, const uint8_t *payload, size_t len, uint16_t seq, uint32_t timestamp,
              uint32_t ssrc, int marker, int64_t now_ms);

/* Decide this tick. Returns UC_OK and fills *out, or UC_ERR_ARGUMENT. */
int uc_jb_get(uc_jitter *jb, int64_t now_ms, uc_jb_frame *out);

void uc_jb_get_stats(const uc_jitter *jb, uc_jb_stats *out);

/* The current target delay in ms (always within [min_delay_ms, max_delay_ms]). */
double uc_jb_target_delay_ms(const uc_jitter *jb);

/* Packets held right now. */
uint32_t uc_jb_buffered(const uc_jitter *jb);

/* The estimated clock skew of the sender's timestamps against now_ms, in parts per million
 * (positive: the sender's clock runs slow, each packet arrives a little later than the
 * last; bounded by +-10000). Relative delay is measured net of it. */
double uc_jb_clock_skew_ppm(const uc_jitter *jb);

/* How long (ms of delay, as the target) a missing packet is waited for once later packets
 * are here: >= the target, up to max_delay_ms on a path whose gaps are mostly late
 * packets (peak detector and start-up prior), the target itself on a lossy path. */
double uc_jb_patience_ms(const uc_jitter *jb);

#endif
