"""Settings from the environment (and a ``.env`` file), as the README names them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values


@dataclass(frozen=True)
class DingtalkApp:
    """钉钉 enterprise internal app robot (also 浙政钉 / 专有钉钉 with their own API root)."""

    client_id: str = field(repr=False)  # AppKey; the robot code unless one is given
    client_secret: str = field(repr=False)  # AppSecret; also signs the HTTP callback
    robot_code: str | None = None
    api_url: str = "https://api.dingtalk.com"
    stream: bool = False  # receive through Stream mode (a WebSocket from superbot)


@dataclass(frozen=True)
class WecomApp:
    """企业微信 self-built app: sending with its secret, the callback with token + AES key."""

    corp_id: str
    agent_id: str
    secret: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    aes_key: str | None = field(default=None, repr=False)  # EncodingAESKey, 43 characters
    api_url: str = "https://qyapi.weixin.qq.com"


@dataclass(frozen=True)
class FeishuApp:
    """飞书 app bot: events by subscription (HTTP) or by the long connection."""

    app_id: str
    app_secret: str = field(repr=False)
    verification_token: str | None = field(default=None, repr=False)
    encrypt_key: str | None = field(default=None, repr=False)
    api_url: str = "https://open.feishu.cn"
    long_connection: bool = False


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
    webhook_listen: str = "127.0.0.1:8080"  # SUPERBOT_WEBHOOK_LISTEN: SUPERBOT_HTTP's old name
    http: str | None = None  # SUPERBOT_HTTP: the one HTTP server of ``superbot run``
    imap_url: str | None = None  # the office mailbox replies arrive in
    inbound_smtp: str | None = None  # host:port of the SMTP listener for replies
    reply_to: str | None = None  # Reply-To of reminder emails; {token} is plus-addressed
    files_dir: Path = Path("files")  # evidence kept with reports
    dingtalk: DingtalkApp | None = None
    wecom: WecomApp | None = None
    feishu: FeishuApp | None = None
    environ: Mapping[str, str] | None = None  # robots' URLs and secrets are looked up here
    outbox_lease: float = 30.0  # SUPERBOT_OUTBOX_LEASE: seconds a dead sender's claim holds
    web: bool = True  # SUPERBOT_WEB=off: no web view, no 填报 links in reminders
    web_url: str | None = None  # SUPERBOT_WEB_URL: the address people open (links)
    web_secure: bool | None = None  # SUPERBOT_WEB_SECURE: Secure cookies (default: https URL)
    log_level: str | None = None  # SUPERBOT_LOG_LEVEL: superbot's own log (libraries: WARNING)

    @property
    def apps(self) -> dict[str, DingtalkApp | WecomApp | FeishuApp]:
        """The chat apps configured, by the channel name people are bound with."""
        found = {"dingtalk": self.dingtalk, "wecom": self.wecom, "feishu": self.feishu}
        return {name: app for name, app in found.items() if app is not None}

    @property
    def http_address(self) -> str:
        """host:port of the HTTP server (webhook, chat apps' callbacks)."""
        return self.http or self.webhook_listen

    @property
    def web_base(self) -> str:
        """The web view's public address, as links in messages carry it."""
        return (self.web_url or f"http://{self.http_address}").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.web_base.startswith("https://") if self.web_secure is None else self.web_secure

    @classmethod
    def from_env(cls, environ: Mapping[str, str], dotenv: Path | None = Path(".env")) -> Config:
        values: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(environ)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        def flag(name: str) -> bool:
            return (get(name) or "").lower() in ("1", "true", "yes", "on")

        dingtalk = None
        if (client_id := get("DINGTALK_CLIENT_ID")) and (secret := get("DINGTALK_CLIENT_SECRET")):
            dingtalk = DingtalkApp(
                client_id,
                secret,
                get("DINGTALK_ROBOT_CODE"),
                (get("DINGTALK_API_URL") or DingtalkApp.api_url).rstrip("/"),
                flag("DINGTALK_STREAM"),
            )
        wecom = None
        corp, agent, app_secret = get("WECOM_CORP_ID"), get("WECOM_AGENT_ID"), get("WECOM_SECRET")
        if corp and agent and app_secret:
            wecom = WecomApp(
                corp,
                agent,
                app_secret,
                get("WECOM_TOKEN"),
                get("WECOM_AES_KEY"),
                (get("WECOM_API_URL") or WecomApp.api_url).rstrip("/"),
            )
        feishu = None
        if (app_id := get("FEISHU_APP_ID")) and (feishu_secret := get("FEISHU_APP_SECRET")):
            feishu = FeishuApp(
                app_id,
                feishu_secret,
                get("FEISHU_VERIFICATION_TOKEN"),
                get("FEISHU_ENCRYPT_KEY"),
                (get("FEISHU_API_URL") or FeishuApp.api_url).rstrip("/"),
                flag("FEISHU_LONG_CONNECTION"),
            )
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
            http=get("SUPERBOT_HTTP"),
            dingtalk=dingtalk,
            wecom=wecom,
            feishu=feishu,
            environ=values,
            outbox_lease=_seconds(get("SUPERBOT_OUTBOX_LEASE"), cls.outbox_lease),
            web=(get("SUPERBOT_WEB") or "on").lower() not in ("0", "off", "false", "no"),
            web_url=get("SUPERBOT_WEB_URL"),
            web_secure=None if get("SUPERBOT_WEB_SECURE") is None else flag("SUPERBOT_WEB_SECURE"),
            log_level=get("SUPERBOT_LOG_LEVEL"),
        )


def _seconds(value: str | None, default: float) -> float:
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        return default
    return seconds if 0 < seconds < float("inf") else default
