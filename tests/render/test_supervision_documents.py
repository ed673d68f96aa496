"""What the supervision loop puts in front of people, in both languages: the 督办单 and 专函 as
Word documents and messages, a request with 同意 / 退回 for a coordinator, the decision for the
owner, 待审核 and 督办事项 and plan edits in the 通报, and 一事一档 in every format."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from tests.render.views import AS_OF, active, cases, shipped_plan

from superbot.channels.dingtalk import DingtalkChannel
from superbot.channels.feishu import FeishuChannel
from superbot.channels.wecom import WecomChannel
from superbot.domain.lights import Light
from superbot.domain.review import Request, RequestKind, RequestStatus
from superbot.render.environment import Templates, make_environment
from superbot.render.messages import CHANNELS, MessageRenderer
from superbot.render.telegram import TEXT_LIMIT, visible_length
from superbot.service import buttons
from superbot.service.dossier import Dossier, Event, EventKind
from superbot.service.escalation import EscalationView, view_of
from superbot.service.review import Decided
from superbot.service.store import Mention
from superbot.service.views import BulletinIssue

ZONE = ZoneInfo("Asia/Shanghai")
CJK = "\u4e00-\u9fff"


def renderer(locale: str = "zh-CN") -> MessageRenderer:
    return MessageRenderer(Templates(make_environment(), locale), {})


def documents() -> list[EscalationView]:
    view = cases()["supervised"].bulletin
    assert view.letterhead is not None
    return [
        view_of(active(shipped_plan()), e, view.letterhead.issuer, view.letterhead.issue)
        for e in view.escalations
    ]


def paragraphs(content: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs if p.text]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_notice_and_a_letter_as_word_documents(locale: str) -> None:
    notice, letter = documents()
    for view, name in zip((notice, letter), ("督办单", "专函"), strict=True):
        content = renderer(locale).escalation_document(view, "docx")
        assert isinstance(content, bytes)
        text = paragraphs(content)
        if locale == "zh-CN":
            assert text[:2] == [name, f"〔2022〕督办第 {view.document.number} 号"]
            assert any("请于2022年7月15日前" in t for t in text)
        else:
            assert text[1] == f"[2022] Supervision No. {view.document.number}"
        table = docx.Document(io.BytesIO(content)).tables[0]
        assert table.rows[1].cells[1].text.startswith(view.task.title)
    zh = paragraphs(renderer().escalation_document(letter, "docx"))  # type: ignore[arg-type]
    leaders = "、".join(p.name for p in letter.leaders)
    assert f"{leaders}同志：" in zh  # a 专函 is addressed to the 分管领导


LIMITS = {c.name: c.max_body_bytes for c in (WecomChannel, DingtalkChannel, FeishuChannel)}


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_message_that_carries_a_document(channel: str) -> None:
    notice = documents()[0]
    words = MessageRenderer(Templates(make_environment(), "zh-CN"), LIMITS)
    word = words.escalation_document(notice, "docx")
    assert isinstance(word, bytes)
    part, *document = words.escalation(notice, channel, {"docx": word})
    message = part.message
    assert message.subject.startswith(f"【督办单】〔2022〕督办第 {notice.document.number} 号")
    if channel == "telegram":
        assert visible_length(message.body) <= TEXT_LIMIT
        [part] = document  # the Word document is a row of its own
    if channel in ("telegram", "email", "file"):
        [attachment] = part.message.attachments
        assert attachment.content == word
        assert attachment.filename == f"督办单-2022-{notice.document.number}-{notice.task.id}.docx"


def waiting() -> list[object]:
    return list(cases()["supervised"].digest.waiting)


def test_a_request_for_review_has_approve_and_return_buttons() -> None:
    claim, extension = cases()["supervised"].digest.waiting
    claim = claim.__class__(**{**claim.__dict__, "request": _with_id(claim.request, 41)})
    [part] = renderer().review_request(claim, "telegram")
    [[approve, send_back]] = part.message.buttons
    assert (approve.label, send_back.label) == ("✅ 同意", "↩️ 退回")
    assert buttons.read_press(approve.data) == buttons.Press(
        buttons.DECISION, "", buttons.APPROVE, request_id=41
    )
    assert buttons.read_press(send_back.data).answer == buttons.RETURN  # type: ignore[union-attr]
    assert "佐证：验收报告 &lt;终稿&gt;.pdf（240 KB）" in part.message.body  # escaped for Telegram
    extension = extension.__class__(
        **{**extension.__dict__, "request": _with_id(extension.request, 42)}
    )
    [mail] = renderer().review_request(extension, "email")
    assert "申请事项：申请将截止日期由" in mail.message.body
    assert "原因：R&D <核心> & “引号” 土地审批未完成" in mail.message.body
    assert "superbot reject" in mail.message.body


def _with_id(request: Request, ident: int) -> Request:
    return Request(**{**request.__dict__, "id": ident})


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_owner_reads_why_it_was_returned(locale: str) -> None:
    case = cases()["supervised"]
    item = case.bulletin.red[0]
    owner = next(p for p in shipped_plan().people if p.department_id == item.lead.id)
    returned = Request(
        RequestKind.DONE,
        item.task.id,
        datetime.combine(AS_OF, time(10), ZONE),
        owner.id,
        report_id=9,
        status=RequestStatus.REJECTED,
        decision_note="请补充第三方验收报告",
        id=43,
    )
    decided = Decided(returned, item.task, item.lead, owner, None, item.status, (owner,))
    for channel in ("telegram", "email"):
        [part] = renderer(locale).review_decision(decided, channel)
        assert "请补充第三方验收报告" in part.message.body
    [part] = renderer().review_decision(decided, "telegram")
    assert "退回原因：<b>请补充第三方验收报告</b>" in part.message.body


def test_the_supervised_bulletin_says_pending_escalations_and_edits_in_every_format() -> None:
    view = cases()["supervised"].bulletin
    assert view.pending
    assert view.counts.pending == len(view.pending)
    zh = renderer()
    markdown = zh.bulletin_document(view, "md")
    assert isinstance(markdown, str)
    assert f"另有 {len(view.pending)} 项已申请办结，正由督查科审核" in markdown
    assert "## 六、督办事项" in markdown
    assert "## 七、任务清单调整" in markdown
    assert "（任务清单修改，未经延期审批）" in markdown
    word = paragraphs(zh.bulletin_document(view, "docx"))  # type: ignore[arg-type]
    assert "六、督办事项" in word
    assert "七、任务清单调整" in word
    assert any("申请办结待审核" in t for t in word)
    book = openpyxl.load_workbook(io.BytesIO(zh.bulletin_document(view, "xlsx")))  # type: ignore[arg-type]
    assert book.sheetnames[-3:] == ["待审核", "督办事项", "清单调整"]
    for name in ("待审核", "督办事项", "清单调整"):
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.print_title_rows == "$1:$1"
    assert book["督办事项"]["F2"].value == "●红灯"


def dossier() -> Dossier:
    case = cases()["supervised"]
    status = case.bulletin.statuses[0]
    issue = BulletinIssue("2022-06", 2022, 6, date(2022, 7, 1))
    escalation = case.bulletin.escalations[0].document
    report = case.bulletin.items[0].latest
    events = [
        Event(
            datetime(2022, 7, 1, 9, tzinfo=ZONE),
            EventKind.BULLETIN,
            timed=False,
            mention=Mention(issue.period, 2022, 6, issue.issued_on, Light.RED, 30),
        ),
        Event(datetime(2022, 7, 1, 9, tzinfo=ZONE), EventKind.ESCALATED, timed=False,
              escalation=escalation, answered=False),
    ]  # fmt: skip
    if report is not None:
        events.insert(0, Event(report.at.astimezone(ZONE), EventKind.REPORTED, report=report))
    return Dossier(
        task=status.task,
        campaign=status.campaign,
        lead=status.lead,
        support=status.support,
        status=status,
        events=tuple(events),
        plan_name=shipped_plan().settings.name,
        issuer="高新区（xx区）科技局督查科",
        made_at=datetime(2022, 8, 1, 9, tzinfo=ZONE),
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_dossier_in_every_format(locale: str) -> None:
    view = dossier()
    words = renderer(locale)
    markdown = words.dossier_document(view, "md")
    page = words.dossier_document(view, "html")
    word = words.dossier_document(view, "docx")
    assert isinstance(markdown, str)
    assert isinstance(page, str)
    assert isinstance(word, bytes)
    rows = docx.Document(io.BytesIO(word)).tables[1].rows
    assert len(rows) == 1 + len(view.events)
    if locale == "zh-CN":
        assert "| 通报 | 第 6 期督查通报（2022-06）：●红灯，进度 30% |" in markdown
        assert "〔2022〕督办第 7 号 督办单" in markdown
        assert words.dossier_filename(view, "docx") == f"一事一档-{view.task.id}.docx"
    else:
        assert "bulletin no. 6 (2022-06): ● Red, 30% done" in markdown
        assert "<script>" not in page


def test_what_people_typed_is_escaped_in_every_page_and_message() -> None:
    """A task called "R&D <核心>": text in Telegram's HTML and in the pages, never markup."""
    notice = documents()[0]
    tricky = dataclasses.replace(
        notice, task=dataclasses.replace(notice.task, title="R&D <核心> & “引号”")
    )
    for locale in ("zh-CN", "en"):
        words = renderer(locale)
        page = words.escalation_document(tricky, "html")
        telegram, _ = words.escalation(tricky, "telegram", {})
        [mail] = words.escalation(tricky, "email", {})
        for html in (page, telegram.message.body, mail.message.html):
            assert isinstance(html, str)
            assert "<核心>" not in html
            assert "&lt;核心&gt;" in html
