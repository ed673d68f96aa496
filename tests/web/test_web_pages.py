"""The pages a signed-in person sees, the personal 填报 page, review and downloads."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from tests.bot.conftest import ZONE, seeded  # noqa: F401 (the session's seeded database)
from tests.office import office, pages  # noqa: F401 (the fixture)
from tests.web.conftest import COORDINATOR, OWNER, Web, csrf_of, make_web

from superbot.domain.model import ScheduleKind
from superbot.domain.periods import parse_month
from superbot.service.bulletin import build_bulletin
from superbot.service.delivery import round_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def report_link(web: Web, person: str = OWNER) -> str:
    web.send_reminders()
    links = web.links(person, kind="report")
    assert links, web.messages(person)
    return links[-1]


def form_of(page: str, task_id: str) -> dict[str, str]:
    """The hidden fields of one task's form, as the browser would send them."""
    form = page[page.index(f'id="task-{task_id}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_every_reminder_carries_the_persons_own_link(web: Web) -> None:
    web.send_reminders()
    (text,) = [m for m in web.messages(OWNER) if "进度报送提醒" in m]
    assert "在网页上填报" in text
    (owner_link,) = web.links(OWNER, kind="report")
    other_links = web.links("zhengxy", kind="report")  # 高新科's other 联络员
    assert other_links
    assert other_links[0] != owner_link


def test_an_owner_records_60_percent_with_a_note_from_the_link(web: Web) -> None:
    path = report_link(web)
    client = web.client()  # no session: the link is the key
    page = client.get(path)
    assert page.status_code == 200
    assert "张建华（高新科（科技局高新技术科）），您好" in page.text
    assert 'id="task-zcq8-2"' in page.text
    assert 'id="task-zcq8-1"' not in page.text
    fields = form_of(page.text, "zcq8-2")
    answer = client.post(path, data={**fields, "percent": "60", "note": "设备已招标"})
    assert answer.status_code == 200, answer.text
    assert "已记录：规上工业研发投入攻坚，进度 60%，说明“设备已招标”" in answer.text
    reports = web.runtime.store.task_reports("zcq8-2")
    (report,) = [r for r in reports if r.source == "web"]
    assert (report.percent, report.note, report.person_id) == (60, "设备已招标", OWNER)

    # The same form sent again (a double tap, a reload) updates the one report.
    again = client.post(path, data={**fields, "percent": "70", "note": "设备已招标"})
    assert again.status_code == 200
    web_reports = [r for r in web.runtime.store.task_reports("zcq8-2") if r.source == "web"]
    assert [r.percent for r in web_reports] == [70]


def test_the_link_cannot_report_on_tasks_the_department_does_not_lead(web: Web) -> None:
    path = report_link(web)
    client = web.client()
    fields = form_of(client.get(path).text, "zcq8-2")
    supported = client.post(path, data={**fields, "task": "zcq8-1", "percent": "90"})
    assert supported.status_code == 422
    assert "只能补充说明" in supported.text or "配合" in supported.text
    plan = web.runtime.store.active_plan()
    assert plan is not None
    foreign = next(t for t in plan.tasks if t.lead != "gxk" and "gxk" not in t.support)
    refused = client.post(path, data={**fields, "task": foreign.id, "percent": "90"})
    assert refused.status_code == 422
    assert not [r for r in web.runtime.store.task_reports(foreign.id) if r.source == "web"]
    assert not [r for r in web.runtime.store.task_reports("zcq8-1") if r.source == "web"]


def test_the_link_expires_with_the_round_and_a_forged_one_opens_nothing(web: Web) -> None:
    path = report_link(web)
    client = web.client()
    assert client.get(path[:-2] + "xx").status_code == 404
    web.clock.now = datetime(2022, 6, 30, 23, 59, tzinfo=ZONE)
    assert client.get(path).status_code == 200
    web.clock.now = datetime(2022, 7, 1, 0, 0, tzinfo=ZONE)
    late = client.get(path)
    assert late.status_code == 404
    assert "链接已失效" in late.text
    assert "规上工业" not in late.text


def test_bad_input_is_answered_in_chinese_and_nothing_is_recorded(web: Web) -> None:
    path = report_link(web)
    client = web.client()
    fields = form_of(client.get(path).text, "zcq8-2")
    empty = client.post(path, data=fields)
    assert empty.status_code == 422
    assert "没有填写任何内容" in empty.text
    script = client.post(
        path,
        data={**fields, "percent": "30"},
        files={"evidence": ("报告.html", b"<script>alert(1)</script>", "text/html")},
    )
    assert script.status_code == 422
    assert "“报告.html”这种文件不能作为佐证上传" in script.text
    big = client.post(
        path,
        data={**fields, "percent": "30"},
        files={"evidence": ("现场照片.jpg", b"\xff" * (20 * 1024 * 1024 + 1), "image/jpeg")},
    )
    assert big.status_code == 422
    assert "“现场照片.jpg”超过 20 MB" in big.text
    assert not [r for r in web.runtime.store.task_reports("zcq8-2") if r.source == "web"]
    without_token = client.post(path, data={**fields, "csrf": "", "percent": "30"})
    assert without_token.status_code == 403


def test_a_done_with_evidence_is_reviewed_and_approved_on_the_web(web: Web) -> None:
    path = report_link(web)
    owner = web.client()
    fields = form_of(owner.get(path).text, "zcq8-2")
    done = owner.post(
        path,
        data={**fields, "percent": "done", "note": "已通过验收"},
        files={"evidence": ("验收报告.pdf", PDF, "application/pdf")},
    )
    assert done.status_code == 200, done.text
    assert "已提交办结申请，等待督查科审核" in done.text
    assert "待审核" in done.text

    coordinator = web.sign_in(COORDINATOR)
    queue = coordinator.get("/review")
    assert "办结申请：" in queue.text
    assert "规上工业研发投入攻坚" in queue.text
    (download,) = re.findall(r'href="(/tasks/zcq8-2/evidence/[0-9a-f]{64})"', queue.text)
    file = coordinator.get(download)
    assert file.content == PDF
    assert file.headers["content-disposition"].startswith("attachment;")
    request_id = re.search(r'action="/review/(\d+)"', queue.text)
    assert request_id is not None
    approved = coordinator.post(
        f"/review/{request_id.group(1)}",
        data={"csrf": csrf_of(queue.text), "decision": "approve"},
    )
    assert approved.status_code == 303
    assert "没有等待审核的申请" in coordinator.get("/review").text
    dossier = coordinator.get("/tasks/zcq8-2").text
    assert "同意办结" in dossier
    assert "验收报告.pdf" in dossier
    assert any("审核结果" in m for m in web.messages(OWNER))  # told, as approve does


def test_returning_needs_a_reason_that_reaches_the_owner(web: Web) -> None:
    path = report_link(web)
    owner = web.client()
    fields = form_of(owner.get(path).text, "zcq8-2")
    owner.post(path, data={**fields, "percent": "done"})
    coordinator = web.sign_in(COORDINATOR)
    queue = coordinator.get("/review").text
    action = re.search(r'action="(/review/\d+)"', queue)
    assert action is not None
    bare = coordinator.post(
        action.group(1), data={"csrf": csrf_of(queue), "decision": "reject", "reason": " "}
    )
    assert bare.status_code == 409
    assert "退回要写明原因" in bare.text
    returned = coordinator.post(
        action.group(1),
        data={"csrf": csrf_of(queue), "decision": "reject", "reason": "请补充验收报告"},
    )
    assert returned.status_code == 303
    told = [m for m in web.messages(OWNER) if "退回原因" in m]
    assert told
    assert "请补充验收报告" in told[-1]


def test_the_task_table_filters_sorts_and_exports(web: Web) -> None:
    client = web.sign_in(COORDINATOR)
    page = client.get("/tasks", params={"lead": "gxk", "sort": "due", "order": "desc"}).text
    ids = re.findall(r'<td><a href="/tasks/([^"]+)">', page)
    plan = web.runtime.store.active_plan()
    assert plan is not None
    led = {t.id: t for t in plan.tasks if t.lead == "gxk"}
    assert sorted(ids) == sorted(led)
    dues = [led[i].due for i in ids]
    assert dues == sorted(dues, reverse=True)
    red = client.get("/tasks", params={"light": "red"}).text
    assert 'data-light="red"' in red
    assert 'data-light="green"' not in red

    workbook = client.get("/tasks.xlsx", params={"lead": "gxk"})
    assert workbook.headers["content-disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "任务", "专项", "牵头单位")
    assert sorted(str(r[0]) for r in rows[1:]) == sorted(led)


def test_the_overview_draws_the_trend_and_lists_what_falls_due(web: Web) -> None:
    client = web.sign_in(COORDINATOR)
    page = client.get("/").text
    assert page.count("<polyline") == 4  # red, yellow, green, done
    assert "1月</text>" in page
    assert "6月</text>" in page
    assert "7月</text>" not in page
    plan = web.runtime.store.active_plan()
    assert plan is not None
    soon = [t for t in plan.tasks if t.due == datetime(2022, 6, 30).date()]
    assert soon
    assert all(t.title in page for t in soon)
    assert "未来 14 天到期" in page


def test_bulletins_issued_and_the_draft(web: Web) -> None:
    web.clock.now = datetime(2022, 6, 1, 9, 0, tzinfo=ZONE)
    web.runtime.delivery.enqueue(round_for(ScheduleKind.BULLETIN, web.clock().date()), web.clock())
    web.clock.now = datetime(2022, 6, 22, 10, 0, tzinfo=ZONE)
    client = web.sign_in(COORDINATOR)
    page = client.get("/bulletins").text
    assert "2022年第 1 期" in page
    assert "2022-05" in page
    assert "2022年6月通报（草稿" in page
    kept = web.runtime.store.copies("bulletin:2022-05")
    assert client.get("/bulletins/2022-05.docx").content == kept["docx"]
    issued = client.get("/bulletins/2022-05.html")
    assert issued.content == kept["html"]
    assert "'unsafe-inline'" in issued.headers["content-security-policy"]
    assert client.get("/bulletins/draft.docx").status_code == 200
    assert client.get("/bulletins/2022-04.docx").status_code == 404

    owner = web.sign_in(OWNER)
    assert owner.get("/bulletins/2022-05.xlsx").content == kept["xlsx"]
    assert "草稿" not in owner.get("/bulletins").text

    # The department's line in that 通报: its lights as issued, its score and rank.
    issued = web.runtime.store.bulletin_issue("2022-05")
    assert issued is not None
    ranking = build_bulletin(web.runtime.store, parse_month("2022-05"), issued).ranking
    gxk = next(r for r in ranking if r.department.id == "gxk")
    history = owner.get("/departments/gxk").text
    row = history[history.index("2022年第 1 期（2022-05）") :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)
    assert cells[:2] == [f"{gxk.score.score:g}", f"第 {gxk.score.rank} 名 / {len(ranking)}"]


def test_a_department_page(web: Web) -> None:
    client = web.sign_in(OWNER)
    page = client.get("/departments/gxk").text
    assert "高新科（科技局高新技术科）" in page
    assert "张建华（联络员）" in page
    assert "林思远" in page
    assert "规上工业研发投入攻坚" in page
    assert "配合的任务" in page


def test_eleven_files_or_a_broken_body_are_refused(web: Web) -> None:
    path = report_link(web)
    client = web.client()
    fields = form_of(client.get(path).text, "zcq8-2")
    files = [("evidence", (f"照片{n}.jpg", b"\xff\xd8", "image/jpeg")) for n in range(11)]
    many = client.post(path, data={**fields, "note": "现场照片"}, files=files)
    assert many.status_code == 422
    assert "一次最多上传 10 个文件" in many.text
    broken = client.post(
        path,
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nno end",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert broken.status_code == 400
    assert broken.headers["x-frame-options"] == "DENY"
    assert not [r for r in web.runtime.store.task_reports("zcq8-2") if r.source == "web"]


def test_an_issued_bulletin_as_pdf(web: Web, office: None) -> None:  # noqa: F811
    web.clock.now = datetime(2022, 6, 1, 9, 0, tzinfo=ZONE)
    web.runtime.delivery.enqueue(round_for(ScheduleKind.BULLETIN, web.clock().date()), web.clock())
    web.clock.now = datetime(2022, 6, 22, 10, 0, tzinfo=ZONE)
    client = web.sign_in(OWNER)
    assert 'href="/bulletins/2022-05.pdf"' in client.get("/bulletins").text
    pdf = client.get("/bulletins/2022-05.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    first = pages(pdf.content)[0]
    assert "督查通报" in first


def test_the_pages_in_english(tmp_path: Path, tasks_file: Path, seeded: Path) -> None:  # noqa: F811
    web = make_web(tmp_path, tasks_file, seeded, locale="en")
    try:
        assert "Send me a link" in web.client().get("/login").text
        client = web.sign_in(COORDINATOR)
        headings = {
            "/": "By lead department",
            "/tasks": "Press a column's name to sort",
            "/tasks/zcq8-2": "Everything, in time order",
            "/review": "Nothing waits for review",
            "/bulletins": "Supervision bulletins",
            "/departments/gxk": "Tasks it leads",
        }
        for path, heading in headings.items():
            page = client.get(path)
            assert page.status_code == 200, path
            assert heading in page.text, path
            assert "总览" not in page.text, path  # the navigation is English too
        report = web.client().get(report_link(web)).text
        assert "Report progress" in report
        assert "Done so far" in report
    finally:
        web.runtime.store.engine.dispose()
