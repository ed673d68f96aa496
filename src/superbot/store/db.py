"""Engines and migrations. SQLite (WAL, foreign keys) by default; PostgreSQL by URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from superbot.service.errors import Unavailable

MIGRATIONS = Path(__file__).parent / "migrations"
# How long a SQLite writer waits for another before the request is given up as Unavailable.
BUSY_SECONDS = 30.0
_MIGRATION_LOCK = 7_245_101  # pg_advisory_lock key: one instance migrates at a time


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and driverless ``postgresql://`` the way people paste them."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class UnsupportedDatabase(ValueError):
    """SUPERBOT_DATABASE_URL names a database superbot does not run on (mysql://, a typo)."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    try:
        url = normalise_url(url)
        backend = make_url(url).get_backend_name()
    except ArgumentError as error:
        raise UnsupportedDatabase(url) from error
    if backend not in SUPPORTED_BACKENDS:
        raise UnsupportedDatabase(url)
    if backend == "sqlite":
        return _sqlite_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    busy = BUSY_SECONDS
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to call on every start."""
    if at_head(engine):
        return  # every command starts here: it need not load Alembic to find nothing to do
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        if sqlite and raw is not None:
            # Alembic alters a SQLite table by rebuilding it, which rows pointing at it would
            # stop; the keys are checked once the migration is done instead.
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left rows without their keys: {broken}")
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def schema_revisions(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's migration revision, the newest this version of superbot knows);
    the first is None on a database never migrated. Reads only: ``superbot doctor`` asks."""
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the files as Alembic reads them (None when
    they do not make one line; then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r"""^revision\s*=\s*["']([^"']+)["']""", source, re.M)
        parent = re.search(r"""^down_revision\s*=\s*(?:["']([^"']+)["']|None)""", source, re.M)
        if revision is None or parent is None:
            return None
        revisions.add(revision.group(1))
        if parent.group(1):
            parents.add(parent.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the database already has the newest schema."""
    head = head_revision()
    if head is None:
        return False
    with engine.connect() as connection:
        try:
            found = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except Exception:  # no such table yet: a new database
            return False
    return [tuple(row) for row in found] == [(head,)]


class LeaderLock:
    """One instance runs the schedules: a PostgreSQL session advisory lock; SQLite is one
    process, so it always leads. The lock is per schema: two deployments (or two test runs)
    in one database, each in its own schema, each have their own leader."""

    KEY = 7_245_102

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None

    @property
    def held(self) -> bool:
        """Whether this instance leads, as of its last :meth:`acquire`."""
        return self.engine.dialect.name != "postgresql" or self._connection is not None

    def acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died, and the lock with it
                with suppress(Exception):
                    self._connection.close()
                self._connection = None
        connection = self.engine.connect()
        held = connection.execute(
            text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))"), {"key": self.KEY}
        ).scalar()
        connection.commit()
        if held:
            self._connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._connection is not None:
            # A connection that died took the lock with it: nothing is left to release.
            with suppress(Exception):
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"),
                    {"key": self.KEY},
                )
                self._connection.commit()
            with suppress(Exception):
                self._connection.close()
            self._connection = None


class SqlRepository:
    """Tables on one engine; every public method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except DBAPIError as error:
            if unavailable(error):
                raise Unavailable(str(error.orig).strip().splitlines()[0]) from error
            raise


# SQLite's words for "not now": another writer past busy_timeout, a read-only file or folder,
# a disk that fails or fills up. Its other OperationalErrors (no such table…) are defects.
_SQLITE_UNAVAILABLE = ("locked", "busy", "readonly", "read-only", "disk", "unable to open", "full")


def unavailable(error: DBAPIError) -> bool:
    """Whether the database failed us for now (the request may be made again), rather than
    refusing the request itself."""
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    if error.orig is not None and type(error.orig).__module__.startswith("sqlite3"):
        said = str(error.orig).lower()
        return any(word in said for word in _SQLITE_UNAVAILABLE)
    return True  # PostgreSQL's OperationalError: the server or the connection to it
