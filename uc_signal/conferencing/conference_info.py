"""The RFC 4575 conference-info document as data, and partial updates between two states.

A full document carries the whole state; a partial one (RFC 4575 4.6) only what changed:
here the conference-description and conference-state elements whole when they changed,
and each changed <user> whole (state="full") or removed (state="deleted"). `diff` makes
the partial document from two full ones and `apply` folds a partial one into a full one,
so a subscriber that applies every partial notification holds the focus's full state
(tests/unit/test_conference_info_properties.py checks exactly that).

Mapping of the focus's roster (documented in docs/architecture.md):
- user roles: <roles><entry>organizer|presenter|attendee</entry></roles>;
- endpoint status: connected; muted-via-focus (connected, audio not mixed); pending (waiting
  in the lobby); dialing-in (a caller still at the auto attendant);
- media status: sendrecv, or recvonly while muted (the endpoint only receives);
- active speakers: an extension element in conference-state,
  <uc:active-speakers><uc:speaker entity="..."/></uc:active-speakers>, most recent first,
  in the namespace urn:ucserver:params:xml:ns:conference-info-ext.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class DocState(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    DELETED = "deleted"


ENDPOINT_STATUSES = frozenset({"connected", "disconnected", "on-hold", "muted-via-focus", "pending", "alerting",
                               "dialing-in", "dialing-out", "disconnecting"})
MEDIA_STATUSES = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})
JOINING_METHODS = frozenset({"dialed-in", "dialed-out", "focus-owner"})


@dataclass(frozen=True)
class MediaInfo:
    id: str
    type: str = "audio"
    label: str | None = None
    status: str = "sendrecv"


@dataclass(frozen=True)
class EndpointInfo:
    entity: str
    display_text: str = ""
    status: str = "connected"
    joining_method: str | None = "dialed-in"
    media: tuple[MediaInfo, ...] = ()


@dataclass(frozen=True)
class UserInfo:
    entity: str
    display_text: str = ""
    roles: tuple[str, ...] = ()
    endpoints: tuple[EndpointInfo, ...] = ()
    state: DocState = DocState.FULL     # in a partial document: FULL (replace) or DELETED


@dataclass(frozen=True)
class DescriptionInfo:
    subject: str = ""
    conf_uri: str | None = None
    maximum_user_count: int | None = None


@dataclass(frozen=True)
class StateInfo:
    user_count: int = 0
    active: bool = True
    locked: bool = False
    active_speakers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConferenceInfo:
    entity: str
    version: int
    state: DocState = DocState.FULL
    description: DescriptionInfo | None = None   # None in a partial document: unchanged
    conference_state: StateInfo | None = None
    users: tuple[UserInfo, ...] = ()             # a focus's full documents list them by entity

    def user(self, entity: str) -> UserInfo | None:
        return next((user for user in self.users if user.entity == entity), None)


class ConferenceInfoMismatch(ValueError):
    """A partial document that cannot be applied (another conference, or a gap in versions)."""


def diff(old: ConferenceInfo, new: ConferenceInfo) -> ConferenceInfo:
    """The partial document taking `old` to `new` (both full), with `new`'s version."""
    old_users = {user.entity: user for user in old.users}
    new_users = {user.entity: user for user in new.users}
    changed = tuple(user for user in new.users if old_users.get(user.entity) != user)
    deleted = tuple(UserInfo(entity, state=DocState.DELETED) for entity in old_users if entity not in new_users)
    return ConferenceInfo(
        entity=new.entity, version=new.version, state=DocState.PARTIAL,
        description=new.description if new.description != old.description else None,
        conference_state=new.conference_state if new.conference_state != old.conference_state else None,
        users=changed + deleted)


def apply(full: ConferenceInfo, partial: ConferenceInfo) -> ConferenceInfo:
    """`full` with `partial` folded in (RFC 4575 4.6: versions must follow one another)."""
    if partial.state is DocState.FULL:
        return partial
    if partial.entity != full.entity:
        raise ConferenceInfoMismatch(f"partial document for {partial.entity}, state is for {full.entity}")
    if partial.version != full.version + 1:
        raise ConferenceInfoMismatch(f"version {partial.version} does not follow {full.version}: "
                                     "resubscribe for a full document")
    users = {user.entity: user for user in full.users}
    for user in partial.users:
        if user.state is DocState.DELETED:
            users.pop(user.entity, None)
        else:
            users[user.entity] = replace(user, state=DocState.FULL)
    return ConferenceInfo(
        entity=full.entity, version=partial.version, state=DocState.FULL,
        description=partial.description if partial.description is not None else full.description,
        conference_state=partial.conference_state if partial.conference_state is not None else full.conference_state,
        users=tuple(sorted(users.values(), key=lambda user: user.entity)))


def is_empty_update(partial: ConferenceInfo) -> bool:
    return partial.description is None and partial.conference_state is None and not partial.users
