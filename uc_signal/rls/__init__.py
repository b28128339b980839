"""uc_signal.rls: contact lists kept on the server and the RFC 4662 resource list server
that turns one SUBSCRIBE to a user's list into batched presence NOTIFYs.

contacts.py (the list model, its checks and the contacts policy; the in-memory view),
rlmi.py (RLMI documents), batch.py (the multipart/related NOTIFY body),
subscription.py (when and what one subscription is notified), deadlines.py,
presence_source.py (what the RLS needs from presence), server.py (the application).
"""

from .batch import ListNotification, StatePart, build_list_body, parse_list_body
from .contacts import (DEFAULT_MAX_CONTACTS, GLOBAL_POLICY, RELATIONSHIPS, Contact, ContactDirectory, ContactError,
                       ContactLimitError, ContactList, ContactNotFoundError, ContactsPolicy, DuplicateContactError,
                       InvalidContactError, canonical_contact_uri, new_contact, policy_for)
from .presence_source import PresenceProvider, PresenceSource
from .rlmi import Instance, Resource, RlmiError, RlmiList, build_rlmi, parse_rlmi
from .server import ResourceListServer, RlsConfig, contact_list_uri, list_owner, rls_application
from .subscription import ListSubscription, NotifyOutcome, NotifyPlan

__all__ = [
    "DEFAULT_MAX_CONTACTS", "GLOBAL_POLICY", "RELATIONSHIPS", "Contact", "ContactDirectory", "ContactError",
    "ContactLimitError", "ContactList", "ContactNotFoundError", "ContactsPolicy", "DuplicateContactError", "Instance",
    "InvalidContactError", "ListNotification", "ListSubscription", "NotifyOutcome", "NotifyPlan", "PresenceProvider",
    "PresenceSource", "Resource", "ResourceListServer", "RlmiError", "RlmiList", "RlsConfig", "StatePart",
    "build_list_body", "build_rlmi", "canonical_contact_uri", "contact_list_uri", "list_owner", "new_contact",
    "parse_list_body", "parse_rlmi", "policy_for", "rls_application",
]
