#define _GNU_SOURCE /* recvmmsg/sendmmsg via udp_io.h */
#include "conference.h"

#include <stdlib.h>
#include <string.h>

#include "leg.h"
#include "uc_errors.h"
#include "worker.h"

static void free_conference(uc_conference *c)
{
    for (int i = 0; i < UC_CONF_MAX_CLASSES; i++)
        if (c->classes[i].used)
            uc_audio_enc_release(&c->classes[i].enc);
    uc_mixer_free(c->mixer);
    free(c->slots);
    free(c->class_of);
    free(c->talker_index);
    free(c->frames);
    free(c->levels);
    free(c->decoded);
    free(c->shared);
    free(c->n1);
    free(c->acc);
    free(c->scratch);
    free(c->clip_frame);
    free(c->own_levels);
    free(c);
}

static int attach_cmd(uc_worker *w, void *a, void *b)
{
    (void)b;
    uc_conference *c = a;
    int rc = uc_worker_add_conference(w, c);
    if (rc >= 0)
        c->worker = w;
    return rc;
}

static int detach_cmd(uc_worker *w, void *a, void *b)
{
    (void)b;
    uc_conference *c = a;
    for (int s = 0; s < c->n; s++)
        if (c->slots[s])
            uc_conference_unlink_leg(c, c->slots[s]);
    uc_worker_remove_conference(w, c);
    c->worker = NULL;
    return UC_OK;
}

int uc_conference_create(uc_engine *e, const uc_conference_config *cfg, uc_conference **out)
{
    if (!e || !cfg || !out || cfg->worker >= e->nworkers)
        return UC_ERR_ARGUMENT;
    if (e->stopped)
        return UC_ERR_STATE;
    *out = NULL;
    uc_conference *c = calloc(1, sizeof(*c));
    if (!c)
        return UC_ERR_NOMEM;
    c->engine = e;
    c->cfg = *cfg;
    int max = cfg->max_participants > 0 ? cfg->max_participants : 64;
    c->cfg.max_participants = max;
    c->frame = UC_MIX_RATE / 1000 * e->cfg.tick_ms;
    uc_mixer_config mc;
    uc_mixer_config_default(&mc, c->frame, max);
    if (cfg->top_k > 0)
        mc.top_k = cfg->top_k > max ? max : cfg->top_k;
    if (cfg->hangover_ticks >= 0)
        mc.hangover_ticks = cfg->hangover_ticks;
    if (cfg->level_threshold >= 0)
        mc.level_threshold = cfg->level_threshold;
    c->cfg.top_k = mc.top_k;
    int rc = uc_mixer_create(&mc, &c->mixer);
    if (rc < 0) {
        free_conference(c);
        return rc;
    }
    size_t m = (size_t)max, f = (size_t)c->frame;
    c->slots = calloc(m, sizeof(*c->slots));
    c->class_of = calloc(m, sizeof(*c->class_of));
    c->talker_index = malloc(m * sizeof(*c->talker_index));
    c->frames = calloc(m * f, sizeof(int16_t));
    c->levels = calloc(m, 1);
    c->decoded = calloc(m, 1);
    c->shared = calloc(f, sizeof(int16_t));
    c->n1 = calloc((size_t)mc.top_k * f, sizeof(int16_t));
    c->acc = calloc(f, sizeof(int32_t));
    c->scratch = calloc(f, sizeof(int16_t));
    c->clip_frame = calloc(f, sizeof(int16_t));
    c->own_levels = calloc(m, 1);
    if (!c->slots || !c->class_of || !c->talker_index || !c->frames || !c->levels || !c->decoded ||
        !c->shared || !c->n1 || !c->acc || !c->scratch || !c->clip_frame || !c->own_levels) {
        free_conference(c);
        return UC_ERR_NOMEM;
    }
    for (int i = 0; i < max; i++)
        c->talker_index[i] = -1;
    int wi = cfg->worker >= 0 ? cfg->worker : uc_engine_pick_worker(e);
    rc = uc_worker_call(&e->workers[wi], attach_cmd, c, NULL);
    if (rc < 0) {
        free_conference(c);
        return rc;
    }
    *out = c;
    return UC_OK;
}

