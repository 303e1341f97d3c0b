"""Shared fixtures: a fresh database and a running Application per test."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# python-telegram-bot: use timedelta durations (its deprecation warnings are errors here).
os.environ.setdefault("PTB_TIMEDELTA", "true")
sys.path.insert(0, str(Path(__file__).parent))

from auxil.harness import Harness

from storage.db import Database
from storage.migrate import migrate


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated database."""
    database = Database(tmp_path / "test.db")
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
