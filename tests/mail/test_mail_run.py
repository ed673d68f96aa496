"""`superbot run` as a process takes replies through both ways in when they are configured:
the IMAP mailbox and its own SMTP listener."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from tests.fakes import mail_clients
from tests.fakes.dovecot import Dovecot
from tests.fakes.smtp import smtp_server
from tests.mail.conftest import LIMH, ZHANGJH, parsed

OFFICE = "duban-run@example.gov.cn"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _reports(database: Path, task_id: str) -> list[tuple[int | None, str | None]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT percent, note FROM report WHERE task_id = ? ORDER BY id", (task_id,)
        ).fetchall()


def _wait(condition: object, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds}s for {what}")
        time.sleep(0.05)


def test_run_reads_the_mailbox_and_listens_for_replies(
    tmp_path: Path, tasks_file: Path, dovecot: Dovecot
) -> None:
    listen = _port()
    database = tmp_path / "superbot.db"
    with smtp_server() as outgoing:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "SMTP_", "SUPERBOT_", "IMAP_"))
        }
        env |= {
            "SUPERBOT_TASKS": str(tasks_file),
            "SUPERBOT_DATABASE_URL": f"sqlite:///{database}",
            "SMTP_URL": outgoing.url(),
            "SMTP_FROM": f"督查科 <{OFFICE}>",
            "IMAP_URL": dovecot.url(OFFICE),
            "SUPERBOT_INBOUND_SMTP": f"127.0.0.1:{listen}",
            "SUPERBOT_FILES_DIR": str(tmp_path / "files"),
            "PYTHONUNBUFFERED": "1",
        }
        superbot = str(Path(sys.executable).with_name("superbot"))
        synced = subprocess.run([superbot, "sync"], cwd=tmp_path, env=env, capture_output=True)
        assert synced.returncode == 0, synced.stderr
        sent = subprocess.run(
            [superbot, "send", "reminders"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert sent.returncode == 0, sent.stderr
        reminders = {str(d.parsed()["To"]): d.parsed() for d in outgoing.deliveries}
        limh = next(m for to, m in reminders.items() if "limh@" in to)
        zhang = next(m for to, m in reminders.items() if "zhangjh@" in to)

        process = subprocess.Popen(
            [superbot, "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            started = process.stdout.readline()
            assert "在 127.0.0.1:" in started, started
            assert "读取邮箱中的回复（IMAP）" in started

            # One reply by the SMTP listener, one into the mailbox superbot reads.
            reply = mail_clients.outlook(limh, LIMH, "55% 设备已招标", at=sent_at(limh))
            with smtplib.SMTP("127.0.0.1", listen, timeout=10) as client:
                client.sendmail("limh@example.gov.cn", [OFFICE], reply)
            dovecot.deliver(
                OFFICE, mail_clients.foxmail(zhang, ZHANGJH, "qy-8 完成", at=sent_at(zhang))
            )

            _wait(lambda: _reports(database, "zcq8-1") and _reports(database, "qy-8"), "both")
            _wait(
                lambda: len([d for d in outgoing.deliveries if d.parsed()["In-Reply-To"]]) == 2,
                "the two answers",
            )
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert _reports(database, "zcq8-1") == [(55, "设备已招标")]
        assert _reports(database, "qy-8") == [(100, None)]
        answers = [d.parsed() for d in outgoing.deliveries if d.parsed()["In-Reply-To"]]
        assert len(answers) == 2
        assert parsed(reply)["Message-ID"] in {a["In-Reply-To"] for a in answers}
        assert dovecot.messages(OFFICE) == []  # moved, not deleted


def sent_at(message: object) -> datetime:
    return parsedate_to_datetime(str(message["Date"]))  # type: ignore[index]
