"""Admin API routes for presence (/api/v1/presence/...): a user's current state,
privacy relationships per watcher, settings (privacy mode, watcher authorization, contact
card) and the calendar imported as iCalendar.

Each change is written to the store first, then applied to the live `PresenceService`
(which NOTIFYs the watchers it concerns), then `after_change()` lets the SIP driver re-read
its next deadline (a calendar adds some).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..presence.calendar import CalendarError, parse_busy
from ..presence.model import MAX_CARD_FIELD, ContactCard, WatcherAuthorization
from ..presence.privacy import Relationship
from ..presence.service import PresenceService, canonical_aor
from ..store.presence import PresenceStore


@dataclass
class PresenceAdmin:
    service: PresenceService
    store: PresenceStore
    after_change: Callable[[], None] = lambda: None


class RelationshipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    relationship: str = Field(description="friends-and-family, workgroup, colleague, external or blocked",
                              examples=["workgroup"])


class RelationshipOut(BaseModel):
    presentity: str
    watcher: str
    relationship: str


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=MAX_CARD_FIELD)
    email: str | None = Field(default=None, max_length=MAX_CARD_FIELD)
    office: str | None = Field(default=None, max_length=MAX_CARD_FIELD)
    work_phone: str | None = Field(default=None, max_length=MAX_CARD_FIELD)
    mobile_phone: str | None = Field(default=None, max_length=MAX_CARD_FIELD)
    home_phone: str | None = Field(default=None, max_length=MAX_CARD_FIELD)


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    privacy_mode: bool | None = Field(default=None, description="only contacts (watchers with a relationship) "
                                                                "see presence")
    authorization: str | None = Field(default=None, description='open, confirm, or "policy" (the user\'s '
                                                                'presence policy decides again)')
    card: CardIn | None = None


class SettingsOut(BaseModel):
    aor: str
    privacy_mode: bool = Field(description="in force: the user's setting, else their presence policy's, else off")
    authorization: str = Field(description="in force: the user's setting, else the policy's, else the default")
    policy: str | None = Field(description='the user\'s presence policy (their policies\' "presence" entry)')
    set_here: dict[str, Any] = Field(description="what was set for this user itself (null: from the policy)")
    card: dict[str, str]
    calendar_intervals: int


class PresenceOut(BaseModel):
    aor: str
    availability: str
    state: str = Field(description="what a Colleague sees: the label, with the activity")
    lync_availability: int
    activity: str | None
    note: str
    endpoints: int


def add_presence_routes(app: FastAPI, admin: PresenceAdmin, secured: list[Any],
                        aor_of: Callable[[str], tuple[str, str]], errors: dict[int | str, dict[str, Any]],
                        api_error: Callable[[int, str, str, str | None], Exception]) -> None:
    service = admin.service

    def user_aor(user: str) -> str:
        username, domain = aor_of(user)
        return f"sip:{username}@{domain}"

    def watcher_aor(watcher: str) -> str:
        text = watcher.strip()
        if text.lower().startswith(("sip:", "sips:")):
            text = text.split(":", 1)[1]
        user, at, host = text.rpartition("@")
        if not at:
            return user_aor(text)
        if not user or not host or any(c in text for c in " <>;\"") or not text.isprintable():
            raise api_error(422, "invalid", f"a watcher is user@domain or sip:user@domain, got {watcher!r}",
                            "watcher")
        return canonical_aor(f"sip:{user}@{host}")

    def settings_out(aor: str) -> SettingsOut:
        settings = service.settings_for(aor)
        return SettingsOut(aor=aor, privacy_mode=service.privacy_mode(aor),
                           authorization=service.authorization(aor).value, policy=service.policy_of(aor),
                           set_here={"privacy_mode": settings.privacy_mode,
                                     "authorization": settings.authorization.value if settings.authorization else None},
                           card=settings.card.as_dict(), calendar_intervals=len(service.calendar(aor).intervals))

    @app.get("/api/v1/presence/{user}", response_model=PresenceOut, dependencies=secured, responses=errors)
    async def show_presence(user: str) -> PresenceOut:
        aor = user_aor(user)
        now = time.time()
        aggregate = service.aggregate(aor, now)
        label = aggregate.custom or (aggregate.activity.label if aggregate.activity else aggregate.availability.label)
        return PresenceOut(aor=aor, availability=aggregate.availability.value, state=label,
                           lync_availability=aggregate.availability.lync_value,
                           activity=aggregate.activity.value if aggregate.activity else None,
                           note=aggregate.note, endpoints=aggregate.endpoints)

    @app.get("/api/v1/presence/{user}/relationships", response_model=list[RelationshipOut], dependencies=secured,
             responses=errors)
    async def list_relationships(user: str) -> list[RelationshipOut]:
        aor = user_aor(user)
        return [RelationshipOut(presentity=aor, watcher=watcher, relationship=relationship.value)
                for watcher, relationship in sorted(service.relationships_of(aor).items())]

    @app.put("/api/v1/presence/{user}/relationships/{watcher}", response_model=RelationshipOut,
             dependencies=secured, responses=errors)
    async def set_relationship(user: str, watcher: str, body: RelationshipIn) -> RelationshipOut:
        aor, who = user_aor(user), watcher_aor(watcher)
        try:
            relationship = Relationship.parse(body.relationship)
        except ValueError as error:
            raise api_error(422, "invalid", str(error), "relationship") from None
        await admin.store.set_relationship(aor, who, relationship)
        service.set_relationship(aor, who, relationship, time.time())
        admin.after_change()
        return RelationshipOut(presentity=aor, watcher=who, relationship=relationship.value)

    @app.delete("/api/v1/presence/{user}/relationships/{watcher}", status_code=204, dependencies=secured,
                responses=errors)
    async def clear_relationship(user: str, watcher: str) -> Response:
        aor, who = user_aor(user), watcher_aor(watcher)
        await admin.store.set_relationship(aor, who, None)
        service.set_relationship(aor, who, None, time.time())
        admin.after_change()
        return Response(status_code=204)

    @app.get("/api/v1/presence/{user}/settings", response_model=SettingsOut, dependencies=secured,
             responses=errors)
    async def show_settings(user: str) -> SettingsOut:
        return settings_out(user_aor(user))

    @app.patch("/api/v1/presence/{user}/settings", response_model=SettingsOut, dependencies=secured,
               responses=errors)
    async def change_settings(user: str, body: SettingsIn) -> SettingsOut:
        aor = user_aor(user)
        settings = service.settings_for(aor)
        if body.privacy_mode is not None:
            settings = replace(settings, privacy_mode=body.privacy_mode)
        if body.authorization is not None:
            choice = body.authorization.lower()
            try:
                settings = replace(settings, authorization=None if choice == "policy" else WatcherAuthorization(choice))
            except ValueError:
                raise api_error(422, "invalid", "must be open, confirm or policy", "authorization") from None
        if body.card is not None:
            changes = {name: value for name, value in body.card.model_dump().items() if value is not None}
            for name, value in changes.items():
                if not value.isprintable():
                    raise api_error(422, "invalid", "must be printable text", f"card.{name}")
            settings = replace(settings, card=ContactCard(**{**settings.card.as_dict(), **changes}))
        await admin.store.save_settings(aor, settings, service.calendar(aor).intervals)
        service.set_settings(aor, settings, time.time())
        admin.after_change()
        return settings_out(aor)

    @app.put("/api/v1/presence/{user}/calendar", response_model=SettingsOut, dependencies=secured,
             responses=errors, openapi_extra={"requestBody": {"content": {"text/calendar": {}}}})
    async def import_calendar(user: str, request: Request) -> SettingsOut:
        """Replace the user's busy times with those of an iCalendar document (VFREEBUSY
        FREEBUSY periods, VEVENTs), sent as the raw text/calendar body."""
        aor = user_aor(user)
        raw = await request.body()
        try:
            intervals = parse_busy(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise api_error(422, "invalid", "the calendar must be UTF-8 text", "calendar") from None
        except CalendarError as error:
            raise api_error(422, "invalid", str(error), "calendar") from None
        await admin.store.save_settings(aor, service.settings_for(aor), tuple(intervals))
        service.set_calendar(aor, intervals, time.time())
        admin.after_change()
        return settings_out(aor)


__all__ = ["PresenceAdmin", "add_presence_routes"]
