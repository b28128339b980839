"""The focus factory's other commands: getConference, modifyConference, deleteConference and
getConferences from the organizer's client (SERVICE to its focus factory URI, C3P bodies).

Three layers: the SIP application over the proxy core's in-memory network with a
MeetingMaker that answers late (status and C3P body per command and per failure reason);
`manage_meetings` over a real meeting directory in SQLite (the organizer's own meetings
only, what a modification stores, what the focus's view sees); the parser on its own, with
hypothesis properties (any body parses or is a CccpError; a modification written out
parses back to itself)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, fromstring

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.conferencing import LobbyPolicy, Meeting, MeetingKind, PresenterPolicy
from uc_signal.focus.cccp import (FACTORY_COMMANDS, LOBBY_POLICIES, PRESENTER_POLICIES, CccpError, FactoryRequest,
                                  MeetingChanges, parse_factory_request)
from uc_signal.focus.factory import (MAX_LISTED, DirectoryMeetingMaker, FocusFactory, Managed, ManageDone,
                                     MeetingMade, manage_meetings)
from uc_signal.focus.meetings import DirectoryConferences, MeetingHandle, WatchedMeetingDirectory
from uc_signal.focus.roster import FocusRoster
from uc_signal.proxy.services import ApplicationServices
from uc_signal.sip import Response
from uc_signal.store import SqlStore, UserRecord, sqlite_url
from uc_signal.store.meetings import SqlMeetingStore

from proxy_network import DOMAIN, Network, UserAgent

FACTORY = f"sip:alice@{DOMAIN};gruu;opaque=app:conf:focusfactory"
ALICE = f"sip:alice@{DOMAIN}"
CCCP = "Content-Type: application/cccp+xml\r\n"
NS = "{urn:ietf:params:xml:ns:cccp}"
CI = "{urn:ietf:params:xml:ns:conference-info}"
MSCI = "{http://schemas.microsoft.com/rtc/2005/08/confinfoextensions}"
NOW = 1_790_000_000.0


def request(command: str, request_id: str = "5") -> str:
    """A C3P request to alice's focus factory ([MS-CONFPRO] 4.5's shape)."""
    return (f'<request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="{request_id}" '
            f'from="{ALICE}" to="{FACTORY}" '
            f'xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions">{command}</request>')


def keys(meeting_id: str = "F3K4X9Q2") -> str:
    return f'<conferenceKeys msci:conference-id="{meeting_id}"/>'


def modify(description: str = "", state: str = "", meeting_id: str = "F3K4X9Q2") -> str:
    return request(f'<modifyConference>{keys(meeting_id)}'
                   '<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="">'
                   f'<conference-description>{description}</conference-description>'
                   f'<conference-state>{state}</conference-state></conference-info></modifyConference>')


def meeting(meeting_id: str = "F3K4X9Q2", organizer: str = ALICE, **kwargs: Any) -> Meeting:
    settings: dict[str, Any] = {"subject": "Stand-up", **kwargs}
    return Meeting(meeting_id, "4711081", organizer, MeetingKind.MEET_NOW, expires_at=NOW + 86400, created_at=NOW,
                   **settings)


@dataclass
class Maker:
    """A MeetingMaker whose outcomes are given when `release()` runs (the store is async)."""

    asked: list[tuple[str, FactoryRequest]] = field(default_factory=list)
    outcome: Managed = field(default_factory=lambda: Managed((meeting(),)))
    waiting: list[ManageDone] = field(default_factory=list)

    def make(self, organizer: str, add: Any, now: float, done: MeetingMade) -> None:
        raise AssertionError("no addConference here")

    def manage(self, organizer: str, command: FactoryRequest, now: float, done: ManageDone) -> None:
        self.asked.append((organizer, command))
        self.waiting.append(done)

    def release(self, now: float) -> None:
        waiting, self.waiting = self.waiting, []
        for done in waiting:
            done(self.outcome, now)


@dataclass
class Setup:
    net: Network
    maker: Maker
    alice: UserAgent


@pytest.fixture
def setup() -> Setup:
    maker = Maker()

    def factory(services: ApplicationServices) -> FocusFactory:
        return FocusFactory(services, maker)
    net = Network(applications=(factory,))
    return Setup(net, maker, net.agent("alice", "192.0.2.10"))


def service(s: Setup, body: str, ua: UserAgent | None = None) -> Response:
    """The SERVICE with digest; answered after the maker releases (when it was asked)."""
    ua = ua or s.alice
    ua.send(ua.request("SERVICE", FACTORY, to=FACTORY, body=body, extra=CCCP))
    s.net.run()
    challenge = ua.final("SERVICE")
    assert challenge.status == 407
    auth = ua.digest.authorize(challenge.headers.get_all("Proxy-Authenticate")[-1], "SERVICE", FACTORY)
    asked = len(s.maker.asked)
    ua.send(ua.request("SERVICE", FACTORY, to=FACTORY, body=body, extra=CCCP + f"Proxy-Authorization: {auth}\r\n"))
    s.net.run()
    if len(s.maker.asked) > asked:
        assert ua.final("SERVICE").status == 407    # nothing until the store answers
        s.maker.release(s.net.now)
        s.net.run()
    return ua.final("SERVICE")


def answer(response: Response, command: str) -> Element:
    """The C3P response's command element (its reason, if any, equal to <response>'s)."""
    assert response.headers.get("Content-Type") == "application/cccp+xml"
    root = fromstring(response.body)
    assert root.tag == NS + "response" and root.get("from") == FACTORY and root.get("to") == ALICE
    assert len(root) == 1 and root[0].tag == NS + command
    assert root[0].get("reason") == root.get("reason")
    return root[0]


def test_get_conference_answers_the_meeting_settings(setup: Setup) -> None:
    s = setup
    s.maker.outcome = Managed((meeting(lobby_policy=LobbyPolicy.NOBODY, presenter_policy=PresenterPolicy.EVERYONE,
                                       locked=True),))
    ok = service(s, request(f"<getConference>{keys('f3k4x9q2')}</getConference>"))
    assert ok.status == 200 and fromstring(ok.body).get("code") == "success"
    assert s.maker.asked == [(ALICE, FactoryRequest("getConference", "5", meeting_id="F3K4X9Q2"))]
    info = answer(ok, "getConference").find(CI + "conference-info")
    assert info is not None and info.get("entity") == f"{ALICE};gruu;opaque=app:conf:focus:id:F3K4X9Q2"
    text = {child.tag.rpartition("}")[2]: child.text for child in info.iterfind(CI + "conference-description/*")}
    assert text["subject"] == "Stand-up" and text["conference-id"] == "F3K4X9Q2"
    assert text["admission-policy"] == "anonymous" and text["lobby-policy"] == "nobody"
    assert text["presenter-policy"] == "everyone" and text["pstn-lobby-bypass"] == "true"
    assert text["expiry-time"] == datetime.fromtimestamp(NOW + 86400, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert info.findtext(f"{CI}conference-description/{MSCI}pstn-access/{MSCI}conference-id") == "4711081"
    assert info.findtext(f"{CI}conference-state/{CI}locked") == "true"


def test_modify_delete_and_list_answer_with_their_own_elements(setup: Setup) -> None:
    s = setup
    body = modify("<subject>Planning</subject><msci:presenter-policy>none</msci:presenter-policy>",
                  "<locked>true</locked>")
    s.maker.outcome = Managed((meeting(subject="Planning", locked=True),))
    ok = service(s, body)
    assert ok.status == 200
    assert s.maker.asked[-1][1].changes == MeetingChanges(subject="Planning", presenter_policy="none", locked=True)
    assert answer(ok, "modifyConference").findtext(f"{CI}conference-info/{CI}conference-description/{CI}subject") \
        == "Planning"
    # deleteConference by the conference URI: the deleted meeting's entity ([MS-CONFBAS] 2.2.3.14).
    entity = f"{ALICE};gruu;opaque=app:conf:focus:id:F3K4X9Q2"
    ok = service(s, request(f'<deleteConference><conferenceKeys confEntity="{entity}"/></deleteConference>'))
    assert ok.status == 200 and s.maker.asked[-1][1] == FactoryRequest("deleteConference", "5",
                                                                        meeting_id="F3K4X9Q2")
    deleted = answer(ok, "deleteConference")
    assert [i.get("entity") for i in deleted] == [entity] and len(deleted[0]) == 0
    # getConferences: one conference-info per meeting.
    s.maker.outcome = Managed((meeting(), meeting("B2B2B2B2")))
    ok = service(s, request("<getConferences/>"))
    assert ok.status == 200
    listed = answer(ok, "getConferences")
    assert [i.findtext(f"{CI}conference-description/{MSCI}conference-id") for i in listed] == ["F3K4X9Q2", "B2B2B2B2"]
    s.maker.outcome = Managed(())
    assert len(answer(service(s, request("<getConferences/>")), "getConferences")) == 0


@pytest.mark.parametrize(("reason", "status"), [("notFound", 404), ("unauthorized", 403),
                                                ("requestMalformed", 400), ("otherFailure", 500)])
def test_every_failure_reason_has_its_sip_status(setup: Setup, reason: str, status: int) -> None:
    s = setup
    s.maker.outcome = Managed(reason=reason)
    for command in (f"<getConference>{keys()}</getConference>", f"<deleteConference>{keys()}</deleteConference>"):
        refused = service(s, request(command))
        name = command[1:command.index(">")]
        assert refused.status == status and answer(refused, name).get("reason") == reason
        assert fromstring(refused.body).get("code") == "failure"


def test_someone_else_and_bad_bodies_are_refused_before_the_directory(setup: Setup) -> None:
    s = setup
    bob = s.net.agent("bob", "192.0.2.11")
    refused = service(s, request(f"<getConference>{keys()}</getConference>"), ua=bob)
    assert refused.status == 403 and fromstring(refused.body).get("reason") == "unauthorized"
    for body, command in ((request("<getConference/>"), "getConference"),                   # no keys
                          (request('<getConference><conferenceKeys msci:conference-id="a;b"/></getConference>'),
                           "getConference"),
                          (modify(), "modifyConference"),                                      # changes nothing
                          (modify("<msci:expiry-time>soon</msci:expiry-time>"), "modifyConference"),
                          (modify("<msci:presenter-policy>all</msci:presenter-policy>"), "modifyConference"),
                          (request('<deleteConference><conferenceKeys confEntity="sip:x@y"/></deleteConference>'),
                           "deleteConference"),
                          (request("<getConferencingCapabilities/>"), "addConference")):
        refused = service(s, body)
        assert refused.status == 400 and answer(refused, command).get("reason") == "requestMalformed", body
    assert s.maker.asked == []


# --- manage_meetings over a real directory (SQLite) -------------------------------------------------


def run(tmp_path: Path, body: Any) -> Any:
    async def go() -> Any:
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        try:
            for user in ("alice", "bob"):
                await store.create_user(UserRecord(user, DOMAIN, user.title()))
            view = DirectoryConferences(clock=lambda: NOW + 1)
            directory = WatchedMeetingDirectory(SqlMeetingStore(store), store, view=view)
            return await body(directory, view)
        finally:
            await store.close()
    return asyncio.run(go())


def test_the_organizer_manages_its_own_meetings_in_the_directory(tmp_path: Path) -> None:
    async def body(directory: WatchedMeetingDirectory, view: DirectoryConferences) -> None:
        mine = await directory.create(ALICE, NOW, subject="Stand-up")
        theirs = await directory.create(f"sip:bob@{DOMAIN}", NOW, subject="Bob's")
        get = FactoryRequest("getConference", "1", meeting_id=mine.meeting_id)
        assert await manage_meetings(directory, ALICE, get, NOW) == Managed((mine,))
        # Another organizer's meeting, by its ID: unauthorized; an unknown ID: notFound.
        other = FactoryRequest("getConference", "1", meeting_id=theirs.meeting_id)
        assert (await manage_meetings(directory, ALICE, other, NOW)).reason == "unauthorized"
        for command in ("getConference", "modifyConference", "deleteConference"):
            unknown = FactoryRequest(command, "1", meeting_id="ZZZZ2222", changes=MeetingChanges(locked=True))
            assert (await manage_meetings(directory, ALICE, unknown, NOW)).reason == "notFound"
            other = FactoryRequest(command, "1", meeting_id=theirs.meeting_id, changes=MeetingChanges(locked=True))
            assert (await manage_meetings(directory, ALICE, other, NOW)).reason == "unauthorized"
        # A modification is stored and seen by the focus's view at once.
        changes = MeetingChanges(subject="Planning", expires_at=NOW + 7200, lobby_policy="unauthenticated",
                                 presenter_policy="everyone", pstn_bypass_lobby=False, locked=True)
        modified = await manage_meetings(directory, ALICE, FactoryRequest(
            "modifyConference", "2", meeting_id=mine.meeting_id, changes=changes), NOW)
        stored = await directory.get(mine.meeting_id, NOW)
        assert modified == Managed((stored,))
        assert (stored.subject, stored.expires_at, stored.lobby_policy, stored.presenter_policy,
                stored.pstn_bypass_lobby, stored.locked) == (
            "Planning", NOW + 7200, LobbyPolicy.UNAUTHENTICATED, PresenterPolicy.EVERYONE, False, True)
        assert (stored.meeting_id, stored.conference_id, stored.organizer) == (
            mine.meeting_id, mine.conference_id, ALICE)
        handle = view.find(mine.conference_uri)
        assert handle is not None and handle.meeting == stored   # type: ignore[attr-defined]
        # An end on a meet-now, an expiry before its creation: requestMalformed, nothing changes.
        for bad in (MeetingChanges(end=NOW + 60), MeetingChanges(expires_at=NOW - 60)):
            refused = await manage_meetings(directory, ALICE, FactoryRequest(
                "modifyConference", "3", meeting_id=mine.meeting_id, changes=bad), NOW)
            assert refused.reason == "requestMalformed"
        assert await directory.get(mine.meeting_id, NOW) == stored
        # getConferences: the organizer's own, not expired.
        listed = await manage_meetings(directory, ALICE, FactoryRequest("getConferences", "4"), NOW)
        assert [m.meeting_id for m in listed.meetings] == [mine.meeting_id]
        assert (await manage_meetings(directory, ALICE, FactoryRequest("getConferences", "4"),
                                      NOW + 7200)).meetings == ()
        # deleteConference: gone from the store and from the view.
        deleted = await manage_meetings(directory, ALICE, FactoryRequest(
            "deleteConference", "5", meeting_id=mine.meeting_id), NOW)
        assert [m.meeting_id for m in deleted.meetings] == [mine.meeting_id]
        assert view.find(mine.conference_uri) is None
        again = await manage_meetings(directory, ALICE, FactoryRequest(
            "getConference", "6", meeting_id=mine.meeting_id), NOW)
        assert again.reason == "notFound"
    run(tmp_path, body)


def test_a_scheduled_meeting_end_moves_its_expiry_and_a_failed_store_is_other_failure(tmp_path: Path) -> None:
    async def body(directory: WatchedMeetingDirectory, view: DirectoryConferences) -> None:
        scheduled = await directory.create(ALICE, NOW, kind=MeetingKind.SCHEDULED, start=NOW + 3600,
                                           end=NOW + 7200)
        moved = await manage_meetings(directory, ALICE, FactoryRequest(
            "modifyConference", "1", meeting_id=scheduled.meeting_id, changes=MeetingChanges(end=NOW + 10800)), NOW)
        assert moved.meetings[0].end == NOW + 10800
        assert moved.meetings[0].expires_at == NOW + 10800 + directory.settings.keep_seconds
        # The store fails under the maker: otherFailure, and the SIP core is poked.
        answers: list[Managed] = []
        pokes: list[int] = []
        maker = DirectoryMeetingMaker(directory, lambda: pokes.append(1), clock=lambda: NOW)
        await directory.users.close()
        maker.manage(ALICE, FactoryRequest("getConferences", "2"), NOW, lambda managed, _now: answers.append(managed))
        while not answers:
            await asyncio.sleep(0)
        assert answers == [Managed(reason="otherFailure")] and pokes == [1]
    run(tmp_path, body)


# --- the parser -----------------------------------------------------------------------------------------


def test_the_parser_reads_each_command_of_the_subset() -> None:
    assert parse_factory_request(request("<getConferences/>").encode()) == FactoryRequest("getConferences", "5")
    entity = f"{ALICE};gruu;opaque=app:conf:focus:id:abcd2345"
    parsed = parse_factory_request(request(
        f'<getConference><conferenceKeys confEntity="{entity}"/><msci:encryption-key/></getConference>').encode())
    assert parsed == FactoryRequest("getConference", "5", meeting_id="ABCD2345")
    parsed = parse_factory_request(modify(
        "<subject> A  b </subject><msci:expiry-time>2026-12-01T10:00:00Z</msci:expiry-time>"
        "<msci:end-time>2026-12-01T09:00:00+01:00</msci:end-time>"
        "<msci:admission-policy>openAuthenticated</msci:admission-policy>"
        "<msci:pstn-lobby-bypass>false</msci:pstn-lobby-bypass>").encode())
    assert parsed.changes == MeetingChanges(
        subject="A b", expires_at=datetime(2026, 12, 1, 10, tzinfo=timezone.utc).timestamp(),
        end=datetime(2026, 12, 1, 8, tzinfo=timezone.utc).timestamp(), lobby_policy="outside-company",
        pstn_bypass_lobby=False)
    # The exact lobby policy wins over the admission policy; a time without offset is UTC.
    parsed = parse_factory_request(modify("<msci:admission-policy>anonymous</msci:admission-policy>"
                                          "<msci:lobby-policy>unauthenticated</msci:lobby-policy>"
                                          "<msci:expiry-time>2026-12-01T10:00:00</msci:expiry-time>").encode())
    assert parsed.changes.lobby_policy == "unauthenticated"
    assert parsed.changes.expires_at == datetime(2026, 12, 1, 10, tzinfo=timezone.utc).timestamp()
    assert parse_factory_request(modify(state="<locked>false</locked>").encode()).changes == \
        MeetingChanges(locked=False)
    for bad in ("<getConference><conferenceKeys/></getConference>", "<getConferences/><getConferences/>",
                "<modifyConferenceLock/>", f"<deleteConference>{keys('x')}</deleteConference>"):
        with pytest.raises(CccpError):
            parse_factory_request(request(bad).encode())
    for description in ("<subject>a\u0007b</subject>", "<msci:end-time>0001-01-01T00:00:00+14:00</msci:end-time>",
                        "<msci:lobby-policy>everyone</msci:lobby-policy>", "<subject>" + "s" * 300 + "</subject>"):
        with pytest.raises(CccpError):
            parse_factory_request(modify(description).encode())


commands = st.sampled_from(FACTORY_COMMANDS + ("modifyConferenceLock", "x"))


@settings(max_examples=300)
@given(st.binary(max_size=400)
       | st.tuples(commands, st.text(max_size=200)).map(lambda c: request(f"<{c[0]}>{c[1]}</{c[0]}>").encode())
       | st.text(max_size=300).map(lambda text: modify(text).encode()))
def test_any_body_parses_or_is_a_cccp_error(body: bytes) -> None:
    try:
        parsed = parse_factory_request(body)
    except CccpError:
        return
    assert parsed.command in FACTORY_COMMANDS
    assert (parsed.meeting_id is not None) == (parsed.command in ("getConference", "modifyConference",
                                                                   "deleteConference"))
    assert parsed.command != "modifyConference" or parsed.changes.any()
    assert parsed.changes.lobby_policy in (None, *LOBBY_POLICIES)
    assert parsed.changes.presenter_policy in (None, *PRESENTER_POLICIES)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


subjects = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=80)
epochs = st.integers(min_value=0, max_value=4_000_000_000).map(float)


@settings(max_examples=200)
@given(st.builds(MeetingChanges, subject=st.none() | subjects, expires_at=st.none() | epochs,
                 end=st.none() | epochs, lobby_policy=st.none() | st.sampled_from(LOBBY_POLICIES),
                 presenter_policy=st.none() | st.sampled_from(PRESENTER_POLICIES),
                 pstn_bypass_lobby=st.none() | st.booleans(), locked=st.none() | st.booleans()))
def test_a_modification_written_out_parses_back_to_itself(changes: MeetingChanges) -> None:
    def when(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = []
    if changes.subject is not None:
        parts.append(f"<subject>{_escape(changes.subject)}</subject>")
    for name, value in (("expiry-time", changes.expires_at), ("end-time", changes.end)):
        if value is not None:
            parts.append(f"<msci:{name}>{when(value)}</msci:{name}>")
    for name, text in (("lobby-policy", changes.lobby_policy), ("presenter-policy", changes.presenter_policy)):
        if text is not None:
            parts.append(f"<msci:{name}>{text}</msci:{name}>")
    if changes.pstn_bypass_lobby is not None:
        parts.append(f"<msci:pstn-lobby-bypass>{str(changes.pstn_bypass_lobby).lower()}</msci:pstn-lobby-bypass>")
    state = "" if changes.locked is None else f"<locked>{str(changes.locked).lower()}</locked>"
    body = modify("".join(parts), state).encode()
    if not changes.any():
        with pytest.raises(CccpError):
            parse_factory_request(body)
        return
    expected = MeetingChanges(**{**vars(changes), "subject": None if changes.subject is None
                                 else " ".join(changes.subject.split())})
    assert parse_factory_request(body).changes == expected


def test_a_meeting_id_drawn_all_digits_is_found_by_its_uri(tmp_path: Path) -> None:
    """A meeting ID from the alphabet can be all digits; named by the conference URI (as the
    focus factory names it) it is the meeting ID, not a numeric conference ID."""
    async def body(directory: WatchedMeetingDirectory, view: DirectoryConferences) -> None:
        digits = await directory.meetings.create_meeting(Meeting(
            "23456789", "4711081", ALICE, MeetingKind.MEET_NOW, expires_at=NOW + 3600, created_at=NOW))
        assert await directory.get(digits.conference_uri, NOW) == digits
        got = await manage_meetings(directory, ALICE, FactoryRequest("getConference", "1", meeting_id="23456789"),
                                    NOW)
        assert got == Managed((digits,))
        assert (await directory.get("4711081", NOW)).meeting_id == "23456789"   # the numeric ID still works
    run(tmp_path, body)


def test_a_running_meeting_decides_new_joiners_by_its_modified_policies() -> None:
    """The roster of a running meeting takes a modified lobby and presenter policy at the
    next join (the handle the focus looks up per INVITE carries the directory's meeting)."""
    roster = FocusRoster(lambda: NOW)
    before = meeting(lobby_policy=LobbyPolicy.OUTSIDE_COMPANY, presenter_policy=PresenterPolicy.COMPANY)
    assert roster.admission(MeetingHandle(before), "sip:guest@partner.test", False).waits
    assert roster.admission(MeetingHandle(before), f"sip:bob@{DOMAIN}", True).role == "presenter"
    after = replace(before, lobby_policy=LobbyPolicy.NOBODY, presenter_policy=PresenterPolicy.NONE)
    assert not roster.admission(MeetingHandle(after), "sip:other@partner.test", False).waits
    assert roster.admission(MeetingHandle(after), f"sip:carol@{DOMAIN}", True).role == "attendee"
    assert roster.admission(MeetingHandle(after), ALICE, True).role == "organizer"


def test_get_conferences_answers_the_newest_meetings_up_to_the_bound(tmp_path: Path) -> None:
    async def body(directory: WatchedMeetingDirectory, view: DirectoryConferences) -> None:
        made = [await directory.create(ALICE, NOW + index) for index in range(MAX_LISTED + 2)]
        listed = await manage_meetings(directory, ALICE, FactoryRequest("getConferences", "1"), NOW + 100)
        assert [m.meeting_id for m in listed.meetings] == [m.meeting_id for m in made[2:]]
    run(tmp_path, body)
