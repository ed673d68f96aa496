"""PlanSettings ⇄ JSON, for the ``setting`` table; whole plans ⇄ JSON, for ``plan_version``;
:class:`Text` ⇄ JSON, for the reasons kept with issued documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from superbot.domain.calendar import CalendarSpec, Holidays
from superbot.domain.model import (
    Broadcast,
    BulletinSettings,
    Campaign,
    Department,
    Direction,
    DocumentKind,
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
from superbot.domain.scoring import DueSoon, scoring_from_json, scoring_to_json
from superbot.domain.text import Text


def settings_to_json(settings: PlanSettings) -> dict[str, Any]:
    return {
        "name": settings.name,
        "timezone": settings.timezone,
        "locale": settings.locale,
        "start": settings.start.isoformat() if settings.start else None,
        "calendar": {
            "holidays": settings.calendar.holidays.value,
            "extra_holidays": sorted(d.isoformat() for d in settings.calendar.extra_holidays),
            "extra_workdays": sorted(d.isoformat() for d in settings.calendar.extra_workdays),
        },
        "rules": {
            "warn_workdays": settings.rules.warn_workdays,
            "yellow_lag": settings.rules.yellow_lag,
            "red_lag": settings.rules.red_lag,
            "stale_days": settings.rules.stale_days,
            "name_people_in_bulletin": settings.rules.name_people_in_bulletin,
            "review_done": settings.rules.review_done,
            "extended_counts_as": settings.rules.extended_counts_as.value,
            "due_soon": settings.rules.due_soon.value,
            "supervision_start": (
                settings.rules.supervision_start.isoformat()
                if settings.rules.supervision_start
                else None
            ),
            "indicator_yellow": settings.rules.indicator_yellow,
            "indicator_red": settings.rules.indicator_red,
        },
        "scoring": scoring_to_json(settings.scoring),
        "schedules": {kind.value: expr for kind, expr in settings.schedules.items()},
        "coordinators": list(settings.coordinators),
        "broadcast": {
            "telegram_chats": list(settings.broadcast.telegram_chats),
            "emails": list(settings.broadcast.emails),
            "webhooks": [
                {"kind": w.kind.value, "url_env": w.url_env, "secret_env": w.secret_env}
                for w in settings.broadcast.webhooks
            ],
        },
        "bulletin": {
            "issuer": settings.bulletin.issuer,
            "to": list(settings.bulletin.to),
            "cc": list(settings.bulletin.cc),
            "requirements": list(settings.bulletin.requirements),
        },
        "channels": list(settings.channels),
        "escalation": [
            {
                "light": rule.light,
                "consecutive": rule.consecutive,
                "document": rule.document.value,
                "to": [role.value for role in rule.to],
                "reply_workdays": rule.reply_workdays,
            }
            for rule in settings.escalation
        ],
    }


def settings_from_json(data: dict[str, Any]) -> PlanSettings:
    calendar = data["calendar"]
    broadcast = data["broadcast"]
    bulletin = data.get("bulletin") or {}  # absent in settings synced before it existed
    return PlanSettings(
        name=data["name"],
        timezone=data["timezone"],
        locale=data["locale"],
        start=date.fromisoformat(data["start"]) if data.get("start") else None,
        calendar=CalendarSpec(
            Holidays(calendar["holidays"]),
            frozenset(date.fromisoformat(d) for d in calendar["extra_holidays"]),
            frozenset(date.fromisoformat(d) for d in calendar["extra_workdays"]),
        ),
        rules=_rules(data["rules"]),
        schedules={ScheduleKind(k): v for k, v in data["schedules"].items()},
        coordinators=tuple(data["coordinators"]),
        broadcast=Broadcast(
            tuple(broadcast["telegram_chats"]),
            tuple(broadcast["emails"]),
            tuple(
                Webhook(RobotKind(w["kind"]), w["url_env"], w.get("secret_env"))
                for w in broadcast["webhooks"]
            ),
        ),
        bulletin=BulletinSettings(
            bulletin.get("issuer"),
            tuple(bulletin.get("to", ())),
            tuple(bulletin.get("cc", ())),
            tuple(bulletin.get("requirements", ())),
        ),
        channels=tuple(data.get("channels") or PlanSettings.channels),
        escalation=tuple(
            EscalationRule(
                light=rule["light"],
                consecutive=rule["consecutive"],
                document=DocumentKind(rule["document"]),
                to=tuple(Role(r) for r in rule["to"]),
                reply_workdays=rule["reply_workdays"],
            )
            for rule in data.get("escalation", ())
        ),
        scoring=scoring_from_json(data.get("scoring")),
    )


def _rules(data: dict[str, Any]) -> Rules:
    values = dict(data)  # settings synced before a rule existed lack it: its default then
    if "extended_counts_as" in values:
        values["extended_counts_as"] = ExtendedCountsAs(values["extended_counts_as"])
    if "due_soon" in values:
        values["due_soon"] = DueSoon(values["due_soon"])
    if values.get("supervision_start"):
        values["supervision_start"] = date.fromisoformat(values["supervision_start"])
    return Rules(**values)


def milestones_to_json(milestones: tuple[Milestone, ...]) -> list[dict[str, Any]]:
    return [
        {"day": m.day.isoformat(), "description": m.description, "percent": m.percent}
        for m in milestones
    ]


def milestones_from_json(data: list[dict[str, Any]] | None) -> tuple[Milestone, ...]:
    return tuple(
        Milestone(date.fromisoformat(m["day"]), m["description"], m["percent"]) for m in data or ()
    )


def _indicator_to_json(i: Indicator) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "unit": i.unit,
        "target": i.target,
        "direction": i.direction.value,
        "kind": i.kind.value,
        "quarterly": list(i.quarterly),
    }


def _indicator_from_json(i: dict[str, Any]) -> Indicator:
    return Indicator(
        i["id"],
        i["name"],
        i["unit"],
        i["target"],
        Direction(i.get("direction", Direction.UP)),  # versions kept before these existed
        IndicatorKind(i.get("kind", IndicatorKind.AMOUNT)),
        tuple(i.get("quarterly", ())),
    )


# -- whole plans, as each sync left them --------------------------------------------------------


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "settings": settings_to_json(plan.settings),
        "departments": [
            {
                "id": d.id,
                "name": d.name,
                "liaisons": list(d.liaisons),
                "leaders": list(d.leaders),
                "category": d.category,
            }
            for d in plan.departments
        ],
        "people": [
            {
                "id": p.id,
                "name": p.name,
                "department_id": p.department_id,
                "position": p.position,
                "email": p.email,
                "telegram": p.telegram,
            }
            for p in plan.people
        ],
        "campaigns": [
            {"id": c.id, "name": c.name, "description": c.description} for c in plan.campaigns
        ],
        "tasks": [
            {
                "id": t.id,
                "campaign_id": t.campaign_id,
                "title": t.title,
                "lead": t.lead,
                "start": t.start.isoformat(),
                "due": t.due.isoformat(),
                "support": list(t.support),
                "description": t.description,
                "indicators": [_indicator_to_json(i) for i in t.indicators],
                "weight": t.weight,
                "milestones": milestones_to_json(t.milestones),
            }
            for t in plan.tasks
        ],
    }


def plan_from_json(data: dict[str, Any]) -> Plan:
    return Plan(
        settings=settings_from_json(data["settings"]),
        departments=tuple(
            Department(
                d["id"], d["name"], tuple(d["liaisons"]), tuple(d["leaders"]), d.get("category")
            )
            for d in data["departments"]
        ),
        people=tuple(
            Person(p["id"], p["name"], p["department_id"], p["position"], p["email"], p["telegram"])
            for p in data["people"]
        ),
        campaigns=tuple(Campaign(c["id"], c["name"], c["description"]) for c in data["campaigns"]),
        tasks=tuple(
            Task(
                id=t["id"],
                campaign_id=t["campaign_id"],
                title=t["title"],
                lead=t["lead"],
                start=date.fromisoformat(t["start"]),
                due=date.fromisoformat(t["due"]),
                support=tuple(t["support"]),
                description=t["description"],
                indicators=tuple(_indicator_from_json(i) for i in t["indicators"]),
                weight=t.get("weight", 1.0),
                milestones=milestones_from_json(t.get("milestones")),
            )
            for t in data["tasks"]
        ),
    )


# -- reasons kept with documents ----------------------------------------------------------------


def text_to_json(text: Text) -> dict[str, Any]:
    return {"key": text.key, "params": {k: _value_to_json(v) for k, v in text.params.items()}}


def text_from_json(data: dict[str, Any]) -> Text:
    return Text.of(data["key"], **{k: _value_from_json(v) for k, v in data["params"].items()})


def _value_to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Text):
        return {"text": text_to_json(value)}
    if isinstance(value, list | tuple):
        return [_value_to_json(v) for v in value]
    return value


def _value_from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"datetime"}:
        return datetime.fromisoformat(value["datetime"])
    if isinstance(value, dict) and set(value) == {"date"}:
        return date.fromisoformat(value["date"])
    if isinstance(value, dict) and set(value) == {"text"}:
        return text_from_json(value["text"])
    if isinstance(value, list):
        return tuple(_value_from_json(v) for v in value)
    return value
