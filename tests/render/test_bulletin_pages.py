"""The 通报 as pages, in a real browser: no sideways scrolling on a phone or a desktop, and
every light said in words (the emoji are empty boxes on 统信UOS and 麒麟)."""

from __future__ import annotations

import re

import pytest
from tests.browser import DESKTOP, PHONE, Browser, browser  # noqa: F401  (the fixture)
from tests.render.views import cases

from superbot.render.environment import Templates, make_environment
from superbot.render.messages import MessageRenderer
from superbot.service.views import Bulletin

EMOJI_LIGHTS = re.compile("[\U0001f534\U0001f7e1\U0001f7e2\u2705]")
LABELS = {"red": "● 红灯", "yellow": "● 黄灯", "green": "● 绿灯", "done": "● 办结"}


def pages(view: Bulletin) -> dict[str, str]:
    renderer = MessageRenderer(Templates(make_environment(), "zh-CN"), {})
    [email] = renderer.bulletin(view, "email")
    document = renderer.bulletin_document(view, "html")
    assert isinstance(document, str)
    return {"document": document, "email": email.message.html or ""}


@pytest.mark.parametrize("plan", ["one", "shipped", "supervised"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_no_sideways_scrolling(browser: Browser, plan: str, width: int) -> None:  # noqa: F811
    for name, html in pages(cases()[plan].bulletin).items():
        page = browser.open_html(html, width)
        assert browser.scroll_width(page) <= width, (name, width)
        page.close()


def test_the_task_table_is_one_card_per_task_on_a_phone(browser: Browser) -> None:  # noqa: F811
    view = cases()["shipped"].bulletin
    html = pages(view)["document"]
    script = """() => Array.from(document.querySelectorAll('table.cards tr'))
        .slice(1).map(row => [getComputedStyle(row).display, row.getBoundingClientRect().width])"""
    phone = browser.open_html(html, PHONE)
    rows = phone.evaluate(script)
    assert len(rows) == len(view.statuses)
    assert all(display == "block" and width <= PHONE for display, width in rows)
    # A title is one line or a few, never broken every two characters as in a narrow column.
    titles = phone.evaluate(
        "() => Array.from(document.querySelectorAll('td.title')).map(td => td.clientWidth)"
    )
    assert min(titles) > PHONE / 2
    desktop = browser.open_html(html, DESKTOP)
    assert {display for display, _ in desktop.evaluate(script)} == {"table-row"}
    phone.close()
    desktop.close()


def test_every_light_label_is_text(browser: Browser) -> None:  # noqa: F811
    view = cases()["shipped"].bulletin
    for name, html in pages(view).items():
        page = browser.open_html(html, PHONE)
        text = page.evaluate("document.body.innerText")
        assert not EMOJI_LIGHTS.search(text), name
        # The count boxes, the task cards and the full table each say the light in words.
        shown = {light: text.count(label) for light, label in LABELS.items()}
        minimum = {"red": len(view.red), "yellow": len(view.yellow)}
        if name == "document":
            minimum = {s.light.value: 0 for s in view.statuses}
            for s in view.statuses:
                minimum[s.light.value] += 1
        for light, count in minimum.items():
            assert shown[light] >= count, (name, light)
        colours = page.evaluate(
            """() => Array.from(document.querySelectorAll('span'))
                .filter(s => s.textContent.trim() === '● 红灯')
                .map(s => getComputedStyle(s).color)"""
        )
        assert colours
        assert set(colours) == {"rgb(217, 48, 37)"}  # red, and the word says so too
        page.close()
