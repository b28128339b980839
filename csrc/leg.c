#define _GNU_SOURCE /* recvmmsg/sendmmsg via udp_io.h */
#include "leg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "bridge.h"
#include "conference.h"
#include "demux.h"
#include "rtp.h"
#include "uc_errors.h"
#include "worker.h"

static uint32_t random_u32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (uint32_t)uc_monotonic_ms() * 2654435761u;
    return v;
}

/* ---- control thread ---- */

static int attach_cmd(uc_worker *w, void *a, void *b)
{
    (void)b;
    uc_leg *leg = a;
    int rc = uc_worker_add_leg(w, leg);
    if (rc < 0)
        return rc;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = leg};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, leg->fd, &ev) < 0) {
        uc_worker_remove_leg(w, leg);
        return UC_ERR_IO;
    }
    leg->worker = w;
    return UC_OK;
}

static int detach_cmd(uc_worker *w, void *a, void *b)
{
    (void)b;
    uc_leg *leg = a;
    if (leg->conference)
        uc_conference_unlink_leg(leg->conference, leg);
    if (leg->bridge)
        uc_bridge_unlink(leg->bridge);
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, leg->fd, NULL);
    uc_worker_remove_leg(w, leg);
    leg->worker = NULL;
    return UC_OK;
}

static void free_leg(uc_leg *leg)
{
    if (leg->fd >= 0)
        close(leg->fd);
    uc_audio_enc_release(&leg->enc);
    uc_audio_dec_release(&leg->dec);
    uc_jb_destroy(leg->jb);
    uc_srtp_session_destroy(leg->srtp_in);
    uc_srtp_session_destroy(leg->srtp_out);
    uc_ice_lite_destroy(leg->ice);
    uc_resampler_destroy(leg->recorder.down);
    free(leg);
}

static int make_srtp(int suite, uint32_t ssrc, const uint8_t *tx_key, const uint8_t *rx_key,
                     unsigned flags, uc_srtp_session **in, uc_srtp_session **out)
{
    *in = *out = NULL;
    if (suite == 0)
        return UC_OK;
    int klen = uc_srtp_suite_key_salt_len(suite);
    if (klen < 0)
        return klen;
    /* Outbound: our SSRC only, so libsrtp never allocates when we send. Inbound: any SSRC,
     * since the peer's is learned from its packets (libsrtp allocates once for it, after
     * the first packet that authenticates). */
    int rc = uc_srtp_session_create(out, suite, UC_SRTP_OUTBOUND, tx_key, (size_t)klen, ssrc, 0,
                                    NULL, 0, flags);
    if (rc >= 0)
        rc = uc_srtp_session_create(in, suite, UC_SRTP_INBOUND, rx_key, (size_t)klen, -1, 0,
                                    NULL, 0, flags);
    if (rc < 0) {
        uc_srtp_session_destroy(*out);
        uc_srtp_session_destroy(*in);
        *in = *out = NULL;
    }
    return rc;
}

int uc_leg_create(uc_engine *e, const uc_leg_config *cfg, uc_leg **out)
{
    if (!e || !cfg || !out)
        return UC_ERR_ARGUMENT;
    *out = NULL;
    int clock = uc_audio_codec_clock(cfg->codec);
    /* RFC 5761 section 4: with rtcp-mux, payload types 64..95 would read as RTCP. */
    if (clock < 0 || cfg->payload_type < 0 || cfg->payload_type > 127 ||
        (cfg->payload_type >= 64 && cfg->payload_type <= 95) || cfg->dtmf_payload_type < -1 ||
        cfg->dtmf_payload_type > 127 || cfg->dtmf_payload_type == cfg->payload_type ||
        (cfg->dtmf_payload_type >= 64 && cfg->dtmf_payload_type <= 95) ||
        cfg->audio_level_id < 0 || cfg->audio_level_id > 14 || cfg->worker >= e->nworkers ||
        (cfg->dtmf_clock_rate != 0 &&
         (cfg->dtmf_clock_rate < 8000 || cfg->dtmf_clock_rate > 96000 || cfg->dtmf_clock_rate % 1000 != 0)))
        return UC_ERR_ARGUMENT;
    if (e->stopped)
        return UC_ERR_STATE;
    uc_leg *leg = calloc(1, sizeof(*leg));
    if (!leg)
        return UC_ERR_NOMEM;
    leg->engine = e;
    leg->cfg = *cfg;
    leg->fd = -1;
    int tick = e->cfg.tick_ms;
    pthread_mutex_lock(&e->port_lock);
    int fd = uc_udp_bind_range(e->bind_ip, e->cfg.port_lo, e->cfg.port_hi, &e->port_cursor,
                               &leg->local_port);
    pthread_mutex_unlock(&e->port_lock);
    int rc = fd;
    if (rc < 0)
        goto fail;
    leg->fd = fd;
    leg->clock_rate = clock;
    leg->ts_per_tick = (uint32_t)(clock / 1000 * tick);
    leg->dtmf_clock = cfg->dtmf_clock_rate ? cfg->dtmf_clock_rate : clock;
    leg->dtmf_rx_clock = leg->dtmf_clock;
    leg->dtmf_per_tick = (uint32_t)(leg->dtmf_clock / 1000 * tick);
    if ((rc = uc_audio_enc_init(&leg->enc, cfg->codec, cfg->opus_bitrate, cfg->opus_complexity, tick)) < 0 ||
        (rc = uc_audio_dec_init(&leg->dec, cfg->codec, tick)) < 0)
        goto fail;
    uc_jb_config jc = {
        .clock_rate = (uint32_t)clock,
        .frame_ms = (uint32_t)tick,
        .min_delay_ms = (uint32_t)(cfg->jitter_min_ms > 0 ? cfg->jitter_min_ms : 20),
        .max_delay_ms = (uint32_t)(cfg->jitter_max_ms > 0 ? cfg->jitter_max_ms : 200),
        .capacity = 64,
        .max_payload = UC_AUDIO_MAX_PAYLOAD,
    };
    if ((rc = uc_jb_create(&jc, &leg->jb)) < 0)
        goto fail;
    leg->ssrc = cfg->ssrc ? cfg->ssrc : random_u32();
    /* RFC 3550 5.1: random initial sequence number and timestamp. The sequence number is
     * drawn from the lower half: an SRTP receiver takes ROC = 0 at the first packet it
     * sees (RFC 3711 3.3.1) and tracks it from there, so if we wrapped past 65535 before
     * that packet (we send from the answer on; a peer may start listening seconds later)
     * it is one roll-over behind for good and every packet fails authentication. From
     * below 2^15 a receiver may miss up to 2^15 packets (11 minutes at 20 ms) and still
     * be right. */
    leg->seq = (uint16_t)(random_u32() & 0x7fffu);
    leg->ts = random_u32();
    leg->marker_next = 1;
    leg->frame_level = -1;
    leg->last_level = UC_RTP_AUDIO_LEVEL_MAX;
    if ((rc = make_srtp(cfg->srtp_suite, leg->ssrc, cfg->srtp_tx_key, cfg->srtp_rx_key,
                        cfg->srtp_flags, &leg->srtp_in, &leg->srtp_out)) < 0)
        goto fail;
    char cname[UC_RTCP_CNAME_MAX + 1];
    snprintf(cname, sizeof(cname), "ucserver-%08x", leg->ssrc);
    uc_rtcp_session_init(&leg->rtcp, leg->ssrc, (uint32_t)clock, cfg->rtcp_interval_ms, cname,
                         random_u32(), uc_monotonic_ms());
    int wi = cfg->worker >= 0 ? cfg->worker : uc_engine_pick_worker(e);
    if ((rc = uc_worker_call(&e->workers[wi], attach_cmd, leg, NULL)) < 0)
        goto fail;
    *out = leg;
    return UC_OK;
fail:
    free_leg(leg);
    return rc;
}

