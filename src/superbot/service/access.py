"""Who may open the web view, and what they see there.

No passwords: a person asks for a login link (the web form, or ``superbot login PERSON``) and
it reaches them through the outbox on a channel they are bound to. A login link opens once
and soon expires; a reminder's 填报 link opens that person's own tasks until the round ends.
Codes and session tokens are random; only their SHA-256 is stored, so a copy of the database
opens nothing.

Roles come from the plan: coordinators see and review everything, 分管领导 read everything,
everyone else sees their own department's tasks (led or supported) and reports on what it
leads — the same rights as the bot (:func:`~superbot.service.people.right`).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from superbot.domain.model import Person, Task
from superbot.service.errors import ServiceError
from superbot.service.people import Member, member_of
from superbot.service.store import ActivePlan

LOGIN, REPORT = "login", "report"
LOGIN_VALIDITY = timedelta(minutes=15)
SESSION_VALIDITY = timedelta(hours=12)
# Login links one person may be sent in LINK_WINDOW, and login requests one address may make.
LINKS_PER_PERSON = 3
REQUESTS_PER_ADDRESS = 10
LINK_WINDOW = timedelta(minutes=15)


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_code() -> str:
    """32 random bytes, URL-safe: nothing to guess."""
    return secrets.token_urlsafe(32)


def csrf_token(secret: str) -> str:
    """The form token bound to a session (or a link): an attacker's page cannot read it."""
    return hashlib.sha256(f"csrf:{secret}".encode()).hexdigest()[:32]


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Link:
    kind: str
    person_id: str
    period: str | None
    expires_at: datetime
    used_at: datetime | None


