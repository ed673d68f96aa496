"""Secrets never leave in an error: one redaction fed by the configuration, applied where
delivery errors are recorded (the outbox's ``last_error``, hence ``send``, the digest and the
coordinators' notices) and at the log handlers."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

from superbot.config import Config

HIDDEN = "***"
SHORTEST = 4  # shorter values would hide ordinary words
# Variables whose whole value is secret, whatever they are for.
SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|_KEY)$")
# A URL's password, read without a URL parser: one that fails to parse (a "/", "#" or "?" in
# the password) still has its password found.
URL_PASSWORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*:(?P<password>.*)@[^@]*$")
QUERY_VALUE = re.compile(r"[?&][^=&#]+=(?P<value>[^&#]+)")


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        found = {s for s in secrets if len(s) >= SHORTEST}
        found |= {quote(s, safe="") for s in found} | {unquote(s) for s in found}
        self._secrets = sorted((s for s in found if len(s) >= SHORTEST), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, HIDDEN)
        return text

    @classmethod
    def of(cls, config: Config) -> Redactor:
        secrets: list[str] = []
        if config.telegram_token:
            secrets.append(config.telegram_token)
            secrets.append(config.telegram_token.partition(":")[2])
        secrets.extend(_url_secrets(config.smtp_url))
        secrets.extend(_url_secrets(config.imap_url))
        secrets.extend(s for s in (config.webhook_secret,) if s)
        for app in config.apps.values():
            for name in ("client_secret", "secret", "token", "aes_key", "app_secret"):
                value = getattr(app, name, None)
                if isinstance(value, str):
                    secrets.append(value)
            for name in ("verification_token", "encrypt_key"):
                value = getattr(app, name, None)
                if isinstance(value, str):
                    secrets.append(value)
        secrets.extend(_environ_secrets(config.environ or {}))
        return cls(secrets)


def _url_secrets(url: str | None) -> list[str]:
    """A URL's password and its query values (a robot's ``key=``, ``access_token=``) and,
    for a webhook, the last step of its path (飞书's hook id)."""
    if not url:
        return []
    url = url.strip()
    found = []
    if match := URL_PASSWORD.match(url):
        found.append(match["password"])
    found.extend(m["value"] for m in QUERY_VALUE.finditer(url))
    if url.startswith("http") and "/hook/" in url:
        found.append(url.rstrip("/").rsplit("/", 1)[-1].split("?")[0])
    return found


def _environ_secrets(environ: Mapping[str, str]) -> list[str]:
    found = []
    for name, value in environ.items():
        value = value.strip()
        if SECRET_NAME.search(name.upper()):
            found.append(value)
        elif "://" in value:
            found.extend(_url_secrets(value))
    return found


class RedactingFilter(logging.Filter):
    """On a handler: every record it writes has the secrets taken out (tracebacks too)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
