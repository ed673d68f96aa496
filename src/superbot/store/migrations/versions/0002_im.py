"""people's 钉钉/企业微信/飞书 ids from tasks.yaml and their own order of channels

Revision ID: 0002_im
Revises: 0002_supervision
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_im"
down_revision = "0002_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_apps", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("channels", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("channels")
        batch_op.drop_column("plan_apps")
