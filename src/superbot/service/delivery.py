"""Rounds: which reminder, 通报 or digest is due, who gets it through which channel.

A round is (kind, period). Enqueueing it turns every recipient × channel × part into an
outbox row; the dedupe key makes a second enqueue of the same round add nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache, partial

from superbot.domain.crontab import Crontab, Schedule
from superbot.domain.model import PERSONAL_CHANNELS, Account, Person, ScheduleKind, Webhook
from superbot.domain.periods import (
    Period,
    month_of,
    previous_month,
    start_of_day,
    week_before,
)
from superbot.domain.text import Text
from superbot.service.digest import build_digest
from superbot.service.escalation import recipients
from superbot.service.issuing import issue_bulletin
from superbot.service.mail import RefusedMail, ReplyWay
from superbot.service.outbox import UNREACHABLE, NewItem, Outbox, dedupe_key
from superbot.service.ports import ConfigNotice, InviteMail, Message, Part, PlanNotice, Renderer
from superbot.service.reminders import build_reminders
from superbot.service.review import Decided, EvidenceFiles, Waiting, review_queue
from superbot.service.status import PlanClock, load_plan, read_statuses
from superbot.service.store import ActivePlan, Store
from superbot.service.views import LoginLinkView, ReminderView, Silence

# The token and addresses a person's reminder email is answered with (service.mail).
ReplyWays = Callable[[str, str, str, Sequence[str], datetime], ReplyWay]

PLAN_NOTICE = "plan"
OPERATIONS = "operations"  # something about superbot itself the coordinators must know
NUDGE = "nudge"  # a coordinator's /remind
ESCALATION = "escalation"  # a 督办单, 专函 or 约谈 proposal
REVIEW = "review"  # a request to review, a decision to tell
CONFIG = "config"  # a channel refused our configuration
INVITE = "invite"  # a person's own binding code, by email
LOGIN = "login"  # a login link for the web view

# The person's 填报 link for a round: (person id, the round's month, now) → URL.
ReportLinks = Callable[[str, Period, datetime], str]


@dataclass(frozen=True)
class Round:
    kind: ScheduleKind
    period: Period
    as_of: date  # the day the round is for


def round_for(kind: ScheduleKind, as_of: date) -> Round:
    """Reminders are the month of ``as_of``, the 通报 the month before it, the digest the
    seven days before it (the README's "Periods")."""
    period = {
        ScheduleKind.REMINDER: month_of,
        ScheduleKind.BULLETIN: previous_month,
        ScheduleKind.DIGEST: week_before,
    }[kind](as_of)
    return Round(kind, period, as_of)


def app_channel(platform: str) -> str:
    """The outbox channel of a chat app (``dingtalk_app``): ``dingtalk`` is its group robot."""
    return f"{platform}_app"


@dataclass(frozen=True)
class Reach:
    """Which channels this installation can use. With none of Telegram, SMTP and the chat
    apps configured, everything goes to the file channel so nothing is lost."""

    telegram: bool = False
    email: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)
    apps: frozenset[str] = frozenset()  # the chat apps configured: dingtalk, wecom, feishu

    @property
    def file_only(self) -> bool:
        return not self.telegram and not self.email and not self.apps

    def person(
        self, person: Person, accounts: Sequence[Account], order: Sequence[str]
    ) -> list[tuple[str, str]]:
        """The one route of a person's own message: the first channel of the person's order,
        then of the plan's, that superbot is configured for and the person is bound on."""
        if self.file_only:
            return [("file", person.id)]
        bound: dict[str, str] = {}
        for account in accounts:
            bound.setdefault(account.channel, account.id)
        if person.email:
            bound["email"] = person.email
        usable = {"telegram": self.telegram, "email": self.email}
        # Channels the orders leave out come last: a person bound only there is still reached.
        for channel in dict.fromkeys((*person.channels, *order, *PERSONAL_CHANNELS)):
            if channel in bound and usable.get(channel, channel in self.apps):
                name = channel if channel in usable else app_channel(channel)
                return [(name, bound[channel])]
        return []

    def group(self, chat_id: int) -> tuple[str, str] | None:
        if self.telegram:
            return ("telegram", str(chat_id))
        return ("file", f"telegram{chat_id}") if self.file_only else None

    def mailbox(self, address: str) -> tuple[str, str] | None:
        if self.email:
            return ("email", address)
        return ("file", address) if self.file_only else None

    def robot(self, webhook: Webhook) -> tuple[str, str]:
        if self.file_only and webhook.url_env not in self.environ:
            return ("file", webhook.kind.value + "-" + webhook.url_env)
        return (webhook.kind.value, webhook.recipient)


