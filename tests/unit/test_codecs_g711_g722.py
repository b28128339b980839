"""G.711 and G.722 through uc_media: fidelity on tones and noise, framing, bad input.

Thresholds, and why:
- G.711 (8-bit log PCM) keeps ~38 dB SNR over a ~40 dB range of levels: each segment
  doubles the step with the level (G.711 section 2). A tone at -10 dBFS measures 37.2-37.3
  dB here, Gaussian noise at -20 dBFS 36.7-37.5 dB; the tests ask 35 dB and 34 dB.
- G.722 at 64 kbit/s spends 48 kbit/s on the 0-4 kHz band (6-bit ADPCM) and only 16 kbit/s
  (2-bit ADPCM) on 4-8 kHz. A 1 kHz tone measures ~47 dB (test: 40); noise confined to the
  low band ~29 dB (test: 25); white noise over 0-8 kHz only ~11 dB (test: 9), because half
  its energy lands in the 2-bit high band. That is the codec, not a fault.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import uc_media
from codec_signals import aligned_snr_db, best_lag, dominant_frequency, noise, snr_db, tone

G722_DELAY = 22  # samples at 16 kHz: the analysis and synthesis QMF banks (24 taps each)


def g711_round_trip(law: str, pcm: np.ndarray) -> np.ndarray:
    return np.asarray(uc_media.G711Decoder(law).decode(uc_media.G711Encoder(law).encode(pcm)))


def g722_round_trip(pcm: np.ndarray, frame: int = 320) -> np.ndarray:
    encoder, decoder = uc_media.G722Encoder(), uc_media.G722Decoder()
    out = [np.asarray(decoder.decode(encoder.encode(pcm[i : i + frame]))) for i in range(0, len(pcm), frame)]
    return np.concatenate(out)


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
@pytest.mark.parametrize("amplitude", [1000, 10000, 30000])
def test_g711_tone_snr(law: str, amplitude: int) -> None:
    pcm = tone(1004, 8000, 1.0, amplitude=amplitude)  # 1004 Hz: not a submultiple of 8 kHz
    out = g711_round_trip(law, pcm)
    assert len(out) == len(pcm)
    assert snr_db(pcm, out) > 35


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_noise_snr(law: str) -> None:
    pcm = noise(8000, 1.0, 3000, seed=2)
    assert snr_db(pcm, g711_round_trip(law, pcm)) > 34


def test_g711_known_codes() -> None:
    # Zero: mu-law 0xFF; A-law 0xD5 (0x80 with G.711's even-bit inversion, 0x55).
    assert uc_media.G711Encoder("ulaw").encode(np.zeros(2, np.int16)) == b"\xff\xff"
    assert uc_media.G711Encoder("alaw").encode(np.zeros(2, np.int16)) == b"\xd5\xd5"
    # Full scale: mu-law 0x80 / 0x00 decode to +-32124, A-law 0xAA / 0x2A to +-32256.
    assert list(uc_media.G711Decoder("ulaw").decode(b"\x80\x00")) == [32124, -32124]
    assert list(uc_media.G711Decoder("alaw").decode(b"\xaa\x2a")) == [32256, -32256]


def test_g711_law_and_errors() -> None:
    assert uc_media.G711Encoder().law == "ulaw"
    assert uc_media.G711Decoder("alaw").law == "alaw"
    with pytest.raises(uc_media.InvalidArgumentError, match="ulaw"):
        uc_media.G711Encoder("mulaw")
    with pytest.raises(uc_media.InvalidArgumentError):
        uc_media.G711Decoder("pcmu")
    with pytest.raises(uc_media.InvalidArgumentError, match="whole number"):
        uc_media.G711Encoder().encode(b"\x00\x01\x02")
    with pytest.raises(uc_media.InvalidArgumentError, match="bytes-like"):
        uc_media.G711Decoder().decode(None)
    assert uc_media.G711Encoder().encode(b"") == b""
    assert len(uc_media.G711Decoder().decode(b"")) == 0


@given(st.binary(max_size=400), st.sampled_from(["ulaw", "alaw"]))
def test_g711_decoded_samples_are_fixed_points(codes: bytes, law: str) -> None:
    """Any payload decodes; re-encoding what it decoded to gives the same samples back."""
    decoded = uc_media.G711Decoder(law).decode(codes)
    assert len(decoded) == len(codes)
    again = uc_media.G711Decoder(law).decode(uc_media.G711Encoder(law).encode(decoded))
    assert list(again) == list(decoded)


@given(st.lists(st.integers(-32768, 32767), max_size=200), st.sampled_from(["ulaw", "alaw"]))
def test_g711_error_is_within_half_a_step(samples: list[int], law: str) -> None:
    pcm = np.array(samples, dtype=np.int16)
    out = g711_round_trip(law, pcm).astype(np.int64)
    x = pcm.astype(np.int64)
    # The step at level |x| is at most |x|/16 (4 mantissa bits) above the smallest step.
    inside = np.abs(x) <= 32000
    assert np.all(np.abs(out - x)[inside] <= np.abs(x)[inside] // 16 + 16)


def test_g722_tone_snr() -> None:
    pcm = tone(1000, 16000, 1.0, amplitude=8000)
    out = g722_round_trip(pcm)
    assert len(out) == len(pcm)
    assert abs(dominant_frequency(out, 16000) - 1000) <= 2
    assert aligned_snr_db(pcm, out, max_lag=64, skip=160) > 40


def test_g722_delay_is_its_qmf_banks() -> None:
    pcm = noise(16000, 0.5, 3000, seed=9, max_freq=3800)
    assert best_lag(pcm, g722_round_trip(pcm), max_lag=64) == G722_DELAY


def test_g722_low_band_noise_snr() -> None:
    pcm = noise(16000, 1.0, 3000, seed=4, max_freq=3800)
    assert snr_db(pcm, g722_round_trip(pcm), lag=G722_DELAY, skip=160) > 25


def test_g722_wideband_noise_snr() -> None:
    pcm = noise(16000, 1.0, 3000, seed=4)
    assert snr_db(pcm, g722_round_trip(pcm), lag=G722_DELAY, skip=160) > 9


def test_g722_state_carries_across_frames() -> None:
    """Frame boundaries are invisible: 20 ms frames code exactly like one long block."""
    pcm = noise(16000, 0.5, 3000, seed=6)
    whole = uc_media.G722Encoder().encode(pcm)
    encoder = uc_media.G722Encoder()
    framed = b"".join(encoder.encode(pcm[i : i + 320]) for i in range(0, len(pcm), 320))
    assert whole == framed
    decoder = uc_media.G722Decoder()
    per_frame = np.concatenate([np.asarray(decoder.decode(whole[i : i + 160])) for i in range(0, len(whole), 160)])
    np.testing.assert_array_equal(per_frame, np.asarray(uc_media.G722Decoder().decode(whole)))


def test_g722_sizes_and_rtp_clock() -> None:
    assert len(uc_media.G722Encoder().encode(np.zeros(320, np.int16))) == 160
    assert len(uc_media.G722Decoder().decode(bytes(160))) == 320
    # RFC 3551 section 4.5.2: 16 kHz audio, but an 8000 Hz RTP clock.
    assert uc_media.G722Encoder.SAMPLE_RATE == 16000
    assert uc_media.G722Encoder.RTP_CLOCK_RATE == uc_media.G722Decoder.RTP_CLOCK_RATE == 8000


def test_g722_odd_sample_count_raises() -> None:
    with pytest.raises(uc_media.InvalidArgumentError, match="even count"):
        uc_media.G722Encoder().encode(np.zeros(321, np.int16))


@given(st.binary(max_size=500))
def test_g722_any_payload_decodes(payload: bytes) -> None:
    assert len(uc_media.G722Decoder().decode(payload)) == 2 * len(payload)
