"""`kill -9` of `superbot send` in the middle of a round: a re-run takes over the dead
process's messages as soon as their lease runs out and sends the rest, each once — except at
most the one message per recipient that was on its way when the process died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes.telegram_api import FakeTelegram

PEOPLE = 8
TASKS_EACH = 3


def plan() -> str:
    lines = ["plan:", "  name: 测试计划", "  timezone: Asia/Shanghai", "  holidays: weekends"]
    lines.append("departments:")
    for n in range(PEOPLE):
        lines += [f"  - id: d{n}", f"    name: 部门{n}", "    people:"]
        lines += [f"      - id: p{n}", f"        name: 人员{n}", f"        telegram: {1000 + n}"]
    lines += ["coordinators: [p0]", "campaigns:", "  - id: c", "    name: 专项", "    tasks:"]
    for n in range(PEOPLE):
        for t in range(TASKS_EACH):
            lines += [f"      - id: t{n}-{t}", f"        title: 任务{n}-{t}", f"        lead: d{n}"]
            lines += ["        start: 2022-01-01", "        due: 2022-12-31"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        for n in range(PEOPLE):
            server.add_user(1000 + n, first_name=f"人员{n}")
        yield server


def test_a_rerun_after_kill_9_sends_the_rest_once(
    tmp_path: Path, database_url: str, telegram: FakeTelegram
) -> None:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(plan(), encoding="utf-8")
    env = {
        **os.environ,
        "SUPERBOT_DATABASE_URL": database_url,
        "SUPERBOT_TASKS": str(tasks),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "SUPERBOT_OUTBOX_LEASE": "2",
    }
    superbot = [str(Path(sys.executable).with_name("superbot"))]
    send = [*superbot, "send", "reminders", "--as-of", "2022-06-20"]
    subprocess.run([*superbot, "sync"], env=env, cwd=tmp_path, check=True, capture_output=True)
    expected = PEOPLE * (1 + TASKS_EACH)  # a head and one message per task, to each person
    telegram.send_delay = 0.5  # a slow Bot API: the round takes seconds

    first = subprocess.Popen(send, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL)
    telegram.wait_for(lambda s: len(s.messages()) >= expected // 3, timeout=60)
    os.kill(first.pid, signal.SIGKILL)  # mid-round, with sends under way
    first.wait()
    second = subprocess.run(
        send, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert second.returncode == 0, second.stdout + second.stderr
    for n in range(PEOPLE):
        texts = [m.text for m in telegram.messages(1000 + n)]
        assert len(set(texts)) == 1 + TASKS_EACH, texts  # everything reached everyone
        duplicated = [text for text, times in Counter(texts).items() if times > 1]
        assert len(duplicated) <= 1  # at most the message under way when the process died
    assert len(telegram.messages()) <= expected + PEOPLE
