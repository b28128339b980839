"""A conference participant made of plain Python: a UDP socket, uc_media's SrtpSession,
OpusEncoder/OpusDecoder, and RTP headers packed by hand (optionally with an RFC 6464
audio level in an RFC 8285 one-byte extension). Used to drive the engine's legs."""

from __future__ import annotations

import math
import secrets
import socket
import struct
import time
from array import array
from collections.abc import Callable

import numpy as np

import uc_media
from uc_media import G711Decoder, G711Encoder, OpusDecoder, OpusEncoder, SrtpSession
from uc_media.engine import SrtpKeys

SUITE = "AES_CM_128_HMAC_SHA1_80"
RATE = 48000
LEVEL_ID = 1


def leg_keys() -> tuple[SrtpKeys, bytes, bytes]:
    """Keys for a leg and its participant: (the leg's SrtpKeys, participant's send key,
    participant's receive key)."""
    engine_key = secrets.token_bytes(30)
    peer_key = secrets.token_bytes(30)
    return SrtpKeys(SUITE, engine_key, peer_key), peer_key, engine_key


class Participant:
    def __init__(self, leg: uc_media.Leg, freq: float, *, srtp: tuple[bytes, bytes] | None,
                 levels: bool = False, amplitude: float = 8000.0, codec: str = "opus") -> None:
        self.leg = leg
        self.freq = freq
        self.amplitude = amplitude
        self.levels = levels
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.address = self.sock.getsockname()
        self.tx = SrtpSession(SUITE, srtp[0], "outbound") if srtp else None
        self.rx = SrtpSession(SUITE, srtp[1], "inbound") if srtp else None
        self.codec = codec
        self.rate = RATE if codec == "opus" else 8000
        self.frame = self.rate // 50
        self.pt = 111 if codec == "opus" else 0
        self.encoder = OpusEncoder(RATE, 1) if codec == "opus" else G711Encoder("ulaw")
        self.decoder = OpusDecoder(RATE, 1) if codec == "opus" else G711Decoder("ulaw")
        self.ssrc = secrets.randbits(32)
        self.seq = secrets.randbits(16)
        self.ts = secrets.randbits(32)
        self.sample = 0
        self.sending = True
        self.lose = 0  # packets to build and count but not send (loss on the way)
        self.received: list[tuple[int, bytes]] = []  # (sequence number, payload)
        self.received_pt: list[int] = []
        self.received_ts: list[int] = []             # RTP timestamps, beside received_pt
        self.received_other: list[bytes] = []        # RTCP and anything else
        self.errors = 0

    @property
    def target(self) -> tuple[str, int]:
        return ("127.0.0.1", self.leg.local_port)

    def tone_frame(self) -> array:
        n = np.arange(self.sample, self.sample + self.frame)
        self.sample += self.frame
        pcm = (self.amplitude * np.sin(2 * math.pi * self.freq * n / self.rate)).astype(np.int16)
        return array("h", pcm.tobytes())

    def rtp(self, payload: bytes, level: int | None = None, pt: int | None = None, marker: bool = False) -> bytes:
        pt = self.pt if pt is None else pt
        ext = b""
        first = 0x80
        if level is not None:
            first |= 0x10  # X bit
            # RFC 8285 one-byte form: id 1, length 1 (L = 0); V bit set (RFC 6464).
            ext = struct.pack("!HH", 0xBEDE, 1) + bytes([(LEVEL_ID << 4) | 0, 0x80 | level, 0, 0])
        header = struct.pack("!BBHII", first, (0x80 if marker else 0) | pt, self.seq, self.ts, self.ssrc)
        self.seq = (self.seq + 1) & 0xFFFF
        return header + ext + payload

    def send_tick(self) -> None:
        if not self.sending:
            return
        pcm = self.tone_frame()
        level = uc_media.audio_level(pcm) if self.levels else None
        packet = self.rtp(self.encoder.encode(pcm), level)
        self.ts = (self.ts + self.frame) & 0xFFFFFFFF
        if self.lose > 0:
            self.lose -= 1
            return
        self.send_raw(self.tx.protect(packet) if self.tx else packet)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    def drain(self) -> None:
        for _ in range(1000):
            try:
                data = self.sock.recv(2048)
            except BlockingIOError:
                return
            if len(data) >= 2 and 192 <= data[1] <= 223:
                self.received_other.append(data)
                continue
            try:
                plain = self.rx.unprotect(data) if self.rx else data
            except uc_media.MediaError:
                self.errors += 1
                continue
            seq = struct.unpack("!H", plain[2:4])[0]
            cc = plain[0] & 0x0F
            offset = 12 + 4 * cc
            if plain[0] & 0x10:
                offset += 4 + 4 * struct.unpack("!H", plain[offset + 2:offset + 4])[0]
            self.received.append((seq, bytes(plain[offset:])))
            self.received_pt.append(plain[1] & 0x7F)
            self.received_ts.append(struct.unpack("!I", plain[4:8])[0])

    def decoded(self, last_packets: int | None = None) -> np.ndarray:
        audio = [(q, p) for (q, p), pt in zip(self.received, self.received_pt) if pt == self.pt]
        packets = audio[-last_packets:] if last_packets else audio
        out = [np.frombuffer(self.decoder.decode(p), dtype=np.int16) for _, p in packets if p]
        return np.concatenate(out) if out else np.zeros(0, np.int16)

    def close(self) -> None:
        self.sock.close()


def run(participants: list[Participant], ticks: int, engine: uc_media.Engine | None = None,
        events: list | None = None, on_tick: Callable[[int], None] | None = None) -> None:
    """Send one frame per participant every 20 ms for `ticks` ticks, draining replies."""
    start = time.monotonic()
    for i in range(ticks):
        if on_tick is not None:
            on_tick(i)
        for p in participants:
            p.send_tick()
        for p in participants:
            p.drain()
        if engine is not None and events is not None:
            events.extend(engine.poll_events())
        delay = start + (i + 1) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    time.sleep(0.1)
    for p in participants:
        p.drain()


def tone_magnitudes(pcm: np.ndarray, freqs: list[float], rate: int = RATE) -> dict[float, float]:
    """Spectral magnitude (Hann window) around each frequency, per sample."""
    if len(pcm) < rate // 4:
        return {f: 0.0 for f in freqs}
    x = pcm.astype(np.float64) * np.hanning(len(pcm))
    spectrum = np.abs(np.fft.rfft(x)) / len(pcm)
    bins = np.fft.rfftfreq(len(pcm), 1 / rate)
    return {f: float(spectrum[(bins > f - 8) & (bins < f + 8)].max()) for f in freqs}