void uc_leg_destroy(uc_leg *leg)
{
    if (!leg)
        return;
    if (leg->worker)
        uc_worker_call(leg->worker, detach_cmd, leg, NULL);
    free_leg(leg);
}

int uc_leg_local_port(const uc_leg *leg) { return leg->local_port; }
int uc_leg_worker_index(const uc_leg *leg) { return leg->worker ? leg->worker->index : -1; }
uint32_t uc_leg_ssrc(const uc_leg *leg) { return leg->ssrc; }

static int move_detach_cmd(uc_worker *w, void *a, void *b)
{
    (void)b;
    uc_leg *leg = a;
    if (leg->conference || leg->bridge)
        return UC_ERR_STATE;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, leg->fd, NULL);
    uc_worker_remove_leg(w, leg);
    leg->worker = NULL;
    return UC_OK;
}

int uc_leg_move(uc_leg *leg, uc_worker *to)
{
    if (leg->worker == to)
        return UC_OK;
    int rc = uc_worker_call(leg->worker, move_detach_cmd, leg, NULL);
    if (rc < 0)
        return rc;
    return uc_worker_call(to, attach_cmd, leg, NULL);
}

static int set_remote_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    leg->remote = *(struct sockaddr_storage *)b;
    leg->have_remote = 1;
    leg->relay_have_offset = 0;
    return UC_OK;
}

int uc_leg_set_remote(uc_leg *leg, const char *ip, int port)
{
    struct sockaddr_storage addr;
    int rc = uc_udp_make_addr(ip, port, &addr);
    if (rc < 0 || port == 0)
        return UC_ERR_ARGUMENT;
    if (!leg->worker)
        return UC_ERR_STATE;
    return uc_worker_call(leg->worker, set_remote_cmd, leg, &addr);
}

typedef struct srtp_pair {
    uc_srtp_session *in, *out;
} srtp_pair;

static int swap_srtp_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    srtp_pair *p = b;
    uc_srtp_session *in = leg->srtp_in, *out = leg->srtp_out;
    leg->srtp_in = p->in;
    leg->srtp_out = p->out;
    p->in = in;
    p->out = out;
    return UC_OK;
}

int uc_leg_set_srtp(uc_leg *leg, int suite, const uint8_t *tx_key, const uint8_t *rx_key,
                    unsigned flags)
{
    if (!leg->worker)
        return UC_ERR_STATE;
    srtp_pair p;
    int rc = make_srtp(suite, leg->ssrc, tx_key, rx_key, flags, &p.in, &p.out);
    if (rc < 0)
        return rc;
    rc = uc_worker_call(leg->worker, swap_srtp_cmd, leg, &p);
    /* p now holds the sessions the worker no longer uses. */
    uc_srtp_session_destroy(p.in);
    uc_srtp_session_destroy(p.out);
    return rc;
}

static int swap_ice_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    uc_ice_lite **other = b;
    uc_ice_lite *old = leg->ice;
    leg->ice = *other;
    leg->ice_state = UC_ICE_LITE_WAITING;
    *other = old;
    return UC_OK;
}

