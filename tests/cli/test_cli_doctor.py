"""`superbot doctor` against the real things it checks: the fake Bot API, a real SMTP server
with AUTH (aiosmtpd), a real IMAP server (Dovecot), the fake 钉钉/企业微信/飞书 APIs, real
SQLite and PostgreSQL. Each broken thing is asserted by what the doctor says about it, and
no secret the configuration holds ever appears in what it prints."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from tests.conftest import Cli, Result
from tests.fakes.dingtalk_api import FakeDingtalk
from tests.fakes.dingtalk_api import settings as dingtalk_settings
from tests.fakes.dovecot import PASSWORD, Dovecot, dovecot_problem, dovecot_server
from tests.fakes.feishu_api import FakeFeishu
from tests.fakes.feishu_api import settings as feishu_settings
from tests.fakes.smtp import smtp_server, unused_port
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wecom_api import FakeWecom
from tests.fakes.wecom_api import settings as wecom_settings

from superbot.config import Config
from superbot.store.db import make_engine

NOW = datetime(2022, 6, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SMTP_USER, SMTP_PASSWORD = "duban", "smtp-Pa55word-xyz"
WECOM_ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robotkey-0f3a9c"
DINGTALK_ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=dingrobottoken-77ab"
DINGTALK_SIGN = "SECdingtalk-robot-sign-secret"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    problem = dovecot_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the IMAP tests: {problem}")
        pytest.skip(problem)
    with dovecot_server() as server:
        yield server


@pytest.fixture
def synced(cli: Cli) -> Cli:
    assert cli("sync").status == 0
    cli.clock = lambda: NOW
    return cli


def doctor(cli: Cli, config: Config, *args: str) -> Result:
    cli.config = config
    return cli("doctor", *args)


def line(result: Result, words: str) -> str:
    """The one line of the doctor's output holding ``words``."""
    found = [ln for ln in result.out.splitlines() if words in ln]
    assert len(found) == 1, result.out
    return found[0]


def robots(environ: dict[str, str]) -> dict[str, str]:
    """The shipped plan's two group robots (WECOM_URL; DINGTALK_URL signed with
    DINGTALK_SECRET), set."""
    return {
        "WECOM_URL": WECOM_ROBOT,
        "DINGTALK_URL": DINGTALK_ROBOT,
        "DINGTALK_SECRET": DINGTALK_SIGN,
    } | environ


def test_everything_reachable_and_accepted_is_all_good_and_shows_no_secret(
    synced: Cli, dovecot: Dovecot
) -> None:
    user = "doctor-all-good"
    with (
        FakeTelegram() as telegram,
        smtp_server(credentials=(SMTP_USER, SMTP_PASSWORD)) as smtp,
        FakeWecom(set()) as wecom,
        FakeDingtalk(set()) as dingtalk,
        FakeFeishu(set()) as feishu,
    ):
        environ = robots(
            {
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_URL": telegram.url,
                "SMTP_URL": smtp.url(SMTP_USER, SMTP_PASSWORD),
                "SMTP_FROM": "督查科 <duban@example.gov.cn>",
                "IMAP_URL": dovecot.url(user),
            }
            | wecom_settings(wecom)
            | dingtalk_settings(dingtalk)
            | feishu_settings(feishu)
        )
        config = replace(
            Config.from_env(environ, dotenv=None),
            database_url=synced.config.database_url,
            tasks_path=synced.config.tasks_path,
            files_dir=synced.config.tasks_path.parent / "files",
        )
        result = doctor(synced, config, "--min-free-mb", "1")

    assert result.status == 0, result.out
    assert "✗" not in result.out
    assert "!" not in result.out
    assert "一切正常" in result.out
    assert "@superbot_test_bot 的令牌有效" in line(result, "Telegram")
    assert f"{SMTP_USER} 登录成功" in line(result, "SMTP")
    assert f"{user} 登录成功，邮件夹 INBOX 可读" in line(result, "IMAP")
    for platform in ("钉钉应用", "企业微信应用", "飞书应用"):
        assert "凭据有效" in line(result, platform)
    assert "WECOM_URL 的地址格式正确" in line(result, "企业微信群机器人")
    assert "表结构是最新的" in line(result, "数据库")
    assert "校验通过" in line(result, "任务清单")
    # The next fire of each schedule, in the plan's zone, from the doctor's clock.
    assert "2022-07-01 09:00" in line(result, "督查通报下次发送")
    assert "2022-06-27 08:30" in line(result, "督查周报下次发送")
    assert "2022-07-20 09:00" in line(result, "月度提醒下次发送")
    secrets = [telegram.token, SMTP_PASSWORD, PASSWORD, "robotkey-0f3a9c", "dingrobottoken-77ab"]
    secrets += [v for k, v in environ.items() if k.endswith(("SECRET", "TOKEN", "AES_KEY"))]
    for secret in secrets:
        assert secret not in result.out + result.err, secret
    assert len(wecom.requests) == 1
    assert wecom.requests[0].path == "/cgi-bin/gettoken"
    assert smtp.deliveries == []  # it logged in and sent nothing


