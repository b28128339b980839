"""conference-info+xml (RFC 4575) to and from bytes.

Building uses the standard library's ElementTree writer. Parsing goes through defusedxml
with every dangerous feature off: a document type declaration, any entity declaration
(the billion-laughs expansion) and external references are refused with
ConferenceInfoError before anything is expanded, and a document larger than
MAX_DOCUMENT bytes is refused unread. Unknown elements and attributes are ignored, as
RFC 4575's schema allows extensions anywhere.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring as defused_fromstring  # type: ignore[import-untyped]

from .conference_info import (ConferenceInfo, DescriptionInfo, DocState, EndpointInfo, MediaInfo, StateInfo,
                              UserInfo)

NS = "urn:ietf:params:xml:ns:conference-info"
EXT_NS = "urn:ucserver:params:xml:ns:conference-info-ext"
CONTENT_TYPE = "application/conference-info+xml"
MAX_DOCUMENT = 1 << 20   # a 1,000-user roster is ~400 KB
# Characters XML 1.0 cannot carry, and CR (a parser hands it back as LF).
_XML_INVALID = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("", NS)
ET.register_namespace("uc", EXT_NS)


class ConferenceInfoError(ValueError):
    """Bytes that are not a conference-info document this parser accepts; says why."""


def _q(name: str, ns: str = NS) -> str:
    return f"{{{ns}}}{name}"


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _sub(parent: ET.Element, name: str, text: str | None = None, ns: str = NS) -> ET.Element:
    element = ET.SubElement(parent, _q(name, ns))
    if text is not None:
        element.text = _clean(text)
    return element


# --- building -------------------------------------------------------------------------------

def build(info: ConferenceInfo) -> bytes:
    root = ET.Element(_q("conference-info"), {"entity": _clean(info.entity), "state": info.state.value,
                                               "version": str(info.version)})
    if info.description is not None:
        description = _sub(root, "conference-description")
        _sub(description, "subject", info.description.subject)
        if info.description.conf_uri is not None:
            entry = _sub(_sub(description, "conf-uris"), "entry")
            _sub(entry, "uri", info.description.conf_uri)
            _sub(entry, "purpose", "participation")
        if info.description.maximum_user_count is not None:
            _sub(description, "maximum-user-count", str(info.description.maximum_user_count))
    if info.conference_state is not None:
        state = _sub(root, "conference-state")
        _sub(state, "user-count", str(info.conference_state.user_count))
        _sub(state, "active", _bool(info.conference_state.active))
        _sub(state, "locked", _bool(info.conference_state.locked))
        speakers = _sub(state, "active-speakers", ns=EXT_NS)
        for entity in info.conference_state.active_speakers:
            _sub(speakers, "speaker", ns=EXT_NS).set("entity", _clean(entity))
    if info.users or info.state is DocState.FULL:
        users = _sub(root, "users")
        if info.state is DocState.PARTIAL:
            users.set("state", "partial")
        for user in info.users:
            _build_user(users, user)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _build_user(parent: ET.Element, user: UserInfo) -> None:
    element = _sub(parent, "user")
    element.set("entity", _clean(user.entity))
    element.set("state", user.state.value)
    if user.state is DocState.DELETED:
        return
    _sub(element, "display-text", user.display_text)
    roles = _sub(element, "roles")
    for role in user.roles:
        _sub(roles, "entry", role)
    for endpoint in user.endpoints:
        endpoint_element = _sub(element, "endpoint")
        endpoint_element.set("entity", _clean(endpoint.entity))
        _sub(endpoint_element, "display-text", endpoint.display_text)
        _sub(endpoint_element, "status", endpoint.status)
        if endpoint.joining_method is not None:
            _sub(endpoint_element, "joining-method", endpoint.joining_method)
        for media in endpoint.media:
            media_element = _sub(endpoint_element, "media")
            media_element.set("id", _clean(media.id))
            _sub(media_element, "type", media.type)
            if media.label is not None:
                _sub(media_element, "label", media.label)
            _sub(media_element, "status", media.status)


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --- parsing --------------------------------------------------------------------------------

def parse(data: bytes) -> ConferenceInfo:
    if len(data) > MAX_DOCUMENT:
        raise ConferenceInfoError(f"document of {len(data)} bytes is over the {MAX_DOCUMENT}-byte limit")
    try:
        root = defused_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ConferenceInfoError(f"refused: {type(error).__name__} (DTDs, entities and external references "
                                  "are not accepted)") from None
    except ET.ParseError as error:
        raise ConferenceInfoError(f"not well-formed XML: {error}") from None
    except (ValueError, LookupError) as error:   # an encoding declaration naming no codec (found by fuzzing)
        raise ConferenceInfoError(f"not well-formed XML: {error}") from None
    if root.tag != _q("conference-info"):
        raise ConferenceInfoError(f"root element is {root.tag}, not conference-info in {NS}")
    entity = _required_attr(root, "entity")
    version = _int(_required_attr(root, "version"), "conference-info version")
    state = _doc_state(root.get("state", "full"), "conference-info")
    description = _parse_description(root.find(_q("conference-description")))
    conference_state = _parse_state(root.find(_q("conference-state")))
    users_element = root.find(_q("users"))
    users = tuple(_parse_user(user) for user in users_element.findall(_q("user"))) if users_element is not None \
        else ()
    return ConferenceInfo(entity, version, state, description, conference_state, users)


def _required_attr(element: ET.Element, name: str) -> str:
    value = element.get(name)
    if value is None:
        raise ConferenceInfoError(f"<{_local(element.tag)}> has no {name} attribute")
    return value


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _int(text: str | None, what: str) -> int:
    if text is None or not text.strip().isdigit() or not text.strip().isascii():
        raise ConferenceInfoError(f"{what} must be a non-negative integer, got {text!r}")
    return int(text.strip())


def _doc_state(text: str, what: str) -> DocState:
    try:
        return DocState(text)
    except ValueError:
        raise ConferenceInfoError(f"{what} state must be full, partial or deleted, got {text!r}") from None


def _text(parent: ET.Element, name: str, ns: str = NS) -> str | None:
    element = parent.find(_q(name, ns))
    if element is None:
        return None
    return element.text or ""


def _xs_bool(text: str | None, what: str, default: bool) -> bool:
    if text is None:
        return default
    value = text.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ConferenceInfoError(f"{what} must be true or false, got {text!r}")


def _parse_description(element: ET.Element | None) -> DescriptionInfo | None:
    if element is None:
        return None
    conf_uri = None
    uris = element.find(_q("conf-uris"))
    if uris is not None:
        entry = uris.find(_q("entry"))
        if entry is not None:
            conf_uri = _text(entry, "uri")
    maximum = _text(element, "maximum-user-count")
    return DescriptionInfo(subject=_text(element, "subject") or "", conf_uri=conf_uri,
                           maximum_user_count=_int(maximum, "maximum-user-count") if maximum is not None else None)


def _parse_state(element: ET.Element | None) -> StateInfo | None:
    if element is None:
        return None
    count = _text(element, "user-count")
    speakers: tuple[str, ...] = ()
    speakers_element = element.find(_q("active-speakers", EXT_NS))
    if speakers_element is not None:
        speakers = tuple(_required_attr(speaker, "entity")
                         for speaker in speakers_element.findall(_q("speaker", EXT_NS)))
    return StateInfo(user_count=_int(count, "user-count") if count is not None else 0,
                     active=_xs_bool(_text(element, "active"), "active", True),
                     locked=_xs_bool(_text(element, "locked"), "locked", False), active_speakers=speakers)


def _parse_user(element: ET.Element) -> UserInfo:
    entity = _required_attr(element, "entity")
    state = _doc_state(element.get("state", "full"), "user")
    roles_element = element.find(_q("roles"))
    roles = tuple((entry.text or "").strip() for entry in roles_element.findall(_q("entry"))) \
        if roles_element is not None else ()
    endpoints = tuple(_parse_endpoint(endpoint) for endpoint in element.findall(_q("endpoint")))
    return UserInfo(entity=entity, display_text=_text(element, "display-text") or "", roles=roles,
                    endpoints=endpoints, state=state)


def _parse_endpoint(element: ET.Element) -> EndpointInfo:
    media = tuple(MediaInfo(id=_required_attr(m, "id"), type=(_text(m, "type") or "").strip(),
                            label=_text(m, "label"), status=(_text(m, "status") or "sendrecv").strip())
                  for m in element.findall(_q("media")))
    joining = _text(element, "joining-method")
    return EndpointInfo(entity=_required_attr(element, "entity"), display_text=_text(element, "display-text") or "",
                        status=(_text(element, "status") or "connected").strip(),
                        joining_method=joining.strip() if joining is not None else None, media=media)
