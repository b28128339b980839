/* C-level tests of the codec kernels: Opus (encode, decode, PLC, FEC, DTX), G.711, G.722
 * and the resampler. Exits non-zero on the first failed check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#include "codec_g711.h"
#include "codec_g722.h"
#include "codec_opus.h"
#include "resample.h"
#include "uc_errors.h"

#include "check.h"

#define PI 3.14159265358979323846

static void tone(int16_t *out, int n, int start, double freq, int rate, double amplitude)
{
    for (int i = 0; i < n; i++) {
        out[i] = (int16_t)lrint(amplitude * sin(2.0 * PI * freq * (start + i) / rate));
    }
}

/* Fraction of the energy of x[0..n) that lies in the sinusoid at freq (n should hold a whole
 * number of its periods): 1.0 for a pure tone, about 2/n for white noise. */
static double tone_fraction(const int16_t *x, int n, double freq, int rate)
{
    double c = 0, s = 0, energy = 0;
    for (int i = 0; i < n; i++) {
        double v = x[i];
        c += v * cos(2.0 * PI * freq * i / rate);
        s += v * sin(2.0 * PI * freq * i / rate);
        energy += v * v;
    }
    if (energy == 0) {
        return 0;
    }
    return 2.0 * (c * c + s * s) / n / energy;
}

/* SNR in dB of `got` against `want` delayed by the lag (0..max_lag) that fits best. */
static double aligned_snr(const int16_t *want, const int16_t *got, int n, int max_lag)
{
    double best = -1e9;
    for (int lag = 0; lag <= max_lag; lag++) {
        double signal = 0, noise = 0;
        for (int i = max_lag; i < n; i++) {
            double d = (double)got[i] - want[i - lag];
            signal += (double)want[i - lag] * want[i - lag];
            noise += d * d;
        }
        double snr = noise == 0 ? 200.0 : 10.0 * log10(signal / noise);
        if (snr > best) {
            best = snr;
        }
    }
    return best;
}

static void test_opus_round_trip(void)
{
    uc_opus_encoder *enc = NULL;
    uc_opus_decoder *dec = NULL;
    CHECK(uc_opus_encoder_create(&enc, 48000, 1, UC_OPUS_APP_VOIP) == UC_OK);
    CHECK(uc_opus_decoder_create(&dec, 48000, 1) == UC_OK);
    CHECK(uc_opus_encoder_set_bitrate(enc, 32000) == UC_OK);
    CHECK(uc_opus_encoder_get_bitrate(enc) == 32000);
    CHECK(uc_opus_encoder_set_complexity(enc, 5) == UC_OK);
    CHECK(uc_opus_encoder_get_complexity(enc) == 5);

    enum { FRAME = 960, FRAMES = 50 };
    static int16_t pcm[FRAME * FRAMES];
    static int16_t decoded[FRAME * FRAMES];
    tone(pcm, FRAME * FRAMES, 0, 600.0, 48000, 8000.0);
    uint8_t packet[UC_OPUS_MAX_PACKET];
    int16_t out[UC_OPUS_MAX_FRAME_SAMPLES];
    for (int f = 0; f < FRAMES; f++) {
        int n = uc_opus_encode(enc, pcm + f * FRAME, FRAME, packet, sizeof packet);
        CHECK(n > 2 && n <= 1275);
        int got = uc_opus_decode(dec, packet, n, out, UC_OPUS_MAX_FRAME_SAMPLES);
        CHECK(got == FRAME);
        if (got == FRAME) {
            memcpy(decoded + f * FRAME, out, sizeof(int16_t) * FRAME);
        }
    }
    CHECK(uc_opus_decoder_last_duration(dec) == FRAME);
    /* The last 25 frames (0.5 s, 300 periods of 600 Hz) are the tone and little else. */
    CHECK(tone_fraction(decoded + 25 * FRAME, 25 * FRAME, 600.0, 48000) > 0.95);

    /* Packet-loss concealment fills the lost frame's duration. */
    CHECK(uc_opus_conceal(dec, out, FRAME) == FRAME);
    CHECK(uc_opus_conceal(dec, out, 100) == UC_ERR_ARGUMENT); /* not 2.5 ms multiple */
    CHECK(uc_opus_decoder_last_duration(dec) == FRAME);

    /* Bad frame sizes are refused before libopus sees them. */
    CHECK(uc_opus_encode(enc, pcm, 959, packet, sizeof packet) == UC_ERR_ARGUMENT);
    CHECK(uc_opus_encode(enc, pcm, 0, packet, sizeof packet) == UC_ERR_ARGUMENT);
    CHECK(uc_opus_valid_frame_samples(48000, 120) && uc_opus_valid_frame_samples(8000, 960));
    CHECK(!uc_opus_valid_frame_samples(44100, 882));

    /* An empty payload is damage, not a loss signal. */
    CHECK(uc_opus_decode(dec, packet, 0, out, UC_OPUS_MAX_FRAME_SAMPLES) == UC_ERR_TRUNCATED);
    /* Code 3 (RFC 6716 section 3.2.5) with a frame count of 0 is invalid (R5). */
    const uint8_t invalid[] = {0x03, 0x00};
    CHECK(uc_opus_decode(dec, invalid, sizeof invalid, out, UC_OPUS_MAX_FRAME_SAMPLES) == UC_ERR_CODEC);
    CHECK(uc_opus_decoder_last_error(dec) == OPUS_INVALID_PACKET);
    CHECK(strcmp(uc_opus_strerror(OPUS_INVALID_PACKET), opus_strerror(OPUS_INVALID_PACKET)) == 0);
    /* A 20 ms packet does not fit 10 ms of output space. */
    int n = uc_opus_encode(enc, pcm, FRAME, packet, sizeof packet);
    CHECK(uc_opus_decode(dec, packet, n, out, FRAME / 2) == UC_ERR_NOSPACE);

    /* Setters validate their ranges. */
    CHECK(uc_opus_encoder_set_bitrate(enc, 100) == UC_ERR_ARGUMENT);
    CHECK(uc_opus_encoder_set_complexity(enc, 11) == UC_ERR_ARGUMENT);
    CHECK(uc_opus_encoder_set_packet_loss(enc, 101) == UC_ERR_ARGUMENT);
    CHECK(uc_opus_encoder_set_bitrate(enc, 0) == UC_OK); /* OPUS_AUTO */

    uc_opus_encoder_destroy(enc);
    uc_opus_decoder_destroy(dec);
}

