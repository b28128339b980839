"""Who joins as what, and who waits in the lobby: one pure decision per joiner.

The decision table (docs/architecture.md, "As built: conferencing directory, roster and
dial-in", has it as a table):

1. The organizer (authenticated as the meeting's organizer, or a dial-in leader whose PIN
   is the organizer's) joins as organizer and never waits.
2. The role: presenter policy `everyone` makes everyone a presenter; `company` makes
   authenticated company users presenters; `none` leaves everyone else an attendee.
3. The lobby, for everyone but the organizer:
   - a locked meeting sends everyone to the lobby (a presenter can still admit them);
   - otherwise a joiner who would be a presenter gets in directly (presenters admit
     others; making them wait for each other helps nobody);
   - a PSTN caller without a leader PIN gets in directly if the meeting's PSTN bypass
     flag is set, else is judged like an anonymous user;
   - lobby policy `nobody`: in directly; `unauthenticated`: anonymous joiners wait;
     `outside-company`: anyone not authenticated as a company user waits (anonymous and
     federated users alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .meeting import LobbyPolicy, PresenterPolicy


class Role(StrEnum):
    """RFC 4575 <roles> entries; Lync's names."""

    ORGANIZER = "organizer"
    PRESENTER = "presenter"
    ATTENDEE = "attendee"

    @property
    def can_control(self) -> bool:
        return self is not Role.ATTENDEE


@dataclass(frozen=True)
class Joiner:
    """What the focus knows about someone asking to join."""

    entity: str                    # sip:alice@example.test, or tel:+1425... for an anonymous caller
    display_name: str = ""
    authenticated: bool = False    # digest-authenticated, or a dial-in leader whose PIN checked out
    in_company: bool = False       # the authenticated identity is one of this server's users
    via_pstn: bool = False         # came through the dial-in auto attendant


@dataclass(frozen=True)
class MeetingPolicies:
    """The part of a meeting the decision reads (a Meeting has all of these fields)."""

    organizer: str
    presenter_policy: PresenterPolicy
    lobby_policy: LobbyPolicy
    pstn_bypass_lobby: bool
    locked: bool = False


class LobbyReason(StrEnum):
    LOCKED = "locked"
    UNAUTHENTICATED = "unauthenticated"
    OUTSIDE_COMPANY = "outside-company"


@dataclass(frozen=True)
class Admission:
    role: Role
    lobby: LobbyReason | None      # None: in directly

    @property
    def waits(self) -> bool:
        return self.lobby is not None


def role_for(policies: MeetingPolicies, joiner: Joiner) -> Role:
    company_user = joiner.authenticated and joiner.in_company
    if company_user and joiner.entity == policies.organizer:
        return Role.ORGANIZER
    if policies.presenter_policy is PresenterPolicy.EVERYONE:
        return Role.PRESENTER
    if policies.presenter_policy is PresenterPolicy.COMPANY and company_user:
        return Role.PRESENTER
    return Role.ATTENDEE


def decide(policies: MeetingPolicies, joiner: Joiner) -> Admission:
    role = role_for(policies, joiner)
    if role is Role.ORGANIZER:
        return Admission(role, None)
    if policies.locked:
        return Admission(role, LobbyReason.LOCKED)
    if role is Role.PRESENTER:
        return Admission(role, None)
    if joiner.via_pstn and not joiner.authenticated and policies.pstn_bypass_lobby:
        return Admission(role, None)
    if policies.lobby_policy is LobbyPolicy.UNAUTHENTICATED and not joiner.authenticated:
        return Admission(role, LobbyReason.UNAUTHENTICATED)
    if policies.lobby_policy is LobbyPolicy.OUTSIDE_COMPANY and not (joiner.authenticated and joiner.in_company):
        return Admission(role, LobbyReason.OUTSIDE_COMPANY)
    return Admission(role, None)
