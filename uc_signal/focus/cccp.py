"""A documented subset of Lync's conference control protocol (C3P, [MS-CONFBAS] and
[MS-CONFAV]): `application/cccp+xml` bodies of SIP INFO requests a participant sends
the focus in its dialog. One control per request, in C3P's element names, simplified:

    <request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="7"
             from="sip:alice@example.test" to="<conference URI>">
      <modifyEndpointMedia><userKeys userEntity="sip:bob@example.test"/>
        <media><status>recvonly</status></media></modifyEndpointMedia>       mute (sendrecv: unmute)
      <modifyConference><mute-audience>true</mute-audience></modifyConference>  audience mute / unmute
      <modifyConferenceLock><locked>true</locked></modifyConferenceLock>      lock / unlock
      <deleteUser><userKeys userEntity="..."/></deleteUser>                    eject
      <setLobbyAccess><userKeys userEntity="..."/><access>granted</access></setLobbyAccess>
                                                                               admit (denied: deny)
      <modifyUserRoles><userKeys userEntity="..."/>
        <user-roles><entry>presenter</entry></user-roles></modifyUserRoles>    promote (attendee: demote)
      <deleteConference/>                                                      end the meeting
    </request>

Lync's own clients send more (MCU URIs, endpoint keys, several media entries); this is not
byte-compatible with them. XML is parsed with defusedxml (no DTD, no entities): anything
else is a `CccpError` (400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError as XmlParseError  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring

CONTENT_TYPE = "application/cccp+xml"
NAMESPACE = "urn:ietf:params:xml:ns:cccp"
MAX_BODY = 16_384


class CccpError(ValueError):
    """A body that is not one control of the subset."""


@dataclass(frozen=True)
class CccpRequest:
    request_id: str
    command: str            # one of roster.CONTROLS
    target: str | None      # the participant's entity, when the control names one


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: Element, *path: str) -> str:
    node: Element | None = element
    for name in path:
        node = _child(node, name) if node is not None else None
    if node is None or not (node.text or "").strip():
        raise CccpError(f"missing {'/'.join(path)}")
    return (node.text or "").strip()


def _user(element: Element) -> str:
    keys = _child(element, "userKeys")
    entity = keys.get("userEntity") if keys is not None else None
    if not entity:
        raise CccpError(f"{_local(element.tag)} needs <userKeys userEntity=...>")
    return entity.strip()


def _flag(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise CccpError(f"expected true or false, not {value[:20]!r}")
    return value.lower() == "true"


def _root(body: bytes) -> Element:
    """A C3P <request> parsed safely (defusedxml: no DTD, no entities, 16 KiB at most)."""
    if len(body) > MAX_BODY:
        raise CccpError("body too large")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (XmlParseError, DefusedXmlException, ValueError) as error:
        raise CccpError(f"not XML: {error}") from None
    if _local(root.tag) != "request":
        raise CccpError("the root is not <request>")
    return root


def _one_control(root: Element, refusal: str) -> Element:
    """The request's one control element; CccpError(refusal) if there are more or none."""
    controls = list(root)
    if len(controls) != 1:
        raise CccpError(refusal)
    return controls[0]


def parse_request(body: bytes) -> CccpRequest:
    root = _root(body)
    control = _one_control(root, "one control per request")
    name = _local(control.tag)
    request_id = root.get("requestId", "")
    if name == "modifyEndpointMedia":
        status = _text(control, "media", "status")
        if status not in ("recvonly", "sendrecv"):
            raise CccpError(f"media status {status[:20]!r}: recvonly or sendrecv")
        return CccpRequest(request_id, "mute" if status == "recvonly" else "unmute", _user(control))
    if name == "modifyConference":
        muted = _flag(_text(control, "mute-audience"))
        return CccpRequest(request_id, "audience-mute" if muted else "audience-unmute", None)
    if name == "modifyConferenceLock":
        return CccpRequest(request_id, "lock" if _flag(_text(control, "locked")) else "unlock", None)
    if name == "deleteUser":
        return CccpRequest(request_id, "eject", _user(control))
    if name == "setLobbyAccess":
        access = _text(control, "access")
        if access not in ("granted", "denied"):
            raise CccpError(f"lobby access {access[:20]!r}: granted or denied")
        return CccpRequest(request_id, "admit" if access == "granted" else "deny", _user(control))
    if name == "modifyUserRoles":
        role = _text(control, "user-roles", "entry")
        if role not in ("presenter", "attendee"):
            raise CccpError(f"role {role[:20]!r}: presenter or attendee")
        return CccpRequest(request_id, "promote" if role == "presenter" else "demote", _user(control))
    if name == "deleteConference":
        return CccpRequest(request_id, "end", None)
    raise CccpError(f"control <{name[:40]}> is not supported")


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def _response_head(request_id: str, sender: str, receiver: str) -> str:
    """A C3P <response> up to its code attribute."""
    return (f'<?xml version="1.0" encoding="utf-8"?>\r\n<response xmlns="{NAMESPACE}" C3PVersion="1" '
            f'requestId="{_escape(request_id)}" from="{_escape(sender)}" to="{_escape(receiver)}" ')


