"""The admin API's routes on running conferences (the focus): who is in a meeting, mute
and unmute a participant (the engine stops mixing its audio), eject one (the focus sends
BYE), and invite a user by REFER (escalation, issue 7). Registered by create_admin_app;
503 while the focus is not running (media disabled).

Conference IDs in the paths are the meetings' numeric IDs; participant IDs are the
focus's ("p1", "p2", ...), as listed by GET /api/v1/conferences/{id}.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..focus import FocusApplication, Participant, RunningConference, UnknownConference, UnknownParticipant
from ..store import InvalidUserError, parse_aor
from .schemas import ErrorOut

if TYPE_CHECKING:
    from .api import AdminContext

FOCUS_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
    404: {"model": ErrorOut, "description": "no such running conference or participant"},
    422: {"model": ErrorOut, "description": "a field fails validation"},
    503: {"model": ErrorOut, "description": "the focus is not running (media disabled)"},
}


class ParticipantOut(BaseModel):
    id: str
    entity: str
    display_name: str
    authenticated: bool
    state: str
    muted: bool
    on_hold: bool
    in_lobby: bool = Field(description="waiting for a presenter to admit them (out of the mix)")
    role: str = Field(description="organizer, presenter or attendee (a meeting's); participant otherwise")
    speaking_level: int | None = Field(description="RFC 6464 level in -dBov while an active speaker")


class ConferenceOut(BaseModel):
    conference_id: str
    uri: str
    participants: list[ParticipantOut]
    speakers: list[str] = Field(description="participant IDs of the active speakers, loudest first")


class MuteIn(BaseModel):
    muted: bool = True


class InvitationIn(BaseModel):
    conference_uri: str
    user: str = Field(description="a local user (name or sip:name@domain) whose endpoints get a REFER")


class InvitationOut(BaseModel):
    user: str
    endpoints: list[str]


class DialOutOut(BaseModel):
    user: str
    endpoint: str


class ReferralOut(BaseModel):
    target: str
    conference_uri: str
    status: int | None = Field(description="the final response to the REFER; null while none came")
    notified: list[str] = Field(description="sipfrag status lines of the NOTIFYs (RFC 3515 2.4.5)")


class _FocusApiError(Exception):
    def __init__(self, status: int, error: str, detail: str, field: str | None = None) -> None:
        self.status, self.error, self.detail, self.field = status, error, detail, field


def participant_out(participant: Participant) -> ParticipantOut:
    return ParticipantOut(id=participant.id, entity=participant.entity, display_name=participant.display_name,
                          authenticated=participant.authenticated, state=participant.state.value,
                          muted=participant.muted, on_hold=participant.on_hold, in_lobby=participant.in_lobby, role=participant.role,
                          speaking_level=participant.level)


def conference_out(conference: RunningConference) -> ConferenceOut:
    return ConferenceOut(conference_id=conference.conference_id, uri=conference.uri,
                         participants=[participant_out(p) for p in conference.participants.values()],
                         speakers=[p.id for p in conference.speakers])


def register_focus_routes(app: FastAPI, context: AdminContext, require_token: Callable[..., None]) -> None:
    secured = [Depends(require_token)]

    @app.exception_handler(_FocusApiError)
    async def focus_error(_request: Request, error: _FocusApiError) -> JSONResponse:
        return JSONResponse({"error": error.error, "detail": error.detail, "field": error.field},
                            status_code=error.status)

    def focus() -> FocusApplication:
        running = context.focus() if context.focus is not None else None
        if running is None:
            raise _FocusApiError(503, "unavailable", "the conferencing focus is not running (media.enabled)")
        return running

    def lookup(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except (UnknownConference, UnknownParticipant) as error:
            raise _FocusApiError(404, "not_found", str(error)) from None

    @app.get("/api/v1/conferences", response_model=list[ConferenceOut], dependencies=secured,
             responses=FOCUS_ERRORS)
    async def list_conferences() -> list[ConferenceOut]:
        return [conference_out(c) for c in focus().conferences.values()]

    @app.get("/api/v1/conferences/invitations", response_model=list[ReferralOut], dependencies=secured,
             responses=FOCUS_ERRORS)
    async def invitations() -> list[ReferralOut]:
        """The REFERs sent lately (the last 200), oldest first, with what came back."""
        return [ReferralOut(target=r.target, conference_uri=r.conference_uri, status=r.status,
                            notified=list(r.notified)) for r in focus().referrals.values()]

    @app.get("/api/v1/conferences/{conference_id}", response_model=ConferenceOut, dependencies=secured,
             responses=FOCUS_ERRORS)
    async def show_conference(conference_id: str) -> ConferenceOut:
        running = focus()
        return conference_out(lookup(lambda: running.find_conference(conference_id)))

    @app.post("/api/v1/conferences/{conference_id}/participants/{participant_id}/mute",
              response_model=ParticipantOut, dependencies=secured, responses=FOCUS_ERRORS)
    async def mute(conference_id: str, participant_id: str, body: MuteIn | None = None) -> ParticipantOut:
        running = focus()
        muted = body.muted if body is not None else True
        return participant_out(lookup(lambda: running.set_muted(conference_id, participant_id, muted)))

    @app.post("/api/v1/conferences/{conference_id}/participants/{participant_id}/admit",
              response_model=ParticipantOut, dependencies=secured, responses=FOCUS_ERRORS)
    async def admit(conference_id: str, participant_id: str) -> ParticipantOut:
        """Let a participant in from the lobby (deny: DELETE the participant)."""
        running = focus()
        return participant_out(lookup(lambda: running.admit(conference_id, participant_id)))

    @app.delete("/api/v1/conferences/{conference_id}/participants/{participant_id}", status_code=204,
                dependencies=secured, responses=FOCUS_ERRORS)
    async def eject(conference_id: str, participant_id: str) -> None:
        running = focus()
        lookup(lambda: running.eject(conference_id, participant_id, time.time()))

    def local_aor(user: str) -> str:
        try:
            username, domain = parse_aor(user, context.domain)
        except InvalidUserError as error:
            raise _FocusApiError(422, "invalid", error.reason, "user") from None
        return f"sip:{username}@{domain}"

    @app.post("/api/v1/conferences/dial-outs", response_model=DialOutOut, status_code=202, dependencies=secured,
              responses=FOCUS_ERRORS)
    async def dial_out(body: InvitationIn) -> DialOutOut:
        """The focus INVITEs the user's first registered endpoint into the conference."""
        running = focus()
        aor = local_aor(body.user)
        dialled = lookup(lambda: running.dial_user(aor, body.conference_uri, time.time()))
        if dialled is None:
            raise _FocusApiError(404, "not_found", f"{aor} has no registered endpoint", "user")
        return DialOutOut(user=aor, endpoint=dialled.target)

    @app.post("/api/v1/conferences/invitations", response_model=InvitationOut, status_code=202,
              dependencies=secured, responses=FOCUS_ERRORS)
    async def invite(body: InvitationIn) -> InvitationOut:
        running = focus()
        aor = local_aor(body.user)
        referrals = lookup(lambda: running.invite_user(aor, body.conference_uri, time.time()))
        if not referrals:
            raise _FocusApiError(404, "not_found", f"{aor} has no registered endpoint", "user")
        return InvitationOut(user=aor, endpoints=[r.target for r in referrals])
