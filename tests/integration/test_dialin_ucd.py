"""Dial-in through a real ucd and media engine, with callers made of this process's own
engine (a leg per caller: our offer, RFC 4733 digits by `Leg.send_dtmf`, a steady tone by
`Leg.play`, what it hears by `Leg.record`) and a minimal SIP UA over UDP.

- Two guests key the meeting's conference ID by RFC 4733 (one keys a wrong ID first and
  is asked again), record their names, and join: the roster lists both, each hears the
  other's tone and not its own (FFT), and a leader's `*6` mutes itself.
- A caller keys by SIP INFO (application/dtmf-relay): three wrong IDs, then the goodbye
  prompt and ucd's BYE.
"""

from __future__ import annotations

import math
import signal
import socket
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import uc_media
from uc_media import Clip, LocalCapabilities, build_offer
from uc_media.engine_sdp import configure_leg
from uc_media.offer_answer import process_answer
from uc_signal.sip import Request, Response, parse_message
from ucd_harness import Ucd, start_ucd

ACCESS = "tel:+15550100"
WAIT = 30.0
RATE = 16000


class Caller:
    """One phone: a SIP dialog over its own UDP socket, media on an engine leg."""

    def __init__(self, engine: uc_media.Engine, ucd: tuple[str, int], name: str, tone: float | None) -> None:
        self.ucd = ucd
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(1.0)
        self.port = self.sock.getsockname()[1]
        self.leg = engine.create_leg("opus")
        self.offer = build_offer(LocalCapabilities(address="127.0.0.1", port=self.leg.local_port))
        self.cseq = 1
        self.call_id = f"{name}-{time.monotonic_ns()}@test"
        self.to = ""
        self.received: list[Request] = []
        self.heard = array("h", bytes(2 * RATE * 30))
        if tone is not None:
            samples = array("h", (int(8000 * math.sin(2 * math.pi * tone * i / RATE)) for i in range(RATE)))
            self.tone = Clip(samples, RATE)

    def _headers(self, method: str, cseq: int) -> str:
        return (f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{time.monotonic_ns()};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: \"{self.name}\" <sip:{self.name}@elsewhere.invalid>;tag={self.name}t\r\n"
                f"To: {self.to or '<' + ACCESS + '>'}\r\nCall-ID: {self.call_id}\r\nCSeq: {cseq} {method}\r\n"
                f"Contact: <sip:{self.name}@127.0.0.1:{self.port}>\r\n")

    def send(self, method: str, body: bytes = b"", content_type: str = "", cseq: int | None = None) -> None:
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        uri = ACCESS if method == "INVITE" else f"sip:dialin@{self.ucd[0]}:{self.ucd[1]}"
        extra = f"Content-Type: {content_type}\r\n" if content_type else ""
        data = (f"{method} {uri} SIP/2.0\r\n{self._headers(method, cseq)}{extra}"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        self.sock.sendto(data, self.ucd)

    def final(self, method: str) -> Response:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            message = self._receive()
            if isinstance(message, Response) and message.status >= 200 and message.cseq \
                    and message.cseq.method == method:
                return message
        raise AssertionError(f"{self.name}: no final response to {method}")

    def _receive(self) -> Request | Response | None:
        try:
            data, _ = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        message = parse_message(data)
        if isinstance(message, Request):
            self.received.append(message)
            if message.method != "ACK":   # answer every request (BYE) 200
                self.sock.sendto(_ok(message), self.ucd)
        return message

    def call(self) -> None:
        self.send("INVITE", bytes(self.offer), "application/sdp", cseq=1)
        ok = self.final("INVITE")
        assert ok.status == 200, ok
        assert ok.to is not None and ok.to.tag
        self.to = f"<{ACCESS}>;tag={ok.to.tag}"
        configure_leg(self.leg, process_answer(self.offer, ok.body))
        self.send("ACK", cseq=1)
        if hasattr(self, "tone"):
            self.leg.play(self.tone, loop=True)

    def rtp_digits(self, digits: str) -> None:
        for digit in digits:
            self.leg.send_dtmf(digit, 120)
            time.sleep(0.3)

    def info_digits(self, digits: str) -> None:
        for digit in digits:
            self.send("INFO", f"Signal={digit}\r\nDuration=160\r\n".encode(), "application/dtmf-relay")
            assert self.final("INFO").status == 200

    def wait_bye(self, timeout: float = WAIT) -> Request:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._receive()
            for request in self.received:
                if request.method == "BYE":
                    return request
        raise AssertionError(f"{self.name}: no BYE")

    def close(self) -> None:
        self.sock.close()
        if not self.leg.closed:
            self.leg.close()


def _ok(request: Request) -> bytes:
    lines = ["SIP/2.0 200 OK"]
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        lines += [f"{name}: {value}" for value in request.headers.get_all(name)]
    return ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()


def shares(samples: np.ndarray) -> dict[int, float]:
    window = samples * np.hanning(len(samples))
    power = np.abs(np.fft.rfft(window)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / RATE)
    total = float(power[(freqs > 100) & (freqs < 4000)].sum()) or 1.0
    return {tone: float(power[np.abs(freqs - tone) <= 15].sum()) / total for tone in (440, 880)}


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(46000, 46999)) as running:
        yield running


