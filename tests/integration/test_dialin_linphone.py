"""The real-peer dial-in test: linphonec calls the access number through ucd, keys the
meeting's conference ID and its user's leader PIN as DTMF (digits typed on its command
line: linphonec 5.1 sends them as RFC 4733 telephone-events, its default `use_rfc2833=1`;
ucd's log counts the digits by way), joins as a leader (authenticated), and is then heard
by a baresip already in the meeting: the baresip's recording holds linphonec's 660 Hz
file source after the join (FFT), and its own 440 Hz not at all.

linphonec with `[sip] use_info=1` sends SIP INFO (application/dtmf-relay), but queues each
INFO behind the previous one in the dialog and, with the file sound card, stalls its SIP
loop for about 14 s after the first (its log: "cannot send request now because dialog is
busy"; ucd's 200 is on the wire at once), so the attendant's digit timeout expires: the
INFO path is tested with the Python caller in test_dialin_ucd.py instead."""

from __future__ import annotations

import math
import shutil
import subprocess
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from peers import linphone_env, linphone_rc
from test_focus_baresip import Phone, free_port_pair, read_mono, tone_shares, wait_registered, window
from ucd_harness import Ucd, start_ucd

pytestmark = pytest.mark.peer

ACCESS = "sip:dialin@example.test"
WAIT = 30.0
PIN = "24680"


def tone_wav(path: Path, hz: float, seconds: float, rate: int = 16000) -> Path:
    frames = np.array([int(9000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(rate * seconds))],
                      dtype="<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames.tobytes())
    return path


class Linphone:
    def __init__(self, tmp: Path, host: str, port: int, user: str, password: str, *, use_info: bool) -> None:
        binary = shutil.which("linphonec")
        assert binary, "linphonec is not installed (make test installs linphone-cli)"
        rc = linphone_rc(tmp / f"linphonerc-{user}", free_port_pair(), free_port_pair(), extra=(
            f"use_info={int(use_info)}\nuse_rfc2833={int(not use_info)}\n"
            f"default_proxy=0\n[proxy_0]\nreg_proxy=<sip:{host}:{port}>\nreg_route=<sip:{host}:{port};lr>\n"
            f"reg_identity=sip:{user}@example.test\nreg_expires=600\nreg_sendregister=1\n"
            f"[auth_info_0]\nusername={user}\npasswd={password}\nrealm=example.test\n"))
        self.lines: list[str] = []
        self.proc = subprocess.Popen(["timeout", "60", binary, "-c", str(rc), "-d", "0"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     env=linphone_env(tmp / f"linphone-home-{user}"), cwd=tmp)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            time.sleep(0.1)
        raise AssertionError(f"linphonec: no {text!r}:\n{''.join(self.lines)}")

    def digits(self, digits: str) -> None:
        for digit in digits:        # a line of digits only is sent as DTMF during a call
            self.command(digit)
            time.sleep(0.4)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.command("terminate")
                self.command("quit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=WAIT)


def participants(ucd: Ucd, conference_id: str) -> list[dict[str, object]]:
    response = ucd.api().get(f"/api/v1/conferences/{conference_id}")
    return response.json()["participants"] if response.status_code == 200 else []


def test_linphonec_dials_in_with_dtmf_and_is_heard_by_a_baresip(tmp_path: Path) -> None:
    ucd = start_ucd(tmp_path, {"conferencing": {"dialin_numbers": [ACCESS, "tel:+15550100"],
                                                "dialin_record_names": False}})
    phones: list[Phone] = []
    linphone = None
    try:
        for user in ("alice", "carol"):
            ucd.ucctl("user", "add", user, "--password", f"{user}-pw")
        api = ucd.api()
        meeting = api.post("/api/v1/meetings", json={"organizer": "alice", "subject": "Dial-in"}).json()
        assert api.put("/api/v1/users/carol/pin", json={"pin": PIN}).status_code == 200
        conference_id = meeting["conference_id"]
        host, port = ucd.sip_address("UDP")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", meeting["conference_uri"], seconds=50)
        phones.append(alice)
        established = alice.wait_for("Call established")

        linphone = Linphone(tmp_path, host, port, "carol", "carol-pw", use_info=False)
        linphone.command("soundcard use files")
        linphone.command(f"play {tone_wav(tmp_path / 'carol-660.wav', 660, 50)}")
        wait_registered(ucd, "carol")
        linphone.command(f"call {ACCESS}")
        linphone.wait_for("onnected")
        time.sleep(1.0)
        linphone.digits(conference_id + "#")
        time.sleep(1.0)
        linphone.digits(PIN + "#")
        deadline = time.monotonic() + WAIT
        while len(participants(ucd, conference_id)) < 2:
            assert time.monotonic() < deadline, f"{participants(ucd, conference_id)}\n{ucd.output()}"
            time.sleep(0.2)
        joined = time.monotonic()
        carol = [p for p in participants(ucd, conference_id) if p["entity"] == "sip:carol@example.test"]
        assert carol and carol[0]["authenticated"], participants(ucd, conference_id)   # the PIN made her a leader
        # ID, #, PIN, #: every digit came as an RFC 4733 event, none by INFO.
        joins = [line for line in ucd.lines if "dialin: sip:carol@example.test joined" in line]
        assert joins and f"digits: {len(conference_id) + len(PIN) + 2} by RFC 4733, 0 by SIP INFO" in joins[0], joins
        time.sleep(4.0)
        linphone.stop()
        alice.proc.terminate()
        alice.proc.wait(timeout=WAIT)
    finally:
        if linphone is not None:
            linphone.stop()
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()
    samples, rate = read_mono(alice.recording)
    before = tone_shares(window(samples, rate, 0.5, max(1.5, joined - established - 3.0)), rate)
    after = tone_shares(window(samples, rate, joined - established + 1.0, joined - established + 3.5), rate)
    assert after[660] > 0.2 and after[440] < 0.01, (before, after)
    assert before[660] < 0.01, (before, after)
