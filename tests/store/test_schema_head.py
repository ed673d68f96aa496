"""Every command calls ``migrate``; on a database already at the newest revision it must not
need Alembic (issue 15: start-up), and it must still notice a database that is behind."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from superbot.store.db import MIGRATIONS, at_head, head_revision, make_engine, migrate


def test_the_head_read_from_the_files_is_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_database_is_at_head_only_once_migrated(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not at_head(engine)  # no alembic_version table yet
        migrate(engine)
        assert at_head(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert not at_head(engine)  # behind: the next migrate runs Alembic
    finally:
        engine.dispose()
