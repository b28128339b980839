"""Real softphones in meetings through ucd's focus and media engine.

Every meeting is made the way an operator makes one, with `ucctl meeting add` against the
running ucd (or the admin API), and joined at the conference URI that prints.

The key test: each of three baresips sends a steady tone (ausine: 440, 660, 880 Hz) and
records what it hears (the sndfile module dumps the decoded audio; baresip 1.0's aufile
has no player). They register, INVITE the meeting's conference URI (digest-challenged by
the focus), and the engine mixes: each recording holds the other two tones and not its own
(FFT). Then the admin API mutes the 440 Hz participant (`Leg.muted`): from then on the
other two stop hearing 440 Hz, and the muted one still hears both others. The roster in
the admin API lists the three while they are in, and the meeting is gone when they have
left. The other tests: dial-out and REFER, escalation of a 2-party call, meetings of the
directory, hold/resume, linphonec, the lobby.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import wave
from collections.abc import Iterable
from pathlib import Path

import httpx
import numpy as np
import pytest

from peers import baresip_config, baresip_sip_port, linphonec_through, stop
from ucd_harness import Ucd, start_ucd, ucctl_json

pytestmark = pytest.mark.peer

TONES = {"alice": 440, "bob": 660, "carol": 880}
WAIT = 30.0
CALL_SECONDS = 14       # baresip's -t: it hangs up (BYE) and quits after this


class Phone:
    def __init__(self, tmp: Path, user: str, outbound: str, dial: str | None, *, control: bool = False,
                 seconds: int = CALL_SECONDS, domain: str = "example.test", tone: int | None = None) -> None:
        binary = shutil.which("baresip")
        assert binary, "baresip is not installed (make test installs it)"
        self.user = user
        self.snd_dir = tmp / f"{user}-sound"
        self.snd_dir.mkdir()
        # A user of another domain is a guest: no password, no registration here.
        credentials = f"auth_pass={user}-pw;regint=600" if domain == "example.test" else "regint=0"
        account = (f'<sip:{user}@{domain}>;{credentials};outbound="sip:{outbound}";'
                   "answermode=auto;audio_codecs=opus/48000/2")   # ausine makes 48 kHz only (PEERS.md)
        # ctrl_tcp: commands (dial, transfer) sent while it runs, as JSON netstrings.
        self.control_port = baresip_sip_port() if control else 0
        extra = f"module_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{self.control_port}\n" if control else ""
        conf = baresip_config(tmp / f"baresip-{user}", baresip_sip_port(), account,
                              modules=("opus.so", "ausine.so", "aufile.so", "sndfile.so"),
                              source=f"ausine,{tone or TONES[user]}", extra=f"snd_path {self.snd_dir}\n{extra}")
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            ["timeout", "60", binary, "-4", "-f", str(conf), "-n", "127.0.0.1",
             *(("-e", f"/dial {dial}") if dial else ()), "-t", str(seconds)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def command(self, name: str, params: str) -> None:
        """One ctrl_tcp command; waits for its response (bounded by the socket timeout)."""
        body = json.dumps({"command": name, "params": params, "token": name}).encode()
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=WAIT) as conn:
            conn.sendall(str(len(body)).encode() + b":" + body + b",")
            received = b""
            while b'"response":true' not in received:
                chunk = conn.recv(4096)
                assert chunk, f"{self.user}: ctrl_tcp closed before answering {name}"
                received += chunk
        assert b'"ok":true' in received, received

    @property
    def recording(self) -> Path:
        """What it heard: sndfile's dump of the decoded stream."""
        found = sorted(self.snd_dir.glob("dump-*-dec.wav"))
        assert len(found) == 1, f"{self.user}: sndfile dumps {found}:\n{self.output()}"
        return found[0]

    def heard(self) -> float:
        """Seconds of audio sndfile has dumped so far into the latest call's dump (0.0
        before one exists): the recording's own clock. baresip decodes, and so records,
        only what arrives, and on a loaded machine that falls behind the wall clock by
        seconds; a test marks each event with heard() taken just before it, and places
        its windows by those marks."""
        found = sorted(self.snd_dir.glob("dump-*-dec.wav"))
        if not found:
            return 0.0
        with found[-1].open("rb") as dump:   # named by the time the call started
            head = dump.read(4096)
            size = dump.seek(0, 2)
        data = head.find(b"data")
        if head[:4] != b"RIFF" or data < 0 or len(head) < 28:
            return 0.0   # the header is not written yet
        channels, rate = struct.unpack_from("<HI", head, 22)   # the fmt chunk (libsndfile writes it first)
        return max(0, size - data - 8) // (2 * channels) / rate

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = WAIT) -> float:
        """The monotonic time the text was first seen (bounded wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return time.monotonic()
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{self.user}: no {text!r}:\n{self.output()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)


def add_meeting(ucd: Ucd, organizer: str, *options: str) -> dict[str, str]:
    """A meet-now made with ucctl against the running ucd: its meeting ID, conference ID
    and the conference URI the phones dial (the organizer's GRUU with the focus's opaque id)."""
    meeting: dict[str, str] = ucctl_json(ucd, "meeting", "add", organizer, *options)
    assert ";gruu;opaque=app:conf:focus:id:" in meeting["conference_uri"], meeting
    return meeting


def wait_heard(phones: Iterable[Phone], marks: dict[str, float], seconds: float) -> None:
    """Until each phone has recorded `seconds` of audio past its mark (bounded): a wait on
    the recordings themselves, so a window after the mark holds audio on a loaded machine."""
    deadline = time.monotonic() + WAIT
    for phone in phones:
        while phone.heard() < marks[phone.user] + seconds:
            assert phone.proc.poll() is None and time.monotonic() < deadline, (
                f"{phone.user}: recorded {phone.heard():.1f} s, not {marks[phone.user] + seconds:.1f}:\n{phone.output()}")
            time.sleep(0.05)


def wait_speakers(api: httpx.Client, conference: str, expected: list[str]) -> None:
    """Until the conference's active speakers are `expected` (bounded): the engine's talker
    events come a few ticks after the audio changes."""
    deadline = time.monotonic() + WAIT
    while (speakers := sorted(api.get(conference).json()["speakers"])) != expected:
        assert time.monotonic() < deadline, f"active speakers {speakers}, not {expected}"
        time.sleep(0.1)


def wait_registered(ucd: Ucd, *users: str) -> None:
    """Until ucd's registrations list every user (bounded): read from ucd, since baresip's
    block-buffered stdout may hold its "200 OK" line back."""
    wanted = {f"sip:{user}@example.test" for user in users}
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if wanted <= {b["aor"] for b in ucd.api().get("/api/v1/registrations").json()}:
            return
        time.sleep(0.1)
    raise AssertionError(f"not registered: {wanted}\n{ucd.output()}")


def invite_status(host: str, port: int, uri: str) -> int:
    """The final status of a plain INVITE (no SDP, from outside the domain) to `uri`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(WAIT)
        local = sock.getsockname()[1]
        sock.sendto((f"INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bKfocus404\r\n"
                     f"Max-Forwards: 70\r\nFrom: <sip:guest@elsewhere.invalid>;tag=g1\r\nTo: <{uri}>\r\n"
                     f"Call-ID: focus404@test\r\nCSeq: 1 INVITE\r\nContact: <sip:guest@127.0.0.1:{local}>\r\n"
                     "Content-Length: 0\r\n\r\n").encode(), (host, port))
        for _ in range(10):
            status = int(sock.recv(65535).split(b" ", 2)[1])
            if status >= 200:
                return status
    raise AssertionError("no final response")


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    return samples.reshape(-1, channels).mean(axis=1), rate


