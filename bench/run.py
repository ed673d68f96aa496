"""superbot's benchmarks: each use case timed against a floor measured in the same run.

    .venv/bin/python bench/run.py                   # 100, 1,000 and 5,000 tasks on SQLite
                                                    # (tasks.yaml alone: 1,000 to 100,000)
    .venv/bin/python bench/run.py --sizes '' --load-sizes 1000,10000,100000   # tasks.yaml only
    .venv/bin/python bench/run.py --postgres        # and on PostgreSQL (a throwaway schema)
    .venv/bin/python bench/run.py --quick           # a smoke run: one small plan
    .venv/bin/python bench/run.py --json out.json   # the figures as JSON too

A figure is a ratio: the use case's best time over the best time of its floor — the least
work that could produce the same result — timed alternately in the same process. On a
shared machine absolute seconds drift with whatever else runs; the ratio barely does.
See bench/README.md for what each floor is and why.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

import fanout
from memory_channel import MemoryChannel, no_sleep
from superbot.domain.lights import assess, expected_progress
from superbot.domain.model import BulletinIssue, Plan, Report
from superbot.domain.periods import month_of
from superbot.plan.load import parse_plan
from superbot.service.bulletin import build_bulletin
from superbot.service.outbox import Dispatcher, NewItem, dedupe_key
from superbot.service.ports import Button, Message
from superbot.service.report import ReportRequest, record_report
from superbot.service.status import PlanClock, task_statuses
from superbot.service.sync import sync
from superbot.service.views import Bulletin
from superbot.store.db import make_engine, migrate, normalise_url
from superbot.store.outbox import SqlOutbox
from superbot.store.sql import SqlStore
from superbot.store.tables import (
    CampaignRow,
    DepartmentRow,
    ReportRow,
    ReportValueRow,
    TaskRow,
)
from synthetic import AS_OF, MonthlyReport, Shape, monthly_reports, plan_yaml

SIZES = (100, 1_000, 5_000)
QUICK_SIZES = (50,)
REPEAT = 5
QUICK_REPEAT = 2
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SYNCED_AT = datetime(2022, 1, 1, tzinfo=UTC)
SENT_AT = datetime(2023, 1, 1, 1, tzinfo=UTC)
BULLETIN_MONTH = month_of(AS_OF)  # December: the 通报 issued on 1 January
ISSUED_ON = date(2023, 1, 1)
ISSUE = BulletinIssue(BULLETIN_MONTH.key, 2022, 12, ISSUED_ON)  # the 通报's 期号, not recorded
REPLY_AT = datetime(2022, 12, 28, 2, tzinfo=UTC)  # 10:00 in Shanghai, after December's reports
IN_MEMORY = "memory"
BUDGET = 60.0  # seconds of timed runs per benchmark and size, about
BENCHMARKS = [  # in the order of the table
    "superbot --help (process)",
    "superbot status, shipped plan (process)",
    "superbot sync, shipped plan (process)",
    "idle superbot run (RSS)",
    "load + validate tasks.yaml",
    "load + validate, floor without GC",
    "superbot check (process)",
    "light computation",
    "first sync",
    "no-op sync",
    "sync, one title changed",
    "status of the whole plan",
    "通报: build the view",
    "通报: render for email (+ .xlsx)",
    "通报: render .xlsx alone",
    "通报: render for Telegram (+ .html)",
    "record one reply",
    "outbox: enqueue",
    "outbox: dispatch",
]


# -- timing ----------------------------------------------------------------------------------

Run = Callable[[], float]  # one run of a benchmark or of its floor: the seconds it timed


def stopwatch(work: Callable[[], object]) -> float:
    gc.collect()  # every run starts with the same heap: no run pays for another's garbage
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def timed(work: Callable[[], object]) -> Run:
    return lambda: stopwatch(work)


def alternate(floor: Run, measured: Run, repeat: int) -> tuple[list[float], list[float]]:
    """Time the two turn about, so that a busy spell on the machine hits both.

    The first pair warms up imports, caches, compiled statements and templates, and is
    dropped; unless it was long, then it is the only pair (smaller sizes warmed up already).
    """
    floors, measures = [floor()], [measured()]
    runs = timed_runs(floors[0] + measures[0], repeat)
    if runs:
        floors, measures = [], []
    for _ in range(runs):
        floors.append(floor())
        measures.append(measured())
    return floors, measures


def timed_runs(first: float, repeat: int) -> int:
    """How many timed runs follow a first run of ``first`` seconds: 0 keeps that one."""
    if first > BUDGET / 2:
        return 0
    return max(1, min(repeat, int(BUDGET / max(first, 1e-9))))


@dataclass(frozen=True)
class Figure:
    benchmark: str
    database: str  # sqlite, postgresql, or memory
    size: int  # tasks in the plan
    items: int  # what the per-item time divides by
    item: str  # task, message
    floor: str
    floor_times: Sequence[float]
    measured_times: Sequence[float]
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def floor_best(self) -> float:
        return min(self.floor_times)

    @property
    def measured_best(self) -> float:
        return min(self.measured_times)

    @property
    def ratio(self) -> float:
        return self.measured_best / self.floor_best

    @property
    def per_item(self) -> float:
        return self.measured_best / self.items

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "database": self.database,
            "size": self.size,
            "items": self.items,
            "item": self.item,
            "floor": self.floor,
            "floor_s": self.floor_best,
            "measured_s": self.measured_best,
            "ratio": self.ratio,
            "median_ratio": statistics.median(self.measured_times)
            / statistics.median(self.floor_times),
            "per_item_s": self.per_item,
            "floor_times_s": list(self.floor_times),
            "measured_times_s": list(self.measured_times),
            "notes": self.notes,
        }


# -- the plans and their reports -------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One synthetic plan: its tasks.yaml bytes, the validated plan, a year of reports."""

    shape: Shape
    source: bytes
    plan: Plan
    reports: list[MonthlyReport]

    @classmethod
    def of(cls, tasks: int) -> Workload:
        shape = Shape.of(tasks)
        source = plan_yaml(shape).encode()
        loaded = parse_plan(source, "bench.yaml")
        if loaded.plan is None:
            problems = "\n".join(f"{p.line}:{p.col}: {p.text}" for p in loaded.errors)
            raise SystemExit(f"the synthetic plan does not validate:\n{problems}")
        return cls(shape, source, loaded.plan, list(monthly_reports(loaded.plan)))

    @property
    def size(self) -> int:
        return self.shape.tasks

    def latest_reports(self) -> dict[str, Report]:
        """Each task's newest report as a domain value (all of them are up to ``AS_OF``)."""
        latest: dict[str, Report] = {}
        for row in self.reports:
            latest[row.task_id] = Report(
                row.task_id, row.at, row.percent, row.state, row.note, row.person_id
            )
        return latest