void uc_conference_destroy(uc_conference *c)
{
    if (!c)
        return;
    if (c->worker)
        uc_worker_call(c->worker, detach_cmd, c, NULL);
    free_conference(c);
}

int uc_conference_worker_index(const uc_conference *c)
{
    return c->worker ? c->worker->index : -1;
}

static int class_for(uc_conference *c, const uc_leg *leg)
{
    int bitrate = leg->cfg.codec == UC_CODEC_OPUS ? leg->cfg.opus_bitrate : 0;
    int free_slot = -1;
    for (int i = 0; i < UC_CONF_MAX_CLASSES; i++) {
        uc_enc_class *k = &c->classes[i];
        if (k->used && k->codec == leg->cfg.codec && k->bitrate == bitrate)
            return i;
        if (!k->used && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0)
        return UC_ERR_NOSPACE;
    /* Command time on the worker: the one allocation a join may cost. */
    uc_enc_class *k = &c->classes[free_slot];
    int rc = uc_audio_enc_init(&k->enc, leg->cfg.codec, bitrate, leg->cfg.opus_complexity,
                               c->engine->cfg.tick_ms);
    if (rc < 0)
        return rc;
    k->silence_len = 0;
    if (leg->cfg.codec == UC_CODEC_OPUS) {
        /* libopus spends about three times a speech frame's CPU on a frame of digital
         * silence (benchmarks/cref/mcu_floor.c), and a lone talker's empty N-1 mix is the
         * same silence every tick: encode it once here, on a fresh encoder's first frame. */
        memset(c->scratch, 0, (size_t)c->frame * sizeof(int16_t));
        int n = uc_audio_enc_encode(&k->enc, c->scratch, k->silence, (int)sizeof(k->silence));
        k->silence_len = n > 0 ? n : 0;
    }
    k->used = 1;
    k->codec = leg->cfg.codec;
    k->bitrate = bitrate;
    c->st.classes++;
    return free_slot;
}

static int add_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_conference *c = a;
    uc_leg *leg = b;
    if (leg->conference == c)
        return leg->slot;
    if (leg->conference || leg->bridge || leg->worker != c->worker)
        return UC_ERR_STATE;
    int slot = -1;
    for (int s = 0; s < c->cfg.max_participants; s++)
        if (!c->slots[s]) {
            slot = s;
            break;
        }
    if (slot < 0)
        return UC_ERR_NOSPACE;
    int k = class_for(c, leg);
    if (k < 0)
        return k;
    uc_mixer_forget(c->mixer, slot);
    memset(c->frames + (size_t)slot * (size_t)c->frame, 0, (size_t)c->frame * sizeof(int16_t));
    c->slots[slot] = leg;
    c->class_of[slot] = k;
    if (slot >= c->n)
        c->n = slot + 1;
    c->count++;
    leg->conference = c;
    leg->slot = slot;
    return slot;
}

int uc_conference_add_leg(uc_conference *c, uc_leg *leg)
{
    if (leg->engine != c->engine)
        return UC_ERR_ARGUMENT;
    if (!c->worker || !leg->worker)
        return UC_ERR_STATE;
    if (leg->conference == c)
        return leg->slot;
    if (leg->conference || leg->bridge)
        return UC_ERR_STATE;
    int rc = uc_leg_move(leg, c->worker);
    if (rc < 0)
        return rc;
    return uc_worker_call(c->worker, add_cmd, c, leg);
}

void uc_conference_unlink_leg(uc_conference *c, uc_leg *leg)
{
    int slot = leg->slot;
    if (slot < 0 || slot >= c->cfg.max_participants || c->slots[slot] != leg)
        return;
    c->slots[slot] = NULL;
    uc_mixer_forget(c->mixer, slot);
    memset(c->frames + (size_t)slot * (size_t)c->frame, 0, (size_t)c->frame * sizeof(int16_t));
    c->count--;
    while (c->n > 0 && !c->slots[c->n - 1])
        c->n--;
    leg->conference = NULL;
    leg->slot = -1;
}

static int remove_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_conference *c = a;
    uc_leg *leg = b;
    if (leg->conference != c)
        return UC_ERR_STATE;
    uc_conference_unlink_leg(c, leg);
    return UC_OK;
}