def _command_failure(head: str, command: str, reason: str) -> bytes:
    """A failed focus factory command: the reason on the command element, where
    [MS-CONFPRO] 3.1.5.3 has the client read it, and on <response> as well (what this
    server's first version sent)."""
    return (head + f'code="failure" reason="{_escape(reason)}"><{command} reason="{_escape(reason)}"/>'
            '</response>').encode()


def build_response(request_id: str, conference: str, actor: str, reason: str | None = None) -> bytes:
    """C3P's <response>: code="success", or "failure" with the reason."""
    code = "success" if reason is None else "failure"
    inner = "" if reason is None else f"<reason>{_escape(reason)}</reason>"
    return (_response_head(request_id, conference, actor) + f'code="{code}">{inner}</response>').encode()


# --- addConference: meet-now through the focus factory ([MS-CONFBAS] 3.2.5.1, [MS-CONFPRO]) ---------
#
# The organizer's client sends a SIP SERVICE to its focus factory,
# sip:<organizer>;gruu;opaque=app:conf:focusfactory, with:
#
#   <request xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="68537848"
#            from="sip:alice@example.test" to="sip:alice@example.test;gruu;opaque=app:conf:focusfactory">
#     <addConference>
#       <ci:conference-info xmlns:ci="urn:ietf:params:xml:ns:conference-info" entity=""
#                           xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions">
#         <ci:conference-description>
#           <ci:subject>Stand-up</ci:subject>                          optional
#           <msci:conference-id>TPDD8VYG</msci:conference-id>          the client's; ignored (ours is drawn)
#           <msci:admission-policy>openAuthenticated</msci:admission-policy>   optional, see below
#           <msci:pstn-lobby-bypass>true</msci:pstn-lobby-bypass>       optional
#         </ci:conference-description>
#       </ci:conference-info>
#     </addConference>
#   </request>
#
# msci:admission-policy maps onto the meeting's lobby policy: `anonymous` -> nobody waits,
# `openAuthenticated` -> outside-company waits, `closedAuthenticated` -> outside-company
# waits (invitee lists are not kept). Other elements Lync clients send (conference-view,
# autopromote, expiry-time, pstn-access, the conference-state's locked) are read past.
# The answer (200, same content type):
#
#   <response xmlns="urn:ietf:params:xml:ns:cccp" C3PVersion="1" requestId="68537848"
#             from="<focus factory URI>" to="sip:alice@example.test" code="success">
#     <addConference>
#       <conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
#                        xmlns:msci="http://schemas.microsoft.com/rtc/2005/08/confinfoextensions"
#                        entity="sip:alice@example.test;gruu;opaque=app:conf:focus:id:F3K4X9Q2">
#         <conference-description>
#           <subject>Stand-up</subject>
#           <msci:conference-id>F3K4X9Q2</msci:conference-id>          the id in the conference URI
#           <msci:pstn-access><msci:conference-id>4711081</msci:conference-id></msci:pstn-access>
#                                                                      the numeric dial-in ID (our naming)
#         </conference-description>
#       </conference-info>
#     </addConference>
#   </response>
#
# A refusal is code="failure" with a reason attribute on <addConference> ([MS-CONFPRO] 3.1.5.3)
# and on <response>:
# requestMalformed (400), unauthorized (403), notFound (404: no such organizer here),
# otherFailure (500).

CONFERENCE_INFO_NS = "urn:ietf:params:xml:ns:conference-info"
MSCI_NS = "http://schemas.microsoft.com/rtc/2005/08/confinfoextensions"
ADMISSION_POLICIES = {"anonymous": "nobody", "openAuthenticated": "outside-company",
                      "closedAuthenticated": "outside-company"}
