"""superbot sync: what tasks.yaml changes in the database, shown first, applied at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from superbot.domain.model import Campaign, Department, Indicator, Person, Plan, Task
from superbot.service.store import Snapshot, Store, Stored, SyncRecord


class Action(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    ARCHIVED = "archived"
    RESTORED = "restored"


class Kind(StrEnum):
    DEPARTMENT = "department"
    PERSON = "person"
    CAMPAIGN = "campaign"
    TASK = "task"


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    kind: Kind
    id: str
    name: str  # title or name, for people to recognise the entry
    action: Action
    fields: tuple[FieldChange, ...] = ()
    reports: int = 0  # reports kept (archived) or brought back (restored)


@dataclass(frozen=True)
class SyncResult:
    changes: tuple[Change, ...]
    settings_changed: tuple[str, ...]
    order_changed: bool
    applied: bool

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes and not self.settings_changed and not self.order_changed

    def count(self, action: Action | str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def plan_changes(plan: Plan, snapshot: Snapshot) -> SyncResult:
    changes = [
        *_diff(Kind.DEPARTMENT, plan.departments, snapshot.departments, snapshot),
        *_diff(Kind.PERSON, plan.people, snapshot.people, snapshot),
        *_diff(Kind.CAMPAIGN, plan.campaigns, snapshot.campaigns, snapshot),
        *_diff(Kind.TASK, plan.tasks, snapshot.tasks, snapshot),
    ]
    settings_changed: tuple[str, ...] = ()
    if snapshot.settings is None:
        settings_changed = ("plan",)
    elif snapshot.settings != plan.settings:
        settings_changed = tuple(
            f.name
            for f in fields(plan.settings)
            if getattr(plan.settings, f.name) != getattr(snapshot.settings, f.name)
        )
    order = {
        Kind.DEPARTMENT: tuple(d.id for d in plan.departments),
        Kind.PERSON: tuple(p.id for p in plan.people),
        Kind.CAMPAIGN: tuple(c.id for c in plan.campaigns),
        Kind.TASK: tuple(t.id for t in plan.tasks),
    }
    order_changed = (
        any(ids != snapshot.order.get(kind.value, ()) for kind, ids in order.items())
        and not changes
    )
    return SyncResult(tuple(changes), settings_changed, order_changed, applied=False)


def sync(
    store: Store, plan: Plan, *, now: datetime, source: str, sha256: str, dry_run: bool
) -> SyncResult:
    """Diff ``plan`` against the database and, unless ``dry_run``, apply it in one transaction."""
    result = plan_changes(plan, store.snapshot())
    if dry_run or result.nothing_to_do:
        return result
    store.apply_plan(
        plan,
        SyncRecord(
            at=now,
            source=source,
            sha256=sha256,
            added=result.count(Action.ADDED),
            changed=result.count(Action.CHANGED),
            archived=result.count(Action.ARCHIVED),
            restored=result.count(Action.RESTORED),
        ),
    )
    return SyncResult(result.changes, result.settings_changed, result.order_changed, applied=True)


Entity = Department | Person | Campaign | Task


def _diff(
    kind: Kind,
    wanted: Iterable[Entity],
    stored: Mapping[str, Stored[Any]],
    snapshot: Snapshot,
) -> list[Change]:
    changes: list[Change] = []
    wanted_ids = set()
    for entity in wanted:
        wanted_ids.add(entity.id)
        before = stored.get(entity.id)
        reports = snapshot.report_counts.get(entity.id, 0) if kind is Kind.TASK else 0
        if before is None:
            changes.append(Change(kind, entity.id, _label(entity), Action.ADDED))
        elif before.archived:
            changes.append(
                Change(
                    kind,
                    entity.id,
                    _label(entity),
                    Action.RESTORED,
                    _fields(before.value, entity),
                    reports,
                )
            )
        elif before.value != entity:
            changes.append(
                Change(
                    kind, entity.id, _label(entity), Action.CHANGED, _fields(before.value, entity)
                )
            )
    for ident, before in stored.items():
        if ident not in wanted_ids and not before.archived:
            reports = snapshot.report_counts.get(ident, 0) if kind is Kind.TASK else 0
            changes.append(
                Change(kind, ident, _label(before.value), Action.ARCHIVED, reports=reports)
            )
    return changes


def _label(entity: Entity) -> str:
    return entity.title if isinstance(entity, Task) else entity.name


def _fields(old: Entity, new: Entity) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(f.name, _shown(getattr(old, f.name)), _shown(getattr(new, f.name)))
        for f in fields(new)
        if f.name != "id" and getattr(old, f.name) != getattr(new, f.name)
    )


def _shown(value: Any) -> Any:
    """Indicators read as ``name=target`` in a diff; everything else as it is."""
    if isinstance(value, tuple) and value and isinstance(value[0], Indicator):
        return tuple(
            f"{i.name}={i.target:g}{i.unit}" if i.target is not None else i.name for i in value
        )
    return value


@dataclass(frozen=True)
class Rename:
    """An id archived and another added with the same title: most likely one task renamed,
    whose reports would stay behind under the old id."""

    old: Change
    new: Change


def looks_renamed(result: SyncResult) -> list[Rename]:
    tasks = [c for c in result.changes if c.kind is Kind.TASK]
    archived = {c.name: c for c in tasks if c.action is Action.ARCHIVED}
    return [
        Rename(archived[c.name], c)
        for c in tasks
        if c.action is Action.ADDED and c.name in archived
    ]
