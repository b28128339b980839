/* Bridge: two legs joined back to back, for the mediation server and two-party calls that
 * need media anchoring.
 *
 * Relay: same codec on both legs; each RTP packet (audio or telephone-event) is forwarded
 * in the packet path as soon as it arrives and authenticates: only the header is rewritten
 * (the other leg's SSRC, sequence number, and the timestamp shifted into its timeline)
 * and it is protected with the other leg's keys. No jitter buffer, no decoding.
 * Transcode: each tick takes one frame from each leg's jitter buffer, decodes it to 48 kHz
 * and encodes it for the other leg's codec (e.g. Opus <-> G.711). */
#ifndef UC_BRIDGE_H
#define UC_BRIDGE_H

#include <stdint.h>

#include "audio_codec.h"
#include "engine.h"

enum uc_bridge_mode {
    UC_BRIDGE_RELAY = 0,
    UC_BRIDGE_TRANSCODE = 1,
};

struct uc_bridge {
    uc_engine *engine;
    uc_worker *worker;
    uint32_t id;
    int mode;
    uc_leg *a, *b;
    int16_t pcm_a[UC_AUDIO_PCM_MAX];
    int16_t pcm_b[UC_AUDIO_PCM_MAX];
};

/* UC_ERR_ARGUMENT (same leg twice, unknown mode, relay between different codecs),
 * UC_ERR_STATE (a leg already in a conference or bridge). Moves b to a's worker. */
int uc_bridge_create(uc_engine *e, uc_leg *a, uc_leg *b, int mode, uint32_t id, uc_bridge **out);
/* Unlinks the legs (they stay open) and frees the bridge. */
void uc_bridge_destroy(uc_bridge *br);

/* Worker side. */
void uc_bridge_unlink(uc_bridge *br);
void uc_bridge_tick(uc_bridge *br);

#endif
