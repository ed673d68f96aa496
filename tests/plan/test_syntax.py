"""A tasks.yaml that is not YAML: one problem, in the coordinator's language, at the line where
the mistake starts, naming the full-width character when a Chinese keyboard caused it."""

from __future__ import annotations

import re

import pytest
from tests.plan.test_load import MINIMAL, SAY, SHIPPED, edit, parse, positions

from superbot.domain.text import Text
from superbot.render.environment import Texts, make_environment

FULL_WIDTH_SPACE = "\u3000"


def test_an_unclosed_quote_is_reported_where_it_opens_not_at_the_end_of_the_file() -> None:
    lines = SHIPPED.read_text(encoding="utf-8").splitlines(keepends=True)
    (opened,) = [n for n, line in enumerate(lines) if line.strip() == "title: 海外工程师引进"]
    lines[opened] = lines[opened].replace("title: ", 'title: "')

    result = parse("".join(lines))

    column = lines[opened].index('"') + 1
    assert positions(result.problems) == [(opened + 1, column, "plan.syntax")]
    assert opened + 1 < len(lines) - 100  # far from the end, where the parser gave up
    assert SAY(result.problems[0].text) == (
        'YAML 格式有误：这里的 " 引号没有闭合，直到文件末尾都没找到另一半；请补上 "，或去掉引号'
    )


@pytest.mark.parametrize(
    ("source", "where", "message"),
    [
        pytest.param(
            edit("        name: 张三", "        name：张三"),
            (9, 13),
            "YAML 格式有误：这里用了全角冒号“：”，字段名后面要用英文冒号加空格，例如 name: 张三",
            id="full-width-colon-followed-by-a-key",
        ),
        pytest.param(
            edit("        name: 李四", "        name：李四"),
            (14, 13),
            "YAML 格式有误：这里用了全角冒号“：”，字段名后面要用英文冒号加空格，例如 name: 张三",
            id="full-width-colon-on-the-last-key-of-a-block",
        ),
        pytest.param(
            MINIMAL.replace("coordinators: [zhang]", "coordinators：[zhang]"),
            (15, 13),
            "YAML 格式有误：这里用了全角冒号“：”，字段名后面要用英文冒号加空格，例如 name: 张三",
            id="full-width-colon-on-a-top-level-key",
        ),
        pytest.param(
            edit("        title: 任务一", '        title: "任务一”'),
            (21, 20),
            "YAML 格式有误：这里用了中文引号”结尾，而开头是英文引号："
            "两头都要用英文引号（或整段不加引号）",
            id="chinese-closing-quote",
        ),
        pytest.param(
            edit("        lead: gxk", f"        lead:{FULL_WIDTH_SPACE}gxk"),
            (22, 14),
            "YAML 格式有误：这里用了全角空格，缩进和冒号后的空格都要用英文空格",
            id="full-width-space-after-the-colon",
        ),
        pytest.param(
            edit("      - id: t1", "      － id: t1"),
            (20, 7),
            "YAML 格式有误：这里用了全角减号“－”，请改成英文减号 -",
            id="full-width-dash-for-a-list-item",
        ),
        pytest.param(
            edit("        lead: gxk", "\tlead: gxk"),
            (22, 1),
            "YAML 格式有误：这里用了 Tab 键：YAML 只能用空格缩进，请把 Tab 换成空格",
            id="tab",
        ),
        pytest.param(
            edit("        lead: gxk", "       lead: gxk"),
            (22, 8),
            "YAML 格式有误：缩进没有对齐：同一层的字段应和第 20 行一样，从第 7 列开始",
            id="indented-less-than-its-siblings",
        ),
        pytest.param(
            edit("        lead: gxk", "         lead: gxk"),
            (22, 14),
            "YAML 格式有误：缩进没有对齐：这一行比第 21 行缩进得多，被当成了上一行内容的延续；"
            "同一层的字段应从第 9 列开始",
            id="indented-more-than-the-key-above",
        ),
        pytest.param(
            edit("        title: 任务一", "        title: 目标: 完成"),
            (21, 18),
            "YAML 格式有误：这一行多了一个“: ”：一行只能写一个“字段: 值”；"
            "值里本来就有冒号加空格时，请给整个值加英文引号",
            id="colon-inside-a-value",
        ),
        pytest.param(
            edit("        support: [fgj]", "        support: [fgj"),
            (24, 12),
            "YAML 格式有误：第 23 行第 18 列的“[”没有配对的“]”，或是中间少了英文逗号",
            id="unclosed-bracket-names-where-it-opened",
        ),
        pytest.param(
            edit("        lead: gxk", "        lead: @gxk"),
            (22, 15),
            'YAML 格式有误：值不能以“@”开头：这样的文字要加英文引号，例如 "@…"',
            id="at-sign",
        ),
        pytest.param(
            edit("        support: [fgj]", "        support: - fgj"),
            (23, 18),
            "YAML 格式有误：这里不能接着写“- ”列表：列表项要另起一行，并比字段名多缩进",
            id="list-after-the-colon",
        ),
        pytest.param(
            edit("        title: 任务一", '        title: "任务\\一"'),
            (21, 19),
            "YAML 格式有误：双引号里的反斜杠“\\”后面不是有效的转义：要写反斜杠本身请写两个“\\\\”，"
            "或改用单引号",
            id="backslash-in-double-quotes",
        ),
        pytest.param(
            edit("        lead: gxk", "        lead: *gxk"),
            (22, 15),
            "YAML 格式有误：引用 *gxk 找不到对应的锚点 &gxk（锚点要写在引用之前）",
            id="alias-without-anchor",
        ),
        pytest.param(
            MINIMAL + "---\nplan: {}\n",
            (25, 1),
            "YAML 格式有误：文件里有不止一份 YAML 文档（用 --- 分开）：任务清单只能有一份",
            id="two-documents",
        ),
    ],
)
def test_syntax_errors_in_chinese_where_they_start(
    source: str, where: tuple[int, int], message: str
) -> None:
    result = parse(source)

    assert positions(result.problems) == [(*where, "plan.syntax")]
    assert SAY(result.problems[0].text) == message
    assert result.plan is None


