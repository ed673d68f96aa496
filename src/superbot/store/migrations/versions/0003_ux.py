"""a report can be withdrawn (superbot undo): kept, marked, left out of lights and 通报

Revision ID: 0003_ux
Revises: 0003_rules
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import superbot.store.tables

revision = "0003_ux"
down_revision = "0003_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "withdrawn_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