MAX_SUBJECT = 256


@dataclass(frozen=True)
class AddConference:
    request_id: str
    subject: str = ""
    lobby_policy: str | None = None        # a conferencing.LobbyPolicy value, or the configured default
    pstn_bypass_lobby: bool | None = None


def _subject(description: Element) -> str | None:
    element = _child(description, "subject")
    if element is None:
        return None
    subject = " ".join((element.text or "").split())
    if len(subject) > MAX_SUBJECT:
        raise CccpError(f"subject longer than {MAX_SUBJECT} characters")
    if not subject.isprintable():
        raise CccpError("subject has characters that are not printable")
    return subject


def _admission(description: Element) -> str | None:
    policy = _child(description, "admission-policy")
    if policy is None:
        return None
    value = (policy.text or "").strip()
    if value not in ADMISSION_POLICIES:
        raise CccpError(f"admission-policy {value[:30]!r}: {', '.join(ADMISSION_POLICIES)}")
    return ADMISSION_POLICIES[value]


def _optional_flag(parent: Element | None, name: str) -> bool | None:
    element = _child(parent, name) if parent is not None else None
    return _flag((element.text or "").strip()) if element is not None else None


def _add_conference(control: Element, request_id: str) -> AddConference:
    info = _child(control, "conference-info")
    description = _child(info, "conference-description") if info is not None else None
    if description is None:
        return AddConference(request_id)
    return AddConference(request_id, _subject(description) or "", _admission(description),
                         _optional_flag(description, "pstn-lobby-bypass"))


def parse_add_conference(body: bytes) -> AddConference:
    """An addConference request (the subset above); CccpError for anything else."""
    root = _root(body)
    refusal = "the focus factory takes one <addConference> per request"
    control = _one_control(root, refusal)
    if _local(control.tag) != "addConference":
        raise CccpError(refusal)
    return _add_conference(control, root.get("requestId", ""))


def build_add_conference_response(request_id: str, factory: str, organizer: str, *, conference_uri: str = "",
                                  meeting_id: str = "", conference_id: str = "", subject: str = "",
                                  reason: str | None = None) -> bytes:
    """The addConference response: success with the new meeting's URI and IDs, or
    failure with `reason` (requestMalformed, unauthorized, notFound, otherFailure)."""
    head = _response_head(request_id, factory, organizer)
    if reason is not None:
        return _command_failure(head, "addConference", reason)
    return (head + 'code="success"><addConference>'
            f'<conference-info xmlns="{CONFERENCE_INFO_NS}" xmlns:msci="{MSCI_NS}" entity="{_escape(conference_uri)}">'
            f'<conference-description><subject>{_escape(subject)}</subject>'
            f'<msci:conference-id>{_escape(meeting_id)}</msci:conference-id>'
            f'<msci:pstn-access><msci:conference-id>{_escape(conference_id)}</msci:conference-id></msci:pstn-access>'
            '</conference-description></conference-info></addConference></response>').encode()


# --- managing the organizer's meetings through the focus factory ---------------------------------
#
# Besides addConference, the organizer's client sends its focus factory (the same SERVICE, the
# same URI) getConference, modifyConference, deleteConference and getConferences ([MS-CONFPRO]
# 3.1.4: "Query for a List of Conferences", 4.5: "Query for the Details of a Conference";
# [MS-CONFBAS] 3.2.5.5, 2.2.3.14). A meeting is named by <conferenceKeys> with the
# msci:conference-id attribute (the meeting ID, [MS-CONFPRO] 4.5) or confEntity (its conference
# URI, [MS-CONFBAS] 4.4.7):
#
#   <getConference><conferenceKeys msci:conference-id="F3K4X9Q2"/></getConference>
#   <deleteConference><conferenceKeys confEntity="sip:alice@...;gruu;opaque=app:conf:focus:id:F3K4X9Q2"/>
#   </deleteConference>
#   <getConferences/>                                             the organizer's meetings, not expired
#   <modifyConference><conferenceKeys msci:conference-id="F3K4X9Q2"/>
#     <conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="">
#       <conference-description>
#         <subject>Planning</subject>
#         <msci:expiry-time>2026-12-01T10:00:00Z</msci:expiry-time>     xs:dateTime, UTC if no offset
#         <msci:end-time>2026-11-30T10:00:00Z</msci:end-time>           a scheduled meeting's end (our name)
#         <msci:admission-policy>anonymous</msci:admission-policy>     as in addConference
#         <msci:lobby-policy>unauthenticated</msci:lobby-policy>       the exact lobby policy (our name)
#         <msci:presenter-policy>everyone</msci:presenter-policy>      none | company | everyone (our name)
#         <msci:pstn-lobby-bypass>false</msci:pstn-lobby-bypass>
#       </conference-description>
#       <conference-state><locked>true</locked></conference-state>
#     </conference-info>
#   </modifyConference>
#
# Every element of the modification is optional: what is absent stays. Lync's clients send
# more (conference-view, autopromote as a bit mask, invitee lists, encryption keys); it is
# read past. The answers carry a conference-info per meeting (below); deleteConference's is
# the deleted meeting's entity only ([MS-CONFBAS] 2.2.3.14).

