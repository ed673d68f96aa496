"""Replies by email: how long superbot takes over a reply, against the least work any mail
intake does with it.

After a monthly reminder an office's mailbox receives one reply per department owner, a few
hundred at most. Each is measured from its bytes to its reports and its answer in the
outbox: read (MIME, charsets, quoted history), the sender and token checked, each line read
and recorded as a chat reply is, the answer rendered and enqueued, the Message-ID kept.

The floor, timed right before it and turn about: the same mails parsed by the standard
library (``email.message_from_bytes`` with the default policy, their text bodies decoded) and
one row per mail inserted into a SQLite table in one transaction — a reader that records
nothing about tasks and answers nobody.

    .venv/bin/python bench/mail_replies.py [--mails 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes import mail_clients  # noqa: E402
from tests.fakes.smtp import smtp_server  # noqa: E402
from tests.mail.conftest import NOW, OFFICE, Clock, FixedRuntime, no_sleep  # noqa: E402

from superbot.channels.mail_reader import read_mail  # noqa: E402
from superbot.config import Config  # noqa: E402
from superbot.domain.model import ScheduleKind  # noqa: E402
from superbot.plan.load import read_plan_file  # noqa: E402
from superbot.service.delivery import round_for  # noqa: E402
from superbot.service.sync import sync  # noqa: E402
from superbot.store.db import make_engine, migrate  # noqa: E402
from superbot.store.sql import SqlStore  # noqa: E402

_TASK = re.compile(r"（([a-z0-9][a-z0-9_-]*)）")
CLIENTS = (mail_clients.outlook, mail_clients.foxmail, mail_clients.qq_mail, mail_clients.gmail)


def seeded(folder: Path) -> Path:
    path = folder / "seed.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    loaded = read_plan_file(ROOT / "tests" / "plan.yaml")
    assert loaded.plan is not None
    sync(
        SqlStore(engine), loaded.plan, now=NOW, source="bench", sha256=loaded.sha256, dry_run=False
    )
    engine.dispose()
    return path


def runtime_on(folder: Path, seed: Path, smtp_url: str) -> FixedRuntime:
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "office.db"
    shutil.copyfile(seed, database)
    config = Config(
        database_url=f"sqlite:///{database}",
        tasks_path=ROOT / "tests" / "plan.yaml",
        smtp_url=smtp_url,
        smtp_from=OFFICE,
        outbox_dir=folder / "outbox",
        files_dir=folder / "files",
        environ={},
    )
    runtime = FixedRuntime(config, Clock(NOW))
    if _ENV:
        runtime.__dict__["env"] = _ENV[0]  # templates compiled once, as in a running superbot
    else:
        _ENV.append(runtime.env)
    return runtime


_ENV: list[object] = []


def replies(reminders: list[EmailMessage], count: int) -> list[bytes]:
    """``count`` replies from the owners, in turn from each client, each with its own id."""
    made = []
    for n in range(count):
        reminder = reminders[n % len(reminders)]
        owner = str(reminder["To"])
        client = CLIENTS[n % len(CLIENTS)]
        # Each owner reports on the first two tasks of the reminder, by id.
        text = reminder.get_body(("plain",)).get_content()
        first, second = (_TASK.findall(text) * 2)[:2]
        body = f"{first} {50 + n % 40}% 第{n}轮进展：设备已进场\n{second} 受阻 用地指标未落实"
        mail = message_from_bytes(client(reminder, owner, body, at=NOW), policy=default)
        mail.replace_header("Message-ID", f"<bench-{n}@example.gov.cn>")
        made.append(mail.as_bytes())
    return made


def floor(mails: list[bytes], folder: Path) -> float:
    database = folder / f"floor-{time.monotonic_ns()}.db"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE mail (id TEXT PRIMARY KEY, sender TEXT, body TEXT)")
    gc.collect()
    start = time.perf_counter()
    rows = []
    for raw in mails:
        mail = message_from_bytes(raw, policy=default)
        assert isinstance(mail, EmailMessage)
        body = mail.get_body(("plain", "html"))
        rows.append(
            (str(mail["Message-ID"]), str(mail["From"]), body.get_content() if body else "")
        )
    with connection:
        connection.executemany("INSERT INTO mail VALUES (?, ?, ?)", rows)
    took = time.perf_counter() - start
    connection.close()
    return took


def measured(mails: list[bytes], runtime: FixedRuntime) -> float:
    handle = runtime.mail_replies.handle
    runtime.store.active_plan()  # the engine's pool opened, as in a running superbot
    gc.collect()
    start = time.perf_counter()
    for raw in mails:
        handle(read_mail(raw), NOW)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="superbot-bench-mail-"))
    try:
        seed = seeded(folder)
        with smtp_server() as outgoing:
            first = runtime_on(folder / "reminders", seed, outgoing.url())
            round_ = round_for(ScheduleKind.REMINDER, NOW.date())
            first.delivery.enqueue(round_, NOW)
            asyncio.run(first.dispatcher(sleep=no_sleep).dispatch())
            reminders = [d.parsed() for d in outgoing.deliveries]
            first.store.engine.dispose()
            mails = replies(reminders, args.mails)
            floors, measures = [], []
            for turn in range(args.repeat + 1):
                folder_n = folder / f"run{turn}"
                runtime = runtime_on(folder_n, folder / "reminders" / "office.db", outgoing.url())
                f, m = floor(mails, folder_n), measured(mails, runtime)
                runtime.store.engine.dispose()
                if turn:  # the first pair warms up imports, caches and templates
                    floors.append(f)
                    measures.append(m)
        best_floor, best = min(floors), min(measures)
        print(f"{args.mails} replies (2 tasks each) to {len(reminders)} reminder emails, SQLite")
        print(f"floor  (stdlib parse + one INSERT each): {best_floor * 1000:8.1f} ms")
        print(f"superbot (read, check, record, answer):  {best * 1000:8.1f} ms")
        print(f"per reply: {best / args.mails * 1000:.1f} ms; ratio {best / best_floor:.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
