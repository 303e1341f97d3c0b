"""Migrations: applied in order, recorded, and safe to run twice."""

from __future__ import annotations

from pathlib import Path

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
