"""The supervision loop from the command line, on SQLite and on PostgreSQL, with the clock
moving through the second half of 2022:

* 任务丙: done → 待审核 → 退回 with a reason (the owner is told) → done again → approved →
  counted as done in the September 通报;
* 任务丁: an extension asked before its due date and approved; 任务戊: one asked after it,
  refused with why;
* 任务甲 and 任务乙: yellow in the July and August 通报 → 督办单 each; 任务甲 makes no progress
  by the reply-by date → 专函 to the 联络员 and the 分管领导 in the September 通报; 任务乙
  reports progress in time → nothing more;
* the September 通报, sent, comes back byte for byte after the plan's due date is edited; the
  October 通报 says the file was edited; a status for a past day uses the plan of that day;
* each task's 一事一档 holds all of it.

Messages go to the file channel: ``outbox/<person>/`` is what each person would read.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from tests.conftest import Cli, Result

from superbot.config import Config

ZONE = ZoneInfo("Asia/Shanghai")

PLAN = """\
plan:
  name: 督查闭环测试计划
  timezone: Asia/Shanghai
  start: 2022-01-01
  holidays: cn
rules:
  review_done: true
  extended_counts_as: on_time
departments:
  - id: dck
    name: 督查科
    people:
      - {id: wang, name: 王丽, position: 科长}
  - id: gxk
    name: 高新科
    liaison: zhang
    leader: sun
    people:
      - {id: zhang, name: 张建华, position: 科员}
      - {id: lin, name: 林思远, position: 科长}
  - id: jld
    name: 局领导
    people:
      - {id: sun, name: 孙志明, position: 副局长}
coordinators: [wang]
bulletin:
  issuer: 测试局督查科
escalation:
  - {light: yellow, consecutive: 2, document: 督办单, to: [liaison], reply_workdays: 10}
  - {light: red, consecutive: 1, document: 专函, to: [liaison, leader], reply_workdays: 10}
  - {light: red, consecutive: 3, document: 约谈, to: [coordinators], reply_workdays: 5}
campaigns:
  - id: c1
    name: 专项一
    tasks:
      - {id: a, title: 任务甲, lead: gxk, due: 2022-12-31}
      - {id: b, title: 任务乙, lead: gxk, due: 2022-12-31}
      - {id: c, title: 任务丙, lead: gxk, due: 2022-12-31}
      - {id: d, title: 任务丁, lead: gxk, due: 2022-09-30}
      - {id: e, title: 任务戊, lead: gxk, due: 2022-09-15}
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2022, 6, 1, 9, tzinfo=ZONE)

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: str) -> None:
        self.now = datetime.fromisoformat(moment).replace(tzinfo=ZONE)


@pytest.fixture
def office(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> tuple[Cli, Clock, Path]:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(PLAN, encoding="utf-8")
    clock = Clock()
    config = Config(
        database_url=database_url,
        tasks_path=tasks,
        outbox_dir=tmp_path / "outbox",
        environ={},
    )
    return Cli(capsys, config, clock), clock, tmp_path


def ok(result: Result) -> str:
    assert result.status == 0, result.out + result.err
    return result.out


def inbox(folder: Path, person: str, matching: Callable[[str], bool]) -> list[str]:
    """The texts of the person's messages that match, oldest first."""
    box = folder / "outbox" / person
    if not box.exists():
        return []
    texts = [p.read_text(encoding="utf-8") for p in sorted(box.glob("*.txt"))]
    return [t for t in texts if matching(t)]


def status(run: Cli, day: str) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in json.loads(ok(run("status", "--json", "--as-of", day)))}


def copies(run: Cli, folder: Path, month: str, tag: str) -> dict[str, bytes]:
    found = {}
    for fmt in ("docx", "xlsx", "html", "md"):
        target = folder / f"{tag}.{fmt}"
        ok(run("bulletin", "--month", month, "--format", fmt, "-o", str(target)))
        found[fmt] = target.read_bytes()
    return found


