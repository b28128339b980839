"""uc_media's codecs against independent implementations: opuslib (ctypes over the system
libopus), PyAV (ffmpeg's libavcodec: libopus and ffmpeg's own Opus decoder, pcm_mulaw,
pcm_alaw and g722). A codec that only round-trips with itself proves little."""

from __future__ import annotations

import av
import numpy as np
import opuslib
import pytest

import uc_media
from codec_signals import aligned_snr_db, dominant_frequency, frames, noise, tone

RATE = 48000


def pyav_encode(codec: str, pcm: np.ndarray, rate: int, frame: int, bit_rate: int | None = None) -> list[bytes]:
    ctx = av.CodecContext.create(codec, "w")
    ctx.sample_rate = rate
    ctx.layout = "mono"
    ctx.format = "s16"
    if bit_rate is not None:
        ctx.bit_rate = bit_rate
    packets: list[bytes] = []
    for i, chunk in enumerate(frames(pcm, frame)):
        audio = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        audio.sample_rate = rate
        audio.pts = i * frame
        packets += [bytes(p) for p in ctx.encode(audio)]
    packets += [bytes(p) for p in ctx.encode(None)]
    return packets


def pyav_decode(codec: str, packets: list[bytes], rate: int) -> np.ndarray:
    ctx = av.CodecContext.create(codec, "r")
    ctx.sample_rate = rate
    ctx.layout = "mono"
    out = []
    for packet in packets:
        for audio in ctx.decode(av.Packet(packet)):
            samples = audio.to_ndarray().reshape(-1)
            if samples.dtype.kind == "f":  # ffmpeg's native Opus decoder gives float
                samples = np.clip(np.round(samples * 32768), -32768, 32767)
            out.append(samples.astype(np.int16))
    return np.concatenate(out)


# --- Opus --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tone_1k() -> np.ndarray:
    return tone(1000, RATE, 1.0)


@pytest.fixture(scope="module")
def uc_packets(tone_1k: np.ndarray) -> list[bytes]:
    encoder = uc_media.OpusEncoder(bitrate=64000)
    return [encoder.encode(f) for f in frames(tone_1k, 960)]


def assert_tone_recovered(reference: np.ndarray, decoded: np.ndarray, min_snr: float) -> None:
    assert abs(dominant_frequency(decoded[4800:], RATE) - 1000) <= 2
    # Opus delays by 312 samples at 48 kHz; PyAV's encoder adds its own padding.
    assert aligned_snr_db(reference, decoded, max_lag=2000, skip=4800) > min_snr


def test_packets_match_opuslib_byte_for_byte(tone_1k: np.ndarray, uc_packets: list[bytes]) -> None:
    """Same libopus, same settings: the encoder adds nothing and loses nothing."""
    encoder = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_VOIP)
    encoder.bitrate = 64000
    assert [encoder.encode(f.tobytes(), 960) for f in frames(tone_1k, 960)] == uc_packets


def test_uc_media_opus_decodes_in_opuslib(tone_1k: np.ndarray, uc_packets: list[bytes]) -> None:
    decoder = opuslib.Decoder(RATE, 1)
    decoded = np.frombuffer(b"".join(decoder.decode(p, 960) for p in uc_packets), dtype=np.int16)
    # 'voip' at 64 kbit/s: ~26.6 dB on a pure tone.
    assert_tone_recovered(tone_1k, decoded, min_snr=20)


@pytest.mark.parametrize("codec", ["libopus", "opus"])
def test_uc_media_opus_decodes_in_pyav(codec: str, tone_1k: np.ndarray, uc_packets: list[bytes]) -> None:
    decoded = pyav_decode(codec, uc_packets, RATE)
    assert len(decoded) == len(tone_1k)
    assert_tone_recovered(tone_1k, decoded, min_snr=20)


def test_opuslib_opus_decodes_in_uc_media(tone_1k: np.ndarray) -> None:
    encoder = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_AUDIO)
    encoder.bitrate = 64000
    packets = [encoder.encode(f.tobytes(), 960) for f in frames(tone_1k, 960)]
    decoder = uc_media.OpusDecoder()
    decoded = np.concatenate([np.asarray(decoder.decode(p)) for p in packets])
    # 'audio' keeps the waveform more faithfully: ~44 dB measured.
    assert_tone_recovered(tone_1k, decoded, min_snr=35)


def test_pyav_opus_decodes_in_uc_media(tone_1k: np.ndarray) -> None:
    packets = pyav_encode("libopus", tone_1k, RATE, 960, bit_rate=64000)
    decoder = uc_media.OpusDecoder()
    decoded = np.concatenate([np.asarray(decoder.decode(p)) for p in packets])
    # ffmpeg's libopus wrapper defaults to 'audio': ~44 dB measured.
    assert_tone_recovered(tone_1k, decoded, min_snr=35)


