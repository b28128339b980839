"""The input shape the SIP fuzz harnesses share: raw bytes now and then, otherwise one of
the harness's valid seed messages with up to four bytes overwritten, so that matching and
the state machines are reached and not only the parser's error paths."""

from __future__ import annotations

from collections.abc import Sequence

import atheris


def seeded_payload(fdp: atheris.FuzzedDataProvider, seeds: Sequence[bytes], raw_one_in: int) -> bytes:
    """Raw bytes (up to 600) one time in `raw_one_in`, else a mutated copy of a seed."""
    if fdp.ConsumeIntInRange(0, raw_one_in - 1) == 0:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 600))
    seed = bytearray(seeds[fdp.ConsumeIntInRange(0, len(seeds) - 1)])
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        if seed:
            seed[fdp.ConsumeIntInRange(0, len(seed) - 1)] = fdp.ConsumeInt(1) & 0xFF
    return bytes(seed)
