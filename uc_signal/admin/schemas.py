"""The admin API's request and response bodies (pydantic; they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(description='"alice", "alice@example.test" or "sip:alice@example.test" '
                                  "(without a domain: the server's SIP domain)", examples=["alice"])
    password: str = Field(min_length=1, description="hashed to HA1 (MD5 and SHA-256) and never stored")
    display_name: str = ""
    line_uri: str | None = Field(default=None, description="tel:+E.164, optionally ;ext=NNN",
                                 examples=["tel:+14255550100"])
    enabled: bool = True
    policies: dict[str, str] = Field(default_factory=dict, description="policy kind -> policy name",
                                     examples=[{"voice": "International"}])


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str | None = Field(default=None, min_length=1)
    display_name: str | None = None
    line_uri: str | None = Field(default=None, description='tel:+E.164; "" clears it')
    enabled: bool | None = None
    policies: dict[str, str] | None = Field(default=None, description="replaces the whole assignment")


class UserOut(BaseModel):
    uri: str
    username: str
    domain: str
    display_name: str
    line_uri: str | None
    enabled: bool
    policies: dict[str, str]
    digest_algorithms: list[str] = Field(description="algorithms an HA1 is stored for")
    created_at: float
    updated_at: float


class RegistrationOut(BaseModel):
    aor: str
    contact: str
    expires_in: int
    expires_at: float
    q: float | None
    transport: str
    source: str = Field(description="host:port the REGISTER came from")
    user_agent: str
    instance: str | None
    reg_id: int | None
    path: list[str]
    registered_at: float


class ServerOut(BaseModel):
    version: str
    domain: str
    listening: dict[str, list[str]]
    users: int
    registrations: int
    draining: bool


class ErrorOut(BaseModel):
    error: str = Field(description="not_found, duplicate, invalid, unauthorized")
    detail: str
    field: str | None = None


# --- conferencing ------------------------------------------------------------------------------

class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organizer: str = Field(description='"alice", "alice@example.test" or "sip:alice@example.test"',
                           examples=["alice"])
    subject: str = ""
    kind: Literal["meet-now", "scheduled"] | None = Field(
        default=None, description="default: scheduled when start and end are given, else meet-now")
    start: datetime | None = Field(default=None, description="ISO 8601 (UTC if no offset) or epoch seconds")
    end: datetime | None = None
    presenter_policy: Literal["none", "company", "everyone"] | None = Field(
        default=None, description="who joins as a presenter; default from [conferencing] presenters")
    lobby_policy: Literal["nobody", "unauthenticated", "outside-company"] | None = Field(
        default=None, description="who waits in the lobby; default from [conferencing] lobby")
    pstn_bypass_lobby: bool | None = Field(default=None, description="dial-in callers get in directly")


class MeetingUpdate(BaseModel):
    """A meeting's settings to change (absent: unchanged); what the focus factory's
    modifyConference can change, with the directory's validation."""
    model_config = ConfigDict(extra="forbid")
    subject: str | None = None
    end: datetime | None = Field(default=None, description="a scheduled meeting's new end (ISO 8601, UTC if no "
                                 "offset, or epoch seconds); the expiry moves with it unless expires_at is given")
    expires_at: datetime | None = Field(default=None, description="when the meeting is gone; after its end")
    presenter_policy: Literal["none", "company", "everyone"] | None = None
    lobby_policy: Literal["nobody", "unauthenticated", "outside-company"] | None = None
    pstn_bypass_lobby: bool | None = None
    locked: bool | None = Field(default=None, description="a running meeting takes it at its next join; "
                                "POST .../controls/lock locks the roster at once")


class MeetingOut(BaseModel):
    meeting_id: str
    conference_id: str = Field(description="what dial-in callers key in")
    conference_uri: str = Field(description="the focus URI clients join")
    organizer: str
    kind: str
    subject: str
    start: float | None
    end: float | None
    expires_at: float
    presenter_policy: str
    lobby_policy: str
    pstn_bypass_lobby: bool
    locked: bool
    created_at: float


class PinSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pin: str = Field(min_length=1, description="digits; checked against the PIN policy, stored as a hash only")


class PinOut(BaseModel):
    user: str
    pin_set: bool
    failed_attempts: int
    locked_out: bool
    updated_at: float


# --- contact lists (uc_signal.rls) ----------------------------------------------------------

class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uri: str = Field(description='"bob", "bob@example.test" or "sip:bob@example.test"', examples=["bob"])
    display_name: str = ""
    groups: list[str] = Field(default_factory=list, description="group names; a new name makes the group")
    relationship: str | None = Field(default=None, description="friends-and-family, workgroup, colleague, "
                                                               "external or blocked (presence's access level)")


class ContactOut(BaseModel):
    uri: str
    display_name: str
    groups: list[str]
    relationship: str | None


class ContactListOut(BaseModel):
    owner: str
    list_uri: str = Field(description="what a client subscribes to (RFC 4662, Event: presence)")
    policy: str = Field(description="the contacts policy in force")
    max_contacts: int
    contacts: list[ContactOut]
    groups: list[str]


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class ImHistoryOut(BaseModel):
    id: int
    sender: str = Field(description="AOR of the writer")
    recipient: str = Field(description="AOR of the participant it was delivered to")
    conversation: str | None = Field(description="the conversation URI of a multiparty message")
    content_type: str
    text: str
    sent_at: float = Field(description="when ucd accepted it (Unix seconds)")
    delivered_at: float = Field(description="when an endpoint of the recipient took it")


class ImConversationOut(BaseModel):
    uri: str
    created_by: str
    created_at: float
    participants: list[str]


class ImOfflineOut(BaseModel):
    id: int
    recipient: str
    sender: str
    content_type: str
    size: int = Field(description="body bytes")
    received_at: float
    conversation: str | None
