"""A reply costs the same at any plan size (issue 15), measured through the real conversation
service on a real database holding a synthetic plan and a year of its reports.

    .venv/bin/python bench/replies.py                          # 100, 5,000 and 100,000 tasks
    .venv/bin/python bench/replies.py --sizes 100,5000 --postgres
    .venv/bin/python bench/replies.py --quick                  # smoke run: 50 tasks, 5 s load

Two replies are timed, as the bot and the chat apps take them:

- **Telegram**: an owner answers the reminder message of a task (``80% 设备已招标``):
  ``Conversation.text`` with ``reply_to`` — the sender identified, the message the reply
  answers looked up, the text read, rights checked, the report stored (committed), the
  task's new light computed, the owner's next step kept.
- **chat app**: a 企业微信/钉钉/飞书 text naming the task by id (``zcq8-1 80% …``):
  ``Conversation.said`` — the same, and the task found by its id among all of the plan's.

Each is timed turn about with its floor, one INSERT of a report row in its own transaction
(the least any reply must write). The figure that matters is **× of 100 tasks**: the reply's
median time at N tasks over its median at 100 tasks, which should stay near 1 (target ≤ 2).

Then a minute of **50 replies a second** (``--rate``, ``--seconds``), simulated with a scaled
clock: replies arrive every 20 ms on the clock of the simulation, each is handled for real
(its time measured) by one worker, as the bot takes updates one at a time, and waits while
the one before it is handled. Its latency is from its arrival to its report committed; the
table gives the p50, p99 and the worst (target p99 < 100 ms). The floor's p99 is the same
simulation with the floor's INSERT as the work.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from run import (
    POSTGRES_URL,
    REPLY_AT,
    Databases,
    PostgresDatabases,
    SqliteDatabases,
    Workload,
    postgres_problem,
    seconds,
    synced_store,
)
from superbot.domain.model import Account
from superbot.service.conversation import Confirmation, Conversation
from superbot.store.accounts import SqlAccounts
from superbot.store.conversations import SqlConversations
from superbot.store.sql import SqlStore
from superbot.store.tables import ReportRow, ReportValueRow
from synthetic import MonthlyReport

SIZES = (100, 5_000, 100_000)
QUICK_SIZES = (50,)
REPLIERS = 200  # people who reply, each about a task of their department
SAMPLES = 60  # timed replies of each kind per size (each to a task, turn about with a floor)
RATE = 50.0  # replies a second under load
LOAD_SECONDS = 60.0
CHUNK = 50_000  # report rows per INSERT while setting up


@dataclass(frozen=True)
class Replier:
    person_id: str
    task_id: str
    chat: str  # Telegram chat id (a private chat: the user id)
    app_user: str  # 企业微信 userid
    reminder: str  # the reminder message the reply answers


@dataclass(frozen=True)
class Row:
    benchmark: str
    database: str
    size: int
    floor: float  # median seconds
    measured: float  # median seconds
    best: float
    versus_smallest: float | None = None


def insert_year_of_reports(engine: Engine, reports: Sequence[MonthlyReport]) -> None:
    """As ``run.insert_reports``, in chunks: 1.2 million rows at 100,000 tasks."""
    for start in range(0, len(reports), CHUNK):
        chunk = reports[start : start + CHUNK]
        rows = [
            {
                "id": start + n,
                "task_id": r.task_id,
                "person_id": r.person_id,
                "reported_at": r.at,
                "recorded_at": r.at,
                "percent": r.percent,
                "state": r.state.value if r.state else None,
                "note": r.note,
                "source": "telegram",
            }
            for n, r in enumerate(chunk, start=1)
        ]
        values = [
            {"report_id": start + n, "indicator_id": indicator, "value": value}
            for n, r in enumerate(chunk, start=1)
            for indicator, value in r.values.items()
        ]
        with engine.begin() as connection:
            connection.execute(insert(ReportRow.__table__), rows)  # type: ignore[attr-defined]
            if values:
                connection.execute(insert(ReportValueRow.__table__), values)  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('report', 'id'), max(id)) FROM report"
            )


def repliers(work: Workload, store: SqlStore, conversation: Conversation) -> list[Replier]:
    """Up to REPLIERS people spread over the plan, each bound on Telegram and 企业微信 and
    sent the reminder of a task their department leads."""
    led: dict[str, str] = {}
    for task in work.plan.tasks:
        led.setdefault(task.lead, task.id)
    people = [p for p in work.plan.people if p.department_id in led]
    step = max(1, len(people) // REPLIERS)
    accounts = SqlAccounts(store.engine)
    found = []
    for n, person in enumerate(people[::step][:REPLIERS]):
        # Each replier answers a task of their own department, spread over the plan.
        tasks = [t.id for t in work.plan.tasks if t.lead == person.department_id]
        task_id = tasks[n % len(tasks)]
        chat = str(500_000_000 + n)
        replier = Replier(person.id, task_id, chat, f"user{n}", f"{chat}:1")
        accounts.bind(person.id, Account("telegram", chat), REPLY_AT)
        accounts.bind(person.id, Account("wecom", replier.app_user), REPLY_AT)
        conversation.remember("telegram", replier.reminder, task_id, REPLY_AT)
        found.append(replier)
    return found


class Replies:
    """The two replies, each a new message (so a new report), and the floor."""

    def __init__(self, store: SqlStore, conversation: Conversation, who: list[Replier]) -> None:
        self.store, self.conversation, self.who = store, conversation, who
        self.count = 0
        self.at = REPLY_AT

    def _next(self) -> Replier:
        self.count += 1
        self.at += timedelta(seconds=1)
        return self.who[self.count % len(self.who)]

    def telegram(self) -> None:
        r = self._next()
        outcome = self.conversation.text(
            Account("telegram", r.chat),
            f"{r.chat}:{100 + self.count}",
            "80% 设备已招标",
            reply_to=r.reminder,
            edited=False,
            now=self.at,
        )
        assert isinstance(outcome, Confirmation), outcome

    def chat_app(self) -> None:
        r = self._next()
        outcomes = self.conversation.said(
            Account("wecom", r.app_user), f"msg{self.count}", f"{r.task_id} 80% 设备已招标", self.at
        )
        assert len(outcomes) == 1, outcomes
        assert isinstance(outcomes[0], Confirmation), outcomes

    def floor(self) -> None:
        r = self._next()
        with self.store.engine.begin() as connection:
            connection.execute(
                insert(ReportRow.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "task_id": r.task_id,
                        "person_id": r.person_id,
                        "reported_at": self.at,
                        "recorded_at": self.at,
                        "percent": 80,
                        "state": "on_track",
                        "note": "设备已招标",
                        "source": "telegram",
                    }
                ],
            )


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def turn_about(floor: Callable[[], object], measured: Callable[[], object], samples: int):  # type: ignore[no-untyped-def]
    floor(), measured()  # warm-up: compiled statements, the plan read once, templates
    floors, measures = [], []
    for _ in range(samples):
        floors.append(timed(floor))
        measures.append(timed(measured))
    return floors, measures


def under_load(work: Callable[[], object], rate: float, duration: float) -> list[float]:
    """Latencies (s) of replies arriving every 1/rate s of simulated time for ``duration`` s,
    each handled for real by one worker after the one before it."""
    latencies = []
    free_at = 0.0  # when the worker is done with the previous reply, simulated time
    for n in range(int(rate * duration)):
        arrival = n / rate
        start = max(arrival, free_at)
        free_at = start + timed(work)
        latencies.append(free_at - arrival)
    return latencies


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_size(
    size: int, databases: Sequence[Databases], samples: int, rate: float, duration: float
) -> list[Row]:
    started = time.perf_counter()
    work = Workload.of(size)
    print(
        f"\n{size:,} tasks, {len(work.plan.people):,} people, {len(work.reports):,} reports"
        f" (made in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    gc.collect()
    gc.freeze()  # the synthetic workload, out of the collector's sight (as in run.py)
    rows: list[Row] = []
    try:
        for db in databases:
            with db.fresh() as engine:
                started = time.perf_counter()
                store = synced_store(engine, work)
                insert_year_of_reports(engine, work.reports)
                conversation = Conversation(store, SqlAccounts(engine), SqlConversations(engine))
                replies = Replies(store, conversation, repliers(work, store, conversation))
                print(f"  {db.name}: set up in {time.perf_counter() - started:.0f} s", flush=True)
                for name, reply in (
                    ("reply: Telegram, to the reminder", replies.telegram),
                    ("reply: chat app, naming the task", replies.chat_app),
                ):
                    floors, measures = turn_about(replies.floor, reply, samples)
                    rows.append(
                        Row(
                            name,
                            db.name,
                            size,
                            statistics.median(floors),
                            statistics.median(measures),
                            min(measures),
                        )
                    )
                    print(f"  {name:<34} {seconds(rows[-1].measured)}", flush=True)
                if duration > 0:
                    floor = under_load(replies.floor, rate, duration)
                    loaded = under_load(replies.telegram, rate, duration)
                    rows.append(
                        Row(
                            f"p99 at {rate:g}/s for {duration:g} s",
                            db.name,
                            size,
                            percentile(floor, 0.99),
                            percentile(loaded, 0.99),
                            max(loaded),
                        )
                    )
                    print(
                        f"  p50 {seconds(percentile(loaded, 0.5))}, p99"
                        f" {seconds(rows[-1].measured)}, worst {seconds(max(loaded))}",
                        flush=True,
                    )
    finally:
        gc.unfreeze()
    return rows


def table(rows: list[Row]) -> str:
    smallest: dict[tuple[str, str], float] = {}
    for row in sorted(rows, key=lambda r: r.size):
        smallest.setdefault((row.benchmark, row.database), row.measured)
    lines = [
        "| benchmark | db | tasks | floor | measured | ratio | × of smallest plan | note |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for row in sorted(rows, key=lambda r: (r.database, r.benchmark, r.size)):
        versus = row.measured / smallest[(row.benchmark, row.database)]
        note = (
            f"worst {seconds(row.best)}"
            if row.benchmark.startswith("p99")
            else f"best {seconds(row.best)}"
        )
        lines.append(
            f"| {row.benchmark} | {row.database} | {row.size:,} | {seconds(row.floor)} |"
            f" {seconds(row.measured)} | ×{row.measured / row.floor:,.1f} | ×{versus:.2f} |"
            f" {note} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: one small plan")
    parser.add_argument(
        "--sizes",
        type=lambda s: tuple(int(n) for n in s.split(",") if n),
        help="plan sizes (default 100,5000,100000)",
    )
    parser.add_argument("--samples", type=int, default=SAMPLES, help="timed replies of each")
    parser.add_argument("--rate", type=float, default=RATE, help="replies a second under load")
    parser.add_argument(
        "--seconds", type=float, help=f"of load (default {LOAD_SECONDS:g}; 0: none)"
    )
    parser.add_argument("--postgres", nargs="?", const=POSTGRES_URL, metavar="URL")
    args = parser.parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    duration = args.seconds if args.seconds is not None else (5.0 if args.quick else LOAD_SECONDS)
    samples = 10 if args.quick else args.samples
    with tempfile.TemporaryDirectory(prefix="superbot-bench-") as folder:
        databases: list[Databases] = [SqliteDatabases(Path(folder))]
        if args.postgres:
            problem = postgres_problem(args.postgres)
            if problem is None:
                databases.append(PostgresDatabases(args.postgres))
            else:
                print(f"note: PostgreSQL skipped, {args.postgres} is not reachable: {problem}")
        rows = [
            row for size in sizes for row in run_size(size, databases, samples, args.rate, duration)
        ]
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
