/* The physical floor of an audio MCU tick, for benchmarks/mcu_capacity.py: the unit cost of
 * each operation the conference engine cannot avoid, called directly in plain C loops.
 *
 *   mcu_floor REPEAT
 *
 * Operations (the same libraries and settings as the engine: libopus 48 kHz mono VoIP at the
 * default bitrate and complexity, the static libsrtp2 over OpenSSL with
 * AES_CM_128_HMAC_SHA1_80, UDP on loopback):
 *   encode_speech / encode_silence: opus_encode of a 20 ms frame of a tone under a syllabic
 *     envelope (the load generator's talker signal) / of digital silence;
 *   decode_speech / decode_silence: opus_decode of those packets;
 *   protect / unprotect: srtp_protect / srtp_unprotect of a 20-byte header (RFC 6464
 *     extension) + 80-byte payload packet, fresh sequence numbers;
 *   sendmmsg: one sendmmsg call carrying one datagram to a loopback socket (as the engine
 *     sends: one call per leg socket per tick);
 *   recvmmsg: one recvmmsg call (vector of 32, MSG_DONTWAIT) on a socket holding exactly one
 *     datagram (as the engine receives from each leg socket per tick).
 * Each is timed with CLOCK_THREAD_CPUTIME_ID over a batch; the best (least disturbed) of
 * REPEAT batches is reported in microseconds per call, one JSON line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <opus.h>
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define FRAME 960
#define FRAMES 50
#define MAX_PACKET 1500
#define PACKETS 512
#define SOCKETS 256
#define PACKET_LEN 100

static double thread_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int16_t speech[FRAMES][FRAME], silence[FRAMES][FRAME];
static uint8_t opus_speech[FRAMES][MAX_PACKET], opus_silence[FRAMES][MAX_PACKET];
static int len_speech[FRAMES], len_silence[FRAMES];
static uint8_t packets[PACKETS][PACKET_LEN + SRTP_MAX_TRAILER_LEN];
static uint8_t protected_packets[PACKETS][PACKET_LEN + SRTP_MAX_TRAILER_LEN];
static int protected_len[PACKETS];

static double time_encode(int16_t (*pcm)[FRAME], uint8_t (*out)[MAX_PACKET], int *lens)
{
    int err;
    OpusEncoder *enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
    if (err != OPUS_OK)
        exit(1);
    for (int f = 0; f < FRAMES; f++) /* warm: the same state the engine's encoders run in */
        if (opus_encode(enc, pcm[f], FRAME, out[f], MAX_PACKET) < 0)
            exit(1);
    double t0 = thread_seconds();
    for (int f = 0; f < FRAMES; f++)
        lens[f] = opus_encode(enc, pcm[f], FRAME, out[f], MAX_PACKET);
    double t = thread_seconds() - t0;
    opus_encoder_destroy(enc);
    return t / FRAMES;
}

static double time_decode(uint8_t (*in)[MAX_PACKET], const int *lens)
{
    int err;
    int16_t pcm[FRAME];
    OpusDecoder *dec = opus_decoder_create(RATE, 1, &err);
    if (err != OPUS_OK)
        exit(1);
    double t0 = thread_seconds();
    for (int f = 0; f < FRAMES; f++)
        if (opus_decode(dec, in[f], lens[f], pcm, FRAME, 0) != FRAME)
            exit(1);
    double t = thread_seconds() - t0;
    opus_decoder_destroy(dec);
    return t / FRAMES;
}

static srtp_t session(int outbound, const uint8_t *key)
{
    srtp_policy_t pol;
    srtp_t s;
    memset(&pol, 0, sizeof(pol));
    srtp_crypto_policy_set_rtp_default(&pol.rtp);
    srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    pol.key = (unsigned char *)key;
    pol.ssrc.type = outbound ? ssrc_specific : ssrc_any_inbound;
    pol.ssrc.value = 0x1234;
    pol.window_size = 128;
    if (srtp_create(&s, &pol) != srtp_err_status_ok)
        exit(1);
    return s;
}

