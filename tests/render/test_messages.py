"""Every message renders for every channel, plan and locale, and stays within its limits."""

from __future__ import annotations

import dataclasses
import html
import io
import itertools
import re
from collections.abc import Iterator

import docx
import pytest
from tests.fakes.telegram_api import parse_html
from tests.render.checks import LIMITS, check, check_email_html, check_telegram
from tests.render.views import TRICKY, Case, cases, huge

from superbot.domain.scoring import DEFAULT_POINTS, Scoring, scoring_of
from superbot.render.environment import Templates, make_environment
from superbot.render.messages import CHANNELS, ROBOTS, MessageRenderer
from superbot.service.ports import Part, PlanNotice

LOCALES = ("zh-CN", "en")
KINDS = ("reminder", "bulletin", "digest", "plan_problems")
CJK = re.compile(r"[\u4e00-\u9fff]")


def renderer(locale: str = "zh-CN") -> MessageRenderer:
    return MessageRenderer(Templates(make_environment(), locale), LIMITS)


@pytest.fixture(scope="module", params=LOCALES)
def any_renderer(request: pytest.FixtureRequest) -> MessageRenderer:
    return renderer(request.param)


@pytest.fixture(scope="module")
def zh() -> MessageRenderer:
    return renderer("zh-CN")


@pytest.fixture(scope="module")
def en() -> MessageRenderer:
    return renderer("en")


def render_all(r: MessageRenderer, case: Case, kind: str, channel: str) -> list[Part]:
    if kind == "reminder":
        return [p for view in case.reminders for p in r.reminder(view, channel)]
    if kind == "bulletin":
        return r.bulletin(case.bulletin, channel)
    if kind == "digest":
        return r.digest(case.digest, channel)
    return [p for notice in case.notices for p in r.plan_problems(notice, channel)]


# -- every template, every plan --------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("plan", ["empty", "one", "shipped", "supervised"])
def test_every_message_renders_within_its_channel(
    any_renderer: MessageRenderer, plan: str, kind: str, channel: str
) -> None:
    parts = render_all(any_renderer, cases()[plan], kind, channel)
    assert parts
    for part in parts:
        check(part, channel)


def test_unknown_channel_is_refused(zh: MessageRenderer) -> None:
    with pytest.raises(ValueError, match="sms"):
        zh.bulletin(cases()["one"].bulletin, "sms")


# -- reminders -----------------------------------------------------------------------------


def test_telegram_reminder_is_a_head_and_one_answerable_message_per_task(
    zh: MessageRenderer,
) -> None:
    view = max(cases()["shipped"].reminders, key=lambda v: len(v.tasks))
    parts = zh.reminder(view, "telegram")
    assert [p.key for p in parts] == ["head"] + [f"task:{s.task.id}" for s in view.tasks]
    assert [p.task_id for p in parts] == [None] + [s.task.id for s in view.tasks]

    head = check_telegram(parts[0].message)
    assert view.person.name in head
    assert f"{len(view.tasks)} 项" in head
    assert "6月30日" in head  # answer by the end of the month, said in prose
    for answer in ("60%", "完成", "受阻"):
        assert answer in head
    assert not parts[0].message.buttons

    for part, s in zip(parts[1:], view.tasks, strict=True):
        text = check_telegram(part.message)
        assert s.task.title in text
        assert s.task.id in text
        assert f"{s.assessment.percent}%" in text
        data = [[b.data for b in row] for row in part.message.buttons]
        task = s.task.id
        assert data == [
            [f"p:{task}:30", f"p:{task}:60", f"p:{task}:90"],
            [f"p:{task}:done", f"p:{task}:blocked", f"p:{task}:note"],
        ]
        labels = [b.label for row in part.message.buttons for b in row]
        assert labels[:3] == ["30%", "60%", "90%"]


def test_a_task_id_too_long_for_a_button_gets_no_buttons(zh: MessageRenderer) -> None:
    view = cases()["one"].reminders[0]
    s = view.tasks[0]
    long = dataclasses.replace(s, task=dataclasses.replace(s.task, id="x" * 60))
    [_, part] = zh.reminder(dataclasses.replace(view, tasks=(long,)), "telegram")
    assert part.message.buttons == ()
    assert part.task_id == "x" * 60  # a reply to the message still reports on it


