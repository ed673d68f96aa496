"""A saved tasks.yaml can never freeze the bot: aliases, depth, size and numbers are bounded,
and each bound is one clear problem, in Chinese, at the place that breaks it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.plan.test_load import MINIMAL, SAY, SHIPPED, edit, parse, positions

from superbot.plan.load import MAX_BYTES, read_plan_file


def alias_bomb(levels: int, width: int = 10) -> str:
    """``a`` is ``width`` zeros, each next anchor ``width`` aliases of the previous one:
    ``width ** levels`` values from a few lines of text."""
    lines = [f"  - &a0 [{', '.join(['0'] * width)}]"]
    lines += [f"  - &a{n} [{', '.join([f'*a{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_in_the_broadcast_chats_is_refused_at_once() -> None:
    # Thirteen levels: 10**13 chat ids when expanded. The landed loader expanded an error
    # message for ten levels to 3.1 GB and froze the bot for 39 s; here it is refused
    # unexpanded.
    source = MINIMAL + "bomb:\n" + alias_bomb(13) + "broadcast:\n  telegram_chats: *a12\n"
    started = time.perf_counter()

    result = parse(source)

    assert time.perf_counter() - started < 5  # generous: it takes milliseconds
    # At the first anchor that alone expands past the limit (its 11,111 values).
    assert positions(result.problems) == [(29, 5, "plan.alias_bomb")]
    assert result.plan is None
    message = SAY(result.problems[0].text)
    assert message.startswith("别名（*引用）展开后会有 上万亿 个值，超过上限")
    assert "别名炸弹" in message


def test_a_small_bomb_is_refused_with_its_count() -> None:
    # 111,111 values from 51 written ones (and the plan's own): past ten times the file
    # plus 10,000.
    source = MINIMAL + "bomb:\n" + alias_bomb(5) + "broadcast:\n  telegram_chats: *a4\n"

    result = parse(source)

    assert [p.text.key for p in result.problems] == ["plan.alias_bomb"]
    assert SAY(result.problems[0].text) == (
        "别名（*引用）展开后会有 234,628 个值，超过上限 10,770："
        "这是层层嵌套的“别名炸弹”，整个文件不予处理"
    )


def test_a_merge_key_bomb_is_refused() -> None:
    # Each mapping merges the previous one ten times over: << expands like an alias list.
    lines = ["bomb:", "  m0: &m0 {k0: 1, k1: 2, k2: 3, k3: 4, k4: 5}"]
    for n in range(1, 9):
        merges = ", ".join([f"*m{n - 1}"] * 10)
        lines.append(f"  m{n}: &m{n} {{<<: [{merges}], own{n}: 1}}")
    source = MINIMAL + "\n".join(lines) + "\ncampaign_defaults: *m8\n"

    result = parse(source)

    assert [p.text.key for p in result.problems] == ["plan.alias_bomb"]


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    source = MINIMAL + "loop: &loop\n  - [*loop]\n"

    result = parse(source)

    assert positions(result.problems) == [(25, 7, "plan.alias_loop")]
    assert SAY(result.problems[0].text).startswith("别名引用了包含它自己的内容")


def test_aliases_and_merge_keys_that_share_fields_still_work() -> None:
    source = edit(
        "        support: [fgj]",
        "        support: &both [fgj]\n        indicators:\n"
        "          - &base {id: ind1, name: 投资增速, unit: '%', target: 15}\n"
        "          - {<<: *base, id: ind2, name: 投资额}",
    ) + (
        "  - id: c2\n    name: 专项二\n    tasks:\n"
        "      - {id: t2, title: 任务二, lead: gxk, support: *both, due: 2022-12-31}\n"
    )

    result = parse(source)

    assert result.problems == ()
    assert result.plan is not None
    first, second = result.plan.tasks
    assert [(i.id, i.name, i.unit, i.target) for i in first.indicators] == [
        ("ind1", "投资增速", "%", 15.0),
        ("ind2", "投资额", "%", 15.0),
    ]
    assert second.support == ("fgj",)


def test_a_merge_of_something_that_is_not_a_mapping_is_an_error() -> None:
    source = edit("        lead: gxk", "        lead: gxk\n        <<: 5")

    result = parse(source)

    assert positions(result.errors) == [(23, 13, "plan.bad_merge")]


def test_nesting_deeper_than_the_parser_allows_is_one_problem_not_a_crash() -> None:
    # The landed loader died with RecursionError (no line, no message) from about 1,000
    # levels on.
    source = MINIMAL + "deep: " + "[" * 5000 + "]" * 5000 + "\n"

    result = parse(source)

    (problem,) = result.problems
    assert (problem.line, problem.text.key, problem.text.params["problem"]) == (
        25,
        "plan.syntax",
        "too_deep",
    )
    assert SAY(problem.text) == (
        "YAML 格式有误：嵌套超过 1000 层：任务清单用不到这么多层，请检查括号和缩进"
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "tasks.yaml"
    with path.open("wb") as file:
        file.write(MINIMAL.encode())
        file.write(b"#" * 80 + b"\n")
        file.seek(MAX_BYTES + 10 * 1024 * 1024)  # 74 MB, sparse: no time spent writing it
        file.write(b"\n")

    result = read_plan_file(path)

    assert positions(result.problems) == [(1, 1, "plan.too_large")]
    assert SAY(result.problems[0].text) == (
        "文件太大（74.0 MB），超过 64 MB 的上限：十万项任务的清单也只有约 34 MB，是不是选错了文件？"
    )


def test_bytes_over_the_limit_are_refused_too() -> None:
    result = parse(b"#" * (MAX_BYTES + 1))

    assert [p.text.key for p in result.problems] == ["plan.too_large"]


# -- numbers out of range ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected", "message"),
    [
        pytest.param(
            "        telegram: 9223372036854775808",  # 2**63: passed check, crashed sync
            (10, 19, "plan.telegram_id_range"),
            "telegram 的 “9223372036854775808” 超出了 Telegram ID 的范围（最多 16 位数字），"
            "请核对是否多打了数字",
            id="user-id-2-to-the-63",
        ),
        pytest.param(
            "        telegram: 4503599627370496",  # 2**52: Telegram ids have at most 52 bits
            (10, 19, "plan.telegram_id_range"),
            None,
            id="user-id-2-to-the-52",
        ),
        pytest.param(
            "        telegram: " + "9" * 5000,  # past Python's 4,300 digits for int()
            (10, 19, "plan.bad_telegram_user"),
            None,
            id="user-id-of-5000-digits",
        ),
    ],
)
def test_telegram_user_ids_out_of_range(
    line: str, expected: tuple[int, int, str], message: str | None
) -> None:
    result = parse(edit("        name: 张三", "        name: 张三\n" + line))

    assert positions(result.errors) == [expected]
    if message is not None:
        assert SAY(result.errors[0].text) == message


def test_the_largest_telegram_ids_pass() -> None:
    source = edit("        name: 张三", "        name: 张三\n        telegram: 4503599627370495")
    source += "broadcast:\n  telegram_chats: [-1009999999999999]\n"

    result = parse(source)

    assert result.errors == ()
    assert result.plan is not None
    assert result.plan.people[0].telegram == 2**52 - 1
    assert result.plan.settings.broadcast.telegram_chats == (-1009999999999999,)


def test_a_chat_id_past_64_bits_is_refused() -> None:
    result = parse(MINIMAL + "broadcast:\n  telegram_chats: [-100123, -99999999999999999999]\n")

    assert positions(result.errors) == [(26, 29, "plan.telegram_id_range")]


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("1e400", "1e400"),
        ("-1e400", "-1e400"),
        (".inf", ".inf"),
        ("-.Inf", "-.Inf"),
        (".nan", ".nan"),
        ("1000000000000000", "1000000000000000"),
        ("!!float .inf", ".inf"),
    ],
)
def test_indicator_targets_must_be_finite_numbers(target: str, shown: str) -> None:
    # The landed loader took 1e400 as infinity (stored as 1) and .nan as NaN.
    source = edit(
        "due: 2022-12-31",
        "        due: 2022-12-31\n        indicators:\n          - id: invest\n"
        f"            name: 投资增速\n            target: {target}",
    )

    result = parse(source)

    assert positions(result.errors) == [(28, 21, "plan.bad_number")]
    assert SAY(result.errors[0].text).startswith(f"indicator.target 的值 {shown} 不能用")


def test_a_large_but_ordinary_target_is_kept() -> None:
    source = edit(
        "due: 2022-12-31",
        "        due: 2022-12-31\n        indicators:\n          - id: invest\n"
        "            name: 投资额\n            unit: 元\n            target: 999999999999999",
    )

    result = parse(source)

    assert result.plan is not None
    assert result.plan.tasks[0].indicators[0].target == 999999999999999.0


def test_rules_out_of_range_name_the_value_as_written() -> None:
    result = parse(MINIMAL + "rules:\n  stale_days: " + "9" * 5000 + "\n")

    assert positions(result.errors) == [(26, 15, "plan.out_of_range")]
    assert SAY(result.errors[0].text).startswith("rules.stale_days 的值 9999")


def test_without_libyaml_the_same_plan_is_read_and_depth_is_still_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from superbot.plan import yaml as plan_yaml

    assert plan_yaml._Composer is not plan_yaml._PythonComposer  # the wheel has libyaml
    with_libyaml = parse(SHIPPED_TEXT)
    monkeypatch.setattr(plan_yaml, "_Composer", plan_yaml._PythonComposer)

    without = parse(SHIPPED_TEXT)
    deep = parse(MINIMAL + "deep: " + "[" * 2000 + "]" * 2000 + "\n")

    assert without.plan is not None
    assert without.plan == with_libyaml.plan
    assert [p.text.params.get("problem") for p in deep.problems] == ["too_deep"]


SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")
