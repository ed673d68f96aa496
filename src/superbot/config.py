"""Settings from the environment (and a ``.env`` file), as DESIGN.md names them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values


@dataclass(frozen=True)
class Config:
    database_url: str = "sqlite:///superbot.db"
    tasks_path: Path = Path("tasks.yaml")
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    smtp_url: str | None = None
    smtp_from: str | None = None
    outbox_dir: Path = Path("outbox")
    templates_dir: Path | None = None
    locale: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1:8080"
    imap_url: str | None = None  # the office mailbox replies arrive in
    inbound_smtp: str | None = None  # host:port of the SMTP listener for replies
    reply_to: str | None = None  # Reply-To of reminder emails; {token} is plus-addressed
    files_dir: Path = Path("files")  # evidence kept with reports
    environ: Mapping[str, str] | None = None  # robots' URLs and secrets are looked up here

    @classmethod
    def from_env(cls, environ: Mapping[str, str], dotenv: Path | None = Path(".env")) -> Config:
        values: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(environ)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        return cls(
            database_url=get("SUPERBOT_DATABASE_URL") or cls.database_url,
            tasks_path=Path(get("SUPERBOT_TASKS") or cls.tasks_path),
            telegram_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_url=(get("TELEGRAM_API_URL") or cls.telegram_api_url).rstrip("/"),
            smtp_url=get("SMTP_URL"),
            smtp_from=get("SMTP_FROM"),
            outbox_dir=Path(get("SUPERBOT_OUTBOX_DIR") or cls.outbox_dir),
            templates_dir=Path(t) if (t := get("SUPERBOT_TEMPLATES")) else None,
            locale=get("SUPERBOT_LOCALE"),
            webhook_secret=get("SUPERBOT_WEBHOOK_SECRET"),
            webhook_listen=get("SUPERBOT_WEBHOOK_LISTEN") or cls.webhook_listen,
            imap_url=get("IMAP_URL"),
            inbound_smtp=get("SUPERBOT_INBOUND_SMTP"),
            reply_to=get("SUPERBOT_REPLY_TO"),
            files_dir=Path(get("SUPERBOT_FILES_DIR") or cls.files_dir),
            environ=values,
        )
