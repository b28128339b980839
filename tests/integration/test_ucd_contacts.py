"""Contact lists on a real ucd: the admin API and `ucctl contacts` (list, add, remove,
groups; --json; clear errors), the contacts policy from the configuration, and the lists
surviving a restart."""

from __future__ import annotations

import json

import pytest

from ucd_harness import Ucd, start_ucd

SETTINGS = {"policies.contacts.Small": {"max_contacts": 2}}   # [policies.contacts.Small] in ucd.toml


# The tests share one ucd (the module fixture below): under pytest-xdist they run on one
# worker, in order (make test: --dist loadgroup), rather than each worker making its own.
pytestmark = pytest.mark.xdist_group("test_ucd_contacts")


@pytest.fixture(scope="module")
def ucd(tmp_path_factory) -> Ucd:
    running = start_ucd(tmp_path_factory.mktemp("ucd-contacts"), SETTINGS)
    running.ucctl("user", "add", "alice", "--password", "pw-alice")
    running.ucctl("user", "add", "bob", "--password", "pw-bob", "--policy", "contacts=Small")
    yield running
    assert running.stop() == 0, running.output()


def contacts_json(ucd: Ucd, user: str) -> dict:
    return json.loads(ucd.ucctl("contacts", "list", user, "--json").stdout)


def test_ucctl_adds_lists_and_removes_contacts_and_groups(ucd: Ucd) -> None:
    added = ucd.ucctl("contacts", "add", "alice", "carol", "--name", "Carol C", "--group", "Work",
                      "--relationship", "workgroup")
    assert added.stdout.strip() == "added sip:carol@example.test to the contacts of alice"
    as_json = json.loads(ucd.ucctl("contacts", "add", "alice", "sip:ed@elsewhere.example", "-g", "Friends",
                                   "--json").stdout)
    assert as_json == {"uri": "sip:ed@elsewhere.example", "display_name": "", "groups": ["Friends"],
                       "relationship": None}
    assert ucd.ucctl("contacts", "groups", "add", "alice", "Golf Club").returncode == 0

    listed = contacts_json(ucd, "alice")
    assert listed["owner"] == "sip:alice@example.test"
    assert listed["list_uri"] == "sip:alice@example.test;list=contacts"
    assert (listed["policy"], listed["max_contacts"]) == ("Global", 1000)
    assert [c["uri"] for c in listed["contacts"]] == ["sip:carol@example.test", "sip:ed@elsewhere.example"]
    assert listed["groups"] == ["Work", "Friends", "Golf Club"]
    table = ucd.ucctl("contacts", "list", "alice").stdout
    assert "2 of 1000 contacts (policy Global)" in table and "Carol C" in table and "workgroup" in table

    assert json.loads(ucd.ucctl("contacts", "groups", "list", "alice", "--json").stdout) == [
        "Work", "Friends", "Golf Club"]
    assert ucd.ucctl("contacts", "groups", "remove", "alice", "Golf Club").stdout.strip() == \
        "removed group 'Golf Club' from the contacts of alice"
    assert ucd.ucctl("contacts", "remove", "alice", "ed@elsewhere.example").returncode == 0
    ucd.ucctl("contacts", "groups", "add", "alice", "Friends/Family?")     # URL-unsafe characters
    assert "Friends/Family?" in contacts_json(ucd, "alice")["groups"]
    ucd.ucctl("contacts", "groups", "remove", "alice", "Friends/Family?")
    assert [c["uri"] for c in contacts_json(ucd, "alice")["contacts"]] == ["sip:carol@example.test"]


def test_errors_name_what_is_wrong(ucd: Ucd) -> None:
    def fails(*args: str) -> str:
        result = ucd.ucctl(*args, check=False)
        assert result.returncode == 1, result.stdout
        return result.stderr.strip()

    ucd.ucctl("contacts", "add", "alice", "dave")
    assert fails("contacts", "add", "alice", "dave") == "ucctl: sip:alice@example.test already has contact " \
                                                       "sip:dave@example.test"
    assert fails("contacts", "remove", "alice", "zed") == "ucctl: sip:alice@example.test has no contact " \
                                                          "sip:zed@example.test"
    assert fails("contacts", "list", "nobody") == "ucctl: no user sip:nobody@example.test"
    assert fails("contacts", "add", "alice", "sip:x@y.example;transport=tcp").startswith(
        "ucctl: uri: must be a plain sip:user@domain")
    assert fails("contacts", "add", "alice", "frank", "--relationship", "boss").startswith(
        "ucctl: relationship: must be one of friends-and-family")
    assert fails("contacts", "groups", "remove", "alice", "Nope") == "ucctl: sip:alice@example.test has no group 'Nope'"


def test_the_contacts_policy_of_the_configuration_bounds_a_list(ucd: Ucd) -> None:
    ucd.ucctl("contacts", "add", "bob", "c1")
    ucd.ucctl("contacts", "add", "bob", "c2")
    full = ucd.ucctl("contacts", "add", "bob", "c3", check=False)
    assert full.returncode == 1
    assert full.stderr.strip() == ("ucctl: sip:bob@example.test has 2 contacts, the most its contacts policy "
                                   "'Small' allows (max_contacts = 2); remove one first or assign a larger policy")
    with ucd.api() as client:
        response = client.post("/api/v1/users/bob/contacts", json={"uri": "c3"})
        assert response.status_code == 409 and response.json()["error"] == "limit"
        listed = client.get("/api/v1/users/bob/contacts").json()
        assert (listed["policy"], listed["max_contacts"], len(listed["contacts"])) == ("Small", 2, 2)
        assert client.post("/api/v1/users/bob/contacts", json={"uri": "c4", "extra": 1}).status_code == 422
        assert client.get("/api/v1/users/bob/contacts", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_lists_survive_a_restart(tmp_path) -> None:
    first = start_ucd(tmp_path, SETTINGS)
    try:
        first.ucctl("user", "add", "alice", "--password", "pw")
        first.ucctl("contacts", "add", "alice", "bob", "--group", "Team")
    finally:
        assert first.stop() == 0, first.output()
    second = start_ucd(tmp_path, SETTINGS, name="again.toml")
    try:
        listed = contacts_json(second, "alice")
        assert [(c["uri"], c["groups"]) for c in listed["contacts"]] == [("sip:bob@example.test", ["Team"])]
        second.ucctl("user", "remove", "alice")
        assert second.ucctl("contacts", "list", "alice", check=False).returncode == 1
    finally:
        assert second.stop() == 0, second.output()
