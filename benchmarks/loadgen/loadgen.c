/* Load generator for the conference engine: N simulated SRTP Opus participants on loopback.
 *
 *   loadgen -c PARTICIPANTS.csv -d DURATION_MS [-x EXT_ID] [-p PT] [-g PER_SOCKET]
 *           [-l LISTENERS_CHECKED_PER_GROUP] [-G GROUPS_CHECKED] [-f CHECK_FRAMES]
 *           [-b BASE_PORT] [-v]
 *
 * PARTICIPANTS.csv, one participant per line (written by benchmarks/mcu_capacity.py or the
 * test from legs it created through uc_media's API):
 *
 *   port,send_key_hex,recv_key_hex,group,signature
 *
 * port: the engine leg's UDP port on 127.0.0.1; send_key: the SRTP master key || salt (30
 * bytes, AES_CM_128_HMAC_SHA1_80) we protect with (the leg's remote key); recv_key: the one
 * the leg protects with; group: the conference; signature: -1 for a listener (sends Opus
 * digital silence, RFC 6464 level 127), else 0..MAX_SIGNATURES-1 for a talker.
 *
 * Talker signature s is a tone at 400 + 300 s Hz under a syllabic envelope (3-5 Hz,
 * 35-100 % amplitude): speech-like in level and rhythm, and identifiable in any mix by a
 * windowed Goertzel filter. Every frame is encoded once at start (libopus, VoIP, 48 kHz
 * mono); sending only copies, packetizes and protects.
 *
 * Packets: RTP (RFC 3550) with an RFC 8285 one-byte header extension carrying the RFC 6464
 * client-to-mixer audio level (id EXT_ID, 0 = none), SRTP-protected, paced by a 20 ms
 * timerfd. Participants share UDP sockets, PER_SOCKET to a socket: each tick one sendmmsg
 * per socket (one message per participant, addressed to its leg); the engine's legs latch
 * their remote address from the first authenticated packet (symmetric RTP), so replies
 * come back to the shared socket and are told apart by source port. recvmmsg on epoll.
 * With -b, socket s binds BASE_PORT + s instead of an ephemeral port: legs set up through
 * SDP (benchmarks/meeting_joins.py) were told that address in the offer and take packets
 * only from there.
 *
 * Measured per participant: packets received, loss from sequence gaps (RFC 3550 A.1
 * extended sequence numbers), inter-arrival jitter (RFC 3550 A.8, in ms). Content: for
 * every talker and LISTENERS_CHECKED listeners of GROUPS_CHECKED groups spread over all,
 * the last CHECK_FRAMES frames received while sending are decoded and each signature's
 * amplitude measured: a talker must hear every other talker of its group and not itself
 * (own tone at least 20 dB below the weakest other), a listener every talker.
 *
 * Bounded: DURATION_MS <= 60 s, at most MAX_PARTICIPANTS; the drain after sending is
 * 150 ms. Prints one JSON line; exits 0 when it ran (content_ok says whether the checks
 * passed), 2 on bad arguments, 1 on a setup failure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <opus.h>
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define SILENT_LISTED 32
#define FRAME 960               /* 20 ms at 48 kHz */
#define TICK_NS 20000000LL
#define LOOP_FRAMES 50          /* one second of pre-encoded signal, replayed */
#define MAX_PARTICIPANTS 8192
#define MAX_SIGNATURES 10
#define SLOT 512                /* bytes per packet buffer */
#define MAX_OPUS 300
#define BATCH 64
#define DRAIN_NS 150000000LL
#define MAX_DURATION_MS 60000
#define TONE_AMPLITUDE 10000.0

typedef struct {
    uint8_t data[MAX_OPUS];
    int len;
    uint8_t level;              /* RFC 6464: 0..127, -dBov */
} frame;

typedef struct {
    uint16_t port;
    int group;
    int sig;
    int sock;                   /* index into the socket table */
    srtp_t tx, rx;
    uint32_t ssrc, ts;
    uint16_t seq;
    /* receive statistics */
    uint64_t received, auth_failed, malformed;
    int first_failed_seq; /* the RTP sequence number of the first packet that failed, + 1 (0: none) */
    int have_first;
    uint16_t max_seq;
    uint32_t cycles, base_ext;
    int have_transit;
    uint32_t last_transit;
    double jitter;              /* RFC 3550 A.8, RTP timestamp units */
    int64_t last_arrival_ns;
    int64_t max_gap_ns;         /* largest inter-arrival gap */
    /* content check */
    int checked;
    uint8_t (*ring)[MAX_OPUS];
    int *ring_len;
    int ring_next, ring_count;
} participant;

