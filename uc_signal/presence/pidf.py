"""PIDF (RFC 3863) with the data model (RFC 4479) and RPID (RFC 4480): what one endpoint
published, parsed; and the document a watcher is sent, built.

Parsing is safe by construction: defusedxml refuses DTDs, entity declarations and external
references outright (the billion laughs and XXE need one of them), and a document that
fails any check is a `PidfError` (the PUBLISH is answered 400 and changes nothing).

Which state a document means (docs/presence.md, "From PIDF to a state"):
- our extension `<ucs:availability>` (Lync's number) is exact, and user-set;
- else basic closed is Offline, except closed + busy, which linphone publishes for Do Not
  Disturb; RPID `other` texts name DND, Be Right Back, Off Work or a custom state;
  `busy`, `on-the-phone`, `meeting`... are Busy, `away`, `vacation`, `lunch`... are Away,
  `in-transit` is Be Right Back;
- open with no activity is Available, the machine's state (not user-set).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError as XmlParseError  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring

from .model import Activity, Availability, ContactCard, CustomState

PIDF_NS = "urn:ietf:params:xml:ns:pidf"
DM_NS = "urn:ietf:params:xml:ns:pidf:data-model"
RPID_NS = "urn:ietf:params:xml:ns:pidf:rpid"
UCS_NS = "urn:ucserver:params:xml:ns:presence"   # Lync's number, state, card: our extension
PIDF_CONTENT_TYPE = "application/pidf+xml"
MAX_PIDF_BYTES = 64 * 1024
MAX_TEXT = 1024   # a note or location longer than this is cut (a hostile client's essay)


class PidfError(ValueError):
    """Not a usable PIDF document: malformed XML, a DTD or entity, the wrong root..."""


@dataclass(frozen=True)
class PublishedState:
    """What one endpoint's publication says."""

    availability: Availability
    user_set: bool            # chosen by the user (overrides machine state when aggregating)
    idle: bool = False        # RPID user-input idle
    note: str = ""
    location: str = ""
    custom: str = ""          # a configured custom state's text


_AWAY_ACTIVITIES = frozenset({"away", "vacation", "holiday", "permanent-absence", "lunch", "meal",
                              "breakfast", "dinner", "sleeping"})
_BUSY_ACTIVITIES = frozenset({"busy", "on-the-phone", "meeting", "appointment", "presentation",
                              "performance", "working", "steering"})
_OTHER_STATES = {"do-not-disturb": Availability.DO_NOT_DISTURB, "do not disturb": Availability.DO_NOT_DISTURB,
                 "dnd": Availability.DO_NOT_DISTURB, "donotdisturb": Availability.DO_NOT_DISTURB,
                 "be right back": Availability.BE_RIGHT_BACK, "be-right-back": Availability.BE_RIGHT_BACK,
                 "berightback": Availability.BE_RIGHT_BACK, "brb": Availability.BE_RIGHT_BACK,
                 "off work": Availability.OFF_WORK, "off-work": Availability.OFF_WORK}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())[:MAX_TEXT]


def parse_pidf(body: bytes, custom_states: tuple[CustomState, ...] = ()) -> PublishedState:
    """The state a PIDF body publishes; PidfError if it is not a safe, valid document."""
    if len(body) > MAX_PIDF_BYTES:
        raise PidfError(f"PIDF document of {len(body)} bytes (at most {MAX_PIDF_BYTES})")
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise PidfError(f"refused XML construct: {type(error).__name__}") from None
    except (XmlParseError, ValueError, TypeError) as error:  # expat errors; bad encodings
        raise PidfError(f"malformed XML: {error}") from None
    if root.tag != _q(PIDF_NS, "presence"):
        raise PidfError(f"root element is {root.tag!r}, not PIDF presence (RFC 3863 4.1.1)")
    if not root.get("entity"):
        raise PidfError("presence has no entity attribute (RFC 3863 4.1.2)")
    basics = [_text(tuple_.find(f"{_q(PIDF_NS, 'status')}/{_q(PIDF_NS, 'basic')}")).lower()
              for tuple_ in root.iter(_q(PIDF_NS, "tuple"))]
    if any(basic not in ("", "open", "closed") for basic in basics):
        raise PidfError("basic status must be open or closed (RFC 3863 4.1.4)")
    is_open = "open" in basics or not any(basics)
    activities: list[str] = []
    others: list[str] = []
    for group in root.iter(_q(RPID_NS, "activities")):
        for child in group:
            if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{RPID_NS}}}"):
                continue
            name = child.tag.split("}", 1)[1]
            (others if name == "other" else activities).append(_text(child) if name == "other" else name)
    idle = any(_text(element).lower() == "idle" for element in root.iter(_q(RPID_NS, "user-input")))
    note = next((text for tag in (_q(DM_NS, "note"), _q(PIDF_NS, "note"))
                 for element in root.iter(tag) if (text := _text(element))), "")
    location = _text(next(root.iter(_q(UCS_NS, "location")), None))
    number = _text(next(root.iter(_q(UCS_NS, "availability")), None))
    custom = ""
    if number:
        if not number.isdigit() or len(number) > 6:
            raise PidfError(f"ucs:availability must be a Lync availability number, got {number!r}")
        availability, user_set = Availability.from_lync_value(int(number)), True
        # Off Work shares Away's number; the `other` token tells them apart.
        availability = next((_OTHER_STATES[o.casefold()] for o in others if o.casefold() in _OTHER_STATES
                             and _OTHER_STATES[o.casefold()].lync_value == availability.lync_value), availability)
        custom = next((o for o in others if any(s.text.casefold() == o.casefold() for s in custom_states)), "")
    else:
        availability, user_set, custom = _from_rpid(is_open, activities, others, custom_states)
    return PublishedState(availability, user_set, idle, note, location, custom)


