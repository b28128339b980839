/* A leg: one endpoint's RTP session on one UDP socket (RTP, RTCP, STUN and DTLS muxed).
 *
 * Receive path (worker, per datagram): RFC 7983 demux; plain RTP and RTCP must come from
 * the remote address once it is known (else counted `wrong_source`; with SRTP the key
 * authenticates the sender, so the address is not checked); SRTP/SRTCP unprotect
 * (failures counted `auth_failed` / `replayed` / `srtp_errors`); the first valid packet
 * latches the remote address when none was set (symmetric RTP, RFC 4961); telephone-event
 * payloads go to the RFC 4733 receiver; audio payloads into the jitter buffer, with the
 * RFC 6464 level of each packet remembered by sequence number; RTCP to the RTCP session.
 * In a relay bridge, audio is forwarded at once instead (re-encrypted only).
 * STUN goes to the leg's ICE-lite responder (ice_lite.h) once uc_leg_set_ice gave it
 * credentials: its answer leaves from the same socket, and a nominated pair becomes the
 * remote address (media follows ICE); when the selected pair's consent expires (RFC 7675,
 * 30 s without a valid check) the leg stops sending until a check restores it. Without
 * ICE credentials STUN is counted and dropped. DTLS is counted and dropped (DTLS-SRTP is
 * not part of this engine yet: SDES keys only).
 *
 * Tick path (worker, per tick, called by the conference / bridge / idle loop):
 * uc_leg_next_frame takes this tick's instruction from the jitter buffer, uc_leg_decode
 * turns it into 48 kHz PCM (decode, continue a longer packet, conceal, or silence),
 * uc_leg_send_pcm / uc_leg_send_payload packetize (own SSRC, sequence, timestamp),
 * protect and queue a packet (or the pending DTMF packet instead), uc_leg_end_tick
 * advances the timestamp and sends RTCP when due. A leg's own clip (uc_leg_play) is added
 * to what it hears, or sent on its own by the idle tick; a recording (uc_leg_record) takes
 * its decoded frames (playback.h). */
#ifndef UC_LEG_H
#define UC_LEG_H

#include <stdint.h>
#include <sys/socket.h>

#include "audio_codec.h"
#include "dtmf.h"
#include "engine.h"
#include "ice_lite.h"
#include "jitter.h"
#include "playback.h"
#include "rtcp_session.h"
#include "srtp_session.h"
#include "udp_io.h"

/* Media direction from our side (RFC 3264 section 5.1 attributes we put in our SDP). */
enum uc_leg_direction {
    UC_DIR_SENDRECV = 0,
    UC_DIR_SENDONLY = 1, /* we send, ignore what arrives (the peer is on hold: "recvonly") */
    UC_DIR_RECVONLY = 2, /* we receive, send nothing */
    UC_DIR_INACTIVE = 3,
};

typedef struct uc_leg_config {
    uint32_t id;              /* reported in events */
    int worker;               /* -1: the engine picks */
    int codec;                /* enum uc_audio_codec_id */
    int payload_type;         /* 0..127 */
    int dtmf_payload_type;    /* telephone-event PT, -1 for none */
    int audio_level_id;       /* RFC 6464 extension id (RFC 8285 one-byte: 1..14), 0 none */
    int opus_bitrate;         /* 0: libopus's choice */
    int opus_complexity;      /* -1: libopus's default */
    uint32_t ssrc;            /* 0: random */
    int jitter_min_ms, jitter_max_ms; /* 0: 20 and 200 */
    uint32_t rtcp_interval_ms;        /* 0: 5000 (RFC 3550 minimum) */
    int srtp_suite;           /* enum uc_srtp_suite, 0 for plain RTP */
    uint8_t srtp_tx_key[UC_SRTP_MAX_KEY_SALT_LEN]; /* ours: we protect with it */
    uint8_t srtp_rx_key[UC_SRTP_MAX_KEY_SALT_LEN]; /* the peer's: we unprotect with it */
    unsigned srtp_flags;      /* UC_SRTP_FLAG_SRTCP_TAG_32 */
    int dtmf_clock_rate;      /* telephone-event clock (RFC 4733); 0: the codec's RTP clock */
} uc_leg_config;

