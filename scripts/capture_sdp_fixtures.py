#!/usr/bin/env python3
"""Recreate tests/fixtures/sdp/*.sdp: SDP bodies real peers send, captured on loopback.

- SIP offers: a small UDP listener answers REGISTER/OPTIONS with 200 and INVITE with 100
  then 486 (so the peer ACKs and gives up); the body of each peer's first INVITE is
  saved byte-exact. Peers: baresip (Opus/G.722/PCMU plain, SDES best-effort and
  mandatory, DTLS-SRTP, ICE), linphonec (plain and SRTP), sipp's built-in uac.
- SIP answers: the listener sends baresip an INVITE carrying our build_offer() SDP; baresip
  auto-answers and its 200 OK body is saved beside the offer (and the call is ACKed and
  BYEd), so process_answer() is tested against a real answer.
- ffmpeg: `-f rtp -sdp_file` writes the SDP describing its RTP output (Opus, G.722,
  PCMU, and Opus over SRTP).
- WebRTC: no browser here, so webrtc_chrome_dtls.sdp and webrtc_sdes.sdp are written by
  hand after Chrome's offer layout and RFC 8839's grammar (see WEBRTC_* below).

Derived variants: `<name>_truncated.sdp` (cut inside its first rtpmap line) and
`<name>_invalid.sdp` (the m= port replaced by 70000) for the SIP offers.

Run from the repository root:  /work/main/.venv/bin/python scripts/capture_sdp_fixtures.py
Every peer runs under `timeout`; the whole run takes about a minute.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/peers.py

from peers import DatagramThread, baresip_config, linphone_env, linphone_rc, missing, run_linphonec, run_timed  # noqa: E402,E501

from uc_media import IceCredentials, LocalCapabilities, build_offer  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "sdp"
HOST = "127.0.0.1"
PORT = 25060


def split_message(data: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers, body


def header(headers: list[tuple[str, str]], *names: str) -> list[str]:
    wanted = {n.lower() for n in names}
    return [v for n, v in headers if n.lower() in wanted]


class Listener(DatagramThread):
    """A UDP SIP endpoint good enough to collect offers and answers from real peers."""

    def __init__(self) -> None:
        super().__init__(HOST, PORT)
        self.label = "none"
        self.offers: dict[str, bytes] = {}
        self.answers: dict[str, bytes] = {}

    def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():
            return  # keep-alive
        start, headers, body = split_message(data)
        if start.startswith("SIP/2.0 "):
            self.on_response(start, headers, body, addr)
            return
        method = start.split(" ", 1)[0]
        if method == "INVITE" and body and self.label not in self.offers:
            self.offers[self.label] = body
            print(f"  captured offer {self.label} ({len(body)} octets)")
        if method == "ACK":
            return
        if method == "INVITE":
            self.reply(headers, addr, "100 Trying")
            self.reply(headers, addr, "486 Busy Here")
        else:
            self.reply(headers, addr, "200 OK")

    def reply(self, headers: list[tuple[str, str]], addr: tuple[str, int], status: str) -> None:
        lines = [f"SIP/2.0 {status}"]
        lines += [f"Via: {v}" for v in header(headers, "via", "v")]
        lines += [f"From: {v}" for v in header(headers, "from", "f")]
        for to in header(headers, "to", "t"):
            lines.append(f"To: {to}" + ("" if ";tag=" in to or status.startswith("100") else ";tag=ucfixture"))
        lines += [f"Call-ID: {v}" for v in header(headers, "call-id", "i")]
        lines += [f"CSeq: {v}" for v in header(headers, "cseq")]
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), addr)

    def on_response(self, start: str, headers: list[tuple[str, str]], body: bytes, addr: tuple[str, int]) -> None:
        cseq = header(headers, "cseq")
        if not start.startswith("SIP/2.0 200") or not cseq or not cseq[0].endswith("INVITE"):
            return
        if body and self.label not in self.answers:
            self.answers[self.label] = body
            print(f"  captured answer {self.label} ({len(body)} octets)")
        to = header(headers, "to", "t")[0]
        call_id = header(headers, "call-id", "i")[0]
        number = cseq[0].split()[0]
        for method, seq in (("ACK", number), ("BYE", str(int(number) + 1))):
            msg = (f"{method} sip:bob@{addr[0]}:{addr[1]} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {HOST}:{PORT};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
                   f"From: <sip:ucserver@{HOST}>;tag=uc1\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
                   f"CSeq: {seq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
            self.sock.sendto(msg.encode(), addr)

    def invite(self, target: tuple[str, int], body: bytes) -> None:
        call_id = uuid.uuid4().hex
        msg = (f"INVITE sip:bob@{target[0]}:{target[1]} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {HOST}:{PORT};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport\r\n"
               f"From: <sip:ucserver@{HOST}>;tag=uc1\r\nTo: <sip:bob@{target[0]}>\r\n"
               f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
               f"Contact: <sip:ucserver@{HOST}:{PORT}>\r\nContent-Type: application/sdp\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        self.sock.sendto(msg, target)


BARESIP_VARIANTS = {
    # label: (account parameters, extra modules)
    "baresip_opus_g722_pcmu": ("", []),
    "baresip_srtp": (";mediaenc=srtp", ["srtp.so"]),
    "baresip_srtp_mandatory": (";mediaenc=srtp-mand", ["srtp.so"]),
    "baresip_dtls_srtp": (";mediaenc=dtls_srtp", ["dtls_srtp.so"]),
    "baresip_ice": (";medianat=ice", ["ice.so"]),
}


def bob_config(tmp: Path, label: str, sip_port: int, params: str, modules: list[str], answer: bool) -> Path:
    """baresip as bob with Opus, G.722 and PCMU, its RTP ports 1000 above `sip_port`."""
    auto = ";answermode=auto" if answer else ""
    return baresip_config(
        tmp / label, sip_port,
        f"<sip:bob@{HOST}:{sip_port}>;regint=0{auto}{params};audio_codecs=opus/48000/2,G722/16000/1,PCMU/8000/1",
        modules=("opus.so", "g722.so", "g711.so", "ausine.so", "aufile.so", *modules), host=HOST,
        extra=f"rtp_ports {sip_port + 1000}-{sip_port + 1100}\n")


def capture_baresip(listener: Listener, tmp: Path) -> None:
    for n, (label, (params, modules)) in enumerate(BARESIP_VARIANTS.items()):
        conf = bob_config(tmp, label, 25100 + 10 * n, params, modules, answer=False)
        listener.label = label
        run_timed(["baresip", "-4", "-f", str(conf), "-n", HOST, "-e", f"/dial sip:alice@{HOST}:{PORT}", "-t", "4"], 8)


def capture_baresip_answers(listener: Listener, tmp: Path) -> None:
    """Offer our SDP (plain, and RTP/SAVP with SDES) to an auto-answering baresip."""
    for n, (label, require_srtp, params, modules) in enumerate([
        ("baresip_answer", False, "", []),
        ("baresip_answer_srtp", True, ";mediaenc=srtp-mand", ["srtp.so"]),
    ]):
        sip_port = 25200 + 10 * n
        conf = bob_config(tmp, label, sip_port, params, modules, answer=True)
        caps = LocalCapabilities(HOST, 26000 + 10 * n, require_srtp=require_srtp, ice=IceCredentials.generate())
        offer = build_offer(caps, session_id=1000 + n)
        listener.label = label
        proc = subprocess.Popen(["timeout", "8", "baresip", "-4", "-f", str(conf), "-n", HOST, "-t", "6"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"  $ baresip (auto-answer on {sip_port}) <- our offer")
        time.sleep(2.0)
        listener.invite((HOST, sip_port), bytes(offer))
        proc.wait(timeout=10)
        listener.offers[label.replace("baresip_answer", "ucserver_offer")] = bytes(offer)


def capture_linphone(listener: Listener, tmp: Path) -> None:
    for n, (label, extra) in enumerate([("linphone", ""), ("linphone_srtp", "media_encryption=srtp\n")]):
        rc = linphone_rc(tmp / f"linphonerc-{n}", 25300 + 10 * n, 26300 + 10 * n, host=HOST, extra=extra)
        env = linphone_env(tmp / f"linphone-home-{n}", os.environ)
        listener.label = label
        run_linphonec(rc, [(f"call sip:alice@{HOST}:{PORT}", 3), ("terminate", 1), ("quit", 0)], 15,
                      cwd=tmp, env=env)


def capture_sipp(listener: Listener, tmp: Path) -> None:
    listener.label = "sipp_uac"
    run_timed(["sipp", f"{HOST}:{PORT}", "-sn", "uac", "-m", "1", "-i", HOST, "-p", "25400", "-mp", "26400",
         "-timeout", "5", "-nostdin"], 8, cwd=str(tmp))


FFMPEG_VARIANTS = {
    "ffmpeg_opus": ["-c:a", "libopus", "-ar", "48000", "-ac", "2"],
    "ffmpeg_g722": ["-c:a", "g722", "-ar", "16000", "-ac", "1"],
    "ffmpeg_pcmu": ["-c:a", "pcm_mulaw", "-ar", "8000", "-ac", "1"],
    "ffmpeg_opus_srtp": ["-c:a", "libopus", "-ar", "48000", "-ac", "2", "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80",
                         "-srtp_out_params", "zRzSJ5vvVoELVSsdm2lhtyFxKiyXmJcY41Xf9V9E"],
}


def capture_ffmpeg(tmp: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for n, (label, args) in enumerate(FFMPEG_VARIANTS.items()):
        sdp_file = tmp / f"{label}.sdp"
        scheme = "srtp" if "srtp" in label else "rtp"
        run_timed(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
             "sine=frequency=440:duration=0.2", *args, "-f", "rtp", "-sdp_file", str(sdp_file),
             f"{scheme}://{HOST}:{26500 + 10 * n}"], 10)
        if sdp_file.exists():
            out[label] = sdp_file.read_bytes()
            print(f"  captured {label} ({len(out[label])} octets)")
    return out


# Chrome's audio-only offer layout (unified plan, BUNDLE, DTLS-SRTP, trickle ICE, the
# attribute order and payload types Chrome uses), written by hand with made-up ids, keys
# and fingerprint; the host candidate hides behind an mDNS name as browsers do.
WEBRTC_CHROME_DTLS = """v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS 47017fee-b6c1-4162-929c-a25110252400
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54400 typ host generation 0 network-id 1
a=ice-ufrag:ETEn
a=ice-pwd:OtSK0WpNtpUjkY4+86js7ZQl
a=ice-options:trickle
a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:47017fee-b6c1-4162-929c-a25110252400 f83006c5-a0ff-4e0a-9ed9-d3e6747be7d9
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6
a=ssrc:3570614608 msid:47017fee-b6c1-4162-929c-a25110252400 f83006c5-a0ff-4e0a-9ed9-d3e6747be7d9
"""

# The same browser offer as a WebRTC-to-SIP gateway that keeps SDES sees it (pre-2017
# Chrome still offered a=crypto with RTP/SAVPF): SDES keys, ICE host candidate on
# loopback, rtcp-mux, the RFC 6464 extension with vad=on, a video section to reject.
WEBRTC_SDES = """v=0
o=- 2890844526 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE audio video
a=msid-semantic: WMS stream0
m=audio 54400 RTP/SAVPF 111 103 9 0 8 126
c=IN IP4 127.0.0.1
a=rtcp:54400 IN IP4 127.0.0.1
a=candidate:4022866446 1 udp 2113937151 127.0.0.1 54400 typ host generation 0
a=end-of-candidates
a=ice-ufrag:F7gI
a=ice-pwd:x9cml/YzichV2+XlhiMu8g
a=ice-options:trickle
a=mid:audio
a=extmap:1/sendrecv urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on
a=sendrecv
a=rtcp-mux
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:3AZ/7HOIQTTJj2M4FDxPeWf4QqdIsQ3I9N2g8Klg
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:rBi5x/DyVhbnUrEoJlZ5jFe3OQtMp3YtUdUK7MKh
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1;maxaveragebitrate=32000
a=rtpmap:103 ISAC/16000
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:126 telephone-event/8000
a=maxptime:60
a=ssrc:1101026881 cname:EocUG1f0fcg/yvY7
m=video 54400 RTP/SAVPF 100
c=IN IP4 127.0.0.1
a=mid:video
a=rtpmap:100 VP8/90000
a=sendrecv
a=rtcp-mux
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:5ygvh5xKMMqhQeYQyePIU+HlVw3HKFKXIW4vn4oe
"""


def derive_variants(offers: dict[str, bytes]) -> dict[str, bytes]:
    """`_truncated`: cut inside the first rtpmap line; `_invalid`: m= port out of range."""
    out: dict[str, bytes] = {}
    for name, body in offers.items():
        if not name.startswith(("baresip", "linphone", "sipp")) or name.startswith("baresip_answer"):
            continue
        at = body.find(b"a=rtpmap:")
        if at >= 0:
            out[f"{name}_truncated"] = body[: at + len(b"a=rtpmap:0 PC")]
        out[f"{name}_invalid"] = re.sub(rb"m=audio [0-9]+", b"m=audio 70000", body, count=1)
    return out


def main() -> int:
    for tool in missing("sipp", "baresip", "linphonec", "ffmpeg", "timeout"):
        print(f"{tool} not found (make test installs the peers)", file=sys.stderr)
        return 1
    listener = Listener()
    listener.start()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for capture in (capture_baresip, capture_baresip_answers, capture_linphone, capture_sipp):
            print(capture.__name__)
            capture(listener, tmp)
            time.sleep(0.5)
        print("capture_ffmpeg")
        ffmpeg = capture_ffmpeg(tmp)
    listener.close()
    everything = {**listener.offers, **{k: v for k, v in listener.answers.items()}, **ffmpeg,
                  "webrtc_chrome_dtls": WEBRTC_CHROME_DTLS.replace("\n", "\r\n").encode(),
                  "webrtc_sdes": WEBRTC_SDES.replace("\n", "\r\n").encode()}
    everything.update(derive_variants(everything))
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(everything.items()):
        (OUT / f"{name}.sdp").write_bytes(data)
    print(f"wrote {len(everything)} fixtures to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