int uc_leg_set_ice(uc_leg *leg, const char *local_ufrag, size_t local_ufrag_len,
                   const char *local_pwd, size_t local_pwd_len, const char *remote_ufrag,
                   size_t remote_ufrag_len, const char *remote_pwd, size_t remote_pwd_len)
{
    if (!leg->worker)
        return UC_ERR_STATE;
    uc_ice_lite *ice = NULL;
    int rc = uc_ice_lite_create(&ice, local_ufrag, local_ufrag_len, local_pwd, local_pwd_len,
                                remote_ufrag, remote_ufrag_len, remote_pwd, remote_pwd_len);
    if (rc < 0)
        return rc;
    rc = uc_worker_call(leg->worker, swap_ice_cmd, leg, &ice);
    uc_ice_lite_destroy(ice); /* the one the worker no longer uses */
    return rc;
}

typedef struct codec_swap {
    int codec, payload_type, dtmf_payload_type, audio_level_id;
    uc_audio_enc enc;
    uc_audio_dec dec;
    uc_jitter *jb;
} codec_swap;

static int swap_codec_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    codec_swap *x = b;
    if (leg->conference || leg->bridge)
        return UC_ERR_STATE;
    uc_audio_enc enc = leg->enc;
    uc_audio_dec dec = leg->dec;
    uc_jitter *jb = leg->jb;
    leg->enc = x->enc;
    leg->dec = x->dec;
    leg->jb = x->jb;
    x->enc = enc;
    x->dec = dec;
    x->jb = jb;
    leg->cfg.codec = x->codec;
    leg->cfg.payload_type = x->payload_type;
    leg->cfg.dtmf_payload_type = x->dtmf_payload_type;
    leg->cfg.audio_level_id = x->audio_level_id;
    leg->clock_rate = uc_audio_codec_clock(x->codec);
    leg->ts_per_tick = (uint32_t)(leg->clock_rate / 1000 * leg->engine->cfg.tick_ms);
    leg->dtmf_clock = leg->clock_rate;
    leg->dtmf_rx_clock = leg->clock_rate;
    leg->dtmf_rx_have_first = 0;
    leg->dtmf_per_tick = leg->ts_per_tick;
    leg->rtcp.clock_rate = (uint32_t)leg->clock_rate;
    leg->rtcp.have_remote = 0;
    leg->pcm_len = leg->pcm_pos = 0;
    leg->have_levels = 0;
    memset(leg->levels, 0, sizeof(leg->levels));
    leg->marker_next = 1;
    return UC_OK;
}

int uc_leg_set_codec(uc_leg *leg, int codec, int payload_type, int dtmf_payload_type,
                     int audio_level_id)
{
    int clock = uc_audio_codec_clock(codec);
    if (clock < 0 || payload_type < 0 || payload_type > 127 || (payload_type >= 64 && payload_type <= 95) ||
        dtmf_payload_type < -1 || dtmf_payload_type > 127 || dtmf_payload_type == payload_type ||
        (dtmf_payload_type >= 64 && dtmf_payload_type <= 95) || audio_level_id < 0 || audio_level_id > 14)
        return UC_ERR_ARGUMENT;
    if (!leg->worker)
        return UC_ERR_STATE;
    codec_swap x;
    memset(&x, 0, sizeof(x));
    x.codec = codec;
    x.payload_type = payload_type;
    x.dtmf_payload_type = dtmf_payload_type;
    x.audio_level_id = audio_level_id;
    int tick = leg->engine->cfg.tick_ms;
    uc_jb_config jc = {
        .clock_rate = (uint32_t)clock,
        .frame_ms = (uint32_t)tick,
        .min_delay_ms = (uint32_t)(leg->cfg.jitter_min_ms > 0 ? leg->cfg.jitter_min_ms : 20),
        .max_delay_ms = (uint32_t)(leg->cfg.jitter_max_ms > 0 ? leg->cfg.jitter_max_ms : 200),
        .capacity = 64,
        .max_payload = UC_AUDIO_MAX_PAYLOAD,
    };
    int rc;
    if ((rc = uc_audio_enc_init(&x.enc, codec, leg->cfg.opus_bitrate, leg->cfg.opus_complexity, tick)) < 0)
        return rc;
    if ((rc = uc_audio_dec_init(&x.dec, codec, tick)) < 0 || (rc = uc_jb_create(&jc, &x.jb)) < 0) {
        uc_audio_enc_release(&x.enc);
        uc_audio_dec_release(&x.dec);
        return rc;
    }
    rc = uc_worker_call(leg->worker, swap_codec_cmd, leg, &x);
    /* x holds whichever set the worker does not use now. */
    uc_audio_enc_release(&x.enc);
    uc_audio_dec_release(&x.dec);
    uc_jb_destroy(x.jb);
    return rc;
}

static int set_direction_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    int was_sending = uc_leg_sends(leg);
    leg->direction = *(int *)b;
    if (!was_sending && uc_leg_sends(leg))
        leg->marker_next = 1; /* a talkspurt starts again (RFC 3551 section 4.1) */
    return UC_OK;
}

int uc_leg_set_direction(uc_leg *leg, int direction)
{
    if (direction < UC_DIR_SENDRECV || direction > UC_DIR_INACTIVE)
        return UC_ERR_ARGUMENT;
    if (!leg->worker)
        return UC_ERR_STATE;
    return uc_worker_call(leg->worker, set_direction_cmd, leg, &direction);
}

static int set_mute_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    ((uc_leg *)a)->muted = *(int *)b;
    return UC_OK;
}

