"""ucctl end to end against a real ucd (both subprocesses, loopback, ephemeral ports)."""

from __future__ import annotations

import json
import socket

import pytest

from ucd_harness import Ucd, run_ucctl, start_ucd


# The tests share one ucd (the module fixture below): under pytest-xdist they run on one
# worker, in order (make test: --dist loadgroup), rather than each worker making its own.
pytestmark = pytest.mark.xdist_group("test_ucctl")


@pytest.fixture(scope="module")
def ucd(tmp_path_factory) -> Ucd:
    running = start_ucd(tmp_path_factory.mktemp("ucd-ctl"))
    yield running
    assert running.stop() == 0, running.output()


def test_user_add_list_show_set_remove(ucd):
    added = ucd.ucctl("user", "add", "alice", "--password", "pw-alice", "--display-name", "Alice Liddell",
                      "--line-uri", "tel:+14255550100", "--policy", "voice=International")
    assert added.stdout.strip() == "created sip:alice@example.test"

    listed = ucd.ucctl("user", "list")
    assert "sip:alice@example.test" in listed.stdout and "Alice Liddell" in listed.stdout

    shown = json.loads(ucd.ucctl("user", "show", "alice", "--json").stdout)
    assert shown["line_uri"] == "tel:+14255550100"
    assert shown["policies"] == {"voice": "International"}
    assert shown["enabled"] is True

    changed = json.loads(ucd.ucctl("user", "set", "sip:alice@example.test", "--disable", "--display-name", "A.",
                                   "--json").stdout)
    assert (changed["enabled"], changed["display_name"]) == (False, "A.")

    as_json = json.loads(ucd.ucctl("user", "list", "--json").stdout)
    assert [user["uri"] for user in as_json] == ["sip:alice@example.test"]

    assert ucd.ucctl("user", "remove", "alice").stdout.strip() == "removed alice"
    assert json.loads(ucd.ucctl("user", "list", "--json").stdout) == []


def test_duplicate_and_unknown_users_are_clear_errors(ucd):
    ucd.ucctl("user", "add", "bob", "--password", "pw-bob")
    duplicate = ucd.ucctl("user", "add", "bob", "--password", "again", check=False)
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == "ucctl: user sip:bob@example.test already exists"
    for args in (("user", "show", "nobody"), ("user", "remove", "nobody"), ("user", "set", "nobody", "--enable")):
        for json_args in ((), ("--json",)):
            unknown = ucd.ucctl(*args, *json_args, check=False)
            assert unknown.returncode == 1
            assert unknown.stdout == ""
            assert unknown.stderr.strip() == "ucctl: no user sip:nobody@example.test"
    invalid = ucd.ucctl("user", "set", "bob", "--line-uri", "4255550100", check=False)
    assert invalid.returncode == 1
    assert invalid.stderr.startswith("ucctl: line_uri: must be tel:+E.164")
    ucd.ucctl("user", "remove", "bob")


def test_password_is_prompted_when_not_given(ucd):
    result = run_ucctl(
        "--url", ucd.admin_url, "--data-dir", str(ucd.data_dir), "user", "add", "erin", input="pw-erin\npw-erin\n")
    assert "created sip:erin@example.test" in result.stdout
    ucd.ucctl("user", "remove", "erin")


def test_registrations_empty(ucd):
    assert ucd.ucctl("registrations").stdout.strip() == "no registrations"
    assert json.loads(ucd.ucctl("registrations", "--json").stdout) == []


def test_token_from_the_environment_and_a_wrong_one(ucd, tmp_path):
    listed = run_ucctl("--url", ucd.admin_url, "--data-dir", str(tmp_path), "user", "list", "--json",
                       env={"UCD_ADMIN_TOKEN": ucd.token})
    assert isinstance(json.loads(listed.stdout), list)
    wrong = run_ucctl("--url", ucd.admin_url, "--token", "not-the-token-at-all", "user", "list", check=False)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith(f"ucctl: ucd at {ucd.admin_url} refused the admin token")


def test_daemon_not_running(tmp_path):
    with socket.socket() as probe:   # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for token_args in ((), ("--token", "x" * 20)):
        for json_args in ((), ("--json",)):
            result = run_ucctl("--url", f"http://127.0.0.1:{port}", "--data-dir", str(tmp_path), *token_args,
                               "user", "list", *json_args, check=False)
            assert result.returncode == 1
            assert result.stdout == ""   # --json prints no JSON for an error: one line on stderr
            assert result.stderr.strip() == f"ucctl: ucd is not running at http://127.0.0.1:{port} (connection refused)"


def test_shell_completion_is_offered():
    result = run_ucctl("--help")
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout


def test_status(ucd):
    text = ucd.ucctl("status").stdout
    assert text.startswith("ucd 0.1.0, domain example.test")
    assert "users," in text and "registrations" in text
    assert json.loads(ucd.ucctl("status", "--json").stdout)["domain"] == "example.test"
