"""A meeting of the directory run by the focus's roster, with real softphones and a
conference-event subscriber, through ucd.

Three baresips (alice the organizer 440 Hz, bob 660 Hz, carol 880 Hz, users of the
server) join a meeting made through the admin API; a fourth, dave from another domain
(1100 Hz), is not authenticated and the meeting's lobby policy (outside-company) keeps him
in the lobby: he hears the lobby notice, then the music, and nobody hears him. Each of the
three hears the other two and not itself (FFT of what sndfile recorded). The operator mutes alice through
the admin API's controls: bob and carol stop hearing 440 Hz. Then dave is admitted: bob
and carol hear 1100 Hz, dave hears the meeting. Beside them a SIP subscriber (alice's
account, a plain UDP client here) subscribes to the conference events (RFC 4575) and
sees the joins, dave pending in the lobby and then connected, alice's mute, the active
speakers, and carol leaving when she is ejected.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from peers import linphonec_through, stop
from test_focus_baresip import WAIT, Phone, read_mono, wait_heard, wait_registered, window
from uc_signal.conferencing import ConferenceInfo, DocState, apply, parse
from uc_signal.sip import DigestClient, Request, Response, make_response, new_branch, parse_message
from ucd_harness import Ucd, start_ucd

pytestmark = pytest.mark.peer

TONES = {"alice": 440, "bob": 660, "carol": 880, "dave": 1100}
GUEST = "sip:dave@elsewhere.invalid"


def shares(samples: np.ndarray, rate: int) -> dict[str, float]:
    """Each participant's tone's share of the window's power (+-15 Hz)."""
    power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    total = float(power[(freqs > 100) & (freqs < 4000)].sum()) or 1.0
    return {user: float(power[np.abs(freqs - tone) <= 15].sum()) / total for user, tone in TONES.items()}


# The shipped lobby music's notes (scripts/make-prompts.sh: C, Am, F, G chords) and the
# length of the lobby notice played before it.
MUSIC_NOTES = (174.61, 196.0, 220.0, 246.94, 261.63, 293.66, 329.63, 392.0)
NOTICE_SECONDS = 2.25


def music_share(samples: np.ndarray, rate: int) -> float:
    """The lobby music's notes' share of the window's power (+-4 Hz each)."""
    power = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    total = float(power[(freqs > 100) & (freqs < 4000)].sum()) or 1.0
    return sum(float(power[np.abs(freqs - note) <= 4].sum()) for note in MUSIC_NOTES) / total


