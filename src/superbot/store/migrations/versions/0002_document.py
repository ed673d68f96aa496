"""the 督查通报's issue numbers (期号)

Revision ID: 0002_document
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import superbot.store.tables

revision = "0002_document"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletin_issue",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period"),
        sa.UniqueConstraint("year", "number", name="uq_bulletin_issue_number"),
    )


def downgrade() -> None:
    op.drop_table("bulletin_issue")
