"""accounts on any channel, sent and received messages by opaque reference, reply tokens,
evidence files and refused mail

Bindings carry over: tasks.yaml's Telegram ids and email addresses become ``plan`` accounts,
accounts bound with an invite become ``invite`` accounts; Telegram's message, update and
conversation-step rows move to the channel-neutral tables under the references the Telegram
adapter uses (``chat:message`` and the update id).

Revision ID: 0002_conversation
Revises: 0002_document
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import superbot.store.tables

revision = "0002_conversation"
down_revision = "0002_document"
branch_labels = None
depends_on = None

_TIME = superbot.store.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("bound_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("channel", "id", "person_id"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_person_id"), ["person_id"], unique=False)
    op.create_table(
        "sent_message",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.PrimaryKeyConstraint("channel", "ref"),
    )
    op.create_table(
        "inbound_message",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", "ref"),
    )
    op.create_table(
        "conversation_step",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("message_ref", sa.String(length=255), nullable=True),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", "account"),
    )
    op.create_table(
        "reply_token",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("task_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("reply_token", schema=None) as batch_op:
        batch_op.create_index("ux_reply_token_round", ["person_id", "kind", "period"], unique=True)
    op.create_table(
        "evidence_file",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mime", sa.String(length=255), nullable=False),
        sa.Column("stored_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "report_evidence",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.ForeignKeyConstraint(["sha256"], ["evidence_file.sha256"]),
        sa.PrimaryKeyConstraint("report_id", "sha256"),
    )
    op.create_table(
        "refused_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("refused_mail", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refused_mail_received_at"), ["received_at"], unique=False
        )

    _carry_over()

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_bound_telegram"))
        batch_op.drop_column("bound_telegram")
        batch_op.drop_column("bound_at")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.alter_column(
            "used_by",
            existing_type=sa.BigInteger(),
            type_=sa.String(length=300),
            existing_nullable=True,
            postgresql_using="used_by::text",
        )
    op.execute(
        "UPDATE invite SET used_by = 'telegram:' || CAST(used_by AS VARCHAR) "
        "WHERE used_by IS NOT NULL"
    )
    with op.batch_alter_table("message_content", schema=None) as batch_op:
        batch_op.alter_column(
            "reply_to",
            existing_type=sa.BigInteger(),
            type_=sa.String(length=998),
            existing_nullable=True,
            postgresql_using="reply_to::text",
        )
        batch_op.add_column(sa.Column("reply_address", sa.String(length=255), nullable=True))
    op.drop_table("telegram_message")
    op.drop_table("telegram_update")
    op.drop_table("chat_state")


def _carry_over() -> None:
    insert = "INSERT INTO account (channel, id, person_id, origin, bound_at) "
    op.execute(
        insert + "SELECT 'telegram', CAST(plan_telegram AS VARCHAR), id, 'plan', "
        "CURRENT_TIMESTAMP FROM person WHERE plan_telegram IS NOT NULL"
    )
    op.execute(
        insert + "SELECT 'email', lower(trim(email)), id, 'plan', CURRENT_TIMESTAMP "
        "FROM person WHERE email IS NOT NULL AND trim(email) <> ''"
    )
    op.execute(
        insert + "SELECT 'telegram', CAST(bound_telegram AS VARCHAR), id, 'invite', "
        "COALESCE(bound_at, CURRENT_TIMESTAMP) FROM person WHERE bound_telegram IS NOT NULL "
        "AND (plan_telegram IS NULL OR plan_telegram <> bound_telegram)"
    )
    text = "CAST({} AS VARCHAR)"
    op.execute(
        "INSERT INTO sent_message (channel, ref, task_id, outbox_id, sent_at) "
        f"SELECT 'telegram', {text.format('chat_id')} || ':' || {text.format('message_id')}, "
        "task_id, outbox_id, sent_at FROM telegram_message"
    )
    op.execute(
        "INSERT INTO inbound_message (channel, ref, received_at) "
        f"SELECT 'telegram', {text.format('update_id')}, received_at FROM telegram_update"
    )
    op.execute(
        "INSERT INTO conversation_step "
        "(channel, account, step, task_id, report_id, message_ref, expires_at) "
        f"SELECT 'telegram', {text.format('user_id')}, step, task_id, report_id, "
        f"CASE WHEN message_id IS NULL THEN NULL ELSE "
        f"{text.format('user_id')} || ':' || {text.format('message_id')} END, expires_at "
        "FROM chat_state"
    )
    # Reports made from Telegram messages keep their link: an edit still updates them.
    op.execute(
        "UPDATE report SET source_ref = 'telegram:' || substr(source_ref, 4) "
        "WHERE source_ref LIKE 'tg:%'"
    )


def downgrade() -> None:
    raise NotImplementedError("superbot migrations go forward only")
