"""The role and lobby decision table (admission.decide), every row."""

from __future__ import annotations

import pytest

from uc_signal.conferencing.admission import Joiner, LobbyReason, MeetingPolicies, Role, decide
from uc_signal.conferencing.meeting import LobbyPolicy, PresenterPolicy

ORGANIZER = "sip:alice@example.test"
COMPANY = Joiner("sip:bob@example.test", "Bob", authenticated=True, in_company=True)
FEDERATED = Joiner("sip:fed@partner.test", "Fed", authenticated=True, in_company=False)
ANONYMOUS = Joiner("sip:anon@anonymous.invalid", "Guest")
PSTN_GUEST = Joiner("tel:+14255550199", "Caller", via_pstn=True)
PSTN_LEADER = Joiner("sip:bob@example.test", "Bob", authenticated=True, in_company=True, via_pstn=True)


def policies(presenters=PresenterPolicy.COMPANY, lobby=LobbyPolicy.OUTSIDE_COMPANY, bypass=True, locked=False):
    return MeetingPolicies(ORGANIZER, presenters, lobby, bypass, locked)


def test_the_organizer_is_organizer_and_never_waits_even_when_locked():
    organizer = Joiner(ORGANIZER, "Alice", authenticated=True, in_company=True)
    for presenters in PresenterPolicy:
        for lobby in LobbyPolicy:
            admission = decide(policies(presenters, lobby, locked=True), organizer)
            assert (admission.role, admission.lobby) == (Role.ORGANIZER, None)


def test_an_unauthenticated_joiner_claiming_the_organizer_is_not_the_organizer():
    impostor = Joiner(ORGANIZER, "Alice?")
    assert decide(policies(), impostor).role is Role.ATTENDEE


@pytest.mark.parametrize("presenters, joiner, role", [
    (PresenterPolicy.EVERYONE, ANONYMOUS, Role.PRESENTER),
    (PresenterPolicy.EVERYONE, FEDERATED, Role.PRESENTER),
    (PresenterPolicy.EVERYONE, PSTN_GUEST, Role.PRESENTER),
    (PresenterPolicy.COMPANY, COMPANY, Role.PRESENTER),
    (PresenterPolicy.COMPANY, PSTN_LEADER, Role.PRESENTER),
    (PresenterPolicy.COMPANY, FEDERATED, Role.ATTENDEE),
    (PresenterPolicy.COMPANY, ANONYMOUS, Role.ATTENDEE),
    (PresenterPolicy.NONE, COMPANY, Role.ATTENDEE),
    (PresenterPolicy.NONE, ANONYMOUS, Role.ATTENDEE),
])
def test_role_by_presenter_policy(presenters, joiner, role):
    assert decide(policies(presenters, LobbyPolicy.NOBODY), joiner).role is role


@pytest.mark.parametrize("lobby, joiner, waits", [
    (LobbyPolicy.NOBODY, ANONYMOUS, None),
    (LobbyPolicy.NOBODY, FEDERATED, None),
    (LobbyPolicy.UNAUTHENTICATED, ANONYMOUS, LobbyReason.UNAUTHENTICATED),
    (LobbyPolicy.UNAUTHENTICATED, FEDERATED, None),
    (LobbyPolicy.UNAUTHENTICATED, COMPANY, None),
    (LobbyPolicy.OUTSIDE_COMPANY, ANONYMOUS, LobbyReason.OUTSIDE_COMPANY),
    (LobbyPolicy.OUTSIDE_COMPANY, FEDERATED, LobbyReason.OUTSIDE_COMPANY),
    (LobbyPolicy.OUTSIDE_COMPANY, COMPANY, None),
])
def test_lobby_by_policy_for_attendees(lobby, joiner, waits):
    assert decide(policies(PresenterPolicy.NONE, lobby), joiner).lobby is waits


def test_presenters_by_policy_skip_the_lobby():
    assert decide(policies(PresenterPolicy.EVERYONE, LobbyPolicy.OUTSIDE_COMPANY), ANONYMOUS).lobby is None


def test_a_locked_meeting_sends_everyone_but_the_organizer_to_the_lobby():
    for joiner in (COMPANY, FEDERATED, ANONYMOUS, PSTN_GUEST, PSTN_LEADER):
        admission = decide(policies(PresenterPolicy.EVERYONE, LobbyPolicy.NOBODY, locked=True), joiner)
        assert admission.lobby is LobbyReason.LOCKED and admission.waits


@pytest.mark.parametrize("bypass, waits", [(True, None), (False, LobbyReason.OUTSIDE_COMPANY)])
def test_pstn_guests_bypass_the_lobby_by_policy(bypass, waits):
    assert decide(policies(PresenterPolicy.NONE, LobbyPolicy.OUTSIDE_COMPANY, bypass), PSTN_GUEST).lobby is waits


def test_pstn_guest_without_bypass_is_judged_like_an_anonymous_user():
    assert decide(policies(PresenterPolicy.NONE, LobbyPolicy.UNAUTHENTICATED, False), PSTN_GUEST).lobby \
        is LobbyReason.UNAUTHENTICATED
    assert decide(policies(PresenterPolicy.NONE, LobbyPolicy.NOBODY, False), PSTN_GUEST).lobby is None


def test_pstn_leader_is_a_company_user():
    admission = decide(policies(PresenterPolicy.NONE, LobbyPolicy.OUTSIDE_COMPANY, False), PSTN_LEADER)
    assert (admission.role, admission.lobby) == (Role.ATTENDEE, None)


def test_role_control_flag():
    assert Role.ORGANIZER.can_control and Role.PRESENTER.can_control and not Role.ATTENDEE.can_control
