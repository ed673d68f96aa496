"""Who is talking, what they may see and change, and how accounts get bound.

Everything that arrives — a Telegram update, an email, later a 钉钉 or 企业微信 message —
comes from a sender: an :class:`~superbot.domain.model.Account` (channel + the channel's id).
:func:`member` is the one way a sender becomes a person of the plan. Accounts come from
tasks.yaml (``telegram:``, ``email:``) or from an invite code sent on any channel.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from superbot.domain.attempts import WRONG_CODE_WINDOW, next_try
from superbot.domain.model import Account, Department, Person, Task
from superbot.domain.suggest import closest
from superbot.service.errors import ServiceError
from superbot.service.store import ActivePlan

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get read aloud
INVITE_LENGTH = 8
INVITE_VALIDITY = timedelta(days=7)
EMAIL = "email"  # the channel every person of the plan with an address is reached on


class Right(StrEnum):
    PROGRESS = "progress"  # lead department owners and coordinators: percent, state, notes
    NOTES = "notes"  # support department owners (配合单位): notes only
    NONE = "none"


@dataclass(frozen=True)
class Member:
    """A person of the plan, recognised by one of their accounts."""

    person: Person
    department: Department
    coordinator: bool


@dataclass(frozen=True)
class Invite:
    code: str
    person_id: str
    expires_at: datetime
    used_at: datetime | None = None


class Accounts(Protocol):
    """Invites and the accounts they bind (tasks.yaml's accounts are synced with the plan)."""

    def add_invite(self, invite: Invite, now: datetime) -> None: ...

    def invite(self, code: str) -> Invite | None: ...

    def wrong_codes(self, sender: Account, since: datetime) -> list[datetime]:
        """When the account sent a wrong invite code, after ``since``."""
        ...

    def add_wrong_code(self, sender: Account, at: datetime) -> None: ...

    def use_invite(self, code: str, sender: Account, now: datetime) -> bool:
        """Mark used if still unused; False when someone was faster."""
        ...

    def bind(self, person_id: str, account: Account, now: datetime) -> None:
        """The account is the person's from now on (and nobody else's); a person keeps one
        invited account per channel."""
        ...

    def person_for(self, account: Account) -> str | None: ...


def find_person(plan: ActivePlan, typed: str, unknown: str = "report.unknown_person") -> Person:
    """The person a coordinator means by an id or a name (张建华, or part of one when only one
    person fits). Two people with that name: refused with both, so the coordinator picks by id.
    """
    word = typed.strip()
    if word in plan.people:
        return plan.people[word]
    if word.lower() in plan.people:
        return plan.people[word.lower()]
    named = [p for p in plan.people.values() if p.name == word] or [
        p for p in plan.people.values() if word and word in p.name
    ]
    if len(named) == 1:
        return named[0]
    if named:
        raise ServiceError(
            "people.ambiguous_person",
            word=word,
            choices=[(p.id, p.name, plan.departments[p.department_id].name) for p in named],
        )
    choices = [*plan.people, *(p.name for p in plan.people.values())]
    suggestion = closest(word, choices)
    if suggestion is not None and suggestion not in plan.people:
        suggestion = next(p.id for p in plan.people.values() if p.name == suggestion)
    raise ServiceError(unknown, id=typed, suggestion=suggestion)


def find_department(plan: ActivePlan, typed: str) -> Department:
    """The department meant by an id or a name (高新科 for 高新科（科技局高新技术科）)."""
    word = typed.strip()
    if word in plan.departments or word.lower() in plan.departments:
        return plan.departments[word if word in plan.departments else word.lower()]
    named = [d for d in plan.departments.values() if d.name == word] or [
        d for d in plan.departments.values() if word and word.lower() in d.name.lower()
    ]
    if len(named) == 1:
        return named[0]
    if named:
        raise ServiceError(
            "people.ambiguous_department",
            word=word,
            choices=[(d.id, d.name) for d in named],
        )
    raise ServiceError(
        "status.unknown_department", id=typed, suggestion=closest(word, plan.departments)
    )


def member(plan: ActivePlan, sender: Account) -> Member | None:
    person = plan.person_of(sender)
    if person is None:
        return None
    return member_of(plan, person)


def member_of(plan: ActivePlan, person: Person) -> Member:
    return Member(person, plan.departments[person.department_id], person.id in plan.coordinators)


def right(member: Member, task: Task) -> Right:
    if member.coordinator or task.lead == member.department.id:
        return Right.PROGRESS
    if member.department.id in task.support:
        return Right.NOTES
    return Right.NONE


def bound_people(plan: ActivePlan) -> frozenset[str]:
    """People the bot can talk with: an account on a chat channel, not only an address."""
    return frozenset(
        person_id
        for person_id, accounts in plan.accounts.items()
        if any(a.channel != EMAIL for a in accounts)
    )


def create_invite(
    accounts: Accounts,
    plan: ActivePlan,
    person_id: str,
    now: datetime,
    valid_for: timedelta = INVITE_VALIDITY,
) -> Invite:
    person = find_person(plan, person_id, unknown="invite.unknown_person")
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    invite = Invite(code, person.id, now + valid_for)
    accounts.add_invite(invite, now)
    return invite


def redeem_invite(
    accounts: Accounts, plan: ActivePlan, code: str, sender: Account, now: datetime
) -> Member:
    """The same on every channel: the code names the person, the sender becomes theirs.
    Too many wrong codes from one account in a while, and it waits before the next try."""
    wait = next_try(accounts.wrong_codes(sender, now - WRONG_CODE_WINDOW), now)
    if wait is not None:
        raise ServiceError("invite.slow_down", until=wait.astimezone(plan.zone))
    invite = accounts.invite(code.strip().upper())
    if invite is None:
        accounts.add_wrong_code(sender, now)
        raise ServiceError("invite.unknown")
    if invite.used_at is not None:
        raise ServiceError("invite.used")
    if invite.expires_at < now:
        raise ServiceError("invite.expired", expired=invite.expires_at)
    person = plan.people.get(invite.person_id)
    if person is None:
        raise ServiceError("invite.person_gone")
    other = plan.person_of(sender)
    if other is not None and other.id != person.id:
        raise ServiceError("invite.account_taken", name=other.name, channel=sender.channel)
    if not accounts.use_invite(invite.code, sender, now):
        raise ServiceError("invite.used")
    accounts.bind(person.id, sender, now)
    return member_of(plan, person)
