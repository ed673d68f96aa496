"""the web view: login and 填报 links (kept hashed) and browser sessions

Revision ID: 0003_web
Revises: 0003_ux
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import superbot.store.tables

revision = "0003_web"
down_revision = "0003_ux"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_link",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=True),
        sa.Column("created_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    op.create_index("ix_web_link_person_id", "web_link", ["person_id"])
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_web_session_person_id", "web_session", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_web_session_person_id", table_name="web_session")
    op.drop_table("web_session")
    op.drop_index("ix_web_link_person_id", table_name="web_link")
    op.drop_table("web_link")
