"""baresip and the engine exchange DTMF over opus/48000 + telephone-event/8000.

baresip 1.0 dials a minimal SIP responder written here (INVITE answered 200 OK with the SDP
a conference produced from baresip's offer; BYE answered 200 OK). baresip offers
telephone-event/8000 beside Opus, and counts its event durations in Opus's 48 kHz clock
anyway (its telev rate is the codec's). A key pressed for 200 ms on baresip's `cons`
console must come out as one DtmfReceived of about 200 ms (not six times that), and a
digit the leg sends must be reported by baresip. A missing baresip fails the test.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import uc_media
from uc_media import DtmfReceived

from peers import free_port, require, stop

pytestmark = pytest.mark.peer
WAIT = 20.0


def sip_reply(request: str, status: str, extra: list[str], body: bytes = b"") -> bytes:
    """A response with the request's Via, From, To (given our tag if it has none), Call-ID
    and CSeq (RFC 3261 8.2.6.2)."""
    head = request.split("\r\n\r\n", 1)[0].split("\r\n")
    copied = []
    for header in head[1:]:
        if re.match(r"(?i)(to|t):", header) and ";tag=" not in header:
            header += ";tag=uc-media-test"
        if re.match(r"(?i)(via|v|from|f|to|t|call-id|i|cseq):", header):
            copied.append(header)
    lines = [f"SIP/2.0 {status}", *copied, *extra, f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_baresip_sends_and_receives_dtmf_with_an_opus_leg(tmp_path: Path) -> None:
    baresip = require("baresip")
    sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sip.bind(("127.0.0.1", 0))
    sip.settimeout(0.05)
    sip_port = sip.getsockname()[1]
    cons_port = free_port()
    (tmp_path / "config").write_text(
        "module_path /usr/lib/baresip/modules\nsip_listen 127.0.0.1:0\n"
        "module opus.so\nmodule ausine.so\nmodule aufile.so\nmodule cons.so\n"
        "module_app account.so\nmodule_app menu.so\n"
        f"cons_listen 127.0.0.1:{cons_port}\n"
        "audio_source ausine,440\naudio_player aufile,/dev/null\n")
    (tmp_path / "accounts").write_text(
        "<sip:alice@127.0.0.1>;regint=0;answermode=auto;audio_codecs=opus/48000/2\n")
    (tmp_path / "contacts").write_text("")
    lines: list[str] = []
    proc = subprocess.Popen(
        ["timeout", "40", baresip, "-4", "-f", str(tmp_path), "-n", "127.0.0.1",
         "-e", f"/dial sip:conference@127.0.0.1:{sip_port}", "-t", "10"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert proc.stdout is not None
    pump = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    pump.start()
    events: list = []
    try:
        with uc_media.Engine(workers=1, port_range=(47800, 47899), tick_ms=20) as engine:
            conference = engine.create_conference()
            leg = None
            keyed = False
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline and proc.poll() is None:
                events.extend(engine.poll_events())
                try:
                    data, peer = sip.recvfrom(65535)
                except TimeoutError:
                    data = b""
                request = data.decode("utf-8", "replace")
                if request.startswith("INVITE") and leg is None:
                    leg, answer = conference.add_leg(request.split("\r\n\r\n", 1)[1], ice=False)
                    sip.sendto(sip_reply(request, "200 OK", [
                        f"Contact: <sip:conference@127.0.0.1:{sip_port}>", "Content-Type: application/sdp"],
                        bytes(answer)), peer)
                elif request.startswith("BYE"):
                    sip.sendto(sip_reply(request, "200 OK", []), peer)
                if leg is not None and not keyed and any("Call established" in line for line in lines):
                    time.sleep(1.0)  # media flowing both ways
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as console:
                        console.sendto(b"4", ("127.0.0.1", cons_port))  # key down ...
                        time.sleep(0.2)
                        console.sendto(b"\x04", ("127.0.0.1", cons_port))  # ... up (KEYCODE_REL)
                    leg.send_dtmf("7", duration_ms=200)
                    keyed = True
            assert leg is not None, "".join(lines)
            assert (leg.codec, leg.dtmf_payload_type, leg.dtmf_clock_rate) == ("opus", 101, 8000)
            time.sleep(0.2)
            events.extend(engine.poll_events())
            stats = leg.stats()
    finally:
        stop((proc,))
        sip.close()
    pump.join(timeout=5)
    output = "".join(lines)
    digits = [(e.digit, e.duration_ms) for e in events if isinstance(e, DtmfReceived)]
    assert len(digits) == 1 and digits[0][0] == "4", (digits, output)
    # 200 ms held plus a packet or two; read in the event clock (8 kHz) it would be ~1.3 s.
    assert 150 <= digits[0][1] <= 500, digits
    assert "received event: '7' (end=1)" in output, output
    assert stats.dtmf_received == 1 and stats.dtmf_sent >= 10 and stats.decodes > 100, stats