typedef struct uc_leg_stats {
    uint64_t packets_received;  /* datagrams of any kind */
    uint64_t bytes_received;
    uint64_t rtp_received;      /* valid RTP accepted */
    uint64_t rtcp_received;     /* valid RTCP accepted */
    uint64_t stun_received;
    uint64_t dtls_dropped;
    uint64_t unknown_dropped;   /* first byte in no RFC 7983 range, or ZRTP/TURN */
    uint64_t malformed;         /* RTP/RTCP headers that do not parse, oversize datagrams */
    uint64_t auth_failed;       /* SRTP/SRTCP tag did not verify */
    uint64_t replayed;          /* SRTP/SRTCP replay or too old */
    uint64_t srtp_errors;       /* other libsrtp failures (e.g. unknown SSRC) */
    uint64_t wrong_source;      /* from an address other than the remote */
    uint64_t wrong_payload_type;
    uint64_t dropped_direction; /* valid, but we do not receive (sendonly / inactive) */
    uint64_t jitter_late;
    uint64_t jitter_discarded;
    uint64_t concealed_ticks;
    uint64_t decode_errors;
    uint64_t decodes;
    uint64_t encodes;           /* own-encoder encodes (talker N-1 mixes, bridges) */
    uint64_t packets_sent;
    uint64_t bytes_sent;
    uint64_t rtcp_sent;
    uint64_t dtmf_received;
    uint64_t dtmf_sent;         /* telephone-event packets sent */
    uint64_t relayed;           /* bridge relay: packets forwarded from this leg */
    /* The peer's stream (RFC 3550 appendix A). */
    uint32_t remote_ssrc;
    uint32_t expected;
    int64_t lost;
    double jitter_ms;
    /* Our stream as the peer's reports describe it. */
    int have_peer_report;
    double peer_fraction_lost;
    int64_t peer_cumulative_lost;
    double peer_jitter_ms;
    double rtt_ms;              /* < 0 while unknown */
    uint32_t local_ssrc;
    int remote_known;
    uint8_t last_level;         /* RFC 6464 level of the last packet that carried one */
    int ice_state;              /* enum uc_ice_lite_state; -1 without ICE */
    uint64_t stun_answered;     /* STUN responses sent (success and error) */
} uc_leg_stats;

/* The per-packet RFC 6464 level, remembered until the packet plays. */
#define UC_LEG_LEVEL_RING 64

typedef struct uc_leg_level_slot {
    uint16_t seq;
    uint8_t level;
    uint8_t valid;
} uc_leg_level_slot;

struct uc_leg {
    uc_engine *engine;
    uc_worker *worker;          /* set while attached */
    uc_leg_config cfg;
    int fd;
    int local_port;
    struct sockaddr_storage remote;
    int have_remote;
    int direction;
    int muted;

    uc_srtp_session *srtp_in;
    uc_srtp_session *srtp_out;
    uc_ice_lite *ice;
    int ice_state;              /* last reported enum uc_ice_lite_state */

    int clock_rate;             /* RTP clock of the codec */
    uint32_t ts_per_tick;
    uc_audio_enc enc;
    uc_audio_dec dec;
    uc_jitter *jb;
    uc_jb_frame frame;          /* this tick's instruction (uc_leg_next_frame) */
    int frame_level;            /* its RFC 6464 level, or -1 when the packet carried none */
    int have_levels;            /* the peer sends RFC 6464 levels */
    uc_leg_level_slot levels[UC_LEG_LEVEL_RING];
    uint8_t last_level;
    int16_t pcm[UC_AUDIO_PCM_MAX]; /* the last decoded packet at 48 kHz */
    int pcm_len, pcm_pos;
    int16_t last_tick[UC_AUDIO_PCM_MAX]; /* the last tick handed out (concealment fades it) */

    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    int marker_next;

