"""Offer/answer with real peers on loopback, checked through the media they then send.

- ffmpeg describes its Opus-over-SRTP output with `-sdp_file`; we answer that SDP and the
  inbound SrtpSession built from the negotiated keys must unprotect every packet ffmpeg
  sends, with the negotiated payload type.
- baresip (auto-answer, `mediaenc=srtp-mand`) gets our build_offer() in a SIP INVITE;
  process_answer() on its 200 OK must yield the keys and payload type of the SRTP it
  then sends to our offered port.

A missing peer fails these tests (make test installs them).
"""

from __future__ import annotations

import base64
import select
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from peers import baresip_config, baresip_sip_port, require

from uc_media import (
    OPUS,
    PCMU,
    LocalCapabilities,
    NegotiatedAudio,
    SessionDescription,
    build_offer,
    generate_crypto_attribute,
    negotiate_answer,
    process_answer,
)

pytestmark = pytest.mark.peer
HOST = "127.0.0.1"


def bound_udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    return sock


def receive_srtp(sock: socket.socket, audio: NegotiatedAudio, wanted: int, seconds: float) -> int:
    """Unprotect what arrives on `sock` with the negotiated inbound keys; count packets
    that decrypt and carry the negotiated payload type. Bounded by `seconds`."""
    assert audio.srtp is not None
    inbound = audio.srtp.session("inbound")
    good = 0
    deadline = time.monotonic() + seconds
    while good < wanted and time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.2)
        if not ready:
            continue
        data = sock.recv(2048)
        if len(data) < 12 or data[0] >> 6 != 2 or 72 <= (data[1] & 0x7F) <= 76:
            continue  # not RTP (RTCP or STUN on a shared port)
        packet = inbound.unprotect(data)
        assert packet[1] & 0x7F == audio.payload_type
        good += 1
    return good


def test_ffmpeg_srtp_decrypts_with_the_keys_its_sdp_negotiates(tmp_path: Path) -> None:
    sock = bound_udp()
    port = sock.getsockname()[1]
    key = base64.b64encode(generate_crypto_attribute(1).key_salt).decode()
    sdp_file = tmp_path / "ffmpeg.sdp"
    proc = subprocess.Popen(
        ["timeout", "20", require("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
         "-i", "sine=frequency=440:duration=2", "-c:a", "libopus", "-ar", "48000", "-ac", "2", "-f", "rtp",
         "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", key, "-sdp_file", str(sdp_file),
         f"srtp://{HOST}:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(50):  # ffmpeg writes the SDP before its first packet
            if sdp_file.exists() and sdp_file.stat().st_size:
                break
            time.sleep(0.1)
        answer = negotiate_answer(sdp_file.read_bytes(), LocalCapabilities(HOST, port, codecs=(PCMU, OPUS)))
        audio = answer.audio
        assert audio.codec == OPUS and audio.srtp is not None and audio.srtp.suite == "AES_CM_128_HMAC_SHA1_80"
        assert base64.b64encode(audio.srtp.remote.key_salt).decode() == key
        assert receive_srtp(sock, audio, 25, 10.0) == 25
    finally:
        proc.kill()
        proc.wait()
        sock.close()


def sip_request(method: str, target: tuple[str, int], local_port: int, call_id: str, cseq: int,
                to: str, body: bytes = b"") -> bytes:
    head = (f"{method} sip:bob@{target[0]}:{target[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {HOST}:{local_port};branch=z9hG4bK{call_id[:8]}{cseq}{method[0]};rport\r\n"
            f"From: <sip:ucserver@{HOST}>;tag=uc1\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
            f"CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContact: <sip:ucserver@{HOST}:{local_port}>\r\n")
    if body:
        head += "Content-Type: application/sdp\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_baresip_answer_to_our_offer_keys_its_srtp(tmp_path: Path) -> None:
    media = bound_udp()
    sip = bound_udp()
    sip_port = sip.getsockname()[1]
    baresip_port = baresip_sip_port()
    baresip_config(tmp_path / "baresip", baresip_port,
                   f"<sip:bob@{HOST}:{baresip_port}>;regint=0;answermode=auto;mediaenc=srtp-mand;"
                   "audio_codecs=opus/48000/2,PCMU/8000/1",
                   modules=("opus.so", "g711.so", "ausine.so", "aufile.so", "srtp.so"), host=HOST)
    caps = LocalCapabilities(HOST, media.getsockname()[1], require_srtp=True, srtp_suites=("AES_CM_128_HMAC_SHA1_80",))
    offer = build_offer(caps)
    proc = subprocess.Popen(["timeout", "20", require("baresip"), "-4", "-f", str(tmp_path / "baresip"), "-n", HOST,
                             "-t", "15"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = (HOST, baresip_port)
    call_id = uuid.uuid4().hex
    invite = sip_request("INVITE", target, sip_port, call_id, 1, f"<sip:bob@{HOST}>", bytes(offer))
    try:
        answer: bytes | None = None
        to = ""
        deadline = time.monotonic() + 10.0
        next_send = 0.0
        while answer is None and time.monotonic() < deadline:
            if time.monotonic() >= next_send:  # retransmit until baresip is up and answers
                sip.sendto(invite, target)
                next_send = time.monotonic() + 0.5
            ready, _, _ = select.select([sip], [], [], 0.1)
            if not ready:
                continue
            head, _, body = sip.recv(65535).partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            if lines[0].startswith("SIP/2.0 200") and body:
                answer = body
                to = next(line.split(":", 1)[1].strip() for line in lines if line.lower().startswith(("to:", "t:")))
        assert answer is not None, "baresip did not answer the INVITE"
        sip.sendto(sip_request("ACK", target, sip_port, call_id, 1, to), target)
        audio = process_answer(offer, answer)
        assert SessionDescription.parse(answer).media[0].proto == "RTP/SAVP"
        assert audio.codec == OPUS and audio.payload_type == 111
        assert audio.srtp is not None and audio.srtp.local == offer.crypto[0]
        assert audio.remote_rtp[0] == HOST
        assert receive_srtp(media, audio, 25, 10.0) == 25
        sip.sendto(sip_request("BYE", target, sip_port, call_id, 2, to), target)
    finally:
        proc.kill()
        proc.wait()
        media.close()
        sip.close()
