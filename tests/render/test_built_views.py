"""The real builders' views (service.bulletin, digest, reminders) render on every channel."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from tests.render.checks import LIMITS, check, check_email_html, check_telegram
from tests.render.views import (
    DIGEST_DAY,
    MONTH,
    REMINDER_DAY,
    SHIPPED_TASKS,
    TRICKY,
    invented_reports,
    shipped_plan,
)

from superbot.domain.periods import month_of, week_before
from superbot.render.environment import Templates, make_environment
from superbot.render.messages import CHANNELS, MessageRenderer
from superbot.service.bulletin import build_bulletin, issue_of
from superbot.service.digest import build_digest
from superbot.service.outbox import Failure
from superbot.service.reminders import build_reminders
from superbot.service.status import load_plan
from superbot.service.sync import sync
from superbot.store.sql import SqlStore


@pytest.fixture
def store(sqlite_store: SqlStore) -> SqlStore:
    plan = shipped_plan()
    sync(
        sqlite_store,
        plan,
        now=datetime(2022, 1, 1, tzinfo=UTC),
        source=str(SHIPPED_TASKS),
        sha256="test",
        dry_run=False,
    )
    for report in invented_reports(plan, DIGEST_DAY).values():
        sqlite_store.add_report(report)
    return sqlite_store


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_built_views_render_everywhere(store: SqlStore, locale: str) -> None:
    renderer = MessageRenderer(Templates(make_environment(), locale), LIMITS)
    issue = issue_of(store, MONTH, date(2022, 7, 1), datetime(2022, 7, 1, tzinfo=UTC), record=True)
    bulletin = build_bulletin(store, MONTH, issue)
    failure = Failure(
        "bulletin", "2022-05", "telegram", "123", "zhangjh", f"telegram: {TRICKY}", None
    )
    digest = build_digest(store, week_before(DIGEST_DAY), DIGEST_DAY, [failure])
    reminders = build_reminders(load_plan(store), store, month_of(REMINDER_DAY), REMINDER_DAY)
    assert bulletin.statuses
    assert reminders
    for channel in CHANNELS:
        parts = [
            *renderer.bulletin(bulletin, channel),
            *renderer.digest(digest, channel),
            *[p for view in reminders for p in renderer.reminder(view, channel)],
        ]
        for part in parts:
            check(part, channel)
    summary, document = renderer.bulletin(bulletin, "telegram")
    # The worst red task comes first; the renamed first task is red too, in the full page.
    assert bulletin.red[0].task.title[:30] in check_telegram(summary.message)
    assert (summary.message.attachments, document.message.body) == ((), "")
    [page] = document.message.attachments
    assert TRICKY in check_email_html(page.content.decode(), page=True)
    for fmt in ("docx", "html", "md", "xlsx"):
        assert renderer.bulletin_document(bulletin, fmt)
