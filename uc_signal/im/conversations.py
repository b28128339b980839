"""Ad hoc multiparty IM conversations (Lync's multiparty IM, without a focus or INVITE).

- A local user creates one with a MESSAGE to the factory URI `sip:<factory_user>@<domain>`
  (default `sip:chat@<domain>`) whose text names the invitees: `/invite bob carol`, or
  just `bob sip:carol@example.test` (bare names are users of the sender's domain). The
  conversation is `sip:chat-<16 hex digits>@<domain>`; every participant is told so by a
  notice from that URI, and replying to it writes to everyone.
- A MESSAGE to the conversation URI from a participant is fanned out to every other
  participant: `From: "<sender's name>" <conversation URI>` (so a reply goes to the
  conversation) and `P-Asserted-Identity: <sender's AOR>` (RFC 3325) say who wrote it.
- `/invite <users>` in a conversation adds participants, who get every later message;
  `/leave` leaves; `/who` lists the participants to the asker.
- Joining without an invitation: a local user who is not a participant and writes to
  the conversation URI joins it (the URI's 64 random bits are the capability, like a
  meeting link) and everyone is told.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from ..directory import UserDirectory
from ..sip import ParseError, SipUri, parse_uri
from .model import Conversation
from .store import ImStore

_CONVERSATION_USER = re.compile(r"^chat-[0-9a-f]{16}$")


@dataclass(frozen=True)
class Command:
    verb: str                      # "invite", "leave", "who" or "say" (plain text)
    arguments: tuple[str, ...] = ()


def parse_command(text: str, *, factory: bool = False) -> Command:
    """A conversation message's meaning. At the factory every word is an invitee."""
    stripped = text.strip()
    if stripped.startswith("/"):
        verb, _, rest = stripped[1:].partition(" ")
        verb = verb.lower()
        if verb in ("invite", "leave", "who"):
            return Command(verb, tuple(word for word in re.split(r"[\s,;]+", rest) if word))
    if factory:
        return Command("invite", tuple(word for word in re.split(r"[\s,;]+", stripped) if word))
    return Command("say")


def resolve_user(word: str, domain: str, users: UserDirectory) -> str | None:
    """The AOR of a local user named by a SIP URI or a bare name, None if unknown."""
    text = word.strip("<>")
    if ":" not in text:
        text = f"sip:{text}@{domain}" if "@" not in text else f"sip:{text}"
    try:
        uri = parse_uri(text)
    except ParseError:
        return None
    if not isinstance(uri, SipUri) or uri.user is None:
        return None
    user = users.find_user(uri.user, uri.host.lower())
    return user.aor if user is not None and user.enabled else None


class ConversationBook:
    """The live conversations, written through to the store."""

    def __init__(self, store: ImStore) -> None:
        self.store = store
        self._by_uri: dict[str, Conversation] = {c.uri: c for c in store.conversations()}

    def __len__(self) -> int:
        return len(self._by_uri)

    @staticmethod
    def is_conversation_user(user: str) -> bool:
        return bool(_CONVERSATION_USER.match(user))

    def get(self, uri: str) -> Conversation | None:
        return self._by_uri.get(uri)

    def create(self, domain: str, creator: str, now: float) -> Conversation:
        uri = f"sip:chat-{secrets.token_hex(8)}@{domain}"
        conversation = Conversation(uri, creator, now, [creator])
        self._by_uri[uri] = conversation
        return conversation

    def add(self, conversation: Conversation, aors: list[str]) -> list[str]:
        """The AORs that were not participants yet, now added."""
        added = [aor for aor in dict.fromkeys(aors) if aor not in conversation.participants]
        conversation.participants.extend(added)
        return added

    def remove(self, conversation: Conversation, aor: str) -> None:
        if aor in conversation.participants:
            conversation.participants.remove(aor)

    def save(self, conversation: Conversation) -> None:
        self.store.save_conversation(conversation)

    def all(self) -> list[Conversation]:
        return list(self._by_uri.values())
