"""The sections of tasks.yaml — plan, rules, schedules, departments, coordinators, broadcast,
bulletin, escalation, campaigns — read into the domain's values in one walk over the
document."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date

from yaml.nodes import Node, ScalarNode

from superbot.domain.calendar import CalendarSpec, Holidays
from superbot.domain.crontab import Crontab, CrontabError
from superbot.domain.model import (
    APP_CHANNELS,
    DEFAULT_SCHEDULES,
    Broadcast,
    BulletinSettings,
    Campaign,
    Department,
    Direction,
    EscalationRule,
    ExtendedCountsAs,
    Indicator,
    IndicatorKind,
    Milestone,
    Person,
    Plan,
    PlanSettings,
    RobotKind,
    Role,
    Rules,
    ScheduleKind,
    Task,
    Webhook,
)
from superbot.domain.scoring import (
    OUTCOMES,
    PRESETS,
    DueSoon,
    Method,
    Reporting,
    Scoring,
    ScoringPeriod,
    scoring_of,
)
from superbot.plan import checks
from superbot.plan.fields import DOCUMENT_NAMES, ROLE_NAMES, Fields, is_email
from superbot.plan.problems import Severity
from superbot.plan.yaml import (
    Document,
    Entries,
    full_width_in,
    kind_of,
    number_value,
    position,
)

LOCALES = ("zh-CN", "en")
TOP_FIELDS = (
    "plan",
    "rules",
    "schedules",
    "departments",
    "coordinators",
    "broadcast",
    "bulletin",
    "escalation",
    "scoring",
    "campaigns",
)
PLAN_FIELDS = (
    "name",
    "timezone",
    "start",
    "holidays",
    "extra_holidays",
    "extra_workdays",
    "locale",
    "channels",
    "supervision_start",
)
DEPARTMENT_FIELDS = ("id", "name", "category", "people", "liaison", "leader")
PERSON_FIELDS = ("id", "name", "position", "email", "telegram", *APP_CHANNELS, "channels")
BROADCAST_FIELDS = ("telegram_chats", "emails", "webhooks")
WEBHOOK_FIELDS = ("kind", "url_env", "secret_env")
CAMPAIGN_FIELDS = ("id", "name", "description", "tasks")
TASK_FIELDS = (
    "id",
    "title",
    "description",
    "lead",
    "support",
    "start",
    "due",
    "weight",
    "milestones",
    "indicators",
)
INDICATOR_FIELDS = ("id", "name", "unit", "target", "direction", "kind", "quarterly")
MILESTONE_FIELDS = ("date", "description", "percent")
SCORING_FIELDS = (
    "preset",
    "method",
    "base",
    "task_share",
    "report_share",
    "points",
    "by_category",
    "support_share",
    "reporting",
    "missed_report",
    "due_soon",
    "excuse_accepted",
    "early_days",
    "period",
)
# Ranges of the numbers in ``scoring``: shares of 1, points of a 100-point scale.
SCORING_RANGES = {
    "base": (0, 1000),
    "task_share": (0, 1),
    "report_share": (0, 1),
    "support_share": (0, 1),
    "missed_report": (0, 100),
}
POINTS_RANGE = (-100, 200)
WEIGHT_RANGE = (0.01, 100)
FLAGS = ("name_people_in_bulletin", "review_done")  # true/false rules
CHOICES = {"extended_counts_as": tuple(c.value for c in ExtendedCountsAs)}
ESCALATION_FIELDS = ("light", "consecutive", "document", "to", "reply_workdays")
ESCALATION_RANGES = {"consecutive": (1, 24), "reply_workdays": (1, 60)}
BULLETIN_FIELDS = ("issuer", "to", "cc", "requirements")
RULE_RANGES = {
    "warn_workdays": (0, 60),
    "yellow_lag": (0, 100),
    "red_lag": (0, 100),
    "stale_days": (1, 366),
    "indicator_yellow": (1, 100),
    "indicator_red": (1, 100),
}


@dataclass
class Seen:
    """Where each id is first written, for duplicate reports."""

    nodes: dict[str, Node] = field(default_factory=dict)


class PlanReader(Fields):
    """Walks the document once, building the plan and collecting every problem."""

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self.references: list[tuple[str, str, Node]] = []  # (kind, id, where it is written)
        # Every id written in the file, even on an entry with errors of its own: a reference
        # to it is not "unknown", the entry is what needs fixing.
        self.declared: dict[str, set[str]] = {"department": set(), "person": set()}
        self.plan_start_written = False  # a bad plan.start is reported once, not per task

    def refer(self, kind: str, ident: str, node: Node) -> None:
        """Checked once everything is read, so order in the file does not matter."""
        self.references.append((kind, ident, node))

    def unique(self, seen: Seen, kind: str, ident: str, node: Node) -> bool:
        first = seen.nodes.setdefault(ident, node)
        if first is not node:
            first_line = first.start_mark.line + 1
            self.error(
                position(node), "plan.duplicate_id", kind=kind, id=ident, first_line=first_line
            )
            return False
        self.declared.setdefault(kind, set()).add(ident)
        return True

    # -- the document ------------------------------------------------------------------------

    def read(self) -> Plan | None:
        root = self.mapping(
            self.document.root,
            "tasks.yaml",
            allowed=TOP_FIELDS,
            required=("plan", "departments", "campaigns"),
        )
        assert root is not None  # the loader hands over mappings only
        settings = self.read_settings(root)
        departments, people = self.read_departments(root)
        coordinators = self.read_coordinators(root)
        broadcast = self.read_broadcast(root)
        bulletin = self.read_bulletin(root)
        escalation = self.read_escalation(root)
        scoring, due_soon = self.read_scoring(root)
        plan_start = settings.start if settings else None
        campaigns, tasks = self.read_campaigns(root, plan_start)
        checks.references(self)
        checks.owners(self, root, people, tasks, coordinators)
        if any(p.severity is Severity.ERROR for p in self.problems):
            self.document.read_the_rest()
        if settings is None:
            return None
        settings = replace(
            settings,
            coordinators=coordinators,
            broadcast=broadcast,
            bulletin=bulletin,
            escalation=escalation,
            scoring=scoring,
            rules=replace(settings.rules, due_soon=due_soon),
        )
        checks.calendar(self, root, settings, tasks)
        checks.leaders(self, root, escalation, departments, tasks)
        return Plan(settings, tuple(departments), tuple(people), tuple(campaigns), tuple(tasks))

    def read_settings(self, root: Entries) -> PlanSettings | None:
        value = root.get("plan")
        if value is None:
            return None
        node = self.mapping(value, "plan", allowed=PLAN_FIELDS, required=("name",))
        if node is None:
            return None
        name = self.text(node, "name", "plan.name", required=True) or ""
        timezone = self.zone(node)
        start = self.day_field(node, "start", "plan.start")
        self.plan_start_written = node.get("start") is not None
        holidays = self.choice(node, "holidays", "plan.holidays", [h.value for h in Holidays])
        locale = self.choice(node, "locale", "plan.locale", LOCALES) or "zh-CN"
        extra_holidays = self.days(node, "extra_holidays", "plan.extra_holidays")
        extra_workdays = self.days(node, "extra_workdays", "plan.extra_workdays")
        for both in sorted(extra_holidays & extra_workdays):
            self.error(node.value_position("extra_workdays"), "plan.day_both_ways", day=both)
        calendar = CalendarSpec(Holidays(holidays or "cn"), extra_holidays, extra_workdays)
        supervised = self.day_field(node, "supervision_start", "plan.supervision_start")
        return PlanSettings(
            name=name,
            timezone=timezone,
            locale=locale,
            start=start,
            calendar=calendar,
            rules=replace(self.read_rules(root), supervision_start=supervised),
            schedules=self.read_schedules(root),
            channels=self.channel_order(node, "plan.channels") or PlanSettings.channels,
        )

    def read_rules(self, root: Entries) -> Rules:
        value = root.get("rules")
        if value is None:
            return Rules()
        node = self.mapping(value, "rules", (*RULE_RANGES, *FLAGS, *CHOICES))
        if node is None:
            return Rules()
        values: dict[str, int | bool | ExtendedCountsAs | None] = {
            key: self.integer(node, key, f"rules.{key}", lo, hi)
            for key, (lo, hi) in RULE_RANGES.items()
        }
        values.update({key: self.flag(node, key, f"rules.{key}") for key in FLAGS})
        counts_as = self.choice(
            node, "extended_counts_as", "rules.extended_counts_as", CHOICES["extended_counts_as"]
        )
        if counts_as is not None:
            values["extended_counts_as"] = ExtendedCountsAs(counts_as)
        rules = Rules(**{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]
        if rules.red_lag < rules.yellow_lag:
            at = node.value_position("red_lag") if "red_lag" in node else position(node.node)
            self.error(at, "plan.red_below_yellow", red=rules.red_lag, yellow=rules.yellow_lag)
        return rules

    def read_schedules(self, root: Entries) -> dict[ScheduleKind, str]:
        schedules = dict(DEFAULT_SCHEDULES)
        value = root.get("schedules")
        if value is None:
            return schedules
        kinds = tuple(k.value for k in ScheduleKind)
        node = self.mapping(value, "schedules", kinds)
        if node is None:
            return schedules
        for kind in ScheduleKind:
            written = node.get(kind.value)
            if written is None:
                continue
            if kind_of(written) != "string":
                self.wrong_type(written, f"schedules.{kind}", "crontab")
                continue
            expression = str(written.value)
            try:
                Crontab.parse(expression)
            except CrontabError as error:
                # The column points into the string, at the field that is wrong.
                line, col = position(written)
                quoted = isinstance(written, ScalarNode) and written.style in {'"', "'"}
                at = (line, col + error.offset + (1 if quoted else 0))
                self.error(
                    at, "plan.bad_schedule", name=kind.value, value=expression, problem=error.text
                )
                continue
            schedules[kind] = expression
        return schedules

    def read_departments(self, root: Entries) -> tuple[list[Department], list[Person]]:
        departments: list[Department] = []
        people: list[Person] = []
        seen_departments, seen_people, seen_accounts = Seen(), Seen(), Seen()
        for item in self.items(root, "departments", "departments"):
            node = self.mapping(
                item, "departments[]", allowed=DEPARTMENT_FIELDS, required=("id", "name")
            )
            if node is None:
                continue
            ident = self.identifier_field(node, "id", "department.id")
            name = self.text(node, "name", "department.name", required=True)
            category = self.text(node, "category", "department.category")
            liaisons = self.people_refs(node, "liaison", "department.liaison")
            leaders = self.people_refs(node, "leader", "department.leader")
            if (
                ident is not None
                and self.unique(seen_departments, "department", ident, node.pairs["id"][1])
                and name is not None
            ):
                departments.append(Department(ident, name, liaisons, leaders, category))
            for person_node in self.items(node, "people", "people"):
                person = self.read_person(person_node, ident or "?", seen_people, seen_accounts)
                if person is not None:
                    people.append(person)
        return departments, people

    def read_person(self, item: Node, department: str, seen: Seen, accounts: Seen) -> Person | None:
        node = self.mapping(item, "people[]", allowed=PERSON_FIELDS, required=("id", "name"))
        if node is None or node.get("id") is None:
            return None
        ident = self.identifier_field(node, "id", "person.id")
        name = self.text(node, "name", "person.name", required=True)
        job = self.text(node, "position", "person.position")
        email = self.text(node, "email", "person.email")
        if email is not None and not is_email(email):
            self.error(
                node.value_position("email"),
                "plan.bad_email",
                value=email,
                full_width=full_width_in(email),
            )
            email = None
        telegram = self.telegram_user(node)
        if telegram is not None and not self.unique(
            accounts, "account", str(telegram), node.pairs["telegram"][1]
        ):
            telegram = None  # one Telegram account speaks for one person
        apps = []
        for channel in APP_CHANNELS:
            app_user = self.app_user(node, channel)
            if app_user is not None and self.unique(
                accounts, "app_account", f"{channel}:{app_user}", node.pairs[channel][1]
            ):
                apps.append((channel, app_user))
        channels = self.channel_order(node, "people[].channels")
        if ident is None or not self.unique(seen, "person", ident, node.pairs["id"][1]):
            return None
        if name is None:
            return None
        return Person(ident, name, department, job, email, telegram, tuple(apps), channels)

    def read_coordinators(self, root: Entries) -> tuple[str, ...]:
        coordinators: list[str] = []
        for item in self.items(root, "coordinators", "coordinators"):
            ident = self.identifier(item, "coordinators[]")
            if ident is None:
                continue
            if ident in coordinators:
                self.error(
                    position(item), "plan.duplicate_in_list", value=ident, field="coordinators"
                )
                continue
            self.refer("person", ident, item)
            coordinators.append(ident)
        return tuple(coordinators)

    def read_broadcast(self, root: Entries) -> Broadcast:
        value = root.get("broadcast")
        if value is None:
            return Broadcast()
        node = self.mapping(value, "broadcast", allowed=BROADCAST_FIELDS)
        if node is None:
            return Broadcast()
        chats = [
            chat
            for item in self.items(node, "telegram_chats", "broadcast.telegram_chats")
            if (chat := self.telegram_chat(item)) is not None
        ]
        emails = [
            email
            for item in self.items(node, "emails", "broadcast.emails")
            if (email := self.email(item)) is not None
        ]
        webhooks = [
            hook
            for item in self.items(node, "webhooks", "broadcast.webhooks")
            if (hook := self.read_webhook(item)) is not None
        ]
        return Broadcast(tuple(chats), tuple(emails), tuple(webhooks))

    def read_bulletin(self, root: Entries) -> BulletinSettings:
        value = root.get("bulletin")
        if value is None:
            return BulletinSettings()
        node = self.mapping(value, "bulletin", allowed=BULLETIN_FIELDS)
        if node is None:
            return BulletinSettings()
        return BulletinSettings(
            issuer=self.text(node, "issuer", "bulletin.issuer"),
            to=self.texts(node, "to", "bulletin.to"),
            cc=self.texts(node, "cc", "bulletin.cc"),
            requirements=self.texts(node, "requirements", "bulletin.requirements", lines=True),
        )

    def people_refs(self, node: Entries, key: str, where: str) -> tuple[str, ...]:
        """One person id or a list of them (a department's 联络员, its 分管领导)."""
        value = node.get(key)
        if value is None:
            return ()
        written = self.items(node, key, where) if kind_of(value) == "list" else [value]
        found: list[str] = []
        for item in written:
            ident = self.identifier(item, where)
            if ident is None:
                continue
            if ident in found:
                self.error(position(item), "plan.duplicate_in_list", value=ident, field=key)
                continue
            self.refer("person", ident, item)
            found.append(ident)
        return tuple(found)

    def read_escalation(self, root: Entries) -> tuple[EscalationRule, ...]:
        """The ladder's rungs, lowest first."""
        rules: list[EscalationRule] = []
        for item in self.items(root, "escalation", "escalation"):
            node = self.mapping(
                item, "escalation[]", allowed=ESCALATION_FIELDS, required=("light", "document")
            )
            if node is None:
                continue
            light = self.choice(node, "light", "escalation[].light", ("yellow", "red"))
            written = node.get("document")
            document = (
                self.named(written, "escalation[].document", DOCUMENT_NAMES)
                if written is not None
                else None
            )
            counts = {
                key: self.integer(node, key, f"escalation[].{key}", lo, hi)
                for key, (lo, hi) in ESCALATION_RANGES.items()
            }
            to: list[Role] = []
            for entry in self.items(node, "to", "escalation[].to"):
                role = self.named(entry, "escalation[].to", ROLE_NAMES)
                if role is not None and role not in to:
                    to.append(role)
            if light is None or document is None:
                continue
            rules.append(
                EscalationRule(
                    light=light,
                    consecutive=counts["consecutive"] or 1,
                    document=document,
                    to=tuple(to) or (Role.LIAISON,),
                    reply_workdays=counts["reply_workdays"] or EscalationRule.reply_workdays,
                )
            )
        return tuple(rules)

    def read_webhook(self, item: Node) -> Webhook | None:
        node = self.mapping(
            item, "webhooks[]", allowed=WEBHOOK_FIELDS, required=("kind", "url_env")
        )
        if node is None:
            return None
        kind = self.choice(node, "kind", "webhooks[].kind", [k.value for k in RobotKind])
        url_env = self.env_name(node, "url_env")
        secret_env = self.env_name(node, "secret_env")
        if kind is None or url_env is None:
            return None
        return Webhook(RobotKind(kind), url_env, secret_env)

    def read_campaigns(
        self, root: Entries, plan_start: date | None
    ) -> tuple[list[Campaign], list[Task]]:
        campaigns: list[Campaign] = []
        tasks: list[Task] = []
        seen_campaigns, seen_tasks = Seen(), Seen()
        for item in self.items(root, "campaigns", "campaigns"):
            node = self.mapping(
                item, "campaigns[]", allowed=CAMPAIGN_FIELDS, required=("id", "name")
            )
            if node is None:
                continue
            ident = self.identifier_field(node, "id", "campaign.id")
            name = self.text(node, "name", "campaign.name", required=True)
            description = self.text(node, "description", "campaign.description")
            if (
                ident is not None
                and self.unique(seen_campaigns, "campaign", ident, node.pairs["id"][1])
                and name is not None
            ):
                campaigns.append(Campaign(ident, name, description))
            for task_node in self.items(node, "tasks", "tasks"):
                task = self.read_task(task_node, ident or "?", plan_start, seen_tasks)
                if task is not None:
                    tasks.append(task)
        return campaigns, tasks

    def read_task(
        self, item: Node, campaign: str, plan_start: date | None, seen: Seen
    ) -> Task | None:
        node = self.mapping(
            item, "tasks[]", allowed=TASK_FIELDS, required=("id", "title", "lead", "due")
        )
        if node is None:
            return None
        ident = self.identifier_field(node, "id", "task.id")
        if ident is not None and not self.unique(seen, "task", ident, node.pairs["id"][1]):
            ident = None
        title = self.text(node, "title", "task.title", required=True)
        if title is not None:
            checks.title_width(self, title, node.pairs["title"][1])
        description = self.text(node, "description", "task.description")
        lead = self.identifier_field(node, "lead", "task.lead")
        if lead is not None:
            self.refer("department", lead, node.pairs["lead"][1])
        support = self.read_support(node, lead)
        start = self.day_field(node, "start", "task.start")
        if start is None and node.get("start") is None:
            start = plan_start
            if plan_start is None and not self.plan_start_written:
                self.error(position(node.node), "plan.missing_start", task=ident or "?")
        due = self.day_field(node, "due", "task.due")
        if start is not None and due is not None and due < start:
            self.error(node.value_position("due"), "plan.due_before_start", due=due, start=start)
            due = None
        indicators = self.read_indicators(node)
        weight = self.bounded(node, "weight", "task.weight", *WEIGHT_RANGE)
        milestones = self.read_milestones(node, start, due)
        if ident is None or title is None or lead is None or start is None or due is None:
            return None
        return Task(
            ident,
            campaign,
            title,
            lead,
            start,
            due,
            support,
            description,
            indicators,
            1.0 if weight is None else weight,
            milestones,
        )

    def read_milestones(
        self, node: Entries, start: date | None, due: date | None
    ) -> tuple[Milestone, ...]:
        """节点 in date order, each within the task's dates, the percent never going back."""
        milestones: list[Milestone] = []
        for item in self.items(node, "milestones", "task.milestones"):
            entries = self.mapping(
                item, "milestones[]", allowed=MILESTONE_FIELDS, required=MILESTONE_FIELDS
            )
            if entries is None:
                continue
            day = self.day_field(entries, "date", "milestones[].date")
            what = self.text(entries, "description", "milestones[].description", required=True)
            percent = self.integer(entries, "percent", "milestones[].percent", 1, 100)
            if day is None or what is None or percent is None:
                continue
            if start is not None and due is not None and not start <= day <= due:
                at = entries.value_position("date")
                self.error(at, "plan.milestone_outside", day=day, start=start, due=due)
                continue
            if milestones and (day <= milestones[-1].day or percent < milestones[-1].percent):
                at = position(item)
                self.error(at, "plan.milestone_order", day=day, before=milestones[-1].day)
                continue
            milestones.append(Milestone(day, what, percent))
        return tuple(milestones)

    def read_scoring(self, root: Entries) -> tuple[Scoring, DueSoon]:
        """The ``scoring`` section: a preset and the keys that change it."""
        value = root.get("scoring")
        if value is None:
            return Scoring(), DueSoon.YELLOW
        node = self.mapping(value, "scoring", SCORING_FIELDS)
        if node is None:
            return Scoring(), DueSoon.YELLOW
        preset = self.choice(node, "preset", "scoring.preset", PRESETS) or "default"
        changes: dict[str, object] = {}
        for key, (lo, hi) in SCORING_RANGES.items():
            number = self.bounded(node, key, f"scoring.{key}", lo, hi)
            if number is not None:
                changes[key] = number
        early = self.integer(node, "early_days", "scoring.early_days", 0, 366)
        if early is not None:
            changes["early_days"] = early
        for key, kind in (("method", Method), ("reporting", Reporting), ("period", ScoringPeriod)):
            written = self.choice(node, key, f"scoring.{key}", [c.value for c in kind])
            if written is not None:
                changes[key] = kind(written)
        for key in ("by_category", "excuse_accepted"):
            flag = self.flag(node, key, f"scoring.{key}")
            if flag is not None:
                changes[key] = flag
        points = self.read_points(node)
        if points:
            changes["points"] = points
        scoring = scoring_of(preset, **changes)
        checks.scoring(self, node, scoring)
        due_soon = self.choice(node, "due_soon", "scoring.due_soon", [d.value for d in DueSoon])
        return scoring, DueSoon(due_soon or DueSoon.YELLOW)

    def read_points(self, node: Entries) -> dict[str, float]:
        value = node.get("points")
        if value is None:
            return {}
        entries = self.mapping(value, "scoring.points", OUTCOMES)
        if entries is None:
            return {}
        points = {}
        for key in OUTCOMES:
            number = self.bounded(entries, key, f"scoring.points.{key}", *POINTS_RANGE)
            if number is not None:
                points[key] = number
        return points

    def read_support(self, node: Entries, lead: str | None) -> tuple[str, ...]:
        support: list[str] = []
        for item in self.items(node, "support", "task.support"):
            ident = self.identifier(item, "task.support[]")
            if ident is None:
                continue
            if ident == lead:
                self.error(position(item), "plan.lead_in_support", department=ident)
            elif ident in support:
                self.error(position(item), "plan.duplicate_in_list", value=ident, field="support")
            else:
                self.refer("department", ident, item)
                support.append(ident)
        return tuple(support)

    def read_indicators(self, node: Entries) -> tuple[Indicator, ...]:
        indicators: list[Indicator] = []
        seen = Seen()
        for item in self.items(node, "indicators", "task.indicators"):
            entries = self.mapping(
                item, "indicators[]", allowed=INDICATOR_FIELDS, required=("id", "name")
            )
            if entries is None or entries.get("id") is None:
                continue
            ident = self.identifier_field(entries, "id", "indicator.id")
            name = self.text(entries, "name", "indicator.name", required=True)
            unit = self.text(entries, "unit", "indicator.unit") or ""
            target = self.number(entries, "target", "indicator.target")
            direction = self.choice(
                entries, "direction", "indicator.direction", [d.value for d in Direction]
            )
            kind = self.choice(entries, "kind", "indicator.kind", [k.value for k in IndicatorKind])
            quarterly = self.read_quarterly(entries)
            if (
                ident is None
                or name is None
                or not self.unique(seen, "indicator", ident, entries.pairs["id"][1])
            ):
                continue
            indicators.append(
                Indicator(
                    ident,
                    name,
                    unit,
                    target,
                    Direction(direction or Direction.UP),
                    IndicatorKind(kind or IndicatorKind.AMOUNT),
                    quarterly,
                )
            )
        return tuple(indicators)

    def read_quarterly(self, entries: Entries) -> tuple[float | None, ...]:
        """Four targets, 一季度 to 四季度 (a quarter without one written as null)."""
        written = self.items(entries, "quarterly", "indicator.quarterly")
        if not written:
            return ()
        if len(written) != 4:
            at = entries.value_position("quarterly")
            self.error(at, "plan.quarterly_count", count=len(written))
            return ()
        targets: list[float | None] = []
        for item in written:
            kind = kind_of(item)
            if kind == "null":
                targets.append(None)
                continue
            number = number_value(item) if kind in ("integer", "number") else None
            if number is None or not math.isfinite(number):
                self.wrong_type(item, "indicator.quarterly[]", "number")
                return ()
            targets.append(number)
        return tuple(targets)
