"""The pieces together, as the focus will drive them: a caller dials in, the attendant's
lookups go to the meeting directory on the SQL store, the join goes to the conference's
admission decision, and in-meeting keys come back as permission-checked controls."""

from __future__ import annotations

import asyncio
from pathlib import Path

from uc_signal.conferencing.actions import PlayToEndpoint, SetMuted
from uc_signal.conferencing.admission import Joiner, Role
from uc_signal.conferencing.attendant import (AttendantSettings, AutoAttendant, HangUp, JoinMeeting,
                                              LookupConference, PlayPrompt, RunCommand, VerifyPin)
from uc_signal.conferencing.conference import Conference, JoinState
from uc_signal.conferencing.directory import MeetingDirectory
from uc_signal.conferencing.meeting import LobbyPolicy
from uc_signal.conferencing.prompts import Prompt
from uc_signal.store import SqlStore, UserRecord, sqlite_url
from uc_signal.store.meetings import MeetingNotFoundError, SqlMeetingStore

NOW = 1_800_000_000.0


class DialInDriver:
    """What the focus does with the attendant's actions (minus the audio): prompts are
    reported finished at once, lookups answered from the directory."""

    def __init__(self, directory: MeetingDirectory, conferences: dict[str, Conference], attendant: AutoAttendant,
                 call: str) -> None:
        self.directory, self.conferences, self.attendant, self.call = directory, conferences, attendant, call
        self.played: list[Prompt] = []
        self.joined: tuple[str, Role, JoinState] | None = None
        self.hung_up: str | None = None
        self.entity: str | None = None
        self.to_caller: list = []

    async def run(self, actions: list, now: float) -> None:
        for _ in range(100):
            if not actions:
                return
            action, actions = actions[0], actions[1:]
            actions = await self.carry_out(action, now) + actions
        raise AssertionError("the attendant never settled")

    async def carry_out(self, action, now: float) -> list:
        attendant = self.attendant
        if isinstance(action, PlayPrompt):
            self.played.append(action.prompt)
            return attendant.prompt_finished(action.prompt, now)
        if isinstance(action, LookupConference):
            try:
                meeting = await self.directory.get(action.conference_id, now)
            except MeetingNotFoundError:
                return attendant.conference_not_found(now)
            self.conferences.setdefault(meeting.meeting_id, Conference.for_meeting(meeting))
            return attendant.conference_found(meeting.meeting_id, now)
        if isinstance(action, VerifyPin):
            check = await self.directory.check_pin(action.pin, now, user=action.user, extension=action.extension)
            return attendant.pin_result(check.result, now, check.user)
        if isinstance(action, JoinMeeting):
            conference = self.conferences[action.meeting_id]
            self.entity = action.leader or "tel:+14255550199"
            joiner = Joiner(self.entity, "Caller", authenticated=action.leader is not None,
                            in_company=action.leader is not None, via_pstn=True)
            admission, _ = conference.join(joiner, self.call, now, name_recording=action.name_recording)
            self.joined = (action.meeting_id, admission.role, conference.participant(self.entity).state)
            return []
        if isinstance(action, RunCommand):
            assert self.entity is not None and self.joined is not None
            self.to_caller += self.conferences[self.joined[0]].keypad(self.entity, self.call, action.command, now)
            return []
        if isinstance(action, HangUp):
            self.hung_up = action.reason
            return []
        return []   # StopPrompt, RecordName, StopRecording: the engine's side

    async def keys(self, digits: str, now: float) -> None:
        for digit in digits:
            await self.run(self.attendant.digit(digit, now), now)


def with_world(tmp_path: Path, body):
    async def go():
        store = SqlStore(sqlite_url(tmp_path / "ucd.sqlite3"))
        await store.open()
        try:
            await store.create_user(UserRecord("alice", "example.test", "Alice", line_uri="tel:+14255550100;ext=100"))
            directory = MeetingDirectory(SqlMeetingStore(store), store)
            meeting = await directory.create("sip:alice@example.test", NOW, lobby_policy=LobbyPolicy.OUTSIDE_COMPANY,
                                             pstn_bypass_lobby=False)
            await directory.set_pin("sip:alice@example.test", "80417", NOW)
            return await body(directory, meeting, {})
        finally:
            await store.close()
    return asyncio.run(go())


