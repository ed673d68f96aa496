"""A real IMAP server for tests: Debian's Dovecot, started on a free port from a
configuration in a temporary folder (its own sockets, state, log and maildirs), and stopped
afterwards. Any user name logs in with ``PASSWORD``; each test takes a user of its own, so
tests never see each other's mail.

Dovecot is installed with apt-get when it is missing and we may (root); in CI a missing
Dovecot fails the tests rather than skipping them.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "s3cret"
HOST = "127.0.0.1"


def dovecot_problem() -> str | None:
    if not os.path.exists(DOVECOT) and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "dovecot-imapd"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=600,
        )
    if not os.path.exists(DOVECOT):
        return "Dovecot is not installed (apt-get install dovecot-imapd)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Dovecot:
    port: int
    folder: Path

    def url(self, user: str, *, query: str = "") -> str:
        return f"imap://{user}:{PASSWORD}@{HOST}:{self.port}/INBOX{query}"

    @contextmanager
    def client(self, user: str) -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4(HOST, self.port)
        connection.login(user, PASSWORD)
        try:
            yield connection
        finally:
            connection.logout()

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """A mail arrives in the user's mailbox."""
        with self.client(user) as imap:
            status, _ = imap.append(folder, None, None, raw)
            assert status == "OK"

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        with self.client(user) as imap:
            status, _ = imap.select(folder, readonly=True)
            if status != "OK":
                return []
            _, found = imap.uid("search", None, "ALL")
            uids = found[0].split() if found and found[0] else []
            mails = []
            for uid in uids:
                _, data = imap.uid("fetch", uid, "(BODY.PEEK[])")
                mails.extend(part[1] for part in data if isinstance(part, tuple))
            return mails

    def folders(self, user: str) -> list[str]:
        with self.client(user) as imap:
            _, listed = imap.list()
            return [line.decode().rsplit(" ", 1)[-1].strip('"') for line in listed if line]


@contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    # Not under pytest's tmp_path: Dovecot's own users must reach the sockets, and pytest's
    # folders are the test user's alone.
    folder = Path(tempfile.mkdtemp(prefix="superbot-dovecot-"))
    for sub in ("run", "state", "home"):
        (folder / sub).mkdir(exist_ok=True)
    if os.geteuid() == 0:
        # Dovecot will not run its login processes as root: its own users serve them.
        login, internal = "dovenull", "dovecot"
        mail_user = pwd.getpwnam("dovecot")
        os.chown(folder / "home", mail_user.pw_uid, mail_user.pw_gid)
    else:
        login = internal = pwd.getpwuid(os.getuid()).pw_name
        mail_user = pwd.getpwuid(os.getuid())
    folder.chmod(0o755)
    port = _free_port()
    config = folder / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={folder}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 0
first_valid_gid = 0
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {internal}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
""",
        encoding="utf-8",
    )
    # -F: in the foreground, a child of ours that we stop ourselves.
    master = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        break
            except OSError:
                if master.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "dovecot.log").read_text(errors="replace")
                    raise RuntimeError(f"Dovecot did not start:\n{log}") from None
                time.sleep(0.05)
        yield Dovecot(port, folder)
    finally:
        master.terminate()
        try:
            master.wait(timeout=10)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
        shutil.rmtree(folder, ignore_errors=True)
