"""doctor: is everything superbot needs there, reachable and accepting its credentials?"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from superbot.cli import cli

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime
    from superbot.doctor import Finding

# superbot.doctor's MIN_FREE_BYTES (in MB) and TIMEOUT_SECONDS, written out so that listing the
# commands does not load the doctor (Telegram, SQLAlchemy, the mail clients); a test keeps
# them equal.
MIN_FREE_MB = 500
TIMEOUT = 15


@cli.command()
@click.option(
    "--min-free-mb",
    type=click.IntRange(0),
    default=MIN_FREE_MB,
    show_default=True,
    help="文件目录所在磁盘至少要有多少 MB 可用空间",
)
@click.option(
    "--timeout",
    type=click.IntRange(1, 300),
    default=TIMEOUT,
    show_default=True,
    help="每项联网检查最多等多少秒",
)
@click.pass_obj
def doctor(runtime: Runtime, min_free_mb: int, timeout: int) -> int:
    """逐项检查运行条件：Telegram、邮件、各聊天应用、群机器人、数据库、任务清单、日程、磁盘；有问题时说明怎么改，退出码为 1。不发送任何消息，不显示任何密钥。

    \b
    例：superbot doctor
    例：superbot doctor --timeout 30 --min-free-mb 2000
    """  # noqa: E501
    from superbot.doctor import Verdict
    from superbot.plan.load import read_plan_file
    from superbot.render.environment import FALLBACK_LOCALE

    if runtime.config.locale is None and "locale" not in runtime.__dict__:
        # The usual locale comes from the plan in the database, which opening would migrate:
        # the doctor reads the plan's from tasks.yaml instead and leaves the database as it is.
        loaded = read_plan_file(runtime.config.tasks_path)
        runtime.__dict__["locale"] = (
            loaded.plan.settings.locale if loaded.plan is not None else FALLBACK_LOCALE
        )
    findings = asyncio.run(_examine(runtime, min_free_mb, timeout))
    runtime.echo(runtime.render("cli/doctor.txt", findings=findings))
    return 1 if any(f.verdict is Verdict.FAIL for f in findings) else 0


async def _examine(runtime: Runtime, min_free_mb: int, seconds_each: int) -> list[Finding]:
    from superbot.doctor import examine

    config = runtime.config
    bot = runtime.telegram_bot if config.telegram_token is not None else None
    try:
        return await examine(
            config,
            now=runtime.now(),
            telegram_bot=(lambda: bot) if bot is not None else None,
            app_channels=runtime.app_channels,
            imap_done=runtime.text("mail.handled_folder"),
            min_free=min_free_mb * 1024 * 1024,
            seconds_each=seconds_each,
        )
    finally:
        for channel in runtime.app_channels.values():
            await channel.aclose()