# --- G.711 -------------------------------------------------------------------------------

G711_CODECS = {"ulaw": "pcm_mulaw", "alaw": "pcm_alaw"}


def every_sample_and_noise() -> np.ndarray:
    """Every int16 value, then 0.96 s of noise: a whole number of 256-sample frames."""
    return np.concatenate([np.arange(-32768, 32768), noise(8000, 0.96, 5000, seed=11)]).astype(np.int16)


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_decoding_matches_ffmpeg_on_all_256_codes(law: str) -> None:
    codes = bytes(range(256))
    ours = np.asarray(uc_media.G711Decoder(law).decode(codes))
    theirs = pyav_decode(G711_CODECS[law], [codes], 8000)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_encoding_matches_ffmpeg_up_to_rounding_at_decision_points(law: str) -> None:
    """spandsp quantises all 16 bits; ffmpeg looks up a table indexed by the top 14, so the
    two may pick the neighbouring level for a sample near a decision boundary. Everywhere
    else they agree byte for byte."""
    pcm = every_sample_and_noise()
    ours = np.frombuffer(uc_media.G711Encoder(law).encode(pcm), dtype=np.uint8)
    theirs = np.frombuffer(b"".join(pyav_encode(G711_CODECS[law], pcm, 8000, 256)), dtype=np.uint8)[: len(pcm)]
    differ = np.nonzero(ours != theirs)[0]
    assert len(differ) / len(pcm) < 0.025  # measured 1.5% (mu-law) and 1.7% (A-law)
    table = np.asarray(uc_media.G711Decoder(law).decode(bytes(range(256)))).astype(np.int64)
    levels = np.unique(table)
    ours_level = np.searchsorted(levels, table[ours[differ]])
    theirs_level = np.searchsorted(levels, table[theirs[differ]])
    # Where they differ, the two codes are adjacent levels and the sample sits between them.
    assert np.all(np.abs(ours_level - theirs_level) == 1)
    x = pcm[differ].astype(np.int64)
    low = np.minimum(table[ours[differ]], table[theirs[differ]])
    high = np.maximum(table[ours[differ]], table[theirs[differ]])
    assert np.all((low <= x) & (x <= high))


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_ffmpeg_codes_decode_in_uc_media(law: str) -> None:
    pcm = tone(1004, 8000, 1.0, amplitude=10000)
    codes = b"".join(pyav_encode(G711_CODECS[law], pcm, 8000, 160))
    decoded = np.asarray(uc_media.G711Decoder(law).decode(codes))[: len(pcm)]
    assert aligned_snr_db(pcm, decoded, max_lag=0) > 35


# --- G.722 -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def g722_signal() -> np.ndarray:
    return np.concatenate([tone(1000, 16000, 0.5, amplitude=8000), noise(16000, 0.5, 3000, seed=5)])


def test_g722_encoding_matches_ffmpeg_byte_for_byte(g722_signal: np.ndarray) -> None:
    ours = uc_media.G722Encoder().encode(g722_signal)
    theirs = b"".join(pyav_encode("g722", g722_signal, 16000, 320, bit_rate=64000))
    assert ours == theirs[: len(ours)]


def test_ffmpeg_g722_decodes_in_uc_media(g722_signal: np.ndarray) -> None:
    payload = b"".join(pyav_encode("g722", g722_signal, 16000, 320, bit_rate=64000))
    ours = np.asarray(uc_media.G722Decoder().decode(payload))
    theirs = pyav_decode("g722", [payload[i : i + 160] for i in range(0, len(payload), 160)], 16000)
    np.testing.assert_array_equal(ours[: len(theirs)], theirs[: len(ours)])
    # The tone half: G.722 delays by 22 samples (two 24-tap QMF banks); ~47 dB measured.
    half = len(g722_signal) // 2
    assert aligned_snr_db(g722_signal[:half], ours[:half], max_lag=64, skip=160) > 40


def test_uc_media_g722_decodes_in_ffmpeg(g722_signal: np.ndarray) -> None:
    payload = uc_media.G722Encoder().encode(g722_signal)
    decoded = pyav_decode("g722", [payload[i : i + 160] for i in range(0, len(payload), 160)], 16000)
    half = len(g722_signal) // 2
    assert abs(dominant_frequency(decoded[160:half], 16000) - 1000) <= 2
    assert aligned_snr_db(g722_signal[:half], decoded[:half], max_lag=64, skip=160) > 40
