"""The 通报 as a Word 公文, opened again with python-docx: 版头, 期号, sections, fonts, A4, page
numbers, repeated table headers, 主送 and 抄送."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from tests.render.views import TRICKY, cases

from superbot.domain.ladder import EscalationDocument
from superbot.domain.lights import Light
from superbot.domain.model import DocumentKind, EscalationRule, Rules
from superbot.render.environment import Templates, make_environment
from superbot.render.messages import MessageRenderer
from superbot.service.views import Bulletin, Escalation

HEADINGS = ["一、总体情况", "二、各专项推进情况", "三、单位排名", "四、工作亮点", "五、存在问题"]


def word(view: Bulletin, locale: str = "zh-CN") -> Any:
    content = MessageRenderer(Templates(make_environment(), locale), {}).bulletin_document(
        view, "docx"
    )
    assert isinstance(content, bytes)
    return docx.Document(io.BytesIO(content))


def texts(document: Any) -> list[str]:
    return [p.text for p in document.paragraphs]


def east_asian(run: Any) -> str | None:
    fonts = run._element.rPr.find(qn("w:rFonts")) if run._element.rPr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_the_letterhead() -> None:
    view = cases()["shipped"].bulletin
    assert view.letterhead is not None
    document = word(view)
    head, number, issuer, _, title, to = document.paragraphs[:6]
    assert head.text == "督查通报"
    assert head.runs[0].font.color.rgb is not None
    assert str(head.runs[0].font.color.rgb) == "D52B1E"  # the red 版头
    assert number.text == f"第 {view.letterhead.issue.number} 期"
    assert issuer.text == "高新区（xx区）科技局督查科\t2022年7月1日"
    border = issuer._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "D52B1E"  # the red rule under it
    assert title.text == "关于2022年6月重点工作推进情况的通报"
    assert to.text == "局领导，局机关各科室、各直属单位，各相关责任单位："
    everything = texts(document)
    assert "高新区（xx区）科技局督查科" in everything[-10:]  # 落款
    assert any(t.startswith("抄送：区委督查室，区政府督查室") for t in everything[-3:])
    assert any(t.endswith("2022年7月1日印发") for t in everything[-3:])


def test_sections_in_order_and_escalations_only_when_there_are_some() -> None:
    view = cases()["shipped"].bulletin
    headings = [t for t in texts(word(view)) if t[:2] in {f"{n}、" for n in "一二三四五六七"}]
    assert headings == [*HEADINGS, "六、下步工作要求"]
    item = view.red[0]
    document = EscalationDocument(
        kind=DocumentKind.NOTICE,
        rung=0,
        task_id=item.task.id,
        department_id=item.lead.id,
        period=view.period.key,
        issued_on=view.issued_on,
        reply_by=view.issued_on + timedelta(days=14),
        light=Light.RED,
        streak=2,
        percent=item.assessment.percent,
        due=item.task.due,
        rule=EscalationRule("yellow", 2, DocumentKind.NOTICE),
        reasons=item.reasons,
        year=view.issued_on.year,
        number=3,
    )
    escalated = dataclasses.replace(view, escalations=(Escalation(item, document),))
    everything = texts(word(escalated))
    headings = [t for t in everything if t[:2] in {f"{n}、" for n in "一二三四五六七"}]
    assert headings == [*HEADINGS, "六、督办事项", "七、下步工作要求"]
    assert any(
        item.task.title in t and "〔2022〕督办第 3 号 督办单" in t and "连续 2 期黄灯" in t
        for t in everything
    )


def test_problems_are_grouped_by_department_worst_first() -> None:
    view = cases()["shipped"].bulletin
    everything = texts(word(view))
    start = everything.index("五、存在问题")
    end = everything.index("六、下步工作要求")
    problems = everything[start:end]
    for group in view.red_by_department:
        heading = f"{group.department.name}（{len(group.items)} 项）"
        at = problems.index(heading)
        listed = problems[at + 1 : at + 1 + len(group.items)]
        for n, (line, item) in enumerate(zip(listed, group.items, strict=True), start=1):
            assert line.startswith(f"{n}. ●红灯 {item.task.title}（{item.task.id}）")
    # The worst red task of all (longest overdue) opens the list.
    first = view.red_by_department[0].items[0]
    assert first.deadline.days_late == max(i.deadline.days_late for i in view.red)


def test_the_requirements_come_from_tasks_yaml() -> None:
    view = cases()["shipped"].bulletin
    assert view.letterhead is not None
    everything = texts(word(view))
    start = everything.index("六、下步工作要求")
    for paragraph in view.letterhead.requirements:
        assert paragraph in everything[start:]
    bare = dataclasses.replace(
        view, letterhead=dataclasses.replace(view.letterhead, requirements=())
    )
    assert any("各牵头单位要对照本通报" in t for t in texts(word(bare)))


def test_fonts_are_named_for_chinese_text_with_fallbacks() -> None:
    document = word(cases()["shipped"].bulletin)
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.get(qn("w:ascii")) == "Times New Roman"
    assert document.styles["Normal"].font.size.pt == 16  # 3号
    by_text = {p.text: p for p in document.paragraphs}
    assert east_asian(by_text["一、总体情况"].runs[0]) == "黑体"
    assert east_asian(by_text["督查通报"].runs[0]) == "方正小标宋简体"
    assert any(east_asian(r) == "楷体_GB2312" for p in document.paragraphs for r in p.runs)
    table = next(
        p for p in document.part.package.iter_parts() if p.partname == "/word/fontTable.xml"
    )
    fonts = docx.oxml.parse_xml(table.blob)
    alt = {
        f.get(qn("w:name")): f.find(qn("w:altName")).get(qn("w:val"))
        for f in fonts
        if f.find(qn("w:altName")) is not None
    }
    assert alt["仿宋_GB2312"] == "仿宋"
    assert alt["楷体_GB2312"] == "楷体"


def test_a4_with_page_numbers_and_a_landscape_annex() -> None:
    document = word(cases()["shipped"].bulletin)
    first, annex = document.sections

    def mm(*lengths: Any) -> tuple[int, ...]:
        return tuple(round(length.mm) for length in lengths)

    assert mm(first.page_width, first.page_height) == (210, 297)
    assert mm(first.top_margin, first.left_margin) == (37, 28)  # GB/T 9704's 天头 and 订口
    assert mm(annex.page_width, annex.page_height) == (297, 210)
    for footer in (first.footer, first.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml
        assert 'w:fldCharType="begin"' in xml
    assert document.settings.odd_and_even_pages_header_footer


def test_tables_repeat_their_header_row_and_keep_rows_whole() -> None:
    view = cases()["shipped"].bulletin
    document = word(view)
    assert len(document.tables) == 4  # campaigns, ranking, every task, indicators
    for table in document.tables:
        header = table.rows[0]._tr.trPr
        assert header.find(qn("w:tblHeader")) is not None
        for row in table.rows[1:]:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
    campaigns, ranking, tasks, _ = document.tables
    assert [c.text for c in ranking.rows[0].cells][:2] == ["名次", "单位"]
    places = [row.cells[0].text for row in ranking.rows[1:]]
    assert places[0] in ("第一名", "并列第一名")
    assert not any(medal in "".join(places) for medal in "🥇🥈🥉")
    assert len(tasks.rows) == len(view.statuses) + 1
    lights = [row.cells[7] for row in tasks.rows[1:]]
    expected = {"red": "●红灯", "yellow": "●黄灯", "green": "●绿灯", "done": "●办结"}
    for cell, s in zip(lights, view.statuses, strict=True):
        assert cell.text == expected[s.light.value]  # a word, in colour
        assert cell.paragraphs[0].runs[0].font.color.rgb is not None
    _ = campaigns


def test_tied_scores_share_a_place() -> None:
    view = cases()["shipped"].bulletin
    tied = [e for e in view.ranking if e.tied]
    assert tied, "the shipped case has departments with equal scores"
    ranking = word(view).tables[1]
    places = {row.cells[1].text: row.cells[0].text for row in ranking.rows[1:]}
    for entry in tied:
        assert places[entry.department.name].startswith("并列第")


@pytest.mark.parametrize("name_people", [False, True])
def test_people_are_named_only_when_the_plan_says_so(name_people: bool) -> None:
    case = cases()["shipped"]
    plan = dataclasses.replace(
        case.plan,
        settings=dataclasses.replace(
            case.plan.settings, rules=Rules(name_people_in_bulletin=name_people)
        ),
    )
    from tests.render.views import AS_OF, MONTH, bulletin_view, invented_reports

    view = bulletin_view(plan, invented_reports(plan, AS_OF), MONTH)
    everything = "\n".join(texts(word(view)))
    owners = {
        p.name for s in view.silent for p in case.plan.people if p.department_id == s.department.id
    }
    assert owners
    assert any(name in everything for name in owners) is name_people


def test_user_text_is_kept_as_written() -> None:
    everything = "\n".join(texts(word(cases()["one"].bulletin)))
    assert TRICKY in everything


def test_english() -> None:
    english = texts(word(cases()["shipped"].bulletin, "en"))
    assert english[:2] == ["Supervision Bulletin", "No. 6"]
    assert "1. Overall" in english
    assert "6. Next steps" in english
