"""The IM service's parts on their own: the filter, conversation commands, policy
tables, history queries, and which endpoint failure a sender is told. Hypothesis
properties for what parses text from users (the filter, the commands)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uc_signal.directory import InMemoryUserDirectory, User
from uc_signal.im import ArchivedMessage, FilterRules, HistoryQuery, ImFilter, ImPolicy, ImSettings
from uc_signal.im.conversations import parse_command, resolve_user
from uc_signal.im.fork import all_unreachable, best_failure
from uc_signal.sip import Response

RULES = FilterRules(block_urls=("*://*.malware.test/*", "*phish*"), warn_urls=("*casino*",),
                    blocked_extensions=("exe", ".BAT"))


@pytest.mark.parametrize("text, blocked", [
    ("see https://www.malware.test/x", "link matches blocked pattern *://*.malware.test/*"),
    ("HTTP://WWW.MALWARE.TEST/Y", "link matches blocked pattern *://*.malware.test/*"),
    ("www.phishing.test/login", "link matches blocked pattern *phish*"),
    ("open setup.exe", "names a file of blocked type .exe"),
    ("get http://files.test/tool.exe.", "names a file of blocked type .exe"),
    ("run.bat please", "names a file of blocked type .bat"),
])
def test_the_filter_blocks(text: str, blocked: str) -> None:
    assert ImFilter(RULES).check(text).blocked == blocked


@pytest.mark.parametrize("text", ["no links at all", "malware.test without a scheme", "an exe is a program",
                                  "file.execute", "https://good.test/page.html", "mail me at phish@x.test"])
def test_the_filter_passes(text: str) -> None:
    assert ImFilter(RULES).check(text).passed


def test_the_filter_warns_and_prefixes() -> None:
    flt = ImFilter(RULES)
    verdict = flt.check("win at https://casino.test/")
    assert verdict.warn and verdict.blocked is None
    assert flt.warned("x").startswith(RULES.warn_prefix)
    assert not ImFilter(FilterRules()).active


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_filter_never_fails_and_blocks_only_with_a_reason(text: str) -> None:
    verdict = ImFilter(RULES).check(text)
    assert verdict.blocked is None or verdict.blocked.startswith(("link matches", "names a file"))
    assert not (verdict.blocked and verdict.warn)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
       st.sampled_from(["exe", "bat"]))
def test_a_named_blocked_file_is_always_caught(prefix: str, extension: str) -> None:
    assert ImFilter(RULES).check(f"{prefix} report.{extension} ").blocked is not None


def test_conversation_commands() -> None:
    assert parse_command("/invite bob, sip:carol@x.test").arguments == ("bob", "sip:carol@x.test")
    assert parse_command("/LEAVE").verb == "leave"
    assert parse_command("/who").verb == "who"
    assert parse_command("/shrug hello").verb == "say"
    assert parse_command("hello /invite bob").verb == "say"
    assert parse_command("bob carol", factory=True) == parse_command("/invite bob carol")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.booleans())
def test_commands_never_fail(text: str, factory: bool) -> None:
    command = parse_command(text, factory=factory)
    assert command.verb in ("invite", "leave", "who", "say")
    assert all(word and not any(c in word for c in " \t\n,;") for word in command.arguments)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_resolving_any_word_is_a_local_user_or_none(word: str) -> None:
    users = InMemoryUserDirectory()
    users.add_user("bob", "x.test", "pw")
    assert resolve_user(word, "x.test", users) in (None, "sip:bob@x.test")


def test_resolve_user_forms() -> None:
    users = InMemoryUserDirectory()
    users.add_user("bob", "x.test", "pw")
    for word in ("bob", "bob@x.test", "sip:bob@x.test", "<sip:bob@X.TEST>"):
        assert resolve_user(word, "x.test", users) == "sip:bob@x.test", word
    assert resolve_user("carol", "x.test", users) is None
    users.set_enabled("bob", "x.test", False)
    assert resolve_user("bob", "x.test", users) is None


def test_policy_tables_and_lookup() -> None:
    policies = (ImPolicy("Global", archive=False), ImPolicy("Small", offline=False, max_size=10))
    settings_ = ImSettings(max_size=100, policies=policies)
    assert settings_.policy_for(User("a", "x")) == ImPolicy("Global", archive=False)
    assert settings_.policy_for(User("a", "x", policies=(("im", "Small"),))) == ImPolicy("Small", offline=False,
                                                                                         max_size=10)
    assert settings_.policy_for(User("a", "x", policies=(("im", "Nope"),))) is None
    assert ImSettings().policy_for(User("a", "x")) == ImPolicy()
    twice = ImSettings(policies=(ImPolicy("Global", archive=False), ImPolicy("Global")))
    assert twice.policy_for(User("a", "x")) == ImPolicy("Global", archive=False)   # the first of a name
    assert settings_.size_limit(None, policies[1]) == 10 and settings_.size_limit(policies[0]) == 100


def test_history_query_matches() -> None:
    entry = ArchivedMessage("sip:a@x", "sip:b@x", "text/plain", "Hello There", 5.0, 10.0, "sip:chat-1@x")
    assert HistoryQuery(user="sip:a@x", peer="sip:b@x", text="there", since=10.0, until=10.1).matches(entry)
    assert HistoryQuery(peer="sip:chat-1@x").matches(entry)
    assert not HistoryQuery(user="sip:c@x").matches(entry)
    assert not HistoryQuery(user="sip:a@x", peer="sip:a@x").matches(entry)
    assert not HistoryQuery(until=10.0).matches(entry)
    assert not HistoryQuery(text="bye").matches(entry)


def test_best_failure() -> None:
    def responses(*codes: int) -> list[Response]:
        return [Response(code) for code in codes]
    assert best_failure([]) is None
    assert best_failure(responses(486, 603, 404)).status == 603   # type: ignore[union-attr]
    assert best_failure(responses(503, 486, 408)).status == 486   # type: ignore[union-attr]
    assert best_failure(responses(503, 408)).status == 408        # type: ignore[union-attr]
    assert all_unreachable(responses(408, 480, 503)) and not all_unreachable(responses(408, 486))
