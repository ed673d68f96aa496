"""The conversation's tables on SQLite and PostgreSQL: accounts on any channel, messages by
opaque reference, steps, reply tokens, refused mail and evidence."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import SHIPPED_TASKS

from superbot.domain.model import Account, Report
from superbot.plan.load import read_plan_file
from superbot.service.conversation import ChatStep
from superbot.service.mail import RefusedMail
from superbot.service.sync import sync
from superbot.store.accounts import SqlAccounts
from superbot.store.conversations import SqlConversations
from superbot.store.evidence import FileEvidence
from superbot.store.mail import SqlMail
from superbot.store.sql import SqlStore

NOW = datetime(2022, 6, 22, 2, 0, tzinfo=UTC)


@pytest.fixture
def synced(store: SqlStore) -> SqlStore:
    loaded = read_plan_file(SHIPPED_TASKS)
    assert loaded.plan is not None
    sync(store, loaded.plan, now=NOW, source="tasks.yaml", sha256=loaded.sha256, dry_run=False)
    return store


def test_the_plan_gives_email_accounts_and_invites_bind_any_channel(synced: SqlStore) -> None:
    accounts = SqlAccounts(synced.engine)
    plan = synced.active_plan()
    assert plan is not None
    assert plan.account("limh", "email") == "limh@example.gov.cn"
    found = plan.person_of(Account("email", "LiMH@Example.gov.cn"))
    assert found is not None
    assert found.id == "limh"

    accounts.bind("limh", Account("dingtalk", "manager4711"), NOW)
    accounts.bind("limh", Account("telegram", "1001"), NOW)
    plan = synced.active_plan()
    assert plan is not None
    channels = [a.channel for a in plan.accounts["limh"]]
    assert channels[0] == "email"  # tasks.yaml's account first
    assert sorted(channels[1:]) == ["dingtalk", "telegram"]
    assert plan.account("limh", "dingtalk") == "manager4711"

    # The account moves to another person; a person keeps one invited account per channel.
    accounts.bind("hejing", Account("telegram", "1001"), NOW + timedelta(days=1))
    accounts.bind("limh", Account("telegram", "2002"), NOW + timedelta(days=1))
    assert accounts.person_for(Account("telegram", "1001")) == "hejing"
    assert accounts.person_for(Account("telegram", "2002")) == "limh"
    plan = synced.active_plan()
    assert plan is not None
    assert plan.account("limh", "telegram") == "2002"


def test_a_changed_email_in_tasks_yaml_moves_the_plan_account(synced: SqlStore) -> None:
    loaded = read_plan_file(SHIPPED_TASKS)
    assert loaded.plan is not None
    people = tuple(
        dataclasses.replace(p, email="li.minghui@example.gov.cn") if p.id == "limh" else p
        for p in loaded.plan.people
    )
    changed = dataclasses.replace(loaded.plan, people=people)
    sync(synced, changed, now=NOW, source="tasks.yaml", sha256="x" * 64, dry_run=False)
    accounts = SqlAccounts(synced.engine)
    assert accounts.person_for(Account("email", "li.minghui@example.gov.cn")) == "limh"
    assert accounts.person_for(Account("email", "limh@example.gov.cn")) is None


def test_messages_steps_and_notes(synced: SqlStore) -> None:
    memory = SqlConversations(synced.engine)
    assert memory.first_time("email", "<a@b>", NOW)
    assert not memory.first_time("email", "<a@b>", NOW)
    assert memory.seen("email", "<a@b>")
    assert not memory.seen("telegram", "<a@b>")  # references are per channel

    memory.remember("telegram", "1001:77", NOW, task_id="zcq8-1")
    memory.remember("email", "<r@duban>", NOW, token="K7Q2M9XA3B4C")
    sent = memory.sent("telegram", "1001:77")
    assert sent is not None
    assert sent.task_id == "zcq8-1"
    mailed = memory.sent("email", "<r@duban>")
    assert mailed is not None
    assert mailed.token == "K7Q2M9XA3B4C"

    sender = Account("wecom", "zhangsan")
    memory.set_step(sender, ChatStep("note", "zcq8-1", None, "m1"), NOW + timedelta(minutes=30))
    assert memory.step(sender, NOW) == ChatStep("note", "zcq8-1", None, "m1")
    assert memory.step(sender, NOW + timedelta(hours=1)) is None
    memory.clear_step(sender)
    assert memory.step(sender, NOW) is None

    report = synced.add_report(Report("zcq8-1", NOW, 60), source_ref="telegram:1001:78")
    assert report.id is not None
    memory.add_note(report.id, "设备已招标")
    again = synced.report_by_ref("telegram:1001:78")
    assert again is not None
    assert (again.percent, again.note) == (60, "设备已招标")
    assert synced.report_by_ref("telegram:1001:79") is None


def test_reply_tokens_one_per_person_and_round(synced: SqlStore) -> None:
    mail = SqlMail(synced.engine)
    later = NOW + timedelta(days=62)
    first = mail.issue("limh", "reminder", "2022-06", ["zcq8-1"], NOW, later, "AAAABBBBCCCC")
    again = mail.issue("limh", "reminder", "2022-06", ["zcq8-1"], NOW, later, "DDDDEEEEFFFF")
    assert first == again == "AAAABBBBCCCC"
    found = mail.find("aaaabbbbcccc")  # as a plus-address brings it back
    assert found is not None
    assert (found.person_id, found.task_ids, found.expires_at) == ("limh", ("zcq8-1",), later)
    assert mail.for_round("limh", "reminder", "2022-07") is None


def test_refused_mail_once_per_message(synced: SqlStore) -> None:
    mail = SqlMail(synced.engine)
    refused = RefusedMail(NOW, "x@evil.example", "完成", "unknown_sender", "<m1@evil>")
    mail.refuse(refused)
    mail.refuse(refused)
    assert mail.refused_between(NOW - timedelta(days=7), NOW) == [refused]
    assert mail.refused_between(NOW, NOW + timedelta(days=7)) == []


def test_evidence_is_stored_once_by_content(synced: SqlStore, tmp_path: Path) -> None:
    files = FileEvidence(synced.engine, tmp_path / "files")
    report = synced.add_report(Report("zcq8-1", NOW, 60), source_ref="email:x:zcq8-1")
    assert report.id is not None
    one = files.keep(b"photo", "C:\\Users\\li\\现场照片.jpg", "image/jpeg", NOW)
    two = files.keep(b"photo", "照片2.jpg", "image/jpeg", NOW)
    assert one.sha256 == two.sha256
    assert one.filename == "现场照片.jpg"
    files.attach(report.id, one)
    files.attach(report.id, one)  # the same mail handled again
    assert files.read(one.sha256) == b"photo"
    listed = SqlConversations(synced.engine).evidence([report.id])
    assert [e.filename for e in listed[report.id]] == ["现场照片.jpg"]
    assert len(list((tmp_path / "files").rglob("*"))) == 2  # one folder, one file