@dataclass(frozen=True)
class Enqueued:
    round: Round
    items: tuple[NewItem, ...]
    added: int


class Delivery:
    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        renderer: Renderer,
        reach: Reach,
        reply_ways: ReplyWays | None = None,
        refused_mails: Callable[[datetime, datetime], Sequence[RefusedMail]] | None = None,
        evidence: EvidenceFiles | None = None,
        report_links: ReportLinks | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.renderer = renderer
        self.reach = reach
        self.reply_ways = reply_ways
        self.refused_mails = refused_mails
        self.evidence = evidence  # listed in the requests coordinators review
        self.report_links = report_links  # the web view's 填报 page, when it is served

    def enqueue(self, round_: Round, now: datetime, *, dry_run: bool = False) -> Enqueued:
        covered: list[tuple[str, str]] = []
        items = tuple(self.items(round_, now, record=not dry_run, covered=covered))
        if not dry_run and covered:  # the task's file lists every reminder that named it
            self.store.record_round_tasks(round_.kind.value, round_.period.key, covered)
        added = 0 if dry_run else self.outbox.enqueue(items, now)
        return Enqueued(round_, items, added)

    def items(
        self,
        round_: Round,
        now: datetime,
        *,
        record: bool = True,
        covered: list[tuple[str, str]] | None = None,
    ) -> Iterable[NewItem]:
        """``record``: a 通报 sent is issued for good (期号, escalations, kept copies); a dry
        run only shows it. ``covered`` collects (person, task) of the reminders."""
        plan = load_plan(self.store)
        if round_.kind is ScheduleKind.REMINDER:
            yield from self._reminders(
                plan, round_, now, covered if covered is not None else [], record=record
            )
        elif round_.kind is ScheduleKind.BULLETIN:
            yield from self._bulletin(plan, round_, now, record)
        else:
            yield from self._digest(plan, round_)

    def _reminders(
        self,
        plan: ActivePlan,
        round_: Round,
        now: datetime,
        covered: list[tuple[str, str]],
        *,
        record: bool,
    ) -> Iterable[NewItem]:
        for view in build_reminders(plan, self.store, round_.period, round_.as_of):
            if record:
                view = self._with_link(view, round_.period, now)
            covered.extend((view.person.id, s.task.id) for s in view.tasks)
            yield from self._to_person(
                plan,
                round_.kind,
                round_.period.key,
                view.person,
                self._reminder(view, round_.kind, round_.period.key, now),
            )

    def _with_link(self, view: ReminderView, month: Period, now: datetime) -> ReminderView:
        """The reminder carries the person's 填报 link, on every channel, when there is
        something to report and the web view is served."""
        if self.report_links is None or not view.tasks:
            return view
        return replace(view, report_link=self.report_links(view.person.id, month, now))

    def _reminder(
        self, view: ReminderView, kind: str, period: str, now: datetime
    ) -> Callable[[str], Sequence[Part]]:
        """A reminder by email carries the token its reply must bring back."""

        def render(channel: str) -> Sequence[Part]:
            if channel == "email" and self.reply_ways is not None and view.tasks:
                task_ids = [s.task.id for s in view.tasks]
                way = self.reply_ways(view.person.id, kind, period, task_ids, now)
                return self.renderer.reminder(replace(view, reply=way), channel)
            return self.renderer.reminder(view, channel)

        return render

    def _bulletin(
        self, plan: ActivePlan, round_: Round, now: datetime, record: bool
    ) -> Iterable[NewItem]:
        issued = issue_bulletin(
            self.store,
            self.renderer,
            round_.period,
            round_.as_of,
            now,
            record=record,
            formats=("docx", "xlsx"),  # a dry run: what the email would attach
        )
        view = issued.view
        # Rendered once per channel; the email attaches the copies kept as issued.
        parts = cache(partial(self.renderer.bulletin, view, documents=issued.documents))
        leads = {s.task.lead for s in view.statuses}
        leaders = {p.id for lead in leads for p in plan.leaders(lead)}
        people = [
            p
            for p in plan.people.values()
            if p.id in plan.coordinators or p.department_id in leads or p.id in leaders
        ]
        for person in people:
            yield from self._to_person(plan, round_.kind, round_.period.key, person, parts)
        yield from self._broadcast(plan, round_, parts)
        for document in issued.escalations:
            key = f"{document.document.year}-{document.document.number}"
            copies = self.store.copies(f"escalation:{document.document.id}")
            render = cache(partial(self.renderer.escalation, document, documents=copies))
            for person in recipients(plan, document.document):
                yield from self._to_person(plan, ESCALATION, key, person, render)

    def _digest(self, plan: ActivePlan, round_: Round) -> Iterable[NewItem]:
        zone = PlanClock.of(plan.settings).zone
        failures = self.outbox.failures_between(
            start_of_day(round_.period.first, zone),
            start_of_day(round_.period.last + timedelta(days=1), zone),
        )
        view = build_digest(self.store, round_.period, round_.as_of, failures)
        if self.refused_mails is not None:
            week = (
                start_of_day(round_.period.first, zone),
                start_of_day(round_.period.last + timedelta(days=1), zone),
            )
            view = replace(view, refused=tuple(self.refused_mails(*week)))
        parts = cache(partial(self.renderer.digest, view))  # rendered once per channel
        for person_id in plan.coordinators:
            yield from self._to_person(
                plan, round_.kind, round_.period.key, plan.people[person_id], parts
            )

    def notify_coordinators(self, notice: PlanNotice, key: str, now: datetime) -> int:
        """tasks.yaml changed while running: tell the coordinators (once per file version)."""
        plan = load_plan(self.store)
        items = [
            item
            for person_id in plan.coordinators
            for item in self._to_person(
                plan,
                PLAN_NOTICE,
                key,
                plan.people[person_id],
                lambda c: self.renderer.plan_problems(notice, c),
            )
        ]
        return self.outbox.enqueue(items, now)

    def notify_misconfigured(self, channel: str, reason: str, now: datetime) -> int:
        """A channel refused our configuration: tell the coordinators through the others
        (once a day per channel, however many processes find it)."""
        plan = load_plan(self.store)
        others = replace(
            self.reach,
            telegram=self.reach.telegram and channel != "telegram",
            email=self.reach.email and channel != "email",
            apps=frozenset(a for a in self.reach.apps if app_channel(a) != channel),
        )
        notice = ConfigNotice(channel, reason)
        period = f"{channel}:{now.date().isoformat()}"
        items = [
            item
            for person_id in plan.coordinators
            if person_id in plan.people
            for item in self._to_person(
                plan,
                CONFIG,
                period,
                plan.people[person_id],
                lambda c: self.renderer.config_notice(notice, c),
                reach=others,
            )
            if item.channel != UNREACHABLE
        ]
        return self.outbox.enqueue(items, now)

    def tell_coordinators(self, text: Text, period: str, now: datetime) -> int:
        """Something about superbot itself (another instance polls the bot, say): told once
        per ``period`` however many times it happens."""
        plan = load_plan(self.store)
        items = [
            item
            for person_id in plan.coordinators
            for item in self._to_person(
                plan,
                OPERATIONS,
                period,
                plan.people[person_id],
                lambda c: self.renderer.operations(text, c),
            )
        ]
        return self.outbox.enqueue(items, now)

    # -- nudges: a coordinator's /remind ----------------------------------------------------

    def nudge(
        self, silent: Sequence[Silence], as_of: date, now: datetime
    ) -> list[tuple[Person, int, bool]]:
        """Remind again the owners of departments that have not reported: each gets the
        reminder of their silent tasks only. Kind ``nudge``, period = the day: one nudge per
        person per day, however often coordinators ask.

        Returns (person, new messages, reachable) for every owner of those departments.
        """
        plan = load_plan(self.store)
        statuses = {s.task.id: s for s in read_statuses(self.store, plan, as_of)}
        coordinators = tuple(plan.people[p] for p in plan.coordinators if p in plan.people)
        outcome = []
        for silence in silent:
            tasks = tuple(statuses[t.id] for t in silence.tasks if t.id in statuses)
            for person in silence.people:
                view = ReminderView(
                    person, silence.department, month_of(as_of), as_of, tasks, coordinators
                )
                view = self._with_link(view, month_of(as_of), now)
                items = list(
                    self._to_person(
                        plan,
                        NUDGE,
                        as_of.isoformat(),
                        person,
                        self._reminder(view, NUDGE, as_of.isoformat(), now),
                    )
                )
                reachable = not any(item.channel == UNREACHABLE for item in items)
                self.store.record_round_tasks(
                    NUDGE, as_of.isoformat(), ((person.id, t.task.id) for t in tasks)
                )
                outcome.append((person, self.outbox.enqueue(items, now), reachable))
        return outcome

    # -- the web view ------------------------------------------------------------------------

    def login_link(
        self, person: Person, url: str, expires_at: datetime, key: str, now: datetime
    ) -> int:
        """A login link to the person's own channel, never to a group. Kind ``login``,
        period ``key``: each link a message of its own."""
        plan = load_plan(self.store)
        view = LoginLinkView(person, url, expires_at.astimezone(plan.zone))
        render = cache(partial(self.renderer.login_link, view))
        items = list(self._to_person(plan, LOGIN, key, person, render))
        return self.outbox.enqueue(items, now)

    # -- the review queue: requests to coordinators, decisions to owners ------------------------

    def review_requested(self, waiting: Waiting, now: datetime) -> int:
        """A 办结申请 or 延期申请 to every coordinator, with 同意 / 退回 where the channel has
        buttons. Kind ``review``, period ``<request id>``: once per request."""
        plan = load_plan(self.store)
        render = cache(partial(self.renderer.review_request, waiting))
        items = [
            item
            for person_id in plan.coordinators
            if person_id in plan.people
            for item in self._to_person(
                plan, REVIEW, str(waiting.request.id), plan.people[person_id], render
            )
        ]
        return self.outbox.enqueue(items, now)

    def announce_requests(self, now: datetime) -> int:
        """Every request no coordinator was told of yet (one made by a 填报表, a mail, or
        just before a crash): told now. Each tick asks; a request is told once."""
        waiting = set(self.store.unannounced_requests())
        if not waiting:
            return 0
        plan = load_plan(self.store)
        return sum(
            self.review_requested(found, now)
            for found in review_queue(self.store, plan, now, self.evidence)
            if found.request.id in waiting
        )

    def review_decided(self, decided: Decided, now: datetime) -> int:
        """The decision to the owner who asked (the lead's 联络员 when nobody is named), on
        their channels: approved, or returned with the reason."""
        plan = load_plan(self.store)
        render = cache(partial(self.renderer.review_decision, decided))
        period = f"{decided.request.id}-{decided.request.status.value}"
        items = [
            item
            for person in decided.owners
            for item in self._to_person(plan, REVIEW, period, person, render)
        ]
        return self.outbox.enqueue(items, now)

    # -- binding codes by email: superbot invite --email ----------------------------------------

    def invites_by_email(self, mails: Sequence[InviteMail], batch: str, now: datetime) -> int:
        """Each person's own code to their own address. Kind ``invite``, period ``batch`` (one
        run of the command); people without an address are the caller's to name."""
        items: list[NewItem] = []
        for mail in mails:
            route = self.reach.mailbox(mail.person.email) if mail.person.email else None
            if route is None:
                continue
            channel, recipient = route
            parts = self.renderer.invite(mail, channel)
            items.extend(_items(INVITE, batch, channel, recipient, parts, mail.person.id))
        return self.outbox.enqueue(items, now)

    def _to_person(
        self,
        plan: ActivePlan,
        kind: str,
        period: str,
        person: Person,
        render: Callable[[str], Sequence[Part]],
        reach: Reach | None = None,
    ) -> Iterable[NewItem]:
        reach = reach or self.reach
        routes = reach.person(person, plan.accounts.get(person.id, ()), plan.settings.channels)
        if not routes:
            yield NewItem(
                dedupe_key(kind, period, UNREACHABLE, person.id),
                kind,
                period,
                UNREACHABLE,
                person.id,
                Message(subject="", body=""),
                person_id=person.id,
                # Worded by the templates (texts/delivery.j2) in the reader's language.
                failed_reason=(
                    "delivery.unreachable_smtp"
                    if person.email and not reach.email
                    else "delivery.unreachable"
                ),
            )
            return
        for channel, recipient in routes:
            yield from _items(kind, period, channel, recipient, render(channel), person.id)

    def _broadcast(
        self, plan: ActivePlan, round_: Round, parts: Callable[[str], Sequence[Part]]
    ) -> Iterable[NewItem]:
        broadcast = plan.settings.broadcast
        routes: list[tuple[str, str] | None] = [
            *(self.reach.group(chat) for chat in broadcast.telegram_chats),
            *(self.reach.mailbox(address) for address in broadcast.emails),
            *(self.reach.robot(hook) for hook in broadcast.webhooks),
        ]
        for route in routes:
            if route is None:
                continue
            channel, recipient = route
            yield from _items(
                round_.kind.value, round_.period.key, channel, recipient, parts(channel), None
            )


