"""Progress replies as department staff type them on a phone, and what superbot reads in them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from superbot.domain.model import Indicator, State
from superbot.domain.progress import Reading, read_progress
from superbot.domain.text import Text
from superbot.render.environment import LOCALES, Texts, make_environment

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ENV = make_environment()
SAY = Texts(ENV, "zh-CN")

INVEST = Indicator("invest", "高新技术产业投资增速", "%", 15)
RD = Indicator("rd", "研发投入强度", "%", 3)
FIRMS = Indicator("firms", "新增高企", "家", 40)
TASK = (INVEST, RD, FIRMS)
TOTAL = Indicator("total", "工业投资总额", "亿元")  # shares 投资 with INVEST

DONE, BLOCKED, AT_RISK, ON_TRACK = State.DONE, State.BLOCKED, State.AT_RISK, State.ON_TRACK


@dataclass(frozen=True)
class Case:
    text: str
    percent: int | None = None
    state: State | None = None
    values: dict[str, float] = field(default_factory=dict)
    note: str | None = None
    problems: tuple[str, ...] = ()  # text keys, in order
    indicators: tuple[Indicator, ...] = TASK


def case(
    text: str,
    percent: int | None = None,
    state: State | None = None,
    *,
    id: str,
    values: dict[str, float] | None = None,
    note: str | None = None,
    problems: tuple[str, ...] = (),
    indicators: tuple[Indicator, ...] = TASK,
) -> tuple[str, Case]:
    return id, Case(text, percent, state, values or {}, note, problems, indicators)


CASES = [
    # -- percent ------------------------------------------------------------------------------
    case("60%", 60, id="percent"),
    case("60％", 60, id="full-width-percent-sign"),
    case("６０％", 60, id="full-width-digits"),
    case("60 %", 60, id="space-before-percent-sign"),
    case("60", 60, id="bare-number"),
    case(" 60 ", 60, id="bare-number-in-spaces"),
    case("60。", 60, id="bare-number-full-stop"),
    case("60.", 60, id="bare-number-dot"),
    case("0", 0, id="zero"),
    case("进度60", 60, id="label-bare"),
    case("进度 60", 60, id="label-space-bare"),
    case("进度：60%", 60, id="label-colon"),
    case("进度:60%", 60, id="label-ascii-colon"),
    case("进度为60%", 60, id="label-wei"),
    case("目前进度60%", 60, id="label-with-subject"),
    case("形象进度约60%", 60, id="label-approx"),
    case("完成60%", 60, id="wancheng-percent-is-not-done"),
    case("已完成60%", 60, id="yiwancheng-percent-is-not-done"),
    case("已完成 60%", 60, id="yiwancheng-space-percent-is-not-done"),
    case("已完成了60%", 60, id="yiwanchengle-percent"),
    case("60%已完成", 60, id="percent-then-wancheng"),
    case("约60%", 60, id="approx-before"),
    case("60%左右", 60, id="approx-after"),
    case(
        "目前完成了60%，主体已封顶",
        60,
        note="目前完成了60%，主体已封顶",
        id="percent-in-prose-note-keeps-prose",
    ),
    case("累计完成60%", 60, note="累计完成60%", id="percent-after-wancheng-in-prose"),
    case("百分之六十", 60, id="chinese-percent"),
    case("百分之六十五", 65, id="chinese-percent-65"),
    case("百分之十", 10, id="chinese-percent-10"),
    case("百分之百", 100, DONE, id="chinese-percent-100"),
    case("百分之一百", 100, DONE, id="chinese-percent-yibai"),
    case("完成百分之六十", 60, id="label-chinese-percent"),
    case("六成", 60, id="liu-cheng"),
    case("两成", 20, id="liang-cheng"),
    case("8成", 80, id="arabic-cheng"),
    case("九成五", 95, id="jiu-cheng-wu"),
    case("十成", 100, DONE, id="shi-cheng"),
    case("完成了八成", 80, id="label-cheng"),
    case("60.5%", 61, id="round-half-up"),
    case("60.4%", 60, id="round-down"),
    case("99.5%", 99, id="just-under-100-is-not-done"),
    case("60% 资金已到位", 60, note="资金已到位", id="percent-then-note"),
    case("60%，资金已到位", 60, note="资金已到位", id="percent-comma-note"),
    case("60，资金已到位", 60, note="资金已到位", id="bare-comma-note"),
    case("60 资金已到位", 60, note="资金已到位", id="bare-space-note"),
    case("60%、资金已到位、等待验收", 60, note="资金已到位、等待验收", id="dun-hao-list"),
    case("资金已到位，60%，等待验收", 60, note="资金已到位，等待验收", id="percent-in-middle"),
    case("资金已到位 60%", 60, note="资金已到位", id="percent-at-end"),
    case(
        "同比增长15%，进度60%",
        60,
        note="同比增长15%",
        id="growth-rate-is-not-progress",
    ),
    case("60\n资金已到位\n等待验收", 60, note="资金已到位\n等待验收", id="line-breaks"),
    case(
        "进度：60%\n问题：土地指标未落实",
        60,
        note="问题：土地指标未落实",
        id="labelled-lines",
    ),
    case("1、主体已封顶\n2、进度60%", 60, note="1、主体已封顶", id="numbered-lines"),
    case("1. 60%\n2. 资金已到位", 60, note="2. 资金已到位", id="numbered-dot-lines"),
    case("（1）主体已封顶；（2）已完成", 100, DONE, note="（1）主体已封顶", id="bracket-numbers"),
    case("👍60%", 60, id="emoji-before"),
    case("进度60%   👍", 60, id="emoji-after"),
    case("60%👌资金已到位", 60, note="资金已到位", id="emoji-between"),
    case("@superbot_test_bot 60%", 60, id="mention"),
    case("@superbot_test_bot\n进度60%，资金已到位", 60, note="资金已到位", id="mention-line"),
    case("@superbot_test_bot @zhang_san 60", 60, id="two-mentions"),
    # -- numbers that are not percents --------------------------------------------------------
    case("已签约3个项目", note="已签约3个项目", id="count"),
    case("3 个项目已签约", note="3 个项目已签约", id="count-with-space"),
    case("完成投资2.5亿元", note="完成投资2.5亿元", id="money"),
    case("2022年6月", note="2022年6月", id="year-month"),
    case("预计6月底完成", note="预计6月底完成", id="month-then-done-is-a-plan"),
    case("2022-06-30 已完成", 100, DONE, note="2022-06-30", id="date-then-done"),
    case("3/5", note="3/5", id="fraction-not-guessed"),
    case("60分", note="60分", id="points"),
    case("60%资金已到位", note="60%资金已到位", id="percent-of-something"),
    case("60%的资金已到位", note="60%的资金已到位", id="percent-de"),
    case("60%以上", note="60%以上", id="lower-bound-not-guessed"),
    case("七八成", note="七八成", id="vague-cheng"),
    case("百分之六十点五", note="百分之六十点五", id="chinese-decimal-not-read"),
    case("签约项目3", note="签约项目3", id="number-glued-to-words"),
    # -- out of range and two percents ---------------------------------------------------------
    case("150%", problems=("progress.percent_range",), id="over-100"),
    case("进度 150", problems=("progress.percent_range",), id="label-over-100"),
    case("-5%", problems=("progress.percent_range",), id="negative-percent"),
    case("60% 或 70%", note="或", problems=("progress.two_percents",), id="two-percents"),
    case("60-70%", problems=("progress.two_percents",), id="percent-range"),
    case("60%-70%", problems=("progress.two_percents",), id="percent-range-both-signs"),
    case("60 70", problems=("progress.two_percents",), id="two-bare-numbers"),
    case("60%，进度60%", 60, id="same-percent-twice"),
    # -- done ----------------------------------------------------------------------------------
    case("完成", 100, DONE, id="wancheng"),
    case("已完成", 100, DONE, id="yiwancheng"),
    case("已完成。", 100, DONE, id="yiwancheng-stop"),
    case("完成了", 100, DONE, id="wanchengle"),
    case("办结", 100, DONE, id="banjie"),
    case("已办结", 100, DONE, id="yibanjie"),
    case("完结", 100, DONE, id="wanjie"),
    case("done", 100, DONE, id="done"),
    case("Done!", 100, DONE, id="done-capital"),
    case("100%", 100, DONE, id="100-percent"),
    case("100", 100, DONE, id="bare-100"),
    case("进度100%，已完成", 100, DONE, id="100-and-done"),
    case("目前已完成", 100, DONE, id="subject-done"),
    case("任务已全部完成", 100, DONE, id="all-done"),
    case("已按期完成", 100, DONE, id="done-on-time"),
    case("已完成，等待验收", 100, DONE, note="等待验收", id="done-with-note"),
    case("✅ 已完成，等待验收", 100, DONE, note="等待验收", id="check-mark-done"),
    case("已完成✅", 100, DONE, id="done-check-mark"),
    case("@superbot_test_bot 已完成", 100, DONE, id="mention-done"),
    case("未完成", note="未完成", id="weiwancheng"),
    case("没完成", note="没完成", id="meiwancheng"),
    case("还没完成", note="还没完成", id="haimeiwancheng"),
    case("尚未完成", note="尚未完成", id="shangweiwancheng"),
    case("未能完成", note="未能完成", id="weinengwancheng"),
    case("部分完成", note="部分完成", id="partly"),
    case("基本完成", note="基本完成", id="mostly"),
    case("即将完成", note="即将完成", id="soon"),
    case("未 完成", note="未 完成", id="negated-across-space"),
    case("not done", note="not done", id="not-done"),
    # -- blocked, at risk, on track ------------------------------------------------------------
    case("受阻", state=BLOCKED, id="shouzu"),
    case("卡住", state=BLOCKED, id="kazhu"),
    case("卡住了", state=BLOCKED, id="kazhule"),
    case("阻塞", state=BLOCKED, id="zuse"),
    case("停滞", state=BLOCKED, id="tingzhi"),
    case("Blocked", state=BLOCKED, id="blocked"),
    case("项目推进受阻", state=BLOCKED, id="subject-blocked"),
    case(
        "受阻原因：土地指标未落实",
        state=BLOCKED,
        note="土地指标未落实",
        id="blocked-reason",
    ),
    case("有风险", state=AT_RISK, id="youfengxian"),
    case("风险", state=AT_RISK, id="fengxian"),
    case("滞后", state=AT_RISK, id="zhihou"),
    case("延误", state=AT_RISK, id="yanwu"),
    case("可能延期", state=AT_RISK, id="maybe-late"),
    case("进度略有滞后", state=AT_RISK, id="slightly-behind"),
    case("有延期风险", state=AT_RISK, id="risk-of-delay"),
    case("at risk", state=AT_RISK, id="at-risk"),
    case("风险：土地指标未落实", state=AT_RISK, note="土地指标未落实", id="risk-colon"),
    case("无风险", note="无风险", id="wufengxian"),
    case("没有风险", note="没有风险", id="meiyoufengxian"),
    case("暂无风险", note="暂无风险", id="zanwufengxian"),
    case("不滞后", note="不滞后", id="buzhihou"),
    case("风险可控", note="风险可控", id="risk-under-control"),
    case("正常", state=ON_TRACK, id="zhengchang"),
    case("一切正常", state=ON_TRACK, id="all-normal"),
    case("按计划推进", state=ON_TRACK, id="as-planned"),
    case("进展顺利", state=ON_TRACK, id="going-well"),
    case("资金拨付正常", note="资金拨付正常", id="normal-inside-prose"),
    # -- state plus percent ---------------------------------------------------------------------
    case("40% 受阻 土地指标未落实", 40, BLOCKED, note="土地指标未落实", id="percent-state-note"),
    case("40%受阻", 40, BLOCKED, id="percent-glued-to-state"),
    case("受阻，40%", 40, BLOCKED, id="state-then-percent"),
    case("60%，按计划推进", 60, ON_TRACK, id="percent-on-track"),
    case("进度滞后，资金受阻", state=AT_RISK, note="资金受阻", id="at-risk-then-prose"),
    case("滞后 受阻", state=BLOCKED, id="blocked-outweighs-at-risk"),
    case("项目推进受阻，土地指标未落实", state=BLOCKED, note="土地指标未落实", id="blocked-prose"),
    # -- contradictions: nothing kept ------------------------------------------------------------
    case("已完成，60%", problems=("progress.done_but_percent",), id="done-but-60"),
    case("100% 受阻", problems=("progress.two_states",), id="100-but-blocked"),
    case("已完成 有风险", problems=("progress.two_states",), id="done-but-at-risk"),
    case("正常 受阻", problems=("progress.two_states",), id="on-track-but-blocked"),
    case("60% 正常 滞后", 60, problems=("progress.two_states",), id="percent-kept-states-not"),
    # -- indicator values -----------------------------------------------------------------------
    case("invest=12.5", values={"invest": 12.5}, id="id-equals"),
    case("invest = 12.5", values={"invest": 12.5}, id="id-equals-spaces"),
    case("invest:12.5", values={"invest": 12.5}, id="id-colon"),
    case("invest：12.5", values={"invest": 12.5}, id="id-full-width-colon"),
    case("INVEST=12.5", values={"invest": 12.5}, id="id-upper-case"),
    case("invest 12.5", values={"invest": 12.5}, id="id-space"),
    case("invest=-3.2", values={"invest": -3.2}, id="negative"),
    case("高新技术产业投资增速 12.5", values={"invest": 12.5}, id="full-name"),
    case("高新技术产业投资增速：12.5%", values={"invest": 12.5}, id="full-name-colon-unit"),
    case("投资增速12.5", values={"invest": 12.5}, id="name-part"),
    case("投资增速 -3.2", values={"invest": -3.2}, id="name-part-negative"),
    case("投资增速12.5%", values={"invest": 12.5}, id="percent-unit-is-the-indicator"),
    case("研发投入 3.1", values={"rd": 3.1}, id="second-indicator"),
    case("invest=12.5 rd=3.1", values={"invest": 12.5, "rd": 3.1}, id="two-ids"),
    case("invest=12.5，rd=3.1", values={"invest": 12.5, "rd": 3.1}, id="two-ids-comma"),
    case("新增高企 35家", values={"firms": 35}, id="count-unit"),
    case("新增高企35家", values={"firms": 35}, id="count-unit-glued"),
    case(
        "进度60%，投资增速12.5%，新增高企35家",
        60,
        values={"invest": 12.5, "firms": 35},
        id="percent-and-values",
    ),
    case("60 投资增速12.5", 60, values={"invest": 12.5}, id="bare-percent-then-value"),
    case(
        "今年投资增速12.5%，高于预期",
        values={"invest": 12.5},
        note="今年投资增速12.5%，高于预期",
        id="value-in-prose",
    ),
    case("invest=12.5 资金已到位", values={"invest": 12.5}, note="资金已到位", id="value-note"),
    case("12.5 投资增速", note="12.5 投资增速", id="value-before-name-not-guessed"),
    case("完成投资2.5亿元", note="完成投资2.5亿元", id="money-is-not-growth-rate"),
    case("foo=1", problems=("progress.unknown_indicator",), id="unknown-id"),
    case("foo=1", problems=("progress.unknown_indicator",), indicators=(), id="no-indicators"),
    case("进度=60", 60, id="progress-word-is-not-an-indicator"),
    case(
        "投资12",
        problems=("progress.ambiguous_indicator",),
        indicators=(*TASK, TOTAL),
        id="ambiguous-part",
    ),
    case("投资增速12", values={"invest": 12}, indicators=(*TASK, TOTAL), id="longer-part"),
    case("投资3.5亿元", values={"total": 3.5}, indicators=(*TASK, TOTAL), id="unit-decides"),
    case("新增高企 35%", problems=("progress.unit_mismatch",), id="wrong-unit"),
    case(
        "invest=12 invest=13",
        problems=("progress.two_values",),
        id="two-values",
    ),
    case("invest=12 投资增速12", values={"invest": 12}, id="same-value-twice"),
    # -- nothing --------------------------------------------------------------------------------
    case("", id="empty"),
    case("   \n ", id="whitespace"),
    case("👍", id="emoji-only"),
    case("，。", id="punctuation-only"),
    case("@superbot_test_bot", id="mention-only"),
    case("资金已到位", note="资金已到位", id="note-only"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=i) for i, c in CASES])
def test_reads_replies_the_way_people_type_them(case: Case) -> None:
    reading = read_progress(case.text, case.indicators)

    assert (reading.percent, reading.state) == (case.percent, case.state)
    assert dict(reading.values) == case.values
    assert reading.note == case.note
    assert [p.key for p in reading.problems] == list(case.problems)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("40% 受阻 土地指标未落实", ["进度 40%", "状态：受阻", "说明：土地指标未落实"]),
        ("已完成", ["进度 100%", "状态：已完成"]),
        ("有风险", ["状态：有风险"]),
        ("按计划推进", ["状态：正常推进"]),
        (
            "invest=12.5 新增高企 35家",
            ["指标 高新技术产业投资增速 = 12.5%", "指标 新增高企 = 35家"],
        ),
        ("资金已到位", ["说明：资金已到位"]),
        ("", []),
    ],
)
def test_understood_says_what_was_read(text: str, said: list[str]) -> None:
    assert [SAY(t) for t in read_progress(text, TASK).understood] == said


@pytest.mark.parametrize(
    ("text", "indicators", "problem"),
    [
        ("150%", TASK, "进度 150% 超出 0–100"),
        ("60% 或 70%", TASK, "两个进度（60%、70%），请只报一个"),
        (
            "投资12",
            (INVEST, TOTAL),
            "指标“投资”有两个可能：高新技术产业投资增速、工业投资总额，请写全称",
        ),
        ("foo=1", (INVEST,), "没有指标“foo”，可填：invest（高新技术产业投资增速）"),
        ("foo=1", (), "没有指标“foo”，这项任务没有定量指标"),
        ("新增高企 35%", TASK, "指标“新增高企”的单位是家，这里写的是 %"),
        (
            "invest=12 invest=12.5",
            TASK,
            "指标“高新技术产业投资增速”有两个值（12、12.5），请只报一个",
        ),
        ("已完成，60%", TASK, "说已完成，但进度写的是 60%：完成了请回“已完成”，没完成请只报百分比"),
        ("100% 受阻", TASK, "状态说法不一（已完成、受阻），请只选一个"),
    ],
)
def test_problems_say_what_could_not_be_read(
    text: str, indicators: tuple[Indicator, ...], problem: str
) -> None:
    assert [SAY(p) for p in read_progress(text, indicators).problems] == [problem]


def test_unknown_id_is_quoted_as_typed() -> None:
    (problem,) = read_progress("Foo=1", TASK).problems
    assert problem.params["name"] == "Foo"


def test_note_is_the_persons_own_typing() -> None:
    reading = read_progress("６０％，资金已到位（预计６月底）！", TASK)
    assert reading.percent == 60
    assert reading.note == "资金已到位（预计６月底）"


def test_has_progress() -> None:
    assert read_progress("60%").has_progress
    assert read_progress("受阻").has_progress
    assert read_progress("invest=1", TASK).has_progress
    assert not read_progress("资金已到位").has_progress
    assert not read_progress("150%").has_progress
    assert not read_progress("").has_progress
    assert read_progress("  ") == Reading()


def _all_texts() -> list[Text]:
    texts: list[Text] = []
    for _, case in CASES:
        reading = read_progress(case.text, case.indicators)
        texts += [*reading.understood, *reading.problems]
    return texts


def _macros(locale: str) -> set[str]:
    source = (TEMPLATES / locale / "texts" / "progress.j2").read_text(encoding="utf-8")
    return {m for m in re.findall(r"{%\s*macro\s+(\w+)", source) if not m.startswith("_")}


def test_every_key_used_has_words_in_both_locales() -> None:
    texts = _all_texts()
    used = {t.key.partition(".")[2] for t in texts}
    assert {t.key.partition(".")[0] for t in texts} == {"progress"}
    for locale in LOCALES:
        assert used == _macros(locale), locale
        say = Texts(ENV, locale)
        for text in texts:
            words = say(text)
            assert words, text
            assert "{" not in words, (locale, text, words)
            assert "None" not in words, (locale, text, words)
