"""invite codes kept as their SHA-256 (the first 32 hex digits), never as the code itself

Revision ID: 0003_production
Revises: 0003_web
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0003_production"
down_revision = "0003_web"
branch_labels = None
depends_on = None

_invite = sa.table("invite", sa.column("code", sa.String(32)))


def upgrade() -> None:
    # Codes already handed out keep working: each is replaced by its hash, which is how the
    # store looks a code up from now on. A hash is 32 hex digits; a code is shorter.
    connection = op.get_bind()
    codes = [row[0] for row in connection.execute(sa.select(_invite.c.code))]
    for code in codes:
        if len(code) != 32:
            hashed = hashlib.sha256(code.encode()).hexdigest()[:32]
            connection.execute(_invite.update().where(_invite.c.code == code).values(code=hashed))


def downgrade() -> None:
    pass  # a hash cannot be turned back into its code; hashed codes stay usable
