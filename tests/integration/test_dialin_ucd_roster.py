"""Audience mute has one state, the focus roster's, in a real ucd with its media engine:
a leader who dialed in (leader PIN, RFC 4733) mutes the audience with *4; a conference
event subscriber (the organizer, over UDP) sees the dial-in guest muted, and so does the
admin API's roster; the operator unmutes the audience through the admin API and the
leader hears the guest's tone again (FFT). Callers are this process's engine legs
(tests/integration/test_dialin_ucd.py)."""

from __future__ import annotations

import secrets
import socket
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import uc_media
from test_dialin_ucd import RATE, WAIT, Caller, shares, start
from uc_signal.conferencing import parse
from uc_signal.sip import DigestClient, Request, Response, parse_message
from ucd_harness import Ucd

DOMAIN = "example.test"


class LocalCaller(Caller):
    """A caller whose caller ID names a user of this server (it is then asked for a PIN)."""

    def _headers(self, method: str, cseq: int) -> str:
        return super()._headers(method, cseq).replace("elsewhere.invalid", DOMAIN)


class Subscriber:
    """A conference-event subscriber over UDP: SUBSCRIBE with digest, NOTIFYs answered 200."""

    def __init__(self, server: tuple[str, int], user: str, password: str, uri: str) -> None:
        self.server, self.user, self.uri = server, user, uri
        self.digest = DigestClient(user, password)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.notifies: list[Request] = []
        self.call_id = secrets.token_hex(8)

    def _subscribe(self, cseq: int, auth: str) -> bytes:
        return (f"SUBSCRIBE {self.uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{self.user}@{DOMAIN}>;tag=sub{self.port}\r\nTo: <{self.uri}>\r\n"
                f"Call-ID: {self.call_id}\r\nCSeq: {cseq} SUBSCRIBE\r\n"
                f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>\r\nEvent: conference\r\nExpires: 600\r\n"
                f"Accept: application/conference-info+xml\r\n{auth}Content-Length: 0\r\n\r\n").encode()

    def subscribe(self) -> Response:
        self.sock.sendto(self._subscribe(1, ""), self.server)
        first = self._final()
        if first.status != 407:
            return first
        auth = self.digest.authorize(first.headers.get_all("Proxy-Authenticate")[-1], "SUBSCRIBE", self.uri)
        self.sock.sendto(self._subscribe(2, f"Proxy-Authorization: {auth}\r\n"), self.server)
        return self._final()

    def _final(self) -> Response:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            message = self._receive()
            if isinstance(message, Response) and message.status >= 200:
                return message
        raise AssertionError("no answer to SUBSCRIBE")

    def _receive(self) -> Request | Response | None:
        try:
            data, source = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        message = parse_message(data)
        if isinstance(message, Request):
            lines = ["SIP/2.0 200 OK"] + [f"{name}: {value}" for name in ("Via", "From", "To", "Call-ID", "CSeq")
                                          for value in message.headers.get_all(name)]
            self.sock.sendto(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode(), source)
            if message.method == "NOTIFY":
                self.notifies.append(message)
        return message

    def wait_status(self, entity: str, status: str) -> None:
        """Until a NOTIFY shows `entity`'s endpoint with `status` (bounded)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for notify in self.notifies:
                for user in parse(notify.body).users:
                    if user.entity == entity and any(e.status == status for e in user.endpoints):
                        self.notifies.clear()
                        return
            self._receive()
        raise AssertionError(f"no NOTIFY with {entity} {status}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def engine() -> Iterator[uc_media.Engine]:
    with uc_media.Engine(workers=1, port_range=(46000, 46999)) as running:
        yield running


def meeting_roster(ucd: Ucd, conference_id: str) -> dict[str, Any]:
    response = ucd.api().get(f"/api/v1/meetings/{conference_id}/roster")
    return response.json() if response.status_code == 200 else {"participants": []}


def wait_roster(ucd: Ucd, conference_id: str, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        found = meeting_roster(ucd, conference_id)
        if check(found):
            return found
        assert time.monotonic() < deadline, f"{found}\n{ucd.output()}"
        time.sleep(0.2)


def hears_440(caller: Caller) -> float:
    """The 440 Hz tone's level in 2 s of what the caller hears now: its share of the power
    (100-4000 Hz) times the RMS, so silence counts as not hearing it."""
    caller.heard = array("h", bytes(2 * RATE * 3))
    caller.leg.record(caller.heard, rate=RATE)
    time.sleep(2.5)
    caller.leg.stop_recording()
    heard = np.frombuffer(caller.heard, dtype=np.int16)[:RATE * 2].astype(np.float64)
    return shares(heard)[440] * float(np.sqrt(np.mean(heard ** 2)))


def test_audience_mute_by_dtmf_is_seen_by_subscribers_and_the_api_and_lifted_by_the_api(
        tmp_path: Path, engine: uc_media.Engine) -> None:
    ucd, conference_id = start(tmp_path)
    callers: list[Caller] = []
    subscriber: Subscriber | None = None
    try:
        ucd.ucctl("pin", "set", "alice", "--pin", "73914")
        meeting = ucd.api().get(f"/api/v1/meetings/{conference_id}").json()
        address = ucd.sip_address("UDP")
        leader, guest = LocalCaller(engine, address, "alice", None), Caller(engine, address, "low", 440)
        callers += [leader, guest]
        leader.call()
        time.sleep(1.0)
        leader.rtp_digits(conference_id + "#")
        time.sleep(0.5)
        leader.rtp_digits("73914#")               # the organizer's PIN: in as the organizer
        wait_roster(ucd, conference_id, lambda r: len(r["participants"]) == 1)
        guest.call()
        time.sleep(1.0)
        guest.rtp_digits(conference_id + "#")
        time.sleep(0.5)
        guest.rtp_digits("#")                     # a guest: asked for a name
        time.sleep(6.0)
        guest.rtp_digits("#")
        roster = wait_roster(ucd, conference_id, lambda r: len(r["participants"]) == 2)
        assert {p["entity"]: p["role"] for p in roster["participants"]} == {
            f"sip:alice@{DOMAIN}": "organizer", "sip:low@elsewhere.invalid": "attendee"}
        subscriber = Subscriber(address, "alice", "alice-pw", meeting["conference_uri"])
        assert subscriber.subscribe().status == 200
        time.sleep(5.0)                           # past the chimes and the guest's name
        before = hears_440(leader)
        assert before > 300.0                     # the leader hears the guest's tone

        leader.rtp_digits("*4")                   # audience mute, from the keypad
        subscriber.wait_status("sip:low@elsewhere.invalid", "muted-via-focus")
        roster = wait_roster(ucd, conference_id, lambda r: r["audience_muted"])
        assert {p["entity"]: p["muted"] for p in roster["participants"]} == {
            f"sip:alice@{DOMAIN}": False, "sip:low@elsewhere.invalid": True}
        time.sleep(3.0)                           # the "audience muted" notice to the leader
        muted = hears_440(leader)
        assert muted < before / 20, (before, muted)

        lifted = ucd.api().post(f"/api/v1/meetings/{conference_id}/controls/audience-unmute")
        assert lifted.status_code == 200, lifted.text
        subscriber.wait_status("sip:low@elsewhere.invalid", "connected")
        roster = meeting_roster(ucd, conference_id)
        assert not roster["audience_muted"] and not any(p["muted"] for p in roster["participants"])
        time.sleep(0.5)
        after = hears_440(leader)
        assert after > before / 2, (before, after)   # heard again: the dial-in caller's leg follows
        for caller in callers:
            caller.send("BYE")
            assert caller.final("BYE").status == 200
    finally:
        if subscriber is not None:
            subscriber.close()
        for caller in callers:
            caller.close()
        assert ucd.stop() == 0, ucd.output()
