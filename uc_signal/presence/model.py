"""The Lync presence model: availability states, automatic activities, custom states,
the contact card, and the deployment's presence settings.

Lync publishes availability as a number (the "aggregateState" category); each state here
keeps its number so a Lync-minded client or report reads the same values, and its
mapping to PIDF (RFC 3863 basic open/closed) and RPID activities (RFC 4480 section 3.2),
which is what a SIMPLE client shows. docs/presence.md has the table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Availability(enum.Enum):
    """The states a user chooses (or the machine reaches), most available first: the order
    is the aggregation's ranking (docs/presence.md)."""

    AVAILABLE = "available"
    BUSY = "busy"
    DO_NOT_DISTURB = "do-not-disturb"
    BE_RIGHT_BACK = "be-right-back"
    AWAY = "away"
    OFF_WORK = "off-work"
    OFFLINE = "offline"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def lync_value(self) -> int:
        """Lync's aggregate availability number (Available 3500 ... Offline 18500)."""
        return LYNC_VALUES[self]

    @property
    def label(self) -> str:
        return LABELS[self]

    @classmethod
    def from_lync_value(cls, value: int) -> Availability:
        """Lync's ranges: 3000-5999 available (4500+ idle), 6000-8999 busy, 9000-11999
        DND, 12000-14999 BRB, 15000-17999 away, 18000+ offline."""
        for bound, state in _LYNC_RANGES:
            if value < bound:
                return state
        return cls.OFFLINE

    @classmethod
    def parse(cls, text: str) -> Availability:
        """A state by its token or label, case-blind ("busy", "Do Not Disturb", "dnd")."""
        key = text.strip().lower().replace("_", "-")
        found = _BY_NAME.get(key) or _BY_NAME.get(key.replace(" ", "-"))
        if found is None:
            raise ValueError(f"unknown availability {text!r} (one of: "
                             f"{', '.join(state.label for state in cls)})")
        return found


_RANK = {state: index for index, state in enumerate(Availability)}
LYNC_VALUES = {
    Availability.AVAILABLE: 3500, Availability.BUSY: 6500, Availability.DO_NOT_DISTURB: 9500,
    Availability.BE_RIGHT_BACK: 12500, Availability.AWAY: 15500, Availability.OFF_WORK: 15500,
    Availability.OFFLINE: 18500,
}
LABELS = {
    Availability.AVAILABLE: "Available", Availability.BUSY: "Busy",
    Availability.DO_NOT_DISTURB: "Do Not Disturb", Availability.BE_RIGHT_BACK: "Be Right Back",
    Availability.AWAY: "Away", Availability.OFF_WORK: "Off Work", Availability.OFFLINE: "Offline",
}
_LYNC_RANGES = ((6000, Availability.AVAILABLE), (9000, Availability.BUSY), (12000, Availability.DO_NOT_DISTURB),
                (15000, Availability.BE_RIGHT_BACK), (18000, Availability.AWAY))
_BY_NAME = {**{state.value: state for state in Availability},
            **{label.lower().replace(" ", "-"): state for state, label in LABELS.items()},
            "dnd": Availability.DO_NOT_DISTURB, "brb": Availability.BE_RIGHT_BACK,
            "online": Availability.AVAILABLE, "offwork": Availability.OFF_WORK,
            "berightback": Availability.BE_RIGHT_BACK, "donotdisturb": Availability.DO_NOT_DISTURB}


class Activity(enum.Enum):
    """What the server adds on its own (Lync's automatic states): all shown as Busy."""

    IN_A_CALL = "in-a-call"                # a call through this server (RPID on-the-phone)
    IN_A_CONFERENCE = "in-a-conference"    # a call to a conference focus (RFC 4579 isfocus)
    IN_A_MEETING = "in-a-meeting"          # the imported calendar is busy now (RPID meeting)

    @property
    def label(self) -> str:
        return {"in-a-call": "In a Call", "in-a-conference": "In a Conference",
                "in-a-meeting": "In a Meeting"}[self.value]


MAX_CUSTOM_STATES = 4
MAX_CUSTOM_TEXT = 64
# Lync binds custom states to these three only.
CUSTOM_STATE_BASES = (Availability.AVAILABLE, Availability.BUSY, Availability.DO_NOT_DISTURB)


@dataclass(frozen=True)
class CustomState:
    """A deployment's own state ("Working from home"), shown with its base's colour."""

    text: str
    availability: Availability

    def __post_init__(self) -> None:
        if not self.text or len(self.text) > MAX_CUSTOM_TEXT or not self.text.isprintable():
            raise ValueError(f"custom state text must be 1-{MAX_CUSTOM_TEXT} printable characters, "
                             f"got {self.text!r}")
        if self.availability not in CUSTOM_STATE_BASES:
            raise ValueError(f"a custom state is bound to Available, Busy or Do Not Disturb, "
                             f"not {self.availability.label}")


@dataclass(frozen=True)
class ContactCard:
    """The contact card fields a watcher may see (privacy decides which)."""

    title: str = ""
    email: str = ""
    office: str = ""
    work_phone: str = ""
    mobile_phone: str = ""
    home_phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in CARD_FIELDS}


CARD_FIELDS = ("title", "email", "office", "work_phone", "mobile_phone", "home_phone")
MAX_CARD_FIELD = 128


class WatcherAuthorization(enum.Enum):
    """Who may subscribe without the presentity's consent (RFC 3856 section 6.6)."""

    OPEN = "open"          # everyone; unknown watchers are Colleagues (or External Contacts)
    CONFIRM = "confirm"    # a watcher with no relationship set waits pending until one is set


@dataclass(frozen=True)
class UserPresenceSettings:
    """What a user (or an administrator for them) set: privacy mode (only contacts, i.e.
    watchers given a relationship, see presence), how new watchers are authorized, and
    the contact card. None: not set here, so the user's presence policy decides, else the
    deployment default (docs/presence.md, "Policies")."""

    privacy_mode: bool | None = None
    authorization: WatcherAuthorization | None = None
    card: ContactCard = field(default_factory=ContactCard)


@dataclass(frozen=True)
class PresencePolicy:
    """A named presence policy (`[presence.policies.NAME]`), assigned to users as
    `{"presence": NAME}`; None leaves a value to the deployment default."""

    authorization: WatcherAuthorization | None = None
    privacy_mode: bool | None = None


@dataclass(frozen=True)
class PresenceConfig:
    """The `[presence]` section's values as the sans-IO code uses them."""

    min_expires: int = 60                 # SUBSCRIBE and PUBLISH below this: 423
    max_expires: int = 3600               # granted at most
    default_expires: int = 3600           # RFC 3856 6.4 and RFC 3903 5: one hour
    idle_timeout: float = 300.0           # Available with no input for this long shows Away
    custom_states: tuple[CustomState, ...] = ()
    default_authorization: WatcherAuthorization = WatcherAuthorization.OPEN
    policies: tuple[tuple[str, PresencePolicy], ...] = ()

    def policy(self, name: str | None) -> PresencePolicy | None:
        return next((policy for policy_name, policy in self.policies if policy_name == name), None) \
            if name is not None else None

    def __post_init__(self) -> None:
        if len(self.custom_states) > MAX_CUSTOM_STATES:
            raise ValueError(f"at most {MAX_CUSTOM_STATES} custom states, got {len(self.custom_states)}")

    def custom_state(self, text: str) -> CustomState | None:
        folded = text.strip().casefold()
        return next((state for state in self.custom_states if state.text.casefold() == folded), None)
