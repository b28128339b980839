"""uc_signal.presence: the Lync presence model over SIP SIMPLE (PUBLISH, SUBSCRIBE/NOTIFY,
PIDF/RPID, watcher information), aggregation across endpoints, privacy relationships.

`presence_application(service)` is the ApplicationFactory ucd puts in the chain;
`PresenceService` is the sans-IO state the admin API and the resource list server share.
"""

from .aggregation import Aggregate, Endpoint, aggregate
from .application import PresenceApplication, Subscription, presence_application
from .calendar import BusyInterval, Calendar, CalendarError, parse_busy
from .calls import CallActivity, RouterCallFeed
from .model import (Activity, Availability, ContactCard, CustomState, PresenceConfig, UserPresenceSettings,
                    WatcherAuthorization)
from .pidf import PIDF_CONTENT_TYPE, PidfError, PublishedState, WatcherView, build_pidf, parse_pidf
from .privacy import VISIBILITY, Relationship, Visibility, watcher_view
from .service import PresenceService, Publication, canonical_aor
from .winfo import WATCHERINFO_CONTENT_TYPE, WatcherEntry, build_watcherinfo

__all__ = [
    "Activity", "Aggregate", "Availability", "BusyInterval", "Calendar", "CalendarError", "CallActivity",
    "ContactCard", "CustomState", "Endpoint", "PIDF_CONTENT_TYPE", "PidfError", "PresenceApplication",
    "PresenceConfig", "PresenceService", "Publication", "PublishedState", "Relationship", "RouterCallFeed",
    "Subscription", "UserPresenceSettings", "VISIBILITY", "Visibility", "WATCHERINFO_CONTENT_TYPE",
    "WatcherAuthorization", "WatcherEntry", "WatcherView", "aggregate", "build_pidf", "build_watcherinfo",
    "canonical_aor", "parse_busy", "parse_pidf", "presence_application", "watcher_view",
]
