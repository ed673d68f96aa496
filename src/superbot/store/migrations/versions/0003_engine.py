"""outbox claims carry their holder's token

Revision ID: 0003_engine
Revises: 0003_production
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_engine"
down_revision = "0003_production"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
