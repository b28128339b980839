"""The dial-in application's dialogs and attendant glue, sans-IO: the proxy core's
in-memory network with [dialin, focus] in the chain, a directory over a dict, attendant
legs and focus rooms that run the real offer/answer without an engine. Engine events
(RFC 4733 digits, prompt and recording ends) are fed by hand, as `route_event` would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uc_media import LocalCapabilities, NegotiationError, SdpError, negotiate_answer
from uc_signal.conferencing.admission import Role
from uc_signal.conferencing.attendant import AttendantSettings, AttendantState, PinResult
from uc_signal.conferencing.prompts import Prompt
from uc_signal.config.schema import access_numbers
from uc_signal.dialin import DialInApplication, access_key
from uc_signal.focus import FocusApplication, OfferRejected, conference_key
from uc_signal.focus.media import TalkersCallback
from uc_signal.proxy.services import ApplicationServices
from uc_signal.sip import Response

from proxy_network import DOMAIN, Network, UserAgent

ACCESS = "tel:+15550100"


@dataclass(frozen=True)
class Handle:
    """A ConferenceHandle; the test's directory access decides roles and the lobby."""

    uri: str
    conference_id: str


MEETING = Handle(f"sip:meet1@{DOMAIN}", "4711")


def offer_sdp(host: str, port: int = 4000) -> str:
    return (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


@dataclass(eq=False)
class FakeLeg:
    """An attendant leg without an engine: what was played, recorded, handed over."""

    leg_id: int
    caps: LocalCapabilities
    played: list[tuple[tuple[Any, ...], int]] = field(default_factory=list)
    recording: int | None = None          # the token of a running recording
    stopped: int = 0
    closed: bool = False
    announced: list[bytes] = field(default_factory=list)
    handed_over: bool = False

    def play(self, audio: Any, token: int) -> None:
        self.played.append((tuple(audio), token))

    def stop_playback(self) -> None:
        self.stopped += 1

    def record(self, max_seconds: float, token: int) -> None:
        self.recording = token

    def stop_recording(self) -> None:
        pass

    def recorded(self, samples: int) -> bytes:
        return b"\x01\x00" * samples

    def reanswer(self, offer: bytes) -> bytes:
        return bytes(negotiate_answer(offer, self.caps, session_version=2))

    def handover(self) -> FakeLeg:
        self.handed_over = True
        return self

    def announce(self, recording: bytes) -> None:
        self.announced.append(recording)

    def close(self) -> None:
        self.closed = True

    # What the focus reads of its MediaLeg once adopted.
    muted: bool = False
    direction: str = "sendrecv"
    in_lobby: bool = False

    def admit(self) -> None:
        self.in_lobby = False

    def prompts(self) -> list[Any]:
        return [piece for audio, _ in self.played for piece in audio]


@dataclass
class FakeMedia:
    legs: list[FakeLeg] = field(default_factory=list)

    def answer(self, offer: bytes) -> tuple[FakeLeg, bytes]:
        leg = FakeLeg(100 + len(self.legs), LocalCapabilities(address="192.0.2.1", port=31000 + 2 * len(self.legs)))
        try:
            answer = negotiate_answer(offer, leg.caps)
        except (SdpError, NegotiationError) as error:
            raise OfferRejected(488, str(error)) from None
        self.legs.append(leg)
        return leg, bytes(answer)


@dataclass(eq=False)
class Room:
    on_talkers: TalkersCallback
    adopted: list[tuple[FakeLeg, bool]] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    closed: bool = False

    def announce(self, announcement: str) -> None:
        self.announced.append(announcement)

    def adopt(self, handover: FakeLeg, *, lobby: bool = False) -> FakeLeg:
        handover.in_lobby = lobby
        self.adopted.append((handover, lobby))
        return handover

    def close(self) -> None:
        self.closed = True


@dataclass
class Rooms:
    rooms: list[Room] = field(default_factory=list)

    def open_room(self, on_talkers: TalkersCallback) -> Room:
        self.rooms.append(Room(on_talkers))
        return self.rooms[-1]


@dataclass
class Directory:
    """MeetingAccess over a dict; PIN checks answer when `release()` is called (they are
    slow in ucd), roles: the leader presents, a guest attends."""

    pins: dict[str, str] = field(default_factory=lambda: {f"sip:alice@{DOMAIN}": "24680"})
    is_locked: bool = False
    extensions: dict[str, str] = field(default_factory=lambda: {"100": f"sip:alice@{DOMAIN}"})
    waiting: list[Callable[[], None]] = field(default_factory=list)

    def find(self, conference_id: str) -> Handle | None:
        return MEETING if conference_id == MEETING.conference_id else None

    def check_pin(self, pin: str, *, user: str | None, extension: str | None,
                  done: Callable[[PinResult, str | None, float], None]) -> None:
        if user is None and extension is not None:
            user = self.extensions.get(extension)
        ok = user is not None and self.pins.get(user) == pin
        self.waiting.append(lambda: done(PinResult.ACCEPTED if ok else PinResult.REJECTED, user, 0.0))

    def release(self) -> None:
        waiting, self.waiting = self.waiting, []
        for call in waiting:
            call()

    def admission(self, handle: Any, entity: str, *, leader: bool, dialed_in: bool) -> tuple[Role, bool]:
        return (Role.PRESENTER if leader else Role.ATTENDEE), self.is_locked and not leader

    def locked(self, handle: Any) -> bool:
        return self.is_locked

    def set_locked(self, handle: Any, locked: bool) -> None:
        self.is_locked = locked


class Lookup:
    def find(self, uri: str) -> Handle | None:
        return MEETING if conference_key(uri) == conference_key(MEETING.uri) else None


@dataclass
class Setup:
    net: Network
    dialin: DialInApplication
    focus: FocusApplication
    media: FakeMedia
    rooms: Rooms
    directory: Directory


@pytest.fixture
def setup() -> Setup:
    media, rooms, directory = FakeMedia(), Rooms(), Directory()
    built: dict[str, Any] = {}

    def focus_of(services: ApplicationServices) -> FocusApplication:
        if "focus" not in built:
            built["focus"] = FocusApplication(services, Lookup(), rooms)
        return built["focus"]

    def build_dialin(services: ApplicationServices) -> DialInApplication:
        built["dialin"] = DialInApplication(services, [ACCESS, f"sip:dialin@{DOMAIN}"], media, directory,
                                            focus_of(services), settings=AttendantSettings(max_tries=3))
        return built["dialin"]

    net = Network(applications=(build_dialin, focus_of))
    return Setup(net, built["dialin"], built["focus"], media, rooms, directory)


def call(net: Network, ua: UserAgent, uri: str = ACCESS) -> Response:
    ua.send(ua.request("INVITE", uri, body=offer_sdp(ua.address.host), extra="Content-Type: application/sdp\r\n"))
    net.run()
    ok = ua.final("INVITE")
    if ok.status == 200:
        assert ok.cseq is not None and ok.to is not None and ok.contact
        ua.send_stateless(ua.request("ACK", ok.contact[0].uri_text, to=ok.to.uri_text, to_tag=ok.to.tag,
                                     call_id=ok.call_id, cseq=ok.cseq.seq))
        net.run()
    return ok


def in_dialog(ua: UserAgent, ok: Response, method: str, *, body: str = "", extra: str = "") -> None:
    assert ok.to is not None and ok.contact
    ua.send(ua.request(method, ok.contact[0].uri_text, to=ok.to.uri_text, to_tag=ok.to.tag, call_id=ok.call_id,
                       body=body, extra=extra))


def info_digits(net: Network, ua: UserAgent, ok: Response, digits: str) -> list[int]:
    statuses = []
    for digit in digits:
        in_dialog(ua, ok, "INFO", body=f"Signal={digit}\r\nDuration=160\r\n",
                  extra="Content-Type: application/dtmf-relay\r\n")
        net.run()
        statuses.append(ua.final("INFO").status)
    return statuses


def rtp_digits(s: Setup, leg: FakeLeg, digits: str) -> None:
    for digit in digits:
        s.dialin.dtmf(leg.leg_id, digit, s.net.now)
    s.net.run()


def finish_prompts(s: Setup, leg: FakeLeg, rounds: int = 10) -> None:
    """Report every prompt the leg was told to play as played out (bounded)."""
    for _ in range(rounds):
        call_ = s.dialin._by_leg.get(leg.leg_id)
        if call_ is None or call_.playing is None:
            break
        s.dialin.playback_finished(leg.leg_id, call_.play_token, True, s.net.now)
    s.net.run()


def test_access_numbers_name_tel_and_sip_forms() -> None:
    assert access_key("tel:+1-555-0100") == access_key("sip:+15550100@gw.example;user=phone") == "tel:+15550100"
    assert access_key("<sip:Dialin@EXAMPLE.com>") == "sip:Dialin@example.com"
    assert access_key("not a uri") is None


def test_a_guest_dials_in_by_rfc4733_records_a_name_and_joins_on_the_same_dialog(setup: Setup) -> None:
    s = setup
    bob = s.net.agent("bob", "192.0.2.11")
    ok = call(s.net, bob)
    assert ok.status == 200 and b"m=audio 31000 RTP/AVP 111 101" in ok.body
    assert ok.contact[0].uri_text.startswith("sip:dialin@")
    [leg] = s.media.legs
    assert leg.prompts() == [Prompt.WELCOME]             # the ACK started the attendant
    s.dialin.playback_finished(leg.leg_id, leg.played[-1][1], True, s.net.now)
    assert leg.prompts()[-1] is Prompt.ENTER_CONFERENCE_ID
    rtp_digits(s, leg, "4")
    assert leg.stopped == 1                              # barge-in stops the prompt
    rtp_digits(s, leg, "711#")
    assert leg.prompts()[-1] is Prompt.ENTER_PIN
    rtp_digits(s, leg, "#")                              # no PIN: a guest
    finish_prompts(s, leg)
    assert leg.prompts()[-2:] == [Prompt.RECORD_NAME, Prompt.BEEP] and leg.recording is not None
    s.dialin.recording_finished(leg.leg_id, leg.recording, 8000, s.net.now)
    assert leg.prompts()[-1] is Prompt.JOINING
    finish_prompts(s, leg)
    # Joined: the focus adopted this dialog and leg; nobody sent an INVITE.
    conference = s.focus.find_conference("4711")
    [participant] = conference.participants.values()
    assert participant.entity == f"sip:bob@{DOMAIN}" and not participant.authenticated
    assert participant.dialog.id.call_id == ok.call_id and participant.state.value == "connected"
    assert s.rooms.rooms[0].adopted == [(leg, False)] and leg.handed_over
    assert s.rooms.rooms[0].announced == ["entry"] and leg.announced == [b"\x01\x00" * 8000]
    assert not s.net.sent_by_proxy("INVITE ")
    # The in-meeting keypad: self-mute by RFC 4733; an attendee may not lock.
    rtp_digits(s, leg, "*6")
    assert participant.muted and leg.prompts()[-1] is Prompt.MUTED
    rtp_digits(s, leg, "*7")
    assert not s.directory.is_locked and leg.prompts()[-1] is Prompt.NOT_PERMITTED
    # The caller hangs up: the focus answers the BYE, and the call ends here too.
    in_dialog(bob, ok, "BYE")
    s.net.run()
    assert bob.final("BYE").status == 200
    assert s.focus.conferences == {} and s.dialin.calls == {}
    assert s.dialin.ended[-1] == (f"sip:bob@{DOMAIN}", "left the meeting")


def test_sip_info_digits_wrong_ids_reprompt_then_goodbye_and_bye(setup: Setup) -> None:
    s = setup
    carol = s.net.agent("carol", "192.0.2.12", user=False)
    ok = call(s.net, carol, f"sip:dialin@{DOMAIN}")
    assert ok.status == 200
    [leg] = s.media.legs
    finish_prompts(s, leg)
    assert info_digits(s.net, carol, ok, "999#") == [200, 200, 200, 200]
    assert leg.prompts()[-1] is Prompt.INVALID_CONFERENCE_ID
    finish_prompts(s, leg)
    assert leg.prompts()[-1] is Prompt.ENTER_CONFERENCE_ID
    # Not DTMF: refused, the call stays.
    in_dialog(carol, ok, "INFO", body="hello", extra="Content-Type: text/plain\r\n")
    s.net.run()
    assert carol.final("INFO").status == 415
    in_dialog(carol, ok, "INFO", body="Signal=Z\r\n", extra="Content-Type: application/dtmf-relay\r\n")
    s.net.run()
    assert carol.final("INFO").status == 400
    info_digits(s.net, carol, ok, "12#")
    finish_prompts(s, leg)
    info_digits(s.net, carol, ok, "#")                  # nothing keyed: the third try
    assert leg.prompts()[-1] is Prompt.TOO_MANY_ATTEMPTS
    finish_prompts(s, leg)
    assert leg.prompts()[-2:] == [Prompt.TOO_MANY_ATTEMPTS, Prompt.GOODBYE]
    [bye] = carol.requests("BYE")
    assert bye.request.call_id == ok.call_id
    assert s.dialin.calls == {} and leg.closed and s.focus.conferences == {}
    assert s.dialin.ended[-1][1] == "conference ID not entered"


def test_a_leader_pin_by_info_joins_as_presenter_and_locks_by_keypad(setup: Setup) -> None:
    s = setup
    alice = s.net.agent("alice", "192.0.2.10")
    ok = call(s.net, alice)
    [leg] = s.media.legs
    finish_prompts(s, leg)
    info_digits(s.net, alice, ok, "4711#")
    finish_prompts(s, leg)
    info_digits(s.net, alice, ok, "11111#")              # a wrong PIN
    s.directory.release()
    assert leg.prompts()[-1] is Prompt.INVALID_PIN
    finish_prompts(s, leg)
    info_digits(s.net, alice, ok, "24680#")
    call_ = s.dialin._by_leg[leg.leg_id]
    assert call_.attendant.state is AttendantState.VERIFY     # the check is slow: nothing yet
    s.directory.release()
    assert leg.prompts()[-1] is Prompt.JOINING
    finish_prompts(s, leg)
    participant = call_.participant
    assert participant is not None and participant.entity == f"sip:alice@{DOMAIN}" and participant.authenticated
    assert call_.role is Role.PRESENTER
    # After the join, INFO digits still reach the keypad (answered before the focus).
    assert info_digits(s.net, alice, ok, "*7") == [200, 200]
    assert s.directory.is_locked and leg.prompts()[-1] is Prompt.MEETING_LOCKED
    info_digits(s.net, alice, ok, "*1")
    assert leg.prompts()[-1] is Prompt.HELP
    # No roster drives this conference (no roles): no audience to mute
    # (test_dialin_roster.py has audience mute on a directory meeting).
    info_digits(s.net, alice, ok, "*4")
    assert leg.prompts()[-1] is Prompt.NOT_PERMITTED and not participant.muted
    assert call_.digits_info == 5 + 6 + 6 + 2 + 2 + 2 and call_.digits_rtp == 0
    # ucd shutting down: the focus ends the meeting's dialogs, ours with them.
    s.focus.end_all(s.net.now)
    s.net.run()
    assert [r.request.call_id for r in alice.requests("BYE")] == [ok.call_id]
    assert s.dialin.calls == {}


def test_no_ack_ends_the_call_and_an_offerless_invite_is_488(setup: Setup) -> None:
    s = setup
    bob = s.net.agent("bob", "192.0.2.11")
    bob.send(bob.request("INVITE", ACCESS))
    s.net.run()
    assert bob.final("INVITE").status == 488
    bob.send(bob.request("INVITE", ACCESS, body=offer_sdp("192.0.2.11"), extra="Content-Type: application/sdp\r\n",
                         call_id="no-ack"))
    s.net.run()
    assert bob.final("INVITE").status == 200
    s.net.advance(40.0)                                 # 64*T1 without an ACK
    assert s.dialin.calls == {} and s.media.legs[0].closed
    assert any(r.request.method == "BYE" for r in bob.requests("BYE"))


def test_a_lone_command_character_expires_and_leaves_no_deadline_behind(setup: Setup) -> None:
    s = setup
    bob = s.net.agent("bob", "192.0.2.11")
    call(s.net, bob)
    [leg] = s.media.legs
    finish_prompts(s, leg)
    rtp_digits(s, leg, "4711#")
    finish_prompts(s, leg)
    rtp_digits(s, leg, "#")
    finish_prompts(s, leg)
    s.dialin.recording_finished(leg.leg_id, leg.recording or 0, 0, s.net.now)   # nothing said: no name
    finish_prompts(s, leg)
    [participant] = s.focus.find_conference("4711").participants.values()
    assert leg.announced == []                          # no name to announce
    rtp_digits(s, leg, "*")
    assert s.dialin.get_timer() is not None             # the keypad waits for the command key
    s.net.advance(4.0)
    assert s.dialin.get_timer() is None                 # expired: the timer does not spin
    rtp_digits(s, leg, "6")                             # a plain 6 is no command now
    assert not participant.muted


def test_configured_access_numbers_must_be_uris() -> None:
    assert access_numbers(["tel:+15550100", " sip:dialin@example.test "]) == ("tel:+15550100",
                                                                            "sip:dialin@example.test")
    with pytest.raises(ValueError, match="'12345' is not a tel: or SIP URI"):
        access_numbers(["12345"])
    with pytest.raises(ValueError, match="list of tel: or SIP URIs"):
        access_numbers("tel:+15550100")


def join_as_guest(s: Setup, ua: UserAgent, name_samples: int = 1600) -> tuple[Response, FakeLeg]:
    ok = call(s.net, ua)
    leg = s.media.legs[-1]
    finish_prompts(s, leg)
    rtp_digits(s, leg, "4711#")
    finish_prompts(s, leg)
    rtp_digits(s, leg, "#")
    finish_prompts(s, leg)
    assert leg.recording is not None
    s.dialin.recording_finished(leg.leg_id, leg.recording, name_samples, s.net.now)
    finish_prompts(s, leg)
    return ok, leg


def test_a_locked_meeting_holds_a_guest_in_the_lobby_until_a_presenter_admits_all(setup: Setup) -> None:
    s = setup
    # A leader whose caller ID names nobody: PIN, then the extension picks the user.
    dave = s.net.agent("dave", "192.0.2.13", user=False)
    call(s.net, dave)
    leader = s.media.legs[-1]
    finish_prompts(s, leader)
    rtp_digits(s, leader, "4711#")
    finish_prompts(s, leader)
    rtp_digits(s, leader, "24680#")
    assert leader.prompts()[-1] is Prompt.ENTER_EXTENSION
    finish_prompts(s, leader)
    rtp_digits(s, leader, "100#")
    s.directory.release()
    finish_prompts(s, leader)
    presenter = s.dialin._by_leg[leader.leg_id].participant
    assert presenter is not None and presenter.entity == f"sip:alice@{DOMAIN}" and presenter.role == "presenter"
    rtp_digits(s, leader, "*7")
    assert s.directory.is_locked
    _, guest = join_as_guest(s, s.net.agent("bob", "192.0.2.11"))
    bob = s.dialin._by_leg[guest.leg_id].participant
    assert bob is not None and bob.in_lobby and bob.role == "attendee"
    assert s.rooms.rooms[0].adopted[-1] == (guest, True) and guest.announced == []   # no name while waiting
    heard = len(guest.played)
    rtp_digits(s, guest, "*8")                                  # no commands in the lobby, no notice
    assert bob.in_lobby and len(guest.played) == heard
    rtp_digits(s, leader, "*8")
    assert not bob.in_lobby and leader.prompts()[-1] is Prompt.LOBBY_ADMITTED
    assert guest.announced == [b"\x01\x00" * 1600]           # the name, once in the mix
    rtp_digits(s, guest, "*8")                                  # admitted, still an attendee
    assert guest.prompts()[-1] is Prompt.NOT_PERMITTED
    # Roll call: the prompt, then the recorded names, to the caller alone.
    rtp_digits(s, leader, "*3")
    assert leader.played[-1][0] == (Prompt.ROLL_CALL, b"\x01\x00" * 1600)
    rtp_digits(s, leader, "*9")                                 # chimes are the focus's: refused
    assert leader.prompts()[-1] is Prompt.NOT_PERMITTED


@given(st.text(max_size=80))
def test_access_key_takes_any_text(text: str) -> None:
    key = access_key(text)
    assert key is None or key.startswith(("tel:+", "tel:", "sip:", "sips:"))