class Subscriber:
    """SUBSCRIBE (Event: conference) as alice over UDP, answer every NOTIFY 200 and keep
    the conference state they describe (full, then partial documents applied in order)."""

    def __init__(self, sip: tuple[str, int], uri: str) -> None:
        self.sip, self.uri = sip, uri
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.documents: list[ConferenceInfo] = []
        self.states: list[str] = []          # Subscription-State of each NOTIFY
        self.state: ConferenceInfo | None = None
        self.errors: list[str] = []
        self._answered: set[str] = set()      # CSeq of each request answered
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _subscribe_request(self, cseq: int, authorization: str = "") -> bytes:
        return (f"SUBSCRIBE {self.uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={new_branch()};rport\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:alice@example.test>;tag=sub1\r\n"
                f"To: <{self.uri}>\r\nCall-ID: confevents-{self.port}@test\r\nCSeq: {cseq} SUBSCRIBE\r\n"
                f"Contact: <sip:alice@127.0.0.1:{self.port}>\r\nEvent: conference\r\nExpires: 600\r\n"
                f"Accept: application/conference-info+xml\r\n{authorization}Content-Length: 0\r\n\r\n").encode()

    def _final(self) -> Response:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            message = parse_message(data)
            if isinstance(message, Response) and message.status >= 200:
                return message
            if isinstance(message, Request):
                self._on_request(message)
        raise AssertionError("no final response to SUBSCRIBE")

    def subscribe(self) -> int:
        self.sock.sendto(self._subscribe_request(1), self.sip)
        first = self._final()
        if first.status == 407:
            challenge = first.headers.get_all("Proxy-Authenticate")[-1]
            auth = DigestClient("alice", "alice-pw").authorize(challenge, "SUBSCRIBE", self.uri)
            self.sock.sendto(self._subscribe_request(2, f"Proxy-Authorization: {auth}\r\n"), self.sip)
            first = self._final()
        if first.status == 200:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return first.status

    def _on_request(self, request: Request) -> None:
        response = make_response(request, 200)
        self.sock.sendto(bytes(response), self.sip)
        # A retransmission (ucd's Timer E fires when our 200 is late, which a loaded
        # machine makes happen) is answered again but is the same NOTIFY: RFC 3261 17.2.2.
        cseq = request.headers.get("CSeq") or ""
        if request.method != "NOTIFY" or cseq in self._answered:
            return
        self._answered.add(cseq)
        self.states.append(request.headers.get("Subscription-State") or "")
        try:
            document = parse(request.body)
            self.documents.append(document)
            self.state = document if document.state is DocState.FULL or self.state is None \
                else apply(self.state, document)
        except Exception as error:   # noqa: BLE001 - reported by the test, not swallowed
            self.errors.append(repr(error))

    def _run(self) -> None:
        for _ in range(100_000):
            if self._stop.is_set():
                return
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            message = parse_message(data)
            if isinstance(message, Request):
                self._on_request(message)

    def wait(self, what: str, check, timeout: float = WAIT) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state is not None and check(self.state):
                return
            time.sleep(0.05)
        raise AssertionError(f"subscriber: no {what}; state {self.state}; errors {self.errors}")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=WAIT)
        self.sock.close()


def marks(phones: dict[str, Phone]) -> dict[str, float]:
    """Now, on each phone's recording clock."""
    return {user: phone.heard() for user, phone in phones.items()}


def endpoint_status(state: ConferenceInfo, entity: str) -> str | None:
    user = state.user(entity)
    return user.endpoints[0].status if user is not None and user.endpoints else None