def test_email_reminder_lists_every_task_in_text_and_html(zh: MessageRenderer) -> None:
    view = max(cases()["shipped"].reminders, key=lambda v: len(v.tasks))
    [part] = zh.reminder(view, "email")
    html_text = check_email_html(part.message.html or "")
    for s in view.tasks:
        assert s.task.title in part.message.body
        assert s.task.title in html_text
    assert part.message.subject.startswith("【进度报送提醒】2022年6月")


def test_reminder_with_nothing_open_says_so(zh: MessageRenderer) -> None:
    [view] = cases()["empty"].reminders
    [head] = zh.reminder(view, "telegram")
    assert "无需报送" in check_telegram(head.message)


# -- the 通报 ------------------------------------------------------------------------------


def test_telegram_bulletin_is_a_summary_and_the_full_page_as_a_document(
    zh: MessageRenderer,
) -> None:
    view = cases()["shipped"].bulletin
    part, sent_after = zh.bulletin(view, "telegram")  # two rows: a failed upload resends only it
    text = check_telegram(part.message)
    c = view.counts
    for needle in (f"红灯 {c.red} 项", f"黄灯 {c.yellow} 项", f"绿灯 {c.green} 项", "完成率"):
        assert needle in text
    assert view.ranking[0].department.name in text
    assert view.ranking[-1].department.name in text
    assert f"红灯事项 {len(view.red)} 项" in text
    assert f"等 {len(view.red)} 项" in text  # the first few, then how many in all
    assert view.silent[0].department.name in text

    assert (part.message.attachments, sent_after.message.body) == ((), "")
    [document] = sent_after.message.attachments
    assert (document.filename, document.mime) == ("督查通报-2022-06.html", "text/html")
    page = document.content.decode()
    seen = check_email_html(page, page=True)
    assert page.rstrip().endswith("</html>")
    for s in view.statuses:  # the full 通报 has every task
        assert s.task.title in seen


