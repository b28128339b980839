"""The admin API's controls on a running meeting, through the focus's roster
(uc_signal.focus.roster): the roster (roles, lobby, mute, speakers) and the presenters'
controls run as the operator (`conferencing.OPERATOR`, a presenter's rights without being
in the meeting).

    GET  /api/v1/meetings/{meeting}/roster
    POST /api/v1/meetings/{meeting}/controls/{control}   {"participant": "sip:bob@..." | "p3"}
    POST /api/v1/meetings/escalations   {"organizer": "alice", "parties": ["alice", "bob"]}

An escalation (a 2-party call becoming a meeting, issue 7) makes a meet-now meeting of the
organizer and sends each party's registered endpoints a REFER to its conference URI (the
focus is not in their call, so out of dialog, RFC 3515); each endpoint that accepts
INVITEs the meeting while its call goes on. When every endpoint of a party refuses the
REFER (baresip answers 501, linphonec 603: neither takes a REFER outside a call), the
focus calls that party in instead (dial-out): a second call beside the one it is in,
which the client then leaves. The third party is added the same way (POST
/api/v1/conferences/dial-outs) or by a presenter's REFER.

`meeting` is the conference ID or the meeting ID; `control` one of roster.CONTROLS (mute,
unmute, audience-mute, audience-unmute, eject, lock, unlock, admit, deny, admit-all,
promote, demote, end). 404 when the meeting is not running or the participant unknown,
409 when the control does not apply (admitting someone not in the lobby), 403 when the
roster refuses it (ejecting the organizer), 503 while the focus is not running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..conferencing.conference import OPERATOR, Conference
from ..conferencing.meeting import MeetingKind
from ..focus.application import FocusApplication, Referral
from ..focus.conference import RunningConference
from ..focus.meetings import MeetingHandle
from ..focus.roster import CONTROLS, ControlRefused, FocusRoster
from ..store import InvalidUserError, UserNotFoundError, parse_aor
from .schemas import ErrorOut

if TYPE_CHECKING:
    from .api import AdminContext

CONTROL_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
    403: {"model": ErrorOut, "description": "the roster refuses the control (e.g. ejecting the organizer)"},
    404: {"model": ErrorOut, "description": "the meeting is not running, or no such participant"},
    409: {"model": ErrorOut, "description": "the control does not apply (e.g. admit someone not in the lobby)"},
    422: {"model": ErrorOut, "description": "an unknown control, or one that needs a participant"},
    503: {"model": ErrorOut, "description": "the focus is not running (media disabled)"},
}


class RosterEntryOut(BaseModel):
    entity: str
    display_name: str
    role: str = Field(description="organizer, presenter or attendee")
    state: str = Field(description="connected, lobby or dialing-in")
    lobby_reason: str | None
    endpoints: list[str] = Field(description="the focus's participant IDs of this person's legs")
    muted: bool


class RosterOut(BaseModel):
    conference_id: str
    meeting_id: str | None
    uri: str
    locked: bool
    audience_muted: bool
    speakers: list[str] = Field(description="entities of the active speakers, most recent first")
    participants: list[RosterEntryOut]


class ControlIn(BaseModel):
    participant: str | None = Field(None, description="an entity (sip:bob@example.com) or a participant ID (p3)")


class ControlOut(BaseModel):
    control: str
    participant: str | None


class EscalationIn(BaseModel):
    organizer: str = Field(description="a local user (name or sip:name@domain): the meeting's organizer")
    parties: list[str] = Field(description="local users whose endpoints are REFERred to the meeting",
                               min_length=1, max_length=20)
    subject: str = ""


class EscalationOut(BaseModel):
    conference_id: str
    meeting_id: str
    conference_uri: str
    referred: dict[str, list[str]] = Field(description="each party's endpoints that were sent a REFER "
                                                       "(empty: none registered)")


class _ControlApiError(Exception):
    def __init__(self, status: int, error: str, detail: str, field: str | None = None) -> None:
        self.status, self.error, self.detail, self.field = status, error, detail, field


_ERROR_NAMES = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}


def roster_out(running: RunningConference, roster: Conference) -> RosterOut:
    meeting_id = running.handle.meeting.meeting_id if isinstance(running.handle, MeetingHandle) else None
    entries = []
    for person in sorted(roster.participants.values(), key=lambda p: p.entity):
        entries.append(RosterEntryOut(
            entity=person.entity, display_name=person.display_name, role=person.role.value,
            state=person.state.value, lobby_reason=person.lobby_reason.value if person.lobby_reason else None,
            endpoints=sorted(person.endpoints),
            muted=bool(person.endpoints) and all(e.muted for e in person.endpoints.values())))
    return RosterOut(conference_id=running.conference_id, meeting_id=meeting_id, uri=running.uri,
                     locked=roster.locked, audience_muted=roster.audience_muted,
                     speakers=list(roster.speakers.current), participants=entries)


class _ReferOrDial:
    """REFER a party's endpoints to the meeting; once every REFER failed, dial it in."""

    def __init__(self, focus: FocusApplication, party: str, conference_uri: str, now: float) -> None:
        self.focus, self.party, self.conference_uri = focus, party, conference_uri
        self.referrals: list[Referral] = []
        self.dialled = False
        self.referrals = focus.invite_user(party, conference_uri, now, on_done=lambda _r: self._check(time.time()))
        self._check(now)   # a REFER that could not be sent is answered at once

    def _check(self, now: float) -> None:
        if self.dialled or not self.referrals:
            return
        if all(r.status is not None and r.status >= 300 for r in self.referrals):
            self.dialled = True
            self.focus.dial_user(self.party, self.conference_uri, now)


