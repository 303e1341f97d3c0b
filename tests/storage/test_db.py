"""The connection manager: a writer for transactions, a query-only reader for reads."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest

from storage.db import Database, open_database

# What each store raises for a write on a read connection.
READ_ONLY = (sqlite3.OperationalError, asyncpg.ReadOnlySQLTransactionError)

COUNT = "SELECT count(*) FROM service_teams WHERE code = 'zz'"
INSERT = (
    "INSERT INTO service_teams (code, name, project, created_at, updated_at)"
    " VALUES ('zz', 'Z', 'P', '2026-11-26T00:00:00.000000Z', '2026-11-26T00:00:00.000000Z')"
)


async def test_reads_go_on_while_a_write_transaction_is_open(db: Database) -> None:
    inside = asyncio.Event()
    finish = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as tx:
            await tx.execute(INSERT)
            inside.set()
            await finish.wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    # Not queued behind the open transaction, and not seeing what it has not committed.
    async with asyncio.timeout(2):
        async with db.read() as tx:
            assert await tx.fetchval(COUNT) == 0
        async with db.statement() as tx:
            assert await tx.fetchval(COUNT) == 0
    finish.set()
    await task
    async with db.read() as tx:  # committed: the reader sees it at once
        assert await tx.fetchval(COUNT) == 1


async def test_the_reader_cannot_write(db: Database) -> None:
    with pytest.raises(READ_ONLY, match=r"read-?only"):
        async with db.read() as tx:
            await tx.execute(INSERT)
    async with db.read() as tx:
        assert await tx.fetchval(COUNT) == 0


@pytest.mark.sqlite_only(reason="PRAGMA foreign_keys is SQLite's switch; PostgreSQL always checks")
async def test_the_reader_checks_foreign_keys(db: Database) -> None:
    async with db.read() as tx:
        assert await tx.fetchval("PRAGMA foreign_keys") == 1


async def test_a_read_only_database_refuses_transactions(db: Database) -> None:
    async with open_database(db.url, read_only=True) as replica:
        with pytest.raises(RuntimeError, match="read-only"):
            async with replica.transaction():
                pass
        with pytest.raises(READ_ONLY, match=r"read-?only"):
            async with replica.statement() as tx:
                await tx.execute(INSERT)
        async with replica.read() as tx:
            assert await tx.fetchval(COUNT) == 0


async def test_a_read_inside_a_write_transaction_of_the_same_task_is_refused(
    db: Database,
) -> None:
    # It would not see the transaction's own changes; better loud than subtly wrong.
    async with db.transaction() as tx:
        await tx.execute(INSERT)
        with pytest.raises(RuntimeError, match="nested"):
            async with db.read():
                pass
        with pytest.raises(RuntimeError, match="nested"):
            async with db.transaction():
                pass
    async with db.read() as tx:
        assert await tx.fetchval(COUNT) == 1


async def test_close_closes_both_connections(store_url: str) -> None:
    database = open_database(store_url)
    await database.connect()
    await database.close()
    with pytest.raises(RuntimeError, match="not connected"):
        async with database.read():
            pass
    with pytest.raises(RuntimeError, match="not connected"):
        async with database.transaction():
            pass