# -- databases -------------------------------------------------------------------------------


class Databases(Protocol):
    name: str

    def fresh(self) -> AbstractContextManager[Engine]:
        """An engine on a new, migrated, empty database, thrown away afterwards."""
        ...


class SqliteDatabases:
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def fresh(self) -> Iterator[Engine]:
        path = self.folder / f"{uuid.uuid4().hex[:12]}.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        try:
            yield engine
        finally:
            engine.dispose()
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()


class PostgresDatabases:
    """A schema per database, as tests/conftest.py makes them, dropped afterwards."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)

    @contextmanager
    def fresh(self) -> Iterator[Engine]:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(self.url).update_query_dict({"options": f"-csearch_path={schema}"})
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def postgres_problem(url: str) -> str | None:
    try:
        engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any reason at all: say it and go on with SQLite
        return f"{type(error).__name__}: {error}"
    return None


def synced_store(engine: Engine, work: Workload) -> SqlStore:
    store = SqlStore(engine)
    sync(store, work.plan, now=SYNCED_AT, source="bench.yaml", sha256="bench", dry_run=False)
    return store


def insert_reports(engine: Engine, reports: Sequence[MonthlyReport]) -> None:
    """A year of reports in bulk (setup, not timed): what the bot would have written."""
    report_rows = [
        {
            "id": n,
            "task_id": r.task_id,
            "person_id": r.person_id,
            "reported_at": r.at,
            "recorded_at": r.at,
            "percent": r.percent,
            "state": r.state.value if r.state else None,
            "note": r.note,
            "source": "telegram",
        }
        for n, r in enumerate(reports, start=1)
    ]
    value_rows = [
        {"report_id": n, "indicator_id": indicator, "value": value}
        for n, r in enumerate(reports, start=1)
        for indicator, value in r.values.items()
    ]
    with engine.begin() as connection:
        connection.execute(insert(ReportRow.__table__), report_rows)  # type: ignore[attr-defined]
        if value_rows:
            connection.execute(insert(ReportValueRow.__table__), value_rows)  # type: ignore[attr-defined]
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('report', 'id'), max(id)) FROM report")
            )


# -- 1. load + validate tasks.yaml -----------------------------------------------------------
#
# Measured on its own sizes (1,000, 10,000 and 100,000 tasks by default): a plan is read long
# before it has a database, and a 100,000-task plan's year of reports is not needed to read it.

LOAD_SIZES = (1_000, 10_000, 100_000)
QUICK_LOAD_SIZES = (50,)


def libyaml_compose(text: str) -> object:
    """The floor: libyaml builds the node tree with the line and column of every value."""
    return yaml.compose(text, Loader=yaml.CSafeLoader)


def collector_paused(work: Callable[[], object]) -> Callable[[], object]:
    def paused() -> object:
        gc.disable()
        try:
            return work()
        finally:
            gc.enable()

    return paused


def load_and_validate(size: int, repeat: int) -> list[Figure]:
    source = plan_yaml(Shape.of(size)).encode()
    loaded = parse_plan(source, "bench.yaml")
    if loaded.plan is None:
        problems = "\n".join(f"{p.line}:{p.col}: {p.text}" for p in loaded.errors)
        raise SystemExit(f"the synthetic plan does not validate:\n{problems}")
    print(f"\n{size:,} tasks: tasks.yaml of {len(source):,} bytes", flush=True)

    def compose() -> object:
        return libyaml_compose(source.decode("utf-8"))

    def parse() -> object:
        return parse_plan(source, "bench.yaml")

    notes = {"bytes": len(source)}
    floors, measures = alternate(timed(compose), timed(parse), repeat)
    figures = [
        Figure(
            "load + validate tasks.yaml",
            IN_MEMORY,
            size,
            size,
            "task",
            "yaml.compose(text, Loader=yaml.CSafeLoader): libyaml's node tree with positions",
            floors,
            measures,
            notes,
        )
    ]
    # parse_plan pauses the cyclic collector while it builds its tree; the same pause for the
    # floor shows what is left when both are spared the collections.
    floors, measures = alternate(timed(collector_paused(compose)), timed(parse), repeat)
    figures.append(
        Figure(
            "load + validate, floor without GC",
            IN_MEMORY,
            size,
            size,
            "task",
            "the same compose with the cyclic collector paused, as parse_plan pauses it",
            floors,
            measures,
            notes,
        )
    )
    figures.append(check_process(source, size))
    show(figures)
    return figures


def check_process(source: bytes, size: int) -> Figure:
    """`superbot check` as a coordinator runs it, start-up included: wall time and peak
    memory, against a Python process that only reads the file and composes it."""
    with tempfile.TemporaryDirectory(prefix="superbot-bench-") as folder:
        tasks = Path(folder) / "tasks.yaml"
        tasks.write_bytes(source)
        compose_only = (
            "import sys, yaml; "
            "yaml.compose(open(sys.argv[1], encoding='utf-8').read(), Loader=yaml.CSafeLoader)"
        )
        floor, floor_rss = child_run([sys.executable, "-c", compose_only, str(tasks)])
        superbot = str(Path(sys.executable).with_name("superbot"))
        measured, measured_rss = child_run([superbot, "check", "--tasks", str(tasks)])
    return Figure(
        "superbot check (process)",
        IN_MEMORY,
        size,
        size,
        "task",
        "a python process that reads the file and composes it (one run each)",
        [floor],
        [measured],
        {"peak_rss_mb": measured_rss, "floor_peak_rss_mb": floor_rss},
    )


# Runs a command and prints its wall seconds and peak memory. A child forked from this big
# process would count the parent's pages in its own peak (Linux keeps the high-water mark
# across exec); forked from this small one, it counts only its own.
_MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - started
print(status, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def child_run(command: list[str], **env: str) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process."""
    environment = dict(os.environ, SUPERBOT_DATABASE_URL="sqlite:///:memory:") | env
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    status, elapsed, peak = measured.stdout.split()
    if int(status) not in (0, 1):
        raise SystemExit(f"{command[0]} exited with {status}")
    return float(elapsed), float(peak)