def start(tmp_path: Path) -> tuple[Ucd, str]:
    ucd = start_ucd(tmp_path, {"conferencing": {"dialin_numbers": [ACCESS, "sip:dialin@example.test"],
                                                "dialin_digit_timeout": 10.0},
                               "media": {"port_min": 41000, "port_max": 41999}})
    ucd.add_users("alice")
    api = ucd.api()
    meeting = api.post("/api/v1/meetings", json={"organizer": "alice", "subject": "Dial-in"})
    assert meeting.status_code in (200, 201), meeting.text
    return ucd, meeting.json()["conference_id"]


def roster(ucd: Ucd, conference_id: str) -> list[dict[str, object]]:
    response = ucd.api().get(f"/api/v1/conferences/{conference_id}")
    return response.json()["participants"] if response.status_code == 200 else []


def test_two_guests_dial_in_by_rfc4733_and_hear_each_other(tmp_path: Path, engine: uc_media.Engine) -> None:
    ucd, conference_id = start(tmp_path)
    callers: list[Caller] = []
    try:
        address = ucd.sip_address("UDP")
        low, high = Caller(engine, address, "low", 440), Caller(engine, address, "high", 880)
        callers += [low, high]
        for caller in callers:
            caller.call()
        time.sleep(1.0)
        low.rtp_digits("9#")                       # a wrong ID: asked again
        for caller in callers:
            caller.rtp_digits(conference_id + "#")
        time.sleep(0.5)
        for caller in callers:
            caller.rtp_digits("#")                 # no PIN: a guest, asked for a name
        deadline = time.monotonic() + WAIT
        # The name prompt and beep play out, then the recording runs; # ends it.
        time.sleep(6.0)
        for caller in callers:
            caller.rtp_digits("#")
        while len(roster(ucd, conference_id)) < 2:
            assert time.monotonic() < deadline, f"{roster(ucd, conference_id)}\n{ucd.output()}"
            time.sleep(0.2)
        entities = sorted(str(p["entity"]) for p in roster(ucd, conference_id))
        assert entities == ["sip:high@elsewhere.invalid", "sip:low@elsewhere.invalid"], entities
        time.sleep(6.0)                            # past the entry chimes and the names (5 s at most)
        for caller in callers:
            caller.leg.record(caller.heard, rate=RATE)
        time.sleep(3.0)
        for caller in callers:
            caller.leg.stop_recording()
        # Guests are attendees: *7 (lock) is refused, *6 mutes themselves.
        low.rtp_digits("*6")
        deadline = time.monotonic() + WAIT
        while not any(p["muted"] for p in roster(ucd, conference_id)):
            assert time.monotonic() < deadline, roster(ucd, conference_id)
            time.sleep(0.2)
        assert [p["entity"] for p in roster(ucd, conference_id) if p["muted"]] == ["sip:low@elsewhere.invalid"]
        for caller in callers:
            caller.send("BYE")
            assert caller.final("BYE").status == 200
        assert roster(ucd, conference_id) == []
    finally:
        for caller in callers:
            caller.close()
        assert ucd.stop() == 0, ucd.output()
    for caller, own, other in ((low, 440, 880), (high, 880, 440)):
        heard = np.frombuffer(caller.heard, dtype=np.int16)[:RATE * 3].astype(np.float64)
        share = shares(heard[RATE // 2:])
        assert share[own] < 0.02 and share[other] > 0.3, (caller.name, share)


def test_info_digits_three_wrong_ids_then_goodbye_and_bye(tmp_path: Path, engine: uc_media.Engine) -> None:
    ucd, conference_id = start(tmp_path)
    caller = None
    try:
        caller = Caller(engine, ucd.sip_address("UDP"), "info", None)
        caller.call()
        caller.leg.record(caller.heard, rate=RATE)   # the prompts, up to the goodbye
        wrong = "1" if conference_id != "1" else "2"
        for _ in range(3):
            caller.info_digits(wrong + "#")
            time.sleep(0.5)
        bye = caller.wait_bye()
        assert bye.call_id == caller.call_id
        samples = caller.leg.stop_recording()
        assert roster(ucd, conference_id) == []
    finally:
        if caller is not None:
            caller.close()
        assert ucd.stop() == 0, ucd.output()
    # It heard the attendant: speech on the idle leg (the prompts), not silence.
    assert samples is not None and samples > RATE
    heard = np.frombuffer(caller.heard, dtype=np.int16)[:samples].astype(np.float64)
    assert float(np.sqrt(np.mean(heard ** 2))) > 100.0


def test_a_caller_still_at_the_attendant_gets_a_bye_when_ucd_stops(tmp_path: Path, engine: uc_media.Engine) -> None:
    ucd, _ = start(tmp_path)
    caller = Caller(engine, ucd.sip_address("UDP"), "late", None)
    try:
        caller.call()
        caller.info_digits("1")              # in the middle of keying the ID
        ucd.proc.send_signal(signal.SIGTERM)
        bye = caller.wait_bye()
        assert bye.call_id == caller.call_id
    finally:
        caller.close()
        assert ucd.stop() == 0, ucd.output()
    assert "dialin: 1 callers sent BYE" in ucd.output()
