"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a random port, for tests.

    with smtp_server() as server:
        channel = EmailChannel(SmtpSettings.from_url(server.url()), "督查科 <duban@example.gov.cn>")
        await channel.send(message, "zhang@example.gov.cn")
        mail = server.deliveries[0].parsed()

Variants: ``credentials=("user", "pass")`` accepts AUTH with exactly that pair;
``security="starttls"`` or ``"ssl"`` with ``tls=TlsFiles`` (a trustme CA and a certificate for
127.0.0.1) offers STARTTLS or speaks implicit TLS; ``refuse={"x@y"}`` answers RCPT for those
addresses with 550; ``data_reply="451 …"`` answers every DATA with that line.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, Literal
from urllib.parse import quote

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
Security = Literal["plain", "starttls", "ssl"]


@dataclass(frozen=True)
class Delivery:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    login: str | None  # the AUTH user, when the client logged in
    encrypted: bool  # over implicit TLS or after STARTTLS

    def parsed(self) -> EmailMessage:
        message = BytesParser(policy=default_policy).parsebytes(self.content)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps what arrives, refuses what it is told to."""

    refuse: frozenset[str] = frozenset()
    data_reply: str | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    async def handle_RCPT(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply is not None:
            return self.data_reply
        assert isinstance(envelope.content, bytes)
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.deliveries.append(
            Delivery(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                content=envelope.content,
                login=login,
                encrypted=server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 OK: queued"


@dataclass(frozen=True)
class _Credentials:
    user: str
    password: str

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user.encode()
            and auth_data.password == self.password.encode()
        ):
            return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)


@dataclass(frozen=True)
class TlsFiles:
    """A throwaway CA and a certificate for 127.0.0.1 and localhost, made by trustme."""

    ca: trustme.CA
    certificate: trustme.LeafCert

    @classmethod
    def create(cls) -> TlsFiles:
        ca = trustme.CA()
        return cls(ca, ca.issue_cert(HOST, "localhost"))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.certificate.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What the channel needs to trust this server (pass it as ``ssl_context``)."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


@dataclass
class SmtpServer:
    host: str
    port: int
    security: Security
    mailbox: Mailbox

    @property
    def deliveries(self) -> list[Delivery]:
        return self.mailbox.deliveries

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """An SMTP_URL for this server, with a login when given."""
        scheme = "smtps" if self.security == "ssl" else "smtp"
        login = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user else ""
        query = "?starttls=true&timeout=5" if self.security == "starttls" else "?timeout=5"
        return f"{scheme}://{login}{self.host}:{self.port}{query}"


class _Controller(Controller):
    """A Controller bound to port 0; it learns its port once listening."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(
    *,
    security: Security = "plain",
    tls: TlsFiles | None = None,
    credentials: tuple[str, str] | None = None,
    refuse: Iterable[str] = (),
    data_reply: str | None = None,
) -> Iterator[SmtpServer]:
    if security != "plain" and tls is None:
        raise ValueError(f"security={security!r} needs tls=TlsFiles.create()")
    mailbox = Mailbox(refuse=frozenset(refuse), data_reply=data_reply)
    options: dict[str, Any] = {"server_hostname": "fake-smtp.test", "ready_timeout": 10.0}
    if credentials is not None:
        # Not auth_required: aiosmtpd warns when AUTH is required over plain text.
        options["authenticator"] = _Credentials(*credentials)
        options["auth_require_tls"] = False
    if security == "starttls" and tls is not None:
        options["tls_context"] = tls.server_context()
    if security == "ssl" and tls is not None:
        options["ssl_context"] = tls.server_context()
    controller = _Controller(mailbox, hostname=HOST, port=0, **options)
    controller.start()
    try:
        yield SmtpServer(HOST, controller.port, security, mailbox)
    finally:
        controller.stop()


def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port