@pytest.mark.parametrize(
    ("source", "where", "key", "message"),
    [
        pytest.param(
            edit("        support: [fgj]", "        support: [fgj，gxk]"),
            (23, 19),
            "plan.bad_id",
            "task.support[] 的编号 “fgj，gxk” 不合规（其中有全角逗号“，”，请改成英文逗号 ,）："
            "只能用小写字母、数字、- 和 _，并以字母或数字开头",
            id="full-width-comma-in-a-list",
        ),
        pytest.param(
            edit("due: 2022-12-31", f"        {FULL_WIDTH_SPACE}due: 2022-12-31"),
            (24, 9),
            "plan.unknown_field",
            f"tasks[] 中没有字段 {FULL_WIDTH_SPACE}due（其中有全角空格，请改成英文空格），"
            "是不是想写 due？",
            id="full-width-space-before-a-key",
        ),
        pytest.param(
            edit("due: 2022-12-31", "        due: 2022－12－31"),
            (24, 14),
            "plan.bad_date_format",
            "task.due 的日期 “2022－12－31” 格式不对（其中有全角减号“－”，请改成英文减号 -），"
            "请写成 YYYY-MM-DD，例如 2022-06-30",
            id="full-width-dashes-in-a-date",
        ),
        pytest.param(
            edit("        name: 张三", "        name: 张三\n        email: zhang@example，gov.cn"),
            (10, 16),
            "plan.bad_email",
            "邮箱地址 “zhang@example，gov.cn” 格式不对（其中有全角逗号“，”，请改成英文逗号 ,）",
            id="full-width-comma-in-an-email",
        ),
    ],
)
def test_a_full_width_character_in_a_value_is_named(
    source: str, where: tuple[int, int], key: str, message: str
) -> None:
    result = parse(source)

    assert positions(result.errors)[0] == (*where, key)
    assert SAY(result.errors[0].text) == message


SYNTAX_PROBLEMS = [
    ("unclosed_quote", {"quote": '"'}),
    ("full_width", {"char": "："}),
    ("full_width", {"char": "，"}),
    ("full_width", {"char": "”"}),
    ("full_width", {"char": FULL_WIDTH_SPACE}),
    ("no_colon", {}),
    ("colon_in_value", {}),
    ("indentation", {"line": 3, "column": 5}),
    ("indentation", {}),
    ("deeper_than_above", {"line": 3, "column": 5}),
    ("unclosed_bracket", {"bracket": "{", "line": 3, "column": 5}),
    ("tab", {}),
    ("reserved_character", {"char": "`"}),
    ("too_deep", {"limit": 1000}),
    ("escape", {}),
    ("dash_in_value", {}),
    ("two_documents", {}),
    ("undefined_alias", {"name": "base"}),
    ("duplicate_anchor", {"name": "base", "line": 3}),
    ("other", {}),
]


@pytest.mark.parametrize(("problem", "params"), SYNTAX_PROBLEMS)
def test_no_syntax_message_is_in_english_and_each_locale_has_its_own(
    problem: str, params: dict[str, object]
) -> None:
    text = Text.of("plan.syntax", problem=problem, **params)
    chinese = SAY(text)
    english = Texts(make_environment(), "en")(text)

    assert chinese.startswith("YAML 格式有误：")
    # Names and examples only (YAML, Tab, name: 张三): never two English words in a row.
    assert not re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", chinese), chinese
    assert english.startswith("YAML syntax error: ")
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("张三", "")), english
