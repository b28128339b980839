"""IM delivery (RFC 3428) through the IM application of the chain: every endpoint, the
sender's answer, policies, size limit, is-composing (RFC 3994), the IM filter."""

from __future__ import annotations

from uc_signal.im import FilterRules, ImPolicy, ImSettings, IS_COMPOSING

from im_network import IS_COMPOSING_BODY, ImNetwork, aor, bodies


def test_a_message_reaches_every_endpoint_and_the_sender_gets_200() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob1 = im.user("bob", "192.0.2.20")
    bob2 = im.endpoint("bob", "192.0.2.21")
    assert bob1.register().status == 200 and bob2.register().status == 200
    answer = im.send(alice, aor("bob"), "hi bob")
    assert answer.status == 200
    assert bodies(bob1) == ["hi bob"] and bodies(bob2) == ["hi bob"]
    copy = bob1.requests("MESSAGE")[0].request
    assert copy.from_ is not None and copy.from_.uri_text == aor("alice")
    assert "Proxy-Authorization" not in copy.headers       # our credentials stay with us
    assert len(copy.via) == 1                               # the server's own transaction
    assert [(e.sender, e.recipient, e.text) for e in im.store.history] == [(aor("alice"), aor("bob"), "hi bob")]
    assert len(im.net.core.originator) == 0


def test_one_endpoint_accepting_is_enough_and_202_is_passed_on() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob1 = im.user("bob", "192.0.2.20", answer=486)
    bob2 = im.endpoint("bob", "192.0.2.21", answer=202)
    bob1.register(), bob2.register()
    assert im.send(alice, aor("bob")).status == 202
    assert len(im.store.history) == 1 and not im.store.offline


def test_every_endpoint_refusing_gives_the_best_failure() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob1 = im.user("bob", "192.0.2.20", answer=486)
    bob2 = im.endpoint("bob", "192.0.2.21", answer=603)
    bob1.register(), bob2.register()
    assert im.send(alice, aor("bob")).status == 603
    assert im.store.history == [] and not im.store.offline


def test_an_external_sender_reaches_a_local_user_without_a_challenge() -> None:
    im = ImNetwork()
    bob = im.user("bob", "192.0.2.20")
    bob.register()
    outsider = im.net.agent("mallory", "198.51.100.7", user=False)
    request = outsider.request("MESSAGE", aor("bob"), body="from outside",
                               extra="Content-Type: text/plain\r\n")
    request.headers.set("From", "<sip:mallory@elsewhere.test>;tag=x1")
    outsider.send(request)
    im.net.run()
    assert outsider.final("MESSAGE").status == 200
    assert bodies(bob) == ["from outside"]
    assert im.store.history[0].sender == "sip:mallory@elsewhere.test"


def test_unknown_recipient_is_404_and_other_domains_go_to_the_proxy() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    assert im.send(alice, aor("nobody")).status == 404
    assert im.send(alice, aor("nobody")).reason == "Not Found (no such user)"
    # Not ours to serve: the proxy router forwards it (two Vias: the sender's and its own).
    im.net.sinks["192.0.2.77"] = []
    target = "sip:bob@192.0.2.77"
    alice.send(alice.request("MESSAGE", target, body="x", extra="Content-Type: text/plain\r\n"))
    im.net.run()
    auth = alice.digest.authorize(alice.final("MESSAGE").headers.get_all("Proxy-Authenticate")[-1], "MESSAGE", target)
    alice.send(alice.request("MESSAGE", target, body="x", extra=f"Proxy-Authorization: {auth}\r\n"))
    im.net.run()
    forwarded = [data for data in im.net.sinks["192.0.2.77"] if data.startswith(b"MESSAGE")]
    assert forwarded and forwarded[0].count(b"\r\nVia: ") == 2
    assert im.store.history == []


