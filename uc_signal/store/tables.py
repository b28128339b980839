"""The schema as SQLAlchemy Core tables (the migrations in migrations/versions create the
same; tests/unit/test_store_migrations.py checks that they agree)."""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("domain", String(253), nullable=False),
    Column("display_name", String(128), nullable=False, server_default=""),
    Column("line_uri", String(64), nullable=True),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("username", "domain", name="uq_users_username_domain"),
)

# One HA1 per user and algorithm; the realm is the user's domain.
credentials = Table(
    "credentials", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("algorithm", String(16), primary_key=True),
    Column("ha1", String(128), nullable=False),
)

# Policies assigned by name, one per kind (voice, conferencing, ...).
user_policies = Table(
    "user_policies", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
)

# Registrar bindings (uc_signal.directory.Binding), persisted so a restart keeps them.
bindings = Table(
    "bindings", metadata,
    Column("aor", String(320), primary_key=True),
    Column("contact", String(1024), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
    Column("q", Float, nullable=True),
    Column("call_id", String(256), nullable=False, server_default=""),
    Column("cseq", Integer, nullable=False, server_default="0"),
    Column("params", Text, nullable=False, server_default="[]"),  # JSON [[name, value|null], ...]
    Column("path", Text, nullable=False, server_default="[]"),    # JSON [uri, ...]
    Column("transport", String(8), nullable=False, server_default="UDP"),
    Column("source_host", String(64), nullable=False, server_default=""),
    Column("source_port", Integer, nullable=False, server_default="0"),
    Column("flow", String(64), nullable=False, server_default=""),
    Column("instance", String(256), nullable=True),
    Column("reg_id", Integer, nullable=True),
    Column("user_agent", String(256), nullable=False, server_default=""),
    Column("registered_at", Float, nullable=False, server_default="0"),
)

# Meetings (uc_signal.conferencing.meeting.Meeting); they go with their organizer.
meetings = Table(
    "meetings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meeting_id", String(32), nullable=False, unique=True),
    Column("conference_id", String(16), nullable=False, unique=True),
    Column("organizer_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("subject", String(256), nullable=False, server_default=""),
    Column("starts_at", Float, nullable=True),
    Column("ends_at", Float, nullable=True),
    Column("expires_at", Float, nullable=False, index=True),
    Column("presenter_policy", String(16), nullable=False),
    Column("lobby_policy", String(24), nullable=False),
    Column("pstn_bypass_lobby", Boolean, nullable=False, server_default="1"),
    Column("locked", Boolean, nullable=False, server_default="0"),
    Column("created_at", Float, nullable=False),
)

# A user's leader PIN for dial-in conferencing: a scrypt hash, never the digits.
user_pins = Table(
    "user_pins", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("pin_hash", String(256), nullable=False),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_out", Boolean, nullable=False, server_default="0"),
    Column("updated_at", Float, nullable=False),
)

# Contact lists (uc_signal.rls): a user's groups and contacts, in the order they were made
# (the id), gone with their owner. A contact's groups are a JSON list of group names.
contact_groups = Table(
    "contact_groups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    UniqueConstraint("user_id", "name", name="uq_contact_groups_user_name"),
)

contacts = Table(
    "contacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("uri", String(320), nullable=False),
    Column("display_name", String(128), nullable=False, server_default=""),
    Column("groups", Text, nullable=False, server_default="[]"),   # JSON [name, ...]
    Column("relationship", String(32), nullable=True),
    UniqueConstraint("user_id", "uri", name="uq_contacts_user_uri"),
)

# --- instant messaging (uc_signal.im) -------------------------------------------------------

# MESSAGEs accepted (202) for users with no reachable endpoint, until a 2xx from one of them.
im_offline = Table(
    "im_offline", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),   # the service's order of arrival
    Column("recipient", String(320), nullable=False, index=True),
    Column("sender", Text, nullable=False),                         # From value, no tag
    Column("sender_aor", String(320), nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("conversation", String(320), nullable=True),
)

# The conversation history: one row per delivered IM and recipient.
im_history = Table(
    "im_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender", String(320), nullable=False, index=True),
    Column("recipient", String(320), nullable=False, index=True),
    Column("conversation", String(320), nullable=True),
    Column("content_type", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("sent_at", Float, nullable=False),
    Column("delivered_at", Float, nullable=False, index=True),
)

# Ad hoc multiparty conversations (sip:chat-<id>@domain) and their participants.
im_conversations = Table(
    "im_conversations", metadata,
    Column("uri", String(320), primary_key=True),
    Column("created_by", String(320), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("participants", Text, nullable=False, server_default="[]"),   # JSON [aor, ...]
)

# Presence privacy relationships, per (presentity, watcher) (uc_signal.presence.privacy).
presence_relationships = Table(
    "presence_relationships", metadata,
    Column("presentity", String(320), primary_key=True),
    Column("watcher", String(320), primary_key=True),
    Column("relationship", String(32), nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Per-user presence settings: privacy mode, watcher authorization, contact card, calendar.
presence_settings = Table(
    "presence_settings", metadata,
    Column("aor", String(320), primary_key=True),
    Column("privacy_mode", Boolean, nullable=True),                  # NULL: the user's policy decides
    Column("authorization", String(16), nullable=False, server_default=""),   # "": the policy decides
    Column("card", Text, nullable=False, server_default="{}"),       # JSON {field: value}
    Column("calendar", Text, nullable=False, server_default="[]"),   # JSON [[start, end], ...] busy intervals
    Column("updated_at", Float, nullable=False),
)

# Presence publications (RFC 3903), kept across a restart (uc_signal.presence.persistence):
# the published document is parsed again at start.
presence_publications = Table(
    "presence_publications", metadata,
    Column("etag", String(64), primary_key=True),
    Column("aor", String(320), nullable=False, index=True),
    Column("document", LargeBinary, nullable=False),
    Column("endpoint", String(300), nullable=False, server_default=""),   # the publisher's address
    Column("expires_at", Float, nullable=False, index=True),
    Column("published_at", Float, nullable=False),
    Column("last_input", Float, nullable=False),
)

# Subscription dialogs the server notifies (presence, presence.winfo, contact lists), kept
# across a restart. local_seq and version are high-water marks above what was sent.
presence_subscriptions = Table(
    "presence_subscriptions", metadata,
    Column("application", String(16), primary_key=True),    # presence | rls
    Column("key", String(64), primary_key=True),
    Column("package", String(32), nullable=False),
    Column("event", String(256), nullable=False),           # the Event value echoed in NOTIFYs
    Column("resource", String(320), nullable=False),        # the presentity, or the list's owner
    Column("list_uri", String(1024), nullable=False, server_default=""),
    Column("watcher", String(320), nullable=False),
    Column("display_name", String(256), nullable=False, server_default=""),
    Column("state", String(16), nullable=False),
    Column("call_id", String(256), nullable=False),
    Column("local_tag", String(128), nullable=False),
    Column("remote_tag", String(128), nullable=False),
    Column("local_uri", String(1024), nullable=False),
    Column("remote_uri", String(1024), nullable=False),
    Column("remote_target", String(1024), nullable=False),
    Column("route_set", Text, nullable=False, server_default="[]"),   # JSON [route, ...]
    Column("secure", Boolean, nullable=False, server_default="0"),
    Column("local_seq", Integer, nullable=False),
    Column("remote_seq", Integer, nullable=True),
    Column("transport", String(8), nullable=False),
    Column("peer_host", String(64), nullable=False),
    Column("peer_port", Integer, nullable=False),
    Column("flow", String(64), nullable=False, server_default=""),
    Column("expires_at", Float, nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("version", Integer, nullable=False, server_default="0"),
)
