"""Migrations: one set for both stores, applied in order, recorded, safe to run twice and
from two processes at once."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from auxil import stores

import storage.migrate
from storage.db import Database, open_database
from storage.dialect import POSTGRESQL, SQLITE
from storage.migrate import available_migrations, migrate
from storage.timestamps import ts_text

MIGRATIONS = Path(__file__).resolve().parents[2] / "storage" / "migrations"
CORE = {
    "org_units",
    "stations",
    "service_teams",
    "people",
    "role_grants",
    "audit_log",
    "outbox",
    "requests",
    "applied_updates",
    "schema_version",
}


async def test_all_migrations_apply_twice_on_a_fresh_database(tmp_path: Path) -> None:
    db = open_database(await stores.fresh_store(tmp_path, "fresh", migrated=False))
    async with db:
        first = await migrate(db)
        second = await migrate(db)
        async with db.read() as tx:
            versions = [
                r[0]
                for r in await tx.fetchall("SELECT version FROM schema_version ORDER BY version")
            ]
            tables = set(await tx.tables())
    expected = [m.version for m in available_migrations(db.engine)]
    assert [m.version for m in first] == expected
    assert second == []
    assert versions == expected
    assert tables >= CORE


async def test_two_processes_migrating_at_once_apply_each_migration_once(
    tmp_path: Path,
) -> None:
    url = await stores.fresh_store(tmp_path, "race", migrated=False)
    first, second = open_database(url), open_database(url)
    async with first, second:
        applied = await asyncio.gather(migrate(first), migrate(second))
        async with first.read() as tx:
            versions = [r[0] for r in await tx.fetchall("SELECT version FROM schema_version")]
    expected = [m.version for m in available_migrations(first.engine)]
    assert sorted(m.version for run in applied for m in run) == expected
    assert sorted(versions) == expected


@pytest.mark.sqlite_only(reason="WAL and PRAGMA foreign_keys are SQLite's settings")
async def test_sqlite_runs_in_wal_mode_with_foreign_keys(db: Database) -> None:
    async with db.read() as tx:
        assert await tx.fetchval("PRAGMA journal_mode") == "wal"
        assert await tx.fetchval("PRAGMA foreign_keys") == 1


@pytest.mark.postgres_only(reason="the column types PostgreSQL gives the portable DDL")
async def test_postgresql_gets_timestamptz_boolean_and_bigint_columns(db: Database) -> None:
    async with db.read() as tx:
        rows = await tx.fetchall(
            "SELECT table_name, column_name, data_type, is_identity"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
        )
    types = {(r[0], r[1]): (r[2], r[3]) for r in rows}
    assert types["requests", "created_at"][0] == "timestamp with time zone"
    assert types["requests", "anonymous"][0] == "boolean"
    assert types["people", "telegram_id"][0] == "bigint"  # Telegram ids exceed 32 bits
    assert types["requests", "id"] == ("bigint", "YES")  # numbers itself, like a rowid
    assert types["requests", "latitude"][0] == "double precision"
    # No column holds a time as text: every *_at column is a timestamptz.
    text_times = [
        k
        for k, (t, _) in types.items()
        if k[1].endswith("_at") and t != "timestamp with time zone"
    ]
    assert text_times == []


async def test_a_failing_migration_leaves_nothing_half_done(db: Database) -> None:
    with pytest.raises(Exception, match="nope"):
        async with db.transaction() as tx:
            await tx.execute_script(
                db.dialect.ddl("CREATE TABLE half (id INTEGER);\nINSERT INTO nope VALUES (1);")
            )
    async with db.read() as tx:
        assert not await tx.has_table("half")


def test_every_migration_serves_both_stores() -> None:
    """Each number is one portable file or a pair of per-store files."""
    sqlite = available_migrations("sqlite")
    postgresql = available_migrations("postgresql")
    assert [m.version for m in sqlite] == [m.version for m in postgresql]
    assert [m.name for m in sqlite] == [m.name for m in postgresql]


def test_portable_ddl_translates_types_per_store() -> None:
    script = (
        "CREATE TABLE t (\n"
        "    id INTEGER PRIMARY KEY,\n"
        "    n INTEGER NOT NULL, -- an INTEGER in a comment stays\n"
        "    x REAL, ok BOOLEAN NOT NULL DEFAULT FALSE, at TIMESTAMPTZ,\n"
        "    note TEXT DEFAULT 'INTEGER PRIMARY KEY'\n"
        ");"
    )
    assert SQLITE.ddl(script) == (
        "CREATE TABLE t (\n"
        "    id INTEGER PRIMARY KEY,\n"
        "    n INTEGER NOT NULL, -- an INTEGER in a comment stays\n"
        "    x REAL, ok INTEGER NOT NULL DEFAULT FALSE, at TEXT,\n"
        "    note TEXT DEFAULT 'INTEGER PRIMARY KEY'\n"
        ");"
    )
    assert POSTGRESQL.ddl(script) == (
        "CREATE TABLE t (\n"
        "    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
        "    n BIGINT NOT NULL, -- an INTEGER in a comment stays\n"
        "    x DOUBLE PRECISION, ok BOOLEAN NOT NULL DEFAULT FALSE, at TIMESTAMPTZ,\n"
        "    note TEXT DEFAULT 'INTEGER PRIMARY KEY'\n"
        ");"
    )


T = datetime(2026, 11, 1, tzinfo=UTC)


async def migrate_before(db: Database, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database as a version before ``version`` left it (``monkeypatch.undo()`` ends it)."""
    shipped = available_migrations(db.engine)
    monkeypatch.setattr(
        storage.migrate,
        "available_migrations",
        lambda engine="sqlite": [m for m in shipped if m.version < version],
    )
    await migrate(db)


