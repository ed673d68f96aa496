"""Email over SMTP: multipart text + HTML, UTF-8 headers, attachments, one connection a message.

``smtplib`` blocks, so each delivery runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from superbot.service.ports import ChannelError, Message, Pace, Rate, Receipt

Security = Literal["plain", "starttls", "ssl"]

_DEFAULT_PORTS: dict[Security, int] = {"plain": 25, "starttls": 587, "ssl": 465}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

# 7bit makes the email package choose base64 or quoted-printable for non-ASCII text instead
# of raw 8bit, which old relays without 8BITMIME mangle.
_POLICY = email.policy.SMTP.clone(cte_type="7bit")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security = "plain"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Read ``smtp://user:pass@host:port?starttls=true&timeout=20`` or ``smtps://…``.

        Error messages never repeat the URL: it may hold the password.
        """
        try:
            parts = urlsplit(url.strip())
            explicit_port = parts.port
        except ValueError:
            # Not urlsplit's words: they quote the part it could not read, which may be the
            # password (one with a "/", "#" or "?" in it ends the host early).
            raise ValueError(
                "SMTP_URL is not a valid URL (a password with / # ? @ must be percent-encoded)"
            ) from None
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(
                f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or '(none)'}://"
            )
        if not parts.hostname:
            raise ValueError("SMTP_URL has no host (expected smtp://user:pass@host:port)")
        if parts.path not in ("", "/") or parts.fragment:
            raise ValueError("SMTP_URL must not have a path or fragment after host:port")

        security: Security = "ssl" if parts.scheme == "smtps" else "plain"
        timeout = 20.0
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "starttls":
                starttls = _flag(key, value)
                if starttls and security == "ssl":
                    raise ValueError(
                        "SMTP_URL: starttls=true contradicts smtps:// (implicit TLS); use one"
                    )
                if starttls:
                    security = "starttls"
            elif key == "timeout":
                timeout = _seconds(key, value)
            else:
                raise ValueError(f"SMTP_URL: unknown parameter {key!r} (known: starttls, timeout)")

        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if username is not None and password is None:
            raise ValueError("SMTP_URL has a user but no password (smtp://user:pass@host)")
        return cls(
            host=parts.hostname,
            port=explicit_port or _DEFAULT_PORTS[security],
            security=security,
            username=username,
            password=password,
            timeout=timeout,
        )


