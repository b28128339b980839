"""Fuzz the codec entry points with arbitrary bytes: Opus decode / PLC / FEC, G.711 and
G.722 decode, Opus encode of arbitrary-length PCM and the resampler.

    python fuzz/fuzz_codecs.py -atheris_runs=20000

Decoders live across inputs, so state built by earlier inputs is exercised too. The only
acceptable exceptions are the documented MediaError subclasses; anything else (or a crash
in C) is a bug.
"""

import sys
from pathlib import Path

import atheris

# Test the tree this file is in, not whatever uc_media the interpreter would find first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import uc_media

OPUS_RATES = [8000, 12000, 16000, 24000, 48000]
RESAMPLER_RATES = [8000, 16000, 48000]
OPUS_DECODERS = {(rate, ch): uc_media.OpusDecoder(rate, ch) for rate in OPUS_RATES for ch in (1, 2)}
OPUS_ENCODER = uc_media.OpusEncoder(48000, 1, fec=True, packet_loss=10, dtx=True)
G711_DECODERS = [uc_media.G711Decoder("ulaw"), uc_media.G711Decoder("alaw")]
G722_DECODER = uc_media.G722Decoder()
G722_ENCODER = uc_media.G722Encoder()
RESAMPLERS = [uc_media.Resampler(a, b) for a in RESAMPLER_RATES for b in RESAMPLER_RATES if a != b]


# The code under test is C (uc_media._core, built without sanitizer coverage), so atheris's
# Python coverage comes from this function's own branches, which follow what the C returned.
@atheris.instrument_func
def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    target = fdp.ConsumeIntInRange(0, 6)
    try:
        if target == 0:
            decoder = OPUS_DECODERS[(fdp.PickValueInList(OPUS_RATES), fdp.ConsumeIntInRange(1, 2))]
            out = decoder.decode(fdp.ConsumeBytes(fdp.remaining_bytes()))
            assert 0 < len(out) <= 5760 * decoder.channels
        elif target == 1:
            decoder = OPUS_DECODERS[(48000, 1)]
            frame_size = fdp.ConsumeIntInRange(-10, 7000)
            payload = fdp.ConsumeBytes(fdp.remaining_bytes())
            out = decoder.decode(payload or None, fec=bool(payload), frame_size=frame_size)
            assert len(out) == frame_size
        elif target == 2:
            decoder = G711_DECODERS[fdp.ConsumeIntInRange(0, 1)]
            payload = fdp.ConsumeBytes(fdp.remaining_bytes())
            assert len(decoder.decode(payload)) == len(payload)
        elif target == 3:
            payload = fdp.ConsumeBytes(fdp.remaining_bytes())
            assert len(G722_DECODER.decode(payload)) == 2 * len(payload)
        elif target == 4:
            packet = OPUS_ENCODER.encode(fdp.ConsumeBytes(fdp.remaining_bytes()))
            assert 1 <= len(packet) <= 4000
        elif target == 5:
            resampler = RESAMPLERS[fdp.ConsumeIntInRange(0, len(RESAMPLERS) - 1)]
            resampler.process(fdp.ConsumeBytes(fdp.remaining_bytes()))
        else:
            G722_ENCODER.encode(fdp.ConsumeBytes(fdp.remaining_bytes()))
    except uc_media.MediaError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