async def test_intakes_filed_before_finished_flows_are_recorded_as_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0010 records the nonce of every intake already filed, so a draft an older version left
    behind is finished at the first start."""
    db = open_database(await stores.fresh_store(tmp_path, "old", migrated=False))
    async with db:
        await migrate_before(db, 10, monkeypatch)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (id, telegram_id, created_at, updated_at)"
                " VALUES (5, 4242, ?, ?)",
                (T, T),
            )
            unit = await tx.insert(
                "INSERT INTO org_units (code, name, level, path, created_at, updated_at)"
                " VALUES ('C', 'C', 'compound', '/C/', ?, ?)",
                (T, T),
            )
            for n, (key, resident) in enumerate(
                [("intake:5:ab12cd34", 5), ("intake:5:0f0f0f0f", None), (None, 5)], 1
            ):
                await tx.execute(
                    "INSERT INTO requests (id, number, source_key, resident_id, compound_id,"
                    " category_id, tier, status, description, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, 1, 'important', 'submitted', 'd', ?, ?)",
                    (n, f"DZ-2026-00000{n}", key, resident, unit, T.replace(day=n), T),
                )
        monkeypatch.undo()
        await migrate(db)
        async with db.read() as tx:
            found = [
                tuple(ts_text(v) if isinstance(v, datetime) else v for v in r)
                for r in await tx.fetchall("SELECT * FROM finished_flows")
            ]
    assert found == [(5, "intake", "ab12cd34", "request:1", ts_text(T))]


async def test_the_outbox_change_keeps_every_row_and_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0011 gives the outbox a new status (SQLite rebuilds the table, PostgreSQL alters it);
    rows, edits' references and task cards keep pointing where they did, and a row re-queued
    after a crash counts as one doubtful try."""
    db = open_database(await stores.fresh_store(tmp_path, "old", migrated=False))
    async with db:
        await migrate_before(db, 11, monkeypatch)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO outbox (id, chat_id, method, payload, status, recovered,"
                " created_at, updated_at) VALUES (1, 7, 'sendMessage', '{}', 'sent', TRUE, ?, ?)",
                (T, T),
            )
            await tx.execute(
                "INSERT INTO outbox (id, chat_id, method, payload, ref_id, created_at,"
                " updated_at) VALUES (2, 7, 'editMessageText', '{}', 1, ?, ?)",
                (T, T),
            )
        monkeypatch.undo()
        await migrate(db)
        async with db.transaction() as tx:
            rows = [
                tuple(r)
                for r in await tx.fetchall(
                    "SELECT id, status, uncertain, ref_id FROM outbox ORDER BY id"
                )
            ]
            await tx.execute("UPDATE outbox SET status = 'unknown' WHERE id = 2")
            if db.engine == "sqlite":
                assert await tx.fetchall("PRAGMA foreign_key_check") == []
                assert await tx.fetchval("PRAGMA foreign_keys") == 1
                sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            else:
                sql = "SELECT indexname FROM pg_indexes WHERE tablename = ?"
            indexes = {r[0] for r in await tx.fetchall(sql, ("outbox",))}
    assert rows == [(1, "sent", 1, None), (2, "pending", 0, 1)]
    assert {"outbox_open", "outbox_batch", "outbox_ref"} <= indexes


async def test_a_migration_that_leaves_a_dangling_reference_is_rolled_back(
    db: Database,
) -> None:
    with pytest.raises((sqlite3.IntegrityError, asyncpg.ForeignKeyViolationError)):
        async with db.migration() as tx:
            await tx.execute(
                "INSERT INTO role_grants (person_id, role, unit_id, granted_at)"
                " VALUES (999, 'resident', 999, ?)",
                (T,),
            )
    async with db.transaction() as tx:  # the writer: foreign keys on again
        assert await tx.fetchval("SELECT count(*) FROM role_grants") == 0
        if db.engine == "sqlite":
            assert await tx.fetchval("PRAGMA foreign_keys") == 1