def test_email_bulletin_has_text_html_and_the_workbook(zh: MessageRenderer) -> None:
    view = cases()["shipped"].bulletin
    [part] = zh.bulletin(view, "email")
    message = part.message
    assert message.subject == "【督查通报】2022年6月 重点工作推进情况"
    document, workbook = message.attachments  # the 公文 beside the workbook
    assert (document.filename, document.mime) == (
        "督查通报-2022-06.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    assert docx.Document(io.BytesIO(document.content)).paragraphs[0].text == "督查通报"
    assert workbook.filename == "督查通报-2022-06.xlsx"
    assert workbook.content.startswith(b"PK")
    html = message.html or ""
    check_email_html(html)
    assert 'bgcolor="#d93025"' in html  # red in colour, in a way Outlook keeps
    for entry in view.ranking:
        assert entry.department.name in message.body
    for s in view.red:
        assert s.task.title in message.body
    # Gmail clips HTML parts past 102 KB.
    assert len(html.encode()) < 100_000


def test_file_channel_gets_what_email_gets(zh: MessageRenderer) -> None:
    view = cases()["shipped"].bulletin
    [email] = zh.bulletin(view, "email")
    [file] = zh.bulletin(view, "file")
    assert (file.message.body, file.message.html) == (email.message.body, email.message.html)
    assert [a.filename for a in file.message.attachments] == [
        "督查通报-2022-06.docx",
        "督查通报-2022-06.xlsx",
    ]


def test_footer_prints_the_ranking_formula_from_the_plan_scoring(
    zh: MessageRenderer,
) -> None:
    view = cases()["shipped"].bulletin
    default = Scoring()
    weights = (f"× {round(default.task_share * 100)}%", f"× {round(default.report_share * 100)}%")
    [email] = zh.bulletin(view, "email")
    telegram, _ = zh.bulletin(view, "telegram")
    for text in (
        email.message.body,
        check_email_html(email.message.html or ""),
        zh.bulletin_document(view, "md"),
        check_telegram(telegram.message),
    ):
        assert all(w in text for w in weights)
    footer = email.message.body.rsplit("排名计分办法", 1)[1]
    for name, key in [
        ("按期办结", "done_on_time"),
        ("绿灯", "green"),
        ("逾期办结", "done_late"),
        ("黄灯", "yellow"),
        ("红灯", "red"),
    ]:
        assert f"{name} {DEFAULT_POINTS[key]} 分" in footer
    assert "提前办结" not in footer  # worth what on time is: not a rule of its own
    assert "配合单位不计分" in footer

    # Other settings in the view come out as they are: nothing is retyped.
    changed = dataclasses.replace(
        view,
        scoring=scoring_of(
            "default",
            task_share=0.6,
            report_share=0.4,
            points={"yellow": 55, "done_early": 110},
            support_share=0.5,
        ),
    )
    [other] = zh.bulletin(changed, "email")
    assert "× 60%" in other.message.body
    assert "× 40%" in other.message.body
    assert "黄灯 55 分" in other.message.body
    assert "提前办结 110 分" in other.message.body
    assert "截止日期前 30 天以上办结" in other.message.body
    assert "配合单位按任务分值的 50% 计分" in other.message.body


def test_footer_words_a_card_scheme(zh: MessageRenderer) -> None:
    view = dataclasses.replace(cases()["shipped"].bulletin, scoring=scoring_of("cards"))
    [email] = zh.bulletin(view, "email")
    footer = email.message.body.rsplit("排名计分办法", 1)[1]
    assert (
        "单位排名得分 = 基础分 100 分，按牵头任务月末的灯色加减：黄灯每项扣 1 分、红灯每项扣 2 分"
        in footer
    )
    assert "未报送进度的任务按其灯色计分，不另扣分" in footer
    assert "报送率 ×" not in footer
    telegram, _ = zh.bulletin(view, "telegram")  # the summary, then its document
    assert "得分 = 100 分 − 黄灯 1 分/项 − 红灯 2 分/项" in check_telegram(telegram.message)


def test_bulletin_documents(zh: MessageRenderer) -> None:
    view = cases()["shipped"].bulletin
    page = zh.bulletin_document(view, "html")
    assert isinstance(page, str)
    check_email_html(page, page=True)
    markdown = zh.bulletin_document(view, "md")
    assert isinstance(markdown, str)
    assert markdown.startswith("# 督查通报（2022年6月）")
    assert markdown.count("\n| ") >= len(view.statuses)
    word = zh.bulletin_document(view, "docx")
    assert isinstance(word, bytes)
    assert word.startswith(b"PK")
    workbook = zh.bulletin_document(view, "xlsx")
    assert isinstance(workbook, bytes)
    assert workbook.startswith(b"PK")
    assert zh.bulletin_filename(view, "md") == "督查通报-2022-06.md"
    with pytest.raises(ValueError, match="pdf"):
        zh.bulletin_document(view, "pdf")


# -- user strings are shown as written, never as markup --------------------------------------


def tricky_parts(r: MessageRenderer, channel: str) -> Iterator[Part]:
    case = cases()["one"]
    yield from r.reminder(case.reminders[0], channel)
    yield from r.bulletin(case.bulletin, channel)
    yield from r.digest(case.digest, channel)


def test_user_strings_survive_telegram_html(zh: MessageRenderer) -> None:
    parts = list(tricky_parts(zh, "telegram"))
    texts = [check_telegram(p.message) for p in parts if p.message.body]
    assert all(TRICKY in text for text in texts)
    [document] = [a.content.decode() for p in parts for a in p.message.attachments]
    assert TRICKY in check_email_html(document, page=True)
    assert "R&amp;D &lt;核心&gt; &amp; “引号”" in document


@pytest.mark.parametrize("channel", ["email", "file"])
def test_user_strings_survive_email(zh: MessageRenderer, channel: str) -> None:
    for part in tricky_parts(zh, channel):
        assert TRICKY in part.message.body  # the text part is plain text
        html = part.message.html or ""
        assert "R&amp;D &lt;核心&gt; &amp; “引号”" in html
        assert TRICKY in check_email_html(html)


def test_notes_cannot_inject_markup(zh: MessageRenderer) -> None:
    # The invented reports include a note "<script>alert(1)</script>".
    [part] = zh.bulletin(cases()["shipped"].bulletin, "email")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (part.message.html or "")
    document = zh.bulletin_document(cases()["shipped"].bulletin, "html")
    assert "<script" not in document


@pytest.mark.parametrize(
    ("channel", "shown"),
    [
        ("wecom", "R&D ＜核心＞ & “引号”"),
        ("dingtalk", "R&amp;D &lt;核心&gt; &amp; “引号”"),
        ("feishu", "R&amp;D &lt;核心&gt; &amp; “引号”"),
    ],
)
def test_user_strings_survive_robot_markdown(zh: MessageRenderer, channel: str, shown: str) -> None:
    for part in tricky_parts(zh, channel):
        assert shown in part.message.body
        assert "<核心>" not in part.message.body
    markdown = zh.bulletin_document(cases()["one"].bulletin, "md")
    assert "R&amp;D &lt;核心&gt; &amp; “引号”" in str(markdown)


@pytest.mark.parametrize("channel", ROBOTS)
def test_the_group_robots_carry_the_scoring_rules_themselves(
    zh: MessageRenderer, channel: str
) -> None:
    # A group gets the robot's message and never the full 通报: the footer is the rules.
    [part] = zh.bulletin(cases()["shipped"].bulletin, channel)
    assert "见完整通报" not in part.message.body
    assert "计分办法：单位排名得分（满分 100）= 任务得分 × " in part.message.body
    assert "得分相同的并列同一名次。" in part.message.body


def test_dingtalk_lines_break_where_the_template_breaks_them(zh: MessageRenderer) -> None:
    [part] = zh.bulletin(cases()["shipped"].bulletin, "dingtalk")
    lines = part.message.body.split("\n")
    assert all(line.endswith("  ") for line, after in itertools.pairwise(lines) if line and after)


# -- a huge plan -----------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ROBOTS)
def test_robots_fit_their_limit_for_2000_tasks(zh: MessageRenderer, channel: str) -> None:
    case = huge()
    assert len(case.bulletin.statuses) == 2000
    everything = dataclasses.replace(
        case.reminders[0], tasks=tuple(s for s in case.statuses if s.light.value != "done")
    )
    refused, applied = case.notices
    long = [
        *zh.bulletin(case.bulletin, channel),
        *zh.digest(case.digest, channel),
        *zh.reminder(everything, channel),
        *zh.plan_problems(refused, channel),
    ]
    for part in [*long, *zh.plan_problems(applied, channel)]:
        assert len(part.message.body.encode()) <= LIMITS[channel]
    for part in long:
        assert "……" in part.message.body  # lists were trimmed, and say so
    assert "红灯事项" in long[0].message.body


def test_telegram_stays_within_4096_for_2000_tasks(zh: MessageRenderer) -> None:
    case = huge()
    summary, document = zh.bulletin(case.bulletin, "telegram")
    text = check_telegram(summary.message)
    assert f"等 {len(case.bulletin.red)} 项" in text
    assert len(document.message.attachments) == 1

    digest = zh.digest(case.digest, "telegram")
    assert [p.key for p in digest] == [str(n) for n in range(1, len(digest) + 1)]
    assert len(digest) > 1
    seen = "\n".join(check_telegram(p.message) for p in digest)
    for line in case.digest.failed:
        assert (line.recipient_name or line.recipient) in seen

    refused = next(n for n in case.notices if not n.applied)
    pieces = zh.plan_problems(refused, "telegram")
    assert len(pieces) > 1
    seen = "\n".join(check_telegram(p.message) for p in pieces)
    assert refused.lines[-1].partition(": ")[2] in seen


# -- digests and plan notices ---------------------------------------------------------------


def test_digest_names_silent_people_and_failed_deliveries(zh: MessageRenderer) -> None:
    view = cases()["shipped"].digest
    [part] = zh.digest(view, "telegram")
    text = check_telegram(part.message)
    for silence in view.silent:
        assert silence.department.name in text
        assert all(person.name in text for person in silence.people)
    for failed in view.failed:
        assert (failed.recipient_name or failed.recipient) in text
        assert failed.error in text
    assert f"本周收到进度报送 {len(view.reports)} 条" in text
    assert "未来两周到期" in text
    [email] = zh.digest(view, "email")
    assert "telegram: Forbidden: bot was blocked by the user" in email.message.body


def test_refused_plan_lists_every_problem_with_its_position(zh: MessageRenderer) -> None:
    notice = PlanNotice(
        "tasks.yaml",
        ("tasks.yaml:12:7: 没有编号为 gxx 的单位，是不是想写 gxk？", "tasks.yaml:30:3: a < b & c"),
        applied=False,
    )
    [part] = zh.plan_problems(notice, "telegram")
    parsed = parse_html(part.message.body)
    assert parsed.text.startswith("⚠️ 任务清单有 2 处错误，未生效")
    assert "仍按原清单运行" in parsed.text
    assert "a < b & c" in parsed.text
    codes = [parsed.text[e["offset"] : e["offset"] + e["length"]] for e in parsed.entities]
    assert "tasks.yaml:12:7" in codes
    assert "tasks.yaml:30:3" in codes
    [email] = zh.plan_problems(notice, "email")
    assert "tasks.yaml:30:3: a < b & c" in email.message.body
    assert "a &lt; b &amp; c" in (email.message.html or "")


def test_applied_plan_shows_the_changes(zh: MessageRenderer) -> None:
    notice = PlanNotice("tasks.yaml", ("+ zcq8-9 新任务", "- pt-1 <旧任务>"), applied=True)
    [part] = zh.plan_problems(notice, "telegram")
    text = check_telegram(part.message)
    assert text.startswith("✅ 任务清单已更新")
    assert "- pt-1 <旧任务>" in text


# -- the English locale ------------------------------------------------------------------------


def test_english_has_its_own_words(en: MessageRenderer) -> None:
    case = cases()["shipped"]
    view = case.bulletin
    # The plan's own words (names, the 下步工作要求 tasks.yaml sets) stay as written.
    assert view.letterhead is not None
    letterhead = dataclasses.replace(view.letterhead, requirements=("Report by the 10th.",))
    [bulletin] = en.bulletin(dataclasses.replace(view, letterhead=letterhead), "email")
    assert bulletin.message.subject == "[Bulletin] June 2022: progress of key tasks"
    assert [a.filename for a in bulletin.message.attachments] == [
        "bulletin-2022-06.docx",
        "bulletin-2022-06.xlsx",
    ]
    telegram, _ = en.bulletin(case.bulletin, "telegram")
    text = check_telegram(telegram.message)
    assert "Ranking" in text
    assert "completion" in text
    head, task, *_ = en.reminder(case.reminders[0], "telegram")
    assert "Reply" in check_telegram(head.message)
    assert [b.label for b in task.message.buttons[1]] == ["✅ Done", "⛔ Blocked", "📝 Note"]
    # Names come from the plan, in Chinese; every word from the templates is English.
    assert not CJK.search(bulletin.message.subject)
    for chinese in ("督查通报", "红灯", "黄灯", "单位排名", "时序进度", "本月办结"):
        assert chinese not in text
        assert chinese not in bulletin.message.body


HOSTILE = "李四</b><a href='x'>{{ & <script>"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_hostile_names_are_text_in_every_reminder_and_digest(locale: str) -> None:
    """A person or department named like markup is shown as written, on every channel."""
    case = cases()["one"]
    view = case.reminders[0]
    view = dataclasses.replace(
        view,
        person=dataclasses.replace(view.person, name=HOSTILE),
        department=dataclasses.replace(view.department, name=HOSTILE),
    )
    words = renderer(locale)
    for channel in CHANNELS:
        shown = []
        for part in words.reminder(view, channel):
            message = part.message
            if channel == "telegram":
                shown.append(check_telegram(message))  # parses: only Telegram's own tags
                assert "<a href='x'>" not in message.body
            elif message.html is not None:
                shown.append(check_email_html(message.html))
                assert "<script>" not in message.html
            else:  # markdown robots: brackets become full-width or entities, never markup
                shown.append(html.unescape(message.body).replace("＜", "<").replace("＞", ">"))
                if channel in ROBOTS:  # markdown; the file and the apps' texts are plain text
                    assert "<a href='x'>" not in message.body
        assert any(HOSTILE in text for text in shown), (channel, shown)


# -- the web view ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", [c for c in CHANNELS if c not in ROBOTS])
def test_a_personal_reminder_carries_the_report_link_on_every_channel(
    any_renderer: MessageRenderer, channel: str
) -> None:
    view = next(v for v in cases()["shipped"].reminders if v.tasks)
    link = "https://duban.example.gov.cn/r/AbC-123_xyz"
    with_link = dataclasses.replace(view, report_link=link)
    parts = any_renderer.reminder(with_link, channel)
    said = "".join(p.message.body + (p.message.html or "") for p in parts)
    assert link in said
    without = any_renderer.reminder(view, channel)
    assert "/r/" not in "".join(p.message.body + (p.message.html or "") for p in without)
    for part in parts:
        check(part, channel)


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_login_link_renders_on_every_channel(any_renderer: MessageRenderer, channel: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from superbot.service.views import LoginLinkView

    person = cases()["shipped"].reminders[0].person
    url = "https://duban.example.gov.cn/login/AbC-123_xyz"
    expires = datetime(2022, 6, 22, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    (part,) = any_renderer.login_link(LoginLinkView(person, url, expires), channel)
    assert url in part.message.body
    assert "10:15" in part.message.body
    check(part, channel)
