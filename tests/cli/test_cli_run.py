"""`superbot run` as a process: it starts on nothing but SQLite and files, and stops cleanly."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_syncs_the_plan_and_stops_cleanly_on_a_signal(
    tmp_path: Path, tasks_file: Path, signum: signal.Signals
) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SMTP_", "SUPERBOT_"))
    }
    env |= {"SUPERBOT_TASKS": str(tasks_file), "PYTHONUNBUFFERED": "1"}
    superbot = Path(sys.executable).with_name("superbot")
    process = subprocess.Popen(
        [str(superbot), "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        started = process.stdout.readline()  # blocks until the bot says it runs
        assert "superbot 已启动" in started, (
            started + process.stderr.read() if process.stderr else ""
        )
        assert "文件" in started  # nothing configured: the file channel
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "已停止" in out
    with sqlite3.connect(tmp_path / "superbot.db") as db:
        (tasks,) = db.execute("SELECT count(*) FROM task WHERE archived_at IS NULL").fetchone()
        (watermarks,) = db.execute("SELECT count(*) FROM scheduler_state").fetchone()
    assert tasks >= 40
    assert watermarks == 3  # it looked at every schedule, and will catch up from here


def test_run_refuses_to_start_on_a_broken_plan_with_nothing_synced(
    tmp_path: Path, tasks_file: Path
) -> None:
    tasks_file.write_text("plan:\n  name: x\n  timezone: Mars/Base\n", encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SMTP_", "SUPERBOT_"))
    }
    env |= {"SUPERBOT_TASKS": str(tasks_file)}
    superbot = Path(sys.executable).with_name("superbot")

    result = subprocess.run(
        [str(superbot), "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "无法启动" in result.stderr
    assert "Traceback" not in result.stderr
