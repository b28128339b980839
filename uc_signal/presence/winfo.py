"""Watcher information (RFC 3857 event package, RFC 3858 document format): who watches a
presentity, so a user sees new watchers and can allow or block them.

Every winfo NOTIFY here carries the full state (RFC 3858 4: a notifier may always send
full state; the version increases by one per document, starting at 0). A watcher whose
subscription just ended is listed once more as terminated, with the event that ended it,
then left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WATCHERINFO_NS = "urn:ietf:params:xml:ns:watcherinfo"
WATCHERINFO_CONTENT_TYPE = "application/watcherinfo+xml"


@dataclass(frozen=True)
class WatcherEntry:
    """One subscription to the watched resource (3858 section 5: id, status, event)."""

    id: str
    uri: str
    status: str              # pending | active | waiting | terminated
    event: str               # subscribe | approved | deactivated | rejected | timeout | giveup | noresource
    display_name: str = ""
    duration_subscribed: int = 0


def build_watcherinfo(resource: str, watchers: list[WatcherEntry], version: int,
                      package: str = "presence") -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
             f'<watcherinfo xmlns="{WATCHERINFO_NS}" version="{version}" state="full">\n',
             f'<watcher-list resource={quoteattr(resource)} package={quoteattr(package)}>\n']
    for watcher in watchers:
        name = f" display-name={quoteattr(watcher.display_name)}" if watcher.display_name else ""
        parts.append(f'<watcher id={quoteattr(watcher.id)} status="{watcher.status}" event="{watcher.event}" '
                     f'duration-subscribed="{watcher.duration_subscribed}"{name}>{escape(watcher.uri)}</watcher>\n')
    parts.append("</watcher-list>\n</watcherinfo>\n")
    return "".join(parts).encode()
