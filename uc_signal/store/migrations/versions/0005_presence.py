"""Presence: privacy relationships per (presentity, watcher) and per-user settings.

Revision ID: 0005_presence
Revises: 0004_im
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_presence"
down_revision = "0004_im"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence_relationships",
        sa.Column("presentity", sa.String(320), primary_key=True),
        sa.Column("watcher", sa.String(320), primary_key=True),
        sa.Column("relationship", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "presence_settings",
        sa.Column("aor", sa.String(320), primary_key=True),
        sa.Column("privacy_mode", sa.Boolean, nullable=True),
        sa.Column("authorization", sa.String(16), nullable=False, server_default=""),
        sa.Column("card", sa.Text, nullable=False, server_default="{}"),
        sa.Column("calendar", sa.Text, nullable=False, server_default="[]"),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("presence_settings")
    op.drop_table("presence_relationships")