FACTORY_COMMANDS = ("addConference", "getConference", "modifyConference", "deleteConference", "getConferences")
LOBBY_POLICIES = ("nobody", "unauthenticated", "outside-company")
PRESENTER_POLICIES = ("none", "company", "everyone")
# The admission policy a lobby policy is shown as (Lync knows no "unauthenticated" waiting).
ADMISSION_OF_LOBBY = {"nobody": "anonymous", "unauthenticated": "anonymous", "outside-company": "openAuthenticated"}
LATEST_TIME = 32_503_680_000.0   # 3000-01-01T00:00:00Z: every time a response writes back is in range
_MEETING_KEY = re.compile(r"^[A-Za-z0-9]{4,32}$")
_CONFERENCE_ENTITY = re.compile(r"^sip:[^@;<>\s]+@[^;<>\s]+;gruu;opaque=app:conf:focus:id:(?P<id>[A-Za-z0-9]{4,32})$")


@dataclass(frozen=True)
class MeetingChanges:
    """What a modifyConference changes; None = unchanged."""

    subject: str | None = None
    expires_at: float | None = None
    end: float | None = None
    lobby_policy: str | None = None
    presenter_policy: str | None = None
    pstn_bypass_lobby: bool | None = None
    locked: bool | None = None

    def any(self) -> bool:
        return any(value is not None for value in vars(self).values())


@dataclass(frozen=True)
class FactoryRequest:
    command: str                       # one of FACTORY_COMMANDS
    request_id: str
    meeting_id: str | None = None      # get/modify/deleteConference: the meeting ID (upper case)
    add: AddConference | None = None   # addConference
    changes: MeetingChanges = MeetingChanges()


def _meeting_key(control: Element) -> str:
    keys = _child(control, "conferenceKeys")
    if keys is None:
        raise CccpError(f"{_local(control.tag)} needs <conferenceKeys>")
    meeting_id = keys.get(f"{{{MSCI_NS}}}conference-id")
    if meeting_id is not None:
        if not _MEETING_KEY.match(meeting_id.strip()):
            raise CccpError(f"conference-id {meeting_id[:40]!r}: 4-32 letters or digits")
        return meeting_id.strip().upper()
    entity = keys.get("confEntity")
    if entity is not None:
        found = _CONFERENCE_ENTITY.match(entity.strip())
        if found is None:
            raise CccpError(f"confEntity {entity[:60]!r} is not a conference URI of this server's form")
        return found["id"].upper()
    raise CccpError("<conferenceKeys> needs msci:conference-id or confEntity")


def _time(element: Element | None) -> float | None:
    """An xs:dateTime (UTC when it names no offset) as epoch seconds, 1970 to 3000."""
    if element is None:
        return None
    text = (element.text or "").strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CccpError(f"{_local(element.tag)} {text[:40]!r} is not an xs:dateTime") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    epoch = value.timestamp()
    if not 0 <= epoch <= LATEST_TIME:
        raise CccpError(f"{_local(element.tag)} {text[:40]!r}: 1970 to 3000 only")
    return epoch


def _choice(parent: Element, name: str, values: tuple[str, ...]) -> str | None:
    element = _child(parent, name)
    if element is None:
        return None
    value = (element.text or "").strip()
    if value not in values:
        raise CccpError(f"{name} {value[:30]!r}: {', '.join(values)}")
    return value


