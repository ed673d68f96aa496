"""The web view's routes: thin handlers that check who is asking, call one use case, and
answer with a page from ``templates/<locale>/web/``.

Every handler goes through :meth:`WebView._guard`: the session is read and the person's role
decided *before* anything else is read; every answer carries the security headers (a CSP
that allows nothing from outside, no framing, no sniffing, no referrer — the 填报 and login
links carry their code in the path). Forms carry a CSRF token derived from the session (or
the link) they belong to.
"""

from __future__ import annotations

import mimetypes
import re
from asyncio import to_thread
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from superbot.domain.model import State
from superbot.domain.periods import Period, month_of, parse_month, previous_month
from superbot.domain.progress import NOTE_LIMIT, Reading
from superbot.domain.review import RequestStatus
from superbot.render.environment import Templates
from superbot.render.messages import MessageRenderer
from superbot.render.pdf import ConversionFailed, NoConverter, convert, find_soffice
from superbot.server.inbound import Refused, announced_size
from superbot.service.access import Access, Viewer, csrf_token, new_code, same_token, viewer
from superbot.service.conversation import (
    EVIDENCE_TYPES,
    MAX_FILE_BYTES,
    Conversation,
    SentFile,
)
from superbot.service.dossier import Dossiers
from superbot.service.errors import ServiceError
from superbot.service.issuing import issue_bulletin, issued_copy
from superbot.service.outcomes import Confirmation
from superbot.service.overview import (
    SORTS,
    TaskFilter,
    department_page,
    overview,
    task_table,
)
from superbot.service.review import REASON_LIMIT, Review
from superbot.service.status import read_statuses
from superbot.service.store import ActivePlan, Store
from superbot.store.evidence import FileEvidence
from superbot.web.chart import trend_chart
from superbot.web.export import task_workbook

SESSION_COOKIE = "superbot_session"
FORM_COOKIE = "superbot_form"  # the login form's CSRF token, before there is a session
MAX_FILES = 10
MAX_BODY_BYTES = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024
FORM_BYTES = 64 * 1024  # a form without files
DOCUMENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
}
XLSX = DOCUMENT_TYPES["xlsx"]
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# A 通报 or dossier page shown as issued: its own inline styles, still nothing from outside.
DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}
FILTERS = ("campaign", "lead", "light")
MONTH = re.compile(r"\d{4}-\d{2}")

