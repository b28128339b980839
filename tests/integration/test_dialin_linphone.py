"""The real-peer dial-in test: linphonec calls the access number through ucd, keys the
meeting's conference ID and its user's leader PIN as DTMF (digits typed on its command
line), joins as a leader (authenticated), and is then heard by a baresip already in the
meeting: the baresip's recording holds linphonec's 660 Hz file source after the join
(FFT), and its own 440 Hz not at all. Twice: linphonec's default sends the digits as
RFC 4733 telephone-events (`use_rfc2833=1`), `[sip] use_info=1` as SIP INFO
(application/dtmf-relay); ucd's log counts the digits by way.

linphonec reads one command line per second and runs its SIP loop only when no line is
waiting, and it sends an INFO only after the previous one's 200 (one transaction at a
time per dialog): digits typed faster than a second apart leave the INFO answers unread
until the typing stops. So the digits go a little more than a second apart."""

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

from peers import linphone_account, linphone_env, linphone_ports, linphone_rc, stop
from test_focus_baresip import Phone, read_mono, tone_shares, wait_heard, wait_registered, window
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
        rc = linphone_rc(tmp / f"linphonerc-{user}", *linphone_ports(), extra=(
            f"use_info={int(use_info)}\nuse_rfc2833={int(not use_info)}\n"
            + linphone_account(host, port, user, password)))
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
            time.sleep(1.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.command("terminate")
                self.command("quit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                stop([self.proc], WAIT)   # through `timeout` to linphonec: peers.stop


def participants(ucd: Ucd, conference_id: str) -> list[dict[str, object]]:
    response = ucd.api().get(f"/api/v1/conferences/{conference_id}")
    return response.json()["participants"] if response.status_code == 200 else []


@pytest.mark.parametrize("use_info", [False, True], ids=["rfc4733", "sip-info"])
def test_linphonec_dials_in_with_dtmf_and_is_heard_by_a_baresip(tmp_path: Path, use_info: bool) -> None:
    ucd = start_ucd(tmp_path, {"conferencing": {"dialin_numbers": [ACCESS, "tel:+15550100"],
                                                "dialin_record_names": False}})
    phones: list[Phone] = []
    linphone = None
    try:
        ucd.add_users("alice", "carol")
        api = ucd.api()
        meeting = api.post("/api/v1/meetings", json={"organizer": "alice", "subject": "Dial-in"}).json()
        assert api.put("/api/v1/users/carol/pin", json={"pin": PIN}).status_code == 200
        conference_id = meeting["conference_id"]
        host, port = ucd.sip_address("UDP")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", meeting["conference_uri"], seconds=50)
        phones.append(alice)
        alice.wait_for("Call established")

        linphone = Linphone(tmp_path, host, port, "carol", "carol-pw", use_info=use_info)
        linphone.command("soundcard use files")
        linphone.command(f"play {tone_wav(tmp_path / 'carol-660.wav', 660, 50)}")
        wait_registered(ucd, "carol")
        linphone.command(f"call {ACCESS}")
        linphone.wait_for("onnected")
        linphone.digits(conference_id + "#")
        linphone.digits(PIN + "#")
        deadline = time.monotonic() + WAIT
        while len(participants(ucd, conference_id)) < 2:
            assert time.monotonic() < deadline, f"{participants(ucd, conference_id)}\n{ucd.output()}"
            time.sleep(0.2)
        joined = alice.heard()   # on alice's recording clock (Phone.heard), not the wall's
        carol = [p for p in participants(ucd, conference_id) if p["entity"] == "sip:carol@example.test"]
        assert carol and carol[0]["authenticated"], participants(ucd, conference_id)   # the PIN made her a leader
        # ID, #, PIN, #: every digit came one way.
        keyed = len(conference_id) + len(PIN) + 2
        joins = [line for line in ucd.lines if "dialin: sip:carol@example.test joined" in line]
        way = f"0 by RFC 4733, {keyed} by SIP INFO" if use_info else f"{keyed} by RFC 4733, 0 by SIP INFO"
        assert joins and f"digits: {way}" in joins[0], joins
        wait_heard([alice], {"alice": joined}, 3.5)
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
    before = tone_shares(window(samples, rate, 0.5, max(1.5, joined - 3.0)), rate)
    after = tone_shares(window(samples, rate, joined + 1.0, joined + 3.5), rate)
    assert after[660] > 0.2 and after[440] < 0.01, (before, after)
    assert before[660] < 0.01, (before, after)
