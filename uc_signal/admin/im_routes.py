"""The admin API's IM routes: the conversation history (list and search), the multiparty
conversations, and the messages waiting for offline users. Added to the app by
`create_admin_app` when the daemon runs the IM service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Query

from ..im.model import ArchivedMessage, Conversation, HistoryQuery, StoredMessage
from .schemas import ImConversationOut, ImHistoryOut, ImOfflineOut

MAX_LIMIT = 1000


@dataclass
class ImAdmin:
    """What the IM routes read, handed over by the daemon."""

    history: Callable[[HistoryQuery], Awaitable[list[ArchivedMessage]]]   # the store, in SQL
    conversations: Callable[[], list[Conversation]]                       # the live service
    offline: Callable[[], list[StoredMessage]]                            # the live service


def history_out(entry: ArchivedMessage) -> ImHistoryOut:
    return ImHistoryOut(id=entry.id, sender=entry.sender, recipient=entry.recipient,
                        conversation=entry.conversation, content_type=entry.content_type, text=entry.text,
                        sent_at=entry.sent_at, delivered_at=entry.delivered_at)


def add_im_routes(app: FastAPI, im: ImAdmin, secured: list[Any], responses: dict[int | str, dict[str, Any]],
                  aor: Callable[[str], str]) -> None:
    """`aor` turns "alice" / "alice@domain" / "sip:alice@domain" into sip:alice@domain
    (raising the API's 422 for anything else)."""

    def side(value: str | None) -> str | None:
        if value is None:
            return None
        return value if value.startswith("sip:chat-") else aor(value)

    @app.get("/api/v1/im/history", response_model=list[ImHistoryOut], dependencies=secured, responses=responses)
    async def im_history(user: str | None = Query(None, description="either side of the message"),
                         peer: str | None = Query(None, description="the other side, or a conversation URI"),
                         since: float | None = Query(None, description="delivered at or after (Unix seconds)"),
                         until: float | None = Query(None, description="delivered before (Unix seconds)"),
                         text: str | None = Query(None, description="case-blind substring of the text"),
                         limit: int = Query(100, ge=1, le=MAX_LIMIT, description="the newest this many")
                         ) -> list[ImHistoryOut]:
        query = HistoryQuery(user=side(user), peer=side(peer), since=since, until=until, text=text or None,
                             limit=limit)
        return [history_out(entry) for entry in await im.history(query)]

    @app.get("/api/v1/im/conversations", response_model=list[ImConversationOut], dependencies=secured,
             responses=responses)
    async def im_conversations(user: str | None = None) -> list[ImConversationOut]:
        member = side(user)
        return [ImConversationOut(uri=c.uri, created_by=c.created_by, created_at=c.created_at,
                                  participants=list(c.participants))
                for c in im.conversations() if member is None or member in c.participants]

    @app.get("/api/v1/im/offline", response_model=list[ImOfflineOut], dependencies=secured, responses=responses)
    async def im_offline(user: str | None = None) -> list[ImOfflineOut]:
        recipient = side(user)
        return [ImOfflineOut(id=m.id, recipient=m.recipient, sender=m.sender_aor, content_type=m.content_type,
                             size=len(m.body), received_at=m.received_at, conversation=m.conversation)
                for m in im.offline() if recipient is None or m.recipient == recipient]
