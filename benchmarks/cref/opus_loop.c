/* The plain-C reference for benchmarks/kernel_opus.py: libopus called directly in a loop.
 *
 *   opus_loop PCM_FILE FRAMES BITRATE COMPLEXITY REPEAT
 *
 * PCM_FILE holds 48 kHz mono int16 samples (at least FRAMES * 960). Each repetition makes a
 * fresh encoder (VoIP application, the given bitrate and complexity) and decoder outside the
 * timed region, encodes every 20 ms frame, then decodes every packet. Prints one JSON line
 * with the best (least disturbed) repetition's microseconds per frame, and the total packet
 * bytes so the caller can check it did the same work. */
#include <opus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RATE 48000
#define FRAME 960
#define MAX_PACKET 4000

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s PCM_FILE FRAMES BITRATE COMPLEXITY REPEAT\n", argv[0]);
        return 2;
    }
    int frames = atoi(argv[2]), bitrate = atoi(argv[3]), complexity = atoi(argv[4]), repeat = atoi(argv[5]);
    if (frames <= 0 || repeat <= 0) {
        fprintf(stderr, "FRAMES and REPEAT must be positive\n");
        return 2;
    }
    int16_t *pcm = malloc(sizeof(int16_t) * FRAME * (size_t)frames);
    uint8_t *packets = malloc((size_t)MAX_PACKET * (size_t)frames);
    int *lengths = malloc(sizeof(int) * (size_t)frames);
    int16_t out[FRAME];
    FILE *f = fopen(argv[1], "rb");
    if (pcm == NULL || packets == NULL || lengths == NULL || f == NULL ||
        fread(pcm, sizeof(int16_t) * FRAME, (size_t)frames, f) != (size_t)frames) {
        fprintf(stderr, "cannot read %d frames from %s\n", frames, argv[1]);
        return 1;
    }
    fclose(f);

    double best_encode = 1e30, best_decode = 1e30;
    long total_bytes = 0;
    for (int r = 0; r < repeat; r++) {
        int err = 0;
        OpusEncoder *enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
        OpusDecoder *dec = opus_decoder_create(RATE, 1, &err);
        if (enc == NULL || dec == NULL) {
            fprintf(stderr, "libopus create failed: %s\n", opus_strerror(err));
            return 1;
        }
        opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate));
        opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));

        double start = now_seconds();
        for (int i = 0; i < frames; i++) {
            lengths[i] = opus_encode(enc, pcm + (size_t)i * FRAME, FRAME, packets + (size_t)i * MAX_PACKET, MAX_PACKET);
        }
        double encode = now_seconds() - start;

        start = now_seconds();
        for (int i = 0; i < frames; i++) {
            if (opus_decode(dec, packets + (size_t)i * MAX_PACKET, lengths[i], out, FRAME, 0) != FRAME) {
                fprintf(stderr, "decode failed at frame %d\n", i);
                return 1;
            }
        }
        double decode = now_seconds() - start;

        total_bytes = 0;
        for (int i = 0; i < frames; i++) {
            if (lengths[i] < 0) {
                fprintf(stderr, "encode failed at frame %d\n", i);
                return 1;
            }
            total_bytes += lengths[i];
        }
        best_encode = encode < best_encode ? encode : best_encode;
        best_decode = decode < best_decode ? decode : best_decode;
        opus_encoder_destroy(enc);
        opus_decoder_destroy(dec);
    }
    printf("{\"encode_us\": %.3f, \"decode_us\": %.3f, \"bytes\": %ld, \"version\": \"%s\"}\n",
           best_encode / frames * 1e6, best_decode / frames * 1e6, total_bytes, opus_get_version_string());
    free(pcm);
    free(packets);
    free(lengths);
    return 0;
}
