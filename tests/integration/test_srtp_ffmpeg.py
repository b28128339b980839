"""SRTP interop with ffmpeg as a real peer on loopback (ffmpeg's own SRTP code in
libavformat/srtp.c, independent of libsrtp).

ffmpeg -> us: ffmpeg encodes a 440 Hz tone to Opus and sends SRTP (and SRTCP sender
reports) to our sockets; every packet must unprotect, parse as RTP and decode.
us -> ffmpeg: we encode Opus, protect it and send it to ffmpeg, which learns the key
from an SDP `a=crypto` line we built and decodes to a WAV that must hold the tone.
ffmpeg implements only the AES-CM suites, so AES-GCM is covered by the pylibsrtp tests.
A missing ffmpeg fails these tests (make test installs it).
"""

from __future__ import annotations

import base64
import select
import socket
import struct
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import opuslib  # type: ignore[import-untyped]
import pytest
from peers import ffmpeg_srtp_recorder, require, stop, udp_socket_pair, wait_udp_bound

from uc_media import CryptoAttribute, SrtpAuthError, SrtpSession, generate_crypto_attribute

pytestmark = pytest.mark.peer

FFMPEG_SUITES = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"]
RATE = 48000
FRAME = 960  # 20 ms at 48 kHz
TONE_HZ = 440.0


def free_port_pair() -> int:
    rtp_sock, rtcp_sock = udp_socket_pair()
    port = rtp_sock.getsockname()[1]
    rtp_sock.close()
    rtcp_sock.close()
    return port


def drain(sock: socket.socket, quiet: float = 0.5) -> list[bytes]:
    """Everything queued on the socket, stopping after `quiet` seconds without data."""
    packets = []
    for _ in range(10_000):
        ready, _, _ = select.select([sock], [], [], quiet)
        if not ready:
            break
        packets.append(sock.recv(65536))
    return packets


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def rtp_header(packet: bytes) -> tuple[int, int, int, int, int]:
    """(version, payload type, sequence, timestamp, ssrc) after skipping nothing: the
    fixed header only (ffmpeg sends no CSRCs or extensions)."""
    first, second, seq, ts, ssrc = struct.unpack("!BBHII", packet[:12])
    assert first & 0x0F == 0 and not first & 0x10
    return first >> 6, second & 0x7F, seq, ts, ssrc