async def test_the_invitation_links_handed_out_keep_working_in_one_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0032 moves the administrators' links (admin_invites) and the departments' and first
    secretaries' (role_invites) into ``invitations``, tokens, makers, times and use kept."""
    db = open_database(await stores.fresh_store(tmp_path, "old", migrated=False))
    later = T.replace(day=8)
    async with db:
        await migrate_before(db, 32, monkeypatch)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (id, telegram_id, created_at, updated_at)"
                " VALUES (5, 4242, ?, ?), (6, 4343, ?, ?)",
                (T, T, T, T),
            )
            unit = await tx.insert(
                "INSERT INTO org_units (code, name, level, path, created_at, updated_at)"
                " VALUES ('BY', 'BY', 'community', '/BY/', ?, ?)",
                (T, T),
            )
            department = await tx.insert(
                "INSERT INTO departments (code, name, short_name, unit_id, created_at,"
                " updated_at) VALUES ('CGJ', 'CGJ', 'CGJ', ?, ?, ?)",
                (unit, T, T),
            )
            pairing = await tx.insert(
                "INSERT INTO pairings (community_id, partner, created_at, updated_at)"
                " VALUES (?, 'Finance', ?, ?)",
                (unit, T, T),
            )
            await tx.execute(
                "INSERT INTO admin_invites (token, unit_id, created_by, created_at, expires_at,"
                " used_by, used_at) VALUES ('a1', ?, 5, ?, ?, 6, ?)",
                (unit, T, later, T.replace(day=2)),
            )
            await tx.execute(
                "INSERT INTO role_invites (token, post, department_id, pairing_id, created_by,"
                " created_at, expires_at) VALUES ('r1', 'head', ?, NULL, 5, ?, ?),"
                " ('r2', 'first_secretary', NULL, ?, NULL, ?, ?)",
                (department, T, later, pairing, T, later),
            )
        monkeypatch.undo()
        await migrate(db)
        async with db.read() as tx:
            rows = [
                tuple(ts_text(v) if isinstance(v, datetime) else v for v in r)
                for r in await tx.fetchall(
                    "SELECT token, kind, target_id, created_by, created_at, expires_at, used_by,"
                    " used_at FROM invitations ORDER BY token"
                )
            ]
            tables = {t for t, _ in await tx.text_columns()}
    created, expires = ts_text(T), ts_text(later)
    assert rows == [
        ("a1", "admin", unit, 5, created, expires, 6, ts_text(T.replace(day=2))),
        ("r1", "head", department, 5, created, expires, None, None),
        ("r2", "first_secretary", pairing, None, created, expires, None, None),
    ]
    assert not tables & {"admin_invites", "role_invites"}


async def test_activity_clocks_join_the_requests_in_one_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0045 moves an activity's timer rows (due_items) into deadline_items, which then names
    what each row is about by one foreign key: a request's rows keep their ids, state and
    sub-order; an activity's row has no request; a row must name exactly one of the two."""
    db = open_database(await stores.fresh_store(tmp_path, "old", migrated=False))
    later = T.replace(day=8)
    async with db:
        await migrate_before(db, 45, monkeypatch)
        async with db.transaction() as tx:
            unit = await tx.insert(
                "INSERT INTO org_units (code, name, level, path, created_at, updated_at)"
                " VALUES ('BY', 'BY', 'community', '/BY/', ?, ?)",
                (T, T),
            )
            await tx.execute(
                "INSERT INTO requests (id, number, compound_id, category_id, tier, status,"
                " description, created_at, updated_at)"
                " VALUES (3, 'DZ-2026-000003', ?, 1, 'important', 'triaged', 'd', ?, ?)",
                (unit, T, T),
            )
            await tx.execute(
                "INSERT INTO deadline_items (id, request_id, kind, step, due_at, state,"
                " created_at) VALUES (7, 3, 'remind_accept', 1, ?, 'held', ?)",
                (later, T),
            )
            activity = await tx.insert(
                "INSERT INTO activities (title, unit_id, starts_at, ends_at, capacity, audience,"
                " secret, created_at, updated_at) VALUES ('t', ?, ?, ?, 3, 'residents', 's',"
                " ?, ?)",
                (unit, later, later.replace(hour=2), T, T),
            )
            await tx.execute(
                "INSERT INTO due_items (kind, subject_id, step, due_at, state, created_at)"
                " VALUES ('activity_remind', ?, 1, ?, 'pending', ?),"
                " ('activity_close', ?, 0, ?, 'done', ?)",
                (activity, later, T, activity, later, T),
            )
        monkeypatch.undo()
        await migrate(db)
        async with db.transaction() as tx:
            rows = [
                tuple(r)
                for r in await tx.fetchall(
                    "SELECT request_id, activity_id, sub_order_id, kind, step, state"
                    " FROM deadline_items ORDER BY kind DESC"
                )
            ]
            assert await tx.fetchval("SELECT id FROM deadline_items WHERE request_id = 3") == 7
            tables = {t for t, _ in await tx.text_columns()}
        with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError)):
            async with db.transaction() as tx:  # neither a request nor an activity
                await tx.execute(
                    "INSERT INTO deadline_items (kind, due_at, created_at)"
                    " VALUES ('activity_close', ?, ?)",
                    (T, T),
                )
    assert rows == [
        (3, None, None, "remind_accept", 1, "held"),
        (None, activity, None, "activity_remind", 1, "pending"),
        (None, activity, None, "activity_close", 0, "done"),
    ]
    assert "due_items" not in tables