# -- 0. start-up and memory ------------------------------------------------------------------
#
# Processes, as a coordinator starts them, on the shipped tasks.yaml (59 tasks) synced into a
# SQLite file. The floor is a Python that imports click and nothing else: what any command
# line written with click pays before it does anything.

SHIPPED_TASKS = Path(__file__).resolve().parent.parent / "tasks.yaml"
CLICK_ONLY = [sys.executable, "-c", "import click"]
IDLE_SECONDS = 20.0  # how long `superbot run` is watched once it has started


def startup(repeat: int) -> list[Figure]:
    superbot = str(Path(sys.executable).with_name("superbot"))
    with tempfile.TemporaryDirectory(prefix="superbot-bench-") as folder:
        env = {
            "SUPERBOT_DATABASE_URL": f"sqlite:///{folder}/superbot.db",
            "SUPERBOT_TASKS": str(SHIPPED_TASKS),
            "SUPERBOT_OUTBOX_DIR": f"{folder}/outbox",
            "SUPERBOT_FILES_DIR": f"{folder}/files",
        }
        sync_s, sync_rss = child_run([superbot, "sync"], **env)  # makes and migrates it
        figures = [
            process_figure("superbot --help (process)", [superbot, "--help"], env, repeat),
            process_figure(
                "superbot status, shipped plan (process)", [superbot, "status"], env, repeat
            ),
        ]
        floor, floor_rss = child_run(CLICK_ONLY)
        figures.append(
            Figure(
                "superbot sync, shipped plan (process)",
                IN_MEMORY,
                59,
                59,
                "task",
                "python -c 'import click' (one run each)",
                [floor],
                [sync_s],
                {"peak_rss_mb": sync_rss, "floor_peak_rss_mb": floor_rss, "first sync": True},
            )
        )
        figures.append(idle_run(superbot, env))
    show(figures)
    return figures


