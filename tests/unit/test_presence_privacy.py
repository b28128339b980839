"""The privacy table of docs/presence.md, one test per relationship row (P1-P5), the
defaults (P6), privacy mode (P7), and authorization (P8)."""

from __future__ import annotations

import pytest

from uc_signal.presence import (Availability, ContactCard, PresenceConfig, PresenceService, Relationship,
                                UserPresenceSettings, WatcherAuthorization, parse_pidf)
from uc_signal.presence.model import PresencePolicy
from uc_signal.presence.calendar import BusyInterval

NOW = 1_800_000_000.0
ALICE = "sip:alice@example.com"
WATCHER = "sip:bob@example.com"
CARD = ContactCard(title="Engineer", email="alice@example.com", office="B7/1021", work_phone="+1 425 555 0100",
                   mobile_phone="+1 425 555 0101", home_phone="+1 425 555 0102")


def service_with_alice() -> PresenceService:
    service = PresenceService(PresenceConfig(), ("example.com",))
    body = ('<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
            'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:ucs="urn:ucserver:params:xml:ns:presence" '
            f'entity="{ALICE}"><tuple id="t"><status><basic>open</basic></status></tuple>'
            '<dm:person id="p"><dm:note>In Paris</dm:note><ucs:location>Paris office</ucs:location></dm:person>'
            '</presence>')
    service.publish(ALICE, parse_pidf(body.encode()), 3600, NOW)
    service.set_settings(ALICE, UserPresenceSettings(card=CARD), NOW)
    service.set_calendar(ALICE, [BusyInterval(NOW - 60, NOW + 600)], NOW)
    return service


def seen(relationship: Relationship | None, watcher: str = WATCHER) -> str:
    service = service_with_alice()
    if relationship is not None:
        service.set_relationship(ALICE, watcher, relationship, NOW)
    return service.document_for(ALICE, watcher, NOW).decode()


def has(document: str, *fragments: str) -> list[bool]:
    return [fragment in document for fragment in fragments]


FIELDS = ("<ucs:state>", "In Paris", "+1 425 555 0100", "+1 425 555 0101", "+1 425 555 0102",
          "In a Meeting", "Paris office", "B7/1021", "Engineer", "alice@example.com</ucs:email>")


@pytest.mark.parametrize(("relationship", "expected"), [
    #                                       state note  work  mobile home  meeting location office title email
    (Relationship.FRIENDS_AND_FAMILY, [True, True, True, True, True, True, True, True, True, True]),   # P1
    (Relationship.WORKGROUP, [True, True, True, True, False, True, True, True, True, True]),            # P2
    (Relationship.COLLEAGUE, [True, True, True, False, False, True, False, False, True, True]),          # P3
    (Relationship.EXTERNAL, [True, False, False, False, False, False, False, False, True, True]),        # P4
])
def test_p1_to_p4_each_relationship_sees_its_subset(relationship: Relationship, expected: list[bool]) -> None:
    assert has(seen(relationship), *FIELDS) == expected


def test_p4_external_contacts_see_busy_not_the_meeting() -> None:
    document = seen(Relationship.EXTERNAL)
    assert "<ucs:state>Available</ucs:state>" in document and "rpid:meeting" not in document


def test_p5_blocked_sees_offline_and_nothing_else() -> None:
    document = seen(Relationship.BLOCKED)
    assert "<basic>closed</basic>" in document and "<ucs:state>Offline</ucs:state>" in document
    assert has(document, *FIELDS[1:]) == [False] * (len(FIELDS) - 1)


def test_p6_defaults_colleague_inside_the_domain_external_outside() -> None:
    service = service_with_alice()
    assert service.relationship(ALICE, WATCHER) is Relationship.COLLEAGUE
    assert service.relationship(ALICE, "sip:carol@partner.example") is Relationship.EXTERNAL
    assert service.relationship(ALICE, None) is Relationship.EXTERNAL
    assert seen(None) == seen(Relationship.COLLEAGUE)
    outsider = "sip:carol@partner.example"
    assert seen(None, outsider) == seen(Relationship.EXTERNAL, outsider)


def test_p7_privacy_mode_shows_presence_to_contacts_only() -> None:
    service = service_with_alice()
    service.set_settings(ALICE, UserPresenceSettings(privacy_mode=True, card=CARD), NOW)
    assert "<ucs:state>Offline</ucs:state>" in service.document_for(ALICE, WATCHER, NOW).decode()
    service.set_relationship(ALICE, WATCHER, Relationship.COLLEAGUE, NOW)
    assert "<ucs:state>In a Meeting</ucs:state>" in service.document_for(ALICE, WATCHER, NOW).decode()