static void test_opus_create_arguments(void)
{
    uc_opus_encoder *enc = (uc_opus_encoder *)&failures;
    uc_opus_decoder *dec = (uc_opus_decoder *)&failures;
    CHECK(uc_opus_encoder_create(&enc, 44100, 1, UC_OPUS_APP_VOIP) == UC_ERR_ARGUMENT);
    CHECK(enc == NULL);
    CHECK(uc_opus_encoder_create(&enc, 48000, 3, UC_OPUS_APP_VOIP) == UC_ERR_ARGUMENT);
    CHECK(uc_opus_encoder_create(&enc, 48000, 1, 7) == UC_ERR_ARGUMENT);
    CHECK(uc_opus_decoder_create(&dec, 11025, 1) == UC_ERR_ARGUMENT);
    CHECK(dec == NULL);
    uc_opus_encoder_destroy(NULL);
    uc_opus_decoder_destroy(NULL);
}

/* Loses every 5th packet of a tone and measures the lost frames' SNR when recovered by FEC
 * from the next packet, and when concealed. FEC must be measurably better. */
static void test_opus_fec_beats_plc(void)
{
    enum { FRAME = 320, FRAMES = 100 }; /* 20 ms at 16 kHz: SILK carries the FEC */
    static int16_t pcm[FRAME * FRAMES];
    static uint8_t packets[FRAMES][UC_OPUS_MAX_PACKET];
    static int lengths[FRAMES];
    static int16_t fec_out[FRAME * FRAMES], plc_out[FRAME * FRAMES];
    /* A gliding, amplitude-modulated tone: predictable enough for SILK, not for PLC. */
    for (int i = 0; i < FRAME * FRAMES; i++) {
        double t = (double)i / 16000; /* instantaneous frequency 300 +- 150 Hz at 3 Hz */
        pcm[i] = (int16_t)lrint(6000.0 * (0.6 + 0.4 * sin(2 * PI * 4.0 * t)) *
                                sin(2 * PI * (300.0 * t - 150.0 / (2 * PI * 3.0) * cos(2 * PI * 3.0 * t))));
    }
    uc_opus_encoder *enc = NULL;
    CHECK(uc_opus_encoder_create(&enc, 16000, 1, UC_OPUS_APP_VOIP) == UC_OK);
    CHECK(uc_opus_encoder_set_bitrate(enc, 24000) == UC_OK);
    CHECK(uc_opus_encoder_set_fec(enc, 1) == UC_OK);
    CHECK(uc_opus_encoder_set_packet_loss(enc, 20) == UC_OK);
    for (int f = 0; f < FRAMES; f++) {
        lengths[f] = uc_opus_encode(enc, pcm + f * FRAME, FRAME, packets[f], UC_OPUS_MAX_PACKET);
        CHECK(lengths[f] > 0);
    }
    uc_opus_encoder_destroy(enc);

    uc_opus_decoder *with_fec = NULL, *with_plc = NULL;
    CHECK(uc_opus_decoder_create(&with_fec, 16000, 1) == UC_OK);
    CHECK(uc_opus_decoder_create(&with_plc, 16000, 1) == UC_OK);
    int16_t scratch[UC_OPUS_MAX_FRAME_SAMPLES];
    for (int f = 0; f < FRAMES; f++) {
        int lost = f % 5 == 2 && f + 1 < FRAMES;
        int16_t *a = fec_out + f * FRAME, *b = plc_out + f * FRAME;
        if (lost) {
            CHECK(uc_opus_decode_fec(with_fec, packets[f + 1], lengths[f + 1], a, FRAME) == FRAME);
            CHECK(uc_opus_conceal(with_plc, b, FRAME) == FRAME);
        } else {
            CHECK(uc_opus_decode(with_fec, packets[f], lengths[f], scratch, UC_OPUS_MAX_FRAME_SAMPLES) == FRAME);
            memcpy(a, scratch, sizeof(int16_t) * FRAME);
            CHECK(uc_opus_decode(with_plc, packets[f], lengths[f], scratch, UC_OPUS_MAX_FRAME_SAMPLES) == FRAME);
            memcpy(b, scratch, sizeof(int16_t) * FRAME);
        }
    }
    CHECK(uc_opus_decode_fec(with_fec, packets[0], 0, scratch, FRAME) == UC_ERR_TRUNCATED);
    uc_opus_decoder_destroy(with_fec);
    uc_opus_decoder_destroy(with_plc);

    /* Opus at 16 kHz delays by 6.5 ms (104 samples); measure against the delayed input over
     * the lost frames only. */
    enum { DELAY = 104 };
    double fec_noise = 0, plc_noise = 0, signal = 0;
    for (int f = 5; f < FRAMES - 1; f++) {
        if (f % 5 != 2) {
            continue;
        }
        for (int i = f * FRAME; i < (f + 1) * FRAME; i++) {
            double want = pcm[i - DELAY];
            signal += want * want;
            fec_noise += (fec_out[i] - want) * (fec_out[i] - want);
            plc_noise += (plc_out[i] - want) * (plc_out[i] - want);
        }
    }
    double fec_snr = 10 * log10(signal / fec_noise), plc_snr = 10 * log10(signal / plc_noise);
    printf("opus lost frames: FEC SNR %.1f dB, PLC SNR %.1f dB\n", fec_snr, plc_snr);
    CHECK(fec_snr > plc_snr + 3.0);
}