Handler = Callable[[Request, "Visit"], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class Visit:
    """One request's context: the plan, the viewer (None on public pages), today, now."""

    plan: ActivePlan
    viewer: Viewer | None
    now: datetime
    today: date
    csrf: str = ""
    cookies: dict[str, str] = field(default_factory=dict)


class WebView:
    def __init__(
        self,
        *,
        store: Store,
        access: Access,
        conversation: Conversation,
        review: Review,
        dossiers: Dossiers,
        renderer: MessageRenderer,
        templates: Templates,
        evidence: FileEvidence,
        clock: Callable[[], datetime],
        secure: bool,
        dispatch: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.store = store
        self.access = access
        self.conversation = conversation
        self.review = review
        self.dossiers = dossiers
        self.renderer = renderer
        self.templates = templates
        self.evidence = evidence
        self.clock = clock
        self.secure = secure  # cookies only over https
        self.dispatch = dispatch  # send what a page queued now, rather than at the next tick

    def routes(self) -> list[BaseRoute]:
        signed_in, public = self._guard(True), self._guard(False)
        return [
            Route("/", signed_in(self.overview)),
            Route("/login", public(self.login_form), methods=["GET"]),
            Route("/login", public(self.login_request), methods=["POST"]),
            Route("/login/{code}", public(self.login_confirm), methods=["GET"]),
            Route("/login/{code}", public(self.login_enter), methods=["POST"]),
            Route("/logout", signed_in(self.logout), methods=["POST"]),
            Route("/tasks", signed_in(self.tasks)),
            Route("/tasks.xlsx", signed_in(self.tasks_xlsx)),
            Route("/tasks/{task_id}", signed_in(self.task)),
            Route("/tasks/{task_id}/evidence/{sha256}", signed_in(self.evidence_file)),
            Route("/review", signed_in(self.review_queue), methods=["GET"]),
            Route("/review/{request_id:int}", signed_in(self.decide), methods=["POST"]),
            Route("/bulletins", signed_in(self.bulletins)),
            Route("/bulletins/{month}.{fmt}", signed_in(self.bulletin_file)),
            Route("/departments/{department_id}", signed_in(self.department)),
            Route("/r/{code}", public(self.report_form), methods=["GET"]),
            Route("/r/{code}", public(self.report_submit), methods=["POST"]),
            Route("/static/{name}", public(self.static)),
        ]

    # -- the guard: who asks, before anything is read ----------------------------------------

    def _guard(self, signed_in: bool) -> Callable[[Handler], Endpoint]:
        def wrap(handler: Handler) -> Endpoint:
            async def endpoint(request: Request) -> Response:
                try:
                    response = await self._visit(request, handler, signed_in)
                except Refused as refused:
                    response = self._refused(request, refused.status)
                finally:
                    form = getattr(request.state, "form", None)
                    if form is not None:
                        await form.close()  # uploads spooled to disk go now, kept or not
                for name, value in HEADERS.items():
                    response.headers.setdefault(name, value)
                response.headers.setdefault("Content-Security-Policy", CSP)
                return response

            return endpoint

        return wrap

    async def _visit(self, request: Request, handler: Handler, signed_in: bool) -> Response:
        now = self.clock()
        plan = self.store.active_plan()
        if plan is None:
            raise Refused(503, "no plan synced")
        token = request.cookies.get(SESSION_COOKIE)
        person_id = self.access.session(token, now)
        who = viewer(plan, person_id) if person_id is not None else None
        if signed_in and who is None:
            if request.method == "GET":
                return RedirectResponse("/login", 303)
            raise Refused(403, "not signed in")
        visit = Visit(plan, who, now, now.astimezone(plan.zone).date())
        if who is not None and token:
            visit.csrf = csrf_token(token)
        if signed_in and request.method == "POST":
            await self._check_csrf(request, visit.csrf)
        return await handler(request, visit)

    async def _check_csrf(self, request: Request, expected: str) -> None:
        form = await self._form(request)
        if not expected or not same_token(_field(form, "csrf"), expected):
            raise Refused(403, "CSRF token missing or wrong")

    async def _form(self, request: Request) -> Any:
        """The request's form, bounded: a plain form small, one with files at most ten of
        20 MB; a body that does not say its size is refused before it is read (so nothing
        is spooled to disk beyond what was announced and allowed)."""
        cached = getattr(request.state, "form", None)
        if cached is not None:
            return cached
        multipart = request.headers.get("content-type", "").startswith("multipart/")
        if request.headers.get("content-length") is None:  # browsers always say it
            raise Refused(411, "a form body without a length")
        announced_size(request, MAX_BODY_BYTES if multipart else FORM_BYTES)
        try:
            # One file over the limit is worded by the page (``_files``); a flood is not.
            form = await request.form(max_files=MAX_FILES + 1, max_fields=200)
        except HTTPException as error:  # a body that is not a form, or far too many parts
            raise Refused(400, str(error.detail)) from None
        request.state.form = form
        return form

    def _page(self, name: str, visit: Visit, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.render(
            f"web/{name}.html",
            me=visit.viewer,
            plan=visit.plan,
            today=visit.today,
            csrf=visit.csrf,
            zone=visit.plan.zone,
            **context,
        )
        return HTMLResponse(html + "\n", status_code=status)

    def _refused(self, request: Request, status: int) -> Response:
        """Nothing about what was asked for: only that it is not there for this visitor."""
        plan = self.store.active_plan()
        if plan is None:
            return Response(str(status), status_code=status, media_type="text/plain")
        now = self.clock()
        visit = Visit(plan, None, now, now.astimezone(plan.zone).date())
        return self._page("refused", visit, status=status, status_code=status)

    # -- signing in ----------------------------------------------------------------------------

    async def login_form(self, request: Request, visit: Visit) -> Response:
        token = request.cookies.get(FORM_COOKIE) or new_code()
        response = self._page("login", visit, form_token=token, sent=False, slow=False)
        self._set_cookie(response, FORM_COOKIE, token, max_age=3600)
        return response

    async def login_request(self, request: Request, visit: Visit) -> Response:
        form = await self._form(request)
        expected = request.cookies.get(FORM_COOKIE) or ""
        if not expected or not same_token(_field(form, "csrf"), expected):
            raise Refused(403, "CSRF token missing or wrong")
        address = request.client.host if request.client else "unknown"
        who = _field(form, "who") or ""
        allowed = self.access.request_login(visit.plan, who, address, visit.now)
        if allowed and self.dispatch is not None:
            await self.dispatch()
        return self._page(
            "login",
            visit,
            status=200 if allowed else 429,
            form_token=expected,
            sent=allowed,
            slow=not allowed,
        )

    async def login_confirm(self, request: Request, visit: Visit) -> Response:
        """A GET only shows a button: mail scanners that open links must not use them up."""
        code = request.path_params["code"]
        if not self.access.login_code_valid(code, visit.now):
            return self._page("link_gone", visit, status=404)
        visit.csrf = csrf_token(code)
        return self._page("enter", visit, code=code)

    async def login_enter(self, request: Request, visit: Visit) -> Response:
        code = request.path_params["code"]
        form = await self._form(request)
        if not same_token(_field(form, "csrf"), csrf_token(code)):
            raise Refused(403, "CSRF token missing or wrong")
        signed = self.access.sign_in(code, visit.now)
        if signed is None:
            return self._page("link_gone", visit, status=404)
        token, _ = signed
        response = RedirectResponse("/", 303)
        self._set_cookie(response, SESSION_COOKIE, token, max_age=12 * 3600)
        return response

    async def logout(self, request: Request, visit: Visit) -> Response:
        self.access.sign_out(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE, path="/", secure=self.secure, httponly=True)
        return response

    def _set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    # -- pages ---------------------------------------------------------------------------------

    async def overview(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        view = await to_thread(overview, self.store, visit.plan, me, visit.today)
        waiting = self.review.queue(visit.now) if me.reviews else []
        return self._page(
            "overview",
            visit,
            view=view,
            chart=trend_chart(view.trend),
            waiting=waiting,
        )

    async def tasks(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        wanted = self._filter(request, visit.plan)
        rows = await to_thread(task_table, self.store, visit.plan, me, visit.today, wanted)
        query = {k: v for k, v in request.query_params.items() if k in FILTERS}
        return self._page(
            "tasks",
            visit,
            rows=rows,
            wanted=wanted,
            query=query,
            sorts=SORTS,
            export="/tasks.xlsx" + (f"?{urlencode(query)}" if query else ""),
        )

    async def tasks_xlsx(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        wanted = self._filter(request, visit.plan)
        rows = await to_thread(task_table, self.store, visit.plan, me, visit.today, wanted)
        words = self.templates.module("web/_words.j2")
        content = task_workbook(rows, words, visit.today, self.templates.texts)
        name = f"{words.tasks_file}-{visit.today.isoformat()}.xlsx"  # type: ignore[attr-defined]
        return _download(content, name, XLSX)

    def _filter(self, request: Request, plan: ActivePlan) -> TaskFilter:
        params = request.query_params
        campaign = params.get("campaign") or None
        lead = params.get("lead") or None
        light = params.get("light") or None
        sort = params.get("sort") or "plan"
        return TaskFilter(
            campaign=campaign if campaign in plan.campaigns else None,
            lead=lead if lead in plan.departments else None,
            light=light if light in ("red", "yellow", "pending", "green", "done") else None,
            sort=sort if sort in SORTS else "plan",
            descending=params.get("order") == "desc",
        )

    async def task(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        task = visit.plan.task(request.path_params["task_id"])
        if task is None or not me.sees_task(task):
            raise Refused(404, "no such task for this viewer")
        dossier = await to_thread(self.dossiers.build, task.id, visit.now)
        return self._page("task", visit, view=dossier)

    async def evidence_file(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        task = visit.plan.task(request.path_params["task_id"])
        if task is None or not me.sees_task(task):
            raise Refused(404, "no such task for this viewer")
        sha256 = request.path_params["sha256"]
        report_ids = [r.id for r in self.store.task_reports(task.id) if r.id is not None]
        kept = self.conversation.memory.evidence(report_ids) if report_ids else {}
        found = next((e for files in kept.values() for e in files if e.sha256 == sha256), None)
        if found is None:
            raise Refused(404, "no such evidence with this task")
        mime = mimetypes.guess_type(found.filename)[0] or "application/octet-stream"
        return _download(self.evidence.read(found.sha256), found.filename, mime)

    async def review_queue(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        if not me.reviews:
            raise Refused(403, "only coordinators review")
        return self._page("review", visit, waiting=self.review.queue(visit.now), problem=None)

    async def decide(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        if not me.reviews:
            raise Refused(403, "only coordinators review")
        form = await self._form(request)
        request_id = int(request.path_params["request_id"])
        decision = _field(form, "decision")
        try:
            if decision == "approve":
                status, note = RequestStatus.APPROVED, _field(form, "note")
            elif decision == "reject":
                status = RequestStatus.REJECTED
                note = " ".join((_field(form, "reason") or "").split())
                if not note:
                    raise ServiceError("web.reason_required")
                if len(note) > REASON_LIMIT:
                    raise ServiceError(
                        "review.reason_too_long", limit=REASON_LIMIT, length=len(note)
                    )
            else:
                raise Refused(400, "no decision")
            self.review.decide_request(request_id, status, note, me.person.id, visit.now)
        except ServiceError as error:
            return self._page(
                "review",
                visit,
                status=409,
                waiting=self.review.queue(visit.now),
                problem=self.templates.texts(error.text),
            )
        if self.dispatch is not None:
            await self.dispatch()
        return RedirectResponse("/review?done=" + str(request_id), 303)

    async def bulletins(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        months = sorted(
            (k.removeprefix("bulletin:") for k in self.store.issued_keys("bulletin:")),
            reverse=True,
        )
        issues = [i for m in months if (i := self.store.bulletin_issue(m)) is not None]
        draft = self._draft_period(visit) if me.reads_all else None
        pdf = find_soffice() is not None
        return self._page("bulletins", visit, issues=issues, draft=draft, pdf=pdf)

    def _draft_period(self, visit: Visit) -> Period:
        """The next 通报 to issue: last month's while it is not out, else this month's."""
        last = previous_month(visit.today)
        return last if not issued_copy(self.store, last) else month_of(visit.today)

    async def bulletin_file(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        month, fmt = request.path_params["month"], request.path_params["fmt"]
        if fmt not in DOCUMENT_TYPES or (fmt == "pdf" and find_soffice() is None):
            raise Refused(404, "no such format")
        source = "docx" if fmt == "pdf" else fmt  # a PDF is the kept Word 公文, converted
        if month == "draft":
            if not me.reads_all:
                raise Refused(403, "drafts are for coordinators and leaders")
            period = self._draft_period(visit)
            draft = partial(issue_bulletin, record=False, formats=(source,))
            issued = await to_thread(
                draft, self.store, self.renderer, period, visit.today, visit.now
            )
            documents = issued.documents
        else:
            if not MONTH.fullmatch(month):
                raise Refused(404, "no such month")
            period = parse_month(month)
            documents = issued_copy(self.store, period)
            if source not in documents:
                raise Refused(404, "not issued")
        content = documents[source]
        if fmt == "pdf":
            try:
                content = await to_thread(convert, content, f"{period.key}.docx")
            except (NoConverter, ConversionFailed):
                raise Refused(500, "LibreOffice could not convert the bulletin") from None
        name = f"{self.renderer.bulletin_stem()}-{period.key}.{fmt}"
        if fmt == "html":  # read in the browser, as issued
            response = Response(content, media_type=DOCUMENT_TYPES[fmt])
            response.headers["Content-Security-Policy"] = DOCUMENT_CSP
            return response
        return _download(content, name, DOCUMENT_TYPES[fmt])

    async def department(self, request: Request, visit: Visit) -> Response:
        me = _signed(visit)
        department_id = request.path_params["department_id"]
        if not me.sees_department(department_id):
            raise Refused(404, "no such department for this viewer")
        page = await to_thread(department_page, self.store, visit.plan, department_id, visit.today)
        if page is None:
            raise Refused(404, "no such department")
        return self._page("department", visit, view=page)

    # -- 填报: the personal report page ----------------------------------------------------------

    async def report_form(self, request: Request, visit: Visit) -> Response:
        return self._report_page(request, visit, results=[], problems=[])

    def _report_page(
        self,
        request: Request,
        visit: Visit,
        *,
        results: list[Confirmation],
        problems: list[tuple[str, str]],
        status: int = 200,
    ) -> Response:
        code = request.path_params["code"]
        link = self.access.report_scope(code, visit.now)
        if link is None:
            return self._page("link_gone", visit, status=404)
        plan = visit.plan
        person = plan.people.get(link.person_id)
        if person is None:
            return self._page("link_gone", visit, status=404)
        who = viewer(plan, person.id)
        assert who is not None
        statuses = [
            s
            for s in read_statuses(self.store, plan, visit.today)
            if s.task.lead == who.department_id and s.light.value != "done"
        ]
        statuses.sort(key=lambda s: (s.light.severity, s.task.due))
        visit.csrf = csrf_token(code)
        return self._page(
            "report",
            visit,
            status=status,
            person=person,
            department=who.member.department,
            statuses=statuses,
            results=results,
            problems=problems,
            code=code,
            expires=link.expires_at.astimezone(plan.zone),
            form_id=new_code(),
            states=[s.value for s in State if s is not State.DONE],
        )

    async def report_submit(self, request: Request, visit: Visit) -> Response:
        code = request.path_params["code"]
        link = self.access.report_scope(code, visit.now)
        if link is None:
            return self._page("link_gone", visit, status=404)
        form = await self._form(request)
        if not same_token(_field(form, "csrf"), csrf_token(code)):
            raise Refused(403, "CSRF token missing or wrong")
        task_id = _field(form, "task") or ""
        task = visit.plan.task(task_id)
        if task is None:
            raise Refused(404, "no such task")
        problems: list[tuple[str, str]] = []
        results: list[Confirmation] = []
        try:
            reading = _reading(form, task.indicators)
            files = await _files(form)
            form_id = re.sub(r"[^A-Za-z0-9_-]", "", _field(form, "form_id") or "")[:64]
            results.append(
                self.conversation.submit(
                    link.person_id,
                    task.id,
                    reading,
                    files,
                    f"web:{form_id or new_code()}",
                    visit.now,
                )
            )
        except ServiceError as error:
            problems.append((task.id, self.templates.texts(error.text)))
        if results and self.dispatch is not None:
            await self.dispatch()
        return self._report_page(
            request, visit, results=results, problems=problems, status=422 if problems else 200
        )

    # -- static files --------------------------------------------------------------------------

    async def static(self, request: Request, visit: Visit) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise Refused(404, "no such file")
        content = resources.files("superbot.web").joinpath("static", name).read_bytes()
        response = Response(content, media_type=STATIC[name])
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


STATIC = {"web.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}


def _signed(visit: Visit) -> Viewer:
    assert visit.viewer is not None  # the guard let only signed-in visitors through
    return visit.viewer


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _reading(form: Any, indicators: Any) -> Reading:
    # A typed percent wins over a button: it is the more deliberate of the two.
    percent_text = (_field(form, "percent_typed") or _field(form, "percent") or "").strip()
    state_text = (_field(form, "state") or "").strip()
    percent: int | None = None
    state: State | None = None
    if percent_text == "done":
        percent, state = 100, State.DONE
    elif percent_text:
        if not percent_text.isdigit() or not 0 <= int(percent_text) <= 100:
            raise ServiceError("report.percent_range", value=percent_text)
        percent = int(percent_text)
    if state_text:
        try:
            state = State(state_text)
        except ValueError:
            raise ServiceError("web.bad_state") from None
    values: dict[str, float] = {}
    for indicator in indicators:
        typed = (_field(form, f"value-{indicator.id}") or "").strip()
        if not typed:
            continue
        try:
            number = float(typed)
        except ValueError:
            raise ServiceError("web.bad_value", name=indicator.name, value=typed) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ServiceError("web.bad_value", name=indicator.name, value=typed)
        values[indicator.id] = number
    note = (_field(form, "note") or "").strip() or None
    if note is not None and len(note) > NOTE_LIMIT:
        raise ServiceError("web.note_too_long", limit=NOTE_LIMIT, length=len(note))
    return Reading(percent=percent, state=state, values=values, note=note)


async def _files(form: Any) -> list[SentFile]:
    uploads = [f for f in form.getlist("evidence") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) > MAX_FILES:
        raise ServiceError("web.too_many_files", limit=MAX_FILES)
    files = []
    for upload in uploads:
        name = upload.filename or "file"
        suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if suffix not in EVIDENCE_TYPES:
            raise ServiceError("web.file_type", name=name)
        content = await upload.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise ServiceError("web.file_too_big", name=name, limit=MAX_FILE_BYTES // (1024 * 1024))
        if not content:
            continue
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.append(SentFile(name, content, mime))
    return files


def _download(content: bytes, filename: str, media_type: str) -> Response:
    """Always an attachment: a file someone uploaded is never shown as a page of ours."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
