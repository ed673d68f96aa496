"""scoring: department category, task weight and milestones, indicator direction/kind/quarterly
targets, and the accepted reasons (正当理由) of blocked tasks

Revision ID: 0003_rules
Revises: 0002_im
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import superbot.store.tables

revision = "0003_rules"
down_revision = "0002_im"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=64), nullable=True))
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weight", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("milestones", sa.JSON(), nullable=True))
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("quarterly", sa.JSON(), nullable=True))
    op.create_table(
        "accepted_reason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_accepted_reason_task", "accepted_reason", ["task_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_accepted_reason_task", table_name="accepted_reason")
    op.drop_table("accepted_reason")
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_column("quarterly")
        batch_op.drop_column("kind")
        batch_op.drop_column("direction")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("milestones")
        batch_op.drop_column("weight")
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_column("category")
