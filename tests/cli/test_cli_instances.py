"""Two real `superbot run` processes on one PostgreSQL, sending through one (fake) Telegram.
The leader is killed (SIGKILL) in the middle of a reminder round, with a message in flight:
the other instance takes the schedules over within seconds and, once the dead one's claims
run out, every message of the round has gone out exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from tests.bot.conftest import free_port
from tests.conftest import Cli
from tests.fakes.telegram_api import FakeTelegram

from superbot.domain.model import Account
from superbot.store.accounts import SqlAccounts
from superbot.store.db import make_engine

TAKEOVER_SECONDS = 10


@contextmanager
def superbot_run(
    tmp_path: Path, name: str, database_url: str, tasks: Path, telegram: FakeTelegram
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A `superbot run` process (webhook mode, its own HTTP port); yields it and its address
    once it says it runs."""
    folder = tmp_path / name
    folder.mkdir()
    address = f"127.0.0.1:{free_port()}"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SMTP_", "SUPERBOT_"))
    }
    env |= {
        "SUPERBOT_DATABASE_URL": database_url,
        "SUPERBOT_TASKS": str(tasks),
        "SUPERBOT_HTTP": address,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "PYTHONUNBUFFERED": "1",
    }
    superbot = Path(sys.executable).with_name("superbot")
    log = (folder / "stderr.log").open("w")
    process = subprocess.Popen(
        [str(superbot), "run", "--webhook", f"http://{address}/telegram"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        started = process.stdout.readline()
        assert "superbot 已启动" in started, (folder / "stderr.log").read_text()
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep it draining
        yield process, address
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        if process.stdout is not None:
            process.stdout.close()


def ready(address: str) -> dict[str, object]:
    with urllib.request.urlopen(f"http://{address}/readyz", timeout=5) as answer:
        found: dict[str, object] = json.loads(answer.read())
        return found


def until(what: str, check: object, seconds: float) -> float:
    """Seconds it took for ``check()`` to hold (a real process's pace, not a sleep for time)."""
    begun = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - begun > seconds:
            raise AssertionError(f"not within {seconds}s: {what}")
        time.sleep(0.1)
    return time.monotonic() - begun


def test_the_leader_killed_mid_round(cli: Cli, postgres_url: str, tmp_path: Path) -> None:
    cli.config = cli.config.__class__(**{**cli.config.__dict__, "database_url": postgres_url})
    assert cli("sync").status == 0
    engine = make_engine(postgres_url)
    accounts = SqlAccounts(engine)
    now = datetime.now(UTC)
    with FakeTelegram() as telegram:
        with engine.begin() as db:
            # Owners of few tasks each: Telegram's pace (1 message a second a chat) keeps the
            # round short, and the round still has many messages in flight at once.
            people = [
                row[0]
                for row in db.execute(
                    text(
                        "SELECT p.id FROM person p JOIN task t ON t.lead_id = p.department_id"
                        " GROUP BY p.id HAVING count(*) <= 3 ORDER BY p.id"
                    )
                )
            ]
            # The reminder round of this month is due: the schedules last looked long ago.
            db.execute(
                text("INSERT INTO scheduler_state (kind, watermark) VALUES ('reminder', :at)"),
                {"at": now - timedelta(days=62)},
            )
        for number, person in enumerate(people):
            user = 5000 + number
            telegram.add_user(user, first_name=person)
            accounts.bind(person, Account("telegram", str(user)), now)

        held = telegram.hold("sendMessage", after=3)  # the 4th message stays in flight
        with superbot_run(tmp_path, "a", postgres_url, cli.config.tasks_path, telegram) as (
            first,
            first_address,
        ):
            assert held.wait(60), "the first instance never started the round"
            with superbot_run(tmp_path, "b", postgres_url, cli.config.tasks_path, telegram) as (
                _second,
                second_address,
            ):
                assert ready(first_address) == {"database": "ok", "leader": True}
                assert ready(second_address) == {"database": "ok", "leader": False}

                first.send_signal(signal.SIGKILL)  # mid-round, a message in flight
                first.wait(10)
                telegram.drop_held()  # it never reached Telegram
                took = until(
                    "the second runs the schedules",
                    lambda: ready(second_address)["leader"] is True,
                    TAKEOVER_SECONDS,
                )
                assert took < TAKEOVER_SECONDS

                # The dead instance's claims run out (their lease, 10 minutes, is moved back
                # rather than waited for); the second sends what they held.
                with engine.begin() as db:
                    db.execute(
                        text(
                            "UPDATE outbox SET claimed_at = claimed_at - interval '11 minutes'"
                            " WHERE status = 'sending'"
                        )
                    )

                def round_done() -> bool:
                    with engine.connect() as db:
                        waiting = db.execute(
                            text(
                                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
                            )
                        ).scalar()
                    return waiting == 0

                until("the round is sent", round_done, 120)
                with engine.connect() as db:
                    rows = db.execute(
                        text(
                            "SELECT status, count(*) FROM outbox"
                            " WHERE kind = 'reminder' AND channel = 'telegram' GROUP BY status"
                        )
                    ).all()
                    watermark = db.execute(
                        text("SELECT watermark FROM scheduler_state WHERE kind = 'reminder'")
                    ).scalar()
    engine.dispose()

    counts = dict(rows)
    assert counts.get("sent", 0) >= 8, counts
    assert set(counts) == {"sent"}, counts
    sent = telegram.messages()
    copies = Counter((m.chat_id, m.text) for m in sent)
    assert max(copies.values()) == 1, [k for k, n in copies.items() if n > 1][:3]
    assert len(sent) == counts["sent"]  # every row once, and nothing else
    assert watermark is not None
    assert watermark > now