def process_figure(name: str, command: list[str], env: dict[str, str], repeat: int) -> Figure:
    pairs = [(child_run(CLICK_ONLY, **env), child_run(command, **env)) for _ in range(repeat + 1)]
    pairs = pairs[1:]  # the first pair warms the file cache
    return Figure(
        name,
        IN_MEMORY,
        59,
        1,
        "run",
        "python -c 'import click'",
        [floor for (floor, _), _ in pairs],
        [measured for _, (measured, _) in pairs],
        {
            "peak_rss_mb": max(rss for _, (_, rss) in pairs),
            "floor_peak_rss_mb": max(rss for (_, rss), _ in pairs),
        },
    )


def idle_run(superbot: str, env: dict[str, str]) -> Figure:
    """`superbot run` with no Telegram token and no SMTP (the file channel): its resident
    memory once started and waiting, sampled for IDLE_SECONDS; the floor is a Python that
    imports click and waits."""
    environment = dict(os.environ) | env
    for name in ("TELEGRAM_BOT_TOKEN", "SMTP_URL", "IMAP_URL", "SUPERBOT_HTTP"):
        environment.pop(name, None)
    waiting = [sys.executable, "-c", "import click, time; time.sleep(3600)"]
    peaks = []
    for command in (waiting, [superbot, "run"]):
        child = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + IDLE_SECONDS
            peak = 0.0
            while time.monotonic() < deadline and child.poll() is None:
                peak = max(peak, resident_mb(child.pid))
                time.sleep(0.25)
            if child.poll() is not None:
                raise SystemExit(f"{command[-1]} stopped with {child.returncode}")
        finally:
            child.terminate()
            child.wait(timeout=30)
        peaks.append(peak)
    floor_mb, run_mb = peaks
    # Megabytes, not seconds: the table's "floor" and "measured" columns read as MB here.
    return Figure(
        "idle superbot run (RSS)",
        IN_MEMORY,
        59,
        1,
        "MB",
        "python -c 'import click' waiting (resident MB)",
        [floor_mb / 1000],
        [run_mb / 1000],
        {"rss_mb": run_mb, "floor_rss_mb": floor_mb},
    )


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- 2. sync ---------------------------------------------------------------------------------


def insert_task_rows(databases: Databases, work: Workload) -> Run:
    """The floor of a sync: one executemany INSERT of the plan's task rows, nothing else."""
    plan = work.plan
    departments = [{"id": d.id, "name": d.name} for d in plan.departments]
    campaigns = [{"id": c.id, "name": c.name} for c in plan.campaigns]
    tasks = [
        {
            "id": t.id,
            "campaign_id": t.campaign_id,
            "title": t.title,
            "description": t.description,
            "lead_id": t.lead,
            "start": t.start,
            "due": t.due,
            "position": n,
        }
        for n, t in enumerate(plan.tasks)
    ]

    def run() -> float:
        with databases.fresh() as engine:
            with engine.begin() as connection:  # what the task rows refer to: not timed
                connection.execute(insert(DepartmentRow.__table__), departments)  # type: ignore[attr-defined]
                connection.execute(insert(CampaignRow.__table__), campaigns)  # type: ignore[attr-defined]

            def insert_tasks() -> None:
                with engine.begin() as connection:
                    connection.execute(insert(TaskRow.__table__), tasks)  # type: ignore[attr-defined]

            return stopwatch(insert_tasks)

    return run


def first_sync(databases: Databases, work: Workload, repeat: int) -> Figure:
    def run() -> float:
        with databases.fresh() as engine:
            return stopwatch(lambda: synced_store(engine, work))

    floors, measures = alternate(insert_task_rows(databases, work), run, repeat)
    return Figure(
        "first sync",
        databases.name,
        work.size,
        work.size,
        "task",
        "executemany INSERT of the task rows",
        floors,
        measures,
    )


