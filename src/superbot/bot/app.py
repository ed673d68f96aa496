"""The Telegram bot: one Application with every handler, run inside our own event loop.

Updates arrive by long polling (the default) or by webhook behind HTTPS, at ``/telegram`` on
superbot's HTTP server; both go through the same handlers. A handler parses the update,
calls one use case and answers through a template (:mod:`superbot.bot.answers`); refusals
and failures go to the one error handler.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.error import Conflict, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from superbot.bot import binding, buttons, commands, coordinators, groups, replies
from superbot.bot.answers import TELEGRAM, Answers, Context, Services
from superbot.bot.duplicates import drop_duplicate
from superbot.bot.errors import on_error
from superbot.bot.menu import show_commands
from superbot.render.environment import Templates
from superbot.render.messages import MessageRenderer
from superbot.server.inbound import WEBHOOK_BYTES, Refused, body
from superbot.service.conversation import Conversation
from superbot.service.supervision import Supervision

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
PATH = "/telegram"  # where the HTTP server takes the webhook
log = logging.getLogger("superbot.bot")

POLL_TIMEOUT = 30  # seconds a getUpdates call waits for news
# An instance that has polled this long when a 409 Conflict arrives was first: it polls on,
# and the instance that started since gets the next 409 and steps back.
SETTLED_POLLING = timedelta(seconds=2 * POLL_TIMEOUT)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
OWNER_COMMANDS: dict[str, Handler] = {
    "start": binding.start,
    "tasks": commands.tasks,
    "report": commands.report,
    "cancel": commands.cancel,
    "done": commands.done,
    "extend": commands.extend,
    "history": commands.history,
    "help": commands.help_,
}
COORDINATOR_COMMANDS: dict[str, Handler] = {
    "status": coordinators.status,
    "overdue": coordinators.overdue,
    "who": coordinators.who,
    "remind": coordinators.remind,
    "retry": coordinators.retry,
    "bulletin": coordinators.bulletin,
    "reload": coordinators.reload,
}

Bot = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Webhook:
    """``superbot run --webhook URL``: Telegram POSTs updates to ``url``, which a proxy hands
    to the HTTP server's ``/telegram``; ``secret`` is checked on every request."""

    url: str
    secret: str

    @property
    def paths(self) -> list[str]:
        """``/telegram``, and the URL's own path for a proxy that passes it unchanged."""
        own = "/" + urlsplit(self.url).path.strip("/")
        return list(dict.fromkeys([PATH, own]))


def build_application(
    *,
    token: str,
    api_root: str,
    conversation: Conversation,
    supervision: Supervision,
    templates: Templates,
    renderer: MessageRenderer,
    clock: Callable[[], datetime],
    dispatch: Callable[[], Awaitable[object]] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Bot:
    """Every handler wired; nothing runs until :func:`serve`."""
    root = api_root.rstrip("/")
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .request(HTTPXRequest(connection_pool_size=16, read_timeout=20.0, write_timeout=20.0))
        .get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=10.0))
        .build()
    )
    answers = Answers(templates, renderer)
    application.bot_data["services"] = Services(
        conversation, supervision, answers, clock, dispatch, sleep
    )
    application.add_handler(TypeHandler(Update, drop_duplicate), group=-1)

    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    every = {**OWNER_COMMANDS, **COORDINATOR_COMMANDS}
    application.add_handler(
        CommandHandler(list(every), groups.in_group, filters=filters.ChatType.GROUPS & new)
    )
    for name, callback in every.items():
        application.add_handler(CommandHandler(name, callback, filters=private & new))
    application.add_handler(MessageHandler(private & new & filters.COMMAND, commands.unknown))
    # New and edited text: an edited reply updates the report it made.
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, replies.text))
    evidence = filters.PHOTO | filters.Document.ALL
    application.add_handler(MessageHandler(private & new & evidence, replies.files))
    application.add_handler(MessageHandler(private & new & ~filters.TEXT, replies.not_text))
    application.add_handler(CallbackQueryHandler(buttons.press, pattern=buttons.is_answer))
    application.add_handler(CallbackQueryHandler(buttons.choose, pattern=buttons.is_choice))
    application.add_handler(CallbackQueryHandler(buttons.decide, pattern=buttons.is_decision))
    application.add_handler(CallbackQueryHandler(buttons.unknown))
    application.add_error_handler(on_error)
    return application


async def serve(
    application: Bot,
    stop: asyncio.Event,
    webhook: Webhook | None = None,
    ready: asyncio.Event | None = None,
    another_poller: Callable[[str | None], None] | None = None,
) -> None:
    """Run the bot until ``stop`` is set: polling, or a webhook server with its secret.
    ``ready`` is set once updates are being received. When another instance polls the same
    bot, the newer one stops polling (``another_poller`` is told) and runs on otherwise."""
    found: Services = application.bot_data["services"]
    async with application:
        found.answers.bot_name = application.bot.username
        coordinators = found.conversation.coordinator_accounts(TELEGRAM)
        await show_commands(application.bot, found.answers, [int(c) for c in coordinators])
        await application.start()
        updater = application.updater
        assert updater is not None
        if webhook is None:
            started = found.clock()

            def polling_failed(error: TelegramError) -> None:
                if not isinstance(error, Conflict) or not updater.running:
                    log.warning("getUpdates failed: %s", error)
                    return
                if found.clock() - started > SETTLED_POLLING:
                    # The newcomer terminated our poll: polling again terminates its poll, and
                    # it is the one that steps back.
                    log.warning("another instance polls this bot; this one polls on")
                    return
                application.create_task(updater.stop(), name="stop polling")
                if another_poller is not None:
                    another_poller(application.bot.username)

            await updater.start_polling(
                timeout=POLL_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=polling_failed,
            )
        else:  # updates arrive through the HTTP server (webhook_routes)
            await application.bot.set_webhook(
                webhook.url, secret_token=webhook.secret, allowed_updates=ALLOWED_UPDATES
            )
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            if updater.running:
                await updater.stop()
            await application.stop()


def webhook_routes(application: Bot, webhook: Webhook) -> list[Route]:
    """The webhook on the HTTP server: a request without the secret token is refused before
    its body is read; an update is handed to the bot's queue as polling would."""

    async def receive(request: Request) -> Response:
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not hmac.compare_digest(given.encode(), webhook.secret.encode()):
            return Refused(403, "wrong secret token").response()
        try:
            data = json.loads(await body(request, WEBHOOK_BYTES))
        except Refused as refused:
            return refused.response()
        except ValueError:
            return Refused(400, "not JSON").response()
        if not isinstance(data, dict):
            return Refused(400, "not an update").response()
        await application.update_queue.put(Update.de_json(data, application.bot))
        return Response(status_code=200)

    return [Route(path, receive, methods=["POST"]) for path in webhook.paths]
