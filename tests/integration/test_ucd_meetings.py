"""Meetings and leader PINs through a real ucd: the admin API over HTTP and ucctl, against
the store on disk (loopback, ephemeral ports)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ucd_harness import Ucd, start_ucd


# The tests share one ucd (the module fixture below): under pytest-xdist they run on one
# worker, in order (make test: --dist loadgroup), rather than each worker making its own.
pytestmark = pytest.mark.xdist_group("test_ucd_meetings")


@pytest.fixture(scope="module")
def ucd(tmp_path_factory) -> Ucd:
    running = start_ucd(tmp_path_factory.mktemp("ucd-meetings"),
                        {"conferencing": {"conference_id_digits": 9, "lobby": "unauthenticated"}})
    running.ucctl("user", "add", "alice", "--password", "pw-alice", "--line-uri", "tel:+14255550100;ext=100")
    yield running
    assert running.stop() == 0, running.output()


def test_meetings_over_the_api(ucd):
    with ucd.api() as api:
        created = api.post("/api/v1/meetings", json={"organizer": "alice", "subject": "Weekly"})
        assert created.status_code == 201, created.text
        meeting = created.json()
        assert meeting["kind"] == "meet-now"
        assert len(meeting["conference_id"]) == 9                 # from [conferencing]
        assert meeting["lobby_policy"] == "unauthenticated"       # the configured default
        assert meeting["conference_uri"] == (f"sip:alice@example.test;gruu;opaque=app:conf:focus:id:"
                                             f"{meeting['meeting_id']}")
        listed = api.get("/api/v1/meetings", params={"organizer": "sip:alice@example.test"}).json()
        assert [m["meeting_id"] for m in listed] == [meeting["meeting_id"]]
        assert api.get(f"/api/v1/meetings/{meeting['conference_id']}").json() == meeting
        assert api.delete(f"/api/v1/meetings/{meeting['meeting_id']}").status_code == 204
        gone = api.get(f"/api/v1/meetings/{meeting['meeting_id']}")
        assert gone.status_code == 404 and gone.json()["detail"] == f"no meeting {meeting['meeting_id']}"
        schema = api.get("/api/openapi.json").json()
    assert {"/api/v1/meetings", "/api/v1/meetings/{meeting}", "/api/v1/users/{user}/pin"} <= set(schema["paths"])


def test_ucctl_meeting_add_list_show_remove(ucd):
    added = ucd.ucctl("meeting", "add", "alice", "--subject", "Quarterly review", "--start", "2030-01-15T15:00Z",
                      "--end", "2030-01-15T16:30Z", "--presenters", "everyone", "--lobby", "nobody",
                      "--no-pstn-bypass")
    first_line = added.stdout.splitlines()[0]
    assert first_line.startswith("created meeting ") and "(conference ID " in first_line
    meeting_id = first_line.split()[2]

    shown = json.loads(ucd.ucctl("meeting", "show", meeting_id, "--json").stdout)
    assert (shown["kind"], shown["subject"], shown["presenter_policy"], shown["lobby_policy"]) == (
        "scheduled", "Quarterly review", "everyone", "nobody")
    assert shown["pstn_bypass_lobby"] is False
    assert shown["start"] == 1894719600.0 and shown["end"] == 1894725000.0

    table = ucd.ucctl("meeting", "list").stdout
    assert meeting_id in table and "Quarterly review" in table and "2030-01-15 15:00 UTC" in table
    text = ucd.ucctl("meeting", "show", shown["conference_id"]).stdout
    by_uri = json.loads(ucd.ucctl("meeting", "show", shown["conference_uri"], "--json").stdout)
    assert by_uri == shown
    assert "conference_uri" in text and "sip:alice@example.test;gruu;opaque=app:conf:focus:id:" in text

    as_json = json.loads(ucd.ucctl("meeting", "add", "alice", "--json").stdout)
    assert as_json["kind"] == "meet-now"
    listed = json.loads(ucd.ucctl("meeting", "list", "--organizer", "alice", "--json").stdout)
    assert {m["meeting_id"] for m in listed} == {meeting_id, as_json["meeting_id"]}

    assert ucd.ucctl("meeting", "remove", meeting_id).stdout.strip() == f"removed meeting {meeting_id}"
    assert json.loads(ucd.ucctl("meeting", "remove", as_json["conference_id"], "--json").stdout) == {
        "removed": as_json["conference_id"]}
    assert ucd.ucctl("meeting", "list").stdout.strip() == "no meetings"


def test_ucctl_meeting_errors_are_one_clear_line(ucd):
    cases = [(("meeting", "add", "nobody"), "ucctl: organizer: no user sip:nobody@example.test"),
             (("meeting", "add", "alice", "--start", "2030-01-15T15:00Z"),
              "ucctl: start: a scheduled meeting needs a start and an end"),
             (("meeting", "add", "alice", "--lobby", "all"), "ucctl: lobby_policy: "),
             (("meeting", "add", "alice", "--start", "tomorrow", "--end", "later"), "ucctl: start: "),
             (("meeting", "show", "NOSUCH99"), "ucctl: no meeting NOSUCH99"),
             (("meeting", "remove", "12345"), "ucctl: no meeting 12345")]
    for args, message in cases:
        result = ucd.ucctl(*args, check=False)
        assert result.returncode == 1, args
        assert result.stderr.startswith(message), (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1


def test_ucctl_meeting_set(ucd):
    meeting = json.loads(ucd.ucctl("meeting", "add", "alice", "--subject", "Standup", "--json").stdout)
    assert meeting["lobby_policy"] == "unauthenticated"
    changed = ucd.ucctl("meeting", "set", meeting["conference_id"], "--lobby", "nobody", "--subject", "Daily standup",
                        "--no-pstn-bypass")
    assert "lobby_policy" in changed.stdout and "nobody" in changed.stdout
    shown = json.loads(ucd.ucctl("meeting", "show", meeting["meeting_id"], "--json").stdout)
    assert (shown["lobby_policy"], shown["subject"], shown["pstn_bypass_lobby"]) == ("nobody", "Daily standup", False)
    text = [line.split() for line in ucd.ucctl("meeting", "show", meeting["meeting_id"]).stdout.splitlines()]
    assert ["lobby_policy", "nobody"] in text
    for args, message in ((("--lobby", "all"), "ucctl: lobby_policy: "),
                          (("--end", "2030-01-15T16:30Z"), "ucctl: end: a meet-now meeting has no end")):
        bad = ucd.ucctl("meeting", "set", meeting["meeting_id"], *args, check=False)
        assert bad.returncode == 1, args
        assert bad.stderr.startswith(message) and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    unknown = ucd.ucctl("meeting", "set", "NOSUCH99", "--subject", "x", check=False)
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "ucctl: no meeting NOSUCH99")
    assert json.loads(ucd.ucctl("meeting", "show", meeting["meeting_id"], "--json").stdout) == shown
    ucd.ucctl("meeting", "remove", meeting["meeting_id"])


def test_ucctl_pin_set(ucd):
    result = ucd.ucctl("pin", "set", "alice", "--pin", "80417")
    assert result.stdout.strip() == "PIN set for sip:alice@example.test"
    as_json = json.loads(ucd.ucctl("pin", "set", "sip:alice@example.test", "--pin", "80419", "--json").stdout)
    assert as_json["pin_set"] is True and as_json["locked_out"] is False and "pin" not in as_json
    for pin, message in (("1234", "at least 5"), ("99999", "repeat one digit"), ("00100", "phone number or ext"),
                         ("12a45", "digits only")):
        weak = ucd.ucctl("pin", "set", "alice", "--pin", pin, check=False)
        assert weak.returncode == 1
        assert weak.stderr.startswith("ucctl: pin: a PIN must") and message in weak.stderr, weak.stderr
    unknown = ucd.ucctl("pin", "set", "nobody", "--pin", "80417", check=False)
    assert unknown.stderr.strip() == "ucctl: no user sip:nobody@example.test"
    connection = sqlite3.connect(ucd.data_dir / "ucd.sqlite3")
    try:
        hashes = [row[0] for row in connection.execute("SELECT pin_hash FROM user_pins")]
    finally:
        connection.close()
    assert len(hashes) == 1 and hashes[0].startswith("scrypt$") and "80419" not in hashes[0]


def test_meetings_survive_a_restart(tmp_path):
    first = start_ucd(tmp_path)
    try:
        first.ucctl("user", "add", "bob", "--password", "pw-bob")
        meeting = json.loads(first.ucctl("meeting", "add", "bob", "--subject", "Kept", "--json").stdout)
    finally:
        assert first.stop() == 0, first.output()
    second = start_ucd(tmp_path, data_dir=first.data_dir)
    try:
        shown = json.loads(second.ucctl("meeting", "show", meeting["meeting_id"], "--json").stdout)
        assert shown == meeting
    finally:
        assert second.stop() == 0, second.output()
