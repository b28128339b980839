"""Opus encode and decode cost per 20 ms frame: uc_media beside a plain C loop over libopus,
opuslib (ctypes over the same libopus) and PyAV (ffmpeg's libopus wrapper, its own bundled
libopus), all in one run, on the same speech-like 48 kHz mono signal with the same bitrate
and complexity.

    python benchmarks/kernel_opus.py [--quick]

Target: uc_media within 1.1x of the plain C loop, for encode and for decode. Each figure is
the best of several repetitions (the least disturbed by other load); each repetition uses a
fresh encoder and decoder, created outside the timed region, as the C loop does.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script (python benchmarks/kernel_opus.py) or imported by media_kernels.py:
# either way measure the tree this file is in.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av  # noqa: E402
import numpy as np  # noqa: E402
import opuslib  # noqa: E402

import uc_media  # noqa: E402
from benchmarks import _common  # noqa: E402

RATE = 48000
FRAME = 960  # 20 ms
BITRATE = 32000
COMPLEXITY = 10
C_SOURCE = Path(__file__).resolve().parent / "cref" / "opus_loop.c"


def speech_like(seconds: float, seed: int = 1) -> np.ndarray:
    """Voiced-speech stand-in: a 120 +- 20 Hz harmonic series under two formant-like peaks,
    a 4 Hz syllable envelope, short pauses, and a little noise."""
    rng = np.random.default_rng(seed)
    n = int(RATE * seconds)
    t = np.arange(n) / RATE
    phase = 2 * np.pi * np.cumsum(120 + 20 * np.sin(2 * np.pi * 0.7 * t)) / RATE
    x = np.zeros(n)
    for k in range(1, 30):
        weight = np.exp(-((k * 120 - 500) / 300) ** 2) + 0.5 * np.exp(-((k * 120 - 1500) / 400) ** 2) + 0.05
        x += weight * np.sin(k * phase)
    envelope = np.clip(0.2 + np.sin(2 * np.pi * 4 * t), 0, None)  # syllables with gaps
    x = x * envelope + 0.01 * rng.normal(0, 1, n)
    return np.round(x / np.abs(x).max() * 12000).astype(np.int16)


def time_uc_media(frames: list[bytes], repeat: int) -> tuple[float, float, int]:
    best_encode = best_decode = float("inf")
    total = 0
    for _ in range(repeat):
        encoder = uc_media.OpusEncoder(RATE, 1, "voip", bitrate=BITRATE, complexity=COMPLEXITY)
        decoder = uc_media.OpusDecoder(RATE, 1)
        encode, decode = encoder.encode, decoder.decode
        packets: list[bytes] = []
        append = packets.append
        start = _common.time.perf_counter()
        for frame in frames:
            append(encode(frame))
        best_encode = min(best_encode, _common.time.perf_counter() - start)
        start = _common.time.perf_counter()
        for packet in packets:
            decode(packet)
        best_decode = min(best_decode, _common.time.perf_counter() - start)
        total = sum(map(len, packets))
    return best_encode / len(frames) * 1e6, best_decode / len(frames) * 1e6, total


def time_opuslib(frames: list[bytes], repeat: int) -> tuple[float, float, int]:
    best_encode = best_decode = float("inf")
    total = 0
    for _ in range(repeat):
        encoder = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_VOIP)
        encoder.bitrate = BITRATE
        encoder.complexity = COMPLEXITY
        decoder = opuslib.Decoder(RATE, 1)
        start = _common.time.perf_counter()
        packets = [encoder.encode(frame, FRAME) for frame in frames]
        best_encode = min(best_encode, _common.time.perf_counter() - start)
        start = _common.time.perf_counter()
        for packet in packets:
            decoder.decode(packet, FRAME)
        best_decode = min(best_decode, _common.time.perf_counter() - start)
        total = sum(map(len, packets))
    return best_encode / len(frames) * 1e6, best_decode / len(frames) * 1e6, total


def time_pyav(pcm: np.ndarray, n_frames: int, repeat: int) -> tuple[float, float, int]:
    """PyAV with its inputs made outside the timed region (AudioFrame and Packet objects),
    so only the codec calls are timed."""
    audio_frames = []
    for i in range(n_frames):
        frame = av.AudioFrame.from_ndarray(pcm[i * FRAME : (i + 1) * FRAME].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = i * FRAME
        audio_frames.append(frame)
    best_encode = best_decode = float("inf")
    total = 0
    for _ in range(repeat):
        encoder = av.CodecContext.create("libopus", "w")
        encoder.sample_rate = RATE
        encoder.layout = "mono"
        encoder.format = "s16"
        encoder.bit_rate = BITRATE
        encoder.options = {"application": "voip", "compression_level": str(COMPLEXITY)}
        encoder.open()
        start = _common.time.perf_counter()
        packets = [p for frame in audio_frames for p in encoder.encode(frame)]
        best_encode = min(best_encode, _common.time.perf_counter() - start)
        payloads = [bytes(p) for p in packets]
        inputs = [av.Packet(p) for p in payloads]
        decoder = av.CodecContext.create("libopus", "r")
        decoder.sample_rate = RATE
        decoder.layout = "mono"
        decoder.open()
        start = _common.time.perf_counter()
        for packet in inputs:
            decoder.decode(packet)
        best_decode = min(best_decode, _common.time.perf_counter() - start)
        total = sum(map(len, payloads))
    # PyAV's encoder holds back its look-ahead: it emits fewer packets than frames fed.
    return best_encode / n_frames * 1e6, best_decode / max(len(inputs), 1) * 1e6, total


def run(quick: bool) -> tuple[dict, dict]:
    n_frames = 250 if quick else 1000  # 5 s or 20 s of audio
    repeat = 5 if quick else 9
    pcm = speech_like(n_frames * FRAME / RATE)
    _common.BUILD.mkdir(parents=True, exist_ok=True)
    pcm_path = _common.BUILD / "opus_speech_48k.raw"
    pcm_path.write_bytes(pcm.tobytes())
    frames = [pcm[i * FRAME : (i + 1) * FRAME].tobytes() for i in range(n_frames)]

    c_ref = _common.run_c(_common.build_c(C_SOURCE), str(pcm_path), str(n_frames), str(BITRATE), str(COMPLEXITY), str(repeat))
    uc_enc, uc_dec, uc_bytes = time_uc_media(frames, repeat)
    ol_enc, ol_dec, ol_bytes = time_opuslib(frames, repeat)
    av_enc, av_dec, av_bytes = time_pyav(pcm, n_frames, repeat)

    figures = {
        "opus_frames": n_frames,
        "opus_bitrate": BITRATE,
        "opus_complexity": COMPLEXITY,
        "opus_libopus_version": c_ref["version"],
        # Same libopus, same settings: uc_media and the C loop must produce the same packets.
        "opus_same_packets_as_c": uc_bytes == c_ref["bytes"] == ol_bytes,
        "opus_encode_us_c": round(c_ref["encode_us"], 2),
        "opus_encode_us_uc_media": round(uc_enc, 2),
        "opus_encode_us_opuslib": round(ol_enc, 2),
        "opus_encode_us_pyav": round(av_enc, 2),
        "opus_decode_us_c": round(c_ref["decode_us"], 2),
        "opus_decode_us_uc_media": round(uc_dec, 2),
        "opus_decode_us_opuslib": round(ol_dec, 2),
        "opus_decode_us_pyav": round(av_dec, 2),
        "opus_encode_ratio_uc_media_vs_c": round(uc_enc / c_ref["encode_us"], 3),
        "opus_encode_ratio_opuslib_vs_c": round(ol_enc / c_ref["encode_us"], 3),
        "opus_encode_ratio_pyav_vs_c": round(av_enc / c_ref["encode_us"], 3),
        "opus_decode_ratio_uc_media_vs_c": round(uc_dec / c_ref["decode_us"], 3),
        "opus_decode_ratio_opuslib_vs_c": round(ol_dec / c_ref["decode_us"], 3),
        "opus_decode_ratio_pyav_vs_c": round(av_dec / c_ref["decode_us"], 3),
        "opus_bytes_uc_media": uc_bytes,
        # PyAV's wheel bundles its own, newer libopus: its packets and cost differ for that reason.
        "opus_bytes_pyav": av_bytes,
    }
    targets = {
        "opus_encode_uc_media_vs_c": _common.target(uc_enc / c_ref["encode_us"], 1.1, "<= 1.1x plain C"),
        "opus_decode_uc_media_vs_c": _common.target(uc_dec / c_ref["decode_us"], 1.1, "<= 1.1x plain C"),
    }
    return figures, targets


if __name__ == "__main__":
    _common.emit(*run(_common.quick_flag()))