def test_a_token_telegram_refuses_is_said_without_showing_it(synced: Cli) -> None:
    with FakeTelegram() as telegram:
        wrong = telegram.token[:-4] + "XXXX"
        config = replace(
            synced.config,
            telegram_token=wrong,
            telegram_api_url=telegram.url,
            environ=robots({}),
        )
        result = doctor(synced, config, "--min-free-mb", "1")

    assert result.status == 1
    assert "Telegram 不认 TELEGRAM_BOT_TOKEN" in line(result, "✗")
    assert "@BotFather" in result.out
    assert wrong not in result.out
    assert wrong.partition(":")[2] not in result.out


def test_telegram_unreachable(synced: Cli) -> None:
    config = replace(
        synced.config,
        telegram_token="123:abcdefghijklmnop",
        telegram_api_url=f"http://127.0.0.1:{unused_port()}",
        environ=robots({}),
    )
    result = doctor(synced, config, "--min-free-mb", "1")
    assert result.status == 1
    assert "连不上 Telegram" in line(result, "✗")
    assert "abcdefghijklmnop" not in result.out


def test_smtp_wrong_password_and_nothing_listening(synced: Cli) -> None:
    with smtp_server(credentials=(SMTP_USER, SMTP_PASSWORD)) as smtp:
        wrong = "wrong-Passw0rd-123"
        config = replace(
            synced.config,
            smtp_url=smtp.url(SMTP_USER, wrong),
            smtp_from="督查科 <duban@example.gov.cn>",
            environ=robots({}),
        )
        refused = doctor(synced, config, "--min-free-mb", "1")
    closed = doctor(
        synced,
        replace(config, smtp_url=f"smtp://{SMTP_USER}:{wrong}@127.0.0.1:{unused_port()}"),
        "--min-free-mb",
        "1",
    )

    assert refused.status == 1
    assert "拒绝登录：请检查 SMTP_URL 里的用户名和密码" in line(refused, "✗")
    assert closed.status == 1
    assert "连不上 SMTP 服务器 127.0.0.1:" in line(closed, "✗")
    for result in (refused, closed):
        assert wrong not in result.out


def test_smtp_without_sender_is_worth_a_look_but_not_a_failure(synced: Cli) -> None:
    with smtp_server() as smtp:
        config = replace(synced.config, smtp_url=smtp.url(), environ=robots({}))
        result = doctor(synced, config, "--min-free-mb", "1")
    assert result.status == 0, result.out
    assert "没有设置 SMTP_FROM" in line(result, "!")


def test_a_server_that_never_answers_is_reported_after_the_timeout(synced: Cli) -> None:
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        config = replace(
            synced.config, smtp_url=f"smtp://127.0.0.1:{port}?timeout=60", environ=robots({})
        )
        result = doctor(synced, config, "--min-free-mb", "1", "--timeout", "1")
    assert result.status == 1
    assert "SMTP 邮件服务器 在 1 秒内没有答复" in line(result, "✗")


