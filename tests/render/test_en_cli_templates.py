"""The command line in English: every zh-CN CLI template and text has an en twin with the same
macros and variables, and ``superbot`` with ``SUPERBOT_LOCALE=en`` prints no Chinese of its own
(the plan's names, from tasks.yaml, stay Chinese)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
from jinja2 import meta, nodes
from tests.conftest import Cli
from tests.fakes.clock import FakeClock

from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.plan.load import read_plan_file
from superbot.render.environment import make_environment, packaged_templates
from superbot.render.terminal import truncate
from superbot.service.delivery import Reach

TEMPLATES = packaged_templates()
ZH, EN = TEMPLATES / "zh-CN", TEMPLATES / "en"
CLI_TEXTS = ("cli", "status", "report")

CLI_FILES = sorted(p.relative_to(ZH).as_posix() for p in (ZH / "cli").glob("*.txt"))
TEXT_FILES = [f"texts/{area}.j2" for area in CLI_TEXTS]
ALL_FILES = CLI_FILES + TEXT_FILES

# Chinese characters and the full-width punctuation that goes with them.
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]+")

BROKEN = """\
plan:
  name: 测试计划
  start: 2022-01-01
  timezone: Asia/Shanghia
departments:
  - id: gxk
    name: 高新科
    people:
      - id: zhang
        name: 张三
coordinators: [zhang]
campaigns:
  - id: c1
    name: 专项一
    tasks:
      - id: t1
        tittle: 任务一
        lead: gxx
        due: 2022-02-30
"""


# -- the files -------------------------------------------------------------------------------


def cli_environment() -> jinja2.Environment:
    """The environment the CLI renders with: its filters (table, say…) included."""
    return Runtime(Config(locale="en")).templates.env


def parse(path: Path) -> nodes.Template:
    return cli_environment().parse(path.read_text(encoding="utf-8"))


def macros(tree: nodes.Template) -> dict[str, tuple[tuple[str, ...], int]]:
    """Each macro's parameter names and how many of them have defaults."""
    return {
        m.name: (tuple(a.name for a in m.args), len(m.defaults)) for m in tree.find_all(nodes.Macro)
    }


def test_the_zh_cn_cli_templates_are_there() -> None:
    assert {"cli/check.txt", "cli/sync.txt", "cli/status.txt", "cli/report.txt"} <= set(CLI_FILES)


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_zh_cn_cli_template_has_an_english_twin(name: str) -> None:
    assert (EN / name).is_file(), f"templates/en/{name} is missing"


@pytest.mark.parametrize("name", ALL_FILES)
def test_the_english_twin_has_the_same_macros_and_parameters(name: str) -> None:
    zh, en = macros(parse(ZH / name)), macros(parse(EN / name))
    for macro, signature in zh.items():
        assert macro in en, f"en/{name} lacks macro {macro}"
        assert en[macro] == signature, f"en/{name}: {macro}{en[macro]} ≠ zh-CN {signature}"


@pytest.mark.parametrize("name", CLI_FILES)
def test_the_english_twin_uses_the_same_variables(name: str) -> None:
    zh = meta.find_undeclared_variables(parse(ZH / name))
    en = meta.find_undeclared_variables(parse(EN / name))
    assert en == zh


