"""wrong invite codes per account, so that several instances slow a guesser down together

Revision ID: 0003_security
Revises: 0003_engine
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import superbot.store.tables

revision = "0003_security"
down_revision = "0003_engine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wrong_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=160), nullable=False),
        sa.Column("at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wrong_code_sender_at", "wrong_code", ["sender", "at"])


def downgrade() -> None:
    op.drop_index("ix_wrong_code_sender_at", table_name="wrong_code")
    op.drop_table("wrong_code")