int uc_leg_set_mute(uc_leg *leg, int muted)
{
    if (!leg->worker)
        return UC_ERR_STATE;
    muted = muted != 0;
    return uc_worker_call(leg->worker, set_mute_cmd, leg, &muted);
}

static int dtmf_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    const int *args = b;
    return uc_dtmf_sender_start(&leg->dtmf_tx, args[0], (uint32_t)args[1], 10, leg->ts);
}

int uc_leg_send_dtmf(uc_leg *leg, char digit, int duration_ms)
{
    int event = uc_dtmf_char_event(digit);
    if (event < 0 || duration_ms < 10 || duration_ms > 8000)
        return UC_ERR_ARGUMENT;
    if (!leg->worker || leg->cfg.dtmf_payload_type < 0)
        return UC_ERR_STATE;
    int args[2] = {event, (int)((int64_t)duration_ms * leg->dtmf_clock / 1000)};
    if (args[1] > 65535)
        return UC_ERR_ARGUMENT;
    return uc_worker_call(leg->worker, dtmf_cmd, leg, args);
}

static int set_dtmf_clock_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    int rate = *(int *)b;
    if (leg->dtmf_tx.active)
        return UC_ERR_STATE;
    leg->dtmf_clock = rate ? rate : leg->clock_rate;
    leg->dtmf_rx_clock = leg->dtmf_clock;
    leg->dtmf_per_tick = (uint32_t)(leg->dtmf_clock / 1000 * leg->engine->cfg.tick_ms);
    return UC_OK;
}

int uc_leg_set_dtmf_clock(uc_leg *leg, int rate)
{
    if (rate != 0 && (rate < 8000 || rate > 96000 || rate % 1000 != 0))
        return UC_ERR_ARGUMENT;
    if (!leg->worker)
        return UC_ERR_STATE;
    return uc_worker_call(leg->worker, set_dtmf_clock_cmd, leg, &rate);
}

/* ---- prompts and recording ---- */

void uc_emit_media_end(uc_worker *w, int type, uint32_t object_id, int reason, uint32_t id,
                       uint32_t handle, uint32_t samples)
{
    uc_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = (uint16_t)type;
    ev.object_id = object_id;
    ev.code = reason;
    ev.value = id;
    ev.handle = handle;
    ev.samples = samples;
    uc_worker_emit(w, &ev);
}

static uint32_t played_samples(const uc_player *p)
{
    uint64_t n = (uint64_t)p->passes * (p->clip ? p->clip->samples : 0) + p->pos;
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static void end_playback(uc_leg *leg, int reason)
{
    if (!leg->player.clip)
        return;
    uc_emit_media_end(leg->worker, UC_EV_PLAYBACK_FINISHED, leg->cfg.id, reason, leg->player.id,
                      leg->player.handle, played_samples(&leg->player));
    leg->player.clip = NULL;
}

static void end_recording(uc_leg *leg, int reason)
{
    if (!leg->recorder.buf)
        return;
    uc_emit_media_end(leg->worker, UC_EV_RECORDING_FINISHED, leg->cfg.id, reason, leg->recorder.id,
                      leg->recorder.handle, leg->recorder.len);
    leg->recorder.buf = NULL;
}

void uc_leg_end_media(uc_leg *leg, int reason)
{
    end_playback(leg, reason);
    end_recording(leg, reason);
}

static int play_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    const uc_player *next = b;
    if (leg->bridge)
        return UC_ERR_STATE;
    end_playback(leg, UC_END_REPLACED);
    leg->player = *next;
    return UC_OK;
}

int uc_leg_play(uc_leg *leg, const uc_clip *clip, uint32_t id, uint32_t handle, int loop)
{
    if (!clip || !clip->pcm || clip->samples == 0)
        return UC_ERR_ARGUMENT;
    if (!leg->worker)
        return UC_ERR_STATE;
    uc_player p = {.clip = clip, .id = id, .handle = handle, .loop = loop != 0};
    return uc_worker_call(leg->worker, play_cmd, leg, &p);
}

static int stop_playback_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    (void)b;
    uc_leg *leg = a;
    int was = leg->player.clip != NULL;
    end_playback(leg, UC_END_STOPPED);
    return was;
}

int uc_leg_stop_playback(uc_leg *leg)
{
    if (!leg->worker)
        return UC_ERR_STATE;
    return uc_worker_call(leg->worker, stop_playback_cmd, leg, NULL);
}

static int record_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    uc_leg *leg = a;
    uc_recorder *next = b;
    if (leg->bridge || leg->recorder.buf)
        return UC_ERR_STATE;
    uc_resampler *old = leg->recorder.down;
    leg->recorder = *next;
    next->down = old; /* the control thread frees the previous recording's resampler */
    return UC_OK;
}

int uc_leg_record(uc_leg *leg, int16_t *buf, uint32_t capacity, int rate, uint32_t id,
                  uint32_t handle)
{
    if (!buf || capacity == 0 || capacity > UC_CLIP_MAX_SAMPLES ||
        (rate != 8000 && rate != 16000 && rate != UC_MIX_RATE))
        return UC_ERR_ARGUMENT;
    if (!leg->worker)
        return UC_ERR_STATE;
    uc_recorder r = {.buf = buf, .capacity = capacity, .id = id, .handle = handle, .rate = rate};
    if (rate != UC_MIX_RATE) {
        int rc = uc_resampler_create(&r.down, 1, UC_MIX_RATE, rate, UC_RESAMPLER_QUALITY_VOIP);
        if (rc < 0)
            return rc;
    }
    int rc = uc_worker_call(leg->worker, record_cmd, leg, &r);
    uc_resampler_destroy(r.down); /* the new one on failure, else the previous one */
    return rc;
}