@pytest.mark.parametrize("name", ALL_FILES)
def test_the_english_twin_imports_only_english(name: str) -> None:
    tree = parse(EN / name)
    targets = [
        getattr(node, "template", None)
        for node in tree.find_all((nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends))
    ]
    imported = [str(t.value) for t in targets if isinstance(t, nodes.Const)]
    assert all(path.startswith("en/") for path in imported), imported
    assert not CJK.search((EN / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ALL_FILES)
def test_the_english_twin_loads(name: str) -> None:
    cli_environment().get_template(f"en/{name}")  # syntax errors show here


# -- the real command line -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture
def config(tmp_path: Path, tasks_file: Path) -> Config:
    return Config(
        database_url=f"sqlite:///{tmp_path / 'cli.db'}",
        tasks_path=tasks_file,
        outbox_dir=tmp_path / "outbox",
        environ={},
        locale="en",
    )


@pytest.fixture
def en_cli(capsys: pytest.CaptureFixture[str], config: Config, cli_clock: FakeClock) -> Cli:
    return Cli(capsys, config, cli_clock)


@pytest.fixture
def plan_words(tasks_file: Path) -> list[str]:
    """Every name the plan brings, as printed whole or cut to a table column, longest first."""
    plan = read_plan_file(tasks_file).plan
    assert plan is not None
    words = {plan.settings.name}
    words |= {d.name for d in plan.departments} | {p.name for p in plan.people}
    words |= {c.name for c in plan.campaigns} | {t.title for t in plan.tasks}
    words |= {i.name for t in plan.tasks for i in t.indicators}
    words |= {truncate(w, width) for w in set(words) for width in (16, 30)}
    return sorted(words, key=len, reverse=True)


def leaked(text: str, plan_words: list[str]) -> list[str]:
    for word in plan_words:
        text = text.replace(word, "")
    return CJK.findall(text)


def lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def test_the_cli_in_english_end_to_end(en_cli: Cli, plan_words: list[str], tmp_path: Path) -> None:
    printed: list[str] = []

    def run(*args: str, status: int = 0) -> list[str]:
        result = en_cli(*args)
        assert result.status == status, (args, result.out, result.err)
        printed.extend([result.out, result.err])
        return lines(result.out)

    synced = run("sync")
    assert synced[0].startswith("+ department ")
    assert re.fullmatch(r"Synced: \d+ added, 0 changed, 0 archived, 0 restored\.", synced[-1])
    assert run("sync", "--dry-run") == [
        "The database already matches the task list; nothing to sync."
    ]

    status = run("status")
    assert re.fullmatch(r".+ · as of \d{4}-\d{2}-\d{2}", status[0])
    assert status[1].split() == ["Light", "ID", "Task", "Lead", "Progress", "Due", "Why"]
    assert any(line.startswith("● ") and " zcq8-1 " in line for line in status)
    assert re.fullmatch(r"\d+ tasks: red \d+, yellow \d+, green \d+, done \d+", status[-1])

    reported = run("report", "zcq8-1", "--percent", "40", "--at", "2022-06-15")
    assert re.fullmatch(r'Recorded zcq8-1 ".+": progress 40% \(2022-06-15 00:00\)', reported[0])
    assert re.fullmatch(r"As of 2022-06-15: ● (Red|Yellow|Green|Done) · .+", reported[-1])

    assert run("schedule", "--from", "2022-09-25", "-n", "2") == [
        "From 2022-09-25 00:00 (Asia/Shanghai):",
        "",
        'Monthly reminder (reminder)  "0 9 20 * *"',
        "  2022-10-20 Thu 09:00",
        "  2022-11-21 Mon 09:00  ← 11-20 is not a workday, postponed",
        "",
        'Supervision bulletin (bulletin)  "0 9 1 * *"',
        "  2022-10-08 Sat 09:00  ← 10-01 is not a workday, postponed",
        "  2022-11-01 Tue 09:00",
        "",
        'Weekly digest (digest)  "30 8 * * 1"',
        "  2022-09-26 Mon 08:30",
        "  2022-10-08 Sat 08:30  ← 10-03 is not a workday, postponed",
    ]

    checked = run("check")
    assert re.fullmatch(
        r"✓ .+ is valid: \d+ departments, \d+ people, \d+ campaigns, \d+ tasks\.", checked[-1]
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    assert run("check", "--tasks", str(broken), status=1)[-1] == (
        f"✗ {broken}: 4 errors; the task list was not applied and the database is unchanged."
    )

    preview = run("send", "bulletin", "--as-of", "2022-07-01", "--dry-run")
    assert preview[0] == "Supervision bulletin 2022-06 (preview, nothing is sent):"
    assert re.fullmatch(
        r"\d+ recipients, \d+ messages\. Run again without --dry-run to send\.", preview[-1]
    )
    sent = run("send", "bulletin", "--as-of", "2022-07-01")
    assert re.fullmatch(
        r"Supervision bulletin 2022-06: \d+ new messages queued; \d+ delivered now\.", sent[0]
    )
    again = run("send", "bulletin", "--as-of", "2022-07-01")
    assert re.fullmatch(
        r"Supervision bulletin 2022-06 was sent before \(\d+ delivered\); "
        r"no new messages this time\.",
        again[0],
    )

    invited = run("invite", "wangli")
    assert invited[0].startswith("One-time binding code for ")
    assert invited[-1].startswith("ask them to open the bot in Telegram and send: /start ")

    for text in printed:
        assert not leaked(text, plan_words), text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frob"], "superbot: invalid arguments: there is no command frob; the commands are: "),
        (
            ["status", "--bogus"],
            "superbot status: invalid arguments: there is no option --bogus "
            "(see superbot status --help for the options)",
        ),
        (
            ["status", "--as-of", "2022-13-01"],
            'superbot status: invalid arguments: --as-of: "2022-13-01" is not a date; '
            "write it as YYYY-MM-DD",
        ),
        (
            ["status", "--light", "blue"],
            "superbot status: invalid arguments: --light must be one of red, yellow, pending, "
            "green, done",
        ),
        (
            ["schedule", "-n", "0"],
            "superbot schedule: invalid arguments: -n must be a whole number from 1 to 100",
        ),
        (
            ["report"],
            "superbot report: invalid arguments: TASK is missing "
            "(see superbot report --help for usage)",
        ),
        (
            ["report", "zcq8-1"],
            "superbot report: invalid arguments: give the progress with either --percent N or "
            "--done, not both",
        ),
        (
            ["report", "zcq8-1", "--percent", "30", "--value", "x"],
            'superbot report: invalid arguments: --value: "x" should be written indicator=number, '
            "e.g. invest=12.5",
        ),
        (
            ["bulletin", "--month", "2022-6x"],
            'superbot bulletin: invalid arguments: --month: "2022-6x" is not a month; '
            "write it as YYYY-MM, e.g. 2022-06",
        ),
    ],
)
def test_wrong_arguments_in_english(en_cli: Cli, args: list[str], message: str) -> None:
    en_cli("sync")
    result = en_cli(*args)
    assert result.status == 2
    assert result.out == ""
    assert result.err.startswith(message), result.err
    assert result.err.count("\n") == 1
    assert not CJK.search(result.err)


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["status"], 1, "There are no tasks in the database yet: run superbot sync first"),
        (["report", "zcq8-1", "--percent", "3"], 1, "There are no tasks in the database yet"),
    ],
)
def test_before_sync_in_english(en_cli: Cli, args: list[str], status: int, message: str) -> None:
    result = en_cli(*args)
    assert result.status == status
    assert result.err.startswith(message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["status", "--campaign", "zcq"],
            "There is no campaign with the ID zcq; did you mean zcq8?",
        ),
        (
            ["status", "--lead", "nobody-at-all"],
            "There is no department with the ID or name nobody-at-all",
        ),
        (["report", "nope-nope", "--percent", "3"], "There is no task with the ID nope-nope"),
        (["report", "zcq8-1", "--percent", "130"], "Progress must be between 0 and 100, not 130"),
        (
            ["report", "zcq8-1", "--percent", "30", "--by", "nobody-at-all"],
            "There is no person with the ID or name nobody-at-all",
        ),
        (
            ["report", "zcq8-1", "--percent", "30", "--value", "x=1"],
            "Task zcq8-1 has no indicator x (choose from: ",
        ),
        (
            ["report", "zcq8-1", "--percent", "100", "--state", "blocked"],
            "100% means done, so it cannot also be marked blocked",
        ),
        (
            ["report", "zcq8-1", "--percent", "30", "--at", "2999-01-01"],
            "The report time 2999-01-01 00:00 has not come yet",
        ),
    ],
)
def test_refusals_in_english(en_cli: Cli, args: list[str], message: str) -> None:
    en_cli("sync")
    result = en_cli(*args)
    assert result.status == 2
    assert result.err.startswith(message), result.err
    assert not CJK.search(result.err)


