/* AudioConference: the MCU tick over the legs placed on one worker.
 *
 * Each tick: one jitter-buffer instruction per leg; talkers are selected from RFC 6464
 * levels where the packets carry them (those legs are decoded only if selected), else
 * from the energy of their decoded frame; the mixer kernel sums the top-K talkers into one
 * shared mix and one N-1 mix per talker; then every non-talker gets the shared mix,
 * encoded once per distinct codec and bitrate (an "encode class"), and every talker its
 * own N-1 mix through its own encoder. Each leg packetizes with its own SSRC, sequence and
 * timestamp and its own SRTP keys. So a tick costs K+C encodes (C: classes in use) for
 * any N, and the decodes of the talkers plus the legs that send no levels.
 *
 * Naive mode (for comparison, as Janus AudioBridge and FreeSWITCH mix): every leg is
 * decoded and every leg gets a personal N-1 mix of all the others, encoded for it alone.
 *
 * Legs occupy fixed slots: a leg joining or leaving changes no other leg's slot, encoder
 * or stream. A leg whose packets stop is concealed by the jitter buffer and decoder, then
 * silent (uc_jitter: at most 100 ms of concealment); the tick never waits for packets. */
#ifndef UC_CONFERENCE_H
#define UC_CONFERENCE_H

#include <stdint.h>

#include "audio_codec.h"
#include "engine.h"
#include "mixer.h"
#include "playback.h"

#define UC_CONF_MAX_CLASSES 8

typedef struct uc_conference_config {
    uint32_t id;
    int worker;              /* -1: the engine picks */
    int max_participants;    /* slots; 0: 64 */
    int top_k;               /* talkers mixed; 0: 3 */
    int hangover_ticks;      /* -1: the mixer's default (15) */
    int level_threshold;     /* -1: the mixer's default (50 -dBov) */
    int naive;               /* 1: decode all, personal N-1 mix and encode for every leg */
    int level_event_ticks;   /* emit every leg's level every this many ticks; 0: never */
} uc_conference_config;

typedef struct uc_conference_stats {
    uint64_t ticks;
    uint64_t decodes;        /* frames decoded or concealed by legs of this conference */
    uint64_t shared_encodes; /* encodes of the shared mix (one per class per tick) */
    uint64_t own_encodes;    /* encodes of a personal mix (talkers; every leg when naive) */
    uint64_t talker_changes;
    uint32_t participants;
    uint32_t classes;
    uint32_t talkers;
} uc_conference_stats;

typedef struct uc_enc_class {
    int used;
    int codec;
    int bitrate;
    uc_audio_enc enc;
    uint8_t payload[UC_AUDIO_MAX_PAYLOAD];
    int len;
    int done;                /* encoded this tick */
    /* Opus only: one frame of digital silence, encoded when the class was made, sent to a
     * lone talker (its N-1 mix holds no one) instead of encoding that empty mix each tick. */
    uint8_t silence[UC_AUDIO_MAX_PAYLOAD];
    int silence_len;
} uc_enc_class;

struct uc_conference {
    uc_engine *engine;
    uc_worker *worker;
    uc_conference_config cfg;
    uc_mixer *mixer;
    int frame;               /* samples per tick at 48 kHz */
    uc_leg **slots;
    int *class_of;
    int *talker_index;       /* per slot: its row in n1, -1 when not a talker */
    int n;                   /* highest occupied slot + 1 */
    int count;
    int16_t *frames;         /* max_participants rows of `frame` samples */
    uint8_t *levels;
    uint8_t *decoded;
    int16_t *shared;
    int16_t *n1;             /* top_k rows */
    int32_t *acc;            /* naive mode sum */
    int16_t *scratch;
    uc_enc_class classes[UC_CONF_MAX_CLASSES];
    uint32_t talker_ids[UC_EVENT_MAX_TALKERS];
    int talker_count;
    uc_conference_stats st;
    /* A clip every participant hears (entry and exit tones, announcements), added to the
     * shared mix and to every N-1 mix; and each leg's own level for LEVEL events (a muted
     * leg's too, which the mixer sees as silent). */
    uc_player player;
    int16_t *clip_frame;
    uint8_t *own_levels;
};

int uc_conference_create(uc_engine *e, const uc_conference_config *cfg, uc_conference **out);
/* Removes its legs (they stay open, in no conference) and frees it. */
void uc_conference_destroy(uc_conference *c);
int uc_conference_worker_index(const uc_conference *c);
/* Moves the leg to the conference's worker if needed, then gives it a slot. Returns the
 * slot; UC_ERR_STATE when the leg is in another conference or a bridge, UC_ERR_NOSPACE
 * when every slot (or every encode class) is taken. */
int uc_conference_add_leg(uc_conference *c, uc_leg *leg);
int uc_conference_remove_leg(uc_conference *c, uc_leg *leg);
int uc_conference_get_stats(uc_conference *c, uc_conference_stats *out);
/* Play a clip to everyone in the conference (see uc_leg_play for `id`, `handle`, `loop`
 * and how long the clip must live); replaces one already playing (REPLACED). */
int uc_conference_play(uc_conference *c, const uc_clip *clip, uint32_t id, uint32_t handle,
                       int loop);
/* Returns 1 when a clip was stopped (event STOPPED), 0 when none was playing. */
int uc_conference_stop_playback(uc_conference *c);

/* Worker side. */
void uc_conference_unlink_leg(uc_conference *c, uc_leg *leg);
void uc_conference_tick(uc_conference *c);

#endif
