"""uc_signal.im: instant messaging as an application of the SIP chain (RFC 3428 MESSAGE,
RFC 3994 is-composing): delivery to every endpoint, per-user policies, offline store and
deliver, ad hoc multiparty conversations, history with retention, and the IM filter.
Sans-IO throughout; the daemon's storage is uc_signal.store.im_store."""

from .filter import FilterVerdict, ImFilter
from .model import ArchivedMessage, Conversation, HistoryQuery, StoredMessage
from .policy import FilterRules, ImPolicy, ImSettings
from .service import IS_COMPOSING, ImService, im_application
from .store import ImStore, InMemoryImStore

__all__ = [
    "ArchivedMessage", "Conversation", "FilterRules", "FilterVerdict", "HistoryQuery", "IS_COMPOSING", "ImFilter",
    "ImPolicy", "ImService", "ImSettings", "ImStore", "InMemoryImStore", "StoredMessage", "im_application",
]
