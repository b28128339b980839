"""Conferencing: meetings and leader PINs.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("meeting_id", sa.String(32), nullable=False, unique=True),
        sa.Column("conference_id", sa.String(16), nullable=False, unique=True),
        sa.Column("organizer_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False, server_default=""),
        sa.Column("starts_at", sa.Float, nullable=True),
        sa.Column("ends_at", sa.Float, nullable=True),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("presenter_policy", sa.String(16), nullable=False),
        sa.Column("lobby_policy", sa.String(24), nullable=False),
        sa.Column("pstn_bypass_lobby", sa.Boolean, nullable=False, server_default="1"),
        sa.Column("locked", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_meetings_organizer_id", "meetings", ["organizer_id"])
    op.create_index("ix_meetings_expires_at", "meetings", ["expires_at"])
    op.create_table(
        "user_pins",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("pin_hash", sa.String(256), nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_out", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_pins")
    op.drop_index("ix_meetings_expires_at", "meetings")
    op.drop_index("ix_meetings_organizer_id", "meetings")
    op.drop_table("meetings")
