#define _GNU_SOURCE /* recvmmsg/sendmmsg via udp_io.h */
#include "bridge.h"

#include <stdlib.h>
#include <string.h>

#include "leg.h"
#include "uc_errors.h"
#include "worker.h"

static int attach_cmd(uc_worker *w, void *a, void *b)
{
    (void)b;
    uc_bridge *br = a;
    if (br->a->conference || br->a->bridge || br->b->conference || br->b->bridge ||
        br->a->worker != w || br->b->worker != w)
        return UC_ERR_STATE;
    int rc = uc_worker_add_bridge(w, br);
    if (rc < 0)
        return rc;
    br->worker = w;
    /* A bridge neither plays clips to its legs nor records them. */
    uc_leg_end_media(br->a, UC_END_STOPPED);
    uc_leg_end_media(br->b, UC_END_STOPPED);
    br->a->bridge = br;
    br->b->bridge = br;
    if (br->mode == UC_BRIDGE_RELAY) {
        br->a->relay_peer = br->b;
        br->b->relay_peer = br->a;
        br->a->relay_have_offset = 0;
        br->b->relay_have_offset = 0;
    }
    return UC_OK;
}

void uc_bridge_unlink(uc_bridge *br)
{
    uc_leg *legs[2] = {br->a, br->b};
    for (int i = 0; i < 2; i++) {
        if (!legs[i])
            continue;
        legs[i]->bridge = NULL;
        legs[i]->relay_peer = NULL;
    }
    br->a = br->b = NULL;
}

static int detach_cmd(uc_worker *w, void *a, void *b)
{
    (void)b;
    uc_bridge *br = a;
    uc_bridge_unlink(br);
    uc_worker_remove_bridge(w, br);
    br->worker = NULL;
    return UC_OK;
}

int uc_bridge_create(uc_engine *e, uc_leg *a, uc_leg *b, int mode, uint32_t id, uc_bridge **out)
{
    if (!e || !a || !b || !out || a == b || a->engine != e || b->engine != e ||
        (mode != UC_BRIDGE_RELAY && mode != UC_BRIDGE_TRANSCODE))
        return UC_ERR_ARGUMENT;
    *out = NULL;
    /* Relay forwards payloads untouched: both sides must speak the same codec. */
    if (mode == UC_BRIDGE_RELAY && a->cfg.codec != b->cfg.codec)
        return UC_ERR_ARGUMENT;
    if (!a->worker || !b->worker || a->conference || a->bridge || b->conference || b->bridge)
        return UC_ERR_STATE;
    uc_bridge *br = calloc(1, sizeof(*br));
    if (!br)
        return UC_ERR_NOMEM;
    br->engine = e;
    br->id = id;
    br->mode = mode;
    br->a = a;
    br->b = b;
    int rc = uc_leg_move(b, a->worker);
    if (rc >= 0)
        rc = uc_worker_call(a->worker, attach_cmd, br, NULL);
    if (rc < 0) {
        free(br);
        return rc;
    }
    *out = br;
    return UC_OK;
}

void uc_bridge_destroy(uc_bridge *br)
{
    if (!br)
        return;
    if (br->worker)
        uc_worker_call(br->worker, detach_cmd, br, NULL);
    free(br);
}

static void take(uc_leg *src, int16_t *pcm)
{
    uc_leg_next_frame(src);
    if (src->muted || !uc_leg_receives(src))
        memset(pcm, 0, (size_t)src->dec.frame48 * sizeof(int16_t));
    else
        uc_leg_decode(src, pcm);
}

void uc_bridge_tick(uc_bridge *br)
{
    if (!br->a || !br->b)
        return;
    if (br->mode == UC_BRIDGE_TRANSCODE) {
        take(br->a, br->pcm_a);
        take(br->b, br->pcm_b);
        uc_leg_send_pcm(br->b, br->pcm_a);
        uc_leg_send_pcm(br->a, br->pcm_b);
    } else {
        /* Relay sends from the packet path; the tick only paces DTMF we originate. */
        if (uc_leg_dtmf_active(br->a))
            uc_leg_send_payload(br->a, NULL, 0);
        if (uc_leg_dtmf_active(br->b))
            uc_leg_send_payload(br->b, NULL, 0);
    }
    uc_leg_end_tick(br->a);
    uc_leg_end_tick(br->b);
}
