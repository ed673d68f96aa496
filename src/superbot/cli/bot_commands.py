"""invite: a one-time code that binds a person's account — Telegram, 钉钉, 企业微信, 飞书 or
an email address — to superbot."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from superbot.cli import cli

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime


@cli.command()
@click.argument("person")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=7,  # service.people.INVITE_VALIDITY
    show_default=True,
    help="邀请码有效天数",
)
@click.pass_obj
def invite(runtime: Runtime, person: str, days: int) -> int:
    """为某人生成一次性绑定码和 Telegram 链接（人员编号见 tasks.yaml）。本人点开链接即完成绑定。"""
    import asyncio

    from telegram.error import TelegramError

    from superbot.service.errors import ServiceError
    from superbot.service.people import create_invite
    from superbot.service.status import load_plan

    try:
        plan = load_plan(runtime.store)
        made = create_invite(
            runtime.accounts, plan, person, runtime.now(), valid_for=timedelta(days=days)
        )
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1 if error.text.key == "status.not_synced" else 2
    username, problem = None, None
    if runtime.config.telegram_token is not None:
        try:
            username = asyncio.run(
                _username(runtime.config.telegram_token, runtime.config.telegram_api_url)
            )
        except TelegramError as error:
            problem = error.message
    runtime.echo(
        runtime.render(
            "cli/invite.txt",
            invite=made,
            person=plan.people[made.person_id],
            department=plan.departments[plan.people[made.person_id].department_id],
            expires=made.expires_at.astimezone(ZoneInfo(plan.settings.timezone)),
            username=username,
            token=runtime.config.telegram_token is not None,
            problem=problem,
            apps=sorted(runtime.config.apps),
            mailbox=runtime.mailbox
            if runtime.config.imap_url or runtime.config.inbound_smtp
            else None,
        )
    )
    return 0


async def _username(token: str, api_root: str) -> str:
    from superbot.channels.telegram import telegram_bot

    bot = telegram_bot(token, api_root)
    async with bot:
        return bot.username
