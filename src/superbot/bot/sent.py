"""After the outbox sends a Telegram message about a task: remember it, so that replying to
it reports on that task."""

from __future__ import annotations

from datetime import datetime

from superbot.bot.answers import TELEGRAM, message_ref
from superbot.service.conversation import Conversation
from superbot.service.outbox import Item, OnSent
from superbot.service.ports import Receipt


def remember_task_messages(conversation: Conversation) -> OnSent:
    def on_sent(item: Item, receipt: Receipt, now: datetime) -> None:
        if item.task_id and receipt.ref and receipt.ref.isdigit():
            ref = message_ref(int(item.recipient), int(receipt.ref))
            conversation.remember(TELEGRAM, ref, item.task_id, now)

    return on_sent
