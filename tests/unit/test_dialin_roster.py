"""The dial-in keypad on a directory meeting the focus's roster drives, sans-IO: audience
mute, lock and admit-all run as the roster's controls, so the roster is the one state
that the conference event package, the admin API's roster and the dial-in callers see.
Chain: [dialin, focus, conference-events] over the proxy core's in-memory network, the
dial-in's fake attendant legs (tests/unit/test_dialin_application.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from uc_signal.admin.meeting_controls_api import roster_out
from uc_signal.conferencing import Meeting, MeetingKind, parse
from uc_signal.conferencing.admission import Role
from uc_signal.conferencing.attendant import AttendantSettings
from uc_signal.conferencing.conference import OPERATOR
from uc_signal.conferencing.prompts import Prompt
from uc_signal.dialin import DialInApplication
from uc_signal.focus import FocusApplication
from uc_signal.focus.events import ConferenceServices, conference_services
from uc_signal.focus.meetings import DirectoryConferences, MeetingHandle
from uc_signal.focus.roster import FocusRoster
from uc_signal.proxy.services import ApplicationServices
from uc_signal.sip import Request, Response

from proxy_network import DOMAIN, Network, UserAgent
from test_dialin_application import (ACCESS, Directory, FakeLeg, FakeMedia, Rooms, call, finish_prompts,
                                     rtp_digits)

ORGANIZER = f"sip:carol@{DOMAIN}"
MEETING = Meeting("D1AL1N", "4711", ORGANIZER, MeetingKind.MEET_NOW, subject="Dial-in", expires_at=10 ** 12)
URI = MEETING.conference_uri


@dataclass
class MeetingDirectory(Directory):
    """The dial-in's MeetingAccess over the focus's view of one directory meeting."""

    view: DirectoryConferences = field(default_factory=DirectoryConferences)

    def find(self, conference_id: str) -> Any:
        return self.view.by_conference_id(conference_id)

    def admission(self, handle: Any, entity: str, *, leader: bool, dialed_in: bool) -> tuple[Role, bool]:
        current = self.view.by_conference_id(handle.conference_id)
        assert isinstance(current, MeetingHandle)
        return (Role.PRESENTER if leader else Role.ATTENDEE), current.meeting.locked and not leader


@dataclass
class Setup:
    net: Network
    dialin: DialInApplication
    focus: FocusApplication
    roster: FocusRoster
    media: FakeMedia
    stored_locks: list[Meeting]


@pytest.fixture
def setup() -> Setup:
    holder: list[Network] = []
    view = DirectoryConferences(clock=lambda: holder[0].now)
    view.add(MEETING)
    stored: list[Meeting] = []

    def store_lock(meeting: Meeting) -> None:
        view.add(meeting)
        stored.append(meeting)
    roster = FocusRoster(lambda: holder[0].now, view=view, store_lock=store_lock)
    media, rooms, directory = FakeMedia(), Rooms(), MeetingDirectory(view=view)
    built: dict[str, Any] = {}

    def focus_of(services: ApplicationServices) -> FocusApplication:
        if "focus" not in built:
            built["focus"] = FocusApplication(services, view, rooms)
            roster.attach(built["focus"])
        return built["focus"]

    def build_dialin(services: ApplicationServices) -> DialInApplication:
        built["dialin"] = DialInApplication(services, [ACCESS], media, directory, focus_of(services),
                                            settings=AttendantSettings(max_tries=3), roster=roster)
        return built["dialin"]

    net = Network(applications=(build_dialin, focus_of, conference_services(lambda: built["focus"], roster)))
    holder.append(net)
    assert isinstance(net.core.chain[3], ConferenceServices)
    return Setup(net, built["dialin"], built["focus"], roster, media, stored)


def dial_in(s: Setup, ua: UserAgent, pin: str = "") -> FakeLeg:
    """Call the access number, key the conference ID and the PIN (a guest: # alone, no name)."""
    ok = call(s.net, ua)
    assert ok.status == 200
    leg = s.media.legs[-1]
    finish_prompts(s, leg)        # type: ignore[arg-type]
    rtp_digits(s, leg, "4711#")   # type: ignore[arg-type]
    finish_prompts(s, leg)        # type: ignore[arg-type]
    rtp_digits(s, leg, pin + "#")  # type: ignore[arg-type]
    directory = s.dialin.meetings
    assert isinstance(directory, Directory)
    directory.release()
    finish_prompts(s, leg)        # type: ignore[arg-type]
    if not pin:
        assert leg.recording is not None
        s.dialin.recording_finished(leg.leg_id, leg.recording, 0, s.net.now)   # said nothing
        finish_prompts(s, leg)    # type: ignore[arg-type]
    assert s.dialin._by_leg[leg.leg_id].participant is not None
    return leg


def subscribe(net: Network, ua: UserAgent) -> Response:
    extra = "Event: conference\r\nExpires: 600\r\nAccept: application/conference-info+xml\r\n"
    ua.send(ua.request("SUBSCRIBE", URI, extra=extra))
    net.run()
    first = ua.final("SUBSCRIBE")
    if first.status != 407:
        return first
    auth = ua.digest.authorize(first.headers.get_all("Proxy-Authenticate")[-1], "SUBSCRIBE", URI)
    ua.send(ua.request("SUBSCRIBE", URI, extra=extra + f"Proxy-Authorization: {auth}\r\n"))
    net.run()
    return ua.final("SUBSCRIBE")


def notifies(ua: UserAgent) -> list[Request]:
    return [e.request for e in ua.requests("NOTIFY") if e.request.headers.get("Event") == "conference"]


def statuses(request: Request) -> dict[str, str]:
    """Each user's endpoint status in a conference-info document (partial: the changed users)."""
    return {user.entity: endpoint.status for user in parse(request.body).users for endpoint in user.endpoints}


def test_audience_mute_by_dtmf_is_the_rosters_and_the_api_unmutes_dial_in_callers(setup: Setup) -> None:
    s = setup
    alice_ua, bob_ua, carol = (s.net.agent(name, f"192.0.2.{n}") for name, n in (("alice", 10), ("bob", 11),
                                                                                  ("carol", 12)))
    leader = dial_in(s, alice_ua, "24680")              # alice's leader PIN: a presenter
    guest = dial_in(s, bob_ua)
    alice, bob = s.dialin._by_leg[leader.leg_id].participant, s.dialin._by_leg[guest.leg_id].participant
    assert alice is not None and bob is not None
    roster = s.roster.roster(URI)
    assert roster is not None                            # dial-in callers alone make the roster run
    assert {e: p.role for e, p in roster.participants.items()} == {
        f"sip:alice@{DOMAIN}": Role.PRESENTER, f"sip:bob@{DOMAIN}": Role.ATTENDEE}
    assert subscribe(s.net, carol).status == 200         # the organizer, not in the meeting
    assert len(notifies(carol)) == 1

    # *4 by the presenter: the roster's audience mute, seen by the subscriber and the admin API.
    rtp_digits(s, leader, "*4")
    assert leader.prompts()[-1] is Prompt.AUDIENCE_MUTED
    assert roster.audience_muted and bob.muted and guest.muted and not alice.muted
    assert statuses(notifies(carol)[-1]) == {f"sip:bob@{DOMAIN}": "muted-via-focus"}
    running = s.roster.running(URI)
    assert running is not None
    api = roster_out(running, roster)
    assert api.audience_muted and {p.entity: p.muted for p in api.participants} == {
        f"sip:alice@{DOMAIN}": False, f"sip:bob@{DOMAIN}": True}
    # The attendee cannot unmute itself under audience mute.
    rtp_digits(s, guest, "*6")
    assert guest.prompts()[-1] is Prompt.NOT_PERMITTED and bob.muted

    # The operator (admin API) lifts it: the dial-in caller is heard again, and its keypad
    # reads the same state (*6 now mutes it, *6 again unmutes).
    s.roster.control(MEETING.conference_id, OPERATOR, "audience-unmute", None, s.net.now)
    s.net.run()
    assert not roster.audience_muted and not bob.muted and not guest.muted
    assert statuses(notifies(carol)[-1]) == {f"sip:bob@{DOMAIN}": "connected"}
    rtp_digits(s, guest, "*6")
    assert guest.prompts()[-1] is Prompt.MUTED and bob.muted
    rtp_digits(s, guest, "*6")
    assert guest.prompts()[-1] is Prompt.UNMUTED and not bob.muted
    # The next *4 mutes (the keypad toggles the roster's state, not one of its own).
    rtp_digits(s, leader, "*4")
    assert leader.prompts()[-1] is Prompt.AUDIENCE_MUTED and bob.muted

    # An attendee calling in under audience mute joins muted.
    dave = dial_in(s, s.net.agent("dave", "192.0.2.13"))
    assert dave.muted and roster.participants[f"sip:dave@{DOMAIN}"].role is Role.ATTENDEE
    # Attendees have no audience mute.
    rtp_digits(s, guest, "*4")
    assert guest.prompts()[-1] is Prompt.NOT_PERMITTED and roster.audience_muted


def test_lock_and_admit_all_by_dtmf_run_on_the_roster_and_the_lock_is_stored(setup: Setup) -> None:
    s = setup
    carol = s.net.agent("carol", "192.0.2.12")
    leader = dial_in(s, s.net.agent("alice", "192.0.2.10"), "24680")
    assert subscribe(s.net, carol).status == 200
    rtp_digits(s, leader, "*7")
    assert leader.prompts()[-1] is Prompt.MEETING_LOCKED
    roster = s.roster.roster(URI)
    assert roster is not None and roster.locked
    assert parse(notifies(carol)[-1].body).conference_state.locked is True
    assert [m.locked for m in s.stored_locks] == [True]          # written to the store behind the view
    handle = s.dialin.meetings.find("4711")
    assert isinstance(handle, MeetingHandle) and handle.meeting.locked
    # A guest now waits in the lobby; the presenter's *8 admits everyone.
    ok = call(s.net, s.net.agent("bob", "192.0.2.11"))
    assert ok.status == 200
    guest = s.media.legs[-1]
    finish_prompts(s, guest)       # type: ignore[arg-type]
    rtp_digits(s, guest, "4711#")  # type: ignore[arg-type]
    finish_prompts(s, guest)       # type: ignore[arg-type]
    rtp_digits(s, guest, "#")      # type: ignore[arg-type]
    finish_prompts(s, guest)       # type: ignore[arg-type]
    assert guest.recording is not None
    s.dialin.recording_finished(guest.leg_id, guest.recording, 0, s.net.now)
    finish_prompts(s, guest)       # type: ignore[arg-type]
    bob = s.dialin._by_leg[guest.leg_id].participant
    assert bob is not None and bob.in_lobby
    assert roster.participants[f"sip:bob@{DOMAIN}"].state.value == "lobby"
    rtp_digits(s, leader, "*8")
    assert leader.prompts()[-1] is Prompt.LOBBY_ADMITTED and not bob.in_lobby
    assert roster.participants[f"sip:bob@{DOMAIN}"].state.value == "connected"
    rtp_digits(s, leader, "*7")
    assert leader.prompts()[-1] is Prompt.MEETING_UNLOCKED and not roster.locked
    assert [m.locked for m in s.stored_locks] == [True, False]
