"""Signing in by link, sessions, CSRF, rate limits, security headers, and who sees what."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.conftest import COORDINATOR, LEADER, OWNER, Web, csrf_of


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
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")

    home = client.get("/")
    assert home.status_code == 200
    assert "王丽 · 督查科" in home.text
    assert "高新区（xx区）科技局 2022 年重点工作督查清单" in home.text

    again = web.client().post(path, data={"csrf": csrf_of(confirm.text)})
    assert again.status_code == 404  # single use
    assert "链接已失效" in again.text


def test_a_link_expires_after_15_minutes(web: Web) -> None:
    plan = web.runtime.store.active_plan()
    assert plan is not None
    web.runtime.access.send_login_link(plan, plan.people[OWNER], web.clock())
    web.dispatch()
    (path,) = web.links(OWNER)
    web.clock.now += timedelta(minutes=16)
    client = web.client()
    late = client.get(path)
    assert late.status_code == 404
    assert "链接已失效" in late.text
    assert client.get("/").status_code == 303  # still nobody


def test_a_stranger_gets_the_same_answer_and_nothing_is_sent(web: Web) -> None:
    client = web.client()
    form = client.get("/login")
    asked = client.post("/login", data={"csrf": csrf_of(form.text), "who": "路人甲"})
    assert asked.status_code == 200
    assert "登录链接已经发到您绑定的渠道" in asked.text  # the same words as for a real person
    assert not web.outbox.exists() or not any(web.outbox.iterdir())
    forged = client.get(asked.url.path.replace("/login", "/login/" + "A" * 43))
    assert forged.status_code == 404


def test_nothing_opens_without_signing_in(web: Web) -> None:
    client = web.client()
    for path in (
        "/",
        "/tasks",
        "/tasks.xlsx",
        "/tasks/zcq8-2",
        "/tasks/zcq8-2/evidence/" + "0" * 64,
        "/review",
        "/bulletins",
        "/bulletins/draft.docx",
        "/departments/gxk",
    ):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/login", path
        assert "高新" not in answer.text
    assert client.post("/review/1", data={"decision": "approve"}).status_code == 403
    assert client.post("/logout").status_code == 403


def test_every_answer_carries_the_security_headers(web: Web) -> None:
    client = web.sign_in(COORDINATOR)
    for path in ("/", "/tasks", "/login", "/static/web.css", "/tasks/nope", "/r/nope"):
        answer = client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp, path
        assert "http" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "no-referrer", path


def test_pages_load_nothing_from_outside(web: Web) -> None:
    client = web.sign_in(COORDINATOR)
    for path in ("/", "/tasks", "/tasks/zcq8-1", "/review", "/bulletins", "/departments/gxk"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script" not in page.text, path
        for link in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert link.startswith(("/", "#", "?")), (path, link)


def test_forms_without_the_csrf_token_are_refused(web: Web) -> None:
    client = web.sign_in(COORDINATOR)
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf": "x" * 32}).status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    home = client.get("/")
    assert client.post("/logout", data={"csrf": csrf_of(home.text)}).status_code == 303
    assert client.get("/").status_code == 303  # signed out for good
    # The login form wants the token of its own cookie.
    stranger = web.client()
    assert stranger.post("/login", data={"who": "王丽"}).status_code == 403
    assert web.links(COORDINATOR) == [web.links(COORDINATOR)[0]]  # only sign_in's


def test_login_requests_are_limited_per_address_and_per_person(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login").text)
    answers = [
        client.post("/login", data={"csrf": token, "who": OWNER}).status_code for _ in range(11)
    ]
    assert answers == [200] * 10 + [429]
    assert len(web.links(OWNER)) == 3  # at most three links to one person in 15 minutes
    web.clock.now += timedelta(minutes=16)
    assert client.post("/login", data={"csrf": token, "who": OWNER}).status_code == 200
    assert len(web.links(OWNER)) == 4


def test_roles_decide_what_a_page_shows(web: Web) -> None:
    owner = web.sign_in(OWNER)  # 高新科: leads zcq8-2, supports zcq8-1
    tasks = owner.get("/tasks").text
    assert "zcq8-2" in tasks
    assert "zcq8-1" in tasks
    plan = web.runtime.store.active_plan()
    assert plan is not None
    unrelated = next(t for t in plan.tasks if t.lead != "gxk" and "gxk" not in t.support)
    assert unrelated.id not in re.findall(r'href="/tasks/([^"]+)"', tasks)
    assert owner.get(f"/tasks/{unrelated.id}").status_code == 404
    assert owner.get("/tasks/zcq8-1").status_code == 200  # supported: may read its file
    assert owner.get("/departments/gxk").status_code == 200
    assert owner.get(f"/departments/{unrelated.lead}").status_code == 404
    assert owner.get("/review").status_code == 403
    assert owner.get("/bulletins/draft.html").status_code == 403
    assert "审核</a>" not in owner.get("/").text

    leader = web.sign_in(LEADER)
    assert leader.get(f"/tasks/{unrelated.id}").status_code == 200
    assert leader.get("/review").status_code == 403
    assert leader.get("/bulletins/draft.html").status_code == 200

    coordinator = web.sign_in(COORDINATOR)
    assert coordinator.get("/review").status_code == 200
    assert coordinator.get(f"/departments/{unrelated.lead}").status_code == 200