def register_meeting_control_routes(app: FastAPI, context: AdminContext, require_token: Callable[..., None]) -> None:
    secured = [Depends(require_token)]

    @app.exception_handler(_ControlApiError)
    async def control_error(_request: Request, error: _ControlApiError) -> JSONResponse:
        return JSONResponse({"error": error.error, "detail": error.detail, "field": error.field},
                            status_code=error.status)

    def roster() -> FocusRoster:
        found = context.roster() if context.roster is not None else None
        if found is None:
            raise _ControlApiError(503, "unavailable", "the conferencing focus is not running (media.enabled)")
        return found

    def running(meeting: str) -> tuple[str, RunningConference, Conference]:
        focus_roster = roster()
        try:
            found, conference = focus_roster.by_conference_id(meeting)
            return meeting, found, conference
        except ControlRefused:
            pass
        for conference_id in focus_roster.running_ids():
            found, conference = focus_roster.by_conference_id(conference_id)
            if isinstance(found.handle, MeetingHandle) and found.handle.meeting.meeting_id == meeting:
                return conference_id, found, conference
        raise _ControlApiError(404, "not_found", f"meeting {meeting} is not running")

    @app.post("/api/v1/meetings/escalations", response_model=EscalationOut, status_code=201, dependencies=secured,
              responses=CONTROL_ERRORS)
    async def escalate(body: EscalationIn) -> EscalationOut:
        focus = context.focus() if context.focus is not None else None
        if focus is None or context.meetings is None:
            raise _ControlApiError(503, "unavailable", "the conferencing focus is not running (media.enabled)")
        organizer = aor_of(body.organizer, "organizer")
        parties = [aor_of(party, "parties") for party in body.parties]
        try:
            meeting = await context.meetings.create(organizer, time.time(), kind=MeetingKind.MEET_NOW,
                                                    subject=body.subject)
        except UserNotFoundError as error:
            raise _ControlApiError(422, "invalid", f"no user {error.aor}", "organizer") from None
        now = time.time()
        referred = {party: [r.target for r in _ReferOrDial(focus, party, meeting.conference_uri, now).referrals]
                    for party in parties}
        return EscalationOut(conference_id=meeting.conference_id, meeting_id=meeting.meeting_id,
                             conference_uri=meeting.conference_uri, referred=referred)

    def aor_of(user: str, field: str) -> str:
        try:
            username, domain = parse_aor(user, context.domain)
        except InvalidUserError as error:
            raise _ControlApiError(422, "invalid", error.reason, field) from None
        return f"sip:{username}@{domain}"

    @app.get("/api/v1/meetings/{meeting}/roster", response_model=RosterOut, dependencies=secured,
             responses=CONTROL_ERRORS)
    async def show_roster(meeting: str) -> RosterOut:
        _, found, conference = running(meeting)
        return roster_out(found, conference)

    @app.post("/api/v1/meetings/{meeting}/controls/{control}", response_model=ControlOut, dependencies=secured,
              responses=CONTROL_ERRORS)
    async def run_control(meeting: str, control: str, body: ControlIn | None = None) -> ControlOut:
        if control not in CONTROLS:
            raise _ControlApiError(422, "invalid", f"unknown control {control[:40]!r}; one of {', '.join(CONTROLS)}",
                                   "control")
        participant = body.participant if body is not None else None
        conference_id, _, _ = running(meeting)
        try:
            roster().control(conference_id, OPERATOR, control, participant, time.time())
        except ControlRefused as error:
            status = 422 if error.status == 400 else error.status
            raise _ControlApiError(status, _ERROR_NAMES.get(error.status, "invalid"), str(error),
                                   "participant" if error.status in (400, 404) else None) from None
        return ControlOut(control=control, participant=participant)