def noop_sync(databases: Databases, work: Workload, repeat: int) -> Figure:
    with databases.fresh() as engine:
        store = synced_store(engine, work)

        def again() -> None:
            result = sync(store, work.plan, now=SENT_AT, source="b", sha256="b", dry_run=False)
            assert result.nothing_to_do, "a second sync of the same plan must change nothing"

        floors, measures = alternate(insert_task_rows(databases, work), timed(again), repeat)
    return Figure(
        "no-op sync",
        databases.name,
        work.size,
        work.size,
        "task",
        "executemany INSERT of the task rows",
        floors,
        measures,
    )


def one_title_changed_sync(databases: Databases, work: Workload, repeat: int) -> Figure:
    """What the file watch does when a coordinator saves tasks.yaml with one title edited."""
    edits = itertools.count(1)
    with databases.fresh() as engine:
        store = synced_store(engine, work)

        def edited() -> None:
            first, *rest = work.plan.tasks
            title = replace(first, title=f"{first.title}（第{next(edits)}次修改）")
            plan = replace(work.plan, tasks=(title, *rest))
            result = sync(store, plan, now=SENT_AT, source="b", sha256="b", dry_run=False)
            assert len(result.changes) == 1, result.changes

        floors, measures = alternate(insert_task_rows(databases, work), timed(edited), repeat)
    return Figure(
        "sync, one title changed",
        databases.name,
        work.size,
        work.size,
        "task",
        "executemany INSERT of the task rows",
        floors,
        measures,
    )


# -- 3. status and 4. the monthly 通报 -------------------------------------------------------


def select_all_reports(engine: Engine) -> Run:
    def run() -> float:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()

            def fetch() -> None:
                cursor.execute("SELECT * FROM report")
                cursor.fetchall()

            return stopwatch(fetch)
        finally:
            connection.close()

    return run


def whole_plan_status(store: SqlStore) -> Run:
    return timed(lambda: task_statuses(store, AS_OF))


def status_of_whole_plan(
    store: SqlStore, databases: Databases, work: Workload, repeat: int
) -> Figure:
    floors, measures = alternate(select_all_reports(store.engine), whole_plan_status(store), repeat)
    return Figure(
        "status of the whole plan",
        databases.name,
        work.size,
        work.size,
        "task",
        "SELECT * FROM report into tuples",
        floors,
        measures,
        {"reports": len(work.reports)},
    )


def monthly_bulletin(store: SqlStore, databases: Databases, work: Workload, repeat: int) -> Figure:
    def build() -> object:
        return build_bulletin(store, BULLETIN_MONTH, ISSUE)

    floors, measures = alternate(whole_plan_status(store), timed(build), repeat)
    return Figure(
        "通报: build the view",
        databases.name,
        work.size,
        work.size,
        "task",
        "status of the whole plan",
        floors,
        measures,
    )


def bulletin_renderings(
    store: SqlStore, databases: Databases, work: Workload, repeat: int
) -> list[Figure]:
    """The 通报 worded for email (text, HTML and the .xlsx it attaches) and the .xlsx alone."""
    try:
        from superbot.channels.dingtalk import DingtalkChannel
        from superbot.channels.feishu import FeishuChannel
        from superbot.channels.wecom import WecomChannel
        from superbot.render.environment import Templates, make_environment
        from superbot.render.messages import MessageRenderer
    except ImportError as error:
        print(f"  note: 通报 rendering skipped, the renderer is not importable ({error})")
        return []
    limits = {c.name: c.max_body_bytes for c in (WecomChannel, DingtalkChannel, FeishuChannel)}
    renderer = MessageRenderer(Templates(make_environment(), "zh-CN"), limits)
    view: Bulletin = build_bulletin(store, BULLETIN_MONTH, ISSUE)
    [email] = renderer.bulletin(view, "email")
    sizes = {
        "email_text_bytes": len(email.message.body.encode()),
        "email_html_bytes": len((email.message.html or "").encode()),
        "xlsx_bytes": sum(len(a.content) for a in email.message.attachments),
        "telegram_document_bytes": sum(
            len(a.content)
            for p in renderer.bulletin(view, "telegram")
            for a in p.message.attachments
        ),
    }
    renderings: list[tuple[str, Callable[[], object]]] = [
        ("通报: render for email (+ .xlsx)", lambda: renderer.bulletin(view, "email")),
        ("通报: render .xlsx alone", lambda: renderer.bulletin_document(view, "xlsx")),
        ("通报: render for Telegram (+ .html)", lambda: renderer.bulletin(view, "telegram")),
    ]
    figures = []
    for name, render in renderings:
        floors, measures = alternate(whole_plan_status(store), timed(render), repeat)
        figures.append(
            Figure(
                name,
                databases.name,
                work.size,
                work.size,
                "task",
                "status of the whole plan",
                floors,
                measures,
                sizes,
            )
        )
    return figures


