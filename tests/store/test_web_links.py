"""Login links and sessions on SQLite and PostgreSQL: single use, expiry, hashed storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from superbot.service.access import LOGIN, REPORT, digest
from superbot.store.sql import SqlStore
from superbot.store.web import SqlLinks

NOW = datetime(2022, 6, 22, 2, 0, tzinfo=UTC)


def test_a_link_is_used_once_and_only_its_hash_is_kept(store: SqlStore) -> None:
    links = SqlLinks(store.engine)
    code = "secret-code-of-the-link"
    links.add_link(digest(code), LOGIN, "wangli", None, NOW, NOW + timedelta(minutes=15))
    found = links.link(digest(code))
    assert found is not None
    assert (found.kind, found.person_id, found.used_at) == (LOGIN, "wangli", None)
    assert links.use_link(digest(code), NOW)
    assert not links.use_link(digest(code), NOW)  # the second use, or a race, loses
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT code_hash FROM web_link")).scalars().all()
    assert stored == [digest(code)]
    assert code not in str(stored)


def test_links_are_counted_per_person_and_kind(store: SqlStore) -> None:
    links = SqlLinks(store.engine)
    for n in range(3):
        links.add_link(f"h{n}", LOGIN, "wangli", None, NOW + timedelta(minutes=n), NOW)
    links.add_link("r", REPORT, "wangli", "2022-06", NOW, NOW)
    assert links.links_since(LOGIN, "wangli", NOW) == 2  # after NOW, not at it
    assert links.links_since(LOGIN, "wangli", NOW - timedelta(seconds=1)) == 3
    assert links.links_since(LOGIN, "limh", NOW - timedelta(seconds=1)) == 0


def test_sessions_expire_and_end(store: SqlStore) -> None:
    links = SqlLinks(store.engine)
    links.add_session("t1", "wangli", NOW, NOW + timedelta(hours=12))
    assert links.session_person("t1", NOW + timedelta(hours=11)) == "wangli"
    assert links.session_person("t1", NOW + timedelta(hours=12)) is None
    links.add_session("t2", "limh", NOW, NOW + timedelta(hours=12))
    links.end_session("t2")
    assert links.session_person("t2", NOW) is None
    # A new sign-in clears sessions long expired.
    links.add_session("t3", "limh", NOW + timedelta(days=2), NOW + timedelta(days=3))
    assert links.session_person("t1", NOW) is None