int uc_conference_remove_leg(uc_conference *c, uc_leg *leg)
{
    if (!c->worker)
        return UC_ERR_STATE;
    return uc_worker_call(c->worker, remove_cmd, c, leg);
}

static int stats_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_conference *c = a;
    uc_conference_stats *s = b;
    *s = c->st;
    s->participants = (uint32_t)c->count;
    s->talkers = (uint32_t)c->talker_count;
    return UC_OK;
}

int uc_conference_get_stats(uc_conference *c, uc_conference_stats *out)
{
    if (!c->worker)
        return stats_cmd(NULL, c, out);
    return uc_worker_call(c->worker, stats_cmd, c, out);
}

static void end_playback(uc_conference *c, int reason)
{
    if (!c->player.clip)
        return;
    uint64_t n = (uint64_t)c->player.passes * c->player.clip->samples + c->player.pos;
    uc_emit_media_end(c->worker, UC_EV_PLAYBACK_FINISHED, c->cfg.id, reason, c->player.id,
                      c->player.handle, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
    c->player.clip = NULL;
}

static int play_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_conference *c = a;
    end_playback(c, UC_END_REPLACED);
    c->player = *(const uc_player *)b;
    return UC_OK;
}

int uc_conference_play(uc_conference *c, const uc_clip *clip, uint32_t id, uint32_t handle,
                       int loop)
{
    if (!clip || !clip->pcm || clip->samples == 0)
        return UC_ERR_ARGUMENT;
    if (!c->worker)
        return UC_ERR_STATE;
    uc_player p = {.clip = clip, .id = id, .handle = handle, .loop = loop != 0};
    return uc_worker_call(c->worker, play_cmd, c, &p);
}

static int stop_playback_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    (void)b;
    uc_conference *c = a;
    int was = c->player.clip != NULL;
    end_playback(c, UC_END_STOPPED);
    return was;
}

int uc_conference_stop_playback(uc_conference *c)
{
    if (!c->worker)
        return UC_ERR_STATE;
    return uc_worker_call(c->worker, stop_playback_cmd, c, NULL);
}

/* ---- the tick ---- */

static int hears_leg(const uc_leg *leg)
{
    return !leg->muted && uc_leg_receives(leg);
}

static void report_talkers(uc_conference *c)
{
    int k = uc_mixer_talker_count(c->mixer);
    const int *talkers = uc_mixer_talkers(c->mixer);
    const uint8_t *lv = c->levels;
    uint32_t ids[UC_EVENT_MAX_TALKERS];
    int shown = k < UC_EVENT_MAX_TALKERS ? k : UC_EVENT_MAX_TALKERS;
    for (int j = 0; j < shown; j++)
        ids[j] = c->slots[talkers[j]] ? c->slots[talkers[j]]->cfg.id : 0;
    if (shown == c->talker_count && memcmp(ids, c->talker_ids, (size_t)shown * sizeof(uint32_t)) == 0)
        return;
    memcpy(c->talker_ids, ids, (size_t)shown * sizeof(uint32_t));
    c->talker_count = shown;
    c->st.talker_changes++;
    uc_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = UC_EV_TALKERS;
    ev.object_id = c->cfg.id;
    ev.value = (uint32_t)k;
    for (int j = 0; j < shown; j++) {
        ev.ids[j] = ids[j];
        ev.levels[j] = lv[talkers[j]];
    }
    uc_worker_emit(c->worker, &ev);
}

static void report_levels(uc_conference *c)
{
    if (c->cfg.level_event_ticks <= 0 || c->st.ticks % (uint64_t)c->cfg.level_event_ticks != 0)
        return;
    for (int s = 0; s < c->n; s++) {
        if (!c->slots[s])
            continue;
        uc_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = UC_EV_LEVEL;
        ev.object_id = c->slots[s]->cfg.id;
        ev.code = c->own_levels[s];
        uc_worker_emit(c->worker, &ev);
    }
}

/* A leg the others do not hear (muted, or not receiving). It is not mixed, but a muted
 * talker's level still tells the application it speaks (to remind it it is muted), and a
 * recording still wants its audio: decode only for those. Returns its own level. */
