"""Honest, quiet, Chinese: every --help in the plan's language with an example, a database
or locale superbot cannot use said in one line, dates written as people write them.

Every command a CLI test runs in zh-CN is also checked for English sentences by the ``Cli``
fixture itself (tests/conftest.py), so each error the tests provoke is covered."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from tests.conftest import Cli
from tests.english import english_sentences
from tests.fakes.clock import FakeClock

from superbot.cli import cli as superbot
from superbot.cli import main
from superbot.config import Config

main(["--help"])  # registers every command
COMMANDS = sorted(superbot.list_commands(click.Context(superbot)))


def test_the_heuristic_finds_click_english() -> None:
    assert english_sentences("  -h, --help  Show this message and exit.")
    assert english_sentences("connection failed: connection to server at 127.0.0.1")
    assert not english_sentences("用法：superbot report [选项] TASK")
    assert not english_sentences("  --state [on_track|at_risk|blocked]  on_track 正常")


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_chinese_with_an_example(cli: Cli, command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = cli(*args)  # the fixture refuses English sentences
    assert result.status == 0
    out = result.out
    assert out.startswith(f"用法：superbot{'' if command is None else ' ' + command} ")
    for english in ("Usage:", "Options:", "Show this message", "[default:", "<=x<="):
        assert english not in out, english
    if command is not None:
        assert "例：superbot " + command in out
        assert "选项：" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_says_what_it_is(command: str) -> None:
    found = superbot.commands[command]
    for param in found.params:
        if isinstance(param, click.Option):
            assert param.help, f"superbot {command} {param.opts[0]} has no help"


def test_defaults_and_ranges_in_chinese(cli: Cli) -> None:
    out = cli("schedule", "--help").out
    assert "-n 整数            每个日程显示几次  [默认：5；范围 1–100]" in out


@pytest.fixture
def with_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tasks_file: Path, cli_clock: FakeClock
):  # type: ignore[no-untyped-def]
    def make(url: str, locale: str | None = None) -> Cli:
        config = Config(
            database_url=url,
            tasks_path=tasks_file,
            outbox_dir=tmp_path / "outbox",
            locale=locale,
            environ={},
        )
        return Cli(capsys, config, cli_clock)

    return make


def one_line(text: str) -> str:
    assert text.count("\n") == 1, text
    assert "Traceback" not in text
    return text.rstrip("\n")


def test_mysql_is_one_line_naming_what_works(with_database) -> None:  # type: ignore[no-untyped-def]
    result = with_database("mysql://user:secret@db.example/plan")("status")
    assert result.status == 2
    assert one_line(result.err) == (
        "SUPERBOT_DATABASE_URL=mysql://user:***@db.example/plan 不受支持："
        "superbot 使用 SQLite（sqlite:///superbot.db）或 PostgreSQL（postgresql://用户:密码@主机:5432/库名）"
    )


def test_an_unreachable_postgresql_is_one_line(with_database) -> None:  # type: ignore[no-untyped-def]
    result = with_database("postgresql://postgres:secret@127.0.0.1:9/plan")("status")
    assert result.status == 1
    assert one_line(result.err) == (
        "连不上数据库 postgresql://postgres:***@127.0.0.1:9/plan：连接被拒绝（该地址和端口上没有数据库在运行）。"
        "请确认数据库已启动、地址和密码无误（SUPERBOT_DATABASE_URL）"
    )


def test_an_unknown_locale_is_one_line(with_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = with_database(f"sqlite:///{tmp_path / 'x.db'}", locale="fr")("status")
    assert result.status == 2
    assert one_line(result.err) == "SUPERBOT_LOCALE=fr 不受支持，可用的语言：zh-CN、en"
    assert not (tmp_path / "x.db").exists()


def test_dates_without_leading_zeros(cli: Cli) -> None:
    padded = cli("schedule", "--from", "2022-09-25", "-n", "2")
    short = cli("schedule", "--from", "2022-9-25", "-n", "2")
    assert short.status == padded.status == 0
    assert short.out == padded.out


def test_extra_words_are_named(cli: Cli) -> None:
    result = cli("sync", "--dry-run", "extra")
    assert result.status == 2
    assert (
        one_line(result.err)
        == "superbot sync：参数有误：多出了 extra（用 superbot sync --help 查看用法）"
    )
