"""`gridbot db copy`: the sandbox's demo data (SQLite) into another store and back, every
table's row count equal, the rows themselves the same, and the copy usable afterwards."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from auxil import stores

from bot.__main__ import run
from bot.app import services_of
from bot.bench.runner import Load, Waiters, _resident_intake
from bot.sandbox import Sandbox
from storage.db import open_database
from storage.timestamps import ts_text

RESIDENT = 1001  # examples/sandbox_people.toml: the resident of 星荷豪苑


async def demo_database(folder: Path) -> str:
    """A sandbox run: the demo org and people, and a request filed through the bot."""
    sandbox = Sandbox(port=0, data_dir=folder)
    await sandbox.start()
    try:
        assert sandbox.app is not None
        async with services_of(sandbox.app).db.read() as tx:
            other = next(c.id for c in await tx.requests.categories() if c.code == "other")
        waiters = Waiters(sandbox.emulator)
        await _resident_intake(sandbox.emulator, waiters, [], RESIDENT, other, Load())
    finally:
        await sandbox.stop()
    return f"sqlite:{folder / 'sandbox.db'}"


async def rows(url: str, table: str) -> list[tuple[Any, ...]]:
    async with open_database(url) as db, db.read() as tx:
        key = await tx.primary_key(table)
        found = await tx.fetchall(f"SELECT * FROM {table} ORDER BY {', '.join(key)}")
    # The same values whichever store they came from: times as text, booleans as 0/1.
    return [
        tuple(
            ts_text(v) if isinstance(v, datetime) else (int(v) if isinstance(v, bool) else v)
            for v in row
        )
        for row in found
    ]


async def test_copy_round_trips_the_sandbox_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = await demo_database(tmp_path / "sandbox")
    target = await stores.fresh_store(tmp_path, "copy", migrated=False)
    back = f"sqlite:{tmp_path / 'back.db'}"

    assert await asyncio.to_thread(run, ["db", "copy", "--from", demo, "--to", target]) == 0
    out = capsys.readouterr().out
    assert "every count equal" in out and "DIFFERENT" not in out
    for table in (
        "people",
        "requests",
        "org_units",
        "outbox",
        "members",
        "role_grants",
        "audit_log",
    ):
        line = next(x for x in out.splitlines() if x.split()[:1] == [table])
        source, copied = (int(n) for n in line.split()[1:3])
        assert source == copied > 0, line

    # ... and back again: the very same rows.
    assert await asyncio.to_thread(run, ["db", "copy", "--from", target, "--to", back]) == 0
    assert "every count equal" in capsys.readouterr().out
    for table in ("requests", "people", "request_events", "outbox", "categories"):
        assert await rows(back, table) == await rows(demo, table), table

    # The copy is a working store: new rows get new ids after the copied ones.
    async with open_database(target) as db, db.transaction() as tx:
        before = int(await tx.fetchval("SELECT max(id) FROM audit_log"))
        added = await tx.audit.record(
            actor_id=None,
            actor_label="cli",
            action="test",
            subject="x",
            now=datetime.now().astimezone(),
        )
    assert added > before

    # Into a store that holds data already: refused, nothing changed.
    assert await asyncio.to_thread(run, ["db", "copy", "--from", demo, "--to", target]) == 2
    assert "already holds data" in capsys.readouterr().err