class Links(Protocol):
    """Login and 填报 links, and browser sessions, by the hash of their secret."""

    def add_link(
        self,
        code_hash: str,
        kind: str,
        person_id: str,
        period: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> None: ...

    def link(self, code_hash: str) -> Link | None: ...

    def use_link(self, code_hash: str, now: datetime) -> bool:
        """Mark used if unused; False when it was used already (or by someone faster)."""
        ...

    def links_since(self, kind: str, person_id: str, since: datetime) -> int: ...

    def add_session(
        self, token_hash: str, person_id: str, now: datetime, expires_at: datetime
    ) -> None: ...

    def session_person(self, token_hash: str, now: datetime) -> str | None: ...

    def end_session(self, token_hash: str) -> None: ...


class LoginNotices(Protocol):
    def login_link(
        self, person: Person, url: str, expires_at: datetime, key: str, now: datetime
    ) -> int:
        """Queue the link to the person on their channel (outbox period ``key``); the number
        of messages queued."""
        ...


class Role(StrEnum):
    COORDINATOR = "coordinator"
    LEADER = "leader"  # 分管领导: reads everything
    MEMBER = "member"  # a department's people: their department


@dataclass(frozen=True)
class Viewer:
    """A signed-in person and what the plan lets them see."""

    member: Member
    role: Role

    @property
    def person(self) -> Person:
        return self.member.person

    @property
    def department_id(self) -> str:
        return self.member.department.id

    @property
    def reviews(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def reads_all(self) -> bool:
        return self.role is not Role.MEMBER

    def sees_task(self, task: Task) -> bool:
        return self.reads_all or self.department_id in (task.lead, *task.support)

    def sees_department(self, department_id: str) -> bool:
        return self.reads_all or department_id == self.department_id


def viewer(plan: ActivePlan, person_id: str) -> Viewer | None:
    """None for anyone no longer in the plan: a session outlives nobody's removal."""
    person = plan.people.get(person_id)
    if person is None:
        return None
    member = member_of(plan, person)
    if member.coordinator:
        return Viewer(member, Role.COORDINATOR)
    leads = any(person_id in d.leaders for d in plan.departments.values())
    return Viewer(member, Role.LEADER if leads else Role.MEMBER)


def person_asking(plan: ActivePlan, typed: str) -> Person | None:
    """Who the public login form means: an exact id or full name, None when unknown or
    shared. Stricter than a coordinator's ``people.find_person`` (no part of a name): a
    stranger typing one character sends nobody a link."""
    typed = typed.strip()
    if not typed:
        return None
    if typed.lower() in plan.people:
        return plan.people[typed.lower()]
    named = [p for p in plan.people.values() if p.name == typed]
    return named[0] if len(named) == 1 else None


class Throttle:
    """At most ``limit`` events per key in a sliding ``window`` (kept in memory: it slows
    down one address hammering one instance; the per-person limit is in the database)."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[datetime]] = {}

    def allow(self, key: str, now: datetime) -> bool:
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        if len(self._seen) > 10_000:  # forget idle addresses rather than grow without bound
            self._seen = {k: v for k, v in self._seen.items() if v}
        return True


class Access:
    def __init__(
        self,
        links: Links,
        notices: LoginNotices,
        url: Callable[[str], str],
        *,
        throttle: Throttle | None = None,
    ) -> None:
        self.links = links
        self.notices = notices
        self.url = url  # path → the public URL people open
        self.throttle = throttle or Throttle(REQUESTS_PER_ADDRESS, LINK_WINDOW)

    # -- login links -------------------------------------------------------------------------

    def send_login_link(self, plan: ActivePlan, person: Person, now: datetime) -> str:
        """A fresh single-use link to the person's channel; returns the outbox period its
        message is queued under. Refused past the per-person limit, so that nobody can flood
        someone's phone with links."""
        if self.links.links_since(LOGIN, person.id, now - LINK_WINDOW) >= LINKS_PER_PERSON:
            raise ServiceError("web.too_many_links", minutes=int(LINK_WINDOW.total_seconds() / 60))
        code = new_code()
        expires_at = now + LOGIN_VALIDITY
        code_hash = digest(code)
        self.links.add_link(code_hash, LOGIN, person.id, None, now, expires_at)
        key = code_hash[:16]  # names the message, and gives nothing of the code away
        self.notices.login_link(person, self.url(f"/login/{code}"), expires_at, key, now)
        return key

    def request_login(self, plan: ActivePlan, typed: str, address: str, now: datetime) -> bool:
        """The web form: False when the address asks too often. Whether the name was known
        is not said (the page answers the same), so nobody learns who is in the plan."""
        if not self.throttle.allow(address, now):
            return False
        person = person_asking(plan, typed)
        if person is not None:
            # Over the person's limit, the links already sent still work: nothing more to do.
            with contextlib.suppress(ServiceError):
                self.send_login_link(plan, person, now)
        return True

    def login_code_valid(self, code: str, now: datetime) -> bool:
        link = self.links.link(digest(code))
        return link is not None and link.kind == LOGIN and _open(link, now)

    def sign_in(self, code: str, now: datetime) -> tuple[str, str] | None:
        """Use a login link: (session token for the cookie, person id), or None."""
        code_hash = digest(code)
        link = self.links.link(code_hash)
        if link is None or link.kind != LOGIN or not _open(link, now):
            return None
        if not self.links.use_link(code_hash, now):
            return None
        token = new_code()
        self.links.add_session(digest(token), link.person_id, now, now + SESSION_VALIDITY)
        return token, link.person_id

    def session(self, token: str | None, now: datetime) -> str | None:
        if not token:
            return None
        return self.links.session_person(digest(token), now)

    def sign_out(self, token: str | None) -> None:
        if token:
            self.links.end_session(digest(token))

    # -- 填报 links ----------------------------------------------------------------------------

    def report_link(self, person_id: str, period: str, expires_at: datetime, now: datetime) -> str:
        """The URL of the person's 填报 page for a round: in every reminder they get."""
        code = new_code()
        self.links.add_link(digest(code), REPORT, person_id, period, now, expires_at)
        return self.url(f"/r/{code}")

    def report_scope(self, code: str, now: datetime) -> Link | None:
        link = self.links.link(digest(code))
        if link is None or link.kind != REPORT or link.expires_at <= now:
            return None
        return link


def _open(link: Link, now: datetime) -> bool:
    return link.used_at is None and link.expires_at > now
