"""conference-info+xml (RFC 4575): building, parsing, the extension, and refusing unsafe XML."""

from __future__ import annotations

import pytest

from uc_signal.conferencing.conference_info import (ConferenceInfo, ConferenceInfoMismatch, DescriptionInfo,
                                                    DocState, EndpointInfo, MediaInfo, StateInfo, UserInfo, apply,
                                                    diff)
from uc_signal.conferencing.conference_info_xml import MAX_DOCUMENT, ConferenceInfoError, build, parse
from uc_signal.conferencing.subscription import ConferenceEvents

URI = "sip:alice@example.test;gruu;opaque=app:conf:focus:id:ABCD2345"
ALICE = UserInfo("sip:alice@example.test", "Alice", ("organizer",), (
    EndpointInfo("sip:alice@10.0.0.1", "Alice", "connected", "dialed-in",
                 (MediaInfo("1", "audio", "main", "sendrecv"),)),))
DAVE = UserInfo("tel:+14255550123", "Dave", ("attendee",), (
    EndpointInfo("call-1", "Dave", "muted-via-focus", "dialed-in", (MediaInfo("1", "audio", None, "recvonly"),)),))
FULL = ConferenceInfo(URI, 1, DocState.FULL, DescriptionInfo("Plan & <review>", URI, 250),
                      StateInfo(2, True, False, ("sip:alice@example.test",)), (ALICE, DAVE))


def test_full_document_round_trips():
    assert parse(build(FULL)) == FULL


def test_document_shape_follows_rfc_4575():
    text = build(FULL).decode()
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>")
    assert 'xmlns="urn:ietf:params:xml:ns:conference-info"' in text
    assert 'state="full" version="1"' in text
    assert "<subject>Plan &amp; &lt;review&gt;</subject>" in text
    assert "<roles><entry>organizer</entry></roles>" in text
    assert "<status>muted-via-focus</status>" in text
    assert '<uc:active-speakers><uc:speaker entity="sip:alice@example.test" /></uc:active-speakers>' in text


def test_partial_documents_carry_only_changes():
    new = ConferenceInfo(URI, 2, DocState.FULL, FULL.description, FULL.conference_state, (ALICE,))
    partial = diff(FULL, new)
    assert partial.state is DocState.PARTIAL and partial.version == 2
    assert partial.description is None and partial.conference_state is None
    assert partial.users == (UserInfo(DAVE.entity, state=DocState.DELETED),)
    text = build(partial).decode()
    assert 'state="partial"' in text and "conference-description" not in text
    assert f'<user entity="{DAVE.entity}" state="deleted" />' in text
    assert apply(FULL, parse(build(partial))) == new


def test_apply_refuses_a_version_gap_and_another_conference():
    partial = diff(FULL, ConferenceInfo(URI, 3, users=(ALICE,)))
    with pytest.raises(ConferenceInfoMismatch, match="does not follow"):
        apply(FULL, partial)
    other = diff(FULL, ConferenceInfo("sip:other@example.test", 2))
    with pytest.raises(ConferenceInfoMismatch, match="partial document for"):
        apply(FULL, other)
    assert apply(FULL, ConferenceInfo(URI, 9, users=(DAVE,))).users == (DAVE,)   # a full one replaces


def test_subscription_versions_start_at_one_and_skip_no_op_updates():
    events = ConferenceEvents(FULL)
    subscription = events.subscribe()
    first = parse(subscription.notify())
    assert (first.version, first.state) == (1, DocState.FULL)
    assert subscription.notify() is None
    assert not events.publish(FULL)
    changed = ConferenceInfo(URI, 0, DocState.FULL, FULL.description, StateInfo(2, True, True, ()), FULL.users)
    assert events.publish(changed)
    second = parse(subscription.notify())
    assert (second.version, second.state) == (2, DocState.PARTIAL)
    assert second.conference_state.locked and second.users == ()
    assert apply(first, second).conference_state == changed.conference_state
    refreshed = parse(subscription.refresh())
    assert (refreshed.version, refreshed.state) == (3, DocState.FULL)


