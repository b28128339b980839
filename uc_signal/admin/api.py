"""The admin REST API (FastAPI): users CRUD and the registrations list, behind a bearer
token; `/healthz` and the Prometheus `/metrics` beside it. OpenAPI at /api/openapi.json.

Errors are JSON `{"error": ..., "detail": ..., "field": ...}`: 401 without the token, 404
for an unknown user, 409 for a duplicate, 422 for anything that fails validation.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..directory import Binding
from ..focus import FocusApplication
from .focus_api import register_focus_routes
from ..conferencing.directory import MeetingDirectory
from ..focus.roster import FocusRoster
from .meeting_controls_api import register_meeting_control_routes
from .meetings_api import register_meeting_routes
from ..rls import (Contact, ContactLimitError, ContactList, ContactNotFoundError, DuplicateContactError, InvalidContactError,
                   contact_list_uri)
from ..store import (ContactService, DuplicateUserError, InvalidUserError, UserNotFoundError, UserRecord, UserService,
                     parse_aor)
from .im_routes import ImAdmin, add_im_routes
from .schemas import (ContactCreate, ContactListOut, ContactOut, ErrorOut, GroupCreate, RegistrationOut, ServerOut,
                      UserCreate, UserOut, UserUpdate)
from .presence_routes import PresenceAdmin, add_presence_routes


@dataclass
class AdminContext:
    """What the API reads and changes, handed over by the daemon."""

    users: UserService
    domain: str
    token: str
    version: str
    registrations: Callable[[float], list[Binding]]   # the location service's bindings at `now`
    listening: Callable[[], dict[str, list[str]]]
    metrics: Callable[[], tuple[bytes, str]]         # (exposition, content type)
    draining: Callable[[], bool]
    focus: Callable[[], FocusApplication | None] | None = None   # the conferencing focus, once running
    meetings: MeetingDirectory | None = None          # conferencing's meeting directory
    contacts: ContactService | None = None            # contact lists (uc_signal.rls)
    presence: PresenceAdmin | None = None              # /api/v1/presence routes when set
    im: ImAdmin | None = None                          # the IM routes, when the IM service runs
    roster: Callable[[], FocusRoster | None] | None = None   # the focus's meeting rosters (controls)


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: str, field: str | None = None) -> None:
        self.status, self.error, self.detail, self.field = status, error, detail, field


def _error(status: int, error: str, detail: str, field: str | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, "field": field}, status_code=status, headers=headers)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
    404: {"model": ErrorOut, "description": "no such user"},
    409: {"model": ErrorOut, "description": "the user exists already"},
    422: {"model": ErrorOut, "description": "a field fails validation"},
}


def user_out(record: UserRecord) -> UserOut:
    return UserOut(**record.public())


def registration_out(binding: Binding, now: float) -> RegistrationOut:
    return RegistrationOut(aor=binding.aor, contact=binding.contact, expires_in=binding.expires_in(now),
                           expires_at=binding.expires_at, q=binding.q, transport=binding.transport,
                           source=f"{binding.source_host}:{binding.source_port}", user_agent=binding.user_agent,
                           instance=binding.instance, reg_id=binding.reg_id, path=list(binding.path),
                           registered_at=binding.registered_at)


def create_admin_app(context: AdminContext) -> FastAPI:
    app = FastAPI(title="ucd admin API", version=context.version, openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None)
    bearer = HTTPBearer(auto_error=False)

    def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), context.token.encode()):
            raise ApiError(401, "unauthorized", "a valid bearer token is required (see the admin-token file "
                                                "in the data directory)")

    def aor_of(user: str) -> tuple[str, str]:
        try:
            return parse_aor(user, context.domain)
        except InvalidUserError as error:
            raise ApiError(422, "invalid", error.reason, "user") from None

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return _error(error.status, error.error, error.detail, error.field, headers)

    @app.exception_handler(UserNotFoundError)
    async def not_found(_request: Request, error: UserNotFoundError) -> JSONResponse:
        return _error(404, "not_found", f"no user {error.aor}")

    @app.exception_handler(DuplicateUserError)
    async def duplicate(_request: Request, error: DuplicateUserError) -> JSONResponse:
        return _error(409, "duplicate", f"user {error.aor} already exists")

    @app.exception_handler(InvalidUserError)
    async def invalid(_request: Request, error: InvalidUserError) -> JSONResponse:
        return _error(422, "invalid", error.reason, error.field)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return _error(422, "invalid", f"{where}: {first.get('msg')}" if where else str(first.get("msg")),
                      where or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(error.status_code, "not_found" if error.status_code == 404 else "http_error",
                      str(error.detail))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        if context.draining():
            return PlainTextResponse("draining\n", status_code=503)
        return PlainTextResponse("ok\n")

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = context.metrics()
        return Response(body, media_type=content_type)

    secured = [Depends(require_token)]

    @app.get("/api/v1/server", response_model=ServerOut, dependencies=secured, responses=ERRORS)
    async def server() -> ServerOut:
        return ServerOut(version=context.version, domain=context.domain, listening=context.listening(),
                         users=len(context.users.directory), registrations=len(context.registrations(time.time())),
                         draining=context.draining())

    @app.get("/api/v1/users", response_model=list[UserOut], dependencies=secured, responses=ERRORS)
    async def list_users(domain: str | None = None) -> list[UserOut]:
        return [user_out(record) for record in await context.users.store.list_users(domain)]

    @app.post("/api/v1/users", response_model=UserOut, status_code=201, dependencies=secured, responses=ERRORS)
    async def create_user(body: UserCreate) -> UserOut:
        username, domain = aor_of(body.user)
        if domain != context.domain:
            # Its HA1 would be for a realm no challenge of this server names.
            raise ApiError(422, "invalid", f"this server serves the SIP domain {context.domain}, not {domain}",
                           "user")
        record = await context.users.create(username, domain, body.password, display_name=body.display_name,
                                            line_uri=body.line_uri, enabled=body.enabled, policies=body.policies)
        return user_out(record)

    @app.get("/api/v1/users/{user}", response_model=UserOut, dependencies=secured, responses=ERRORS)
    async def show_user(user: str) -> UserOut:
        username, domain = aor_of(user)
        record = await context.users.store.get_user(username, domain)
        if record is None:
            raise UserNotFoundError(f"sip:{username}@{domain}")
        return user_out(record)

    @app.patch("/api/v1/users/{user}", response_model=UserOut, dependencies=secured, responses=ERRORS)
    async def update_user(user: str, body: UserUpdate) -> UserOut:
        username, domain = aor_of(user)
        changes = body.model_dump(exclude_unset=True)
        for name in ("display_name", "enabled", "policies", "password"):
            if name in changes and changes[name] is None:
                raise ApiError(422, "invalid", "must not be null", name)
        return user_out(await context.users.update(username, domain, changes))

    @app.delete("/api/v1/users/{user}", status_code=204, dependencies=secured, responses=ERRORS)
    async def delete_user(user: str) -> Response:
        username, domain = aor_of(user)
        await context.users.delete(username, domain)
        if context.contacts is not None:
            context.contacts.user_deleted(username, domain)
        return Response(status_code=204)

    @app.get("/api/v1/registrations", response_model=list[RegistrationOut], dependencies=secured,
             responses=ERRORS)
    async def registrations(user: str | None = None) -> list[RegistrationOut]:
        now = time.time()
        found = context.registrations(now)
        if user is not None:
            username, domain = aor_of(user)
            found = [binding for binding in found if binding.aor == f"sip:{username}@{domain}"]
        return [registration_out(binding, now) for binding in found]

    register_focus_routes(app, context, require_token)
    register_meeting_routes(app, context, require_token)
    register_meeting_control_routes(app, context, require_token)
    if context.contacts is not None:
        add_contact_routes(app, context.contacts, secured)
    if context.presence is not None:
        add_presence_routes(app, context.presence, secured, aor_of, ERRORS, ApiError)
    if context.im is not None:
        add_im_routes(app, context.im, secured, ERRORS, lambda user: "sip:%s@%s" % aor_of(user))

    return app


CONTACT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"model": ErrorOut, "description": "no such user, contact or group"},
    409: {"model": ErrorOut, "description": "duplicate (error: duplicate), or the contacts policy's limit "
                                            "reached (error: limit)"},
}


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut(uri=contact.uri, display_name=contact.display_name, groups=list(contact.groups),
                      relationship=contact.relationship)


def add_contact_routes(app: FastAPI, contacts: ContactService, secured: list[Any]) -> None:
    """Contact lists: /api/v1/users/{user}/contacts and /contact-groups."""

    @app.exception_handler(ContactNotFoundError)
    async def contact_not_found(_request: Request, error: ContactNotFoundError) -> JSONResponse:
        return _error(404, "not_found", str(error))

    @app.exception_handler(DuplicateContactError)
    async def contact_duplicate(_request: Request, error: DuplicateContactError) -> JSONResponse:
        return _error(409, "duplicate", str(error))

    @app.exception_handler(ContactLimitError)
    async def contact_limit(_request: Request, error: ContactLimitError) -> JSONResponse:
        return _error(409, "limit", str(error))

    @app.exception_handler(InvalidContactError)
    async def contact_invalid(_request: Request, error: InvalidContactError) -> JSONResponse:
        return _error(422, "invalid", error.reason, error.field)

    async def list_out(user: str, found: ContactList | None = None) -> ContactListOut:
        if found is None:
            found = await contacts.list(user)
        name, policy = await contacts.policy_of(user)
        return ContactListOut(owner=found.owner, list_uri=contact_list_uri(found.owner), policy=name,
                              max_contacts=policy.max_contacts,
                              contacts=[contact_out(c) for c in found.contacts],
                              groups=list(found.groups))

    @app.get("/api/v1/users/{user}/contacts", response_model=ContactListOut, dependencies=secured,
             responses=CONTACT_ERRORS)
    async def list_contacts(user: str) -> ContactListOut:
        return await list_out(user)

    @app.post("/api/v1/users/{user}/contacts", response_model=ContactOut, status_code=201, dependencies=secured,
              responses=CONTACT_ERRORS)
    async def add_contact(user: str, body: ContactCreate) -> ContactOut:
        added = await contacts.add_contact(user, body.uri, display_name=body.display_name, groups=tuple(body.groups),
                                           relationship=body.relationship)
        return contact_out(added)

    @app.delete("/api/v1/users/{user}/contacts/{contact:path}", status_code=204, dependencies=secured,
                responses=CONTACT_ERRORS)
    async def remove_contact(user: str, contact: str) -> Response:
        await contacts.remove_contact(user, contact)
        return Response(status_code=204)

    @app.get("/api/v1/users/{user}/contact-groups", response_model=list[str], dependencies=secured,
             responses=CONTACT_ERRORS)
    async def list_groups(user: str) -> list[str]:
        return list((await contacts.list(user)).groups)

    @app.post("/api/v1/users/{user}/contact-groups", response_model=ContactListOut, status_code=201,
              dependencies=secured, responses=CONTACT_ERRORS)
    async def add_group(user: str, body: GroupCreate) -> ContactListOut:
        return await list_out(user, await contacts.add_group(user, body.name))

    @app.delete("/api/v1/users/{user}/contact-groups/{name:path}", status_code=204, dependencies=secured,
                responses=CONTACT_ERRORS)
    async def remove_group(user: str, name: str) -> Response:
        await contacts.remove_group(user, name)
        return Response(status_code=204)