    uc_dtmf_receiver dtmf_rx;
    uc_dtmf_sender dtmf_tx;
    uc_rtcp_session rtcp;

    /* Ownership on the worker: at most one of these. */
    uc_conference *conference;
    int slot;
    uc_bridge *bridge;
    uc_leg *relay_peer;         /* relay bridge: forward audio to this leg */
    int relay_have_offset;
    uint32_t relay_ts_offset;

    uc_leg_stats st;

    /* Prompts and recording (playback.h); the recorder's resampler belongs to the leg. */
    uc_player player;
    uc_recorder recorder;
    /* Telephone-events count durations in their own clock (telephone-event/8000 beside
     * opus/48000, as baresip and linphone offer) but share the audio's timestamp base
     * (RFC 4733 section 2.1), so only durations are converted. */
    int dtmf_clock;
    uint32_t dtmf_per_tick;
    /* Some peers count durations in the audio clock although their SDP says 8000 (baresip
     * 1.0 sets its telephone-event rate to the codec's). The first packet of each incoming
     * event is remembered; at its end, the duration's growth is compared with the time
     * that passed, and the clock that matches is kept for this peer (rx_clock). */
    int dtmf_rx_clock;
    uint32_t dtmf_rx_ts;
    uint16_t dtmf_rx_first_duration;
    uint8_t dtmf_rx_have_first;
    int64_t dtmf_rx_first_ms;
};

/* Control thread. Binds the socket, creates codecs, jitter buffer and SRTP sessions, and
 * attaches the leg to a worker. */
int uc_leg_create(uc_engine *e, const uc_leg_config *cfg, uc_leg **out);
/* Detach (removing it from its conference or bridge) and free. */
void uc_leg_destroy(uc_leg *leg);
int uc_leg_local_port(const uc_leg *leg);
int uc_leg_worker_index(const uc_leg *leg);
uint32_t uc_leg_ssrc(const uc_leg *leg);
/* Where RTP and RTCP go; packets from elsewhere are dropped from then on. */
int uc_leg_set_remote(uc_leg *leg, const char *ip, int port);
/* Replace the SRTP keys (suite 0 turns SRTP off). */
int uc_leg_set_srtp(uc_leg *leg, int suite, const uint8_t *tx_key, const uint8_t *rx_key,
                    unsigned flags);
/* Answer ICE connectivity checks as the lite agent with these credentials (our ufrag and
 * password from our SDP; the peer's, or NULL/0 while unknown). Replaces any earlier ones. */
int uc_leg_set_ice(uc_leg *leg, const char *local_ufrag, size_t local_ufrag_len,
                   const char *local_pwd, size_t local_pwd_len, const char *remote_ufrag,
                   size_t remote_ufrag_len, const char *remote_pwd, size_t remote_pwd_len);
/* Change codec, payload types and RFC 6464 extension id (what SDP negotiated after the
 * leg's port went into the answer). Only while the leg is in no conference or bridge
 * (UC_ERR_STATE). The jitter buffer starts empty. */
int uc_leg_set_codec(uc_leg *leg, int codec, int payload_type, int dtmf_payload_type,
                     int audio_level_id);
int uc_leg_set_direction(uc_leg *leg, int direction);
/* A muted leg is not heard by the others (its input is not mixed or relayed). */
int uc_leg_set_mute(uc_leg *leg, int muted);
/* Send one RFC 4733 event ('0'-'9', '*', '#', 'A'-'D') lasting duration_ms; it replaces
 * the audio packets meanwhile. UC_ERR_STATE while one is being sent or without a
 * telephone-event payload type. */
int uc_leg_send_dtmf(uc_leg *leg, char digit, int duration_ms);
int uc_leg_get_stats(uc_leg *leg, uc_leg_stats *out);
/* The telephone-event clock rate (8000..96000, or 0 for the codec's RTP clock): durations
 * we send and receive are counted in it; timestamps stay in the audio clock. set_codec
 * resets it to the codec's clock. */