def ffmpeg_sends(suite: str, key_salt: bytes, sdp_file: Path) -> tuple[list[bytes], list[bytes]]:
    """Run ffmpeg sending 2 s of a 440 Hz tone as Opus over SRTP to our two sockets;
    return what arrived on the RTP and the RTCP port."""
    rtp_sock, rtcp_sock = udp_socket_pair()
    port = rtp_sock.getsockname()[1]
    try:
        proc = subprocess.run(
            [require("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error",
             "-f", "lavfi", "-i", f"sine=frequency={TONE_HZ:g}:sample_rate=48000:duration=2",
             "-c:a", "libopus", "-b:a", "32k", "-ac", "1",
             "-f", "rtp", "-sdp_file", str(sdp_file),
             "-srtp_out_suite", suite, "-srtp_out_params", base64.b64encode(key_salt).decode(),
             f"srtp://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return drain(rtp_sock), drain(rtcp_sock, quiet=0.1)
    finally:
        rtp_sock.close()
        rtcp_sock.close()


@pytest.mark.parametrize("suite", FFMPEG_SUITES)
def test_ffmpeg_sends_srtp_we_unprotect(suite: str, tmp_path: Path) -> None:
    ours = generate_crypto_attribute(1, suite)
    sdp_file = tmp_path / "ffmpeg-out.sdp"
    rtp_packets, rtcp_packets = ffmpeg_sends(suite, ours.key_salt, sdp_file)

    # ffmpeg announces the key in its own SDP; our parser reads it back unchanged.
    crypto_lines = [line for line in sdp_file.read_text().splitlines() if line.startswith("a=crypto:")]
    assert len(crypto_lines) == 1
    announced = CryptoAttribute.parse(crypto_lines[0])
    assert (announced.suite, announced.key_salt) == (suite, ours.key_salt)

    # ffmpeg puts the 32-bit tag on SRTCP too with AES_CM_128_HMAC_SHA1_32 (a literal
    # reading of RFC 4568 section 6.2.2), where libsrtp-based stacks keep 80 bits.
    inbound = announced.srtp_session("inbound", srtcp_tag_32=suite == "AES_CM_128_HMAC_SHA1_32")
    assert len(rtp_packets) >= 90  # 2 s of 20 ms frames, loopback loses none
    decoder = opuslib.Decoder(RATE, 1)
    pcm = []
    ssrcs = set()
    sequences = []
    for packet in rtp_packets:
        plain = inbound.unprotect(packet)
        assert len(plain) == len(packet) - inbound.rtp_overhead
        version, payload_type, seq, _, ssrc = rtp_header(plain)
        assert version == 2 and payload_type >= 96
        ssrcs.add(ssrc)
        sequences.append(seq)
        pcm.append(np.frombuffer(decoder.decode(plain[12:], FRAME), dtype=np.int16))
    assert len(ssrcs) == 1
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(sequences, sequences[1:]))
    audio = np.concatenate(pcm).astype(np.float64)
    steady = audio[RATE // 2 : RATE // 2 + RATE]  # past the encoder's start-up
    assert np.sqrt(np.mean(steady**2)) > 1000
    assert abs(dominant_frequency(steady, RATE) - TONE_HZ) < 5

    # ffmpeg's RTCP sender reports, protected with the same master key (SRTCP).
    assert rtcp_packets, "ffmpeg sent no RTCP"
    for packet in rtcp_packets:
        report = inbound.unprotect_rtcp(packet)
        assert report[0] >> 6 == 2 and report[1] == 200  # SR first in the compound
        assert struct.unpack("!I", report[4:8])[0] in ssrcs


def test_ffmpeg_srtp_under_another_key_fails_authentication(tmp_path: Path) -> None:
    suite = "AES_CM_128_HMAC_SHA1_80"
    rtp_packets, rtcp_packets = ffmpeg_sends(suite, generate_crypto_attribute(1, suite).key_salt, tmp_path / "o.sdp")
    wrong = generate_crypto_attribute(1, suite).srtp_session("inbound")
    assert rtp_packets and rtcp_packets
    for packet in rtp_packets[:20]:
        with pytest.raises(SrtpAuthError) as info:
            wrong.unprotect(packet)
        assert info.value.reason == "srtp_err_status_auth_fail"
    with pytest.raises(SrtpAuthError):
        wrong.unprotect_rtcp(rtcp_packets[0])


def opus_rtp_stream(outbound: SrtpSession, seconds: float, ssrc: int = 0x5EC0DE) -> list[bytes]:
    encoder = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_AUDIO)
    t = np.arange(int(seconds * RATE)) / RATE
    tone = (12000 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)
    packets = []
    for i in range(len(tone) // FRAME):
        payload = encoder.encode(tone[i * FRAME : (i + 1) * FRAME].tobytes(), FRAME)
        header = struct.pack("!BBHII", 0x80, 111, (1000 + i) & 0xFFFF, (i * FRAME) & 0xFFFFFFFF, ssrc)
        packets.append(outbound.protect(header + payload))
    return packets


@pytest.mark.parametrize("suite", FFMPEG_SUITES)
def test_we_send_srtp_ffmpeg_decodes(suite: str, tmp_path: Path) -> None:
    ours = generate_crypto_attribute(1, suite)
    packets = opus_rtp_stream(ours.srtp_session("outbound"), seconds=3.0)
    port = free_port_pair()
    wav = tmp_path / "out.wav"
    proc = ffmpeg_srtp_recorder(tmp_path / "in.sdp", port, ours.to_sdp(), wav, 2)
    try:
        wait_udp_bound(port, proc)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for packet in packets:
                if proc.poll() is not None:
                    break
                sender.sendto(packet, ("127.0.0.1", port))
                time.sleep(0.005)  # 4x real time: gentle on ffmpeg's socket buffer
        _, stderr = proc.communicate(timeout=30)
    finally:
        stop((proc,))
    assert proc.returncode == 0, stderr
    assert "HMAC" not in stderr and "SRTP" not in stderr.upper().replace("SRTP://", ""), stderr

    with wave.open(str(wav)) as out:
        assert (out.getnchannels(), out.getframerate(), out.getsampwidth()) == (1, RATE, 2)
        audio = np.frombuffer(out.readframes(out.getnframes()), dtype=np.int16).astype(np.float64)
    assert len(audio) >= int(1.5 * RATE)
    steady = audio[RATE // 4 : RATE // 4 + RATE]
    assert np.sqrt(np.mean(steady**2)) > 1000
    assert abs(dominant_frequency(steady, RATE) - TONE_HZ) < 5
