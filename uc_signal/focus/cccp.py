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

from dataclasses import dataclass
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


def parse_request(body: bytes) -> CccpRequest:
    if len(body) > MAX_BODY:
        raise CccpError("body too large")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (XmlParseError, DefusedXmlException, ValueError) as error:
        raise CccpError(f"not XML: {error}") from None
    if _local(root.tag) != "request":
        raise CccpError("the root is not <request>")
    controls = list(root)
    if len(controls) != 1:
        raise CccpError("one control per request")
    control = controls[0]
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


def build_response(request_id: str, conference: str, actor: str, reason: str | None = None) -> bytes:
    """C3P's <response>: code="success", or "failure" with the reason."""
    code = "success" if reason is None else "failure"
    inner = "" if reason is None else f"<reason>{_escape(reason)}</reason>"
    return (f'<?xml version="1.0" encoding="utf-8"?>\r\n<response xmlns="{NAMESPACE}" C3PVersion="1" '
            f'requestId="{_escape(request_id)}" from="{_escape(conference)}" to="{_escape(actor)}" '
            f'code="{code}">{inner}</response>').encode()


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
# A refusal is code="failure" with a reason attribute ([MS-CONFBAS]'s style):
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


def parse_add_conference(body: bytes) -> AddConference:
    """An addConference request (the subset above); CccpError for anything else."""
    if len(body) > MAX_BODY:
        raise CccpError("body too large")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (XmlParseError, DefusedXmlException, ValueError) as error:
        raise CccpError(f"not XML: {error}") from None
    if _local(root.tag) != "request":
        raise CccpError("the root is not <request>")
    controls = list(root)
    if len(controls) != 1 or _local(controls[0].tag) != "addConference":
        raise CccpError("the focus factory takes one <addConference> per request")
    request_id = root.get("requestId", "")
    info = _child(controls[0], "conference-info")
    description = _child(info, "conference-description") if info is not None else None
    if description is None:
        return AddConference(request_id)
    subject_element = _child(description, "subject")
    subject = " ".join((subject_element.text or "").split()) if subject_element is not None else ""
    if len(subject) > MAX_SUBJECT:
        raise CccpError(f"subject longer than {MAX_SUBJECT} characters")
    lobby: str | None = None
    policy = _child(description, "admission-policy")
    if policy is not None:
        value = (policy.text or "").strip()
        if value not in ADMISSION_POLICIES:
            raise CccpError(f"admission-policy {value[:30]!r}: {', '.join(ADMISSION_POLICIES)}")
        lobby = ADMISSION_POLICIES[value]
    bypass_element = _child(description, "pstn-lobby-bypass")
    bypass = _flag((bypass_element.text or "").strip()) if bypass_element is not None else None
    return AddConference(request_id, subject, lobby, bypass)


def build_add_conference_response(request_id: str, factory: str, organizer: str, *, conference_uri: str = "",
                                  meeting_id: str = "", conference_id: str = "", subject: str = "",
                                  reason: str | None = None) -> bytes:
    """The addConference response: success with the new meeting's URI and IDs, or
    failure with `reason` (requestMalformed, unauthorized, notFound, otherFailure)."""
    head = (f'<?xml version="1.0" encoding="utf-8"?>\r\n<response xmlns="{NAMESPACE}" C3PVersion="1" '
            f'requestId="{_escape(request_id)}" from="{_escape(factory)}" to="{_escape(organizer)}" ')
    if reason is not None:
        return (head + f'code="failure" reason="{_escape(reason)}"><addConference/></response>').encode()
    return (head + 'code="success"><addConference>'
            f'<conference-info xmlns="{CONFERENCE_INFO_NS}" xmlns:msci="{MSCI_NS}" entity="{_escape(conference_uri)}">'
            f'<conference-description><subject>{_escape(subject)}</subject>'
            f'<msci:conference-id>{_escape(meeting_id)}</msci:conference-id>'
            f'<msci:pstn-access><msci:conference-id>{_escape(conference_id)}</msci:conference-id></msci:pstn-access>'
            '</conference-description></conference-info></addConference></response>').encode()
