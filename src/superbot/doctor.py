"""``superbot doctor``: every outside thing superbot depends on, tried end to end.

Each check talks to the real thing (the Bot API's ``getMe``, an SMTP login, an IMAP login and
``SELECT``, each chat app's access token, the database and its migrations) and sends nothing.
A finding is a :class:`Text` for a person who has to fix it. Everything a finding repeats from
outside (a server's answer, an exception) passes :meth:`Secrets.scrub` first: a token or a
password in a URL must not reach a terminal, a log or a container's health output.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import smtplib
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import telegram
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from telegram.error import InvalidToken, NetworkError, TelegramError

from superbot.channels.app import AppChannel
from superbot.channels.email import EmailChannel, SmtpSettings
from superbot.channels.imap import ImapInbox, ImapSettings
from superbot.config import Config
from superbot.domain.crontab import Crontab, Schedule
from superbot.domain.model import PlanSettings, ScheduleKind, Webhook
from superbot.domain.text import Text
from superbot.plan.load import read_plan_file
from superbot.service.ports import ChannelError
from superbot.service.status import workday_calendar
from superbot.store.db import make_engine, normalise_url, schema_revisions
from superbot.store.sql import SqlStore

TIMEOUT_SECONDS = 15.0  # a check that has not answered by then is a finding itself
MIN_FREE_BYTES = 500 * 1024 * 1024


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but someone should look
    FAIL = "fail"  # something will not work until it is fixed


@dataclass(frozen=True)
class Finding:
    area: str  # database, tasks, schedule, telegram, smtp, imap, an app, channels, robot, disk
    verdict: Verdict
    text: Text


def ok(area: str, key: str, **params: object) -> Finding:
    return Finding(area, Verdict.OK, Text.of(f"doctor.{key}", **params))


def warn(area: str, key: str, **params: object) -> Finding:
    return Finding(area, Verdict.WARN, Text.of(f"doctor.{key}", **params))


def fail(area: str, key: str, **params: object) -> Finding:
    return Finding(area, Verdict.FAIL, Text.of(f"doctor.{key}", **params))


class Secrets:
    """Every secret the configuration holds, to be blotted out of whatever is repeated."""

    def __init__(self, values: Iterable[str | None]) -> None:
        # Longest first: a secret that contains another is replaced whole.
        found = {v for v in values if v and len(v) >= 4}
        found |= {unquote(v) for v in found}
        self.values = sorted(found, key=len, reverse=True)

    @classmethod
    def of(cls, config: Config, webhooks: Iterable[Webhook] = ()) -> Secrets:
        environ = config.environ or {}
        values: list[str | None] = [config.telegram_token, config.webhook_secret]
        for url in (config.smtp_url, config.imap_url, config.database_url):
            if url:
                parts = urlsplit(url)
                values += [parts.password, url]
        for app in config.apps.values():
            for name in ("client_secret", "secret", "app_secret", "token", "aes_key"):
                values.append(getattr(app, name, None))
            values += [getattr(app, "verification_token", None), getattr(app, "encrypt_key", None)]
        for hook in webhooks:
            values += [environ.get(hook.url_env), environ.get(hook.secret_env or "")]
            query = parse_qs(urlsplit(environ.get(hook.url_env, "")).query)
            values += [v for vs in query.values() for v in vs]
            values.append(urlsplit(environ.get(hook.url_env, "")).path.rpartition("/")[2])
        return cls(values)

    def scrub(self, said: object) -> str:
        result = str(said)
        for value in self.values:
            result = result.replace(value, "***")
        return result.strip().splitlines()[0] if result.strip() else ""


# -- the checks -------------------------------------------------------------------------------


def database(config: Config, secrets: Secrets) -> tuple[list[Finding], SqlStore | None]:
    """Reachable, and migrated to the revision this superbot knows; never creates or migrates."""
    url = make_url(normalise_url(config.database_url))
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if path not in ("", ":memory:") and not Path(path).is_file():
            return [fail("database", "database_missing", path=path)], None
        engine: Engine = make_engine(str(url))
    else:
        engine = make_engine(str(url), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = schema_revisions(engine)
    except Exception as error:  # any reason at all is the finding
        engine.dispose()
        reason = secrets.scrub(getattr(error, "orig", None) or error)
        return [fail("database", "database_unreachable", url=shown, reason=reason)], None
    if current is None:
        engine.dispose()
        return [fail("database", "database_empty", url=shown)], None
    if current != head:
        engine.dispose()
        return [fail("database", "database_behind", url=shown, current=current, head=head)], None
    return [ok("database", "database_ok", url=shown, revision=current)], SqlStore(engine)


def tasks(config: Config, store: SqlStore | None) -> tuple[list[Finding], PlanSettings | None]:
    """tasks.yaml valid; the database's plan is the file's (or the file's is waiting)."""
    loaded = read_plan_file(config.tasks_path)
    active = store.active_plan() if store is not None else None
    findings: list[Finding] = []
    if loaded.plan is None:
        first = loaded.errors[0] if loaded.errors else None
        findings.append(
            fail(
                "tasks",
                "tasks_invalid",
                path=loaded.path,
                count=len(loaded.errors),
                first=first.text if first else None,
                line=first.line if first else 0,
                col=first.col if first else 0,
                running=active is not None,
            )
        )
    else:
        findings.append(
            ok(
                "tasks",
                "tasks_ok",
                path=loaded.path,
                tasks=len(loaded.plan.tasks),
                warnings=len(loaded.warnings),
            )
        )
        if store is not None and active is None:
            findings.append(warn("tasks", "tasks_not_synced", path=loaded.path))
        elif (
            active is not None
            and active.last_sync is not None
            and active.last_sync.sha256 != loaded.sha256
        ):
            findings.append(warn("tasks", "tasks_changed", path=loaded.path))
    settings = loaded.plan.settings if loaded.plan is not None else None
    if settings is None and active is not None:
        settings = active.settings
    return findings, settings


def schedules(settings: PlanSettings, now: datetime) -> list[Finding]:
    """When each schedule fires next, in the plan's zone (a schedule that never fires again
    is worth a look: nothing of its kind will go out)."""
    zone = ZoneInfo(settings.timezone)
    calendar = workday_calendar(settings.calendar)
    findings = []
    for kind in ScheduleKind:
        expression = settings.schedules[kind]
        schedule = Schedule(Crontab.parse(expression), zone, calendar)
        fire = next(iter(schedule.fires_after(now)), None)
        if fire is None:
            findings.append(warn("schedule", "schedule_never", kind=kind.value, cron=expression))
        else:
            findings.append(
                ok(
                    "schedule",
                    "schedule_next",
                    kind=kind.value,
                    cron=expression,
                    at=fire.at.astimezone(zone),
                )
            )
    return findings


async def telegram_token(bot: telegram.Bot, api_url: str, secrets: Secrets) -> list[Finding]:
    try:
        async with bot:
            return [ok("telegram", "telegram_ok", username=bot.username)]
    except InvalidToken:
        return [fail("telegram", "telegram_refused")]
    except NetworkError as error:
        return [fail("telegram", "telegram_unreachable", api=api_url, reason=secrets.scrub(error))]
    except TelegramError as error:
        return [fail("telegram", "telegram_failed", reason=secrets.scrub(error))]


async def smtp(
    config: Config, secrets: Secrets, context: ssl.SSLContext | None, seconds: float
) -> list[Finding]:
    assert config.smtp_url is not None
    try:
        settings = SmtpSettings.from_url(config.smtp_url)
    except ValueError as error:
        return [fail("smtp", "smtp_bad_url", reason=secrets.scrub(error))]
    # smtplib blocks a worker thread, which the doctor waits for before it exits.
    settings = replace(settings, timeout=min(settings.timeout, seconds))
    sender = config.smtp_from or "superbot <superbot@localhost>"
    try:
        channel = EmailChannel(settings, sender, context)
    except ValueError:
        return [fail("smtp", "smtp_bad_from", sender=sender)]
    where = f"{settings.host}:{settings.port}"
    try:
        await channel.probe()
    except ChannelError as error:
        cause = error.__cause__
        reason = secrets.scrub(error)
        if isinstance(cause, smtplib.SMTPAuthenticationError):
            return [fail("smtp", "smtp_login_refused", server=where, reason=reason)]
        if isinstance(cause, ssl.SSLError | smtplib.SMTPNotSupportedError):
            return [fail("smtp", "smtp_tls", server=where, reason=reason)]
        return [fail("smtp", "smtp_unreachable", server=where, reason=reason)]
    finding = ok("smtp", "smtp_ok", server=where, user=settings.username, sender=sender)
    if config.smtp_from is None:
        return [finding, warn("smtp", "smtp_no_from")]
    return [finding]


async def imap(
    config: Config, secrets: Secrets, done: str, context: ssl.SSLContext | None
) -> list[Finding]:
    assert config.imap_url is not None
    try:
        settings = ImapSettings.from_url(config.imap_url, done)
    except ValueError as error:
        return [fail("imap", "imap_bad_url", reason=secrets.scrub(error))]
    where = f"{settings.host}:{settings.port}"

    async def never(_raw: bytes) -> None:
        return None

    try:
        await ImapInbox(settings, never, ssl_context=context).probe()
    except (OSError, TimeoutError) as error:
        reason = secrets.scrub(error) or type(error).__name__
        return [fail("imap", "imap_unreachable", server=where, reason=reason)]
    except Exception as error:  # the server said NO: to the login, or to the folder
        reason = secrets.scrub(error)
        key = "imap_login_refused" if reason.startswith("login") else "imap_no_folder"
        return [fail("imap", key, server=where, folder=settings.mailbox, reason=reason)]
    return [ok("imap", "imap_ok", server=where, user=settings.username, folder=settings.mailbox)]


async def app_token(channel: AppChannel, secrets: Secrets) -> list[Finding]:
    area = channel.platform
    try:
        await channel.token()
    except ChannelError as error:
        return [fail(area, "app_refused", platform=area, reason=secrets.scrub(error))]
    return [ok(area, "app_ok", platform=area, api=channel.api_url)]


# Where each platform's group robot lives, and the part of its URL that names the robot.
_ROBOT_URLS = {
    "wecom": ("/cgi-bin/webhook/send", "key"),
    "dingtalk": ("/robot/send", "access_token"),
    "feishu": ("/open-apis/bot/v2/hook/", None),  # the robot's id ends the path
}
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def robots(
    webhooks: Iterable[Webhook], environ: Mapping[str, str], *, trial: bool = False
) -> list[Finding]:
    """Each group robot's URL (and signing secret) present and shaped as its platform gives
    them. Nothing is posted: a robot has no way to be asked without a message reaching a
    group. On a trial run (no channel configured) a robot without a URL writes to a file."""
    findings = []
    for hook in webhooks:
        kind = hook.kind.value
        url = environ.get(hook.url_env, "").strip()
        if not url:
            verdict = warn if trial else fail
            findings.append(verdict("robot", "robot_unset", kind=kind, variable=hook.url_env))
            continue
        if hook.secret_env and not environ.get(hook.secret_env, "").strip():
            findings.append(fail("robot", "robot_no_secret", kind=kind, variable=hook.secret_env))
            continue
        try:
            parts = urlsplit(url)
            query = parse_qs(parts.query)
        except ValueError:
            parts, query = None, {}
        path, key = _ROBOT_URLS[kind]
        shaped = (
            parts is not None
            and parts.scheme in ("https", "http")
            and bool(parts.hostname)
            and (
                bool(query.get(key, [""])[0]) and parts.path.rstrip("/").endswith(path)
                if key is not None
                else parts.path.startswith(path) and len(parts.path) > len(path)
            )
        )
        if not shaped or parts is None:
            findings.append(fail("robot", "robot_bad_url", kind=kind, variable=hook.url_env))
        elif parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            findings.append(warn("robot", "robot_plain_http", kind=kind, variable=hook.url_env))
        else:
            findings.append(ok("robot", "robot_ok", kind=kind, variable=hook.url_env))
    return findings


def disk(folder: Path, min_free: int) -> list[Finding]:
    """The files folder (evidence kept with reports) writable, with room to grow."""
    existing = folder.resolve()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        return [fail("disk", "disk_read_only", path=str(folder), existing=str(existing))]
    free = shutil.disk_usage(existing).free
    mb = free // (1024 * 1024)
    if free < min_free:
        return [fail("disk", "disk_low", path=str(folder), free=mb, need=min_free // (1024 * 1024))]
    return [ok("disk", "disk_ok", path=str(folder), free=mb)]


# -- all of them ------------------------------------------------------------------------------


async def examine(
    config: Config,
    *,
    now: datetime,
    telegram_bot: Callable[[], telegram.Bot] | None,
    app_channels: Mapping[str, AppChannel],
    imap_done: str,
    min_free: int = MIN_FREE_BYTES,
    seconds_each: float = TIMEOUT_SECONDS,
    ssl_context: ssl.SSLContext | None = None,
) -> list[Finding]:
    """Every check, the slow ones (network) side by side; findings in a fixed order."""
    secrets = Secrets.of(config)
    database_findings, store = await asyncio.to_thread(database, config, secrets)
    try:
        plan_findings, settings = await asyncio.to_thread(tasks, config, store)
    finally:
        if store is not None:
            store.engine.dispose()
    webhooks = settings.broadcast.webhooks if settings is not None else ()
    secrets = Secrets.of(config, webhooks)

    remote: list[tuple[str, Awaitable[list[Finding]]]] = []
    if telegram_bot is not None:
        remote.append(
            ("telegram", telegram_token(telegram_bot(), config.telegram_api_url, secrets))
        )
    if config.smtp_url is not None:
        remote.append(("smtp", smtp(config, secrets, ssl_context, seconds_each)))
    if config.imap_url is not None:
        remote.append(("imap", imap(config, secrets, imap_done, ssl_context)))
    for name, channel in app_channels.items():
        remote.append((name, app_token(channel, secrets)))

    async def bounded(area: str, check: Awaitable[list[Finding]]) -> list[Finding]:
        try:
            return await asyncio.wait_for(check, seconds_each)
        except TimeoutError:
            return [fail(area, "timed_out", what=area, seconds=int(seconds_each))]

    answered = await asyncio.gather(*(bounded(area, check) for area, check in remote))
    findings = [*database_findings, *plan_findings]
    if settings is not None:
        findings += schedules(settings, now)
    for found in answered:
        findings += found
    trial = config.telegram_token is None and config.smtp_url is None and not config.apps
    if trial:
        findings.append(warn("channels", "file_only", outbox=str(config.outbox_dir)))
    findings += robots(webhooks, config.environ or {}, trial=trial)
    findings += disk(config.files_dir, min_free)
    return findings