def test_versions_are_per_subscription_and_late_subscribers_start_full():
    events = ConferenceEvents(FULL)
    early = events.subscribe()
    early.notify()
    events.publish(ConferenceInfo(URI, 0, DocState.FULL, FULL.description, FULL.conference_state, (ALICE,)))
    late = events.subscribe()
    assert parse(late.notify()) == ConferenceInfo(URI, 1, DocState.FULL, FULL.description, FULL.conference_state,
                                                  (ALICE,))
    update = parse(early.notify())
    assert (update.version, update.state) == (2, DocState.PARTIAL)


def test_a_subscriber_that_missed_a_change_gets_the_full_state():
    events = ConferenceEvents(FULL)
    subscription = events.subscribe()
    subscription.notify()
    events.publish(ConferenceInfo(URI, 0, DocState.FULL, FULL.description, FULL.conference_state, (ALICE,)))
    events.publish(ConferenceInfo(URI, 0, DocState.FULL, FULL.description, FULL.conference_state, ()))
    document = parse(subscription.notify())
    assert (document.version, document.state, document.users) == (2, DocState.FULL, ())


def test_an_entity_holding_the_version_text_is_not_renumbered():
    tricky = ConferenceInfo('sip:a@b;x=" version="0"', 0, DocState.FULL, None, None, ())
    document = ConferenceEvents(tricky).subscribe().notify()
    assert parse(document) == ConferenceInfo(tricky.entity, 1, DocState.FULL, None, None, ())


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="x" version="1">&lol3;</conference-info>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="x" version="1">
<conference-description><subject>&xxe;</subject></conference-description></conference-info>"""
DTD_ONLY = b"""<?xml version="1.0"?><!DOCTYPE c SYSTEM "http://127.0.0.1:9/evil.dtd">
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="x" version="1"/>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, DTD_ONLY])
def test_entities_and_dtds_are_refused_with_a_clear_error(document):
    with pytest.raises(ConferenceInfoError, match="DTDs, entities and external references are not accepted"):
        parse(document)


@pytest.mark.parametrize("document, reason", [
    (b"", "not well-formed"),
    (b"<conference-info", "not well-formed"),
    (b"<?xml version='1.0' encoding='utf18'?><conference-info/>", "unknown encoding"),   # found by fuzzing
    (b"<other xmlns='urn:x'/>", "root element"),
    (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' version='1'/>", "no entity"),
    (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' entity='x'/>", "no version"),
    (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' entity='x' version='-1'/>", "version"),
    (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' entity='x' version='1' state='odd'/>",
     "state"),
    (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' entity='x' version='1'>"
     b"<conference-state><locked>maybe</locked></conference-state></conference-info>", "locked"),
    (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' entity='x' version='1'>"
     b"<conference-state><user-count>many</user-count></conference-state></conference-info>", "user-count"),
    (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' entity='x' version='1'><users>"
     b"<user/></users></conference-info>", "no entity"),
])
def test_malformed_documents(document, reason):
    with pytest.raises(ConferenceInfoError, match=reason):
        parse(document)


def test_oversized_documents_are_refused_unread():
    with pytest.raises(ConferenceInfoError, match="over the"):
        parse(b" " * (MAX_DOCUMENT + 1))


def test_unknown_elements_are_ignored_and_defaults_apply():
    document = (b"<conference-info xmlns='urn:ietf:params:xml:ns:conference-info' xmlns:x='urn:x' entity='c' "
                b"version='7'><x:thing/><conference-state><user-count>1</user-count></conference-state>"
                b"<users><user entity='sip:a@b'><x:more/><endpoint entity='e'/></user></users></conference-info>")
    info = parse(document)
    assert (info.version, info.state) == (7, DocState.FULL)
    assert info.conference_state == StateInfo(1, True, False, ())
    assert info.users[0].endpoints[0] == EndpointInfo("e", "", "connected", None, ())


def test_control_characters_are_dropped_from_text():
    user = UserInfo("sip:x@y", "bad\x00name\rhere")
    info = parse(build(ConferenceInfo(URI, 1, users=(user,))))
    assert info.users[0].display_text == "badnamehere"