def test_three_hear_each_other_a_muted_one_goes_silent_the_lobby_guest_is_heard_once_admitted(
        tmp_path: Path) -> None:
    ucd: Ucd = start_ucd(tmp_path)
    phones: dict[str, Phone] = {}
    subscriber: Subscriber | None = None
    try:
        ucd.add_users("alice", "bob", "carol")
        api = ucd.api()
        meeting = api.post("/api/v1/meetings", json={"organizer": "alice", "subject": "Roster"}).json()
        uri, conference_id = meeting["conference_uri"], meeting["conference_id"]
        host, port = ucd.sip_address("UDP")
        outbound = f"{host}:{port}"
        phones["alice"] = Phone(tmp_path, "alice", outbound, uri, seconds=50, tone=TONES["alice"])
        phones["alice"].wait_for("Call established")
        subscriber = Subscriber((host, port), uri)
        assert subscriber.subscribe() == 200
        subscriber.wait("alice in the full state", lambda s: s.user("sip:alice@example.test") is not None)
        for user in ("bob", "carol"):
            phones[user] = Phone(tmp_path, user, outbound, uri, seconds=50, tone=TONES[user])
        phones["dave"] = Phone(tmp_path, "dave", outbound, uri, seconds=50, tone=TONES["dave"],
                               domain="elsewhere.invalid")
        for user in ("bob", "carol", "dave"):
            phones[user].wait_for("Call established")
        subscriber.wait("bob and carol joining", lambda s: all(
            endpoint_status(s, f"sip:{u}@example.test") == "connected" for u in ("bob", "carol")))
        subscriber.wait("dave pending in the lobby", lambda s: endpoint_status(s, GUEST) == "pending")
        roster = api.get(f"/api/v1/meetings/{conference_id}/roster").json()
        roles = {p["entity"]: (p["role"], p["state"]) for p in roster["participants"]}
        assert roles == {"sip:alice@example.test": ("organizer", "connected"),
                         "sip:bob@example.test": ("presenter", "connected"),
                         "sip:carol@example.test": ("presenter", "connected"),
                         GUEST: ("attendee", "lobby")}, roles
        # Each event is marked on every recording's own clock (Phone.heard), and the waits
        # between events are for recorded audio, not wall time: on a loaded machine the
        # recordings fall seconds behind the wall clock.
        all_in = marks(phones)
        wait_heard(phones.values(), all_in, 3.0)
        subscriber.wait("three active speakers", lambda s: s.conference_state is not None and sorted(
            s.conference_state.active_speakers) == sorted(f"sip:{u}@example.test" for u in ("alice", "bob", "carol")))

        mute_at = marks(phones)
        muted = api.post(f"/api/v1/meetings/{conference_id}/controls/mute",
                         json={"participant": "sip:alice@example.test"})
        assert muted.status_code == 200, muted.text
        subscriber.wait("alice muted", lambda s: endpoint_status(s, "sip:alice@example.test") == "muted-via-focus")
        wait_heard(phones.values(), mute_at, 3.0)
        admit_at = marks(phones)
        admitted = api.post(f"/api/v1/meetings/{conference_id}/controls/admit", json={"participant": GUEST})
        assert admitted.status_code == 200, admitted.text
        subscriber.wait("dave admitted", lambda s: endpoint_status(s, GUEST) == "connected")
        wait_heard(phones.values(), admit_at, 3.0)
        eject_at = marks(phones)
        ejected = api.post(f"/api/v1/meetings/{conference_id}/controls/eject",
                           json={"participant": "sip:carol@example.test"})
        assert ejected.status_code == 200, ejected.text
        subscriber.wait("carol leaving", lambda s: s.user("sip:carol@example.test") is None)
        assert subscriber.errors == []
        versions = [d.version for d in subscriber.documents]
        assert versions == list(range(1, len(versions) + 1)), versions
        assert subscriber.documents[0].state is DocState.FULL
        assert all(d.state is DocState.PARTIAL for d in subscriber.documents[1:])
        assert all(s.startswith("active") for s in subscriber.states)
    finally:
        if subscriber is not None:
            subscriber.close()
        for phone in phones.values():
            phone.stop()
        assert ucd.stop() == 0, ucd.output()

    heard = {user: read_mono(phone.recording) for user, phone in phones.items()}
    # Windows on each recording's clock: a second after an event (the change reaches the
    # decoder through the mix and baresip's jitter buffer) to half a second before the next.
    for user in ("alice", "bob", "carol"):
        samples, rate = heard[user]
        before = shares(window(samples, rate, all_in[user] + 1.0, mute_at[user] - 0.5), rate)
        where = f"{user} before the mute: {before}"
        assert before[user] < 0.01 and before["dave"] < 0.01, where      # not itself, not the lobby
        assert all(before[other] > 0.15 for other in ("alice", "bob", "carol") if other != user), where
        if user != "alice":
            after = shares(window(samples, rate, mute_at[user] + 1.0, admit_at[user] - 0.5), rate)
            assert after["alice"] < 0.01, f"{user} after the mute: {after}"
            inside = shares(window(samples, rate, admit_at[user] + 1.0, eject_at[user] - 0.5), rate)
            assert inside["dave"] > 0.1 and inside["alice"] < 0.01, f"{user} after the admission: {inside}"
    samples, rate = heard["dave"]
    # In the lobby: the notice first ("please wait...", 2.25 s of speech), then the music.
    notice_audio = window(samples, rate, 0.3, 1.9)
    lobby_audio = window(samples, rate, NOTICE_SECONDS + 0.7, admit_at["dave"] - 0.5)
    assert float(np.sqrt(np.mean(notice_audio ** 2))) > 100, "no lobby notice"
    assert music_share(notice_audio, rate) < 0.5 < music_share(lobby_audio, rate), (
        f"notice then music: {music_share(notice_audio, rate)}, {music_share(lobby_audio, rate)}")
    lobby = shares(lobby_audio, rate)
    assert all(lobby[user] < 0.01 for user in ("alice", "bob", "carol")), f"dave in the lobby: {lobby}"
    assert float(np.sqrt(np.mean(lobby_audio ** 2))) > 100, "no lobby music"
    inside = shares(window(samples, rate, admit_at["dave"] + 1.0, eject_at["dave"] - 0.5), rate)
    assert inside["bob"] > 0.15 and inside["carol"] > 0.15 and inside["alice"] < 0.01, f"dave inside: {inside}"


