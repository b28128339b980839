"""Fuzz the RTP and RTCP parsers (csrc/rtp.c, csrc/rtcp.c) and their re-serialisation.

    python fuzz/fuzz_rtp.py -atheris_runs=20000

Each input is used raw, or as byte edits on one of the ffmpeg captures and on packets built
with every RFC 8285 form and RTCP type (so mutations start deep inside valid packets), and
parsed as RTP (with its extensions and any RFC 6464 audio level) or as an RTCP compound
(full and reduced-size), then fed to receive statistics. Whatever parses must serialise and
parse back to an equal value. The only acceptable exception is PacketError on parse;
anything else, or a crash in C, is a bug.
"""

import sys
from pathlib import Path

import atheris

# Test the tree this file is in, not whatever uc_media the interpreter would find first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    import uc_media

STATS = uc_media.ReceiveStatistics(0x1234, 48000)
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "rtp"


def _seeds() -> tuple[list[bytes], list[bytes]]:
    rtp = [(FIXTURES / n).read_bytes() for n in ("opus_first.bin", "opus_seq_0.bin")]
    one = uc_media.RtpPacket(payload_type=111, csrc=[1, 2], payload=b"opus", padding_size=4,
                             extensions={1: b"\x9e", 3: b"abc"})
    two = uc_media.RtpPacket(payload_type=96, extensions={1: b"", 200: b"x" * 20}, payload=b"v")
    other = uc_media.RtpPacket(extension_profile=0x1234, extension_data=b"abcdefgh")
    rtp += [bytes(one), bytes(two), bytes(other)]
    rtcp = [(FIXTURES / n).read_bytes() for n in ("rtcp_sr_sdes.bin", "rtcp_sr_sdes_bye.bin")]
    rtcp.append(uc_media.serialize_rtcp([
        uc_media.ReceiverReport(ssrc=1, reports=[uc_media.ReportBlock(ssrc=2, packets_lost=-1)]),
        uc_media.Sdes([uc_media.SdesChunk(1, [uc_media.SdesItem(1, b"cname")]), uc_media.SdesChunk(2)]),
        uc_media.Bye([1, 2], b"reason"),
        uc_media.App(ssrc=1, name=b"TEST", subtype=3, data=b"data"),
        uc_media.GenericNack(1, 2, [10, 11, 20, 40]),
        uc_media.PictureLossIndication(1, 2),
        uc_media.FullIntraRequest(1, [uc_media.FirEntry(2, 9)]),
        uc_media.UnknownRtcpPacket(207, 0, b"1234"),
    ]))
    return rtp, rtcp


RTP_SEEDS, RTCP_SEEDS = _seeds()


def _mutate(seed: bytes, fdp: "atheris.FuzzedDataProvider") -> bytes:
    """Overwrite a few bytes of a seed, then maybe cut it short."""
    data = bytearray(seed)
    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        data[fdp.ConsumeIntInRange(0, len(data) - 1)] = fdp.ConsumeInt(1) & 0xFF
    return bytes(data[:fdp.ConsumeIntInRange(0, len(data))] if fdp.ConsumeBool() else data)


def _nack_sets(packets: list) -> list:
    """A NACK means a set of lost sequence numbers; its PID/BLP packing is not unique."""
    return [sorted(set(p.lost)) if isinstance(p, uc_media.GenericNack) else p for p in packets]


@atheris.instrument_func
def fuzz_rtp(data: bytes) -> None:
    try:
        packet = uc_media.RtpPacket.parse(data)
    except uc_media.PacketError:
        return
    for ext_id in list(packet.extensions):
        try:
            level = packet.audio_level(ext_id)
        except uc_media.MalformedPacketError:
            continue  # an element that is not 1 byte long is no audio level
        assert level is not None and 0 <= level.level <= 127
    # A parsed packet always serialises; the fixed header is kept byte for byte, and the
    # result parses back to an equal packet (extension padding and repeated ids are
    # normalised, so only the second round is byte-exact).
    again = bytes(packet)
    assert again[:12] == data[:12]
    reparsed = uc_media.RtpPacket.parse(again)
    assert reparsed == packet, (packet, reparsed)
    assert bytes(reparsed) == again
    STATS.update(packet.sequence_number, packet.timestamp, (packet.ssrc % 100000) / 1000)


@atheris.instrument_func
def fuzz_rtcp(data: bytes, reduced_size: bool) -> None:
    try:
        packets = uc_media.parse_rtcp(data, reduced_size=reduced_size)
    except uc_media.PacketError:
        return
    assert packets
    again = uc_media.serialize_rtcp(packets)
    assert _nack_sets(uc_media.parse_rtcp(again, reduced_size=True)) == _nack_sets(packets)
    for packet in packets:
        if isinstance(packet, uc_media.SenderReport):
            STATS.sender_report_received(packet.ntp_timestamp, 1.0)
    STATS.report_block(2.0)


@atheris.instrument_func
def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 3)
    if mode == 0:
        fuzz_rtp(fdp.ConsumeBytes(fdp.remaining_bytes()))
    elif mode == 1:
        fuzz_rtcp(fdp.ConsumeBytes(fdp.remaining_bytes()), reduced_size=fdp.ConsumeBool())
    elif mode == 2:
        fuzz_rtp(_mutate(fdp.PickValueInList(RTP_SEEDS), fdp))
    else:
        reduced = fdp.ConsumeBool()
        fuzz_rtcp(_mutate(fdp.PickValueInList(RTCP_SEEDS), fdp), reduced_size=reduced)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
