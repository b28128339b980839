"""RLMI documents (RFC 4662 5.2) and the multipart/related list NOTIFY body (RFC 4662 5,
RFC 2387): an RFC 4662-style fixture read field by field, its invalid and truncated
variants refused, unsafe XML refused, and build/parse round trips under hypothesis."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.rls import (Instance, Resource, RlmiError, RlmiList, StatePart, build_list_body, build_rlmi,
                           parse_list_body, parse_rlmi)
from uc_signal.sip import ContentType

FIXTURES = Path(__file__).parents[1] / "fixtures" / "rls"
FIXTURE_TYPE = ContentType.parse('multipart/related;type="application/rlmi+xml";'
                                 'start="<nXYxAE@pres.example.com>";boundary="50UBfW7LSCVLtggUPe5z"')


def test_an_rfc_4662_full_state_body_is_read_part_by_part() -> None:
    body = parse_list_body((FIXTURES / "rfc4662_full_state.bin").read_bytes(), FIXTURE_TYPE)
    rlmi = body.rlmi
    assert (rlmi.uri, rlmi.version, rlmi.full_state, rlmi.name) == (
        "sip:adam-friends@pres.example.com", 1, True, "Buddy List at COM")
    assert [(r.uri, r.name) for r in rlmi.resources] == [
        ("sip:bob@example.com", "Bob Smith"), ("sip:dave@example.com", "Dave Jones"),
        ("sip:ed@example.net", "Ed at NET"), ("sip:adam-friends@example.org", "My Friends at ORG")]
    assert rlmi.resources[0].instances == (Instance("juwigmtboe", "active", "bUZBsM@pres.example.com"),)
    assert rlmi.resources[2].instances == (Instance("sdlkmeopdf", "pending"),)
    assert rlmi.resources[3].instances == ()
    assert sorted(body.parts) == ["ZvSvkz@pres.example.com", "bUZBsM@pres.example.com"]
    bob = body.state_of("sip:bob@example.com")
    assert bob is not None and b'entity="sip:bob@example.com"' in bob and b"<basic>open</basic>" in bob
    assert body.parts["ZvSvkz@pres.example.com"].content_type.startswith("application/pidf+xml")
    assert body.state_of("sip:ed@example.net") is None


@pytest.mark.parametrize("name, reason", [("rfc4662_full_state_invalid.bin", "which no part carries"),
                                          ("rfc4662_full_state_truncated.bin", "malformed multipart body")])
def test_invalid_and_truncated_bodies_are_refused(name: str, reason: str) -> None:
    with pytest.raises(RlmiError, match=reason):
        parse_list_body((FIXTURES / name).read_bytes(), FIXTURE_TYPE)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE list [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:x@y" version="1" fullState="true"><name>&c;</name></list>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE list [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:x@y" version="1" fullState="true"><name>&e;</name></list>"""


@pytest.mark.parametrize("document, reason", [
    (BOMB, "not a usable XML document"),
    (EXTERNAL, "not a usable XML document"),
    (b"<list", "not a usable XML document"),
    (b'<list xmlns="urn:other" uri="sip:x@y" version="1" fullState="true"/>', "root element must be"),
    (b'<list xmlns="urn:ietf:params:xml:ns:rlmi" version="1" fullState="true"/>', "list without its uri"),
    (b'<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:x@y" version="-1" fullState="true"/>', "version"),
    (b'<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:x@y" version="4294967296" fullState="true"/>', "version"),
    (b'<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:x@y" version="1" fullState="yes"/>', "fullState"),
    (b'<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:x@y" version="1" fullState="1"><resource uri="sip:a@b">'
     b'<instance id="i" state="asleep"/></resource></list>', "instance state"),
    (b'<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:x@y" version="1" fullState="0"><resource>'
     b'</resource></list>', "resource without its uri"),
])
def test_bad_rlmi_documents_are_refused_with_the_reason(document: bytes, reason: str) -> None:
    with pytest.raises(RlmiError, match=reason):
        parse_rlmi(document)


def test_building_refuses_what_xml_cannot_carry() -> None:
    with pytest.raises(RlmiError, match="characters XML cannot carry"):
        build_rlmi(RlmiList("sip:x@y", 1, True, "bell\x07"))
    with pytest.raises(RlmiError, match="version"):
        build_rlmi(RlmiList("sip:x@y", 2**32, True))
    with pytest.raises(RlmiError, match="every instance cid needs exactly one part"):
        build_list_body(RlmiList("sip:x@y", 1, True, None, (Resource("sip:a@b", None, (Instance("i", "active", "c"),)),)),
                        [], "root@y")


_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff")
                    .filter(lambda ch: ch >= " " or ch in "\t\r\n"), max_size=20)
_TOKEN = st.text("abcdefghijklmnopqrstuvwxyz0123456789.-@", min_size=1, max_size=12)
_INSTANCES = st.builds(Instance, _TOKEN, st.sampled_from(["active", "pending", "terminated"]),
                       st.none() | _TOKEN, st.none() | _TOKEN)
_RESOURCES = st.builds(Resource, _XML_TEXT.filter(bool), st.none() | _XML_TEXT,
                       st.lists(_INSTANCES, max_size=3).map(tuple))
_DOCUMENTS = st.builds(RlmiList, _XML_TEXT.filter(bool), st.integers(0, 2**32 - 1), st.booleans(),
                       st.none() | _XML_TEXT, st.lists(_RESOURCES, max_size=5).map(tuple))


@settings(max_examples=200, deadline=None)
@given(_DOCUMENTS)
def test_rlmi_build_then_parse_is_the_identity(document: RlmiList) -> None:
    assert parse_rlmi(build_rlmi(document)) == document


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_TOKEN, st.binary(max_size=200)), max_size=5, unique_by=lambda p: p[0]),
       st.integers(1, 2**32 - 1), st.booleans())
def test_a_list_body_round_trips_with_every_part_under_its_cid(parts: list[tuple[str, bytes]], version: int,
                                                               full: bool) -> None:
    resources = tuple(Resource(f"sip:r{n}@example.test", None, (Instance(f"i{n}", "active", cid),))
                      for n, (cid, _) in enumerate(parts))
    rlmi = RlmiList("sip:alice@example.test;list=contacts", version, full, None, resources)
    body, content_type = build_list_body(rlmi, [StatePart(cid, data) for cid, data in parts], "root@example.test")
    parsed = parse_list_body(body, ContentType.parse(str(content_type)))
    assert parsed.rlmi == rlmi
    assert {cid: part.body for cid, part in parsed.parts.items()} == dict(parts)
    for n, (_, data) in enumerate(parts):
        assert parsed.state_of(f"sip:r{n}@example.test") == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_an_rlmi_document_or_an_rlmi_error(data: bytes) -> None:
    try:
        parse_rlmi(data)
    except RlmiError:
        pass


def test_an_unknown_encoding_in_the_xml_declaration_is_an_rlmi_error() -> None:
    # Found by fuzz/fuzz_rlmi.py: expat asks Python for the codec and gets a LookupError.
    with pytest.raises(RlmiError, match="unknown encoding"):
        parse_rlmi(b'<?xml version="1.0" encoding="UTF-1"?><list/>')
