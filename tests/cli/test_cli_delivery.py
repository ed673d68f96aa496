"""superbot send / bulletin, end to end: the real channels against local servers.

The June 通报 (``send bulletin --as-of 2022-07-01``) reaches every target in tasks.yaml —
the Telegram group, people's mailboxes, the leaders' mailbox, the 企业微信 and 钉钉 robots —
and a second run sends nothing new.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docx
import openpyxl
import pytest
from tests.conftest import Cli
from tests.fakes.clock import FakeClock
from tests.fakes.robots import RobotServer
from tests.fakes.smtp import SmtpServer, smtp_server
from tests.fakes.telegram_api import FakeTelegram

from superbot.config import Config
from superbot.plan.load import read_plan_file

GROUP = -1001234567890
PLAN = read_plan_file(Path(__file__).resolve().parents[1] / "plan.yaml").plan
assert PLAN is not None
SENDER = "督查科 <duban@example.gov.cn>"


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        server.add_group(GROUP, "xx区科技局工作群")
        yield server


@pytest.fixture
def mail() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def robots() -> Iterator[RobotServer]:
    with RobotServer() as server:
        yield server


@pytest.fixture
def live(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    tasks_file: Path,
    telegram: FakeTelegram,
    mail: SmtpServer,
    robots: RobotServer,
    cli_clock: FakeClock,
) -> Cli:
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'live.db'}",
        tasks_path=tasks_file,
        telegram_token=telegram.token,
        telegram_api_url=telegram.url,
        smtp_url=mail.url(),
        smtp_from=SENDER,
        outbox_dir=tmp_path / "outbox",
        environ=robots.environ(),
    )
    run = Cli(capsys, config, cli_clock)
    assert run("sync").status == 0
    return run


def test_the_june_bulletin_reaches_every_target_once(
    live: Cli, telegram: FakeTelegram, mail: SmtpServer, robots: RobotServer
) -> None:
    before = len(telegram.messages(GROUP))
    first = live("send", "bulletin", "--as-of", "2022-07-01")

    assert first.status == 0, first.out + first.err
    assert "督查通报 2022-06" in first.out

    # The group: a summary a phone shows at once, then the full 通报 as an HTML document.
    group = telegram.messages(GROUP)[before:]
    assert [m.method for m in group] == ["sendMessage", "sendDocument"]
    assert group[0].text.startswith("📣 督查通报 · 2022年6月")
    assert group[1].document is not None
    assert group[1].document.filename == "督查通报-2022-06.html"

    # Email: every owner of a lead department, its 分管领导, the coordinators and the leaders'
    # mailbox.
    leads = {t.lead for t in PLAN.tasks}
    leaders = {person for d in PLAN.departments if d.id in leads for person in d.leaders}
    owners = {
        p.email
        for p in PLAN.people
        if p.department_id in leads or p.id in PLAN.settings.coordinators or p.id in leaders
    }
    expected = owners | set(PLAN.settings.broadcast.emails)
    received = [address for d in mail.deliveries for address in d.rcpt_tos]
    assert sorted(received) == sorted(expected)
    message = mail.deliveries[0].parsed()
    assert message["Subject"] == "【督查通报】2022年6月 重点工作推进情况"
    assert message["From"].addresses[0].display_name == "督查科"
    assert message["Message-ID"]
    assert message["Date"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert "红灯" in text.get_content()
    assert html is not None
    assert "<script" not in html.get_content()
    word, attachment = list(message.iter_attachments())
    assert word.get_filename() == "督查通报-2022-06.docx"
    letter = docx.Document(io.BytesIO(word.get_content()))
    assert [p.text for p in letter.paragraphs[:2]] == ["督查通报", "第 1 期"]
    assert attachment.get_filename() == "督查通报-2022-06.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert "任务明细" in book.sheetnames

    # The robots named in tasks.yaml.
    assert len(robots.received("wecom")) == 1
    assert len(robots.received("dingtalk")) == 1
    assert "督查通报" in robots.received("dingtalk")[0].payload["markdown"]["title"]

    second = live("send", "bulletin", "--as-of", "2022-07-01")

    assert second.status == 0
    assert "此前已发送" in second.out
    assert len(telegram.messages(GROUP)) == before + 2
    assert len(mail.deliveries) == len(expected)
    assert len(robots.received("wecom")) == 1


def test_dry_run_shows_who_gets_what_and_sends_nothing(
    live: Cli, telegram: FakeTelegram, mail: SmtpServer
) -> None:
    before = len(telegram.requests)

    result = live("send", "bulletin", "--as-of", "2022-07-01", "--dry-run")

    assert result.status == 0
    assert "预览" in result.out
    assert "→ Telegram  -1001234567890" in result.out
    assert "→ 邮件  王丽（wangli@example.gov.cn）" in result.out  # the name, then the address
    assert "王丽" in result.out
    assert "leaders@example.gov.cn" in result.out
    assert len(telegram.requests) == before
    assert mail.deliveries == []


def test_reminders_go_to_owners_with_open_tasks(live: Cli, mail: SmtpServer) -> None:
    result = live("send", "reminders", "--as-of", "2022-06-20")

    assert result.status == 0, result.out + result.err
    subjects = {d.parsed()["Subject"] for d in mail.deliveries}
    assert any("6月" in s and "提醒" in s for s in subjects)
    coordinators_only = {p.email for p in PLAN.people if p.id in PLAN.settings.coordinators}
    leads = {t.lead for t in PLAN.tasks}
    # A department's 联络员 get its reminders; all its people when it names none.
    liaisons = {d.id: set(d.liaisons) for d in PLAN.departments}
    owners = {
        p.email
        for p in PLAN.people
        if p.department_id in leads
        and (not liaisons[p.department_id] or p.id in liaisons[p.department_id])
    }
    assert "linsy@example.gov.cn" not in owners  # 高新科 names 张建华 and 郑晓燕
    assert {a for d in mail.deliveries for a in d.rcpt_tos} == owners
    assert not (coordinators_only - owners) & {a for d in mail.deliveries for a in d.rcpt_tos}


def test_the_digest_goes_to_the_coordinators(live: Cli, mail: SmtpServer) -> None:
    result = live("send", "digest", "--as-of", "2022-07-04")

    assert result.status == 0, result.out + result.err
    coordinators = {p.email for p in PLAN.people if p.id in PLAN.settings.coordinators}
    assert {a for d in mail.deliveries for a in d.rcpt_tos} == coordinators
    assert "周报" in mail.deliveries[0].parsed()["Subject"]


def test_a_blocked_group_is_reported_not_retried(
    live: Cli, telegram: FakeTelegram, mail: SmtpServer
) -> None:
    telegram.fail_next(
        "sendMessage",
        chat_id=GROUP,
        status=403,
        description="Forbidden: bot was kicked from the supergroup chat",
    )

    result = live("send", "bulletin", "--as-of", "2022-08-01")

    assert result.status == 1
    assert "bot was kicked" in result.out
    assert mail.deliveries  # everyone else still got it


def test_bulletin_writes_the_same_bulletin_to_a_file(live: Cli, tmp_path: Path) -> None:
    for fmt in ("html", "md", "xlsx"):
        target = tmp_path / f"june.{fmt}"
        result = live("bulletin", "--month", "2022-06", "--format", fmt, "-o", str(target))
        assert result.status == 0, result.err
        assert target.stat().st_size > 1000
    assert "督查通报" in (tmp_path / "june.html").read_text(encoding="utf-8")
    assert "任务明细" in openpyxl.load_workbook(tmp_path / "june.xlsx").sheetnames
    bad = live("bulletin", "--month", "2022-13")
    assert bad.status == 2
    assert len(bad.err.strip().splitlines()) == 1


def test_the_console_script_sends_once_against_local_servers(
    tmp_path: Path, tasks_file: Path, telegram: FakeTelegram, mail: SmtpServer, robots: RobotServer
) -> None:
    """As a person would from a clean clone: environment variables and the installed command."""
    env = {
        **os.environ,
        "SUPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'script.db'}",
        "SUPERBOT_TASKS": str(tasks_file),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "SMTP_URL": mail.url(),
        "SMTP_FROM": SENDER,
        **robots.environ(),
    }
    superbot = Path(sys.executable).with_name("superbot")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(superbot), *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("sync").returncode == 0
    first = run("send", "bulletin", "--as-of", "2022-07-01")
    second = run("send", "bulletin", "--as-of", "2022-07-01")

    assert first.returncode == 0, first.stderr
    assert "送达" in first.stdout
    assert second.returncode == 0
    assert "此前已发送" in second.stdout
    assert len({a for d in mail.deliveries for a in d.rcpt_tos}) == len(mail.deliveries)
