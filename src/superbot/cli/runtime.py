"""The one place that builds objects: configuration in, store/templates/channels out."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, TextIO
from zoneinfo import ZoneInfo

import click

from superbot.config import Config
from superbot.domain.text import Text

# Every other part is imported where it is built: a command pays for what it uses, and
# `superbot status` does not load Telegram, the chat apps or the mail readers.
if TYPE_CHECKING:
    import jinja2
    import telegram

    from superbot.bot.app import Bot as BotApplication
    from superbot.bot.app import Webhook
    from superbot.channels.app import AppChannel
    from superbot.channels.imap import ImapInbox
    from superbot.channels.smtp_inbound import InboundSmtp
    from superbot.chat.app import ChatApp
    from superbot.domain.periods import Period
    from superbot.redaction import Redactor
    from superbot.render.environment import Templates
    from superbot.render.messages import MessageRenderer
    from superbot.render.terminal import Painter
    from superbot.server import HttpServer
    from superbot.service.access import Access
    from superbot.service.conversation import Conversation
    from superbot.service.delivery import Delivery, Reach
    from superbot.service.dossier import Dossiers
    from superbot.service.forms import FormImport
    from superbot.service.mail import Handled, MailReplies, ReplyWay
    from superbot.service.outbox import Dispatcher, Item
    from superbot.service.ports import Channel, Receipt
    from superbot.service.review import Review
    from superbot.service.supervision import Supervision
    from superbot.store.accounts import SqlAccounts
    from superbot.store.conversations import SqlConversations
    from superbot.store.db import LeaderLock
    from superbot.store.evidence import FileEvidence
    from superbot.store.mail import SqlMail
    from superbot.store.outbox import SqlOutbox
    from superbot.store.sql import SqlStore
    from superbot.store.web import SqlLinks
    from superbot.web.app import WebView

MailIntake = Callable[..., Awaitable["Handled"]]


class Stream(Protocol):
    """A connection superbot opens to a platform to receive its events."""

    async def run(self, stop: asyncio.Event) -> None: ...


@dataclass(frozen=True)
class Inbound:
    server: HttpServer | None
    streams: list[Stream]
    web_paths: frozenset[str] = frozenset()
    # Only the web view, at the default address nobody asked for: if it is taken, run goes on
    # without the web view (and says so) rather than not at all.
    optional: bool = False


class Runtime:
    def __init__(
        self,
        config: Config,
        out: TextIO | None = None,
        clock: Callable[[], datetime] | None = None,
        ask: Callable[[str], bool] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self.out = out or sys.stdout
        self._clock = clock or _wall_clock
        # How the dispatcher waits for its pace and retries: with a given clock, the sleep that
        # moves it (a test's), so that waiting takes no time on the wall.
        self._sleep = sleep
        self._ask = ask

    @cached_property
    def store(self) -> SqlStore:
        from superbot.store.db import make_engine, migrate
        from superbot.store.sql import SqlStore

        engine = make_engine(self.config.database_url)
        migrate(engine)
        return SqlStore(engine)

    @cached_property
    def leader(self) -> LeaderLock:
        """Who runs the schedules among instances on one PostgreSQL (SQLite: always this)."""
        from superbot.store.db import LeaderLock

        return LeaderLock(self.store.engine)

    @cached_property
    def env(self) -> jinja2.Environment:
        from superbot.render.environment import make_environment
        from superbot.render.terminal import table, truncate

        env = make_environment(self.config.templates_dir)
        env.filters["truncate_width"] = truncate
        env.filters["table"] = table
        return env

    @cached_property
    def locale(self) -> str:
        """SUPERBOT_LOCALE, else the synced plan's locale, else zh-CN."""
        from superbot.render.environment import FALLBACK_LOCALE, LOCALES

        if self.config.locale in LOCALES:
            return self.config.locale
        if "store" in self.__dict__ or self.database_exists():
            from sqlalchemy.exc import SQLAlchemyError

            from superbot.store.db import UnsupportedDatabase

            try:
                plan = self.store.active_plan()
            except (UnsupportedDatabase, SQLAlchemyError):
                return FALLBACK_LOCALE  # the command says what is wrong with the database
            if plan is not None:
                return plan.settings.locale
        return FALLBACK_LOCALE

    def database_exists(self) -> bool:
        url = self.config.database_url
        if url.startswith("sqlite:///"):
            return os.path.exists(url.removeprefix("sqlite:///"))
        return True

    @cached_property
    def templates(self) -> Templates:
        from superbot.render.environment import Templates

        return Templates(self.env, self.locale)

    def say(self, text: Text) -> str:
        return self.templates.texts(text)

    def text(self, key: str, **params: object) -> str:
        """``say`` for a sentence the command line itself has to tell."""
        return self.say(Text.of(key, **params))

    @cached_property
    def paint(self) -> Painter:
        from superbot.render.terminal import Painter

        colour = os.environ.get("NO_COLOR") is None and (
            os.environ.get("FORCE_COLOR") is not None or self.out.isatty()
        )
        return Painter(colour)

    def render(self, name: str, **context: object) -> str:
        return self.templates.render(name, paint=self.paint, **context)

    def echo(self, text: str, err: bool = False) -> None:
        click.echo(text, file=sys.stderr if err else self.out)

    def now(self) -> datetime:
        return self._clock()

    def confirm(self, question: str) -> bool | None:
        """A yes/no from the person at the terminal; None when nobody is there to answer
        (a script, cron): the caller refuses rather than guesses."""
        if self._ask is not None:
            return self._ask(question)
        if not sys.stdin.isatty():
            return None
        return click.confirm(question, default=False, err=True)

    # -- delivery ------------------------------------------------------------------------

    @cached_property
    def outbox(self) -> SqlOutbox:
        from superbot.store.outbox import SqlOutbox

        return SqlOutbox(self.store.engine)

    @cached_property
    def reach(self) -> Reach:
        from superbot.service.delivery import Reach

        return Reach(
            telegram=self.config.telegram_token is not None,
            email=self.config.smtp_url is not None,
            environ=dict(self.config.environ or {}),
            apps=frozenset(self.config.apps),
        )

    @cached_property
    def renderer(self) -> MessageRenderer:
        from superbot.channels.dingtalk import DingtalkChannel
        from superbot.channels.dingtalk_app import DingtalkAppChannel
        from superbot.channels.feishu import FeishuChannel
        from superbot.channels.feishu_app import FeishuAppChannel
        from superbot.channels.wecom import WecomChannel
        from superbot.channels.wecom_app import WecomAppChannel
        from superbot.render.messages import MessageRenderer

        robots = (WecomChannel, DingtalkChannel, FeishuChannel)
        apps = (WecomAppChannel, DingtalkAppChannel, FeishuAppChannel)
        limits = {c.name: c.max_body_bytes for c in (*robots, *apps)}
        return MessageRenderer(self.templates, limits)

    @cached_property
    def delivery(self) -> Delivery:
        from superbot.service.delivery import Delivery

        return Delivery(
            self.store,
            self.outbox,
            self.renderer,
            self.reach,
            reply_ways=self.reply_way,
            refused_mails=self.mail.refused_between,
            evidence=self.conversations,
            report_links=self._report_link if self.config.web else None,
        )

    @cached_property
    def telegram_bot(self) -> telegram.Bot | None:
        from superbot.channels.telegram import telegram_bot

        if self.config.telegram_token is None:
            return None
        return telegram_bot(self.config.telegram_token, self.config.telegram_api_url)

    @cached_property
    def channels(self) -> dict[str, Channel]:
        """Every channel this configuration can use, by name."""
        from superbot.channels.dingtalk import DingtalkChannel
        from superbot.channels.email import EmailChannel, SmtpSettings
        from superbot.channels.feishu import FeishuChannel
        from superbot.channels.file import FileChannel
        from superbot.channels.telegram import TelegramChannel
        from superbot.channels.wecom import WecomChannel

        environ = dict(self.config.environ or {})
        channels: dict[str, Channel] = {
            "wecom": WecomChannel(environ),
            "dingtalk": DingtalkChannel(environ),
            "feishu": FeishuChannel(environ),
            "file": FileChannel(self.config.outbox_dir),
        }
        if self.telegram_bot is not None:
            channels["telegram"] = TelegramChannel(self.telegram_bot)
        if self.config.smtp_url is not None:
            sender = self.config.smtp_from or "superbot <superbot@localhost>"
            channels["email"] = EmailChannel(SmtpSettings.from_url(self.config.smtp_url), sender)
        for app in self.app_channels.values():
            channels[app.name] = app
        return channels

    @cached_property
    def app_channels(self) -> dict[str, AppChannel]:
        """The chat apps configured, by the channel people are bound on."""
        from superbot.channels.dingtalk_app import DingtalkAppChannel
        from superbot.channels.feishu_app import FeishuAppChannel
        from superbot.channels.wecom_app import WecomAppChannel

        config = self.config
        found: dict[str, AppChannel] = {}
        if config.dingtalk is not None:
            ding = config.dingtalk
            found["dingtalk"] = DingtalkAppChannel(
                ding.client_id, ding.client_secret, ding.robot_code or ding.client_id, ding.api_url
            )
        if config.wecom is not None:
            wecom = config.wecom
            found["wecom"] = WecomAppChannel(
                wecom.corp_id, wecom.agent_id, wecom.secret, wecom.api_url
            )
        if config.feishu is not None:
            feishu = config.feishu
            found["feishu"] = FeishuAppChannel(feishu.app_id, feishu.app_secret, feishu.api_url)
        return found

    @cached_property
    def review(self) -> Review:
        """办结 and 延期 requests; whoever asks and decides is told through the outbox."""
        from superbot.service.review import Review

        return Review(self.store, self.delivery, self.conversations)

    @cached_property
    def dossiers(self) -> Dossiers:
        from superbot.service.dossier import Dossiers

        return Dossiers(self.store, self.conversations)

    @cached_property
    def redactor(self) -> Redactor:
        """Takes the configuration's secrets out of any text: errors, log lines."""
        from superbot.redaction import Redactor

        return Redactor.of(self.config)

    def dispatcher(self, sleep: Callable[[float], Awaitable[None]] | None = None) -> Dispatcher:
        from superbot.bot.sent import remember_task_messages
        from superbot.service.outbox import Dispatcher

        return Dispatcher(
            self.outbox,
            self.channels,
            clock=self.now,
            sleep=sleep or self._sleep or asyncio.sleep,
            lease=timedelta(seconds=self.config.outbox_lease),
            renew=timedelta(seconds=self.config.outbox_lease / 3),
            on_misconfigured=lambda channel, reason: self.delivery.notify_misconfigured(
                channel, reason, self.now()
            ),
            redact=self.redactor,
            on_sent={
                "telegram": remember_task_messages(self.conversation),
                "email": self._remember_email,
            },
        )

    def _remember_email(self, item: Item, receipt: Receipt, now: datetime) -> None:
        if receipt.ref:
            self.mail_replies.remember_sent(
                item.person_id, item.kind, item.period, receipt.ref, now
            )

    # -- the bot -------------------------------------------------------------------------------

    @cached_property
    def accounts(self) -> SqlAccounts:
        from superbot.store.accounts import SqlAccounts

        return SqlAccounts(self.store.engine)

    @cached_property
    def conversations(self) -> SqlConversations:
        from superbot.store.conversations import SqlConversations

        return SqlConversations(self.store.engine)

    @cached_property
    def conversation(self) -> Conversation:
        from superbot.service.conversation import Conversation

        return Conversation(
            self.store,
            self.accounts,
            self.conversations,
            review=self.review,
            files=self.evidence,
        )

    # -- replies by email ----------------------------------------------------------------------

    @cached_property
    def mail(self) -> SqlMail:
        from superbot.store.mail import SqlMail

        return SqlMail(self.store.engine)

    @cached_property
    def evidence(self) -> FileEvidence:
        from superbot.store.evidence import FileEvidence

        return FileEvidence(self.store.engine, self.config.files_dir)

    @cached_property
    def forms(self) -> FormImport:
        from superbot.render.environment import LOCALES
        from superbot.render.form import FormWorkbooks, form_states
        from superbot.service.forms import FormImport

        states = {locale: form_states(self.env, locale) for locale in LOCALES}
        return FormImport(self.store, FormWorkbooks(states))

    @cached_property
    def mail_replies(self) -> MailReplies:
        from superbot.render.mail_answer import MailAnswerRenderer
        from superbot.service.mail import MailReplies

        return MailReplies(
            self.store,
            self.conversation,
            self.conversations,
            self.mail,
            self.mail,
            self.evidence,
            self.outbox,
            MailAnswerRenderer(self.templates),
            answer_channel="email" if self.reach.email else "file",
            forms=self.forms,
        )

    @property
    def mailbox(self) -> str:
        """The address replies reach superbot at when no Reply-To is set: the sender's."""
        sender = self.config.smtp_from or "superbot <superbot@localhost>"
        return sender.rpartition("<")[2].rstrip(">").strip()

    def reply_way(
        self, person_id: str, kind: str, period: str, task_ids: Sequence[str], now: datetime
    ) -> ReplyWay:
        return self.mail_replies.reply_way(
            person_id,
            kind,
            period,
            task_ids,
            now,
            mailbox=self.mailbox,
            reply_to=self.config.reply_to,
        )

    def mail_intake(self, dispatch: Callable[[], Awaitable[object]]) -> MailIntake:
        """What the IMAP poller and the SMTP listener hand each received mail to: handled,
        then its answer sent at once rather than at the next tick."""
        from superbot.channels.mail_reader import read_mail

        async def take(raw: bytes, recipients: tuple[str, ...] = ()) -> Handled:
            handled = self.mail_replies.handle(read_mail(raw, recipients), self.now())
            if handled.answered:
                await dispatch()
            return handled

        return take

    def imap_inbox(self, intake: MailIntake) -> ImapInbox | None:
        from superbot.channels.imap import ImapInbox, ImapSettings

        if self.config.imap_url is None:
            return None
        handled_folder = self.text("mail.handled_folder")
        return ImapInbox(ImapSettings.from_url(self.config.imap_url, handled_folder), intake)

    def inbound_smtp(self, intake: MailIntake) -> InboundSmtp | None:
        from superbot.channels.smtp_inbound import InboundSmtp

        if self.config.inbound_smtp is None:
            return None
        return InboundSmtp(self.config.inbound_smtp, intake)

    def bot_application(
        self,
        supervision: Supervision,
        dispatch: Callable[[], Awaitable[object]] | None = None,
    ) -> BotApplication | None:
        """The Telegram bot's Application (None without ``TELEGRAM_BOT_TOKEN``). It has a Bot
        of its own: the Telegram channel shuts its Bot down when it closes."""
        from superbot.bot.app import build_application

        if self.config.telegram_token is None:
            return None
        return build_application(
            token=self.config.telegram_token,
            api_root=self.config.telegram_api_url,
            conversation=self.conversation,
            supervision=supervision,
            templates=self.templates,
            renderer=self.renderer,
            clock=self.now,
            dispatch=dispatch,
        )

    def another_poller(self, bot: str | None) -> None:
        """Another instance polls the same Telegram bot and this one stepped back: the log
        and the coordinators say so, in their language (once a day)."""
        text = Text.of("operations.another_poller", bot=bot)
        logging.getLogger("superbot.bot").error("%s", self.say(text))
        now = self.now()
        try:
            plan = self.store.active_plan()
            day = now.astimezone(plan.zone).date() if plan is not None else now.date()
            self.delivery.tell_coordinators(text, f"poller-{day.isoformat()}", now)
        except Exception:  # the log line above is said whatever becomes of the notice
            logging.getLogger("superbot.bot").exception("the coordinators could not be told")

    # -- the chat apps and the HTTP server ----------------------------------------------------

    def chat_apps(
        self, supervision: Supervision, dispatch: Callable[[], Awaitable[object]]
    ) -> dict[str, ChatApp]:
        from superbot.chat.answers import ChatAnswers
        from superbot.chat.app import ChatApp

        answers = ChatAnswers(self.templates)
        return {
            platform: ChatApp(
                platform,
                channel,
                conversation=self.conversation,
                supervision=supervision,
                answers=answers,
                renderer=self.renderer,
                outbox=self.outbox,
                clock=self.now,
                dispatch=dispatch,
            )
            for platform, channel in self.app_channels.items()
        }

    def inbound(
        self,
        apps: dict[str, ChatApp],
        bot: BotApplication | None = None,
        webhook: Webhook | None = None,
        dispatch: Callable[[], Awaitable[object]] | None = None,
    ) -> Inbound:
        """What takes requests from outside: the HTTP server's routes (when something needs
        them, or SUPERBOT_HTTP asks for the server) and the connections superbot opens."""
        from starlette.routing import BaseRoute

        from superbot.bot.app import webhook_routes
        from superbot.channels.wecom_crypto import WecomCrypto
        from superbot.chat.dingtalk import routes as dingtalk_routes
        from superbot.chat.dingtalk_stream import DingtalkStream
        from superbot.chat.feishu import FeishuEvents
        from superbot.chat.feishu import routes as feishu_routes
        from superbot.chat.feishu_ws import FeishuConnection
        from superbot.chat.wecom import routes as wecom_routes
        from superbot.server import HttpServer

        config = self.config
        routes: list[BaseRoute] = []
        streams: list[Stream] = []
        needed = config.http is not None
        if bot is not None and webhook is not None:
            routes += webhook_routes(bot, webhook)
            needed = True
        if "wecom" in apps and config.wecom is not None:
            wecom = config.wecom
            if wecom.token and wecom.aes_key:
                crypto = WecomCrypto(wecom.token, wecom.aes_key, wecom.corp_id)
                routes += wecom_routes(apps["wecom"], crypto, self.now)
                needed = True
        if "dingtalk" in apps and config.dingtalk is not None:
            ding = config.dingtalk
            routes += dingtalk_routes(apps["dingtalk"], ding.client_secret, self.now)
            needed = needed or not ding.stream
            if ding.stream:
                streams.append(
                    DingtalkStream(
                        ding.api_url, ding.client_id, ding.client_secret, apps["dingtalk"].handle
                    )
                )
        if "feishu" in apps and config.feishu is not None:
            feishu = config.feishu
            events = FeishuEvents(feishu.verification_token, feishu.encrypt_key)
            routes += feishu_routes(apps["feishu"], events, self.now)
            needed = needed or not feishu.long_connection
            if feishu.long_connection:
                streams.append(
                    FeishuConnection(
                        feishu.api_url, feishu.app_id, feishu.app_secret, apps["feishu"].handle
                    )
                )
        web_paths: frozenset[str] = frozenset()
        optional = False
        web: list[BaseRoute] = []
        if config.web:
            web = self.web_view(dispatch).routes()
            web_paths = frozenset(str(getattr(r, "path", "")) for r in web)
            optional = not needed and config.http is None and config.web_url is None
            needed = True
        if needed:  # wherever the server runs, it says whether this instance is well
            from superbot.server.health import health_routes
            from superbot.store.metrics import SqlMetrics

            routes += health_routes(
                SqlMetrics(self.store.engine), lambda: self.leader.held, self.now
            )
        routes += web  # after the callbacks and health: their fixed paths come first
        server = HttpServer(config.http_address, routes) if needed else None
        return Inbound(server, streams, web_paths, optional)

    # -- the web view ---------------------------------------------------------------------------

    @cached_property
    def links(self) -> SqlLinks:
        from superbot.store.web import SqlLinks

        return SqlLinks(self.store.engine)

    @cached_property
    def access(self) -> Access:
        from superbot.service.access import Access

        return Access(self.links, self.delivery, lambda path: self.config.web_base + path)

    def _report_link(self, person_id: str, month: Period, now: datetime) -> str:
        """A reminder's 填报 link: open until the round's month is over, in the plan's zone."""
        from superbot.domain.periods import start_of_day

        plan = self.store.active_plan()
        zone = plan.zone if plan is not None else ZoneInfo("UTC")
        until = start_of_day(month.last + timedelta(days=1), zone)
        return self.access.report_link(person_id, month.key, until, now)

    def web_view(self, dispatch: Callable[[], Awaitable[object]] | None = None) -> WebView:
        from superbot.web.app import WebView

        return WebView(
            store=self.store,
            access=self.access,
            conversation=self.conversation,
            review=self.review,
            dossiers=self.dossiers,
            renderer=self.renderer,
            templates=self.templates,
            evidence=self.evidence,
            clock=self.now,
            secure=self.config.secure_cookies,
            dispatch=dispatch,
        )

    async def aclose(self) -> None:
        if "channels" in self.__dict__:
            for channel in self.channels.values():
                await channel.aclose()


def _wall_clock() -> datetime:
    return datetime.now(UTC)