def test_imap_wrong_password_and_missing_folder(synced: Cli, dovecot: Dovecot) -> None:
    user = "doctor-imap"
    wrong = dovecot.url(user).replace(PASSWORD, "not-the-Passw0rd")
    config = replace(synced.config, imap_url=wrong, environ=robots({}))
    refused = doctor(synced, config, "--min-free-mb", "1")
    folder = dovecot.url(user).replace("/INBOX", "/NoSuchFolder")
    missing = doctor(synced, replace(config, imap_url=folder), "--min-free-mb", "1")

    assert refused.status == 1
    assert "拒绝登录：请检查 IMAP_URL 里的用户名和密码" in line(refused, "✗")
    assert "not-the-Passw0rd" not in refused.out
    assert missing.status == 1
    assert "打不开邮件夹 NoSuchFolder" in line(missing, "✗")
    assert PASSWORD not in missing.out


@pytest.mark.parametrize(
    ("fake", "settings", "secret", "name"),
    [
        (FakeWecom, wecom_settings, "WECOM_SECRET", "企业微信应用"),
        (FakeDingtalk, dingtalk_settings, "DINGTALK_CLIENT_SECRET", "钉钉应用"),
        (FakeFeishu, feishu_settings, "FEISHU_APP_SECRET", "飞书应用"),
    ],
)
def test_each_chat_app_with_a_wrong_secret(
    synced: Cli, fake: type, settings: object, secret: str, name: str
) -> None:
    with fake(set()) as platform:
        environ = robots(settings(platform)) | {secret: "a-wrong-app-secret-42"}  # type: ignore[operator]
        config = replace(
            Config.from_env(environ, dotenv=None),
            database_url=synced.config.database_url,
            tasks_path=synced.config.tasks_path,
        )
        result = doctor(synced, config, "--min-free-mb", "1")
    assert result.status == 1
    assert f"{name}取不到访问令牌" in line(result, "✗")
    assert secret.partition("_")[0] in line(result, "✗")  # names the variables to check
    assert "a-wrong-app-secret-42" not in result.out