static uint8_t unheard_leg(uc_conference *c, uc_leg *leg)
{
    const int f = c->frame;
    if (!uc_leg_receives(leg)) {
        if (leg->recorder.buf) {
            memset(c->scratch, 0, (size_t)f * sizeof(int16_t));
            uc_leg_record_frame(leg, c->scratch);
        }
        return UC_MIXER_LEVEL_SILENT;
    }
    int want_level = c->cfg.level_event_ticks > 0 && leg->frame_level < 0;
    if (!leg->recorder.buf && !want_level) {
        if (leg->frame.action == UC_JB_PLAY)
            leg->pcm_len = 0; /* not decoded: must not be continued later */
        return leg->frame_level >= 0 ? (uint8_t)leg->frame_level : UC_MIXER_LEVEL_SILENT;
    }
    uc_leg_decode(leg, c->scratch);
    c->st.decodes++;
    uc_leg_record_frame(leg, c->scratch);
    return leg->frame_level >= 0 ? (uint8_t)leg->frame_level : (uint8_t)uc_audio_level(c->scratch, f);
}

/* This tick of the conference-wide clip, into clip_frame. Returns 1 when one plays. */
static int conference_clip(uc_conference *c)
{
    if (!c->player.clip)
        return 0;
    memset(c->clip_frame, 0, (size_t)c->frame * sizeof(int16_t));
    if (uc_player_mix(&c->player, c->clip_frame, c->frame) == 2)
        end_playback(c, UC_END_COMPLETED);
    return 1;
}

static void tick_selective(uc_conference *c)
{
    const int f = c->frame, n = c->n;
    for (int s = 0; s < n; s++) {
        uc_leg *leg = c->slots[s];
        int16_t *row = c->frames + (size_t)s * (size_t)f;
        c->decoded[s] = 0;
        if (!leg) {
            c->levels[s] = UC_MIXER_LEVEL_SILENT;
            continue;
        }
        uc_leg_next_frame(leg);
        if (!hears_leg(leg)) {
            c->levels[s] = UC_MIXER_LEVEL_SILENT;
            memset(row, 0, (size_t)f * sizeof(int16_t));
            c->decoded[s] = 1;
            c->own_levels[s] = unheard_leg(c, leg);
            continue;
        } else if (leg->frame_level >= 0) {
            c->levels[s] = (uint8_t)leg->frame_level; /* RFC 6464: select before decoding */
        } else {
            uc_leg_decode(leg, row);
            c->st.decodes++;
            c->decoded[s] = 1;
            c->levels[s] = (uint8_t)uc_audio_level(row, f);
        }
        c->own_levels[s] = c->levels[s];
    }
    int k = uc_mixer_select_levels(c->mixer, c->levels, n);
    if (k < 0)
        return;
    const int *talkers = uc_mixer_talkers(c->mixer);
    for (int j = 0; j < k; j++) {
        int s = talkers[j];
        c->talker_index[s] = j;
        if (!c->decoded[s]) {
            uc_leg_decode(c->slots[s], c->frames + (size_t)s * (size_t)f);
            c->st.decodes++;
            c->decoded[s] = 1;
        }
    }
    for (int s = 0; s < n; s++) {
        uc_leg *leg = c->slots[s];
        if (!leg || !leg->recorder.buf || !hears_leg(leg))
            continue; /* unheard legs record in unheard_leg */
        int16_t *row = c->frames + (size_t)s * (size_t)f;
        if (!c->decoded[s]) {
            uc_leg_decode(leg, row);
            c->st.decodes++;
            c->decoded[s] = 1;
        }
        uc_leg_record_frame(leg, row);
    }
    for (int s = 0; s < n; s++) {
        uc_leg *leg = c->slots[s];
        /* A packet not decoded this tick must not be continued on a later one. */
        if (leg && !c->decoded[s] && leg->frame.action == UC_JB_PLAY)
            leg->pcm_len = 0;
    }
    uc_mixer_mix(c->mixer, c->frames, (size_t)f, n, c->shared, c->n1, (size_t)f);
    int clip = conference_clip(c);
    if (clip) {
        uc_pcm_add_saturate(c->shared, c->clip_frame, f);
        for (int j = 0; j < k; j++)
            uc_pcm_add_saturate(c->n1 + (size_t)j * (size_t)f, c->clip_frame, f);
    }
    report_talkers(c);
    report_levels(c);
    for (int i = 0; i < UC_CONF_MAX_CLASSES; i++)
        c->classes[i].done = 0;
    for (int s = 0; s < n; s++) {
        uc_leg *leg = c->slots[s];
        if (!leg)
            continue;
        int j = c->talker_index[s];
        int own_clip = 0;
        if (leg->player.clip) {
            /* A prompt for this leg alone: over what it hears, through its own encoder. */
            memcpy(c->scratch, j >= 0 ? c->n1 + (size_t)j * (size_t)f : c->shared, (size_t)f * sizeof(int16_t));
            own_clip = uc_leg_play_frame(leg, c->scratch) != 0;
        }
        if (!uc_leg_sends(leg) || !leg->have_remote) {
            /* nothing to send: keep the encoders out of it */
        } else if (own_clip) {
            uc_leg_send_pcm(leg, c->scratch);
            c->st.own_encodes++;
        } else if (j >= 0 && k == 1 && !clip && c->classes[c->class_of[s]].silence_len > 0 &&
                   !uc_leg_dtmf_active(leg)) {
            /* The only talker: its N-1 mix is empty, digital silence. */
            const uc_enc_class *kc = &c->classes[c->class_of[s]];
            uc_leg_send_payload(leg, kc->silence, kc->silence_len);
        } else if (j >= 0) {
            uc_leg_send_pcm(leg, c->n1 + (size_t)j * (size_t)f);
            c->st.own_encodes++;
        } else if (uc_leg_dtmf_active(leg)) {
            uc_leg_send_payload(leg, NULL, 0);
        } else {
            uc_enc_class *k2 = &c->classes[c->class_of[s]];
            if (!k2->done) {
                k2->len = uc_audio_enc_encode(&k2->enc, c->shared, k2->payload, (int)sizeof(k2->payload));
                k2->done = 1;
                c->st.shared_encodes++;
            }
            uc_leg_send_payload(leg, k2->payload, k2->len);
        }
        uc_leg_end_tick(leg);
    }
    for (int j = 0; j < k; j++)
        c->talker_index[talkers[j]] = -1;
}

