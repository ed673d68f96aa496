"""the supervision loop: 办结 and 延期 requests, escalation documents, plan versions, issued
copies of every document, each task's light in each issued 通报, departments' 联络员 and 分管领导

Revision ID: 0002_supervision
Revises: 0002_conversation
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import superbot.store.tables

revision = "0002_supervision"
down_revision = "0002_conversation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("department") as batch:
        batch.add_column(sa.Column("liaisons", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("leaders", sa.JSON(), nullable=True))
    op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_version_at", "plan_version", ["at"])
    op.create_table(
        "review_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("requested_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("due_from", sa.Date(), nullable=True),
        sa.Column("due_to", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id"),
    )
    op.create_index("ix_review_request_task", "review_request", ["task_id", "status"])
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("light", sa.String(length=16), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "number", name="uq_escalation_number"),
        sa.UniqueConstraint("task_id", "period", name="uq_escalation_task_period"),
    )
    op.create_index("ix_escalation_task_id", "escalation", ["task_id"])
    op.create_table(
        "bulletin_light",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("light", sa.String(length=16), nullable=False),
        sa.Column("standing", sa.String(length=16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", "task_id"),
    )
    op.create_table(
        "document_copy",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", superbot.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "format"),
    )
    op.create_table(
        "round_task",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "period", "person_id", "task_id"),
    )
    op.create_index("ix_round_task_task_id", "round_task", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_round_task_task_id", table_name="round_task")
    op.drop_table("round_task")
    op.drop_table("document_copy")
    op.drop_table("bulletin_light")
    op.drop_index("ix_escalation_task_id", table_name="escalation")
    op.drop_table("escalation")
    op.drop_index("ix_review_request_task", table_name="review_request")
    op.drop_table("review_request")
    op.drop_index("ix_plan_version_at", table_name="plan_version")
    op.drop_table("plan_version")
    with op.batch_alter_table("department") as batch:
        batch.drop_column("leaders")
        batch.drop_column("liaisons")
