/* Prompts, tones and recordings for the media engine: clips (mono PCM kept at 48 kHz, the
 * mixer's rate), a player that feeds a clip into one tick's frame, and a recorder that
 * writes one tick's decoded frame into a caller's buffer.
 *
 * Ownership. A clip is made on a control thread (uc_clip_create resamples the caller's
 * 8, 16 or 48 kHz PCM once, with the speexdsp resampler of resample.h) and is immutable
 * afterwards, so any number of players on any workers may read it at once (music on hold
 * for a hundred legs is one buffer). A player or recorder holds pointers it was handed in
 * a command; the embedder keeps the clip or buffer alive until the worker lets go of it:
 * the command that replaces or stops it has returned, its *_FINISHED event has been read,
 * or the leg or conference has been destroyed. The tick functions here allocate nothing
 * and take no lock. */
#ifndef UC_PLAYBACK_H
#define UC_PLAYBACK_H

#include <stddef.h>
#include <stdint.h>

#include "resample.h"

/* At most 10 minutes at 48 kHz (uint32 positions, and a bound on what one call may pin). */
#define UC_CLIP_MAX_SAMPLES (600u * 48000u)

typedef struct uc_clip {
    int16_t *pcm;      /* 48 kHz mono */
    uint32_t samples;
} uc_clip;

/* Resample `samples` of mono PCM at `rate` (8000, 16000 or 48000) to 48 kHz. The output is
 * exactly samples * 48000 / rate long: the resampler's delay is taken out by feeding its
 * half filter length of zeros after the clip and dropping as much from the front.
 * UC_ERR_ARGUMENT (rate, empty, too long), UC_ERR_NOMEM. */
int uc_clip_create(const int16_t *pcm, size_t samples, int rate, uc_clip **out);
void uc_clip_destroy(uc_clip *clip);

/* How a playback or recording ended (the event's code). */
enum uc_media_end {
    UC_END_COMPLETED = 0, /* the clip played out / the buffer is full */
    UC_END_STOPPED = 1,   /* a stop command */
    UC_END_REPLACED = 2,  /* another clip was started on the same leg or conference */
};

typedef struct uc_player {
    const uc_clip *clip; /* NULL: idle */
    uint32_t pos;
    uint32_t id;         /* the embedder's, echoed in the event */
    uint32_t handle;     /* the binding's token for the clip it keeps alive */
    uint32_t passes;     /* completed passes (loops) */
    int loop;
} uc_player;

/* Add (saturating) the next `frame` samples of the clip to pcm. Returns 0 when idle, 1
 * while playing, 2 when the clip ended inside this frame (the rest of the frame is
 * untouched; `passes` counts it; the caller reports the end and clears `clip`). A looping
 * clip wraps around without a gap and never ends by itself. */
int uc_player_mix(uc_player *p, int16_t *pcm, int frame);

typedef struct uc_recorder {
    int16_t *buf;        /* the embedder's; NULL: idle */
    uint32_t capacity;   /* samples at `rate` */
    uint32_t len;
    uint32_t id, handle;
    int rate;
    uc_resampler *down;  /* 48 kHz -> rate; NULL at 48 kHz. Owned by the leg, not freed here */
} uc_recorder;

/* Append one frame of 48 kHz PCM (resampled to the recorder's rate). Returns 1 when the
 * buffer is full (the caller reports it and clears `buf`), else 0. */
int uc_recorder_write(uc_recorder *r, const int16_t *pcm48, int frame);

/* dst += src, saturating to int16. */
void uc_pcm_add_saturate(int16_t *dst, const int16_t *src, int n);

#endif
