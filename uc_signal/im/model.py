"""What the IM service keeps: messages waiting for an offline user, the archived history,
and multiparty conversations. Times are wall-clock seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredMessage:
    """A MESSAGE accepted (202) for a user with no reachable endpoint, delivered in `id`
    order when they register. `sender` is the From header value without its tag."""

    id: int
    recipient: str            # the recipient's AOR, sip:user@domain
    sender: str               # From header value (name-addr, no tag)
    sender_aor: str           # who sent it, for the history (the conversation's member)
    content_type: str
    body: bytes
    received_at: float
    conversation: str | None = None   # the conversation URI of a multiparty message


@dataclass(frozen=True)
class ArchivedMessage:
    """One delivered IM in the history: both sides can find it (sender and recipient);
    a multiparty message is archived once per participant it reached."""

    sender: str               # AOR
    recipient: str            # AOR
    content_type: str
    text: str
    sent_at: float            # when the server accepted it
    delivered_at: float
    conversation: str | None = None
    id: int = 0               # given by the store


@dataclass(frozen=True)
class HistoryQuery:
    """A history search: each criterion narrows it; `user` matches either side, `peer`
    the other side (or the conversation URI), `text` a case-blind substring."""

    user: str | None = None
    peer: str | None = None
    since: float | None = None
    until: float | None = None
    text: str | None = None
    limit: int = 100

    def matches(self, entry: ArchivedMessage) -> bool:
        if self.user is not None and self.user not in (entry.sender, entry.recipient):
            return False
        if self.peer is not None:
            sides = {entry.sender, entry.recipient, entry.conversation}
            if self.peer not in sides or (self.user is not None and self.peer == self.user):
                return False
        if self.since is not None and entry.delivered_at < self.since:
            return False
        if self.until is not None and entry.delivered_at >= self.until:
            return False
        return self.text is None or self.text.lower() in entry.text.lower()


@dataclass
class Conversation:
    """An ad hoc multiparty conversation at sip:chat-<id>@<domain>."""

    uri: str
    created_by: str
    created_at: float
    participants: list[str]   # AORs, in the order they joined