def one_reply(store: SqlStore, databases: Databases, work: Workload, repeat: int) -> Figure:
    """An owner's reply, recorded and answered with the task's new light (the bot's path)."""
    task = work.plan.tasks[len(work.plan.tasks) // 2]
    owner = next(p.id for p in work.plan.people if p.department_id == task.lead)
    request = ReportRequest(
        task.id, percent=80, by=owner, note="已完成年度目标的八成", source="telegram"
    )
    row = {
        "task_id": task.id,
        "person_id": owner,
        "reported_at": REPLY_AT,
        "recorded_at": REPLY_AT,
        "percent": 80,
        "state": "on_track",
        "note": request.note,
        "source": "telegram",
    }

    def insert_one_report() -> None:
        with store.engine.begin() as connection:
            connection.execute(insert(ReportRow.__table__), [row])  # type: ignore[attr-defined]

    def record() -> object:
        return record_report(store, request, now=REPLY_AT)

    floors, measures = alternate(timed(insert_one_report), timed(record), repeat)
    return Figure(
        "record one reply",
        databases.name,
        work.size,
        1,
        "report",
        "one INSERT of a report row",
        floors,
        measures,
    )


# -- 5. outbox throughput --------------------------------------------------------------------


def reminder_messages(work: Workload) -> list[NewItem]:
    """One Telegram reminder per task to an owner of its lead department, as a round makes."""
    owners: dict[str, str] = {}
    for n, person in enumerate(work.plan.people):
        owners.setdefault(person.department_id, str(100_000_000 + n))
    rows = (
        (("30%", "30"), ("60%", "60"), ("90%", "90")),
        (("✅ 已完成", "done"), ("⛔ 受阻", "blocked")),
    )
    items = []
    for task in work.plan.tasks:
        chat = owners[task.lead]
        body = (
            f"🟡 <b>{task.title}</b>\n<code>{task.id}</code> · 预警 · {task.due:%m-%d}截止\n"
            f"▓▓▓▓▓░░░░░ 进度 50%，时序进度 62%\n⚠️ 滞后时序进度 12 个百分点\n"
            f"上次报送：11-21“{task.description or ''}”"
        )
        buttons = tuple(
            tuple(Button(label, f"p:{task.id}:{code}") for label, code in row) for row in rows
        )
        items.append(
            NewItem(
                dedupe_key("reminder", "2022-12", "telegram", chat, f"task:{task.id}"),
                "reminder",
                "2022-12",
                "telegram",
                chat,
                Message("【督查提醒】2022年12月进度报送", body, buttons=buttons),
                task_id=task.id,
                seq=1,
            )
        )
    return items


def outbox_throughput(databases: Databases, work: Workload, repeat: int) -> list[Figure]:
    items = reminder_messages(work)

    def straight_sends() -> float:
        channel = MemoryChannel()

        async def send_all() -> float:
            start = time.perf_counter()
            for item in items:
                await channel.send(item.message, item.recipient)
            return time.perf_counter() - start

        gc.collect()
        return asyncio.run(send_all())

    def through_the_outbox() -> tuple[float, float]:
        with databases.fresh() as engine:
            synced_store(engine, work)  # sent reminders point at their tasks
            outbox = SqlOutbox(engine)
            enqueued = stopwatch(lambda: outbox.enqueue(items, SENT_AT))
            channel = MemoryChannel()
            dispatcher = Dispatcher(
                outbox, {"telegram": channel}, clock=lambda: SENT_AT, sleep=no_sleep
            )

            async def dispatch_all() -> float:
                start = time.perf_counter()
                report = await dispatcher.dispatch()
                elapsed = time.perf_counter() - start
                assert report.sent == len(items), report
                return elapsed

            gc.collect()
            return enqueued, asyncio.run(dispatch_all())

    floors = [straight_sends()]
    enqueued, dispatched = through_the_outbox()
    enqueues, dispatches = [enqueued], [dispatched]
    runs = timed_runs(floors[0] + enqueued + dispatched, repeat)  # as in alternate()
    if runs:
        floors, enqueues, dispatches = [], [], []
    for _ in range(runs):
        floors.append(straight_sends())
        enqueued, dispatched = through_the_outbox()
        enqueues.append(enqueued)
        dispatches.append(dispatched)
    return [
        Figure(
            name,
            databases.name,
            work.size,
            len(items),
            "message",
            "the same sends without an outbox",
            floors,
            times,
        )
        for name, times in (("outbox: enqueue", enqueues), ("outbox: dispatch", dispatches))
    ]


# -- 6. light computation --------------------------------------------------------------------


def light_computation(work: Workload, repeat: int) -> Figure:
    tasks = work.plan.tasks
    latest = work.latest_reports()
    rules = work.plan.settings.rules
    clock = PlanClock.of(work.plan.settings)

    def expected_only() -> object:
        return [expected_progress(t.start, t.due, AS_OF) for t in tasks]

    def assess_all() -> object:
        return [
            assess(t, latest.get(t.id), AS_OF, rules, clock.calendar, clock.zone) for t in tasks
        ]

    floors, measures = alternate(timed(expected_only), timed(assess_all), repeat)
    return Figure(
        "light computation",
        IN_MEMORY,
        work.size,
        work.size,
        "task",
        "expected_progress per task",
        floors,
        measures,
    )


# -- the run ---------------------------------------------------------------------------------


SKIPPED: tuple[str, ...] = ()  # --skip


def wanted(benchmark: str) -> bool:
    return not any(benchmark.startswith(prefix) for prefix in SKIPPED)


def run_size(tasks: int, databases: Sequence[Databases], repeat: int) -> list[Figure]:
    work = Workload.of(tasks)
    shape = work.shape
    print(
        f"\n{shape.tasks} tasks, {shape.departments} departments, {len(work.plan.people)} people,"
        f" {shape.campaigns} campaigns, {len(work.reports)} reports, {len(work.source):,} bytes",
        flush=True,
    )
    # The synthetic workload stays in memory for the whole size; out of the collector's sight,
    # it does not make the measured code's collections slower than in the bot's own process.
    gc.collect()
    gc.freeze()
    figures: list[Figure] = []

    def add(*new: Figure) -> None:
        show(new)
        figures.extend(new)

    try:
        if wanted("light computation"):
            add(light_computation(work, repeat))
        for db in databases:
            if wanted("first sync"):
                add(first_sync(db, work, repeat))
            if wanted("no-op sync"):
                add(noop_sync(db, work, repeat))
            if wanted("sync, one title changed"):
                add(one_title_changed_sync(db, work, repeat))
            with db.fresh() as engine:
                store = synced_store(engine, work)
                insert_reports(engine, work.reports)
                if wanted("status of the whole plan"):
                    add(status_of_whole_plan(store, db, work, repeat))
                if wanted("通报: build the view"):
                    add(monthly_bulletin(store, db, work, repeat))
                if wanted("通报: render"):
                    add(*bulletin_renderings(store, db, work, repeat))
                if wanted("record one reply"):
                    add(one_reply(store, db, work, repeat))  # adds reports: last
            if wanted("outbox"):
                add(*outbox_throughput(db, work, repeat))
    finally:
        gc.unfreeze()
    return figures


def show(figures: Sequence[Figure]) -> None:
    for f in figures:
        name = f.benchmark + " " * (36 - _width(f.benchmark))
        print(f"  {name} {f.database:<10} ×{f.ratio:,.1f}", flush=True)


def seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.1f} µs"


