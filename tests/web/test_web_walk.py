"""The security walk through the web view: every route the view registers, each method it
takes, with every value of its path parameters that reaches what the asker may not see,
tried without signing in, signed in as an owner of a department that only supports a task,
and as an owner of a department with no part in it. Pages and downloads (the xlsx and docx
read inside) are searched for any title, note or name the asker may not see, and no report
or request may change that the asker had no right to (the yardstick is ``tests/walk.py``).
The routes come from the view itself: a route or a path parameter added later is walked, or
fails here until the walk knows what to put in it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from starlette.routing import Route
from starlette.testclient import TestClient
from tests.bot.conftest import NOW
from tests.walk import (
    Asker,
    Records,
    assert_nothing_changed,
    assert_nothing_leaked,
    seed,
    targets_for,
)
from tests.web.conftest import OTHER, OWNER, Web, csrf_of

from superbot.service.store import ActivePlan

PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
FORM = {"decision": "approve", "reason": "同意", "note": "已完成", "percent": "100"}


def parameter_values(
    plan: ActivePlan, asker: Asker, request_ids: list[int]
) -> dict[str, list[str]]:
    return {
        "task_id": targets_for(plan, asker),
        "sha256": ["0" * 64],
        "request_id": [str(r) for r in request_ids],
        "month": ["draft", "2022-05"],
        "fmt": ["docx", "xlsx"],
        "department_id": [d for d in plan.departments if d != asker.department],
        "code": ["A" * 43],
        "name": ["web.css"],
    }


def paths(route: Route, values: dict[str, list[str]]) -> Iterator[str]:
    """Every filling of the route's path parameters (the first value for all but one)."""
    names = PARAMETER.findall(route.path)
    for name in names:
        assert name in values, f"the walk has no values for {{{name}}} in {route.path}"
    if not names:
        yield route.path
        return
    for varied in names:
        for value in values[varied]:
            chosen = {n: (value if n == varied else values[n][0]) for n in names}
            yield PARAMETER.sub(lambda m, c=chosen: c[m.group(1)], route.path)


def readable(content: bytes, content_type: str) -> str:
    """What a person reads in the answer: the page, or the text inside an xlsx or docx."""
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as document:
            return "\n".join(
                document.read(n).decode("utf-8", "replace")
                for n in document.namelist()
                if n.endswith(".xml")
            )
    return content.decode("utf-8", "replace") if "text" in content_type else ""


def walk(web: Web, client: TestClient, asker: Asker, request_ids: list[int]) -> str:
    plan = web.runtime.store.active_plan()
    assert plan is not None
    values = parameter_values(plan, asker, request_ids)
    home = client.get("/")
    csrf = csrf_of(home.text) if home.status_code == 200 else ""
    routes = [r for r in web.app.routes if isinstance(r, Route)]
    assert routes
    # Signing out last, so that the rest is walked signed in.
    routes.sort(key=lambda r: r.path == "/logout")
    read = []
    for route in routes:
        for path in paths(route, values):
            for method in sorted(route.methods or {"GET"}):
                if method == "HEAD":
                    continue
                answer = (
                    client.get(path)
                    if method == "GET"
                    else client.post(path, data={**FORM, "csrf": csrf})
                )
                assert answer.status_code < 500, (method, path, answer.text)
                read.append(readable(answer.content, answer.headers.get("content-type", "")))
    return "\n".join(read)


def walk_and_check(web: Web, client: TestClient, asker: Asker) -> None:
    store = web.runtime.store
    plan = store.active_plan()
    assert plan is not None
    request_ids = seed(store, plan, NOW)
    before = Records.of(store, plan)

    answered = walk(web, client, asker, request_ids)

    assert_nothing_leaked(plan, asker, answered)
    assert_nothing_changed(plan, asker, before, Records.of(store, plan))


def test_without_signing_in_nothing_is_seen_or_changed(web: Web) -> None:
    walk_and_check(web, web.client(), Asker(None))


def test_a_supporting_departments_owner_sees_and_changes_nothing_else(web: Web) -> None:
    """张建华 (高新科) supports zcq8-1, led by 区发改局."""
    walk_and_check(web, web.sign_in(OWNER), Asker("gxk"))


def test_another_departments_owner_sees_and_changes_nothing_of_it(web: Web) -> None:
    """李明辉 (区发改局) has no part in most of 高新科's tasks."""
    walk_and_check(web, web.sign_in(OTHER), Asker("fgj"))
