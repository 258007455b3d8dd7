"""The migrations build exactly the schema the ORM declares: a fresh database migrated to head and compared with
`Base.metadata` by Alembic's autogenerate shows no difference (tables, columns, types, nullability, indexes,
unique and foreign-key constraints). On SQLite always; on PostgreSQL when MONITOR_TEST_DATABASE_URL is set.

Server defaults are not compared (Alembic's default): migration 0002 gives matches.story_title the server default
'' so existing rows get a value, while the ORM supplies '' from Python; that difference is deliberate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData

from monitor.resources import migrations_dir
from monitor.storage import migrate
from monitor.storage.engine import Database, open_database
from monitor.storage.schema import NAMING, Base
from tests.conftest import PG_URL

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="MONITOR_TEST_DATABASE_URL is not set: PostgreSQL not compared"),
    ),
]


@pytest.fixture(params=BACKENDS)
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database (SQLite file, or its own PostgreSQL schema) brought to head by the real upgrade path."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    else:
        url = request.getfixturevalue("database_url")
        assert url is not None
    db = open_database(url)
    try:
        assert migrate.upgrade(db) == (None, migrate.head())
        yield db
    finally:
        db.dispose()


def differences(db: Database, metadata: MetaData) -> list[Any]:
    with db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_migrations_match_the_orm(migrated: Database) -> None:
    assert differences(migrated, Base.metadata) == []


def test_a_column_the_migrations_lack_is_found(migrated: Database) -> None:
    """The comparison itself works on this backend (schema, search_path): an ORM column with no migration shows."""
    metadata = MetaData(naming_convention=NAMING)
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["poll_runs"].append_column(Column("probe_only_in_orm", Integer, nullable=True))
    found = differences(migrated, metadata)
    assert [(d[0], d[2], d[3].name) for d in found] == [("add_column", "poll_runs", "probe_only_in_orm")]


def test_one_head() -> None:
    """Two revisions written from the same parent leave two heads, and `monitor db upgrade` could not choose."""
    heads = ScriptDirectory(str(migrations_dir())).get_heads()
    assert len(heads) == 1, f"db/migrations has several heads {heads}: give one the other as down_revision"
