"""The web view in real Chromium (Playwright), served by superbot's own HTTP server.

A coordinator signs in from a link, filters the task table and approves a 办结 with its
evidence; an owner opens the personal link on a 375 px screen and records 60 % with a note;
a stranger and an expired link get nothing. With ``SUPERBOT_SCREENSHOTS=DIR`` the pages the
README shows are saved there (``make screenshots`` writes them to ``docs/``).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.bot.conftest import ZONE, free_port
from tests.browser import DESKTOP, PHONE, Browser, browser  # noqa: F401 (the fixture)
from tests.web.conftest import COORDINATOR, OWNER, Web, make_web

from superbot.server import HttpServer
from superbot.service.report import ReportRequest, record_report

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHOTS = os.environ.get("SUPERBOT_SCREENSHOTS")


@pytest.fixture
def live(tmp_path: Path, tasks_file: Path, seeded: Path) -> Iterator[Web]:
    """The web view on 127.0.0.1, in a thread of its own, as `superbot web` serves it."""
    port = free_port()
    web = make_web(tmp_path, tasks_file, seeded, base=f"http://127.0.0.1:{port}")
    server = HttpServer(f"127.0.0.1:{port}", web.app.routes)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()

    async def serve() -> None:
        await server.start()
        started.set()
        await server.run(stop)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield web
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
        web.runtime.store.engine.dispose()


def months_of_progress(web: Web) -> None:
    """Reports from February to June, some behind: an office a few months into its plan
    (what the 总览 screenshot shows). zcq8-2 is left to the test."""
    plan = web.runtime.store.active_plan()
    assert plan is not None
    for n, task in enumerate(plan.tasks):
        if task.id == "zcq8-2":
            continue
        for month in range(2, 7):
            at = datetime(2022, month, 15, 10, 0, tzinfo=ZONE)
            if at.date() < task.start or at.date() > task.due:
                continue
            span = (task.due - task.start).days or 1
            expected = 100 * (at.date() - task.start).days / span
            percent = max(0, min(95, round(expected) - (n % 5) * 9))
            record_report(
                web.runtime.store,
                ReportRequest(task.id, percent=percent, at=at, by=plan.liaisons(task.lead)[0].id),
                now=web.clock(),
            )


def shot(page: object, name: str, *, full: bool = True) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=full)  # type: ignore[attr-defined]


def test_an_owner_records_60_percent_on_a_phone(live: Web, browser: Browser) -> None:  # noqa: F811
    live.send_reminders()
    (path,) = live.links(OWNER, kind="report")
    page = browser._chromium.new_page(viewport={"width": PHONE, "height": 800})
    page.goto(live.base + path)
    assert "进度填报" in page.title()
    assert Browser.scroll_width(page) <= PHONE  # nothing wider than the phone
    task = page.locator("#task-zcq8-2")
    task.get_by_text("60%", exact=True).click()
    task.locator("textarea[name=note]").fill("设备已招标，预计下月安装")
    task.scroll_into_view_if_needed()
    shot(page, "web-report-phone.png", full=False)
    task.get_by_role("button", name="提交").click()
    recorded = page.locator("#recorded")
    recorded.wait_for()
    assert "进度 60%" in recorded.inner_text()
    assert "设备已招标，预计下月安装" in recorded.inner_text()
    (report,) = [r for r in live.runtime.store.task_reports("zcq8-2") if r.source == "web"]
    assert (report.percent, report.person_id) == (60, OWNER)
    page.close()


def test_a_coordinator_signs_in_filters_and_approves_a_done_with_evidence(
    live: Web,
    browser: Browser,  # noqa: F811
) -> None:
    live.send_reminders()
    (path,) = live.links(OWNER, kind="report")
    owner = browser._chromium.new_page(viewport={"width": PHONE, "height": 800})
    owner.goto(live.base + path)
    form = owner.locator("#task-zcq8-2")
    form.get_by_text("已完成", exact=True).click()
    form.locator("textarea[name=note]").fill("已通过验收")
    form.locator("input[type=file]").set_input_files(
        {"name": "验收报告.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.get_by_role("button", name="提交").click()
    owner.locator("#recorded").wait_for()
    owner.close()

    months_of_progress(live)
    plan = live.runtime.store.active_plan()
    assert plan is not None
    live.runtime.access.send_login_link(plan, plan.people[COORDINATOR], live.clock())
    live.dispatch()
    (login,) = live.links(COORDINATOR)
    page = browser._chromium.new_page(viewport={"width": DESKTOP, "height": 900})
    page.goto(live.base + login)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live.base + "/")
    assert "王丽 · 督查科" in page.content()
    assert page.locator("svg.trend polyline").count() == 4
    shot(page, "web-overview.png")

    page.get_by_role("link", name="任务", exact=True).click()
    page.select_option("#lead", "gxk")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/tasks?*lead=gxk*")
    leads = page.locator("#tasks tr td:nth-child(5)").all_inner_texts()
    assert leads
    assert set(leads) == {"高新科（科技局高新技术科）"}

    page.get_by_role("link", name="审核", exact=True).click()
    item = page.locator(".review-item").first
    assert "规上工业研发投入攻坚" in item.inner_text()
    with page.expect_download() as download:
        item.get_by_role("link", name="验收报告.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF
    item.get_by_role("button", name="同意").click()
    page.wait_for_url("**/review?done=*")
    assert "没有等待审核的申请" in page.content()

    page.goto(live.base + "/tasks/zcq8-2")
    assert "同意办结" in page.content()
    shot(page, "web-task.png")
    page.close()


def test_a_stranger_and_an_expired_link_get_nothing(live: Web, browser: Browser) -> None:  # noqa: F811
    page = browser._chromium.new_page(viewport={"width": PHONE, "height": 800})
    page.goto(live.base + "/tasks")
    assert page.url.startswith(live.base + "/login")
    assert "规上工业" not in page.content()
    page.fill("#who", "路人甲")
    page.get_by_role("button", name="发送登录链接").click()
    assert "登录链接已经发到您绑定的渠道" in page.content()
    page.goto(live.base + "/")
    assert page.url.startswith(live.base + "/login")

    plan = live.runtime.store.active_plan()
    assert plan is not None
    live.runtime.access.send_login_link(plan, plan.people[OWNER], live.clock())
    live.dispatch()
    (login,) = live.links(OWNER)
    live.clock.now += timedelta(minutes=20)
    page.goto(live.base + login)
    assert "链接已失效" in page.content()
    assert page.get_by_role("button", name="登录").count() == 0
    page.goto(live.base + "/")
    assert page.url.startswith(live.base + "/login")
    page.close()


def test_every_page_fits_a_phone_and_a_desktop(live: Web, browser: Browser) -> None:  # noqa: F811
    plan = live.runtime.store.active_plan()
    assert plan is not None
    live.runtime.access.send_login_link(plan, plan.people[COORDINATOR], live.clock())
    live.dispatch()
    (login,) = live.links(COORDINATOR)
    context = browser._chromium.new_context(viewport={"width": PHONE, "height": 800})
    page = context.new_page()
    page.goto(live.base + login)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live.base + "/")
    paths = ["/", "/tasks", "/tasks/zcq8-1", "/review", "/bulletins", "/departments/gxk"]
    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            page.goto(live.base + path)
            assert Browser.scroll_width(page) <= width, (path, width)
    context.close()