class EmailChannel:
    name = "email"
    # Hosted mailboxes (Tencent Exmail, Aliyun, Coremail) throttle senders per minute; a
    # reminder round is tens of messages, so 30 a minute costs nothing and stays well below.
    pace = Pace(overall=Rate(30, 60.0))

    def __init__(
        self,
        settings: SmtpSettings,
        sender: str,
        ssl_context: ssl.SSLContext | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        sender_address = _address(sender)
        if sender_address is None:
            raise ValueError(f"SMTP_FROM is not one email address: {sender!r}")
        self._settings = settings
        self._sender = sender_address
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._now = now

    async def send(self, message: Message, recipient: str) -> Receipt:
        to = _address(recipient)
        if to is None:
            raise ChannelError(f"email: not an email address: {recipient!r}", permanent=True)
        mail = self._compose(message, to)
        try:
            await asyncio.to_thread(self._deliver, mail, to)
        except (OSError, ValueError) as exc:  # smtplib's and ssl's errors are OSErrors
            raise _channel_error(exc) from exc
        return Receipt(ref=str(mail["Message-ID"]))

    async def aclose(self) -> None:
        pass  # one connection per message, closed by _deliver

    def _compose(self, message: Message, to: Address) -> EmailMessage:
        mail = EmailMessage(policy=_POLICY)
        mail["Subject"] = " ".join(message.subject.split())  # a header cannot hold newlines
        mail["From"] = self._sender
        mail["To"] = to
        mail["Date"] = format_datetime(self._now())
        mail["Message-ID"] = make_msgid(domain=self._sender.domain)
        if message.reply_address is not None:
            mail["Reply-To"] = message.reply_address
        if message.reply_to is not None:
            mail["In-Reply-To"] = message.reply_to
            mail["References"] = message.reply_to
        # RFC 3834: out-of-office responders leave these alone, so no answer loop starts.
        mail["Auto-Submitted"] = "auto-replied" if message.reply_to else "auto-generated"
        mail.set_content(message.body)
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html")
        for attachment in message.attachments:
            maintype, _, subtype = attachment.mime.partition("/")
            if not maintype or not subtype:
                maintype, subtype = "application", "octet-stream"
            # Non-ASCII filenames come out as RFC 2231 ``filename*=utf-8''…``.
            mail.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
            )
        return mail

    async def probe(self) -> None:
        """Connect, log in and say goodbye, sending nothing (``superbot doctor``); raises
        :class:`ChannelError` as a send would."""
        try:
            await asyncio.to_thread(self._login_only)
        except (OSError, ValueError) as exc:
            raise _channel_error(exc) from exc

    def _login_only(self) -> None:
        with self._session() as smtp:
            smtp.noop()

    def _deliver(self, mail: EmailMessage, to: Address) -> None:
        with self._session() as smtp:
            smtp.send_message(mail, from_addr=self._sender.addr_spec, to_addrs=[to.addr_spec])

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        settings = self._settings
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=self._ssl_context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=self._ssl_context)
            if settings.username is not None:
                smtp.login(settings.username, settings.password or "")
            yield smtp


def _address(text: str) -> Address | None:
    """The one address in ``text`` (``督查科 <duban@example.gov.cn>`` or a bare address)."""
    try:
        header = _POLICY.header_factory("To", text)
        addresses = header.addresses
    except (ValueError, IndexError):
        return None
    if header.defects or len(addresses) != 1:
        return None
    address: Address = addresses[0]
    if not address.username or not address.domain:
        return None
    return address


def _channel_error(exc: Exception) -> ChannelError:
    # The order matters: SMTP and SSL errors are OSErrors, and several SMTP errors share bases.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        return _by_code("recipient refused", code, reply)
    if isinstance(exc, smtplib.SMTPAuthenticationError):  # SMTP_URL's user or password
        refused = _by_code("authentication failed", exc.smtp_code, exc.smtp_error)
        return ChannelError(str(refused), permanent=True, configuration=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code("server refused", exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # The server lacks STARTTLS or AUTH that SMTP_URL asks for: a configuration error.
        return ChannelError(f"email: server does not support: {exc}", permanent=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        # A certificate we do not trust stays untrusted until someone changes it.
        return ChannelError(
            f"email: TLS certificate rejected: {exc.verify_message}", permanent=True
        )
    if isinstance(exc, ssl.SSLError):
        return ChannelError(f"email: TLS failed: {exc}", permanent=False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return ChannelError(f"email: server disconnected: {exc}", permanent=False)
    if isinstance(exc, TimeoutError):
        return ChannelError("email: timed out talking to the SMTP server", permanent=False)
    if isinstance(exc, ValueError):
        # smtplib encodes the login as ASCII; the text of the error could hold the password.
        return ChannelError(f"email: cannot encode for SMTP ({type(exc).__name__})", permanent=True)
    # Connection refused, unreachable host, DNS failure, other SMTP trouble: may pass.
    return ChannelError(f"email: {type(exc).__name__}: {exc}", permanent=False)


def _by_code(what: str, code: int, reply: bytes | str) -> ChannelError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return ChannelError(f"email: {what}: {code} {text}".rstrip(), permanent=500 <= code < 600)


def _flag(key: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"SMTP_URL: {key} must be true or false, not {value!r}")


def _seconds(key: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"SMTP_URL: {key} must be a positive number of seconds, not {value!r}")
    return seconds
