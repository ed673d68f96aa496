"""PlanSettings ⇄ JSON, for the ``setting`` table."""

from __future__ import annotations

from datetime import date
from typing import Any

from superbot.domain.calendar import CalendarSpec, Holidays
from superbot.domain.model import (
    Broadcast,
    BulletinSettings,
    PlanSettings,
    RobotKind,
    Rules,
    ScheduleKind,
    Webhook,
)


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
        },
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
        rules=Rules(**data["rules"]),
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
    )
