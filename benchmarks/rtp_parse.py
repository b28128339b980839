"""RTP/RTCP parse and build cost: the C kernel beside a plain C field decode, and the Python
API (uc_media.RtpPacket, parse_rtcp) beside aiortc's pure-Python parsers, in one run, over
the ffmpeg captures in tests/fixtures/rtp plus RTP packets carrying RFC 8285 extensions.

    python benchmarks/rtp_parse.py [--quick]

Targets: uc_rtp_parse within 2x of a plain C decode that validates nothing (ours checks
version, lengths and padding and walks the extension elements); the Python API no slower
than aiortc (ratio <= 1.0) for RTP parse, RTP build and RTCP compound parse.
"""

from __future__ import annotations

import sys
import tempfile
import timeit
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiortc.rtp import RtcpPacket as AiortcRtcpPacket  # noqa: E402
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters  # noqa: E402
from aiortc.rtp import HeaderExtensionsMap  # noqa: E402
from aiortc.rtp import RtpPacket as AiortcRtpPacket  # noqa: E402

from benchmarks._common import ROOT, build_c, emit, quick_flag, run_c, target  # noqa: E402
from uc_media import RtpPacket, parse_rtcp  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "rtp"


def packets() -> list[bytes]:
    data, out, pos = (FIXTURES / "opus_stream.bin").read_bytes(), [], 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 2], "big")
        out.append(data[pos + 2:pos + 2 + n])
        pos += 2 + n
    with_ext = RtpPacket(payload_type=111, sequence_number=1, timestamp=960, ssrc=5,
                         payload=out[0][12:])
    with_ext.set_audio_level(1, True, 40)
    with_ext.extensions[3] = b"a0"
    return out + [bytes(with_ext)] * 4


def aiortc_extensions_map() -> HeaderExtensionsMap:
    """aiortc decodes and encodes the same two elements (RFC 6464 level, MID) when told the
    ids, as its RTP receiver and sender do after SDP negotiation."""
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
        RTCRtpHeaderExtensionParameters(id=3, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    ]))
    return extensions_map


def per_call_us(fn: Callable[[Any], object], items: list[Any], number: int) -> float:
    def loop() -> None:
        for item in items:
            fn(item)
    best = min(timeit.repeat(loop, number=number, repeat=5))
    return best / (number * len(items)) * 1e6


def main() -> None:
    quick = quick_flag()
    rtp = packets()
    rtcp = [(FIXTURES / n).read_bytes() for n in ("rtcp_sr_sdes.bin", "rtcp_sr_sdes_bye.bin")]
    number = 200 if quick else 2000

    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(b"".join(len(p).to_bytes(2, "big") + p for p in rtp))
        f.flush()
        binary = build_c(ROOT / "benchmarks" / "cref" / "rtp_parse_loop.c", (ROOT / "csrc" / "rtp.c",))
        c = run_c(binary, f.name, str(200_000 if quick else 2_000_000))

    ours_parse = per_call_us(RtpPacket.parse, rtp, number)
    extensions_map = aiortc_extensions_map()
    aiortc_parse = per_call_us(lambda p: AiortcRtpPacket.parse(p, extensions_map), rtp, number)
    ours_objs = [RtpPacket.parse(p) for p in rtp]
    theirs_objs = [AiortcRtpPacket.parse(p, extensions_map) for p in rtp]
    # both sides do the same work: the same packets, elements included (aiortc writes MID
    # before the audio level, so only the parsed values are compared)
    assert [bytes(p) for p in ours_objs] == rtp
    assert [RtpPacket.parse(p.serialize(extensions_map)) for p in theirs_objs] == ours_objs
    ours_build = per_call_us(bytes, ours_objs, number)
    aiortc_build = per_call_us(lambda p: p.serialize(extensions_map), theirs_objs, number)
    ours_rtcp = per_call_us(parse_rtcp, rtcp, number)
    aiortc_rtcp = per_call_us(AiortcRtcpPacket.parse, rtcp, number)

    figures = {
        "c_uc_rtp_parse_ns": c["uc_rtp_parse_ns"],
        "c_plain_decode_ns": c["plain_c_ns"],
        "py_rtp_parse_us": round(ours_parse, 3),
        "aiortc_rtp_parse_us": round(aiortc_parse, 3),
        "py_rtp_build_us": round(ours_build, 3),
        "aiortc_rtp_build_us": round(aiortc_build, 3),
        "py_rtcp_parse_us": round(ours_rtcp, 3),
        "aiortc_rtcp_parse_us": round(aiortc_rtcp, 3),
    }
    targets = {
        "c_parse_vs_plain_c": target(c["uc_rtp_parse_ns"] / c["plain_c_ns"], 2.0, "<= 2x plain C decode"),
        "rtp_parse_vs_aiortc": target(ours_parse / aiortc_parse, 1.0, "<= 1.0x aiortc"),
        "rtp_build_vs_aiortc": target(ours_build / aiortc_build, 1.0, "<= 1.0x aiortc"),
        "rtcp_parse_vs_aiortc": target(ours_rtcp / aiortc_rtcp, 1.0, "<= 1.0x aiortc"),
    }
    emit(figures, targets)


if __name__ == "__main__":
    main()
