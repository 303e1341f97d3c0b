"""Shared fixtures: a fresh database and a running Application per test."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# python-telegram-bot: use timedelta durations (its deprecation warnings are errors here).
os.environ.setdefault("PTB_TIMEDELTA", "true")
sys.path.insert(0, str(Path(__file__).parent))

from auxil import stores
from auxil.harness import Harness

from storage.db import Database, open_database
from storage.migrate import migrate

STORE_MARKERS = {"sqlite_only": "sqlite", "postgres_only": "postgresql"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test makes sense on the SQLite store only"
    )
    config.addinivalue_line(
        "markers", "postgres_only(reason): the test makes sense on PostgreSQL only"
    )


def pytest_report_header(config: pytest.Config) -> str:
    server = stores.postgres_server()
    if server is None:
        return f"store: SQLite (set {stores.ENV} to run on PostgreSQL)"
    from storage.db import StoreUrl

    return f"store: PostgreSQL at {StoreUrl(server).redacted()}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip store-specific tests on the other store; such a marker must say why."""
    running = stores.engine()
    for item in items:
        for name, store in STORE_MARKERS.items():
            marker = item.get_closest_marker(name)
            if marker is None:
                continue
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else None)
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: @{name} needs a reason")
            if store != running:
                item.add_marker(pytest.mark.skip(reason=f"{store} only: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def _drop_run_databases() -> Iterator[None]:
    """PostgreSQL: drop the template and the module-scoped databases at the end."""
    yield
    asyncio.run(stores.drop_run_databases())


@pytest.fixture(autouse=True)
async def _drop_test_databases() -> AsyncIterator[None]:
    """PostgreSQL: drop the databases a test made, once it is over."""
    yield
    await stores.drop_test_databases()


@pytest.fixture
async def store_url(tmp_path: Path) -> str:
    """The URL of a fresh, migrated store (SQLite file or PostgreSQL database)."""
    return await stores.fresh_store(tmp_path, "test")


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    """A fresh, migrated database."""
    database = open_database(store_url)
    async with database:
        await migrate(database)
        yield database


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """The Application running against the emulator, with an empty org."""
    h = Harness(tmp_path)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def org(harness: Harness) -> Harness:
    """The harness with the demo org (examples/duanzhou.toml) imported."""
    await harness.import_org()
    return harness