static participant P[MAX_PARTICIPANTS];
static int nparts;
static int32_t by_port[65536];  /* leg port -> participant index, -1 if none */
static frame talk[MAX_SIGNATURES][LOOP_FRAMES];
static frame quiet[LOOP_FRAMES];

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double signature_hz(int s) { return 400.0 + 300.0 * s; }

static int hex_key(const char *hex, uint8_t key[30])
{
    if (strlen(hex) != 60)
        return -1;
    for (int i = 0; i < 30; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        key[i] = (uint8_t)v;
    }
    return 0;
}

/* RFC 6464 level of a frame: -dBov of its RMS, 0..127. */
static uint8_t level_of(const int16_t *pcm)
{
    double sum = 0;
    for (int i = 0; i < FRAME; i++)
        sum += (double)pcm[i] * pcm[i];
    double rms = sqrt(sum / FRAME) / 32768.0;
    if (rms <= 0)
        return 127;
    double db = -20.0 * log10(rms);
    return db > 127 ? 127 : db < 0 ? 0 : (uint8_t)db;
}

/* Encode two seconds of each signal and keep the second: the encoder is warm at the loop
 * point, and every period divides one second, so the replayed loop is continuous. */
static int pre_encode(int nsig)
{
    int err;
    OpusEncoder *enc;
    int16_t pcm[FRAME];
    for (int s = -1; s < nsig; s++) {
        enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
        if (err != OPUS_OK)
            return -1;
        double hz = s < 0 ? 0 : signature_hz(s), syllable_hz = 3.0 + (s < 0 ? 0 : s % 3);
        for (int f = 0; f < 2 * LOOP_FRAMES; f++) {
            for (int i = 0; i < FRAME; i++) {
                double t = (double)(f * FRAME + i) / RATE;
                double env = 0.35 + 0.65 * fabs(sin(M_PI * syllable_hz * t));
                pcm[i] = s < 0 ? 0 : (int16_t)(TONE_AMPLITUDE * env * sin(2 * M_PI * hz * t));
            }
            frame *fr = s < 0 ? &quiet[f % LOOP_FRAMES] : &talk[s][f % LOOP_FRAMES];
            int n = opus_encode(enc, pcm, FRAME, fr->data, MAX_OPUS);
            if (n < 0) {
                opus_encoder_destroy(enc);
                return -1;
            }
            fr->len = n;
            fr->level = level_of(pcm);
        }
        opus_encoder_destroy(enc);
    }
    return 0;
}

static int make_session(srtp_t *out, const uint8_t key[30], int outbound, uint32_t ssrc)
{
    srtp_policy_t pol;
    memset(&pol, 0, sizeof(pol));
    srtp_crypto_policy_set_rtp_default(&pol.rtp);
    srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    pol.key = (unsigned char *)key;
    pol.ssrc.type = outbound ? ssrc_specific : ssrc_any_inbound;
    pol.ssrc.value = ssrc;
    pol.window_size = 128;
    return srtp_create(out, &pol) == srtp_err_status_ok ? 0 : -1;
}

