"""Signing in by link, sessions, CSRF, rate limits, security headers, and who sees what."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import COORDINATOR, LEADER, OTHER, OWNER, Web, csrf_of


def test_a_coordinator_asks_for_a_link_and_signs_in_once(web: Web) -> None:
    client = web.client()
    form = client.get("/login")
    assert form.status_code == 200
    asked = client.post("/login", data={"csrf": csrf_of(form.text), "who": "王丽"})
    assert asked.status_code == 200
    assert "登录链接已经发到您绑定的渠道" in asked.text

    (path,) = web.links(COORDINATOR)
    assert "只能使用一次" in web.messages(COORDINATOR)[0]
    confirm = client.get(path)  # a mail scanner opening the link uses nothing up
    assert client.get(path).status_code == 200
    entered = client.post(path, data={"csrf": csrf_of(confirm.text)})
    assert entered.status_code == 303
    cookie = entered.headers["set-cookie"]
    assert "superbot_session=" in cookie
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")

    home = client.get("/")
    assert home.status_code == 200
    assert "王丽 · 督查科" in home.text
    assert "高新区（xx区）科技局 2022 年重点工作督查清单" in home.text

    again = web.client().post(path, data={"csrf": csrf_of(confirm.text)})
    assert again.status_code == 404  # single use
    assert "链接已失效" in again.text
