"""Migrations: applied in order, recorded, and safe to run twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storage.migrate
from storage.db import Database
from storage.migrate import available_migrations, migrate


async def test_all_migrations_apply_twice_on_a_fresh_database(tmp_path: Path) -> None:
    db = Database(tmp_path / "fresh.db")
    async with db:
        first = await migrate(db)
        second = await migrate(db)
        async with db.read() as tx:
            versions = [
                r[0]
                for r in await tx.fetchall("SELECT version FROM schema_version ORDER BY version")
            ]
            tables = {
                r[0]
                for r in await tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            journal = await tx.fetchval("PRAGMA journal_mode")
            foreign_keys = await tx.fetchval("PRAGMA foreign_keys")
    expected = [m.version for m in available_migrations()]
    assert [m.version for m in first] == expected
    assert second == []
    assert versions == expected
    assert {
        "org_units",
        "stations",
        "service_teams",
        "people",
        "role_grants",
        "audit_log",
        "outbox",
        "schema_version",
    } <= tables
    assert journal == "wal"
    assert foreign_keys == 1


async def test_a_failing_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.db")
    async with db:
        await migrate(db)
        try:
            await db.executescript(
                "BEGIN IMMEDIATE; CREATE TABLE half (id INTEGER); INSERT INTO nope VALUES (1);"
                " COMMIT;"
            )
        except Exception as exc:  # sqlite3.OperationalError: no such table
            assert "nope" in str(exc)
        async with db.read() as tx:
            assert await tx.fetchval("SELECT count(*) FROM sqlite_master WHERE name = 'half'") == 0


async def migrate_before(db: Database, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database as a version before ``version`` left it (``monkeypatch.undo()`` ends it)."""
    shipped = available_migrations()
    monkeypatch.setattr(
        storage.migrate,
        "available_migrations",
        lambda: [m for m in shipped if m.version < version],
    )
    await migrate(db)


async def test_intakes_filed_before_finished_flows_are_recorded_as_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0010 records the nonce of every intake already filed, so a draft an older version left
    behind is finished at the first start."""
    db = Database(tmp_path / "old.db")
    async with db:
        await migrate_before(db, 10, monkeypatch)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (id, telegram_id, created_at, updated_at)"
                " VALUES (5, 4242, 'T', 'T')"
            )
            unit = await tx.insert(
                "INSERT INTO org_units (code, name, level, path, created_at, updated_at)"
                " VALUES ('C', 'C', 'compound', '/C/', 'T', 'T')"
            )
            for n, (key, resident) in enumerate(
                [("intake:5:ab12cd34", 5), ("intake:5:0f0f0f0f", None), (None, 5)], 1
            ):
                await tx.execute(
                    "INSERT INTO requests (id, number, source_key, resident_id, compound_id,"
                    " category_id, tier, status, description, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, 1, 'important', 'submitted', 'd', ?, ?)",
                    (n, f"DZ-2026-00000{n}", key, resident, unit, f"2026-11-0{n}", "T"),
                )
        monkeypatch.undo()
        await migrate(db)
        async with db.read() as tx:
            found = [tuple(r) for r in await tx.fetchall("SELECT * FROM finished_flows")]
    assert found == [(5, "intake", "ab12cd34", "request:1", "2026-11-01")]


async def test_the_outbox_rebuild_keeps_every_row_and_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0011 rebuilds the outbox (a new status); rows, edits' references and task cards keep
    pointing where they did, and a row re-queued after a crash counts as one doubtful try."""
    db = Database(tmp_path / "old.db")
    async with db:
        await migrate_before(db, 11, monkeypatch)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO outbox (id, chat_id, method, payload, status, recovered,"
                " created_at, updated_at) VALUES (1, 7, 'sendMessage', '{}', 'sent', 1, 'T', 'T')"
            )
            await tx.execute(
                "INSERT INTO outbox (id, chat_id, method, payload, ref_id, created_at,"
                " updated_at) VALUES (2, 7, 'editMessageText', '{}', 1, 'T', 'T')"
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
            assert await tx.fetchall("PRAGMA foreign_key_check") == []
            indexes = {
                r[0]
                for r in await tx.fetchall(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'"
                )
            }
            foreign_keys = await tx.fetchval("PRAGMA foreign_keys")
    assert rows == [(1, "sent", 1, None), (2, "pending", 0, 1)]
    assert {"outbox_open", "outbox_batch", "outbox_ref"} <= indexes
    assert foreign_keys == 1


async def test_a_migration_that_leaves_a_dangling_reference_is_rolled_back(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "x.db")
    async with db:
        await migrate(db)
        with pytest.raises(sqlite3.IntegrityError, match="dangling"):
            await db.migration_script(
                "INSERT INTO role_grants (person_id, role, unit_id, granted_at)"
                " VALUES (999, 'resident', 999, 'T');"
            )
        async with db.transaction() as tx:  # the writer: foreign keys on again
            assert await tx.fetchval("SELECT count(*) FROM role_grants") == 0
            assert await tx.fetchval("PRAGMA foreign_keys") == 1
