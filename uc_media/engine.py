"""Typed values of the media engine: SRTP keys for a leg, statistics, and the events the
worker threads report (see `uc_media.Engine`).

Events arrive through `Engine.poll_events()` (synchronous) or `Engine.events()` (an async
iterator over the engine's event eventfd, watched with `loop.add_reader`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from uc_media._core import AudioConference, Engine, Leg

Codec = Literal["opus", "pcmu", "pcma", "g722"]
Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive"]
BridgeMode = Literal["relay", "transcode"]


@dataclass(frozen=True)
class SrtpKeys:
    """SDES-SRTP keys of one leg (RFC 4568): `local_key` protects what we send (announced in
    our a=crypto line), `remote_key` unprotects what the peer sends (from its line). Both are
    master key || master salt."""

    suite: str
    local_key: bytes
    remote_key: bytes
    srtcp_tag_32: bool = False


@dataclass(frozen=True)
class LegStats:
    packets_received: int
    bytes_received: int
    rtp_received: int
    rtcp_received: int
    stun_received: int
    dtls_dropped: int
    unknown_dropped: int
    malformed: int
    auth_failed: int
    replayed: int
    srtp_errors: int
    wrong_source: int
    wrong_payload_type: int
    dropped_direction: int
    jitter_late: int
    jitter_discarded: int
    concealed_ticks: int
    decode_errors: int
    decodes: int
    encodes: int
    packets_sent: int
    bytes_sent: int
    rtcp_sent: int
    dtmf_received: int
    dtmf_sent: int
    relayed: int
    remote_ssrc: int
    expected: int
    lost: int
    jitter_ms: float
    have_peer_report: bool
    peer_fraction_lost: float
    peer_cumulative_lost: int
    peer_jitter_ms: float
    rtt_ms: float | None
    local_ssrc: int
    remote_known: bool
    last_level: int
    ice_state: str | None  # "waiting", "connected", "expired"; None without ICE
    stun_answered: int


@dataclass(frozen=True)
class ConferenceStats:
    ticks: int
    decodes: int
    shared_encodes: int
    own_encodes: int
    talker_changes: int
    participants: int
    classes: int
    talkers: int


@dataclass(frozen=True)
class WorkerStats:
    ticks: int
    late_ticks: int
    tick_ns_total: int
    tick_ns_max: int
    cpu_ns: int
    packets_received: int
    packets_sent: int
    send_errors: int
    sendmmsg_calls: int
    recvmmsg_calls: int
    events_dropped: int
    legs: int
    conferences: int
    bridges: int


@dataclass(frozen=True)
class RemoteLatched:
    """The leg learned its remote address from the first valid packet (symmetric RTP)."""

    leg: Leg | None
    address: tuple[str, int]


@dataclass(frozen=True)
class TalkersChanged:
    """The conference's talker set changed: (leg, RFC 6464 level in -dBov) per talker."""

    conference: AudioConference | None
    talkers: tuple[tuple[Leg | None, int], ...]


@dataclass(frozen=True)
class DtmfReceived:
    leg: Leg | None
    digit: str
    duration_ms: int


@dataclass(frozen=True)
class StreamStats:
    """Sent with each RTCP report of a leg."""

    leg: Leg | None
    packets_received: int
    packets_lost: int
    packets_sent: int
    jitter_ms: float
    rtt_ms: float | None
    fraction_lost: float | None


@dataclass(frozen=True)
class IceStateChanged:
    """The leg's ICE-lite state changed, or a new pair was nominated (`address`: where
    media goes now). "expired": consent lost (RFC 7675), the leg stops sending."""

    leg: Leg | None
    state: str
    address: tuple[str, int] | None


@dataclass(frozen=True)
class LevelReport:
    leg: Leg | None
    level: int


@dataclass(frozen=True)
class EngineError:
    """A worker failed at something it cannot report otherwise (e.g. a leg socket's
    receive failed): `code` is a uc_errors code, `errno` the system's."""

    object: Leg | AudioConference | None
    code: int
    errno: int


@dataclass(frozen=True)
class PlaybackFinished:
    """A clip given to `Leg.play` or `AudioConference.play` ended. `id`: the one given to
    play(); `reason`: "completed" (played out), "stopped" (stop_playback, or the leg
    entered a bridge), "replaced" (another play() on the same leg or conference);
    `samples`: played at 48 kHz, over all passes of a loop."""

    source: Leg | AudioConference | None
    id: int
    reason: str
    samples: int


@dataclass(frozen=True)
class RecordingFinished:
    """A `Leg.record` ended: "completed" (the buffer is full) or "stopped"
    (stop_recording, or the leg entered a bridge); `samples` were written to the buffer,
    at the rate given to record()."""

    leg: Leg | None
    id: int
    reason: str
    samples: int


Event = (
    RemoteLatched | TalkersChanged | DtmfReceived | StreamStats | LevelReport | IceStateChanged | EngineError
    | PlaybackFinished | RecordingFinished
)


async def event_stream(engine: Engine) -> AsyncIterator[Event]:
    """Yield the engine's events as they come, waking on its eventfd (loop.add_reader).
    Ends when the engine is closed."""
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    fd = engine.event_fd
    loop.add_reader(fd, ready.set)
    waker = (loop, ready, fd)
    engine._stream_wakers.add(waker)
    try:
        while not engine.closed:
            for event in engine.poll_events():
                yield event
            await ready.wait()
            ready.clear()
    finally:
        engine._stream_wakers.discard(waker)
        if not engine.closed:
            loop.remove_reader(fd)


def wake_streams(wakers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event, int]]) -> None:
    """Before the engine's eventfd closes: stop watching it, and wake every event_stream so
    it sees the engine closed and ends."""
    for loop, ready, fd in list(wakers):
        if loop.is_closed():
            continue
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.remove_reader(fd)
            ready.set()
        else:
            loop.call_soon_threadsafe(loop.remove_reader, fd)
            loop.call_soon_threadsafe(ready.set)
