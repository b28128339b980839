"""The admin API's conferencing routes: meetings (create, list, show, modify, delete) and a
user's leader PIN. Registered by create_admin_app when the daemon hands over a MeetingDirectory.

Errors keep the API's shape: 404 for an unknown meeting or user, 422 naming the field for
anything invalid (a weak PIN says which rule it breaks), 503 when conferencing is off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ..conferencing.directory import MeetingDirectory
from ..conferencing.meeting import InvalidMeetingError, LobbyPolicy, Meeting, MeetingKind, PresenterPolicy
from ..conferencing.pin import WeakPinError
from ..store import InvalidUserError, UserNotFoundError, parse_aor
from ..store.meetings import DuplicateMeetingError, MeetingNotFoundError
from .schemas import ErrorOut, MeetingCreate, MeetingOut, MeetingUpdate, PinOut, PinSet

if TYPE_CHECKING:
    from .api import AdminContext

MEETING_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
    404: {"model": ErrorOut, "description": "no such meeting or user"},
    422: {"model": ErrorOut, "description": "a field fails validation"},
    503: {"model": ErrorOut, "description": "conferencing is not enabled"},
}


class _MeetingApiError(Exception):
    def __init__(self, status: int, error: str, detail: str, field: str | None = None) -> None:
        self.status, self.error, self.detail, self.field = status, error, detail, field


def meeting_out(meeting: Meeting) -> MeetingOut:
    return MeetingOut(**meeting.public())


def _epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def register_meeting_routes(app: FastAPI, context: AdminContext, require_token: Callable[..., None]) -> None:
    secured = [Depends(require_token)]

    def directory() -> MeetingDirectory:
        if context.meetings is None:
            raise _MeetingApiError(503, "unavailable", "conferencing is not enabled on this server")
        return context.meetings

    def aor_of(user: str, field: str) -> str:
        try:
            username, domain = parse_aor(user, context.domain)
        except InvalidUserError as error:
            raise _MeetingApiError(422, "invalid", error.reason, field) from None
        return f"sip:{username}@{domain}"

    @app.exception_handler(_MeetingApiError)
    async def meeting_api_error(_request: Request, error: _MeetingApiError) -> JSONResponse:
        return JSONResponse({"error": error.error, "detail": error.detail, "field": error.field},
                            status_code=error.status)

    @app.exception_handler(MeetingNotFoundError)
    async def meeting_not_found(_request: Request, error: MeetingNotFoundError) -> JSONResponse:
        return JSONResponse({"error": "not_found", "detail": f"no meeting {error.reference}", "field": None},
                            status_code=404)

    @app.exception_handler(InvalidMeetingError)
    async def invalid_meeting(_request: Request, error: InvalidMeetingError) -> JSONResponse:
        return JSONResponse({"error": "invalid", "detail": error.reason, "field": error.field}, status_code=422)

    @app.exception_handler(WeakPinError)
    async def weak_pin(_request: Request, error: WeakPinError) -> JSONResponse:
        return JSONResponse({"error": "invalid", "detail": str(error), "field": "pin"}, status_code=422)

    @app.exception_handler(DuplicateMeetingError)
    async def duplicate_meeting(_request: Request, error: DuplicateMeetingError) -> JSONResponse:
        return JSONResponse({"error": "duplicate", "detail": str(error), "field": None}, status_code=409)

    @app.post("/api/v1/meetings", response_model=MeetingOut, status_code=201, dependencies=secured,
              responses=MEETING_ERRORS)
    async def create_meeting(body: MeetingCreate) -> MeetingOut:
        organizer = aor_of(body.organizer, "organizer")
        start, end = _epoch(body.start), _epoch(body.end)
        kind = MeetingKind(body.kind) if body.kind else (
            MeetingKind.SCHEDULED if start is not None or end is not None else MeetingKind.MEET_NOW)
        try:
            meeting = await directory().create(
                organizer, time.time(), kind=kind, subject=body.subject, start=start, end=end,
                presenter_policy=PresenterPolicy(body.presenter_policy) if body.presenter_policy else None,
                lobby_policy=LobbyPolicy(body.lobby_policy) if body.lobby_policy else None,
                pstn_bypass_lobby=body.pstn_bypass_lobby)
        except UserNotFoundError as error:
            raise _MeetingApiError(422, "invalid", f"no user {error.aor}", "organizer") from None
        return meeting_out(meeting)

    @app.get("/api/v1/meetings", response_model=list[MeetingOut], dependencies=secured, responses=MEETING_ERRORS)
    async def list_meetings(organizer: str | None = None) -> list[MeetingOut]:
        who = aor_of(organizer, "organizer") if organizer is not None else None
        return [meeting_out(m) for m in await directory().list(time.time(), who)]

    @app.get("/api/v1/meetings/{meeting}", response_model=MeetingOut, dependencies=secured,
             responses=MEETING_ERRORS)
    async def show_meeting(meeting: str) -> MeetingOut:
        return meeting_out(await directory().get(meeting, time.time()))

    @app.patch("/api/v1/meetings/{meeting}", response_model=MeetingOut, dependencies=secured,
               responses=MEETING_ERRORS)
    async def modify_meeting(meeting: str, body: MeetingUpdate) -> MeetingOut:
        """Change a meeting's subject, end (scheduled only), expiry, policies or lock, as the
        organizer's modifyConference does: through the directory ucd watches, so the focus's
        view of a running meeting follows at once (joiners from now on see the change)."""
        return meeting_out(await directory().modify(
            meeting, time.time(), subject=body.subject, end=_epoch(body.end), expires_at=_epoch(body.expires_at),
            presenter_policy=PresenterPolicy(body.presenter_policy) if body.presenter_policy else None,
            lobby_policy=LobbyPolicy(body.lobby_policy) if body.lobby_policy else None,
            pstn_bypass_lobby=body.pstn_bypass_lobby, locked=body.locked))

    @app.delete("/api/v1/meetings/{meeting}", status_code=204, dependencies=secured, responses=MEETING_ERRORS)
    async def delete_meeting(meeting: str) -> Response:
        await directory().delete(meeting)
        return Response(status_code=204)

    @app.put("/api/v1/users/{user}/pin", response_model=PinOut, dependencies=secured, responses=MEETING_ERRORS)
    async def set_pin(user: str, body: PinSet) -> PinOut:
        record = await directory().set_pin(aor_of(user, "user"), body.pin, time.time())
        return PinOut(user=record.user, pin_set=True, failed_attempts=record.failed_attempts,
                      locked_out=record.locked_out, updated_at=record.updated_at)
