"""Contact lists: contact_groups and contacts, per user.

Revision ID: 0003_contact_lists
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_contact_lists"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_groups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_contact_groups_user_name"),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("uri", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("groups", sa.Text, nullable=False, server_default="[]"),
        sa.Column("relationship", sa.String(32), nullable=True),
        sa.UniqueConstraint("user_id", "uri", name="uq_contacts_user_uri"),
    )


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("contact_groups")
