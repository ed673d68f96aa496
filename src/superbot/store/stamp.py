"""The plan's stamp: a value in the database that changes in every transaction that changes
what ``SqlStore.active_plan`` returns (a sync, an account bound). Each process keeps the plan
it read last with the stamp it read it under, and reads the plan again only when the stamp
differs: a reply costs one small query for the plan, not a read of all of it, whichever
process (`superbot sync`, another instance on PostgreSQL) changed it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlmodel import Session, col

from superbot.store.tables import SettingRow

PLAN_STAMP = "plan_stamp"


def touch_plan(s: Session) -> None:
    """Call in any transaction that writes settings, departments, people, accounts,
    campaigns, tasks, their support or indicators, or a sync run."""
    row = s.get(SettingRow, PLAN_STAMP)
    stamp = uuid.uuid4().hex  # not a counter: two writers never need to read it first
    if row is None:
        s.add(SettingRow(key=PLAN_STAMP, value=stamp))
    else:
        row.value = stamp
        s.add(row)


def plan_stamp(s: Session) -> str | None:
    """None before the first sync made one (nothing to read then either)."""
    value = s.scalar(select(col(SettingRow.value)).where(col(SettingRow.key) == PLAN_STAMP))
    return str(value) if value is not None else None