static void test_opus_dtx(void)
{
    uc_opus_encoder *enc = NULL;
    CHECK(uc_opus_encoder_create(&enc, 48000, 1, UC_OPUS_APP_VOIP) == UC_OK);
    CHECK(uc_opus_encoder_set_dtx(enc, 1) == UC_OK);
    int16_t silence[960] = {0};
    uint8_t packet[UC_OPUS_MAX_PACKET];
    int small = 0;
    for (int f = 0; f < 50; f++) {
        int n = uc_opus_encode(enc, silence, 960, packet, sizeof packet);
        CHECK(n >= 1);
        small += n <= 2;
    }
    /* After ~200 ms of silence the encoder enters DTX and sends TOC-only packets. */
    CHECK(small >= 30);
    CHECK(uc_opus_encoder_in_dtx(enc) == 1);
    uc_opus_encoder_destroy(enc);
}

static void test_g711(void)
{
    uc_g711 *ulaw = NULL, *alaw = NULL;
    CHECK(uc_g711_create(&ulaw, UC_G711_ULAW) == UC_OK);
    CHECK(uc_g711_create(&alaw, UC_G711_ALAW) == UC_OK);
    uc_g711 *bad = NULL;
    CHECK(uc_g711_create(&bad, 2) == UC_ERR_ARGUMENT && bad == NULL);

    /* Zero is mu-law 0xFF and A-law 0xD5 (G.711 tables, with A-law's even-bit inversion). */
    int16_t zero = 0;
    uint8_t code = 0;
    CHECK(uc_g711_encode(ulaw, &zero, 1, &code) == 1 && code == 0xFF);
    CHECK(uc_g711_encode(alaw, &zero, 1, &code) == 1 && code == 0xD5);

    /* Every int16 round-trips within half a quantisation step: G.711 steps double each
     * segment, so the error stays under |x|/16 plus the smallest step. */
    static int16_t all[65536], back[65536];
    static uint8_t codes[65536];
    for (int i = 0; i < 65536; i++) {
        all[i] = (int16_t)(i - 32768);
    }
    uc_g711 *laws[] = {ulaw, alaw};
    for (int l = 0; l < 2; l++) {
        CHECK(uc_g711_encode(laws[l], all, 65536, codes) == 65536);
        CHECK(uc_g711_decode(laws[l], codes, 65536, back) == 65536);
        int worst = 0;
        for (int i = 0; i < 65536; i++) {
            int x = all[i], err = abs(back[i] - x);
            if (abs(x) <= 32000 && err > abs(x) / 16 + 16) {
                worst++;
            }
        }
        CHECK(worst == 0);
        /* Decoded values are fixed points: coding them again changes nothing (mu-law's
         * two zero codes, 0x7F and 0xFF, both decode to 0, so compare samples, not codes). */
        static uint8_t again[65536];
        static int16_t twice[65536];
        CHECK(uc_g711_encode(laws[l], back, 65536, again) == 65536);
        CHECK(uc_g711_decode(laws[l], again, 65536, twice) == 65536);
        CHECK(memcmp(twice, back, sizeof twice) == 0);
    }
    CHECK(uc_g711_encode(ulaw, all, -1, codes) == UC_ERR_ARGUMENT);
    CHECK(uc_g711_decode(ulaw, codes, 0, back) == 0);
    uc_g711_destroy(ulaw);
    uc_g711_destroy(alaw);
    uc_g711_destroy(NULL);
}