int uc_leg_set_dtmf_clock(uc_leg *leg, int rate);
/* Play a clip to this leg alone (a prompt only this caller hears): added to whatever the
 * leg hears in its conference, or sent on its own (encoded every tick) when the leg is in
 * no conference. Replaces a clip already playing (its event says REPLACED). `loop` repeats
 * it until stopped. The clip must stay alive until the PLAYBACK_FINISHED event carrying
 * `handle` was read, uc_leg_stop_playback returned, or the leg was destroyed.
 * UC_ERR_STATE in a bridge. */
int uc_leg_play(uc_leg *leg, const uc_clip *clip, uint32_t id, uint32_t handle, int loop);
/* Returns 1 when a clip was stopped (event STOPPED), 0 when none was playing. */
int uc_leg_stop_playback(uc_leg *leg);
/* Record the leg's decoded inbound audio (what its peer sends; mute does not apply) into
 * buf, `capacity` samples at `rate` (8000, 16000 or 48000), until full (event COMPLETED)
 * or stopped. buf must stay alive until the RECORDING_FINISHED event carrying `handle`
 * was read, uc_leg_stop_recording returned, or the leg was destroyed. UC_ERR_STATE while
 * recording or in a bridge. */
int uc_leg_record(uc_leg *leg, int16_t *buf, uint32_t capacity, int rate, uint32_t id,
                  uint32_t handle);
/* Returns the samples recorded (event STOPPED), UC_ERR_STATE when not recording. */
int uc_leg_stop_recording(uc_leg *leg);

/* ---- worker side ---- */
/* Move the leg to another worker (a command on each). */
int uc_leg_move(uc_leg *leg, uc_worker *to);
void uc_leg_on_datagram(uc_leg *leg, uint8_t *buf, size_t len, const struct sockaddr_storage *from);
int uc_leg_receives(const uc_leg *leg);
int uc_leg_sends(const uc_leg *leg);
/* This tick's jitter-buffer instruction; sets frame and frame_level (-1: unknown). */
void uc_leg_next_frame(uc_leg *leg);
/* Decode this tick's frame into pcm48 (frame48 samples). */
void uc_leg_decode(uc_leg *leg, int16_t *pcm48);
/* Encode pcm48 with the leg's own encoder and send it (or the pending DTMF packet). */
void uc_leg_send_pcm(uc_leg *leg, const int16_t *pcm48);
/* Send an already encoded payload (a conference's shared encode) or the pending DTMF. */
void uc_leg_send_payload(uc_leg *leg, const uint8_t *payload, int len);
/* 1 when a DTMF packet will replace this tick's audio. */
int uc_leg_dtmf_active(const uc_leg *leg);
void uc_leg_end_tick(uc_leg *leg);
/* A leg in no conference or bridge: drain its jitter buffer, keep RTCP going. */
void uc_leg_idle_tick(uc_leg *leg);
/* Add this tick of the leg's own clip to pcm48 (reporting its end). Returns 0 when no
 * clip is playing. */
int uc_leg_play_frame(uc_leg *leg, int16_t *pcm48);
/* Record one tick of the leg's decoded inbound audio when a recording runs. */
void uc_leg_record_frame(uc_leg *leg, const int16_t *pcm48);
/* End the leg's playback and recording (entering a bridge, which plays and records no
 * clip), reporting them with `reason`. */
void uc_leg_end_media(uc_leg *leg, int reason);
/* Report a finished playback or recording (type UC_EV_PLAYBACK_FINISHED or
 * UC_EV_RECORDING_FINISHED). */
void uc_emit_media_end(uc_worker *w, int type, uint32_t object_id, int reason, uint32_t id,
                       uint32_t handle, uint32_t samples);
/* Forward an RTP payload (relay bridge) with this leg's header and keys. */
void uc_leg_forward(uc_leg *leg, int payload_type, int marker, uint32_t timestamp,
                    const uint8_t *payload, size_t len);

#endif
