"""What the sans-IO IM service needs from storage (synchronous; the daemon's
implementation writes behind to the database, uc_signal.store.im_store).

Storing an offline message is the one write the service waits for: `store_offline`
calls `on_durable` once the message is safely written, and only then is the sender told
202 Accepted, so an accepted message survives a crash or restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from .model import ArchivedMessage, Conversation, HistoryQuery, StoredMessage


class ImStore(Protocol):
    def offline_messages(self) -> list[StoredMessage]:
        """Every stored message not yet delivered, in id order (read at start)."""
        ...

    def store_offline(self, message: StoredMessage, on_durable: Callable[[], None]) -> None: ...

    def delete_offline(self, message_id: int) -> None: ...

    def archive(self, entry: ArchivedMessage) -> None: ...

    def purge_history(self, before: float) -> None:
        """Forget archived messages delivered before `before` (the retention policy)."""
        ...

    def conversations(self) -> list[Conversation]: ...

    def save_conversation(self, conversation: Conversation) -> None: ...


@dataclass
class InMemoryImStore:
    """The ImStore of the unit tests: durable across a service restart the way the
    database is (keep the object, rebuild the service)."""

    offline: dict[int, StoredMessage] = field(default_factory=dict)
    history: list[ArchivedMessage] = field(default_factory=list)
    saved_conversations: dict[str, Conversation] = field(default_factory=dict)
    hold_writes: bool = False               # tests: keep `on_durable` until `complete_writes()`
    _waiting: list[Callable[[], None]] = field(default_factory=list)

    def offline_messages(self) -> list[StoredMessage]:
        return [self.offline[key] for key in sorted(self.offline)]

    def store_offline(self, message: StoredMessage, on_durable: Callable[[], None]) -> None:
        self.offline[message.id] = message
        if self.hold_writes:
            self._waiting.append(on_durable)
        else:
            on_durable()

    def complete_writes(self) -> None:
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback()

    def delete_offline(self, message_id: int) -> None:
        self.offline.pop(message_id, None)

    def archive(self, entry: ArchivedMessage) -> None:
        self.history.append(replace(entry, id=len(self.history) + 1))

    def purge_history(self, before: float) -> None:
        self.history = [entry for entry in self.history if entry.delivered_at >= before]

    def search(self, query: HistoryQuery) -> list[ArchivedMessage]:
        found = [entry for entry in self.history if query.matches(entry)]
        return sorted(found, key=lambda e: (e.delivered_at, e.id))[-query.limit:]

    def conversations(self) -> list[Conversation]:
        return [Conversation(c.uri, c.created_by, c.created_at, list(c.participants))
                for c in self.saved_conversations.values()]

    def save_conversation(self, conversation: Conversation) -> None:
        self.saved_conversations[conversation.uri] = Conversation(
            conversation.uri, conversation.created_by, conversation.created_at, list(conversation.participants))