def _items(
    kind: str,
    period: str,
    channel: str,
    recipient: str,
    parts: Sequence[Part],
    person_id: str | None,
) -> Iterable[NewItem]:
    for seq, part in enumerate(parts):
        yield NewItem(
            dedupe_key(kind, period, channel, recipient, part.key),
            kind,
            period,
            channel,
            recipient,
            part.message,
            person_id=person_id,
            task_id=part.task_id,
            seq=seq,
        )


def due_rounds(
    plan: ActivePlan, watermarks: Mapping[ScheduleKind, datetime | None], now: datetime
) -> list[tuple[ScheduleKind, Round | None]]:
    """For each schedule, the latest fire in (watermark, now] as a round (None if none).

    Only the latest missed fire is sent: a digest or reminder from weeks ago helps no one.
    Without a watermark (first start) nothing is due: missed means missed while running.
    """
    clock = PlanClock.of(plan.settings)
    due: list[tuple[ScheduleKind, Round | None]] = []
    for kind in ScheduleKind:
        watermark = watermarks.get(kind)
        if watermark is None or watermark >= now:
            due.append((kind, None))
            continue
        schedule = Schedule(
            Crontab.parse(plan.settings.schedules[kind]), clock.zone, clock.calendar
        )
        fires = schedule.fires_between(watermark, now)
        due.append(
            (
                kind,
                round_for(kind, fires[-1].nominal.astimezone(clock.zone).date()) if fires else None,
            )
        )
    return due
