"""ucctl's commands against a canned admin API (httpx.MockTransport, no sockets): each one
calls its route, prints the answer (or what it documents) with --json, its text otherwise,
and turns an API error into one line on stderr and exit status 1, with or without --json."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import uc_signal.ucctl.cli as cli
from uc_signal.ucctl.client import AdminClient

USER: dict[str, Any] = {"uri": "sip:alice@example.test", "display_name": "Alice", "line_uri": None, "enabled": True,
        "policies": {}, "digest_algorithms": ["SHA-256"]}
MEETING: dict[str, Any] = {
    "meeting_id": "m1", "conference_id": "4711", "conference_uri": "sip:alice@example.test;gruu;opaque=app:conf:focus:id:m1",
    "organizer": "sip:alice@example.test", "kind": "meet-now", "subject": "Planning", "start": None, "end": None,
    "expires_at": 1796137200.0, "presenter_policy": "company", "lobby_policy": "nobody", "pstn_bypass_lobby": False,
    "locked": False, "created_at": 1796000000.0}
ANSWERS: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/users"): USER,
    ("GET", "/api/v1/users/alice"): USER,
    ("DELETE", "/api/v1/users/alice"): None,
    ("GET", "/api/v1/server"): {"version": "0.1.0", "domain": "example.test", "draining": True,
                                "listening": {"UDP": ["127.0.0.1:5060"]}, "users": 1, "registrations": 2},
    ("DELETE", "/api/v1/meetings/m1"): None,
    ("PATCH", "/api/v1/meetings/m1"): MEETING,
    ("POST", "/api/v1/meetings/4711/controls/eject"): {"control": "eject"},
    ("PUT", "/api/v1/users/alice/pin"): {"user": "sip:alice@example.test"},
    ("POST", "/api/v1/users/alice/contacts"): {"uri": "sip:bob@example.test"},
    ("DELETE", "/api/v1/users/alice/contacts/bob"): None,
    ("POST", "/api/v1/users/alice/contact-groups"): {"groups": ["Team", "New"]},
    ("DELETE", "/api/v1/users/alice/contact-groups/New"): None,
    ("GET", "/api/v1/users/alice/contact-groups"): ["Team", "New"],
    ("DELETE", "/api/v1/presence/alice/relationships/bob"): None,
    ("PUT", "/api/v1/presence/alice/calendar"): {"aor": "sip:alice@example.test", "calendar_intervals": 3},
    ("GET", "/api/v1/im/conversations"): [{"uri": "sip:chat@example.test", "created_by": "sip:[/b]@example.test",
                                           "participants": ["sip:[bold]x@example.test"]}],
}
EMPTY_LISTS = ("/api/v1/users", "/api/v1/registrations", "/api/v1/meetings", "/api/v1/users/alice/contact-groups",
               "/api/v1/presence/alice/relationships", "/api/v1/im/history")


def answer(request: httpx.Request) -> httpx.Response:
    key = (request.method, request.url.path)
    if request.url.params.get("user") == "nobody":
        return httpx.Response(200, json=[])
    if key in ANSWERS:
        body = ANSWERS[key]
        return httpx.Response(204) if body is None else httpx.Response(200, json=body)
    if request.method == "GET" and request.url.path in EMPTY_LISTS:
        return httpx.Response(200, json=[])
    return httpx.Response(404, json={"detail": f"nothing at {request.url.path}"})


class CannedClient(AdminClient):
    def __init__(self, url: str, token: str) -> None:
        super().__init__(url, token)
        self._client = httpx.Client(base_url=self.url, transport=httpx.MockTransport(answer))


@pytest.fixture(autouse=True)
def canned_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "AdminClient", CannedClient)


def ucctl(*args: str) -> Any:
    return CliRunner().invoke(cli.app, ["--url", "http://ucd", "--token", "t" * 20, *args],
                              env={"COLUMNS": "200", "NO_COLOR": "1"})


TEXT = [
    (("user", "add", "alice", "--password", "pw"), "created sip:alice@example.test\n"),
    (("user", "remove", "alice"), "removed alice\n"),
    (("user", "list"), "no users\n"),
    (("registrations",), "no registrations\n"),
    (("status",), "ucd 0.1.0, domain example.test (draining)\n  udp  127.0.0.1:5060\n  1 users, 2 registrations\n"),
    (("meeting", "list"), "no meetings\n"),
    (("meeting", "remove", "m1"), "removed meeting m1\n"),
    (("meeting", "eject", "4711", "p3"), "eject p3: done in meeting 4711\n"),
    (("pin", "set", "alice", "--pin", "1234"), "PIN set for sip:alice@example.test\n"),
    (("contacts", "add", "alice", "bob"), "added sip:bob@example.test to the contacts of alice\n"),
    (("contacts", "remove", "alice", "bob"), "removed bob from the contacts of alice\n"),
    (("contacts", "groups", "list", "alice"), "Team\nNew\n"),
    (("contacts", "groups", "add", "alice", "New"), "added group 'New' to the contacts of alice\n"),
    (("contacts", "groups", "remove", "alice", "New"), "removed group 'New' from the contacts of alice\n"),
    (("presence", "relationship", "clear", "alice", "bob"), "cleared bob\n"),
    (("presence", "relationship", "list", "alice"), "no relationships set\n"),
    (("im", "history"), "no messages\n"),
    (("im", "search", "hello"), "no messages\n"),
    (("im", "conversations", "--user", "nobody"), "no conversations\n"),
]


@pytest.mark.parametrize(("args", "text"), TEXT, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_text(args: tuple[str, ...], text: str) -> None:
    result = ucctl(*args)
    assert (result.exit_code, result.stdout) == (0, text)


JSON = [
    (("user", "show", "alice"), USER),
    (("user", "remove", "alice"), {"removed": "alice"}),
    (("user", "list"), []),
    (("meeting", "remove", "m1"), {"removed": "m1"}),
    (("meeting", "set", "m1", "--lobby", "nobody"), MEETING),
    (("meeting", "eject", "4711", "p3"), {"control": "eject"}),
    (("contacts", "remove", "alice", "bob"), {"removed": "bob", "user": "alice"}),
    (("contacts", "groups", "add", "alice", "New"), ["Team", "New"]),
    (("contacts", "groups", "remove", "alice", "New"), {"removed": "New", "user": "alice"}),
    (("presence", "relationship", "clear", "alice", "bob"), {"cleared": "bob"}),
]


@pytest.mark.parametrize(("args", "value"), JSON, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_json(args: tuple[str, ...], value: Any) -> None:
    result = ucctl(*args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == value


@pytest.mark.parametrize("as_json", [(), ("--json",)], ids=["text", "json"])
@pytest.mark.parametrize(("args", "path"), [(("user", "show", "nobody"), "/api/v1/users/nobody"),
                                          (("meeting", "show", "m9"), "/api/v1/meetings/m9"),
                                          (("contacts", "list", "nobody"), "/api/v1/users/nobody/contacts"),
                                          (("presence", "show", "nobody"), "/api/v1/presence/nobody")],
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_an_api_error_is_one_line_on_stderr_and_status_1(args: tuple[str, ...], path: str,
                                                         as_json: tuple[str, ...]) -> None:
    result = ucctl(*args, *as_json)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"ucctl: nothing at {path}\n"


def test_data_is_printed_as_it_is_not_as_rich_markup() -> None:
    result = ucctl("im", "conversations")
    assert result.exit_code == 0, result.output
    assert "sip:[/b]@example.test" in result.stdout and "sip:[bold]x@example.test" in result.stdout


def test_meeting_set_sends_only_what_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answer(request)

    class RecordingClient(AdminClient):
        def __init__(self, url: str, token: str) -> None:
            super().__init__(url, token)
            self._client = httpx.Client(base_url=self.url, transport=httpx.MockTransport(record))

    monkeypatch.setattr(cli, "AdminClient", RecordingClient)
    result = ucctl("meeting", "set", "m1", "--subject", "Planning", "--lobby", "nobody", "--presenters", "company",
                   "--expires", "2026-12-31T00:00Z", "--no-pstn-bypass")
    assert result.exit_code == 0, result.output
    assert [(r.method, r.url.path) for r in sent] == [("PATCH", "/api/v1/meetings/m1")]
    assert json.loads(sent[0].content) == {"subject": "Planning", "lobby_policy": "nobody",
                                           "presenter_policy": "company", "expires_at": "2026-12-31T00:00Z",
                                           "pstn_bypass_lobby": False}
    lines = result.stdout.splitlines()
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["meeting_id", "m1"] and ["lobby_policy", "nobody"] in rows and ["pstn_bypass_lobby", "no"] in rows


def test_meeting_set_without_a_change_is_a_usage_error() -> None:
    result = ucctl("meeting", "set", "m1")
    assert result.exit_code == 2
    assert result.stdout == "" and "nothing to change" in result.stderr


def test_meeting_set_an_invalid_value_is_one_line_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"error": "invalid", "detail": "lobby_policy: Input should be 'nobody', "
                                         "'unauthenticated' or 'outside-company'", "field": "lobby_policy"})

    class RefusingClient(AdminClient):
        def __init__(self, url: str, token: str) -> None:
            super().__init__(url, token)
            self._client = httpx.Client(base_url=self.url, transport=httpx.MockTransport(refuse))

    monkeypatch.setattr(cli, "AdminClient", RefusingClient)
    result = ucctl("meeting", "set", "m1", "--lobby", "all")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == ("ucctl: lobby_policy: Input should be 'nobody', 'unauthenticated' or "
                             "'outside-company'\n")
