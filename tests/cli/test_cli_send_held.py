"""A configuration error holds the round instead of failing it; `--retry-failed` requeues a
round's failures. What `superbot send` says is what the coordinator reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.conftest import Cli
from tests.fakes.clock import FakeClock
from tests.fakes.smtp import SmtpServer, smtp_server
from tests.fakes.telegram_api import FakeTelegram

from superbot.config import Config
from superbot.store.db import make_engine

PEOPLE = 4
SEND = ("send", "reminders", "--as-of", "2022-06-20")


def plan() -> str:
    lines = ["plan:", "  name: 测试计划", "  timezone: Asia/Shanghai", "  holidays: weekends"]
    lines.append("departments:")
    for n in range(PEOPLE):
        lines += [f"  - id: d{n}", f"    name: 部门{n}", "    people:"]
        lines += [f"      - id: p{n}", f"        name: 人员{n}", f"        telegram: {1000 + n}"]
        lines += [f"        email: p{n}@example.gov.cn"]
    lines += ["coordinators: [p0]", "campaigns:", "  - id: c", "    name: 专项", "    tasks:"]
    for n in range(PEOPLE):
        lines += [f"      - id: t{n}", f"        title: 任务{n}", f"        lead: d{n}"]
        lines += ["        start: 2022-01-01", "        due: 2022-12-31"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        for n in range(PEOPLE):
            server.add_user(1000 + n, first_name=f"人员{n}")
        yield server


@pytest.fixture
def mail() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, telegram: FakeTelegram, mail: SmtpServer) -> Config:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(plan(), encoding="utf-8")
    return Config(
        database_url=f"sqlite:///{tmp_path / 'held.db'}",
        tasks_path=tasks,
        telegram_token=telegram.token,
        telegram_api_url=telegram.url,
        smtp_url=mail.url(),
        smtp_from="督查科 <duban@example.gov.cn>",
        outbox_dir=tmp_path / "outbox",
        environ={},
    )


def test_a_mistyped_api_url_holds_the_round_until_it_is_fixed(
    capsys: pytest.CaptureFixture[str],
    cli_clock: FakeClock,
    config: Config,
    telegram: FakeTelegram,
    mail: SmtpServer,
) -> None:
    assert Cli(capsys, config, cli_clock)("sync").status == 0
    broken = Cli(capsys, replace(config, telegram_api_url=telegram.url + "/telegram"), cli_clock)

    held = broken(*SEND)

    assert held.status == 1  # nothing was delivered
    assert "Telegram 的配置有误，经它发送的消息暂存（不算失败）" in held.out
    assert "服务器的回答：telegram: " in held.out
    assert "TELEGRAM_BOT_TOKEN 和 TELEGRAM_API_URL" in held.out
    assert "失败" not in held.out.replace("不算失败", "")
    assert telegram.messages() == []
    # The coordinator hears it by email, the channel that works — once.
    [notice] = [d.parsed() for d in mail.deliveries]
    assert notice["Subject"] == "【发送暂停】Telegram 的配置有误，消息暂存待发"
    assert broken(*SEND).status == 1
    assert len(mail.deliveries) == 1

    fixed = Cli(capsys, config, cli_clock)(*SEND)

    assert fixed.status == 0, fixed.out
    for n in range(PEOPLE):
        assert len(telegram.messages(1000 + n)) == 2  # the head and the task
    assert "本次送达 8 条" in fixed.out


def test_retry_failed_sends_a_rounds_failures_again(
    capsys: pytest.CaptureFixture[str], cli_clock: FakeClock, config: Config, telegram: FakeTelegram
) -> None:
    cli = Cli(capsys, config, cli_clock)
    assert cli("sync").status == 0
    telegram.block(1002)

    first = cli(*SEND)
    again = cli(*SEND)

    assert first.status == again.status == 1
    assert "人员2（1002）" in first.out
    assert "--retry-failed" in again.out
    telegram.unblock(1002)
    retried = cli(*SEND, "--retry-failed")
    assert retried.status == 0, retried.out
    assert "2 条此前失败的消息已重新排队" in retried.out  # its head and its task
    assert len(telegram.messages(1002)) == 2


TOKEN = "7000000001:AAWrongTokenWrongToken_0123456789"


def test_a_rejected_token_reaches_no_output_table_or_notice(
    capsys: pytest.CaptureFixture[str],
    cli_clock: FakeClock,
    config: Config,
    telegram: FakeTelegram,
    mail: SmtpServer,
) -> None:
    assert Cli(capsys, config, cli_clock)("sync").status == 0
    wrong = Cli(capsys, replace(config, telegram_token=TOKEN), cli_clock)

    sent = wrong(*SEND)

    secret = TOKEN.partition(":")[2]
    assert sent.status == 1
    assert "配置有误" in sent.out
    assert secret not in sent.out + sent.err
    engine = make_engine(config.database_url)
    with engine.connect() as connection:
        errors = connection.execute(text("SELECT last_error FROM outbox")).scalars().all()
    engine.dispose()
    assert any(e and "***" in e for e in errors)
    assert not any(e and secret in e for e in errors)
    [notice] = [d.parsed() for d in mail.deliveries]
    assert secret not in notice.as_string()


def test_a_person_with_only_an_email_and_no_smtp_is_told_so_in_chinese(
    capsys: pytest.CaptureFixture[str], cli_clock: FakeClock, config: Config, telegram: FakeTelegram
) -> None:
    config.tasks_path.write_text(plan().replace("        telegram: 1001\n", ""), encoding="utf-8")
    cli = Cli(capsys, replace(config, smtp_url=None), cli_clock)
    assert cli("sync").status == 0

    sent = cli(*SEND)

    assert sent.status == 1
    assert "人员1（p1）：此人只有邮箱，但没有配置 SMTP（SMTP_URL），邮件发不出" in sent.out