def test_p8_confirm_authorization_needs_a_relationship() -> None:
    service = service_with_alice()
    assert service.is_authorized(ALICE, WATCHER)
    service.set_settings(ALICE, UserPresenceSettings(authorization=WatcherAuthorization.CONFIRM), NOW)
    assert not service.is_authorized(ALICE, WATCHER)
    assert service.is_authorized(ALICE, ALICE)
    service.set_relationship(ALICE, WATCHER, Relationship.BLOCKED, NOW)
    assert service.is_authorized(ALICE, WATCHER)   # polite blocking: active, and Offline


def test_users_see_all_of_themselves() -> None:
    service = service_with_alice()
    assert "+1 425 555 0102" in service.document_for(ALICE, ALICE, NOW).decode()


def test_an_unknown_presentity_is_offline() -> None:
    service = PresenceService(PresenceConfig(), ("example.com",))
    document = service.document_for("sip:nobody@example.com", WATCHER, NOW).decode()
    assert "<basic>closed</basic>" in document
    assert service.aggregate("sip:nobody@example.com", NOW).availability is Availability.OFFLINE


def test_relationship_names_parse() -> None:
    assert Relationship.parse("Friends and Family") is Relationship.FRIENDS_AND_FAMILY
    assert Relationship.parse("external-contacts") is Relationship.EXTERNAL
    with pytest.raises(ValueError, match="one of"):
        Relationship.parse("enemy")


def test_policies_decide_unless_the_user_set_it() -> None:
    config = PresenceConfig(policies=(("Executive", PresencePolicy(WatcherAuthorization.CONFIRM, True)),))
    service = PresenceService(config, ("example.com",))
    assert service.authorization(ALICE) is WatcherAuthorization.OPEN and not service.privacy_mode(ALICE)
    service.policy_of = lambda aor: "Executive" if aor == ALICE else None
    assert service.authorization(ALICE) is WatcherAuthorization.CONFIRM and service.privacy_mode(ALICE)
    assert not service.is_authorized(ALICE, WATCHER)
    assert "<ucs:state>Offline</ucs:state>" in service.document_for(ALICE, WATCHER, NOW).decode()
    service.set_settings(ALICE, UserPresenceSettings(privacy_mode=False, authorization=WatcherAuthorization.OPEN),
                         NOW)
    assert service.is_authorized(ALICE, WATCHER) and not service.privacy_mode(ALICE)
    service.policy_of = lambda aor: "NoSuchPolicy"
    service.set_settings(ALICE, UserPresenceSettings(), NOW)
    assert service.authorization(ALICE) is WatcherAuthorization.OPEN   # an unknown name: the defaults


def test_the_users_contact_list_counts_and_its_relationship_hints_apply() -> None:
    from uc_signal.rls import ContactDirectory, ContactList
    from uc_signal.rls.contacts import Contact
    from uc_signal.ucd.presence import ContactIndex

    contacts = ContactDirectory()
    service = service_with_alice()
    service.contact_of = ContactIndex(contacts)
    contacts.add_observer(service.contacts_changed)
    heard: list[str] = []
    service.add_authorization_observer(lambda presentity, watcher, now: heard.append(presentity))
    service.set_settings(ALICE, UserPresenceSettings(privacy_mode=True, authorization=WatcherAuthorization.CONFIRM,
                                                     card=CARD), NOW)
    assert not service.is_authorized(ALICE, WATCHER)
    assert "<ucs:state>Offline</ucs:state>" in service.document_for(ALICE, WATCHER, NOW).decode()
    contacts.put(ContactList(ALICE, (Contact(WATCHER, "Bob", (), "workgroup"),)), NOW)
    assert heard[-1] == ALICE                                    # the subscriptions are looked at again
    assert service.is_authorized(ALICE, WATCHER) and service.relationship(ALICE, WATCHER) is Relationship.WORKGROUP
    document = service.document_for(ALICE, WATCHER, NOW).decode()
    assert "+1 425 555 0101" in document                         # Workgroup sees the mobile number
    service.set_relationship(ALICE, WATCHER, Relationship.BLOCKED, NOW)   # the admin's setting wins
    assert "<ucs:state>Offline</ucs:state>" in service.document_for(ALICE, WATCHER, NOW).decode()


def test_the_contact_index_follows_lists_made_emptied_and_absent() -> None:
    from uc_signal.rls import ContactDirectory, ContactList
    from uc_signal.rls.contacts import Contact
    from uc_signal.ucd.presence import ContactIndex

    contacts = ContactDirectory()
    index = ContactIndex(contacts)
    assert index(ALICE, WATCHER) == (False, None)                # no list at all
    contacts.put(ContactList(ALICE, (Contact(WATCHER, "Bob", (), "workgroup"),)), NOW)
    assert index(ALICE, WATCHER) == (True, "workgroup")
    contacts.put(ContactList(ALICE, ()), NOW)
    assert index(ALICE, WATCHER) == (False, None)                # emptied
    contacts.put(ContactList(ALICE, (Contact(WATCHER, "Bob", (), None),)), NOW)
    assert index(ALICE, WATCHER) == (True, None)