def tone_shares(samples: np.ndarray, rate: int) -> dict[int, float]:
    """Each test tone's share of the window's power (a +-15 Hz band around it)."""
    window = samples * np.hanning(len(samples))
    power = np.abs(np.fft.rfft(window)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    total = float(power[(freqs > 100) & (freqs < 4000)].sum()) or 1.0
    return {tone: float(power[np.abs(freqs - tone) <= 15].sum()) / total for tone in TONES.values()}


def window(samples: np.ndarray, rate: int, start: float, end: float) -> np.ndarray:
    part = samples[int(start * rate):int(end * rate)]
    assert len(part) >= rate, (f"recording too short for the window {start:.1f}-{end:.1f} s "
                               f"({len(samples) / rate:.1f} s)")
    return part


def test_three_baresips_hear_each_other_and_a_muted_one_goes_silent(tmp_path: Path) -> None:
    """alice organizes; bob and carol, users of the company, join as presenters (the
    default policies: nobody of the company waits in the lobby)."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    try:
        ucd.add_users(*TONES)
        meeting = add_meeting(ucd, "alice")
        conference = f"/api/v1/conferences/{meeting['conference_id']}"
        host, port = ucd.sip_address("UDP")
        for user in TONES:
            phones.append(Phone(tmp_path, user, f"{host}:{port}", meeting["conference_uri"]))
        for phone in phones:
            phone.wait_for("Call established")
        api = ucd.api()
        roster = api.get(conference).json()
        assert roster["uri"] == meeting["conference_uri"], roster
        roles = {p["entity"]: p["role"] for p in roster["participants"]}
        assert roles == {"sip:alice@example.test": "organizer", "sip:bob@example.test": "presenter",
                         "sip:carol@example.test": "presenter"}, roster
        assert not any(p["in_lobby"] for p in roster["participants"]), roster
        ids = {p["entity"].split(":")[1].split("@")[0]: p["id"] for p in roster["participants"]}
        assert sorted(ids) == sorted(TONES), roster
        assert all(p["authenticated"] and not p["muted"] for p in roster["participants"])

        # Events are marked on each recording's own clock (Phone.heard) and the test waits
        # for recorded audio, not wall time: on a loaded machine the two drift apart.
        all_in = {phone.user: phone.heard() for phone in phones}
        wait_heard(phones, all_in, 3.0)
        # Three steady tones: the engine's talker events name all three active speakers.
        wait_speakers(api, conference, sorted(ids.values()))
        mute_at = {phone.user: phone.heard() for phone in phones}
        muted = api.post(f"{conference}/participants/{ids['alice']}/mute", json={"muted": True})
        assert muted.status_code == 200 and muted.json()["muted"] is True, muted.text
        assert api.post(f"{conference}/participants/p999/mute").status_code == 404
        # A muted leg is not heard, so it stops being an active speaker.
        wait_speakers(api, conference, sorted([ids["bob"], ids["carol"]]))
        wait_heard(phones, mute_at, 3.0)
        for phone in phones:
            phone.proc.wait(timeout=WAIT)   # -t: each hangs up with BYE and quits
        # Everyone left: the focus closed the meeting's room.
        assert api.get("/api/v1/conferences").json() == []
    finally:
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()

    for phone in phones:
        samples, rate = read_mono(phone.recording)
        # Windows on the recording's clock keep a second after the joins and the mute
        # (the mix, then baresip's jitter buffer) and half a second before the mute.
        user = phone.user
        before = tone_shares(window(samples, rate, all_in[user] + 1.0, mute_at[user] - 0.5), rate)
        after = tone_shares(window(samples, rate, mute_at[user] + 1.0, mute_at[user] + 3.0), rate)
        own = TONES[phone.user]
        others = [tone for user, tone in TONES.items() if user != phone.user]
        where = f"{phone.user} ({own} Hz) before the mute {before}, after {after}"
        assert before[own] < 0.01, where
        assert all(before[tone] > 0.15 for tone in others), where
        if phone.user == "alice":   # the muted one still hears both others
            assert after[own] < 0.01 and all(after[tone] > 0.15 for tone in others), where
        else:
            assert after[TONES["alice"]] < 0.01, where
            assert all(after[tone] > 0.3 for tone in others if tone != TONES["alice"]), where


def test_the_focus_dials_out_to_a_registered_baresip_and_refer_is_answered(tmp_path: Path) -> None:
    """Adding a party: the admin API has the focus INVITE bob (auto-answer) into the meeting
    alice is in. Escalation by REFER: the focus's out-of-dialog REFER reaches bob's
    endpoint and its answer is recorded; baresip 1.0 implements REFER only within a call
    (transfer) and answers an out-of-dialog one 501."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    try:
        ucd.add_users("alice", "bob")
        meeting = add_meeting(ucd, "alice")
        uri = meeting["conference_uri"]
        host, port = ucd.sip_address("UDP")
        bob = Phone(tmp_path, "bob", f"{host}:{port}", None)
        phones.append(bob)
        wait_registered(ucd, "bob")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", uri)
        phones.append(alice)
        alice.wait_for("Call established")
        api = ucd.api()
        dialled = api.post("/api/v1/conferences/dial-outs", json={"conference_uri": uri, "user": "bob"})
        assert dialled.status_code == 202, dialled.text
        assert dialled.json()["endpoint"].startswith("sip:bob")
        bob.wait_for("Call established")
        roster = api.get(f"/api/v1/conferences/{meeting['conference_id']}").json()
        assert sorted(p["entity"] for p in roster["participants"]) == ["sip:alice@example.test",
                                                                         "sip:bob@example.test"], roster
        assert api.post("/api/v1/conferences/dial-outs",
                        json={"conference_uri": uri, "user": "nobody"}).status_code == 404

        referred = api.post("/api/v1/conferences/invitations", json={"conference_uri": uri, "user": "bob"})
        assert referred.status_code == 202, referred.text
        deadline = time.monotonic() + WAIT
        outcomes: list[dict[str, object]] = []
        while time.monotonic() < deadline and not (outcomes and outcomes[0]["status"] is not None):
            outcomes = api.get("/api/v1/conferences/invitations").json()
            time.sleep(0.1)
        assert [o["status"] for o in outcomes] == [501], outcomes
    finally:
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()


def test_a_two_party_call_is_escalated_into_the_meeting_without_dropping_the_callee(tmp_path: Path) -> None:
    """Escalation the way the clients drive it (Lync's): alice calls bob through ucd's proxy,
    then transfers him to the meeting (REFER in their call's dialog, RFC 3515, proxied by
    ucd); bob INVITEs the focus while still in the call, and only then does the old call end;
    alice dials the meeting too. Both end up in the roster, hearing each other's tone. The
    meeting's organizer is dave, who never joins, so that its conference URI (dave's GRUU)
    tells the meeting call apart from alice's call in baresip's output."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    try:
        ucd.add_users("alice", "bob", "dave")
        meeting = add_meeting(ucd, "dave")
        uri = meeting["conference_uri"]
        host, port = ucd.sip_address("UDP")
        # -t 50: they quit only when stopped (a slow, shared machine takes its time).
        bob = Phone(tmp_path, "bob", f"{host}:{port}", None, seconds=50)
        phones.append(bob)
        alice = Phone(tmp_path, "alice", f"{host}:{port}", None, control=True, seconds=50)
        phones.append(alice)
        wait_registered(ucd, "alice", "bob")
        alice.command("dial", "sip:bob@example.test")
        bob.wait_for("Call established: sip:alice@example.test")
        alice.command("transfer", uri)
        bob.wait_for("Call established: sip:dave@example.test")
        # alice hangs up once bob's NOTIFY says the new call is up; bob reports the BYE
        # (read from bob: baresip's stdout is block-buffered, and alice, out of calls, prints
        # too little to flush it).
        bob.wait_for("sip:alice@example.test: session closed")
        alice.command("dial", uri)
        alice.wait_for("Call established: sip:dave@example.test")
        api = ucd.api()
        roster = api.get(f"/api/v1/conferences/{meeting['conference_id']}").json()
        assert {p["entity"]: p["role"] for p in roster["participants"]} == {
            "sip:alice@example.test": "presenter", "sip:bob@example.test": "presenter"}, roster
        # Both tones flowing through the mix: 4 s of it recorded by each (their clocks,
        # not the wall's: Phone.heard), so the window checked below holds only that.
        wait_heard(phones, {phone.user: phone.heard() for phone in phones}, 4.0)
    finally:
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()
    # bob was never without a call: the meeting answered him before his call with alice ended.
    lines = bob.output()
    assert lines.index("Call established: sip:dave@example.test") < lines.index(
        "sip:alice@example.test: session closed"), lines
    # sndfile dumps one file per call: the meeting call is the later one.
    for phone, other in ((alice, "bob"), (bob, "alice")):
        dumps = sorted(phone.snd_dir.glob("dump-*-dec.wav"), key=lambda path: path.stat().st_mtime)
        samples, rate = read_mono(dumps[-1])
        shares = tone_shares(samples[-int(2.5 * rate):-int(0.5 * rate)], rate)
        assert shares[TONES[other]] > 0.3 and shares[TONES[phone.user]] < 0.01, (phone.user, shares)


def test_a_meeting_made_through_the_admin_api_is_joined_at_its_conference_uri(tmp_path: Path) -> None:
    """The focus finds meetings of the directory: one created with
    the admin API is joined at its conference URI (the organizer's GRUU with the focus's
    opaque id) and listed under its numeric conference ID; once deleted, it is not found
    (404). ucd's shutdown then ends the running meeting with a BYE to the participant."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    try:
        ucd.add_users("alice")
        api = ucd.api()
        made = api.post("/api/v1/meetings", json={"organizer": "alice", "subject": "weekly"})
        assert made.status_code == 201, made.text
        meeting = made.json()
        host, port = ucd.sip_address("UDP")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", meeting["conference_uri"])
        phones.append(alice)
        alice.wait_for("Call established")
        roster = api.get(f"/api/v1/conferences/{meeting['conference_id']}").json()
        assert roster["uri"] == meeting["conference_uri"], roster
        assert [p["entity"] for p in roster["participants"]] == ["sip:alice@example.test"], roster
        assert api.delete(f"/api/v1/meetings/{meeting['meeting_id']}").status_code == 204
        assert invite_status(host, port, meeting["conference_uri"]) == 404
        # Shutting down ends the running meeting: alice gets a BYE, and its transaction is
        # among those the shutdown grace waits for.
        assert ucd.stop() == 0, ucd.output()
        assert "focus: 1 participants sent BYE" in ucd.output()
        # Without ucd a terminated baresip would retry its un-REGISTER for 32 s: kill it.
        alice.proc.kill()
        alice.proc.wait(timeout=WAIT)
    finally:
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()


def test_hold_and_resume_from_baresip_are_answered_on_the_same_leg(tmp_path: Path) -> None:
    """baresip's hold and resume are re-INVITEs (a=sendonly, then a=sendrecv): the focus
    answers them on the participant's leg, and the roster shows the hold."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    try:
        ucd.add_users("alice")
        meeting = add_meeting(ucd, "alice")
        conference = f"/api/v1/conferences/{meeting['conference_id']}"
        host, port = ucd.sip_address("UDP")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", None, control=True, seconds=50)
        phones.append(alice)
        wait_registered(ucd, "alice")
        alice.command("dial", meeting["conference_uri"])
        alice.wait_for("Call established: sip:alice@example.test")
        api = ucd.api()

        def on_hold() -> bool:
            [participant] = api.get(conference).json()["participants"]
            return bool(participant["on_hold"])

        def wait_hold(expected: bool) -> None:
            deadline = time.monotonic() + WAIT
            while on_hold() != expected:
                assert time.monotonic() < deadline, f"on_hold never became {expected}:\n{ucd.output()}"
                time.sleep(0.1)

        assert not on_hold()
        alice.command("hold", "")
        wait_hold(True)
        alice.command("resume", "")
        wait_hold(False)
        # Still one leg and one participant: the re-INVITEs were answered in the dialog.
        assert len(api.get(conference).json()["participants"]) == 1
        assert re.search(r'ucd_sip_transactions_total\{class="2xx",method="INVITE",role="server"\} 3\.0',
                         ucd.metrics()), ucd.metrics()
        metrics = ucd.metrics()
        for line in ("ucd_conferences 1.0", "ucd_conference_participants 1.0", 'ucd_media_legs{worker="0"} 1.0'):
            assert f"\n{line}\n" in metrics, metrics
        received = re.search(r'^ucd_media_packets_received_total\{worker="0"\} (\S+)$', metrics, re.MULTILINE)
        assert received is not None and float(received.group(1)) > 0, metrics   # alice's tone
    finally:
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()


def test_linphonec_joins_the_meeting_with_a_baresip(tmp_path: Path) -> None:
    """A second softphone stack: linphonec (registered with the admin guide's linphonerc)
    calls the conference URI, is challenged and answered by the focus, and is in the
    roster beside a baresip; its hang-up (BYE) takes it out."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    linphone = None
    try:
        ucd.add_users("alice", "carol")
        meeting = add_meeting(ucd, "alice")
        host, port = ucd.sip_address("UDP")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", meeting["conference_uri"], seconds=50)
        phones.append(alice)
        alice.wait_for("Call established")
        linphone = linphonec_through((host, port), "carol", "carol-pw", tmp_path, "soundcard use files")
        assert linphone.stdin is not None
        wait_registered(ucd, "carol")
        linphone.stdin.write(f"call {meeting['conference_uri']}\n")
        linphone.stdin.flush()
        api = ucd.api()

        def entities() -> list[str]:
            return sorted(p["entity"] for p in
                          api.get(f"/api/v1/conferences/{meeting['conference_id']}").json()["participants"])

        deadline = time.monotonic() + WAIT
        while entities() != ["sip:alice@example.test", "sip:carol@example.test"]:
            assert time.monotonic() < deadline, f"{entities()}\n{ucd.output()}"
            time.sleep(0.2)
        linphone.stdin.write("terminate\n")
        linphone.stdin.flush()
        deadline = time.monotonic() + WAIT
        while entities() != ["sip:alice@example.test"]:
            assert time.monotonic() < deadline, f"{entities()}\n{ucd.output()}"
            time.sleep(0.2)
        linphone.stdin.write("quit\n")
        linphone.stdin.flush()
        linphone.wait(timeout=WAIT)
    finally:
        stop([linphone], WAIT)   # through `timeout` to linphonec: peers.stop
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()


def test_a_guest_waits_in_the_lobby_until_a_presenter_admits_them(tmp_path: Path) -> None:
    """A meeting made through the admin API has the default lobby (outside-company): alice,
    its organizer, is in at once; a guest from another domain (not authenticated) is
    answered but held out of the mix with the lobby music, and does not hear alice's tone
    until the admin API admits them; then it does."""
    ucd: Ucd = start_ucd(tmp_path)
    phones: list[Phone] = []
    try:
        ucd.add_users("alice")
        api = ucd.api()
        meeting = api.post("/api/v1/meetings", json={"organizer": "alice"}).json()
        host, port = ucd.sip_address("UDP")
        alice = Phone(tmp_path, "alice", f"{host}:{port}", meeting["conference_uri"], seconds=50)
        phones.append(alice)
        alice.wait_for("Call established")
        guest = Phone(tmp_path, "carol", f"{host}:{port}", meeting["conference_uri"], seconds=50,
                      domain="elsewhere.invalid")
        phones.append(guest)
        guest.wait_for("Call established")
        path = f"/api/v1/conferences/{meeting['conference_id']}"
        waiting = {p["entity"]: p for p in api.get(path).json()["participants"]}
        assert waiting["sip:carol@elsewhere.invalid"]["in_lobby"], waiting
        assert not waiting["sip:alice@example.test"]["in_lobby"], waiting
        assert waiting["sip:alice@example.test"]["role"] == "organizer", waiting
        assert waiting["sip:carol@elsewhere.invalid"]["role"] == "attendee", waiting
        # Marks and waits on the guest's recording clock (Phone.heard), not wall time: the
        # lobby notice (2.25 s of speech), then the music.
        wait_heard([guest], {"carol": 0.0}, 5.5)
        admitted_at = guest.heard()
        admitted = api.post(f"{path}/participants/{waiting['sip:carol@elsewhere.invalid']['id']}/admit")
        assert admitted.status_code == 200 and not admitted.json()["in_lobby"], admitted.text
        wait_heard([guest], {"carol": admitted_at}, 3.0)
    finally:
        for phone in phones:
            phone.stop()
        assert ucd.stop() == 0, ucd.output()
    samples, rate = read_mono(guest.recording)
    waiting_audio = window(samples, rate, 3.0, admitted_at - 0.5)   # past the notice: the music
    lobby = tone_shares(waiting_audio, rate)
    inside = tone_shares(window(samples, rate, admitted_at + 1.0, admitted_at + 2.5), rate)
    assert lobby[TONES["alice"]] < 0.01, lobby          # the music, not the meeting
    assert float(np.sqrt(np.mean(waiting_audio ** 2))) > 100, "no lobby music"
    assert inside[TONES["alice"]] > 0.3, inside         # alice's 440 Hz once admitted