def test_a_two_party_call_is_escalated_and_a_third_party_dialled_in(tmp_path: Path) -> None:
    """bob (baresip) calls carol (linphonec, auto-answer) through ucd; the admin API
    escalates: a meet-now meeting of alice's, and a REFER (out of dialog: the focus is not
    in their call) to each party's endpoint. Neither real peer takes a REFER outside a call
    (baresip 1.0 answers 501, linphonec 603), so the focus calls each of them in instead,
    beside the call they are in: baresip answers that second call and is in the meeting
    with its call to carol still up; linphonec takes one call at a time and answers it
    486 Busy, so carol stays out. Then alice, the third party, is dialled in."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    linphone = None
    try:
        ucd.add_users("alice", "bob", "carol")
        host, port = ucd.sip_address("UDP")
        linphone = linphonec_through((host, port), "carol", "carol-pw", tmp_path,
                                     "soundcard use files", "autoanswer enable")
        wait_registered(ucd, "carol")
        bob = Phone(tmp_path, "bob", f"{host}:{port}", "sip:carol@example.test", seconds=50, tone=TONES["bob"])
        phones.append(bob)
        bob.wait_for("Call established: sip:carol@example.test")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", None, seconds=50, tone=TONES["alice"])
        phones.append(alice)
        wait_registered(ucd, "alice", "bob")
        api = ucd.api()
        escalation = api.post("/api/v1/meetings/escalations", json={"organizer": "alice", "parties": ["bob", "carol"]})
        assert escalation.status_code == 201, escalation.text
        body = escalation.json()
        assert all(len(endpoints) == 1 for endpoints in body["referred"].values()), body
        path = f"/api/v1/meetings/{body['conference_id']}/roster"

        def entities() -> list[str]:
            roster = api.get(path)
            return sorted(p["entity"] for p in roster.json()["participants"]) if roster.status_code == 200 else []

        deadline = time.monotonic() + WAIT
        while entities() != ["sip:bob@example.test"]:
            assert time.monotonic() < deadline, f"{entities()}\n{ucd.output()}"
            time.sleep(0.2)

        def outcomes() -> list[int | None]:
            return sorted((r["status"] for r in api.get("/api/v1/conferences/invitations").json()),
                          key=lambda status: status or 0)

        # linphonec answers its REFER on its own time, possibly after bob has joined.
        while None in outcomes():
            assert time.monotonic() < deadline, f"{outcomes()}\n{ucd.output()}"
            time.sleep(0.2)
        assert outcomes() == [501, 603], outcomes()
        assert "sip:carol@example.test: session closed" not in bob.output()   # the 2-party call goes on
        dialled = api.post("/api/v1/conferences/dial-outs", json={"conference_uri": body["conference_uri"],
                                                                 "user": "alice"})
        assert dialled.status_code == 202, dialled.text
        deadline = time.monotonic() + WAIT
        while entities() != ["sip:alice@example.test", "sip:bob@example.test"]:
            assert time.monotonic() < deadline, f"{entities()}\n{ucd.output()}"
            time.sleep(0.2)
    finally:
        stop([linphone], WAIT)   # through `timeout` to linphonec: peers.stop
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()