static int read_config(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[512], send_hex[128], recv_hex[128];
    unsigned port;
    int group, sig;
    while (fgets(line, sizeof(line), f) != NULL && nparts < MAX_PARTICIPANTS) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%u,%127[0-9a-fA-F],%127[0-9a-fA-F],%d,%d", &port, send_hex, recv_hex, &group, &sig) != 5 ||
            port == 0 || port > 65535 || group < 0 || sig < -1 || sig >= MAX_SIGNATURES) {
            fprintf(stderr, "loadgen: bad line %d: %s", nparts + 1, line);
            fclose(f);
            return -1;
        }
        participant *p = &P[nparts];
        uint8_t sk[30], rk[30];
        if (hex_key(send_hex, sk) < 0 || hex_key(recv_hex, rk) < 0 || by_port[port] >= 0) {
            fprintf(stderr, "loadgen: bad key or duplicate port on line %d\n", nparts + 1);
            fclose(f);
            return -1;
        }
        p->port = (uint16_t)port;
        p->group = group;
        p->sig = sig;
        p->ssrc = 0x10000000u + (uint32_t)nparts * 7919u;
        p->seq = (uint16_t)(nparts * 1237);
        p->ts = (uint32_t)nparts * 104729u;
        if (make_session(&p->tx, sk, 1, p->ssrc) < 0 || make_session(&p->rx, rk, 0, 0) < 0) {
            fprintf(stderr, "loadgen: srtp_create failed\n");
            fclose(f);
            return -1;
        }
        by_port[port] = nparts++;
    }
    fclose(f);
    return nparts > 0 ? 0 : -1;
}

/* RFC 3550 A.1 (without probation) and A.8. */
static void account(participant *p, uint16_t seq, uint32_t rtp_ts, int64_t arrival)
{
    if (!p->have_first) {
        p->have_first = 1;
        p->max_seq = seq;
        p->base_ext = seq;
        p->cycles = 0;
    } else {
        int16_t delta = (int16_t)(seq - p->max_seq);
        if (delta > 0) {
            if (seq < p->max_seq)
                p->cycles += 65536;
            p->max_seq = seq;
        }
        int64_t gap = arrival - p->last_arrival_ns;
        if (gap > p->max_gap_ns)
            p->max_gap_ns = gap;
    }
    p->last_arrival_ns = arrival;
    uint32_t arrival_units = (uint32_t)((arrival / 1000) * (RATE / 1000) / 1000);
    uint32_t transit = arrival_units - rtp_ts;
    if (p->have_transit) {
        int32_t d = (int32_t)(transit - p->last_transit);
        p->jitter += (fabs((double)d) - p->jitter) / 16.0;
    }
    p->have_transit = 1;
    p->last_transit = transit;
    p->received++;
}

static void on_packet(uint8_t *buf, int len, uint16_t from_port, int64_t arrival, int recording)
{
    int32_t idx = by_port[from_port];
    if (idx < 0)
        return;
    participant *p = &P[idx];
    if (len < 12 || (buf[0] >> 6) != 2 || (buf[1] >= 192 && buf[1] <= 223)) {
        return; /* RTCP (rtcp-mux, RFC 5761 section 4: packet types 192-223) is not counted */
    }
    if (srtp_unprotect(p->rx, buf, &len) != srtp_err_status_ok) {
        if (!p->first_failed_seq)
            p->first_failed_seq = ((buf[2] << 8) | buf[3]) + 1;
        p->auth_failed++;
        return;
    }
    int off = 12 + 4 * (buf[0] & 0x0f);
    if (off <= len && (buf[0] & 0x10)) {
        if (off + 4 > len) {
            p->malformed++;
            return;
        }
        off += 4 + 4 * ((buf[off + 2] << 8) | buf[off + 3]);
    }
    if (off > len) {
        p->malformed++;
        return;
    }
    uint16_t seq = (uint16_t)((buf[2] << 8) | buf[3]);
    uint32_t ts = ((uint32_t)buf[4] << 24) | ((uint32_t)buf[5] << 16) | ((uint32_t)buf[6] << 8) | buf[7];
    account(p, seq, ts, arrival);
    int plen = len - off;
    if (p->checked && recording && plen > 0 && plen <= MAX_OPUS) {
        memcpy(p->ring[p->ring_next], buf + off, (size_t)plen);
        p->ring_len[p->ring_next] = plen;
        p->ring_next = (p->ring_next + 1) % p->ring_count;
    }
}

