"""Multiparty IM: a conversation URI made at the factory, fan-out with the sender's
identity, joining late (invited or by writing to it), leaving; history of it all and the
retention purge."""

from __future__ import annotations

from uc_signal.im import HistoryQuery, ImSettings
from uc_signal.sip import NameAddr

from im_network import ImNetwork, aor, bodies


def start(im: ImNetwork) -> tuple[str, dict[str, object]]:
    users = {name: im.user(name, f"192.0.2.{10 + i}") for i, name in enumerate(("alice", "bob", "carol", "dave"))}
    for ua in users.values():
        assert ua.register().status == 200
    answer = im.send(users["alice"], aor("chat"), "/invite bob sip:carol@example.com")
    assert answer.status == 200
    contact = answer.headers.get("Contact")
    assert contact is not None
    return NameAddr.parse(contact).uri_text, users


def test_the_factory_creates_a_conversation_and_tells_every_participant() -> None:
    im = ImNetwork()
    uri, users = start(im)
    assert uri.startswith("sip:chat-") and uri.endswith("@example.com")
    for name in ("alice", "bob", "carol"):
        notice = users[name].requests("MESSAGE")[-1].request   # type: ignore[attr-defined]
        assert notice.from_.uri_text == uri
        assert "alice started a conversation with alice, bob, carol" in notice.body.decode()
    assert bodies(users["dave"]) == []   # type: ignore[arg-type]
    assert im.store.saved_conversations[uri].participants == [aor("alice"), aor("bob"), aor("carol")]


def test_a_message_to_the_conversation_fans_out_with_the_senders_identity() -> None:
    im = ImNetwork()
    uri, users = start(im)
    answer = im.send(users["bob"], uri, "hello all")     # type: ignore[arg-type]
    assert answer.status == 202
    for name in ("alice", "carol"):
        message = users[name].requests("MESSAGE")[-1].request   # type: ignore[attr-defined]
        assert message.body == b"hello all"
        assert message.from_.uri_text == uri and message.from_.display_name == "bob"
        assert message.headers.get("P-Asserted-Identity") == f"<{aor('bob')}>"
    assert bodies(users["bob"])[-1] != "hello all"   # type: ignore[arg-type]
    archived = [(e.sender, e.recipient, e.conversation) for e in im.store.history]
    assert sorted(archived) == [(aor("bob"), aor("alice"), uri), (aor("bob"), aor("carol"), uri)]


def test_a_third_user_invited_later_gets_the_messages_after_it() -> None:
    im = ImNetwork()
    uri, users = start(im)
    im.send(users["alice"], uri, "before dave")   # type: ignore[arg-type]
    assert im.send(users["carol"], uri, "/invite dave").status == 200   # type: ignore[arg-type]
    assert "carol invited dave" in bodies(users["dave"])[-1]   # type: ignore[arg-type]
    im.send(users["bob"], uri, "after dave")   # type: ignore[arg-type]
    dave_texts = bodies(users["dave"])   # type: ignore[arg-type]
    assert "after dave" in dave_texts and "before dave" not in dave_texts


def test_a_local_user_joins_by_writing_to_the_conversation_and_can_leave() -> None:
    im = ImNetwork()
    uri, users = start(im)
    assert im.send(users["dave"], uri, "hi, may I join?").status == 202   # type: ignore[arg-type]
    assert "dave joined the conversation." in bodies(users["alice"])   # type: ignore[arg-type]
    assert bodies(users["bob"])[-1] == "hi, may I join?"   # type: ignore[arg-type]
    assert im.send(users["bob"], uri, "/leave").status == 200   # type: ignore[arg-type]
    im.send(users["alice"], uri, "bob is gone")   # type: ignore[arg-type]
    assert "bob is gone" not in bodies(users["bob"])   # type: ignore[arg-type]
    assert bodies(users["dave"])[-1] == "bob is gone"   # type: ignore[arg-type]


def test_a_conversation_member_offline_gets_its_messages_on_register() -> None:
    im = ImNetwork()
    uri, users = start(im)
    erin = im.user("erin", "192.0.2.50")
    assert im.send(users["alice"], uri, "/invite erin").status == 200   # type: ignore[arg-type]
    im.send(users["bob"], uri, "while erin was away")   # type: ignore[arg-type]
    erin.register()
    im.net.advance(2)
    received = erin.requests("MESSAGE")
    assert [e.request.body.decode() for e in received][-1] == "while erin was away"
    assert received[-1].request.headers.get("P-Asserted-Identity") == f"<{aor('bob')}>"


def test_conversations_survive_a_restart() -> None:
    im = ImNetwork()
    uri, users = start(im)
    im.restart()
    assert im.send(users["bob"], uri, "still here").status == 202   # type: ignore[arg-type]
    assert bodies(users["carol"])[-1] == "still here"   # type: ignore[arg-type]


def test_unknown_invitees_and_external_senders_are_refused() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    answer = im.send(alice, aor("chat"), "/invite nosuchuser")
    assert answer.status == 404 and "nosuchuser" in (answer.reason or "")
    assert im.store.saved_conversations == {}


def test_history_search_by_user_peer_time_and_text() -> None:
    im = ImNetwork()
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    carol = im.user("carol", "192.0.2.30")
    bob.register(), carol.register(), alice.register()
    t0 = im.net.now
    im.send(alice, aor("bob"), "Lunch at noon?")
    im.net.advance(100, step=50)
    im.send(bob, aor("alice"), "yes, lunch works")
    im.send(alice, aor("carol"), "report due friday")
    store = im.store
    assert len(store.search(HistoryQuery(user=aor("alice")))) == 3
    assert [e.text for e in store.search(HistoryQuery(user=aor("alice"), peer=aor("bob")))] == \
        ["Lunch at noon?", "yes, lunch works"]
    assert [e.text for e in store.search(HistoryQuery(text="LUNCH"))] == ["Lunch at noon?", "yes, lunch works"]
    assert [e.text for e in store.search(HistoryQuery(since=t0 + 50))] == ["yes, lunch works", "report due friday"]
    assert [e.text for e in store.search(HistoryQuery(until=t0 + 50))] == ["Lunch at noon?"]
    assert store.search(HistoryQuery(user=aor("carol"), peer=aor("bob"))) == []


def test_retention_purges_history_older_than_n_days() -> None:
    im = ImNetwork(settings=ImSettings(retention_days=2, purge_interval=3600))
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    bob.register()
    im.send(alice, aor("bob"), "old news")
    service = im.im
    day = 86400.0
    service.handle_timer(im.net.now + 1.5 * day)
    assert [e.text for e in im.store.history] == ["old news"]
    assert service.get_timer() == im.net.now + 1.5 * day + 3600
    service.handle_timer(im.net.now + 2.5 * day)
    assert im.store.history == []


def test_a_policy_without_archiving_keeps_it_out_of_the_history() -> None:
    from uc_signal.im import ImPolicy
    im = ImNetwork(settings=ImSettings(policies=(ImPolicy("Global", archive=False),
                                                 ImPolicy("Archived", archive=True))))
    alice = im.user("alice", "192.0.2.10")
    bob = im.user("bob", "192.0.2.20")
    carol = im.user("carol", "192.0.2.30", policy="Archived")
    bob.register(), carol.register()
    im.send(alice, aor("bob"), "unarchived")
    im.send(alice, aor("carol"), "archived: carol's policy says so")
    assert [e.text for e in im.store.history] == ["archived: carol's policy says so"]
