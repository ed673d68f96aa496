"""Fixtures shared by the whole suite: databases (SQLite and PostgreSQL), plans, the CLI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.english import english_sentences
from tests.fakes.clock import FakeClock

from superbot.cli import main
from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.store.db import make_engine, migrate, normalise_url
from superbot.store.sql import SqlStore

# PTB 22 warns when RetryAfter.retry_after is an int; opt in to the PTB 23 timedelta now.
os.environ.setdefault("PTB_TIMEDELTA", "1")

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_TASKS = ROOT / "tests" / "plan.yaml"
POSTGRES_URL = os.environ.get(
    "SUPERBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any reason at all: say it in the skip
        return f"PostgreSQL at {POSTGRES_URL} not reachable: {type(error).__name__}: {error}"
    return None


_POSTGRES_PROBLEM: str | bool | None = False


def postgres_problem() -> str | None:
    global _POSTGRES_PROBLEM
    if _POSTGRES_PROBLEM is False:
        _POSTGRES_PROBLEM = _postgres_problem()
    return _POSTGRES_PROBLEM  # type: ignore[return-value]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL, dropped afterwards."""
    problem = postgres_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalise_url(POSTGRES_URL)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'superbot.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'superbot.db'}"


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    engine = make_engine(database_url)
    migrate(engine)
    yield SqlStore(engine)
    engine.dispose()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[SqlStore]:
    engine = make_engine(sqlite_url)
    migrate(engine)
    yield SqlStore(engine)
    engine.dispose()


@dataclass
class Result:
    status: int
    out: str
    err: str


class Cli:
    """Runs ``superbot`` in-process with a given configuration, capturing what it prints."""

    def __init__(
        self,
        capsys: pytest.CaptureFixture[str],
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        self.capsys = capsys
        self.config = config
        self.clock = clock
        # What the person at the terminal answers to a question (None: nobody is there).
        self.answers: list[bool] | None = None
        self.asked: list[str] = []

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        runtime = Runtime(
            self.config,
            clock=self.clock,
            ask=self._ask if self.answers else None,
            sleep=getattr(self.clock, "sleep", None),  # a FakeClock's: waiting moves it
        )
        try:
            status = main(list(args), runtime=runtime)
        finally:
            if "store" in runtime.__dict__:
                runtime.store.engine.dispose()
        captured = self.capsys.readouterr()
        if self.config.locale in (None, "zh-CN"):  # the check, on every command run
            shown = english_sentences(captured.out + captured.err)
            assert not shown, f"English in zh-CN output of {args}: {shown}"
        return Result(status, captured.out, captured.err)

    def _ask(self, question: str) -> bool:
        assert self.answers, f"nobody expected the question {question!r}"
        self.asked.append(question)
        return self.answers.pop(0)


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    """A copy of the shipped plan that a test may edit."""
    path = tmp_path / "tasks.yaml"
    path.write_bytes(SHIPPED_TASKS.read_bytes())
    return path


# The day the command line runs on in tests: the shipped plan's year is over, its reports
# are in the past, and no assertion depends on the day the suite happens to run.
CLI_NOW = datetime(2023, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


@pytest.fixture
def cli_clock() -> FakeClock:
    return FakeClock(CLI_NOW)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tasks_file: Path, cli_clock: FakeClock
) -> Cli:
    config = Config(
        database_url=f"sqlite:///{tmp_path / 'cli.db'}",
        tasks_path=tasks_file,
        outbox_dir=tmp_path / "outbox",
        environ={},
    )
    return Cli(capsys, config, cli_clock)