def megabytes(value: float) -> str:
    """A memory figure, kept in the seconds' place as thousands of MB."""
    return f"{value * 1000:,.0f} MB"


def rss_table(figures: Sequence[Figure]) -> str:
    """Peak resident memory of every process measured."""
    lines = ["| process | tasks | peak RSS | floor's |", "|---|--:|--:|--:|"]
    for f in figures:
        rss = f.notes.get("peak_rss_mb", f.notes.get("rss_mb"))
        floor = f.notes.get("floor_peak_rss_mb", f.notes.get("floor_rss_mb"))
        if rss is not None:
            lines.append(f"| {f.benchmark} | {f.size:,} | {rss:,.0f} MB | {floor:,.0f} MB |")
    return "\n".join(lines)


def table(figures: Sequence[Figure]) -> str:
    header = ("benchmark", "db", "tasks", "runs", "floor", "measured", "ratio", "per item")
    rows = [
        (
            f.benchmark,
            f.database,
            f"{f.size:,}",
            str(len(f.measured_times)),
            megabytes(f.floor_best) if f.item == "MB" else seconds(f.floor_best),
            megabytes(f.measured_best) if f.item == "MB" else seconds(f.measured_best),
            f"×{f.ratio:,.1f}",
            "" if f.item == "MB" else f"{seconds(f.per_item)}/{f.item}",
        )
        for f in figures
    ]
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = []
    for n, row in enumerate((header, *rows)):
        cells = [
            cell + " " * (w - _width(cell)) if i < 2 else " " * (w - _width(cell)) + cell
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append(
                "|"
                + "|".join(
                    "-" * (w + 2) if i < 2 else "-" * (w + 1) + ":" for i, w in enumerate(widths)
                )
                + "|"
            )
    floors = dict.fromkeys(f"- {f.benchmark}: floor = {f.floor}" for f in figures)
    return "\n".join([*lines, "", *floors])


def _width(cell: str) -> int:
    """Columns a cell takes in a terminal: CJK characters take two."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in cell)


def machine(databases: Sequence[Databases]) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "databases": [db.name for db in databases],
        "load_average": os.getloadavg(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: one small plan")
    parser.add_argument(
        "--sizes",
        type=lambda s: tuple(int(n) for n in s.split(",") if n),
        help="plan sizes for the rest (default 100,1000,5000; '' for none), e.g. 100,1000",
    )
    parser.add_argument(
        "--load-sizes",
        type=lambda s: tuple(int(n) for n in s.split(",") if n),
        help="plan sizes for load + validate (default 1000,10000,100000; '' for none)",
    )
    parser.add_argument("--repeat", type=int, help=f"timed runs of each (default {REPEAT})")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=POSTGRES_URL,
        metavar="URL",
        help=f"also on PostgreSQL, in a throwaway schema (default {POSTGRES_URL})",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures as JSON")
    parser.add_argument(
        "--no-startup", action="store_true", help="skip the start-up and memory processes"
    )
    parser.add_argument(
        "--skip",
        type=lambda s: tuple(n.strip() for n in s.split(",") if n.strip()),
        default=(),
        help="benchmarks to leave out, by the start of their name (e.g. 'outbox,通报: render')",
    )
    parser.add_argument(
        "--fanout-sizes",
        type=lambda s: tuple(int(n) for n in s.split(",") if n),
        help="plan sizes for the Telegram fan-out (default 100,1000,5000; '' for none)",
    )
    parser.add_argument(
        "--fanout-scale", type=float, default=fanout.SCALE, help="fan-out clock speed-up"
    )
    args = parser.parse_args(argv)
    sizes = args.sizes if args.sizes is not None else (QUICK_SIZES if args.quick else SIZES)
    load_sizes = args.load_sizes
    if load_sizes is None:
        load_sizes = QUICK_LOAD_SIZES if args.quick else LOAD_SIZES
    repeat = args.repeat or (QUICK_REPEAT if args.quick else REPEAT)

    with tempfile.TemporaryDirectory(prefix="superbot-bench-") as folder:
        databases: list[Databases] = [SqliteDatabases(Path(folder))]
        if args.postgres:
            problem = postgres_problem(args.postgres)
            if problem is None:
                databases.append(PostgresDatabases(args.postgres))
            else:
                print(f"note: PostgreSQL skipped, {args.postgres} is not reachable: {problem}")
        before = machine(databases)
        print(f"superbot benchmarks: best of {repeat} after a warm-up; {before['cpus']} CPUs")
        started = time.perf_counter()
        global SKIPPED
        SKIPPED = args.skip
        figures = [] if args.no_startup or args.quick else startup(repeat)
        figures += [f for size in load_sizes for f in load_and_validate(size, repeat)]
        figures += [f for size in sizes for f in run_size(size, databases, repeat)]
        fanout_sizes = args.fanout_sizes
        if fanout_sizes is None:
            fanout_sizes = QUICK_SIZES if args.quick else fanout.SIZES
        fanouts = fanout.run(fanout_sizes, args.fanout_scale)
        elapsed = time.perf_counter() - started

    order = {db: n for n, db in enumerate((IN_MEMORY, "sqlite", "postgresql"))}
    figures.sort(key=lambda f: (order[f.database], BENCHMARKS.index(f.benchmark), f.size))
    print()
    print(table(figures))
    print()
    print(rss_table(figures))
    if fanouts:
        print()
        print(fanout.table(fanouts, args.fanout_scale))
    print(f"\n{len(figures)} figures in {elapsed:.0f} s; load average {os.getloadavg()}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": before | {"load_average_after": os.getloadavg()},
                    "repeat": repeat,
                    "sizes": list(sizes),
                    "load_sizes": list(load_sizes),
                    "seconds": elapsed,
                    "figures": [f.as_json() for f in figures],
                    "fanout": [
                        dict(vars(f), ratio=round(f.ratio, 3), scale=args.fanout_scale)
                        for f in fanouts
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
