"""invite: a one-time code that binds a person's account — Telegram, 钉钉, 企业微信, 飞书 or
an email address — to superbot."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from superbot.cli import cli

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime


@cli.command()
@click.argument("person", required=False)
@click.option("--all", "everyone", is_flag=True, help="为所有尚未绑定的人员各生成一个绑定码")
@click.option("--dept", default=None, help="为某单位尚未绑定的人员各生成一个（单位编号或名称）")
@click.option("--email", "by_email", is_flag=True, help="把各人的绑定码用邮件分别发给本人")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=7,  # service.people.INVITE_VALIDITY
    show_default=True,
    help="邀请码有效天数",
)
@click.pass_obj
def invite(
    runtime: Runtime,
    person: str | None,
    everyone: bool,
    dept: str | None,
    by_email: bool,
    days: int,
) -> int:
    """为某人生成一次性绑定码和 Telegram 链接（人员编号或姓名）；--all 或 --dept 为尚未绑定的人批量生成，--email 分别发到各人邮箱。本人点开链接或发送绑定码即完成绑定。

    \b
    例：superbot invite 张建华
    例：superbot invite --dept 高新科 --email
    """  # noqa: E501
    import asyncio

    from telegram.error import TelegramError

    from superbot.cli.loop_commands import deliver
    from superbot.service.delivery import INVITE
    from superbot.service.errors import ServiceError
    from superbot.service.people import bound_people, create_invite, find_department, find_person
    from superbot.service.ports import InviteMail
    from superbot.service.status import load_plan

    if sum((person is not None, everyone, dept is not None)) != 1:
        raise click.UsageError(runtime.text("cli.invite_whom"))
    if by_email and runtime.reach.mailbox("-") is None:
        runtime.echo(runtime.text("cli.invite_no_smtp"), err=True)
        return 1
    now = runtime.now()
    try:
        plan = load_plan(runtime.store)
        skipped = 0
        if person is not None:
            people = [find_person(plan, person, unknown="invite.unknown_person")]
        else:
            department = find_department(plan, dept) if dept is not None else None
            scope = [
                p
                for p in plan.people.values()
                if department is None or p.department_id == department.id
            ]
            bound = bound_people(plan)  # bound on a chat app or Telegram: no code needed
            people = [p for p in scope if p.id not in bound]
            skipped = len(scope) - len(people)
        made = [
            create_invite(runtime.accounts, plan, p.id, now, valid_for=timedelta(days=days))
            for p in people
        ]
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1 if error.text.key == "status.not_synced" else 2
    username, problem = None, None
    if runtime.config.telegram_token is not None and made:
        try:
            username = asyncio.run(
                _username(runtime.config.telegram_token, runtime.config.telegram_api_url)
            )
        except TelegramError as error:
            problem = error.message
    zone = plan.zone
    mailbox = runtime.mailbox if runtime.config.imap_url or runtime.config.inbound_smtp else None
    apps = sorted(runtime.config.apps)
    mailed = None
    if by_email and made:
        mails = [
            InviteMail(
                plan.people[m.person_id],
                plan.departments[plan.people[m.person_id].department_id],
                m.code,
                m.expires_at.astimezone(zone),
                link=f"https://t.me/{username}?start={m.code}" if username else None,
                apps=tuple(apps),
                mailbox=mailbox,
            )
            for m in made
        ]
        batch = made[0].code  # one run of the command: codes are random and never reused
        runtime.delivery.invites_by_email(mails, batch, now)
        mailed = deliver(runtime, INVITE, batch)
    if person is not None:
        first = made[0]
        runtime.echo(
            runtime.render(
                "cli/invite.txt",
                invite=first,
                person=plan.people[first.person_id],
                department=plan.departments[plan.people[first.person_id].department_id],
                expires=first.expires_at.astimezone(zone),
                username=username,
                token=runtime.config.telegram_token is not None,
                problem=problem,
                apps=apps,
                mailbox=mailbox,
                mailed=mailed,
                people=plan.people,
            )
        )
        return 0 if mailed is None or not mailed[1].failures else 1
    runtime.echo(
        runtime.render(
            "cli/invites.txt",
            invites=made,
            people=plan.people,
            departments=plan.departments,
            zone=zone,
            username=username,
            token=runtime.config.telegram_token is not None,
            problem=problem,
            apps=apps,
            mailbox=mailbox,
            mailed=mailed,
            skipped=skipped,
        )
    )
    return 0 if mailed is None or not mailed[1].failures else 1


async def _username(token: str, api_root: str) -> str:
    from superbot.channels.telegram import telegram_bot

    bot = telegram_bot(token, api_root)
    async with bot:
        return bot.username
