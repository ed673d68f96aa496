"""The command menu Telegram shows: owners' commands for everyone in private, coordinators'
on top in their own chats, only /help in groups."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from superbot.bot.answers import Answers

OWNER, COORDINATOR, GROUP = "owner", "coordinator", "group"


async def show_commands(bot: Bot, answers: Answers, coordinators: Iterable[int]) -> None:
    await bot.set_my_commands(_commands(answers, OWNER), scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(_commands(answers, GROUP), scope=BotCommandScopeAllGroupChats())
    for chat_id in coordinators:
        await show_coordinator_commands(bot, chat_id, answers)


async def show_coordinator_commands(bot: Bot, chat_id: int, answers: Answers) -> None:
    try:
        await bot.set_my_commands(
            _commands(answers, COORDINATOR), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError:  # a coordinator who never opened the chat: the menu can wait
        return


def _commands(answers: Answers, role: str) -> list[BotCommand]:
    return [BotCommand(name, about) for name, about in answers.commands(role)]