/* Amplitude of a tone at hz in a Hann-windowed frame (Goertzel). */
static double tone_amplitude(const int16_t *x, int n, double hz)
{
    double w = 2 * M_PI * hz / RATE, c = 2 * cos(w), s1 = 0, s2 = 0, wsum = 0;
    for (int i = 0; i < n; i++) {
        double win = 0.5 - 0.5 * cos(2 * M_PI * i / (n - 1));
        wsum += win;
        double s0 = win * x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - c * s1 * s2;
    return 2 * sqrt(power > 0 ? power : 0) / wsum;
}

typedef struct {
    int ok;
    double amp[MAX_SIGNATURES];
    int frames;
} verdict;

static verdict check_content(participant *p, int nsig)
{
    verdict v;
    memset(&v, 0, sizeof(v));
    int err;
    OpusDecoder *dec = opus_decoder_create(RATE, 1, &err);
    if (err != OPUS_OK)
        return v;
    int16_t pcm[FRAME * 6];
    int start = p->ring_next;   /* oldest entry once the ring has wrapped */
    for (int k = 0; k < p->ring_count; k++) {
        int i = (start + k) % p->ring_count;
        if (p->ring_len[i] <= 0)
            continue;
        int n = opus_decode(dec, p->ring[i], p->ring_len[i], pcm, FRAME * 6, 0);
        if (n != FRAME || k < 3)    /* the first frames warm the decoder up */
            continue;
        for (int s = 0; s < nsig; s++)
            v.amp[s] += tone_amplitude(pcm, FRAME, signature_hz(s));
        v.frames++;
    }
    opus_decoder_destroy(dec);
    if (v.frames == 0)
        return v;
    for (int s = 0; s < nsig; s++)
        v.amp[s] /= v.frames;
    /* Which signatures this participant's group sends. */
    int present[MAX_SIGNATURES] = {0};
    for (int i = 0; i < nparts; i++)
        if (P[i].group == p->group && P[i].sig >= 0)
            present[P[i].sig] = 1;
    double weakest = 1e30;
    int expected = 0;
    for (int s = 0; s < nsig; s++) {
        if (present[s] && s != p->sig) {
            expected++;
            if (v.amp[s] < weakest)
                weakest = v.amp[s];
        }
    }
    v.ok = 1;
    if (expected > 0 && weakest < 300.0)
        v.ok = 0;       /* some other talker is missing from what it hears */
    if (p->sig >= 0 && v.amp[p->sig] > 0.1 * (expected > 0 ? weakest : 300.0))
        v.ok = 0;       /* it hears itself */
    return v;
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s -c PARTICIPANTS.csv -d DURATION_MS [-x EXT_ID] [-p PT] [-g PER_SOCKET] "
                    "[-l LISTENERS_CHECKED] [-G GROUPS_CHECKED] [-f CHECK_FRAMES] [-b BASE_PORT] [-v]\n", argv0);
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int duration_ms = 0, ext_id = 1, pt = 111, per_socket = 64, listeners_checked = 2;
    int groups_checked = 16, check_frames = 25, verbose = 0, base_port = 0, opt;
    while ((opt = getopt(argc, argv, "c:d:x:p:g:l:G:f:b:v")) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'd': duration_ms = atoi(optarg); break;
        case 'x': ext_id = atoi(optarg); break;
        case 'p': pt = atoi(optarg); break;
        case 'g': per_socket = atoi(optarg); break;
        case 'l': listeners_checked = atoi(optarg); break;
        case 'G': groups_checked = atoi(optarg); break;
        case 'f': check_frames = atoi(optarg); break;
        case 'b': base_port = atoi(optarg); break;
        case 'v': verbose = 1; break;
        default: usage(argv[0]); return 2;
        }
    }
    if (config == NULL || duration_ms < 200 || duration_ms > MAX_DURATION_MS || ext_id < 0 || ext_id > 14 ||
        pt < 0 || pt > 127 || per_socket < 1 || per_socket > BATCH || check_frames < 5 || check_frames > 500 ||
        listeners_checked < 0 || groups_checked < 1 || base_port < 0 || base_port > 65535) {
        usage(argv[0]);
        return 2;
    }
    for (int i = 0; i < 65536; i++)
        by_port[i] = -1;
    if (srtp_init() != srtp_err_status_ok || read_config(config) < 0)
        return 1;
    int nsig = 0, talkers = 0, ngroups = 0;
    for (int i = 0; i < nparts; i++) {
        if (P[i].sig + 1 > nsig)
            nsig = P[i].sig + 1;
        talkers += P[i].sig >= 0;
        if (P[i].group + 1 > ngroups)
            ngroups = P[i].group + 1;
    }
    if (pre_encode(nsig) < 0) {
        fprintf(stderr, "loadgen: opus encode failed\n");
        return 1;
    }

    /* Which participants have their content checked: all talkers and some listeners of
     * groups spread evenly over all groups. */
    int group_step = (ngroups + groups_checked - 1) / groups_checked;
    int *listeners_seen = calloc((size_t)ngroups, sizeof(int));
    int nchecked = 0;
    for (int i = 0; i < nparts && listeners_seen != NULL; i++) {
        participant *p = &P[i];
        if (p->group % group_step != 0)
            continue;
        if (p->sig < 0 && listeners_seen[p->group]++ >= listeners_checked)
            continue;
        p->checked = 1;
        p->ring_count = check_frames;
        p->ring = calloc((size_t)check_frames, MAX_OPUS);
        p->ring_len = calloc((size_t)check_frames, sizeof(int));
        if (p->ring == NULL || p->ring_len == NULL)
            return 1;
        nchecked++;
    }
    free(listeners_seen);

    int nsock = (nparts + per_socket - 1) / per_socket;
    int *socks = calloc((size_t)nsock, sizeof(int));
    uint8_t (*txbuf)[SLOT] = calloc((size_t)nparts, SLOT);
    struct mmsghdr *tx = calloc((size_t)per_socket, sizeof(struct mmsghdr));
    struct iovec *txv = calloc((size_t)per_socket, sizeof(struct iovec));
    struct sockaddr_in *dst = calloc((size_t)nparts, sizeof(struct sockaddr_in));
    static uint8_t rxbuf[BATCH][2048];
    static struct mmsghdr rx[BATCH];
    static struct iovec rxv[BATCH];
    static struct sockaddr_in rxfrom[BATCH];
    int ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    if (socks == NULL || txbuf == NULL || tx == NULL || txv == NULL || dst == NULL || ep < 0 || tfd < 0)
        return 1;
    for (int s = 0; s < nsock; s++) {
        socks[s] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (base_port > 0) {
            if (base_port + s > 65535)
                return 2;
            a.sin_port = htons((uint16_t)(base_port + s));
        }
        int size = 4 << 20;
        setsockopt(socks[s], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        setsockopt(socks[s], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        if (socks[s] < 0 || bind(socks[s], (struct sockaddr *)&a, sizeof(a)) < 0)
            return 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, socks[s], &ev) < 0)
            return 1;
    }
    for (int i = 0; i < nparts; i++) {
        P[i].sock = i / per_socket;
        dst[i].sin_family = AF_INET;
        dst[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        dst[i].sin_port = htons(P[i].port);
    }
    for (int i = 0; i < BATCH; i++) {
        rxv[i].iov_base = rxbuf[i];
        rxv[i].iov_len = sizeof(rxbuf[i]);
        rx[i].msg_hdr.msg_iov = &rxv[i];
        rx[i].msg_hdr.msg_iovlen = 1;
        rx[i].msg_hdr.msg_name = &rxfrom[i];
    }
    struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    struct itimerspec its = {.it_interval = {0, TICK_NS}, .it_value = {0, TICK_NS}};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev) < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
        return 1;

    struct timespec cpu0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
    long total_ticks = duration_ms / 20, ticks = 0, late_ticks = 0;
    uint64_t sent = 0, send_errors = 0, sendmmsg_calls = 0, recvmmsg_calls = 0, stray = 0;
    int64_t start = now_ns(), stop_at = 0, hard_deadline = start + (int64_t)duration_ms * 1000000LL + 2000000000LL;
    int recording = 1;
    struct epoll_event evs[64];
    for (;;) {
        int64_t t = now_ns();
        if ((stop_at && t >= stop_at) || t >= hard_deadline)
            break;
        int n = epoll_wait(ep, evs, 64, 20);
        if (n < 0 && errno != EINTR)
            return 1;
        for (int e = 0; e < n; e++) {
            if (evs[e].data.u32 == UINT32_MAX) {
                uint64_t exp = 0;
                if (read(tfd, &exp, sizeof(exp)) != sizeof(exp) || ticks >= total_ticks)
                    continue;
                if (exp > 1)
                    late_ticks += (long)(exp - 1);
                /* One frame per participant per tick; a late tick is not caught up (the
                 * engine's jitter buffer sees it as jitter, as from a real client). */
                int f = (int)(ticks % LOOP_FRAMES);
                for (int s = 0; s < nsock; s++) {
                    int first = s * per_socket, count = 0;
                    for (int i = first; i < nparts && i < first + per_socket; i++) {
                        participant *p = &P[i];
                        const frame *fr = p->sig >= 0 ? &talk[p->sig][f] : &quiet[f];
                        uint8_t *b = txbuf[i];
                        int h = 12;
                        b[0] = ext_id ? 0x90 : 0x80;
                        b[1] = (uint8_t)pt;
                        b[2] = (uint8_t)(p->seq >> 8);
                        b[3] = (uint8_t)p->seq;
                        b[4] = (uint8_t)(p->ts >> 24);
                        b[5] = (uint8_t)(p->ts >> 16);
                        b[6] = (uint8_t)(p->ts >> 8);
                        b[7] = (uint8_t)p->ts;
                        b[8] = (uint8_t)(p->ssrc >> 24);
                        b[9] = (uint8_t)(p->ssrc >> 16);
                        b[10] = (uint8_t)(p->ssrc >> 8);
                        b[11] = (uint8_t)p->ssrc;
                        if (ext_id) {
                            /* RFC 8285 one-byte header, one element (L = 0: one byte);
                             * RFC 6464: V bit, then the level in -dBov. */
                            b[12] = 0xBE;
                            b[13] = 0xDE;
                            b[14] = 0;
                            b[15] = 1;
                            b[16] = (uint8_t)(ext_id << 4);
                            b[17] = (uint8_t)((p->sig >= 0 ? 0x80 : 0) | fr->level);
                            b[18] = 0;
                            b[19] = 0;
                            h = 20;
                        }
                        memcpy(b + h, fr->data, (size_t)fr->len);
                        int len = h + fr->len;
                        p->seq++;
                        p->ts += FRAME;
                        if (srtp_protect(p->tx, b, &len) != srtp_err_status_ok) {
                            send_errors++;
                            continue;
                        }
                        txv[count].iov_base = b;
                        txv[count].iov_len = (size_t)len;
                        memset(&tx[count].msg_hdr, 0, sizeof(tx[count].msg_hdr));
                        tx[count].msg_hdr.msg_iov = &txv[count];
                        tx[count].msg_hdr.msg_iovlen = 1;
                        tx[count].msg_hdr.msg_name = &dst[i];
                        tx[count].msg_hdr.msg_namelen = sizeof(dst[i]);
                        count++;
                    }
                    int done = 0;
                    while (done < count) {
                        int r = sendmmsg(socks[s], tx + done, (unsigned)(count - done), 0);
                        sendmmsg_calls++;
                        if (r <= 0) {
                            send_errors += (uint64_t)(count - done);
                            break;
                        }
                        done += r;
                        sent += (uint64_t)r;
                    }
                }
                if (++ticks == total_ticks) {
                    recording = 0;
                    stop_at = now_ns() + DRAIN_NS;
                }
                continue;
            }
            int s = (int)evs[e].data.u32;
            for (int round = 0; round < 16; round++) {
                for (int i = 0; i < BATCH; i++)
                    rx[i].msg_hdr.msg_namelen = sizeof(rxfrom[i]);
                int r = recvmmsg(socks[s], rx, BATCH, MSG_DONTWAIT, NULL);
                recvmmsg_calls++;
                if (r <= 0)
                    break;
                int64_t arrival = now_ns();
                for (int i = 0; i < r; i++) {
                    uint16_t from = ntohs(rxfrom[i].sin_port);
                    if (by_port[from] < 0 || P[by_port[from]].sock != s) {
                        stray++;
                        continue;
                    }
                    on_packet(rxbuf[i], (int)rx[i].msg_len, from, arrival, recording);
                }
                if (r < BATCH)
                    break;
            }
        }
    }
    struct timespec cpu1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
    double gen_cpu = (double)(cpu1.tv_sec - cpu0.tv_sec) + (double)(cpu1.tv_nsec - cpu0.tv_nsec) * 1e-9;

    uint64_t received = 0, expected = 0, lost = 0, auth_failed = 0, malformed = 0;
    int silent = 0, checks_ok = 0;
    double jitter_sum = 0, jitter_max = 0, gap_max = 0;
    for (int i = 0; i < nparts; i++) {
        participant *p = &P[i];
        received += p->received;
        auth_failed += p->auth_failed;
        malformed += p->malformed;
        if (!p->have_first) {
            silent++;
            continue;
        }
        uint64_t exp = (uint64_t)(p->cycles + p->max_seq) - p->base_ext + 1;
        expected += exp;
        lost += exp > p->received ? exp - p->received : 0;
        double j = p->jitter / (RATE / 1000);
        jitter_sum += j;
        if (j > jitter_max)
            jitter_max = j;
        if (p->max_gap_ns / 1e6 > gap_max)
            gap_max = (double)p->max_gap_ns / 1e6;
    }
    printf("{\"participants\": %d, \"talkers\": %d, \"groups\": %d, \"duration_s\": %.3f, \"ticks\": %ld, "
           "\"gen_late_ticks\": %ld, \"sent\": %llu, \"send_errors\": %llu, \"sendmmsg_calls\": %llu, "
           "\"recvmmsg_calls\": %llu, \"received\": %llu, \"expected\": %llu, \"lost\": %llu, "
           "\"loss_fraction\": %.6f, \"auth_failed\": %llu, \"malformed\": %llu, \"stray\": %llu, "
           "\"silent_participants\": %d, \"jitter_ms_mean\": %.3f, \"jitter_ms_max\": %.3f, "
           "\"max_gap_ms\": %.2f, \"gen_cpu_s\": %.4f, \"checked\": %d, \"checks\": [",
           nparts, talkers, ngroups, (double)(now_ns() - start) / 1e9, ticks, late_ticks,
           (unsigned long long)sent, (unsigned long long)send_errors, (unsigned long long)sendmmsg_calls,
           (unsigned long long)recvmmsg_calls, (unsigned long long)received, (unsigned long long)expected,
           (unsigned long long)lost, expected ? (double)lost / (double)expected : 0.0,
           (unsigned long long)auth_failed, (unsigned long long)malformed, (unsigned long long)stray, silent,
           nparts - silent ? jitter_sum / (nparts - silent) : 0.0, jitter_max, gap_max, gen_cpu, nchecked);
    int printed = 0;
    for (int i = 0; i < nparts; i++) {
        participant *p = &P[i];
        if (!p->checked)
            continue;
        verdict v = check_content(p, nsig);
        checks_ok += v.ok && v.frames > 0;
        if (!verbose && v.ok && v.frames > 0)
            continue;
        printf("%s{\"index\": %d, \"port\": %u, \"group\": %d, \"signature\": %d, \"frames\": %d, \"ok\": %s, "
               "\"amplitudes\": [", printed++ ? ", " : "", i, p->port, p->group, p->sig, v.frames,
               v.ok && v.frames > 0 ? "true" : "false");
        for (int s = 0; s < nsig; s++)
            printf("%s%.1f", s ? ", " : "", v.amp[s]);
        printf("]}");
    }
    /* Which participants heard nothing (the first SILENT_LISTED), with their SRTP failures
     * and the sequence number of the first failed packet: a count alone says nothing about why. */
    printf("], \"checks_passed\": %d, \"content_ok\": %s, \"silent\": [", checks_ok,
           checks_ok == nchecked && nchecked > 0 ? "true" : "false");
    for (int i = 0, listed = 0; i < nparts && listed < SILENT_LISTED; i++)
        if (!P[i].have_first)
            printf("%s{\"index\": %d, \"auth_failed\": %llu, \"first_failed_seq\": %d}", listed++ ? ", " : "", i,
                   (unsigned long long)P[i].auth_failed, P[i].first_failed_seq - 1);
    printf("]}\n");
    for (int s = 0; s < nsock; s++)
        close(socks[s]);
    for (int i = 0; i < nparts; i++) {
        srtp_dealloc(P[i].tx);
        srtp_dealloc(P[i].rx);
        free(P[i].ring);
        free(P[i].ring_len);
    }
    free(socks);
    free(txbuf);
    free(tx);
    free(txv);
    free(dst);
    close(tfd);
    close(ep);
    return 0;
}