static void tick_naive(uc_conference *c)
{
    const int f = c->frame, n = c->n;
    memset(c->acc, 0, (size_t)f * sizeof(int32_t));
    for (int s = 0; s < n; s++) {
        uc_leg *leg = c->slots[s];
        int16_t *row = c->frames + (size_t)s * (size_t)f;
        if (!leg || (uc_leg_next_frame(leg), !hears_leg(leg))) {
            memset(row, 0, (size_t)f * sizeof(int16_t));
            c->levels[s] = UC_MIXER_LEVEL_SILENT;
            if (leg)
                c->own_levels[s] = unheard_leg(c, leg);
            continue;
        }
        uc_leg_decode(leg, row);
        c->st.decodes++;
        c->levels[s] = c->own_levels[s] = (uint8_t)uc_audio_level(row, f);
        uc_leg_record_frame(leg, row);
        for (int i = 0; i < f; i++)
            c->acc[i] += row[i];
    }
    if (conference_clip(c))
        for (int i = 0; i < f; i++)
            c->acc[i] += c->clip_frame[i];
    if (uc_mixer_select_levels(c->mixer, c->levels, n) >= 0)
        report_talkers(c);
    report_levels(c);
    for (int s = 0; s < n; s++) {
        uc_leg *leg = c->slots[s];
        if (!leg)
            continue;
        int sends = uc_leg_sends(leg) && leg->have_remote;
        if (sends || leg->player.clip) {
            const int16_t *row = c->frames + (size_t)s * (size_t)f;
            for (int i = 0; i < f; i++) {
                int32_t v = c->acc[i] - row[i];
                c->scratch[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
            }
            uc_leg_play_frame(leg, c->scratch);
        }
        if (sends) {
            uc_leg_send_pcm(leg, c->scratch);
            c->st.own_encodes++;
        }
        uc_leg_end_tick(leg);
    }
}

void uc_conference_tick(uc_conference *c)
{
    c->st.ticks++;
    if (c->n == 0)
        return;
    if (c->cfg.naive)
        tick_naive(c);
    else
        tick_selective(c);
}