def test_group_robots_unset_malformed_or_unsigned(synced: Cli, tasks_file: Path) -> None:
    assert "secret_env: DINGTALK_SECRET" in tasks_file.read_text(encoding="utf-8")
    smtp_configured = f"smtp://127.0.0.1:{unused_port()}"  # a real run, not a trial
    base = replace(synced.config, smtp_url=smtp_configured)

    unset = doctor(synced, replace(base, environ={}), "--min-free-mb", "1")
    assert "环境变量 WECOM_URL 没有设置" in line(unset, "企业微信群机器人")
    assert line(unset, "企业微信群机器人").startswith("✗")

    malformed = {"WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}  # no key
    malformed |= {"DINGTALK_URL": DINGTALK_ROBOT}
    result = doctor(synced, replace(base, environ=malformed), "--min-free-mb", "1")
    assert "WECOM_URL 不像企业微信群机器人的 Webhook 地址" in line(result, "企业微信群机器人")
    assert "加签密钥的环境变量 DINGTALK_SECRET 没有设置" in line(result, "钉钉群机器人")

    result = doctor(synced, replace(base, environ=robots({})), "--min-free-mb", "1")
    assert line(result, "企业微信群机器人").startswith("✓")
    assert line(result, "钉钉群机器人").startswith("✓")
    assert DINGTALK_SIGN not in result.out
    assert "dingrobottoken" not in result.out


def test_a_trial_run_says_messages_only_go_to_files(synced: Cli) -> None:
    result = doctor(synced, replace(synced.config, environ={}), "--min-free-mb", "1")
    assert result.status == 0, result.out
    assert "试运行" in line(result, "没有配置任何发送渠道")
    assert line(result, "WECOM_URL").startswith("!")  # written to a file meanwhile


def test_database_missing_empty_and_behind(cli: Cli, tmp_path: Path) -> None:
    cli.clock = lambda: NOW
    missing = doctor(cli, replace(cli.config, environ=robots({})), "--min-free-mb", "1")
    assert missing.status == 1
    assert "不存在：先运行 superbot sync" in line(missing, "数据库文件")
    assert not Path(cli.config.database_url.removeprefix("sqlite:///")).exists()  # not created

    empty = tmp_path / "empty.db"
    make_engine(f"sqlite:///{empty}").connect().close()
    config = replace(cli.config, database_url=f"sqlite:///{empty}", environ=robots({}))
    result = doctor(cli, config, "--min-free-mb", "1")
    assert "还没有 superbot 的表" in line(result, "数据库")

    assert cli("sync").status == 0
    engine = make_engine(cli.config.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001_initial_schema'"))
    engine.dispose()
    result = doctor(cli, replace(cli.config, environ=robots({})), "--min-free-mb", "1")
    assert result.status == 1
    assert "表结构版本是 0001_initial_schema" in line(result, "数据库")
    assert "启动一次 superbot run 即自动升级" in result.out


def test_postgresql_reachable_and_unreachable(cli: Cli, postgres_url: str) -> None:
    cli.config = replace(cli.config, database_url=postgres_url)
    assert cli("sync").status == 0
    cli.clock = lambda: NOW
    good = doctor(cli, replace(cli.config, environ=robots({})), "--min-free-mb", "1")
    assert good.status == 0, good.out
    assert "连接正常，表结构是最新的" in line(good, "数据库 postgresql")

    password = "pg-Secret-pw-9"
    down = f"postgresql://superbot:{password}@127.0.0.1:{unused_port()}/superbot"
    bad = doctor(
        cli, replace(cli.config, database_url=down, environ=robots({})), "--min-free-mb", "1"
    )
    assert bad.status == 1
    assert "连不上数据库 postgresql+psycopg://superbot:***@127.0.0.1" in line(bad, "✗")
    assert password not in bad.out


def test_an_invalid_task_list_says_where_and_that_the_last_good_plan_runs(
    synced: Cli, tasks_file: Path
) -> None:
    tasks_file.write_text(
        tasks_file.read_text(encoding="utf-8").replace("due: 2022-12-31", "due: 2022-13-31", 1),
        encoding="utf-8",
    )
    result = doctor(synced, replace(synced.config, environ=robots({})), "--min-free-mb", "1")
    assert result.status == 1
    found = line(result, "任务清单")
    assert found.startswith("✗")
    assert "处错误，第一处在第" in found
    assert "继续按数据库里上一版清单工作" in found
    assert "督查通报下次发送" in result.out  # the schedules of the plan that runs


def test_a_task_list_changed_since_the_last_sync_is_worth_a_look(
    synced: Cli, tasks_file: Path
) -> None:
    tasks_file.write_text(tasks_file.read_text(encoding="utf-8") + "\n# edited\n", "utf-8")
    result = doctor(synced, replace(synced.config, environ=robots({})), "--min-free-mb", "1")
    assert result.status == 0
    assert line(result, "在上次同步之后改过").startswith("!")


def test_too_little_disk_space_for_the_files(synced: Cli) -> None:
    result = doctor(
        synced, replace(synced.config, environ=robots({})), "--min-free-mb", "100000000"
    )
    assert result.status == 1
    assert "至少要 100000000 MB" in line(result, "文件目录")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_a_files_folder_that_cannot_be_written(synced: Cli, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    config = replace(synced.config, files_dir=locked / "files", environ=robots({}))
    result = doctor(synced, config, "--min-free-mb", "1")
    assert result.status == 1
    assert "无法写入" in line(result, "文件目录")


def test_the_command_line_defaults_are_the_doctors() -> None:
    from superbot import doctor
    from superbot.cli import doctor_commands

    assert doctor_commands.MIN_FREE_MB * 1024 * 1024 == doctor.MIN_FREE_BYTES
    assert doctor_commands.TIMEOUT == doctor.TIMEOUT_SECONDS
