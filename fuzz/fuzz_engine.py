"""Fuzz the engine's packet path over a real loopback socket: raw datagrams of any bytes,
and fuzzed RTP/RTCP (headers, RFC 8285 extensions, RFC 6464 levels, telephone-events,
Opus/G.711 payloads, RTCP compounds) wrapped in valid SRTP/SRTCP so that they get past
authentication into the parsers, the jitter buffer, the decoders and the mixer. The
conference ticks meanwhile. Every input must be counted and dropped or used; the worker
must stay alive (a stats command answers) and never crash.

    python fuzz/fuzz_engine.py -atheris_runs=20000
"""

import secrets
import socket
import struct
import sys
import time

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["uc_media.engine"]):
    import uc_media
    from uc_media import SrtpSession
    from uc_media.engine import Codec, SrtpKeys

SUITE = "AES_CM_128_HMAC_SHA1_80"
ENGINE = uc_media.Engine(workers=1, port_range=(47000, 47099))
CONF = ENGINE.create_conference(top_k=2)
PEER_KEY = secrets.token_bytes(30)
SOCK = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
SOCK.bind(("127.0.0.1", 0))
SOCK.setblocking(False)
LEGS = []
CODECS: tuple[tuple[Codec, int], ...] = (("opus", 1), ("pcmu", 0))
for codec, level_id in CODECS:
    leg = ENGINE.create_leg(codec, srtp=SrtpKeys(SUITE, secrets.token_bytes(30), PEER_KEY), audio_level_id=level_id)
    CONF.add_leg(leg)
    LEGS.append(leg)
TX = SrtpSession(SUITE, PEER_KEY, "outbound")
STATE = {"seq": 0, "sent": 0}


def rtp(fdp: atheris.FuzzedDataProvider) -> bytes:
    pt = fdp.PickValueInList([111, 0, 101, 13, fdp.ConsumeIntInRange(0, 127)])
    marker = 0x80 if fdp.ConsumeBool() else 0
    STATE["seq"] = (STATE["seq"] + fdp.ConsumeIntInRange(0, 3)) & 0xFFFF
    ext = b""
    first = 0x80
    if fdp.ConsumeBool():
        first |= 0x10
        body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 12))
        body += b"\x00" * (-len(body) % 4)
        profile = fdp.PickValueInList([0xBEDE, 0x1000, fdp.ConsumeIntInRange(0, 0xFFFF)])
        ext = struct.pack("!HH", profile, len(body) // 4) + body
    header = struct.pack("!BBHII", first, marker | pt, STATE["seq"], fdp.ConsumeIntInRange(0, 2**32 - 1), 0x1234)
    return header + ext + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 400))


def rtcp(fdp: atheris.FuzzedDataProvider) -> bytes:
    body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(4, 120))
    body += b"\x00" * (-len(body) % 4)
    pt = fdp.PickValueInList([200, 201, 202, 203, 204, 205, 206])
    count = fdp.ConsumeIntInRange(0, 31)
    return struct.pack("!BBHI", 0x80 | count, pt, len(body) // 4 + 1, 0x1234) + body


# The code under test is C (uc_media._core, built without sanitizer coverage), so atheris's
# Python coverage comes from this function's own branches, which follow what the C returned.
@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    leg = LEGS[fdp.ConsumeIntInRange(0, len(LEGS) - 1)]
    kind = fdp.ConsumeIntInRange(0, 2)
    try:
        if kind == 0:
            packet = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 1500))
        elif kind == 1:
            packet = TX.protect(rtp(fdp))
        else:
            packet = TX.protect_rtcp(rtcp(fdp))
    except uc_media.MediaError:
        return  # a header our own sender refuses to protect: nothing to send
    SOCK.sendto(packet, ("127.0.0.1", leg.local_port))
    STATE["sent"] += 1
    if STATE["sent"] % 256 == 0:
        time.sleep(0.002)  # let the worker drain its socket buffer
        for other in LEGS:
            other.stats()  # a command round trip: the worker is alive


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    try:
        atheris.Fuzz()
    finally:
        time.sleep(0.1)
        received = sum(leg.stats().packets_received for leg in LEGS)
        assert received > 0 or STATE["sent"] == 0
        accepted = sum(leg.stats().rtp_received + leg.stats().rtcp_received for leg in LEGS)
        print(f"fuzz_engine: {STATE['sent']} datagrams sent, {received} received, {accepted} valid RTP/RTCP", file=sys.stderr)
        ENGINE.close()


if __name__ == "__main__":
    main()
