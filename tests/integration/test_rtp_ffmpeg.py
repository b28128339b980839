"""A live ffmpeg Opus/RTP stream on loopback, parsed by uc_media and accounted by
ReceiveStatistics; its RTCP SRs feed LSR/DLSR. ffmpeg missing is a failure, not a skip."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from uc_media import Bye, ReceiveStatistics, RtpPacket, Sdes, SenderReport, parse_rtcp

CAPTURE_SCRIPT = Path(__file__).resolve().parent.parent / "fixtures" / "rtp" / "capture.py"


def load_capture_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rtp_capture", CAPTURE_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.peer
def test_live_ffmpeg_stream_parses_and_accounts() -> None:
    assert shutil.which("ffmpeg"), "ffmpeg is required (make test installs it)"
    capture = load_capture_module()
    rtp_datagrams, rtcp_datagrams = capture.capture("rtp", [])
    assert len(rtp_datagrams) >= 45  # one second of 20 ms frames (loopback loses none)

    stats = ReceiveStatistics(capture.SSRC, 48000)
    for index, datagram in enumerate(rtp_datagrams):
        packet = RtpPacket.parse(datagram)
        assert bytes(packet) == datagram
        assert packet.ssrc == capture.SSRC and packet.payload_type == capture.PAYLOAD_TYPE
        assert packet.sequence_number == (capture.FIRST_SEQ + index) % 65536
        # arrival as if exactly on time: zero jitter is the only right answer
        stats.update(packet.sequence_number, packet.timestamp, index * 0.020)
    assert stats.cycles == 1  # the stream started at 65530 and wrapped
    assert stats.expected == stats.received == len(rtp_datagrams) - 1  # first was probation
    assert stats.lost == 0 and stats.reordered == 0 and stats.duplicates == 0
    assert stats.jitter == 0.0

    compounds = [parse_rtcp(d) for d in rtcp_datagrams]
    first_sr = compounds[0][0]
    assert isinstance(first_sr, SenderReport) and first_sr.ssrc == capture.SSRC
    assert isinstance(compounds[0][1], Sdes)
    assert compounds[0][1].chunks[0].cname == capture.CNAME.encode()
    last = compounds[-1]
    assert isinstance(last[0], SenderReport) and last[0].packet_count == len(rtp_datagrams)
    assert isinstance(last[-1], Bye) and last[-1].sources == [capture.SSRC]

    stats.sender_report_received(last[0].ntp_timestamp, now=2.0)
    block = stats.report_block(now=2.25)
    assert block.ssrc == capture.SSRC
    assert block.lsr == (last[0].ntp_timestamp >> 16) & 0xFFFFFFFF
    assert block.dlsr == 65536 // 4
    assert block.fraction_lost == 0 and block.packets_lost == 0
    assert block.highest_sequence == 65536 + (capture.FIRST_SEQ + len(rtp_datagrams) - 1) % 65536