static int stop_recording_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    (void)b;
    uc_leg *leg = a;
    if (!leg->recorder.buf)
        return UC_ERR_STATE;
    int n = (int)leg->recorder.len;
    end_recording(leg, UC_END_STOPPED);
    return n;
}

int uc_leg_stop_recording(uc_leg *leg)
{
    if (!leg->worker)
        return UC_ERR_STATE;
    return uc_worker_call(leg->worker, stop_recording_cmd, leg, NULL);
}

int uc_leg_play_frame(uc_leg *leg, int16_t *pcm48)
{
    int r = uc_player_mix(&leg->player, pcm48, leg->dec.frame48);
    if (r == 2)
        end_playback(leg, UC_END_COMPLETED);
    return r;
}

void uc_leg_record_frame(uc_leg *leg, const int16_t *pcm48)
{
    if (uc_recorder_write(&leg->recorder, pcm48, leg->dec.frame48))
        end_recording(leg, UC_END_COMPLETED);
}

static void fill_stats(uc_leg *leg, uc_leg_stats *out)
{
    *out = leg->st;
    uc_jb_stats js;
    uc_jb_get_stats(leg->jb, &js);
    out->jitter_late = js.packets_late;
    out->jitter_discarded = js.packets_discarded;
    const uc_rtcp_session *r = &leg->rtcp;
    if (r->have_remote) {
        out->remote_ssrc = r->remote.ssrc;
        out->expected = uc_rtp_stats_expected(&r->remote);
        out->lost = uc_rtp_stats_lost(&r->remote);
        out->jitter_ms = r->remote.jitter * 1000.0 / leg->clock_rate;
    }
    out->have_peer_report = r->have_peer_report;
    out->peer_fraction_lost = r->peer_fraction_lost / 256.0;
    out->peer_cumulative_lost = r->peer_cumulative_lost;
    out->peer_jitter_ms = r->peer_jitter * 1000.0 / leg->clock_rate;
    out->rtt_ms = r->have_rtt ? r->rtt_q16 * 1000.0 / 65536.0 : -1.0;
    out->local_ssrc = leg->ssrc;
    out->remote_known = leg->have_remote;
    out->last_level = leg->last_level;
    out->ice_state = leg->ice ? leg->ice_state : -1;
}

static int stats_cmd(uc_worker *w, void *a, void *b)
{
    (void)w;
    fill_stats(a, b);
    return UC_OK;
}

int uc_leg_get_stats(uc_leg *leg, uc_leg_stats *out)
{
    if (!leg->worker) {
        fill_stats(leg, out);
        return UC_OK;
    }
    return uc_worker_call(leg->worker, stats_cmd, leg, out);
}

/* ---- worker: receive path ---- */

int uc_leg_receives(const uc_leg *leg)
{
    return leg->direction == UC_DIR_SENDRECV || leg->direction == UC_DIR_RECVONLY;
}

int uc_leg_sends(const uc_leg *leg)
{
    /* RFC 7675 section 5.1: no media once the selected pair has lost consent. */
    return (leg->direction == UC_DIR_SENDRECV || leg->direction == UC_DIR_SENDONLY) &&
           leg->ice_state != UC_ICE_LITE_EXPIRED;
}

static int count_srtp_failure(uc_leg *leg, int rc)
{
    if (rc == UC_ERR_SRTP_AUTH)
        leg->st.auth_failed++;
    else if (rc == UC_ERR_SRTP_REPLAY)
        leg->st.replayed++;
    else if (rc == UC_ERR_TRUNCATED || rc == UC_ERR_MALFORMED)
        leg->st.malformed++;
    else
        leg->st.srtp_errors++;
    return rc;
}

/* Plain RTP is accepted only from the remote address once it is known (RFC 4961
 * symmetric RTP; anything else could inject media). With SRTP the key authenticates the
 * sender, so packets from other addresses are accepted (not re-latched): peers that send
 * from one port and receive on another (ffmpeg) work. */
static int source_ok(uc_leg *leg, const struct sockaddr_storage *from)
{
    if (!leg->have_remote || leg->srtp_in || uc_udp_addr_equal(from, &leg->remote))
        return 1;
    leg->st.wrong_source++;
    return 0;
}

static void latch(uc_leg *leg, const struct sockaddr_storage *from)
{
    leg->remote = *from;
    leg->have_remote = 1;
    uc_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = UC_EV_REMOTE_LATCHED;
    ev.object_id = leg->cfg.id;
    ev.addr = *from;
    uc_worker_emit(leg->worker, &ev);
}

/* At the end of an event whose first packet we saw: which clock did the peer count its
 * duration in? The sender paces its packets in real time, so the duration grew by about
 * the time that passed between them. Decided only over 40 ms or more (back-to-back
 * packets say nothing), and kept for later events. */
static void learn_dtmf_clock(uc_leg *leg, uint32_t end_duration)
{
    int64_t elapsed = leg->worker->now_ms - leg->dtmf_rx_first_ms;
    if (elapsed < 40 || end_duration <= leg->dtmf_rx_first_duration)
        return;
    double grew = (double)(end_duration - leg->dtmf_rx_first_duration) * 1000.0;
    double as_declared = grew / leg->dtmf_clock - (double)elapsed;
    double as_audio = grew / leg->clock_rate - (double)elapsed;
    leg->dtmf_rx_clock = (as_audio < 0 ? -as_audio : as_audio) < (as_declared < 0 ? -as_declared : as_declared)
                             ? leg->clock_rate
                             : leg->dtmf_clock;
}