def test_the_organizer_dials_in_with_a_pin_and_mutes_the_audience(tmp_path):
    async def body(directory, meeting, conferences):
        driver = DialInDriver(directory, conferences, AutoAttendant(), "call-1")
        await driver.run(driver.attendant.answered(NOW), NOW)
        await driver.keys(meeting.conference_id + "#", NOW)
        await driver.keys("80417#", NOW)          # caller ID unknown: asked for the extension
        await driver.keys("100#", NOW)
        assert driver.joined == (meeting.meeting_id, Role.ORGANIZER, JoinState.CONNECTED)
        assert driver.played == [Prompt.WELCOME, Prompt.ENTER_CONFERENCE_ID, Prompt.ENTER_PIN,
                                 Prompt.ENTER_EXTENSION, Prompt.JOINING]
        guest = DialInDriver(directory, conferences, AutoAttendant(AttendantSettings(record_names=False)), "call-2")
        await guest.run(guest.attendant.answered(NOW), NOW)
        await guest.keys(meeting.conference_id + "##", NOW)
        assert guest.joined == (meeting.meeting_id, Role.ATTENDEE, JoinState.LOBBY)   # no PSTN bypass here
        conference = conferences[meeting.meeting_id]
        conference.admit("sip:alice@example.test", "tel:+14255550199", NOW)
        await driver.keys("*4", NOW + 1)
        assert SetMuted("tel:+14255550199", "call-2", True) in driver.to_caller
        assert driver.to_caller[-1] == PlayToEndpoint("sip:alice@example.test", "call-1", Prompt.AUDIENCE_MUTED)
        await guest.keys("*6", NOW + 2)           # guests cannot unmute under audience mute
        assert guest.to_caller == [PlayToEndpoint("tel:+14255550199", "call-2", Prompt.NOT_PERMITTED)]
    with_world(tmp_path, body)


def test_a_wrong_conference_id_three_times_is_goodbye(tmp_path):
    async def body(directory, meeting, conferences):
        driver = DialInDriver(directory, conferences, AutoAttendant(), "call-3")
        await driver.run(driver.attendant.answered(NOW), NOW)
        for _ in range(3):
            await driver.keys("99999#", NOW)
        assert driver.hung_up == "conference ID not entered"
        assert driver.played[-2:] == [Prompt.TOO_MANY_ATTEMPTS, Prompt.GOODBYE]
        assert conferences == {}
    with_world(tmp_path, body)


def test_a_known_caller_with_a_wrong_pin_until_it_locks_joins_as_guest_next_time(tmp_path):
    async def body(directory, meeting, conferences):
        for attempt in range(2):   # two calls, 3 wrong PINs each: the 5th failure locks the PIN
            driver = DialInDriver(directory, conferences, AutoAttendant(caller_user="sip:alice@example.test"),
                                  f"call-{attempt}")
            await driver.run(driver.attendant.answered(NOW), NOW)
            await driver.keys(meeting.conference_id + "#", NOW)
            for _ in range(3):
                await driver.keys("11223#", NOW)
        assert (await directory.meetings.get_pin("sip:alice@example.test")).locked_out
        driver = DialInDriver(directory, conferences, AutoAttendant(AttendantSettings(record_names=False),
                                                                    caller_user="sip:alice@example.test"), "call-9")
        await driver.run(driver.attendant.answered(NOW), NOW)
        await driver.keys(meeting.conference_id + "#", NOW)
        await driver.keys("80417#", NOW)          # the right PIN, but locked
        assert Prompt.PIN_LOCKED in driver.played
        assert driver.joined[1] is Role.ATTENDEE
    with_world(tmp_path, body)
