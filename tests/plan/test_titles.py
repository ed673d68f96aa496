"""The shipped file's own header says "标题 title 尽量不超过 20 个字（要在手机上显示）":
now it is checked."""

from __future__ import annotations

import pytest
from tests.plan.test_load import SAY, edit, parse


@pytest.mark.parametrize(
    ("title", "length"),
    [
        pytest.param("高新技术产业投资攻坚行动暨重大项目谋划推进年度攻坚", 25, id="25-chinese"),
        pytest.param("R&D 经费投入强度提升与规上工业企业研发机构全覆盖行动", 26, id="mixed"),
    ],
)
def test_a_title_longer_than_20_characters_is_a_warning(title: str, length: int) -> None:
    result = parse(edit("        title: 任务一", f"        title: {title}"))

    assert result.ok  # a warning: the plan is still valid
    [warning] = result.warnings
    assert (warning.line, warning.col, warning.text.key) == (21, 16, "plan.long_title")
    assert SAY(warning.text) == (
        f"提醒：标题有 {length} 个字，超过 20 个字，"
        "手机上可能显示不全（两个英文字母或数字算一个字）"
    )


@pytest.mark.parametrize(
    "title",
    [
        pytest.param("高新技术产业投资攻坚行动暨重大项目谋划推", id="20-chinese"),
        pytest.param("2022 年 R&D 投入强度提升到 3.2% 以上", id="latin-counts-half"),
    ],
)
def test_a_title_of_20_characters_or_fewer_is_fine(title: str) -> None:
    result = parse(edit("        title: 任务一", f"        title: {title}"))

    assert result.problems == ()