static void on_dtmf(uc_leg *leg, const uc_rtp_packet *p, const uint8_t *buf)
{
    uc_dtmf_payload d;
    if (uc_dtmf_parse(buf + p->payload_offset, p->payload_length, &d) < 0) {
        leg->st.malformed++;
        return;
    }
    if (leg->relay_peer) {
        if (!leg->muted && leg->relay_peer->cfg.dtmf_payload_type >= 0)
            uc_leg_forward(leg->relay_peer, leg->relay_peer->cfg.dtmf_payload_type, p->marker,
                           p->timestamp, buf + p->payload_offset, p->payload_length);
        return;
    }
    if (!d.end && (!leg->dtmf_rx_have_first || leg->dtmf_rx_ts != p->timestamp)) {
        leg->dtmf_rx_have_first = 1;
        leg->dtmf_rx_ts = p->timestamp;
        leg->dtmf_rx_first_duration = d.duration;
        leg->dtmf_rx_first_ms = leg->worker->now_ms;
    }
    int event;
    uint32_t duration;
    if (uc_dtmf_receive(&leg->dtmf_rx, p->timestamp, &d, &event, &duration)) {
        if (leg->dtmf_clock != leg->clock_rate && leg->dtmf_rx_have_first && leg->dtmf_rx_ts == p->timestamp)
            learn_dtmf_clock(leg, duration);
        leg->st.dtmf_received++;
        uc_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = UC_EV_DTMF;
        ev.object_id = leg->cfg.id;
        ev.code = event;
        ev.value = (uint32_t)((uint64_t)duration * 1000u / (uint32_t)leg->dtmf_rx_clock);
        uc_worker_emit(leg->worker, &ev);
    }
}

static void remember_level(uc_leg *leg, const uint8_t *buf, const uc_rtp_packet *p)
{
    uc_rtp_ext_element el;
    int voice;
    uint8_t level;
    if (uc_rtp_ext_find(buf, p, (uint8_t)leg->cfg.audio_level_id, &el) != 1 ||
        uc_rtp_audio_level_read(buf + el.offset, el.length, &voice, &level) < 0)
        return;
    uc_leg_level_slot *s = &leg->levels[p->sequence_number % UC_LEG_LEVEL_RING];
    s->seq = p->sequence_number;
    s->level = level;
    s->valid = 1;
    leg->have_levels = 1;
    leg->last_level = level;
}

static void on_rtp(uc_leg *leg, uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
    if (!source_ok(leg, from))
        return;
    if (leg->srtp_in) {
        int rc = uc_srtp_unprotect_rtp(leg->srtp_in, buf, len);
        if (rc < 0) {
            count_srtp_failure(leg, rc);
            return;
        }
        len = (size_t)rc;
    }
    uc_rtp_packet p;
    if (uc_rtp_parse(buf, len, &p) < 0) {
        leg->st.malformed++;
        return;
    }
    if (!leg->have_remote)
        latch(leg, from);
    if (!uc_leg_receives(leg)) {
        leg->st.dropped_direction++;
        return;
    }
    if (leg->cfg.dtmf_payload_type >= 0 && p.payload_type == leg->cfg.dtmf_payload_type) {
        leg->st.rtp_received++;
        on_dtmf(leg, &p, buf);
        return;
    }
    if (p.payload_type != leg->cfg.payload_type) {
        leg->st.wrong_payload_type++;
        return;
    }
    leg->st.rtp_received++;
    uc_rtcp_session_on_rtp(&leg->rtcp, p.ssrc, p.sequence_number, p.timestamp, leg->worker->now_ms);
    if (leg->relay_peer) {
        if (!leg->muted) {
            uc_leg_forward(leg->relay_peer, leg->relay_peer->cfg.payload_type, p.marker, p.timestamp,
                           buf + p.payload_offset, p.payload_length);
            leg->st.relayed++;
        }
        return;
    }
    if (leg->cfg.audio_level_id && p.extension)
        remember_level(leg, buf, &p);
    if (p.payload_length == 0)
        return;
    int outcome = uc_jb_put(leg->jb, buf + p.payload_offset, p.payload_length, p.sequence_number,
                            p.timestamp, p.ssrc, p.marker, leg->worker->now_ms);
    if (outcome < 0)
        leg->st.malformed++; /* payload larger than any codec frame we accept */
}

static void on_rtcp(uc_leg *leg, uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
    if (!source_ok(leg, from))
        return;
    if (leg->srtp_in) {
        int rc = uc_srtp_unprotect_rtcp(leg->srtp_in, buf, len);
        if (rc < 0) {
            count_srtp_failure(leg, rc);
            return;
        }
        len = (size_t)rc;
    }
    if (uc_rtcp_session_receive(&leg->rtcp, buf, len, leg->worker->now_ntp) < 0) {
        leg->st.malformed++;
        return;
    }
    leg->st.rtcp_received++;
}

static void emit_ice_state(uc_leg *leg)
{
    uc_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = UC_EV_ICE_STATE;
    ev.object_id = leg->cfg.id;
    ev.code = leg->ice_state;
    socklen_t alen = sizeof(ev.addr);
    if (!uc_ice_lite_selected(leg->ice, (struct sockaddr *)&ev.addr, &alen))
        memset(&ev.addr, 0, sizeof(ev.addr));
    uc_worker_emit(leg->worker, &ev);
}