def test_the_whole_loop(office: tuple[Cli, Clock, Path]) -> None:
    run, clock, folder = office
    ok(run("sync"))

    # -- July: the reminder, reports, the July 通报 ------------------------------------------
    clock.at("2022-07-20T09:00")
    ok(run("send", "reminders"))
    assert inbox(folder, "zhang", lambda t: "任务甲" in t)  # the 联络员 is reminded
    assert not inbox(folder, "lin", lambda t: True)  # the others of 高新科 are not
    clock.at("2022-07-20T15:00")
    for task, percent in (("a", "30"), ("b", "30"), ("c", "80"), ("d", "80"), ("e", "90")):
        ok(run("report", task, "--percent", percent, "--by", "zhang"))
    clock.at("2022-08-01T09:00")
    ok(run("send", "bulletin"))
    july = status(run, "2022-07-31")
    assert (july["a"]["light"], july["b"]["light"]) == ("yellow", "yellow")

    # -- August: still behind; the August 通报 fires a 督办单 for each ------------------------
    clock.at("2022-08-20T10:00")
    for task, percent in (("a", "35"), ("b", "35"), ("c", "85"), ("d", "88"), ("e", "95")):
        ok(run("report", task, "--percent", percent, "--by", "zhang"))
    clock.at("2022-09-01T09:00")
    ok(run("send", "bulletin"))
    august = ok(run("bulletin", "--month", "2022-08", "--format", "md", "-o", "-"))
    assert "## 六、督办事项" in august
    assert "〔2022〕督办第 1 号 督办单**：高新科牵头的“任务甲”（连续 2 期黄灯（或红灯））" in august
    assert "〔2022〕督办第 2 号 督办单**：高新科牵头的“任务乙”" in august
    assert "请于9月16日前反馈" in august  # ten workdays, the Mid-Autumn holiday skipped
    [notice] = inbox(folder, "zhang", lambda t: t.startswith("【督办单】〔2022〕督办第 1 号"))
    assert "你单位牵头的“任务甲”（a）在 2 期督查通报中连续为红灯" in notice
    assert "请于2022年9月16日前将整改措施" in notice
    assert "逾期未反馈且无实质进展的，将按规定发出专函。" in notice
    word = next((folder / "outbox" / "zhang").glob("*督办单-2022-1-a.docx"))
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.read_bytes())).paragraphs]
    assert paragraphs[:2] == ["督办单", "〔2022〕督办第 1 号"]
    assert not inbox(folder, "sun", lambda t: t.startswith("【督办单】"))  # the 联络员 only
    assert inbox(folder, "sun", lambda t: t.startswith("【督查通报】"))  # the 通报 he gets

    # -- September: 任务乙 answers in time; 任务丙 asks to close, is returned, asks again ------
    clock.at("2022-09-10T10:00")
    ok(run("report", "b", "--percent", "40", "--by", "zhang", "--note", "已完成主体工程"))
    clock.at("2022-09-20T10:00")
    photo = folder / "验收现场.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"site-photo" * 300)
    asked = ok(
        run(
            "report", "c", "--done", "--by", "zhang", "--note", "已完成验收",
            "--evidence", str(photo),
        )
    )  # fmt: skip
    assert "佐证：验收现场.jpg（3 KB）" in asked
    assert "报已完成" in asked
    assert "已通知督查科：送达 1 条。" in asked
    [request] = inbox(folder, "wang", lambda t: t.startswith("【待审核】任务丙"))
    assert "申请人：张建华，2022-09-20 10:00" in request
    assert "superbot reject c --reason" in request
    claimed = status(run, "2022-09-20")["c"]
    assert (claimed["light"], claimed["claimed_on"]) == ("pending", "2022-09-20")
    queue = ok(run("review"))
    assert "【办结申请】c「任务丙」 · 高新科" in queue
    assert "说明：已完成验收" in queue
    assert "佐证：验收现场.jpg（3 KB）" in queue

    clock.at("2022-09-21T10:00")
    returned = ok(run("reject", "c", "--reason", "请补充第三方验收报告", "--by", "wang"))
    assert returned.startswith("c「任务丙」办结申请：退回，未予销号（原因：请补充第三方验收报告）")
    assert "已通知张建华：送达 1 条。" in returned
    [told] = inbox(folder, "zhang", lambda t: t.startswith("【审核结果】任务丙"))
    assert "退回原因：请补充第三方验收报告" in told
    returned_c = status(run, "2022-09-21")["c"]
    assert (returned_c["light"], returned_c["percent"]) == ("yellow", 85)  # the claim: void
    assert ok(run("review")).strip() == "没有等待审核的申请。"

    clock.at("2022-09-26T10:00")
    ok(run("report", "c", "--done", "--by", "zhang", "--note", "已补充验收报告"))
    clock.at("2022-09-27T10:00")
    approved = ok(run("approve", "c", "--note", "材料齐全", "--by", "wang"))
    assert "办结申请：同意办结，已销号" in approved
    assert status(run, "2022-09-26")["c"]["light"] == "done"  # as of the request's date
    assert status(run, "2022-09-25")["c"]["light"] == "yellow"

    # -- extensions: 任务丁 asks in time, 任务戊 too late ------------------------------------------
    clock.at("2022-09-20T11:00")
    ok(run("report", "d", "--percent", "85", "--by", "zhang", "--yes"))  # lower than 88
    ok(run("extend", "d", "--to", "2022-12-31", "--reason", "土地审批未完成", "--by", "zhang"))
    late = run("extend", "e", "--to", "2022-12-31", "--reason", "资金未到位", "--by", "zhang")
    assert late.status == 2
    assert late.err.strip() == (
        "“任务戊”已于 2022-09-15 到期（已逾期 5 天），到期后不能再申请延期。"
        "请尽快办结；确有特殊情况，请与督查科联系"
    )
    clock.at("2022-10-10T10:00")
    ok(run("approve", "d", "--by", "wang"))
    before, after = status(run, "2022-10-09"), status(run, "2022-10-10")
    assert before["d"]["light"] == "red"  # overdue until the approval
    assert (after["d"]["due"], after["d"]["original_due"]) == ("2022-12-31", "2022-09-30")
    assert after["d"]["light"] == "green"
    assert "已批准延期至 2022-12-31，原定 2022-09-30" in after["d"]["reasons"]

    # -- the September 通报: 专函 for 任务甲, nothing more for 任务乙, 任务丙 done --------------
    clock.at("2022-10-11T09:00")
    ok(run("send", "bulletin", "--as-of", "2022-10-11"))
    september = ok(run("bulletin", "--month", "2022-09", "--format", "md", "-o", "-"))
    assert "〔2022〕督办第 3 号 专函**：高新科牵头的“任务甲”（红灯）" in september
    assert "督办第 4 号" not in september
    assert "任务丙 · 高新科：9月26日办结" in september
    # 任务丁 was due on 30 September and extended on 10 October: its deadline is worded from
    # the 通报's own date, with the extension said.
    assert "12月31日截止（还有 81 天）；进度滞后 15 个百分点；已批准延期，原定 9月30日" in september
    [letter] = inbox(folder, "sun", lambda t: t.startswith("【专函】〔2022〕督办第 3 号"))
    assert "孙志明同志：" in letter
    assert "此前已发督办单，反馈期限届满仍无实质进展。" in letter
    assert inbox(folder, "zhang", lambda t: t.startswith("【专函】〔2022〕督办第 3 号"))

    # -- what was sent stays as it was sent ----------------------------------------------------
    sent = copies(run, folder, "2022-09", "sent")
    clock.at("2022-10-12T10:00")
    tasks = folder / "tasks.yaml"
    tasks.write_text(
        tasks.read_text(encoding="utf-8").replace(
            "{id: a, title: 任务甲, lead: gxk, due: 2022-12-31}",
            "{id: a, title: 任务甲, lead: gxk, due: 2023-03-31}",
        ),
        encoding="utf-8",
    )
    ok(run("sync"))
    ok(run("report", "c", "--percent", "10", "--by", "zhang", "--yes"))  # and reports keep coming,
    ok(run("report", "a", "--percent", "70", "--at", "2022-09-28"))  # some dated in September
    assert copies(run, folder, "2022-09", "again") == sent
    assert openpyxl.load_workbook(io.BytesIO(sent["xlsx"])).sheetnames[-1] == "督办事项"
    assert status(run, "2022-09-30")["a"]["due"] == "2022-12-31"  # the plan of that day
    assert status(run, "2022-10-12")["a"]["due"] == "2023-03-31"
    clock.at("2022-11-01T09:00")
    october = ok(run("bulletin", "--month", "2022-10", "--format", "md", "-o", "-"))
    assert (
        "“任务甲”（a）：截止日期由 12月31日 调整为 2023年3月31日（任务清单修改，未经延期审批），"
        "10月12日同步" in october
    )

    # -- 一事一档 -------------------------------------------------------------------------------
    a = ok(run("dossier", "a", "--format", "md", "-o", "-"))
    for seen in (
        "| 交办 | 列入任务清单（第 1 版",
        "| 提醒 | 月度提醒（2022-07）发给张建华，经文件：已送达",
        "| 报送 | 张建华报送：35%",
        "| 通报 | 第 1 期督查通报（2022-07）：●黄灯，进度 30%",
        "| 督办 | 〔2022〕督办第 1 号 督办单（第 2022-08 期通报，连续 2 期黄灯（或红灯）），"
        "要求 9月16日 前反馈：期限内无进展",
        "| 督办 | 〔2022〕督办第 3 号 专函",
        "| 清单调整 | 截止日期由 12月31日 调整为 2023年3月31日（任务清单修改，未经延期审批）；"
        "任务清单第 2 版",
    ):
        assert seen in a, seen
    b = ok(run("dossier", "b", "--format", "md", "-o", "-"))
    assert (
        "督办第 2 号 督办单（第 2022-08 期通报，连续 2 期黄灯（或红灯）），"
        "要求 9月16日 前反馈：期限内有进展" in b
    )
    c = ok(run("dossier", "c", "--format", "md", "-o", "-"))
    for seen in (
        "| 报送 | 张建华报送：已完成（100%）；说明：已完成验收；佐证：验收现场.jpg（3 KB，SHA-256 ",
        "| 申请 | 张建华申请办结（销号）",
        "| 审核 | 王丽退回办结申请：请补充第三方验收报告",
        "| 审核 | 王丽同意办结，销号（按申请日期 9月26日 办结）：材料齐全",
        "| 通报 | 第 3 期督查通报（2022-09）：●办结",
    ):
        assert seen in c, seen
    d = ok(run("dossier", "d", "--format", "md", "-o", "-"))
    assert "张建华申请延期：截止日期由 9月30日 延至 12月31日，原因：土地审批未完成" in d
    assert "王丽同意延期至 12月31日" in d
    word_file = folder / "a.docx"
    assert "一事一档" in ok(run("dossier", "a", "--format", "docx", "-o", str(word_file)))
    rows = docx.Document(io.BytesIO(word_file.read_bytes())).tables[1].rows
    assert [cell.text for cell in rows[0].cells] == ["序号", "时间", "事项", "内容"]
    assert len(rows) == 1 + 11  # 交办, 提醒, three reports, three 通报, two documents, one edit


def test_evidence_too_big_or_too_many_records_nothing(office: tuple[Cli, Clock, Path]) -> None:
    run, clock, folder = office
    ok(run("sync"))
    clock.at("2022-07-20T15:00")
    files = []
    for n in range(11):
        path = folder / f"照片{n}.jpg"
        path.write_bytes(b"photo %d" % n)
        files += ["--evidence", str(path)]
    many = run("report", "a", "--done", *files)
    assert many.status == 2
    assert many.err.strip() == "一次最多附 10 个佐证材料，这里有 11 个：什么都没有登记"
    big = folder / "录像.mp4"
    with big.open("wb") as stream:
        stream.truncate(21 * 1024 * 1024)
    too_big = run("report", "a", "--done", "--evidence", str(big))
    assert too_big.status == 2
    assert "超过佐证材料的上限 20MB：什么都没有登记" in too_big.err
    assert json.loads(ok(run("status", "--json")))[0]["percent"] == 0