static void build_packets(uint16_t first_seq)
{
    for (int i = 0; i < PACKETS; i++) {
        uint8_t *b = packets[i];
        uint16_t seq = (uint16_t)(first_seq + i);
        uint32_t ts = (uint32_t)(seq * FRAME);
        memset(b, 0xA5, PACKET_LEN);
        b[0] = 0x90;
        b[1] = 111;
        b[2] = (uint8_t)(seq >> 8);
        b[3] = (uint8_t)seq;
        b[4] = (uint8_t)(ts >> 24);
        b[5] = (uint8_t)(ts >> 16);
        b[6] = (uint8_t)(ts >> 8);
        b[7] = (uint8_t)ts;
        b[8] = 0;
        b[9] = 0;
        b[10] = 0x12;
        b[11] = 0x34;
        b[12] = 0xBE;
        b[13] = 0xDE;
        b[14] = 0;
        b[15] = 1;
        b[16] = 0x10;
        b[17] = 0x80 | 30;
        b[18] = 0;
        b[19] = 0;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || atoi(argv[1]) <= 0) {
        fprintf(stderr, "usage: %s REPEAT\n", argv[0]);
        return 2;
    }
    int repeat = atoi(argv[1]);
    for (int f = 0; f < FRAMES; f++)
        for (int i = 0; i < FRAME; i++) {
            double t = (double)(f * FRAME + i) / RATE;
            speech[f][i] = (int16_t)(10000.0 * (0.35 + 0.65 * fabs(sin(M_PI * 3.0 * t))) * sin(2 * M_PI * 700.0 * t));
            silence[f][i] = 0;
        }
    double enc_sp = 1e9, enc_si = 1e9, dec_sp = 1e9, dec_si = 1e9, prot = 1e9, unprot = 1e9, snd = 1e9, rcv = 1e9;
    uint8_t key[30];
    for (int i = 0; i < 30; i++)
        key[i] = (uint8_t)(i * 7 + 3);
    if (srtp_init() != srtp_err_status_ok)
        return 1;

    int tx = socket(AF_INET, SOCK_DGRAM, 0), rx[SOCKETS];
    struct sockaddr_in dst[SOCKETS];
    for (int s = 0; s < SOCKETS; s++) {
        rx[s] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(dst[s]);
        if (rx[s] < 0 || bind(rx[s], (struct sockaddr *)&a, sizeof(a)) < 0 ||
            getsockname(rx[s], (struct sockaddr *)&dst[s], &alen) < 0)
            return 1;
    }
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (tx < 0 || bind(tx, (struct sockaddr *)&src, sizeof(src)) < 0)
        return 1;
    static uint8_t rxbuf[32][2048];
    struct mmsghdr rmsg[32];
    struct iovec riov[32];
    for (int i = 0; i < 32; i++) {
        riov[i].iov_base = rxbuf[i];
        riov[i].iov_len = sizeof(rxbuf[i]);
        memset(&rmsg[i], 0, sizeof(rmsg[i]));
        rmsg[i].msg_hdr.msg_iov = &riov[i];
        rmsg[i].msg_hdr.msg_iovlen = 1;
    }

    for (int r = 0; r < repeat; r++) {
        double t;
        if ((t = time_encode(speech, opus_speech, len_speech)) < enc_sp)
            enc_sp = t;
        if ((t = time_encode(silence, opus_silence, len_silence)) < enc_si)
            enc_si = t;
        if ((t = time_decode(opus_speech, len_speech)) < dec_sp)
            dec_sp = t;
        if ((t = time_decode(opus_silence, len_silence)) < dec_si)
            dec_si = t;

        srtp_t out = session(1, key), in = session(0, key);
        build_packets((uint16_t)(r * PACKETS));
        double t0 = thread_seconds();
        for (int i = 0; i < PACKETS; i++) {
            protected_len[i] = PACKET_LEN;
            if (srtp_protect(out, packets[i], &protected_len[i]) != srtp_err_status_ok)
                return 1;
        }
        if ((t = (thread_seconds() - t0) / PACKETS) < prot)
            prot = t;
        memcpy(protected_packets, packets, sizeof(packets));
        t0 = thread_seconds();
        for (int i = 0; i < PACKETS; i++) {
            int len = protected_len[i];
            if (srtp_unprotect(in, protected_packets[i], &len) != srtp_err_status_ok)
                return 1;
        }
        if ((t = (thread_seconds() - t0) / PACKETS) < unprot)
            unprot = t;
        srtp_dealloc(out);
        srtp_dealloc(in);

        t0 = thread_seconds();
        for (int s = 0; s < SOCKETS; s++) {
            struct iovec iov = {.iov_base = protected_packets[s % PACKETS], .iov_len = (size_t)protected_len[0]};
            struct mmsghdr m;
            memset(&m, 0, sizeof(m));
            m.msg_hdr.msg_iov = &iov;
            m.msg_hdr.msg_iovlen = 1;
            m.msg_hdr.msg_name = &dst[s];
            m.msg_hdr.msg_namelen = sizeof(dst[s]);
            if (sendmmsg(tx, &m, 1, 0) != 1)
                return 1;
        }
        if ((t = (thread_seconds() - t0) / SOCKETS) < snd)
            snd = t;
        t0 = thread_seconds();
        int got = 0;
        for (int s = 0; s < SOCKETS; s++)
            got += recvmmsg(rx[s], rmsg, 32, MSG_DONTWAIT, NULL);
        if ((t = (thread_seconds() - t0) / SOCKETS) < rcv)
            rcv = t;
        if (got != SOCKETS) {
            fprintf(stderr, "mcu_floor: received %d of %d datagrams\n", got, SOCKETS);
            return 1;
        }
    }
    printf("{\"encode_speech_us\": %.3f, \"encode_silence_us\": %.3f, \"decode_speech_us\": %.3f, "
           "\"decode_silence_us\": %.3f, \"protect_us\": %.3f, \"unprotect_us\": %.3f, \"sendmmsg_us\": %.3f, "
           "\"recvmmsg_us\": %.3f, \"speech_packet_bytes\": %d, \"silence_packet_bytes\": %d}\n",
           enc_sp * 1e6, enc_si * 1e6, dec_sp * 1e6, dec_si * 1e6, prot * 1e6, unprot * 1e6, snd * 1e6, rcv * 1e6,
           len_speech[FRAMES - 1], len_silence[FRAMES - 1]);
    for (int s = 0; s < SOCKETS; s++)
        close(rx[s]);
    close(tx);
    return 0;
}