def _from_rpid(is_open: bool, activities: list[str], others: list[str],
               custom_states: tuple[CustomState, ...]) -> tuple[Availability, bool, str]:
    for other in others:
        folded = other.casefold()
        for state in custom_states:
            if state.text.casefold() == folded:
                return state.availability, True, state.text
        if folded in _OTHER_STATES:
            return _OTHER_STATES[folded], True, ""
    if not is_open:
        # linphone's Do Not Disturb is closed + busy; closed alone is "appear offline".
        return (Availability.DO_NOT_DISTURB if "busy" in activities else Availability.OFFLINE), True, ""
    if "in-transit" in activities:
        return Availability.BE_RIGHT_BACK, True, ""
    if any(activity in _BUSY_ACTIVITIES for activity in activities):
        return Availability.BUSY, True, ""
    if any(activity in _AWAY_ACTIVITIES for activity in activities):
        return Availability.AWAY, True, ""
    return Availability.AVAILABLE, False, ""


# --- building ----------------------------------------------------------------------------

@dataclass(frozen=True)
class WatcherView:
    """Everything one watcher is shown of a presentity (privacy applied already)."""

    availability: Availability
    activity: Activity | None = None
    custom: str = ""
    note: str = ""
    location: str = ""
    meeting_until: float | None = None
    card: tuple[tuple[str, str], ...] = ()     # (field, value) pairs the watcher may see


# RPID activities per state (RFC 4480 3.2), what a SIMPLE client shows; `other` names the
# Lync states RPID has no token for.
_RPID_FOR_STATE: dict[Availability, tuple[tuple[str, ...], str]] = {
    Availability.AVAILABLE: ((), ""),
    Availability.BUSY: (("busy",), ""),
    Availability.DO_NOT_DISTURB: (("busy",), "Do Not Disturb"),
    Availability.BE_RIGHT_BACK: (("away",), "Be Right Back"),
    Availability.AWAY: (("away",), ""),
    Availability.OFF_WORK: (("away",), "Off Work"),
    Availability.OFFLINE: ((), ""),
}
_RPID_FOR_ACTIVITY: dict[Activity, tuple[tuple[str, ...], str]] = {
    Activity.IN_A_CALL: (("busy", "on-the-phone"), ""),
    Activity.IN_A_CONFERENCE: (("busy", "on-the-phone"), "In a Conference"),
    Activity.IN_A_MEETING: (("busy", "meeting"), ""),
}


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_pidf(entity: str, view: WatcherView) -> bytes:
    """The PIDF document for `view` of `entity` (an AOR): one tuple with the basic status
    and one person with RPID activities, the note and our extension elements."""
    offline = view.availability is Availability.OFFLINE
    if view.activity is not None and not offline:
        tokens, other = _RPID_FOR_ACTIVITY[view.activity]
    else:
        tokens, other = _RPID_FOR_STATE[view.availability]
    if view.custom:
        other = view.custom
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             f'<presence xmlns="{PIDF_NS}" xmlns:dm="{DM_NS}" xmlns:rpid="{RPID_NS}" '
             f'xmlns:ucs="{UCS_NS}" entity={quoteattr(entity)}>\n'
             f'<tuple id="ucs-aggregate"><status><basic>{"closed" if offline else "open"}</basic></status>'
             f'<contact>{escape(entity)}</contact>'
             + (f"<note>{escape(view.note)}</note>" if view.note else "") + "</tuple>\n"
             '<dm:person id="ucs-person">']
    if tokens or other:
        parts.append("<rpid:activities>" + "".join(f"<rpid:{token}/>" for token in tokens)
                     + (f"<rpid:other>{escape(other)}</rpid:other>" if other else "") + "</rpid:activities>")
    if view.note:
        parts.append(f"<dm:note>{escape(view.note)}</dm:note>")
    state = view.custom or (view.activity.label if view.activity and not offline else view.availability.label)
    parts.append(f"<ucs:availability>{view.availability.lync_value}</ucs:availability>"
                 f"<ucs:state>{escape(state)}</ucs:state>")
    if view.activity is not None and not offline:
        parts.append(f"<ucs:activity>{view.activity.value}</ucs:activity>")
    if view.meeting_until is not None and not offline:
        parts.append(f"<ucs:meeting-until>{_iso(view.meeting_until)}</ucs:meeting-until>")
    if view.location:
        parts.append(f"<ucs:location>{escape(view.location)}</ucs:location>")
    if view.card:
        parts.append("<ucs:card>" + "".join(f"<ucs:{name.replace('_', '-')}>{escape(value)}"
                                             f"</ucs:{name.replace('_', '-')}>" for name, value in view.card)
                     + "</ucs:card>")
    parts.append("</dm:person>\n</presence>\n")
    return "".join(parts).encode()


def card_pairs(card: ContactCard, fields: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """The card's non-empty fields among `fields`, in the card's order."""
    return tuple((name, value) for name, value in card.as_dict().items() if value and name in fields)