def _changes(control: Element) -> MeetingChanges:
    info = _child(control, "conference-info")
    if info is None:
        return MeetingChanges()
    description = _child(info, "conference-description")
    state = _child(info, "conference-state")
    locked = _optional_flag(state, "locked")
    if description is None:
        return MeetingChanges(locked=locked)
    lobby = _admission(description)
    exact = _choice(description, "lobby-policy", LOBBY_POLICIES)
    if exact is not None:
        lobby = exact   # the exact policy wins over the admission policy's approximation
    return MeetingChanges(subject=_subject(description), expires_at=_time(_child(description, "expiry-time")),
                          end=_time(_child(description, "end-time")), lobby_policy=lobby,
                          presenter_policy=_choice(description, "presenter-policy", PRESENTER_POLICIES),
                          pstn_bypass_lobby=_optional_flag(description, "pstn-lobby-bypass"), locked=locked)


def parse_factory_request(body: bytes) -> FactoryRequest:
    """One focus factory command (addConference, getConference, modifyConference,
    deleteConference, getConferences: the subsets above); CccpError for anything else."""
    root = _root(body)
    control = _one_control(root, "the focus factory takes one command per request")
    command = _local(control.tag)
    request_id = root.get("requestId", "")
    if command == "addConference":
        return FactoryRequest(command, request_id, add=_add_conference(control, request_id))
    if command in ("getConference", "deleteConference"):
        return FactoryRequest(command, request_id, meeting_id=_meeting_key(control))
    if command == "modifyConference":
        changes = _changes(control)
        if not changes.any():
            raise CccpError("modifyConference changes nothing of the subset")
        return FactoryRequest(command, request_id, meeting_id=_meeting_key(control), changes=changes)
    if command == "getConferences":
        return FactoryRequest(command, request_id)
    raise CccpError(f"the focus factory does not take <{command[:40]}>")


@dataclass(frozen=True)
class MeetingInfo:
    """What a getConference (and the others) answers about one meeting."""

    conference_uri: str
    meeting_id: str
    conference_id: str
    subject: str
    expires_at: float
    end: float | None
    lobby_policy: str
    presenter_policy: str
    pstn_bypass_lobby: bool
    locked: bool


def _datetime(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _conference_info(meeting: MeetingInfo) -> str:
    end = f"<msci:end-time>{_datetime(meeting.end)}</msci:end-time>" if meeting.end is not None else ""
    return (f'<conference-info xmlns="{CONFERENCE_INFO_NS}" xmlns:msci="{MSCI_NS}" '
            f'entity="{_escape(meeting.conference_uri)}"><conference-description>'
            f'<subject>{_escape(meeting.subject)}</subject>'
            f'<msci:conference-id>{_escape(meeting.meeting_id)}</msci:conference-id>'
            f'<msci:expiry-time>{_datetime(meeting.expires_at)}</msci:expiry-time>{end}'
            f'<msci:admission-policy>{ADMISSION_OF_LOBBY.get(meeting.lobby_policy, "openAuthenticated")}'
            '</msci:admission-policy>'
            f'<msci:lobby-policy>{_escape(meeting.lobby_policy)}</msci:lobby-policy>'
            f'<msci:presenter-policy>{_escape(meeting.presenter_policy)}</msci:presenter-policy>'
            f'<msci:pstn-lobby-bypass>{"true" if meeting.pstn_bypass_lobby else "false"}</msci:pstn-lobby-bypass>'
            f'<msci:pstn-access><msci:conference-id>{_escape(meeting.conference_id)}</msci:conference-id>'
            '</msci:pstn-access></conference-description>'
            f'<conference-state><locked>{"true" if meeting.locked else "false"}</locked></conference-state>'
            '</conference-info>')


def build_factory_response(command: str, request_id: str, factory: str, organizer: str, *,
                           meetings: tuple[MeetingInfo, ...] = (), reason: str | None = None) -> bytes:
    """The answer to getConference / modifyConference (the meeting as it now is),
    deleteConference (the deleted meeting's entity), getConferences (every meeting), or
    code="failure" with `reason` on the command element and on <response>."""
    head = _response_head(request_id, factory, organizer)
    name = command if command in FACTORY_COMMANDS else "request"
    if reason is not None:
        return _command_failure(head, name, reason)
    if name == "deleteConference":
        inner = "".join(f'<conference-info xmlns="{CONFERENCE_INFO_NS}" entity="{_escape(m.conference_uri)}"/>'
                        for m in meetings)
    else:
        inner = "".join(_conference_info(m) for m in meetings)
    return (head + f'code="success"><{name}>{inner}</{name}></response>').encode()
