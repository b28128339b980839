"""Resource List Meta-Information (RFC 4662 section 5.2, schema in section 6): the root
part of a list NOTIFY, naming the list, its version, whether it carries full state, and
per resource the instances whose state travels in the other body parts (by Content-ID).

`build_rlmi` writes one; `parse_rlmi` reads one with XML's dangerous parts refused
(defusedxml: no DTD, no entity, no external reference; any of them is an RlmiError).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError as XmlParseError  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring

RLMI_NS = "urn:ietf:params:xml:ns:rlmi"
RLMI_TYPE = "application/rlmi+xml"
INSTANCE_STATES = ("active", "pending", "terminated")
_MAX_VERSION = 2**32 - 1   # xs:unsignedInt (RFC 4662 section 6)


class RlmiError(ValueError):
    """An RLMI document (or a list NOTIFY body) that cannot be used; says why."""


@dataclass(frozen=True)
class Instance:
    """One instance of a resource's subscription (5.2): its state, and the Content-ID of
    the body part that carries its state (absent when no state is sent)."""

    id: str
    state: str
    cid: str | None = None
    reason: str | None = None   # for state="terminated" (5.2)


@dataclass(frozen=True)
class Resource:
    uri: str
    name: str | None = None
    instances: tuple[Instance, ...] = ()


@dataclass(frozen=True)
class RlmiList:
    uri: str
    version: int
    full_state: bool
    name: str | None = None
    resources: tuple[Resource, ...] = ()


def _q(name: str) -> str:
    return f"{{{RLMI_NS}}}{name}"


def _clean(text: str, what: str) -> str:
    # XML 1.0 cannot carry C0 controls other than tab/CR/LF, U+FFFE/U+FFFF or (in UTF-8)
    # lone surrogates: refuse rather than write a document nobody can read.
    if any((ord(ch) < 0x20 and ch not in "\t\r\n") or 0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff"
           for ch in text):
        raise RlmiError(f"{what} contains characters XML cannot carry")
    return text


def _text(value: str, what: str) -> str:
    # A CR in character data would reach the reader as LF (XML 1.0 2.11): send it as a reference.
    return escape(_clean(value, what), {"\r": "&#13;"})


def _attr(name: str, value: str, what: str) -> str:
    return f" {name}={quoteattr(_clean(value, what))}"


def build_rlmi(document: RlmiList) -> bytes:
    """The document as UTF-8 XML in the RLMI namespace (as the default namespace, the
    shape RFC 4662's examples have, attributes unqualified)."""
    if not 0 <= document.version <= _MAX_VERSION:
        raise RlmiError(f"version must be 0-{_MAX_VERSION}, got {document.version}")
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<list xmlns="{RLMI_NS}"', _attr("uri", document.uri, "list uri"),
           f' version="{document.version}" fullState="{"true" if document.full_state else "false"}">\n']
    if document.name is not None:
        out.append(f"  <name>{_text(document.name, 'list name')}</name>\n")
    for resource in document.resources:
        out.append("  <resource" + _attr("uri", resource.uri, "resource uri") + ">\n")
        if resource.name is not None:
            out.append(f"    <name>{_text(resource.name, 'resource name')}</name>\n")
        for instance in resource.instances:
            if instance.state not in INSTANCE_STATES:
                raise RlmiError(f"instance state must be one of {', '.join(INSTANCE_STATES)}, got {instance.state!r}")
            out.append("    <instance" + _attr("id", instance.id, "instance id") + f' state="{instance.state}"')
            if instance.reason is not None:
                out.append(_attr("reason", instance.reason, "instance reason"))
            if instance.cid is not None:
                out.append(_attr("cid", instance.cid, "instance cid"))
            out.append("/>\n")
        out.append("  </resource>\n")
    out.append("</list>\n")
    return "".join(out).encode("utf-8")


def _version(text: str | None) -> int:
    if text is None or not text.isascii() or not text.isdigit() or int(text) > _MAX_VERSION:
        raise RlmiError(f"list version must be an integer 0-{_MAX_VERSION}, got {text!r}")
    return int(text)


def _boolean(text: str | None) -> bool:
    # xs:boolean: true, false, 1, 0 (surrounding whitespace collapses)
    value = (text or "").strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise RlmiError(f"fullState must be true or false, got {text!r}")


def _required(element: Element, name: str, where: str) -> str:
    value = element.get(name)
    if value is None or value == "":
        raise RlmiError(f"{where} without its {name} attribute")
    return value


def _first_name(element: Element) -> str | None:
    name = element.find(_q("name"))
    return None if name is None else (name.text or "")


def parse_rlmi(body: bytes) -> RlmiList:
    """The RLMI document in `body`; RlmiError if it is not well-formed, unsafe, or
    breaks the schema in a way a subscriber would trip over."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (XmlParseError, DefusedXmlException, ValueError, LookupError) as error:
        # LookupError: an XML declaration naming an encoding Python does not know (found by fuzz_rlmi)
        raise RlmiError(f"not a usable XML document: {error}") from None
    if root.tag != _q("list"):
        raise RlmiError(f"root element must be {{{RLMI_NS}}}list, got {root.tag}")
    resources = []
    for element in root.findall(_q("resource")):
        instances = []
        for item in element.findall(_q("instance")):
            state = _required(item, "state", "instance")
            if state not in INSTANCE_STATES:
                raise RlmiError(f"instance state must be one of {', '.join(INSTANCE_STATES)}, got {state!r}")
            instances.append(Instance(_required(item, "id", "instance"), state, item.get("cid"), item.get("reason")))
        resources.append(Resource(_required(element, "uri", "resource"), _first_name(element), tuple(instances)))
    return RlmiList(_required(root, "uri", "list"), _version(root.get("version")), _boolean(root.get("fullState")),
                    _first_name(root), tuple(resources))