def test_the_run_messages_in_english(config: Config, tmp_path: Path) -> None:
    runtime = Runtime(config)
    webhook = SimpleNamespace(url="https://bot.example.org/tg")
    rendered = {
        "started": runtime.render("cli/run_started.txt", config=config, reach=Reach(), channels=[]),
        "started_tg": runtime.render(
            "cli/run_started.txt", config=config, reach=Reach(telegram=True), channels=[]
        ),
        "no_bot": runtime.render(
            "cli/run_bot.txt",
            bot=False,
            webhook=None,
            listen="127.0.0.1:8080",
            generated_secret=False,
        ),
        "polling": runtime.render(
            "cli/run_bot.txt",
            bot=True,
            webhook=None,
            listen="127.0.0.1:8080",
            generated_secret=False,
        ),
        "webhook": runtime.render(
            "cli/run_bot.txt",
            bot=True,
            webhook=webhook,
            listen="127.0.0.1:8080",
            generated_secret=True,
        ),
        "no_plan": runtime.render("cli/run_no_plan.txt", path="tasks.yaml"),
        "stopped": runtime.render("cli/run_stopped.txt"),
    }
    assert rendered["started"].startswith(
        f"superbot started. Sending through: files ({config.outbox_dir}/; "
    )
    assert rendered["started_tg"].startswith("superbot started. Sending through: Telegram, group")
    assert rendered["no_bot"] == "Telegram bot not started: TELEGRAM_BOT_TOKEN is not set."
    assert rendered["polling"] == "Telegram bot: receiving messages by long polling."
    assert rendered["webhook"].startswith(
        "Telegram bot: webhook https://bot.example.org/tg"
        " (listening locally on 127.0.0.1:8080/telegram)."
    )
    assert "\n" not in rendered["webhook"]
    assert rendered["no_plan"].startswith("Cannot start: tasks.yaml has errors")
    assert rendered["stopped"] == "superbot stopped."
    for text in rendered.values():
        assert not CJK.search(text), text


def test_every_english_cli_text_renders() -> None:
    """Every macro of the en texts renders, in English, from plain arguments."""
    env = make_environment()
    for area in CLI_TEXTS:
        module = env.get_template(f"en/texts/{area}.j2").module
        for name, (params, _) in macros(parse(EN / f"texts/{area}.j2")).items():
            values: dict[str, object] = {
                p: ["a", "b"] if p in ("choices", "possibilities") else "x" for p in params
            }
            if "at" in params:  # a moment, shown as a date
                values["at"] = date(2022, 6, 1)
            text = str(getattr(module, name)(**values))
            assert text, (area, name)
            assert not CJK.search(text), (area, name, text)
