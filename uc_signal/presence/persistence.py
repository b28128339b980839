"""What of presence outlives a restart of the server: publications (RFC 3903 event state)
and the subscription dialogs this server holds as notifier (RFC 6665), as plain records,
and the sink the sans-IO applications report their changes to. Sans-IO.

The applications call the sink when a publication or a subscription is created,
refreshed, modified or ended; ucd's sink is a write-behind queue to the store
(`uc_signal.store.presence_state`), the default one keeps nothing.

A NOTIFY takes the next local CSeq of its dialog (RFC 3261 12.2.1.1), and a restored
dialog must go on above every CSeq it already sent, or the watcher drops the NOTIFY as
out of order (12.2.2). Writing the CSeq per NOTIFY would put a store write on the fan-out
path; instead a saved subscription records a high-water mark `CSEQ_MARGIN` above its
CSeq, and the application saves it again once its CSeq has used half of that margin
(`next_save_at`). A restored dialog starts at the stored mark: above anything sent, even
after a crash, as long as fewer than `CSEQ_MARGIN / 2` NOTIFYs go to one watcher within
one flush interval of the queue. Version counters in the bodies (RFC 3858 winfo, RFC 4662
RLMI), which advance with the CSeq, are kept the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from ..directory import UserDirectory
from ..sip import Dialog, DialogId, DialogState, NameAddr
from ..transport.peer import Peer
from .model import CustomState
from .pidf import PidfError, parse_pidf
from .service import Publication

log = logging.getLogger(__name__)

CSEQ_MARGIN = 256


def stored_mark(counter: int | None) -> int:
    """The value saved for a counter that is `counter` now (a CSeq or a body version)."""
    return (counter or 0) + CSEQ_MARGIN


def next_save_at(counter: int | None) -> int:
    """When a counter saved at `counter` must be saved again (half its margin used)."""
    return (counter or 0) + CSEQ_MARGIN // 2


def mark_used_up(save_at: int, counter: int | None) -> bool:
    """Whether a saved subscription (save_at > 0) whose counter is `counter` now has used
    half its margin and must be saved again with a new mark (checked as a NOTIFY goes out)."""
    return 0 < save_at <= (counter or 0)


@dataclass(frozen=True)
class StoredDialog:
    """A UAS dialog (RFC 3261 12.1.1) as stored; `local_seq` is the high-water mark."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str
    remote_uri: str
    remote_target: str
    route_set: tuple[str, ...]
    secure: bool
    local_seq: int
    remote_seq: int | None

    @classmethod
    def of(cls, dialog: Dialog) -> StoredDialog:
        return cls(dialog.id.call_id, dialog.id.local_tag, dialog.id.remote_tag, str(dialog.local_uri),
                   str(dialog.remote_uri), dialog.remote_target, tuple(dialog.route_set), dialog.secure,
                   stored_mark(dialog.local_seq), dialog.remote_seq)

    def restore(self) -> Dialog:
        return Dialog(dialog_id=DialogId(self.call_id, self.local_tag, self.remote_tag),
                      state=DialogState.CONFIRMED, is_uac=False, local_seq=self.local_seq,
                      remote_seq=self.remote_seq, local_uri=NameAddr.parse(self.local_uri),
                      remote_uri=NameAddr.parse(self.remote_uri), remote_target=self.remote_target,
                      route_set=list(self.route_set), secure=self.secure)


@dataclass(frozen=True)
class StoredSubscription:
    """One subscription dialog the server notifies.

    `application` is who holds it ("presence": presence and presence.winfo, "rls": a
    contact list); `key` is unique within the application. `resource` is the presentity
    (presence, winfo) or the list's owner (rls); `list_uri` the subscribed list URI (rls).
    `version` is the high-water mark of the body's version counter (winfo, RLMI).
    """

    application: str
    key: str
    package: str
    event: str
    resource: str
    watcher: str
    display_name: str
    state: str
    dialog: StoredDialog
    peer: Peer
    expires_at: float
    created_at: float
    version: int = 0
    list_uri: str = ""


@dataclass(frozen=True)
class StoredPublication:
    """One endpoint's publication (RFC 3903 4.1): the document it published (parsed again
    at restore), where it came from, and its times."""

    etag: str
    aor: str
    document: bytes
    endpoint: str            # the publisher's transport address (str(Peer)), for operators
    expires_at: float
    published_at: float
    last_input: float


def restorable(stored: Iterable[StoredSubscription], application: str, now: float, users: UserDirectory,
               persistence: PresenceStateSink) -> Iterator[StoredSubscription]:
    """The stored subscriptions of `application` to restore at start: unexpired, and whose
    resource is still a user; one whose user was deleted meanwhile is removed from the store."""
    for record in stored:
        if record.application != application or record.expires_at <= now:
            continue
        username, _, domain = record.resource.partition(":")[2].rpartition("@")
        if users.find_user(username, domain) is None:   # deleted meanwhile
            persistence.subscription_removed(application, record.key)
            continue
        yield record


def publications_of(stored: Iterable[StoredPublication], custom_states: tuple[CustomState, ...]
                    ) -> list[Publication]:
    """The stored publications as the service holds them, each document parsed again
    (with today's custom states); one that no longer parses is left out, logged."""
    publications = []
    for record in stored:
        try:
            state = parse_pidf(record.document, custom_states)
        except PidfError as error:
            log.warning("presence state: publication %s of %s dropped: %s", record.etag, record.aor, error)
            continue
        publications.append(Publication(record.aor, record.etag, state, record.expires_at, record.published_at,
                                        record.last_input))
    return publications


class PresenceStateSink(Protocol):
    def publication_saved(self, publication: StoredPublication, replaces: str | None) -> None:
        """A new publication, or a modification that `replaces` an entity tag."""

    def publication_refreshed(self, old_etag: str, etag: str, expires_at: float) -> None:
        """A refresh (RFC 3903 4.1: the same document under a new entity tag)."""

    def publication_removed(self, etag: str) -> None: ...

    def subscription_saved(self, subscription: StoredSubscription) -> None: ...

    def subscription_removed(self, application: str, key: str) -> None: ...


class NoPersistence:
    """The sink of a server without a store: nothing outlives it."""

    def publication_saved(self, publication: StoredPublication, replaces: str | None) -> None:
        pass

    def publication_refreshed(self, old_etag: str, etag: str, expires_at: float) -> None:
        pass

    def publication_removed(self, etag: str) -> None:
        pass

    def subscription_saved(self, subscription: StoredSubscription) -> None:
        pass

    def subscription_removed(self, application: str, key: str) -> None:
        pass


NO_PERSISTENCE = NoPersistence()
