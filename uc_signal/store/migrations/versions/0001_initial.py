"""Users, HA1 credentials, policies by name, registration bindings.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("line_uri", sa.String(64), nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default="1"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("username", "domain", name="uq_users_username_domain"),
    )
    op.create_table(
        "credentials",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("algorithm", sa.String(16), primary_key=True),
        sa.Column("ha1", sa.String(128), nullable=False),
    )
    op.create_table(
        "user_policies",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
    )
    op.create_table(
        "bindings",
        sa.Column("aor", sa.String(320), primary_key=True),
        sa.Column("contact", sa.String(1024), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("q", sa.Float, nullable=True),
        sa.Column("call_id", sa.String(256), nullable=False, server_default=""),
        sa.Column("cseq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("params", sa.Text, nullable=False, server_default="[]"),
        sa.Column("path", sa.Text, nullable=False, server_default="[]"),
        sa.Column("transport", sa.String(8), nullable=False, server_default="UDP"),
        sa.Column("source_host", sa.String(64), nullable=False, server_default=""),
        sa.Column("source_port", sa.Integer, nullable=False, server_default="0"),
        sa.Column("flow", sa.String(64), nullable=False, server_default=""),
        sa.Column("instance", sa.String(256), nullable=True),
        sa.Column("reg_id", sa.Integer, nullable=True),
        sa.Column("user_agent", sa.String(256), nullable=False, server_default=""),
        sa.Column("registered_at", sa.Float, nullable=False, server_default="0"),
    )
    op.create_index("ix_bindings_expires_at", "bindings", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_bindings_expires_at", "bindings")
    op.drop_table("bindings")
    op.drop_table("user_policies")
    op.drop_table("credentials")
    op.drop_table("users")