static void test_g722(void)
{
    uc_g722_encoder *enc = NULL;
    uc_g722_decoder *dec = NULL;
    CHECK(uc_g722_encoder_create(&enc) == UC_OK);
    CHECK(uc_g722_decoder_create(&dec) == UC_OK);
    enum { N = 16000, FRAME = 320 };
    static int16_t pcm[N], decoded[N];
    tone(pcm, N, 0, 1000.0, 16000, 8000.0);
    uint8_t payload[FRAME / 2];
    for (int f = 0; f < N / FRAME; f++) {
        CHECK(uc_g722_encode(enc, pcm + f * FRAME, FRAME, payload) == FRAME / 2);
        CHECK(uc_g722_decode(dec, payload, FRAME / 2, decoded + f * FRAME) == FRAME);
    }
    double snr = aligned_snr(pcm, decoded, N, 64);
    printf("g722 1 kHz tone: SNR %.1f dB\n", snr);
    /* G.722's low band is 6-bit ADPCM: a clean tone comes back well above 20 dB. */
    CHECK(snr > 20.0);
    CHECK(uc_g722_encode(enc, pcm, 3, payload) == UC_ERR_ARGUMENT);
    CHECK(uc_g722_decode(dec, payload, -1, decoded) == UC_ERR_ARGUMENT);
    uc_g722_encoder_destroy(enc);
    uc_g722_decoder_destroy(dec);
    uc_g722_encoder_destroy(NULL);
    uc_g722_decoder_destroy(NULL);
}

static void test_resampler(void)
{
    static const int rates[][2] = {{8000, 48000}, {48000, 8000}, {16000, 48000},
                                   {48000, 16000}, {8000, 16000}, {16000, 8000}};
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        int in_rate = rates[k][0], out_rate = rates[k][1];
        uc_resampler *r = NULL;
        CHECK(uc_resampler_create(&r, 1, in_rate, out_rate, UC_RESAMPLER_QUALITY_VOIP) == UC_OK);
        if (r == NULL) {
            continue;
        }
        int in_frame = in_rate / 50, out_frame = out_rate / 50; /* 20 ms */
        static int16_t in[960], out[50 * 961];
        int total = 0;
        for (int f = 0; f < 50; f++) {
            tone(in, in_frame, f * in_frame, 1000.0, in_rate, 10000.0);
            int cap = uc_resampler_max_output(r, in_frame);
            CHECK(cap >= out_frame);
            int n = uc_resample(r, in, in_frame, out + total, cap);
            /* Integer ratios give exactly one output frame per input frame. */
            CHECK(n == out_frame);
            total += n > 0 ? n : 0;
        }
        /* The second half second is a 1 kHz tone at the new rate. */
        double fraction = tone_fraction(out + total / 2, total / 2, 1000.0, out_rate);
        CHECK(fraction > 0.99);
        CHECK(uc_resampler_latency(r) > 0);
        CHECK(uc_resample(r, in, in_frame, out, out_frame - 1) == UC_ERR_NOSPACE);
        uc_resampler_reset(r);
        uc_resampler_destroy(r);
    }
    uc_resampler *r = NULL;
    CHECK(uc_resampler_create(&r, 1, 4000, 48000, 3) == UC_ERR_ARGUMENT);
    CHECK(uc_resampler_create(&r, 0, 8000, 48000, 3) == UC_ERR_ARGUMENT);
    CHECK(uc_resampler_create(&r, 1, 8000, 48000, 11) == UC_ERR_ARGUMENT);
    CHECK(r == NULL);
    uc_resampler_destroy(NULL);
}

int main(void)
{
    test_opus_create_arguments();
    test_opus_round_trip();
    test_opus_fec_beats_plc();
    test_opus_dtx();
    test_g711();
    test_g722();
    test_resampler();
    return check_finish("test_codecs");
}
