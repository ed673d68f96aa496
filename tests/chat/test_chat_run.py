"""``superbot run`` as a process, with 钉钉 (Stream mode), 企业微信 and 飞书 configured and
people bound on them in tasks.yaml: whole conversations as their owners have them."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.fakes import dingtalk_api, feishu_api, wecom_api
from tests.fakes.chat_platform import FakePlatform
from tests.fakes.dingtalk_api import FakeDingtalk
from tests.fakes.feishu_api import FakeFeishu
from tests.fakes.wecom_api import FakeWecom

# Owners bound on one platform each in tasks.yaml, by the ids their platform gives them.
BINDINGS = {
    "limh": ("dingtalk", "limh-ding"),  # 区发改局: leads zcq8-1
    "xuhb": ("wecom", "XuHaiBo"),  # 科技装备科: leads one task
    "sunlp": ("feishu", "sunlp-fs"),  # 科教文科: leads one task
    "zhangjh": ("wecom", "ZhangJianHua"),  # 高新科: supports zcq8-1
    "wangli": ("feishu", "wangli-fs"),  # 督查科
}


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bind_in_tasks_yaml(tasks_file: Path) -> None:
    source = tasks_file.read_text(encoding="utf-8")
    for person, (channel, ident) in BINDINGS.items():
        marker = f"      - id: {person}\n"
        assert marker in source, person
        source = source.replace(marker, f"{marker}        {channel}: {ident}\n", 1)
    tasks_file.write_text(source, encoding="utf-8")


def _reports(database: Path, task_id: str) -> list[tuple[int | None, str | None]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT percent, note FROM report WHERE task_id = ? ORDER BY id", (task_id,)
        ).fetchall()


def _card(fake: FakePlatform, user: str) -> object:
    cards = fake.cards(user)
    assert len(cards) == 1, cards
    return cards[0]


def _says(fake: FakePlatform, user: str, text: str, expect: int = 1) -> list[str]:
    before = len(fake.texts(user))
    assert fake.user_sends(user, text).status == 200  # type: ignore[attr-defined]
    fake.wait_for(lambda f: len(f.texts(user)) >= before + expect, 20, f"an answer to {user}")
    return fake.texts(user)[before:]


def _presses(fake: FakePlatform, user: str, label: str) -> list[str]:
    card = fake.cards(user)[-1]
    key = next(data for shown, data in card.shown.buttons if shown == label)
    before = len(fake.texts(user))
    assert fake.user_presses(user, card, key).status == 200  # type: ignore[attr-defined]
    fake.wait_for(lambda f: len(f.texts(user)) > before and card.updates, 20, "answer and card")
    return fake.texts(user)[before:]


def test_run_talks_with_owners_on_dingtalk_wecom_and_feishu(
    tmp_path: Path, tasks_file: Path
) -> None:
    _bind_in_tasks_yaml(tasks_file)
    database = tmp_path / "superbot.db"
    ding_users = {"limh-ding", "stranger-ding"}
    wecom_users = {"XuHaiBo", "ZhangJianHua"}
    feishu_users = {"sunlp-fs", "wangli-fs"}
    with (
        FakeDingtalk(ding_users, stream=True) as ding,
        FakeWecom(wecom_users) as wecom,
        FakeFeishu(feishu_users) as feishu,
    ):
        port = _port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("TELEGRAM_", "SMTP_", "SUPERBOT_", "IMAP_", "DINGTALK_", "WECOM_", "FEISHU_")
            )
        }
        env |= {
            "SUPERBOT_TASKS": str(tasks_file),
            "SUPERBOT_DATABASE_URL": f"sqlite:///{database}",
            "SUPERBOT_OUTBOX_DIR": str(tmp_path / "outbox"),
            "SUPERBOT_HTTP": f"127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
            **dingtalk_api.settings(ding),
            **wecom_api.settings(wecom),
            **feishu_api.settings(feishu),
        }
        for fake in (ding, wecom, feishu):
            fake.callback_url = f"http://127.0.0.1:{port}"
        superbot = str(Path(sys.executable).with_name("superbot"))
        synced = subprocess.run([superbot, "sync"], cwd=tmp_path, env=env, capture_output=True)
        assert synced.returncode == 0, synced.stderr
        sent = subprocess.run(
            [superbot, "send", "reminders", "--as-of", "2022-06-20"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        # Owners bound nowhere superbot is configured are listed as unreached (exit 1).
        assert "本次送达 19 条" in sent.stdout, sent.stdout + sent.stderr
        for fake, user in ((ding, "limh-ding"), (wecom, "XuHaiBo"), (feishu, "sunlp-fs")):
            assert "进度报送提醒" in fake.texts(user)[0], (fake.name, fake.texts(user))
            assert len(fake.cards(user)) == 1, (fake.name, user)

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
            assert "钉钉、飞书、企业微信" in started, started
            ding.wait_for(lambda f: f.connected, 20, "the Stream connection")  # type: ignore[attr-defined]

            # The reminder's card → a button → a typed note → the answer, on each platform.
            for fake, user, task in (
                (ding, "limh-ding", "zcq8-1"),
                (wecom, "XuHaiBo", None),
                (feishu, "sunlp-fs", None),
            ):
                card = fake.cards(user)[0]
                if task is not None:
                    assert any(data.startswith(f"p:{task}:") for _, data in card.buttons)
                [recorded] = _presses(fake, user, "60%")
                assert "已记录" in recorded, (fake.name, recorded)
                assert "进度 60%" in recorded, (fake.name, recorded)
                assert "进度 60%" in card.shown.text, (fake.name, card.shown)
                [noted] = _says(fake, user, "设备已招标")
                assert "已补充说明" in noted, (fake.name, noted)

            # Free text naming the task; an unbound person; a support department; /status.
            [recorded] = _says(ding, "limh-ding", "zcq8-1 90% 设备已安装调试")
            assert "进度 90%" in recorded
            [unbound] = _says(ding, "stranger-ding", "zcq8-1 完成")
            assert "还没有绑定" in unbound
            [refused] = _says(wecom, "ZhangJianHua", "zcq8-1 完成")
            assert "牵头" in refused
            status = "\n".join(_says(feishu, "wangli-fs", "/status"))
            assert "任务总览" in status
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert _reports(database, "zcq8-1") == [(60, "设备已招标"), (90, "设备已安装调试")]
