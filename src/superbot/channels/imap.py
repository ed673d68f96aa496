"""The office mailbox over IMAP (``IMAP_URL=imaps://user:pass@host:993/INBOX``): every mail
in the folder is handed over once, then moved to the handled folder (``?done=…``; by default
the name in ``templates/<locale>/texts/mail.j2``, 督查已处理). Mail is never deleted: where
the server lacks MOVE, a mail is copied to the folder and only then flagged and expunged
from the inbox by its UID.

Between rounds the poller waits with IDLE where the server offers it (news arrives at once)
and polls every ``?poll=`` seconds (default 60) where it does not. A mail that was handled
before a crash but not yet moved is handed over again; the handler knows it by Message-ID.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import aioimaplib

log = logging.getLogger("superbot.imap")

IDLE_SECONDS = 25 * 60  # servers drop an IDLE after 30 minutes
RETRY_SECONDS = (5, 15, 60, 300)
MAX_BYTES = 40 * 1024 * 1024  # a reply with its evidence; the SMTP listener takes as much
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    tls: bool
    username: str
    password: str = field(repr=False)
    done: str
    mailbox: str = "INBOX"
    poll: float = 60.0

    @classmethod
    def from_url(cls, url: str, done: str) -> ImapSettings:
        """``imaps://user:pass@host:993/INBOX?done=督查已处理&poll=60`` (``imap://`` is plain).

        Error messages never repeat the URL: it holds the password.
        """
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"IMAP_URL is not a valid URL: {exc}") from None
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError(
                f"IMAP_URL must start with imaps:// or imap://, not {parts.scheme or '(none)'}://"
            )
        if not parts.hostname or not parts.username or parts.password is None:
            raise ValueError("IMAP_URL needs a user, a password and a host (imaps://u:p@host)")
        options = dict(parse_qsl(parts.query))
        unknown = set(options) - {"done", "poll"}
        if unknown:
            raise ValueError(
                f"IMAP_URL: unknown parameter {sorted(unknown)[0]!r} (known: done, poll)"
            )
        try:
            poll = float(options.get("poll", "60"))
        except ValueError:
            poll = 0.0
        if not poll > 0:
            raise ValueError("IMAP_URL: poll must be a positive number of seconds")
        tls = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=port or (993 if tls else 143),
            tls=tls,
            username=unquote(parts.username),
            password=unquote(parts.password),
            mailbox=unquote(parts.path.strip("/")) or "INBOX",
            done=options.get("done", done),
            poll=poll,
        )


Handler = Callable[[bytes], Awaitable[object]]


class ImapInbox:
    def __init__(
        self,
        settings: ImapSettings,
        handle: Handler,
        *,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.handle = handle
        self.ssl_context = ssl_context
        self.sleep = sleep
        self.rounds = 0  # completed passes over the mailbox (tests wait on it)

    async def run(self, stop: asyncio.Event) -> None:
        """Read the mailbox until ``stop``; a lost connection is opened again, later each
        time it fails."""
        failures = 0
        while not stop.is_set():
            try:
                await self._session(stop)
                failures = 0
            except Exception as e:  # the mailbox is read again later; superbot keeps running
                wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("IMAP %s: %r; trying again in %ss", self.settings.host, e, wait)
                await _until(stop, self.sleep(wait))

    async def probe(self) -> None:
        """Log in and open the folder, then leave (``superbot doctor``)."""
        client = await self._connect()
        with contextlib.suppress(OSError, TimeoutError, aioimaplib.Abort, aioimaplib.Error):
            await asyncio.wait_for(client.logout(), 5)

    async def _session(self, stop: asyncio.Event) -> None:
        client = await self._connect()
        try:
            folder = _quoted(encode_folder(self.settings.done))
            await client.create(folder)  # NO when it exists already: fine
            while not stop.is_set():
                await self.poll_once(client, folder)
                self.rounds += 1
                if "IDLE" in client.protocol.capabilities:
                    await self._idle(client, stop)
                else:
                    await _until(stop, self.sleep(self.settings.poll))
        finally:
            with contextlib.suppress(OSError, TimeoutError, aioimaplib.Abort, aioimaplib.Error):
                await asyncio.wait_for(client.logout(), 5)

    async def _connect(self) -> aioimaplib.IMAP4:
        s = self.settings
        client: aioimaplib.IMAP4
        if s.tls:
            context = self.ssl_context or ssl.create_default_context()
            client = aioimaplib.IMAP4_SSL(host=s.host, port=s.port, ssl_context=context)
        else:
            client = aioimaplib.IMAP4(host=s.host, port=s.port)
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(s.username, s.password), "login")
            await client.protocol.capability()  # the list after login is the one that counts
            _ok(await client.select(_quoted(encode_folder(s.mailbox))), f"select {s.mailbox}")
        except BaseException:
            # A refused login is tried again later: each try must not leave a socket behind.
            transport = getattr(client.protocol, "transport", None)
            if transport is not None:
                transport.close()
            raise
        return client

    async def poll_once(self, client: aioimaplib.IMAP4, folder: str) -> int:
        """Hand over and move every mail in the folder; returns how many."""
        found = await client.uid_search("ALL", charset=None)
        _ok(found, "search")
        uids = [u for line in found.lines[:1] for u in bytes(line).split() if u.isdigit()]
        for uid in uids:
            sized = _ok(await client.uid("fetch", uid.decode(), "(RFC822.SIZE)"), "size")
            size = next(
                (int(m.group(1)) for line in sized.lines if (m := _SIZE.search(bytes(line)))), 0
            )
            if size > MAX_BYTES:  # not a reply; kept, moved aside, never read into memory
                log.warning("mail %s is %d bytes: moved unread", uid.decode(), size)
                await self._move(client, uid.decode(), folder)
                continue
            fetched = await client.uid("fetch", uid.decode(), "(BODY.PEEK[])")
            _ok(fetched, "fetch")
            raw = next((bytes(x) for x in fetched.lines if isinstance(x, bytearray)), None)
            if raw is None:
                continue  # expunged meanwhile by someone else
            try:
                await self.handle(raw)
            except Exception:  # stays in the inbox and is tried again; the others go on
                log.exception("mail %s in %s not handled", uid.decode(), self.settings.mailbox)
                continue
            await self._move(client, uid.decode(), folder)
        return len(uids)

    async def _move(self, client: aioimaplib.IMAP4, uid: str, folder: str) -> None:
        if "MOVE" in client.protocol.capabilities:
            _ok(await client.uid("move", uid, folder), "move")
            return
        _ok(await client.uid("copy", uid, folder), "copy")  # the copy is safe first
        _ok(await client.uid("store", uid, "+FLAGS.SILENT", r"(\Deleted)"), "flag")
        if "UIDPLUS" in client.protocol.capabilities:
            _ok(await client.uid("expunge", uid), "expunge")
        # Without UIDPLUS the mail stays flagged in the inbox: a plain EXPUNGE could take
        # mail that someone else flagged for deletion.

    async def _idle(self, client: aioimaplib.IMAP4, stop: asyncio.Event) -> None:
        waiting = await client.idle_start(timeout=IDLE_SECONDS)
        try:
            push = asyncio.ensure_future(client.wait_server_push(timeout=IDLE_SECONDS))
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait([push, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in (push, stopping):
                task.cancel()
        finally:
            client.idle_done()
            await asyncio.wait_for(waiting, 10)


class MailboxError(Exception):
    """The server said NO or BAD to something the poller needs."""


def _ok(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        said = b" ".join(bytes(x) for x in response.lines if isinstance(x, bytes | bytearray))
        raise MailboxError(f"{what}: {response.result} {said.decode('utf-8', 'replace')}")
    return response


async def _until(stop: asyncio.Event, waiting: Awaitable[None]) -> None:
    sleeping = asyncio.ensure_future(waiting)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([sleeping, stopping], return_when=asyncio.FIRST_COMPLETED)
    for task in (sleeping, stopping):
        task.cancel()


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_folder(name: str) -> str:
    """IMAP's modified UTF-7 (RFC 3501 5.1.3): 督查已处理 is ``&daVn5V3yWQRXBg-``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)
