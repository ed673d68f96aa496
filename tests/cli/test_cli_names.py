"""Names as well as ids: a coordinator types 张建华 or 高新科 where an id is asked for, and gets
the one person or department meant, or the choices when the name fits several."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_cli_task_commands import copy_database, database_after, lines, one_line
from tests.conftest import Cli
from tests.fakes.clock import FakeClock

from superbot.config import Config

SECOND_ZHANG = """      - id: zhangjh2
        name: 张建华
        position: 科员
        email: zhangjh2@example.gov.cn
"""


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="module")
def synced_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return database_after(tmp_path_factory.mktemp("names"), ("sync",))


@pytest.fixture
def synced(cli: Cli, synced_database: Path, tmp_path: Path) -> Cli:
    copy_database(synced_database, tmp_path)
    return cli


def two_zhangs(cli: Cli, tasks_file: Path) -> None:
    """A second 张建华, in 人才科: the name alone no longer says who."""
    text = tasks_file.read_text(encoding="utf-8")
    anchor = "  - id: rck\n"
    start = text.index(anchor)
    people = text.index("    people:\n", start) + len("    people:\n")
    tasks_file.write_text(text[:people] + SECOND_ZHANG + text[people:], encoding="utf-8")
    assert cli("sync").status == 0


def status_ids(cli: Cli, *args: str) -> list[str]:
    result = cli("status", "--json", "--as-of", "2022-06-30", *args)
    assert result.status == 0, result.err
    return [s["id"] for s in json.loads(result.out)]


def test_invite_by_name(synced: Cli) -> None:
    result = synced("invite", "张建华")
    assert result.status == 0, result.err
    assert lines(result.out)[0].startswith(
        "已为 张建华（高新科（科技局高新技术科））生成一次性绑定码："
    )


def test_status_lead_by_name_is_the_same_as_by_id(synced: Cli) -> None:
    by_name = status_ids(synced, "--lead", "高新科")
    assert by_name
    assert by_name == status_ids(synced, "--lead", "gxk")


def test_report_by_a_name(synced: Cli) -> None:
    result = synced("report", "zcq8-1", "--percent", "40", "--by", "李明辉", "--at", "2022-06-10")
    assert result.status == 0, result.err
    assert "李明辉" in lines(result.out)[0]
    (first,) = [
        s
        for s in json.loads(synced("status", "--json", "--as-of", "2022-06-30").out)
        if s["id"] == "zcq8-1"
    ]
    assert first["last_report_by"] == "limh"


def test_a_department_name_that_fits_several_lists_them(synced: Cli) -> None:
    result = synced("status", "--lead", "科技局")
    assert result.status == 2
    assert one_line(result.err) == (
        "名称含“科技局”的单位不止一个，请改用单位编号："
        "综合科（科技局） zhk；高新科（科技局高新技术科） gxk；人才科（科技局） rck"
    )
    assert result.out == ""


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("invite", "张建华"), id="invite"),
        pytest.param(("report", "zcq8-2", "--percent", "10", "--by", "张建华"), id="report-by"),
        pytest.param(("extend", "zcq8-2", "--to", "2023-06-30", "--by", "张建华"), id="extend-by"),
    ],
)
def test_a_name_two_people_share_is_refused_with_both(
    synced: Cli, tasks_file: Path, args: tuple[str, ...]
) -> None:
    two_zhangs(synced, tasks_file)
    result = synced(*args)
    assert result.status == 2
    assert one_line(result.err) == (
        "叫“张建华”的人员不止一位，请改用人员编号："
        "张建华（高新科（科技局高新技术科））zhangjh；张建华（人才科（科技局））zhangjh2"
    )
    assert result.out == ""
    assert synced("invite", "zhangjh2").status == 0  # the id still says who


def test_invite_all_makes_a_code_for_everyone_not_yet_bound(synced: Cli) -> None:
    result = synced("invite", "--all")
    assert result.status == 0, result.err
    out = lines(result.out)
    assert out[0].startswith("已为 ")
    codes = re.findall(r"\b[A-HJ-NP-Z2-9]{8}\b", result.out)
    assert len(codes) == len(set(codes)) == int(out[0].split()[1])
    again = synced("invite", "--dept", "高新科")
    assert again.status == 0, again.err
    rows = lines(again.out)
    assert rows[0].startswith(
        "已为 3 位尚未绑定的人员各生成一次性绑定码，有效期至 2023-03-08 09:00"
    )
    assert [r.split()[0] for r in rows[2:5]] == ["张建华", "林思远", "郑晓燕"]


def test_invite_email_sends_each_person_their_own_code(synced: Cli, tmp_path: Path) -> None:
    result = synced("invite", "--dept", "gxk", "--email")
    assert result.status == 0, result.err
    rows = {r.split()[2]: r.split()[3] for r in lines(result.out)[2:5]}
    assert set(rows) == {"zhangjh", "linsy", "zhengxy"}
    assert "已通知各人（邮件）：送达 3 条。" in result.out
    for person, code in rows.items():
        (mail,) = (tmp_path / "outbox" / f"{person}@example.gov.cn").glob("*.txt")
        text = mail.read_text(encoding="utf-8")
        assert f"一次性绑定码：{code}" in text
        others = set(rows.values()) - {code}
        assert not any(other in text for other in others), "a code went to someone else"


def test_invite_needs_exactly_one_target(synced: Cli) -> None:
    for args in ((), ("张建华", "--all"), ("--all", "--dept", "gxk")):
        result = synced("invite", *args)
        assert result.status == 2
        assert one_line(result.err) == (
            "superbot invite：参数有误：请写明给谁生成绑定码：人员编号或姓名、"
            "--all（所有尚未绑定的人）、--dept 单位，三者选一"
        )


def test_invite_email_without_a_mail_server_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tasks_file: Path, cli_clock: FakeClock
) -> None:
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'tg.db'}",
        tasks_path=tasks_file,
        telegram_token="123:abc",
        telegram_api_url="http://127.0.0.1:9",
        outbox_dir=tmp_path / "outbox",
        environ={},
    )
    run = Cli(capsys, config, cli_clock)
    assert run("sync").status == 0
    result = run("invite", "--all", "--email")
    assert result.status == 1
    assert one_line(result.err).startswith(
        "没有配置发信邮箱（SMTP_URL），无法用 --email 发送绑定码"
    )
    assert result.out == ""


def test_unknown_name_suggests_an_id(synced: Any) -> None:
    result = synced("report", "zcq8-2", "--percent", "10", "--by", "张建")
    assert result.status == 0, result.err  # part of one name: that one person
    result = synced("report", "zcq8-1", "--percent", "10", "--by", "张见华")
    assert result.status == 2
    assert one_line(result.err) == "没有编号或姓名为 张见华 的人员，是不是 zhangjh？"


def test_a_decider_named_by_name_is_recorded_by_id(synced: Cli) -> None:
    assert synced("report", "zcq8-2", "--done", "--at", "2022-12-20", "--by", "张建华").status == 0
    approved = synced("approve", "zcq8-2", "--by", "王丽", "--note", "材料齐全")
    assert approved.status == 0, approved.err
    extended = synced(
        "extend", "zcq8-5", "--to", "2023-06-30", "--reason", "用地待批", "--by", "王丽"
    )
    assert extended.status in (0, 2), extended.err
    assert "Traceback" not in extended.err
    dossier = synced("dossier", "zcq8-2", "-o", "-", "--format", "md")
    assert dossier.status == 0, dossier.err
    assert "王丽" in dossier.out
