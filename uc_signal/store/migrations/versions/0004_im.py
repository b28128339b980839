"""Instant messaging: offline messages, the history, multiparty conversations.

Revision ID: 0004_im
Revises: 0003_contact_lists
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_im"
down_revision = "0003_contact_lists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "im_offline",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("recipient", sa.String(320), nullable=False, index=True),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("sender_aor", sa.String(320), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("conversation", sa.String(320), nullable=True),
    )
    op.create_table(
        "im_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sender", sa.String(320), nullable=False, index=True),
        sa.Column("recipient", sa.String(320), nullable=False, index=True),
        sa.Column("conversation", sa.String(320), nullable=True),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sent_at", sa.Float, nullable=False),
        sa.Column("delivered_at", sa.Float, nullable=False, index=True),
    )
    op.create_table(
        "im_conversations",
        sa.Column("uri", sa.String(320), primary_key=True),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("participants", sa.Text, nullable=False, server_default="[]"),
    )


def downgrade() -> None:
    op.drop_table("im_conversations")
    op.drop_table("im_history")
    op.drop_table("im_offline")
