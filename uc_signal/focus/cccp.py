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
