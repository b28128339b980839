"""Presence publications and subscription dialogs, kept across a restart.

Revision ID: 0006_presence_state
Revises: 0005_presence
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_presence_state"
down_revision = "0005_presence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence_publications",
        sa.Column("etag", sa.String(64), primary_key=True),
        sa.Column("aor", sa.String(320), nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.Column("endpoint", sa.String(300), nullable=False, server_default=""),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("published_at", sa.Float, nullable=False),
        sa.Column("last_input", sa.Float, nullable=False),
    )
    op.create_index("ix_presence_publications_aor", "presence_publications", ["aor"])
    op.create_index("ix_presence_publications_expires_at", "presence_publications", ["expires_at"])
    op.create_table(
        "presence_subscriptions",
        sa.Column("application", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("package", sa.String(32), nullable=False),
        sa.Column("event", sa.String(256), nullable=False),
        sa.Column("resource", sa.String(320), nullable=False),
        sa.Column("list_uri", sa.String(1024), nullable=False, server_default=""),
        sa.Column("watcher", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("call_id", sa.String(256), nullable=False),
        sa.Column("local_tag", sa.String(128), nullable=False),
        sa.Column("remote_tag", sa.String(128), nullable=False),
        sa.Column("local_uri", sa.String(1024), nullable=False),
        sa.Column("remote_uri", sa.String(1024), nullable=False),
        sa.Column("remote_target", sa.String(1024), nullable=False),
        sa.Column("route_set", sa.Text, nullable=False, server_default="[]"),
        sa.Column("secure", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("local_seq", sa.Integer, nullable=False),
        sa.Column("remote_seq", sa.Integer, nullable=True),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("peer_host", sa.String(64), nullable=False),
        sa.Column("peer_port", sa.Integer, nullable=False),
        sa.Column("flow", sa.String(64), nullable=False, server_default=""),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_presence_subscriptions_expires_at", "presence_subscriptions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_presence_subscriptions_expires_at", "presence_subscriptions")
    op.drop_table("presence_subscriptions")
    op.drop_index("ix_presence_publications_expires_at", "presence_publications")
    op.drop_index("ix_presence_publications_aor", "presence_publications")
    op.drop_table("presence_publications")