static void on_stun(uc_leg *leg, const uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
    leg->st.stun_received++;
    if (!leg->ice)
        return;
    uc_worker *w = leg->worker;
    socklen_t flen = from->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    uint8_t *out = uc_txq_next(&w->txq);
    unsigned events = 0;
    int n = uc_ice_lite_handle(leg->ice, buf, len, (const struct sockaddr *)from, flen, w->now_ms, out,
                               UC_UDP_MAX_PACKET, &events);
    if (n > 0) {
        uc_txq_commit(&w->txq, leg->fd, from, (size_t)n);
        leg->st.stun_answered++;
    }
    if (events & UC_ICE_LITE_EV_SELECTED) {
        socklen_t alen = sizeof(leg->remote);
        if (uc_ice_lite_selected(leg->ice, (struct sockaddr *)&leg->remote, &alen)) {
            leg->have_remote = 1; /* media follows the nominated pair */
            leg->relay_have_offset = 0;
        }
    }
    int state = uc_ice_lite_state(leg->ice, w->now_ms);
    if (state != leg->ice_state || (events & UC_ICE_LITE_EV_SELECTED)) {
        if (state != UC_ICE_LITE_EXPIRED && leg->ice_state == UC_ICE_LITE_EXPIRED)
            leg->marker_next = 1;
        leg->ice_state = state;
        emit_ice_state(leg);
    }
}

void uc_leg_on_datagram(uc_leg *leg, uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
    leg->st.packets_received++;
    leg->st.bytes_received += len;
    switch (uc_demux_classify(buf, len)) {
    case UC_DEMUX_RTP:
        on_rtp(leg, buf, len, from);
        break;
    case UC_DEMUX_RTCP:
        on_rtcp(leg, buf, len, from);
        break;
    case UC_DEMUX_STUN:
        on_stun(leg, buf, len, from);
        break;
    case UC_DEMUX_DTLS:
        /* DTLS-SRTP is not implemented: SDES keys only. */
        leg->st.dtls_dropped++;
        break;
    default:
        leg->st.unknown_dropped++;
        break;
    }
}

/* ---- worker: tick path ---- */

void uc_leg_next_frame(uc_leg *leg)
{
    uc_jb_get(leg->jb, leg->worker->now_ms, &leg->frame);
    switch (leg->frame.action) {
    case UC_JB_PLAY: {
        const uc_leg_level_slot *s = &leg->levels[leg->frame.seq % UC_LEG_LEVEL_RING];
        leg->frame_level = s->valid && s->seq == leg->frame.seq ? s->level : -1;
        break;
    }
    case UC_JB_SILENCE:
        leg->frame_level = UC_RTP_AUDIO_LEVEL_MAX;
        break;
    default: /* CONCEAL, CONTINUE: the packet's level lasts */
        leg->frame_level = leg->have_levels ? leg->last_level : -1;
        break;
    }
}

static void copy_tick(uc_leg *leg, int16_t *out, int frame)
{
    int avail = leg->pcm_len - leg->pcm_pos;
    if (avail < 0)
        avail = 0;
    int take = avail < frame ? avail : frame;
    memcpy(out, leg->pcm + leg->pcm_pos, (size_t)take * sizeof(int16_t));
    memset(out + take, 0, (size_t)(frame - take) * sizeof(int16_t));
    leg->pcm_pos += frame;
}

void uc_leg_decode(uc_leg *leg, int16_t *pcm48)
{
    int frame = leg->dec.frame48;
    switch (leg->frame.action) {
    case UC_JB_PLAY: {
        int n = uc_audio_dec_decode(&leg->dec, leg->frame.payload, (int)leg->frame.len, leg->pcm);
        if (n < 0) {
            leg->st.decode_errors++;
            n = 0;
        } else {
            leg->st.decodes++;
        }
        leg->pcm_len = n;
        leg->pcm_pos = 0;
        copy_tick(leg, pcm48, frame);
        break;
    }
    case UC_JB_CONTINUE:
        copy_tick(leg, pcm48, frame);
        break;
    case UC_JB_CONCEAL:
        memcpy(pcm48, leg->last_tick, (size_t)frame * sizeof(int16_t));
        if (uc_audio_dec_conceal(&leg->dec, pcm48) < 0)
            memset(pcm48, 0, (size_t)frame * sizeof(int16_t));
        leg->st.concealed_ticks++;
        break;
    default:
        memset(pcm48, 0, (size_t)frame * sizeof(int16_t));
        break;
    }
    memcpy(leg->last_tick, pcm48, (size_t)frame * sizeof(int16_t));
}

static void emit_rtp(uc_leg *leg, int pt, int marker, uint32_t ts, const uint8_t *payload, size_t len)
{
    if (!leg->have_remote)
        return;
    uc_txq *q = &leg->worker->txq;
    uint8_t *buf = uc_txq_next(q);
    uc_rtp_packet h;
    memset(&h, 0, sizeof(h));
    h.marker = (uint8_t)(marker != 0);
    h.payload_type = (uint8_t)pt;
    h.sequence_number = leg->seq++;
    h.timestamp = ts;
    h.ssrc = leg->ssrc;
    int hl = uc_rtp_write_header(buf, UC_UDP_MAX_PACKET, &h);
    if (hl < 0 || (size_t)hl + len + UC_SRTP_MAX_OVERHEAD > UC_UDP_MAX_PACKET)
        return;
    memcpy(buf + hl, payload, len);
    int total = hl + (int)len;
    if (leg->srtp_out) {
        total = uc_srtp_protect_rtp(leg->srtp_out, buf, (size_t)total, UC_UDP_MAX_PACKET);
        if (total < 0) {
            leg->st.srtp_errors++;
            return;
        }
    }
    uc_txq_commit(q, leg->fd, &leg->remote, (size_t)total);
    leg->st.packets_sent++;
    leg->st.bytes_sent += (uint64_t)total;
    uc_rtcp_session_on_sent(&leg->rtcp, len);
}

