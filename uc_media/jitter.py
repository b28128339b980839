"""Types of the jitter buffer's Python API: what `put` and `get` return, and its stats.

The buffer itself is `uc_media.JitterBuffer` (compiled, csrc/jitter.c). These are plain
Python so they can be built, compared and printed without the engine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class JitterAction(enum.IntEnum):
    """What the caller does with one tick (values match csrc/jitter.h)."""

    PLAY = 0  # decode `payload`; it lasts `samples` (one or more ticks)
    CONCEAL = 1  # run the decoder's packet-loss concealment for one tick
    SILENCE = 2  # nothing is expected (not started, DTX, stream idle): comfort noise
    CONTINUE = 3  # the packet played on an earlier tick still covers this tick


class PutOutcome(enum.IntEnum):
    """What `put` did with a packet (values match csrc/jitter.h)."""

    STORED = 0
    DUPLICATE = 1  # the sequence number was already received
    LATE = 2  # its playout time had passed
    DISCARDED = 3  # buffer full, or a sequence jump still on probation (RFC 3550 A.1)


@dataclass(frozen=True, slots=True)
class JitterOutput:
    """One tick's instruction from `JitterBuffer.get`.

    `payload`, `seq` are set for PLAY only. `timestamp` is the packet's RTP timestamp for
    PLAY and the timestamp the tick stands for for CONCEAL. `samples` is the packet's
    duration for PLAY and one tick otherwise. `dropped` counts packets skipped just before
    this one to shrink the delay; `inserted` marks a CONCEAL that only grows the delay
    (the next packet is waiting in the buffer).
    """

    action: JitterAction
    payload: bytes | None = None
    seq: int | None = None
    timestamp: int = 0
    samples: int = 0
    dropped: int = 0
    inserted: bool = False


@dataclass(frozen=True, slots=True)
class JitterStats:
    """Counters named as W3C webrtc-stats (RTCInboundRtpStreamStats) where a name exists.

    jitterBufferDelay and jitterBufferTargetDelay are sums over emitted samples in
    seconds, as the W3C defines them: divide by jitterBufferEmittedCount for the mean.
    packetsLate, packetsDuplicated and resyncs have no W3C name.
    """

    packetsReceived: int
    packetsLate: int
    packetsDuplicated: int
    packetsDiscarded: int
    jitterBufferDelay: float
    jitterBufferEmittedCount: int
    jitterBufferTargetDelay: float
    concealedSamples: int
    concealmentEvents: int
    insertedSamplesForDeceleration: int
    removedSamplesForAcceleration: int
    resyncs: int