def test_a_body_over_the_limit_is_413_server_limit_and_policy_limit() -> None:
    im = ImNetwork(settings=ImSettings(max_size=1000, policies=(ImPolicy("Small", max_size=50),)))
    alice = im.user("alice", "192.0.2.10")
    carol = im.user("carol", "192.0.2.30", policy="Small")
    bob = im.user("bob", "192.0.2.20")
    bob.register(), carol.register()
    answer = im.send(alice, aor("bob"), "x" * 1001)
    assert answer.status == 413 and "limit 1000" in (answer.reason or "")
    assert im.send(alice, aor("bob"), "x" * 1000).status == 200
    answer = im.send(alice, aor("carol"), "y" * 51)
    assert answer.status == 413 and "limit 50" in (answer.reason or "")
    assert bodies(bob) == ["x" * 1000] and bodies(carol) == []


def test_policies_forbid_with_a_reason_naming_whose_policy() -> None:
    settings = ImSettings(policies=(ImPolicy("Global"), ImPolicy("NoIM", enabled=False)))
    im = ImNetwork(settings=settings)
    alice = im.user("alice", "192.0.2.10")
    muted = im.user("muted", "192.0.2.11", policy="NoIM")
    bob = im.user("bob", "192.0.2.20")
    ghost = im.user("ghost", "192.0.2.12", policy="Missing")
    for ua in (alice, muted, bob, ghost):
        ua.register()
    to_muted = im.send(alice, aor("muted"))
    assert to_muted.status == 403 and "recipient by policy NoIM" in (to_muted.reason or "")
    from_muted = im.send(muted, aor("bob"))
    assert from_muted.status == 403 and "sender by policy NoIM" in (from_muted.reason or "")
    undefined = im.send(alice, aor("ghost"))
    assert undefined.status == 403 and "Missing is not defined" in (undefined.reason or "")
    assert bodies(bob) == [] and bodies(muted) == [] and im.store.history == []


def test_a_disabled_recipient_is_refused() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    im.user("bob", "192.0.2.20").register()
    im.net.users.set_enabled("bob", "example.com", False)
    answer = im.send(alice, aor("bob"))
    assert answer.status == 403 and "disabled" in (answer.reason or "")


def test_is_composing_is_relayed_but_never_stored_or_archived() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    carol = im.user("carol", "192.0.2.30")
    bob.register()
    assert im.send(alice, aor("bob"), IS_COMPOSING_BODY, content_type=IS_COMPOSING).status == 200
    relayed = bob.requests("MESSAGE")[0].request
    assert relayed.content_type is not None and relayed.content_type.mime_type == IS_COMPOSING
    assert relayed.body.decode() == IS_COMPOSING_BODY
    offline = im.send(alice, aor("carol"), IS_COMPOSING_BODY, content_type=IS_COMPOSING)
    assert offline.status == 480
    assert im.store.history == [] and im.store.offline == {}
    carol.register()
    im.net.advance(2)
    assert bodies(carol) == []


def test_the_filter_blocks_urls_and_file_types_and_warns_on_flagged_links() -> None:
    rules = FilterRules(block_urls=("*://*.malware.test/*",), warn_urls=("*casino*",),
                        blocked_extensions=("exe", "bat"), warn_prefix="[flagged] ")
    im = ImNetwork(settings=ImSettings(filter=rules))
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    bob.register()
    blocked = im.send(alice, aor("bob"), "see http://www.malware.test/x please")
    assert blocked.status == 403 and "*://*.malware.test/*" in (blocked.reason or "")
    typed = im.send(alice, aor("bob"), "run Setup.EXE now")
    assert typed.status == 403 and ".exe" in (typed.reason or "")
    assert im.send(alice, aor("bob"), "try https://best-casino.test/").status == 200
    assert im.send(alice, aor("bob"), "plain text, nothing to see").status == 200
    assert bodies(bob) == ["[flagged] try https://best-casino.test/", "plain text, nothing to see"]
    assert im.store.history[0].text == "[flagged] try https://best-casino.test/"


def test_an_answered_message_leaves_no_deadline_behind() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    bob.register()
    assert im.send(alice, aor("bob"), "quick").status == 200
    assert im.im.get_timer() is None