int uc_leg_dtmf_active(const uc_leg *leg)
{
    return leg->dtmf_tx.active;
}

static int send_dtmf_packet(uc_leg *leg)
{
    uc_dtmf_payload d;
    int marker;
    uint32_t ts;
    if (!uc_dtmf_sender_next(&leg->dtmf_tx, leg->dtmf_per_tick, &d, &marker, &ts))
        return 0;
    uint8_t b[UC_DTMF_PAYLOAD_SIZE];
    uc_dtmf_write(b, &d);
    emit_rtp(leg, leg->cfg.dtmf_payload_type, marker, ts, b, sizeof(b));
    leg->st.dtmf_sent++;
    if (!leg->dtmf_tx.active)
        leg->marker_next = 1;
    return 1;
}

void uc_leg_send_payload(uc_leg *leg, const uint8_t *payload, int len)
{
    if (!uc_leg_sends(leg) || send_dtmf_packet(leg) || len <= 0)
        return;
    emit_rtp(leg, leg->cfg.payload_type, leg->marker_next, leg->ts, payload, (size_t)len);
    leg->marker_next = 0;
}

void uc_leg_send_pcm(uc_leg *leg, const int16_t *pcm48)
{
    if (!uc_leg_sends(leg) || send_dtmf_packet(leg) || !leg->have_remote)
        return;
    uint8_t payload[UC_AUDIO_MAX_PAYLOAD];
    int n = uc_audio_enc_encode(&leg->enc, pcm48, payload, (int)sizeof(payload));
    if (n <= 0)
        return;
    leg->st.encodes++;
    emit_rtp(leg, leg->cfg.payload_type, leg->marker_next, leg->ts, payload, (size_t)n);
    leg->marker_next = 0;
}

void uc_leg_forward(uc_leg *leg, int payload_type, int marker, uint32_t timestamp,
                    const uint8_t *payload, size_t len)
{
    if (!uc_leg_sends(leg))
        return;
    if (!leg->relay_have_offset) {
        leg->relay_ts_offset = leg->ts - timestamp;
        leg->relay_have_offset = 1;
    }
    emit_rtp(leg, payload_type, marker, timestamp + leg->relay_ts_offset, payload, len);
}

static void emit_stats(uc_leg *leg)
{
    uc_leg_stats s;
    fill_stats(leg, &s);
    uc_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = UC_EV_LEG_STATS;
    ev.object_id = leg->cfg.id;
    ev.packets_received = s.rtp_received;
    ev.packets_lost = s.lost;
    ev.packets_sent = s.packets_sent;
    ev.jitter_ms = (float)s.jitter_ms;
    ev.rtt_ms = (float)s.rtt_ms;
    ev.fraction_lost = s.have_peer_report ? (float)s.peer_fraction_lost : -1.0f;
    uc_worker_emit(leg->worker, &ev);
}

void uc_leg_end_tick(uc_leg *leg)
{
    leg->ts += leg->ts_per_tick;
    uc_worker *w = leg->worker;
    if (leg->ice) {
        int state = uc_ice_lite_state(leg->ice, w->now_ms);
        if (state != leg->ice_state) {
            leg->ice_state = state;
            emit_ice_state(leg);
        }
    }
    if (!leg->have_remote || leg->ice_state == UC_ICE_LITE_EXPIRED ||
        !uc_rtcp_session_due(&leg->rtcp, w->now_ms))
        return;
    uint8_t *buf = uc_txq_next(&w->txq);
    int n = uc_rtcp_session_build(&leg->rtcp, w->now_ms, w->now_ntp, leg->ts, buf,
                                  UC_UDP_MAX_PACKET - UC_SRTP_MAX_OVERHEAD);
    if (n < 0)
        return;
    if (leg->srtp_out) {
        n = uc_srtp_protect_rtcp(leg->srtp_out, buf, (size_t)n, UC_UDP_MAX_PACKET);
        if (n < 0) {
            leg->st.srtp_errors++;
            return;
        }
    }
    uc_txq_commit(&w->txq, leg->fd, &leg->remote, (size_t)n);
    leg->st.rtcp_sent++;
    emit_stats(leg);
}

void uc_leg_idle_tick(uc_leg *leg)
{
    uc_leg_next_frame(leg);
    int frame = leg->dec.frame48;
    int16_t pcm[UC_AUDIO_PCM_MAX];
    if (leg->recorder.buf) {
        if (uc_leg_receives(leg))
            uc_leg_decode(leg, pcm);
        else
            memset(pcm, 0, (size_t)frame * sizeof(int16_t));
        uc_leg_record_frame(leg, pcm);
    }
    if (leg->player.clip) {
        /* A leg on its own (auto attendant, lobby) hears just its clip. */
        memset(pcm, 0, (size_t)frame * sizeof(int16_t));
        uc_leg_play_frame(leg, pcm);
        uc_leg_send_pcm(leg, pcm);
    } else {
        if (uc_leg_dtmf_active(leg))
            uc_leg_send_payload(leg, NULL, 0);
        leg->marker_next = 1; /* audio resumes with a new talkspurt (RFC 3551 4.1) */
    }
    uc_leg_end_tick(leg);
}
