"""The store each test runs on: an SQLite file under the test's ``tmp_path`` by default, or a
fresh PostgreSQL database per test when ``GRIDBOT_TEST_POSTGRES_URL`` names a server.

    GRIDBOT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres pytest

The URL is a maintenance database the tests may connect to with the right to create
databases. Each test gets its own database, cloned from a migrated template made once per run
(``CREATE DATABASE ... TEMPLATE``: about 40 ms), and dropped after the test.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

__all__ = [
    "ENV",
    "clone_store",
    "drop_run_databases",
    "drop_test_databases",
    "engine",
    "fresh_store",
    "is_untouched",
    "postgres_server",
    "snapshot_store",
]

ENV = "GRIDBOT_TEST_POSTGRES_URL"

_names = itertools.count(1)
_created: list[str] = []  # databases made for the running test, dropped after it
_lasting: list[str] = []  # databases made for a module's tests, dropped at the end of the run
_template: str | None = None


def postgres_server() -> str | None:
    """The PostgreSQL server the tests run on, or None for SQLite."""
    return os.environ.get(ENV) or None


def engine() -> str:
    return "postgresql" if postgres_server() else "sqlite"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin() -> asyncpg.Connection:
    server = postgres_server()
    assert server is not None
    return await asyncpg.connect(server)


async def _create(name: str, template: str) -> str:
    conn = await _admin()
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    server = postgres_server()
    assert server is not None
    return _with_database(server, name)


async def _migrated_template() -> str:
    """A database with every migration applied, made once per test run."""
    global _template
    if _template is None:
        from storage.db import open_database
        from storage.migrate import migrate

        name = f"gridbot_test_template_{os.getpid()}"
        conn = await _admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await conn.close()
        url = await _create(name, "template0")
        async with open_database(url) as db:
            await migrate(db)
        _template = name
    return _template


async def fresh_store(
    tmp_path: Path, name: str = "gridbot", *, migrated: bool = True, lasting: bool = False
) -> str:
    """A new store for one test: ``sqlite:`` a file under ``tmp_path``, or a new PostgreSQL
    database (migrated, unless ``migrated`` is False; SQLite files start empty and are
    migrated by whoever opens them, as in production). ``lasting`` ones (for a module-scoped
    fixture) stay until the end of the run."""
    if postgres_server() is None:
        return f"sqlite:{tmp_path / f'{name}.db'}"
    template = await _migrated_template() if migrated else "template0"
    database = f"gridbot_test_{os.getpid()}_{next(_names)}"
    (_lasting if lasting else _created).append(database)
    return await _create(database, template)


def _exists(path: str) -> bool:
    return Path(path).exists()


async def is_untouched(url: str) -> bool:
    """True when nothing created the store at ``url`` or anything in it."""
    if not url.startswith("postgresql://"):
        return not _exists(url.removeprefix("sqlite:"))
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        )
    finally:
        await conn.close()
    return int(tables) == 0


async def snapshot_store(url: str, tmp_path: Path, name: str) -> str:
    """A copy of what the (running) store at ``url`` has committed, as a process killed now
    would leave it: SQLite's backup of the file, a ``gridbot db copy`` on PostgreSQL."""
    if not url.startswith("postgresql://"):
        target = tmp_path / f"{name}.db"
        await asyncio.to_thread(_backup, url.removeprefix("sqlite:"), target)
        return f"sqlite:{target}"
    from storage.copy import copy_store
    from storage.db import open_database

    copy = await fresh_store(tmp_path, name)
    async with open_database(url) as source, open_database(copy) as target:
        await copy_store(source, target)
    return copy


def _backup(source: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


async def clone_store(url: str, tmp_path: Path, name: str) -> str:
    """A copy of the (closed) store at ``url``, for tests that start from the same data."""
    if not url.startswith("postgresql://"):
        target = tmp_path / f"{name}.db"
        shutil.copyfile(url.removeprefix("sqlite:"), target)
        return f"sqlite:{target}"
    database = f"gridbot_test_{os.getpid()}_{next(_names)}"
    _created.append(database)
    return await _create(database, urlsplit(url).path.lstrip("/"))


async def drop_test_databases() -> None:
    """Drop the databases made for the test that just ended."""
    if not _created or postgres_server() is None:
        return
    conn = await _admin()
    try:
        while _created:
            name = _created.pop()
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def drop_run_databases() -> None:
    """At the end of the run: the template and the module-scoped databases."""
    global _template
    if postgres_server() is None:
        return
    names = [*_lasting, *([_template] if _template else [])]
    conn = await _admin()
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    _lasting.clear()
    _template = None
