"""Who is talking to the bot, what they may see and change, and how accounts get bound."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from superbot.domain.model import Department, Person, Task
from superbot.domain.suggest import closest
from superbot.service.errors import ServiceError
from superbot.service.store import ActivePlan

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get read aloud
INVITE_LENGTH = 8
INVITE_VALIDITY = timedelta(days=7)


class Right(StrEnum):
    PROGRESS = "progress"  # lead department owners and coordinators: percent, state, notes
    NOTES = "notes"  # support department owners (配合单位): notes only
    NONE = "none"


@dataclass(frozen=True)
class Member:
    """A person bound to a Telegram account, as the plan knows them."""

    person: Person
    department: Department
    coordinator: bool


@dataclass(frozen=True)
class Invite:
    code: str
    person_id: str
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class ChatStep:
    """Where a person is in a conversation with the bot (e.g. "note" after a button)."""

    step: str
    task_id: str | None = None
    report_id: int | None = None
    message_id: int | None = None


class Bindings(Protocol):
    """Telegram accounts, invites, the bot's messages about tasks, handled updates."""

    def add_invite(self, invite: Invite, now: datetime) -> None: ...

    def invite(self, code: str) -> Invite | None: ...

    def use_invite(self, code: str, telegram_id: int, now: datetime) -> bool:
        """Mark used if still unused; False when someone was faster."""
        ...

    def bind(self, person_id: str, telegram_id: int, now: datetime) -> None: ...

    def person_for(self, telegram_id: int) -> str | None: ...

    def task_for_message(self, chat_id: int, message_id: int) -> str | None: ...

    def remember_message(
        self, chat_id: int, message_id: int, task_id: str, now: datetime
    ) -> None: ...

    def first_time(self, update_id: int, now: datetime) -> bool:
        """True the first time an update id is seen."""
        ...

    def step(self, user_id: int, now: datetime) -> ChatStep | None: ...

    def set_step(self, user_id: int, step: ChatStep, expires_at: datetime) -> None: ...

    def clear_step(self, user_id: int) -> None: ...

    def add_note(self, report_id: int, note: str) -> None: ...


def member(plan: ActivePlan, telegram_id: int) -> Member | None:
    for person_id, bound in plan.telegram.items():
        if bound == telegram_id and person_id in plan.people:
            person = plan.people[person_id]
            return Member(
                person, plan.departments[person.department_id], person_id in plan.coordinators
            )
    return None


def right(member: Member, task: Task) -> Right:
    if member.coordinator or task.lead == member.department.id:
        return Right.PROGRESS
    if member.department.id in task.support:
        return Right.NOTES
    return Right.NONE


def visible_tasks(plan: ActivePlan, member: Member) -> tuple[list[Task], list[Task]]:
    """(tasks the member's department leads, tasks it supports)."""
    led = [t for t in plan.tasks if t.lead == member.department.id]
    supported = [t for t in plan.tasks if member.department.id in t.support]
    return led, supported


def create_invite(
    bindings: Bindings,
    plan: ActivePlan,
    person_id: str,
    now: datetime,
    valid_for: timedelta = INVITE_VALIDITY,
) -> Invite:
    if person_id not in plan.people:
        raise ServiceError(
            "invite.unknown_person", id=person_id, suggestion=closest(person_id, plan.people)
        )
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    invite = Invite(code, person_id, now + valid_for)
    bindings.add_invite(invite, now)
    return invite


def redeem_invite(
    bindings: Bindings, plan: ActivePlan, code: str, telegram_id: int, now: datetime
) -> Member:
    invite = bindings.invite(code.strip().upper())
    if invite is None:
        raise ServiceError("invite.unknown")
    if invite.used_at is not None:
        raise ServiceError("invite.used")
    if invite.expires_at < now:
        raise ServiceError("invite.expired", expired=invite.expires_at)
    person = plan.people.get(invite.person_id)
    if person is None:
        raise ServiceError("invite.person_gone")
    other = bindings.person_for(telegram_id)
    if other is not None and other != person.id:
        raise ServiceError(
            "invite.account_taken", name=plan.people[other].name if other in plan.people else other
        )
    if not bindings.use_invite(invite.code, telegram_id, now):
        raise ServiceError("invite.used")
    bindings.bind(person.id, telegram_id, now)
    return Member(person, plan.departments[person.department_id], person.id in plan.coordinators)
