"""The body of a list NOTIFY (RFC 4662 section 5): multipart/related (RFC 2387) whose root
part is the RLMI document and whose other parts carry each resource instance's state,
each named by the Content-ID the RLMI `instance cid` refers to (RFC 2392: the cid is the
Content-ID without its angle brackets).

    Content-Type: multipart/related;type="application/rlmi+xml";start="<cid>";boundary=...
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ..sip import BodyPart, ContentType, ParseError, build_multipart, parse_multipart
from .rlmi import RLMI_TYPE, RlmiError, RlmiList, build_rlmi, parse_rlmi

PIDF_TYPE = "application/pidf+xml"


@dataclass(frozen=True)
class StatePart:
    """One resource instance's state document and the Content-ID it travels under."""

    cid: str
    body: bytes
    content_type: str = PIDF_TYPE


@dataclass(frozen=True)
class ListNotification:
    rlmi: RlmiList
    parts: dict[str, StatePart]   # by cid

    def state_of(self, resource_uri: str) -> bytes | None:
        """The state document of a resource's first instance that carries one."""
        for resource in self.rlmi.resources:
            if resource.uri == resource_uri:
                for instance in resource.instances:
                    if instance.cid is not None:
                        return self.parts[instance.cid].body
        return None


def _part(cid: str, content_type: str, body: bytes) -> BodyPart:
    return BodyPart(body, [("Content-Transfer-Encoding", "binary"), ("Content-ID", f"<{cid}>"),
                           ("Content-Type", content_type)])


def build_list_body(rlmi: RlmiList, parts: list[StatePart], root_cid: str) -> tuple[bytes, ContentType]:
    """The multipart/related body and its Content-Type. A random boundary is drawn until
    none of the parts contains it (bounded: a 128-bit boundary in a part is not luck)."""
    referenced = {i.cid for r in rlmi.resources for i in r.instances if i.cid is not None}
    if referenced != {p.cid for p in parts}:
        raise RlmiError("every instance cid needs exactly one part, and every part an instance")
    body_parts = [_part(root_cid, f'{RLMI_TYPE};charset="UTF-8"', build_rlmi(rlmi))]
    body_parts += [_part(p.cid, p.content_type, p.body) for p in parts]
    for _ in range(8):
        boundary = "rls-" + secrets.token_hex(16)
        try:
            body, content_type = build_multipart(body_parts, "related", boundary)
        except ValueError:
            continue
        content_type.params = {"type": f'"{RLMI_TYPE}"', "start": f'"<{root_cid}>"', **content_type.params}
        return body, content_type
    raise RlmiError("no boundary found that no part contains")


def _cid_of(part: BodyPart) -> str | None:
    value = part.headers.get("Content-ID")
    if value is None:
        return None
    value = value.strip()
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def parse_list_body(body: bytes, content_type: ContentType) -> ListNotification:
    """The RLMI document and the state parts of a list NOTIFY body; RlmiError when it is
    not one (a subscriber's view: what it needs must be there and agree)."""
    if content_type.mime_type != "multipart/related":
        raise RlmiError(f"a list NOTIFY body is multipart/related, got {content_type.mime_type}")
    if (content_type.param("type") or "").lower() != RLMI_TYPE:
        raise RlmiError(f"multipart/related type parameter must be {RLMI_TYPE}")
    try:
        parts = parse_multipart(body, content_type)
    except ParseError as error:
        raise RlmiError(f"malformed multipart body: {error}") from None
    if not parts:
        raise RlmiError("multipart body without parts")
    start = content_type.param("start")
    root_cid = start[1:-1] if start and start.startswith("<") and start.endswith(">") else start
    # RFC 2387 3.2: without start, the root is the first part.
    root = parts[0] if root_cid is None else next((p for p in parts if _cid_of(p) == root_cid), None)
    if root is None:
        raise RlmiError(f"no part has the start Content-ID <{root_cid}>")
    root_type = root.headers.get("Content-Type") or ""
    if not root_type.lower().startswith(RLMI_TYPE):
        raise RlmiError(f"the root part must be {RLMI_TYPE}, got {root_type!r}")
    rlmi = parse_rlmi(root.body)
    by_cid: dict[str, StatePart] = {}
    for part in parts:
        cid = _cid_of(part)
        if part is root or cid is None:
            continue
        if cid in by_cid:
            raise RlmiError(f"two parts have Content-ID <{cid}>")
        by_cid[cid] = StatePart(cid, part.body, (part.headers.get("Content-Type") or "").strip())
    for resource in rlmi.resources:
        for instance in resource.instances:
            if instance.cid is not None and instance.cid not in by_cid:
                raise RlmiError(f"instance {instance.id} of {resource.uri} names cid {instance.cid}, "
                                "which no part carries")
    return ListNotification(rlmi, by_cid)
