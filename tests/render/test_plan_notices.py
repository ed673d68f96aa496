"""The running watch's notices — applied, fixed and applied again, held for confirmation,
refused — read right on every channel and in both locales, however long their list."""

from __future__ import annotations

import re

import pytest
from tests.render.checks import LIMITS, check, check_telegram

from superbot.render.environment import Templates, make_environment
from superbot.render.messages import CHANNELS, ROBOTS, MessageRenderer
from superbot.service.ports import PlanNotice

CJK = re.compile(r"[\u4e00-\u9fff]")
HOSTILE = "李四</b><a href='x'>&"


def renderer(locale: str) -> MessageRenderer:
    return MessageRenderer(Templates(make_environment(), locale), LIMITS)


def archived(count: int) -> tuple[str, ...]:
    return tuple(
        f"- 任务 t{n} 第{n}项任务{HOSTILE}（归档，保留 12 条进度记录）" for n in range(count)
    )


NOTICES = {
    "applied": PlanNotice("tasks.yaml", ("~ 任务 zcq8-1 高新技术产业投资攻坚战",), applied=True),
    "recovered": PlanNotice("tasks.yaml", ("~ 任务 zcq8-1 标题",), applied=True, recovered=True),
    "recovered-unchanged": PlanNotice("tasks.yaml", (), applied=True, recovered=True),
    "held": PlanNotice("tasks.yaml", archived(43), applied=False, held=43),
    "held-huge": PlanNotice("tasks.yaml", archived(5000), applied=False, held=5000),
    "refused": PlanNotice("tasks.yaml", ("tasks.yaml:1:1: 找不到任务清单文件",), applied=False),
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", NOTICES)
def test_every_notice_renders_within_its_channel(locale: str, channel: str, name: str) -> None:
    parts = renderer(locale).plan_problems(NOTICES[name], channel)

    assert parts
    for part in parts:
        check(part, channel)
        if channel in ROBOTS:
            assert len(part.message.body.encode()) <= LIMITS[channel]
        assert "<a href" not in (part.message.html or "")


@pytest.mark.parametrize(
    ("name", "subject", "says"),
    [
        (
            "recovered",
            "【任务清单已修正，重新生效】tasks.yaml",
            "之前报告的错误都已改好；共 1 处变动",
        ),
        ("recovered-unchanged", "【任务清单已修正，重新生效】tasks.yaml", "任务没有变动"),
        ("held", "【任务清单待确认：将归档 43 项任务】tasks.yaml", "superbot sync"),
    ],
)
def test_what_each_notice_says_in_chinese(name: str, subject: str, says: str) -> None:
    [part] = renderer("zh-CN").plan_problems(NOTICES[name], "telegram")

    assert part.message.subject == subject
    text = check_telegram(part.message)
    assert says in text


def test_the_held_notice_tells_what_to_do_and_lists_the_tasks() -> None:
    [email] = renderer("zh-CN").plan_problems(NOTICES["held"], "email")

    body = email.message.body
    assert "这次修改会归档 43 项任务，暂未生效，仍按原清单运行" in body
    assert "确实要归档，就运行 superbot sync，或在机器人里发 /reload" in body
    assert body.count("（归档，保留 12 条进度记录）") == 43


def test_english_notices_have_english_words() -> None:
    for notice in NOTICES.values():
        [part] = renderer("en").plan_problems(notice, "email")[:1]
        assert not CJK.search(part.message.subject.replace("tasks.yaml", ""))
