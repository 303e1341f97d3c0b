"""``gridbot db copy``: every row of one store into another (SQLite to PostgreSQL, or back),
verified by counting the rows of each table on both sides.

Both stores are migrated first, so they have the same tables. The target must hold no data
of its own (only what migrations put there, such as the default categories, which the copy
replaces). Tables are copied parents first (by their foreign keys), rows by key order, all in
one transaction of the target: a failed copy leaves it as it was. Times and booleans are
converted on the way (text and 0/1 in SQLite, timestamptz and boolean in PostgreSQL); the
target's id sequences continue after the copied ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

from storage.db import Database
from storage.migrate import migrate
from storage.timestamps import from_ts

__all__ = ["CopyError", "TableCount", "copy_store"]

LOG = logging.getLogger(__name__)

CHUNK = 5000
# Filled by migrations themselves: replaced by the source's rows.
SEEDED = frozenset({"categories"})
NOT_COPIED = frozenset({"schema_version"})


class CopyError(Exception):
    """Why the copy did not happen (or did not verify), in one line."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def equal(self) -> bool:
        return self.source == self.target


def _converter(kind: str) -> Any:
    if kind == "timestamp":
        return lambda v: None if v is None else from_ts(v)
    if kind == "boolean":
        return lambda v: None if v is None else bool(v)
    return None


async def copy_store(source: Database, target: Database) -> list[TableCount]:
    """Copy ``source`` into ``target`` (both connected); return the verified counts."""
    await migrate(source)
    await migrate(target)
    async with source.read() as tx:
        tables = [t for t in await tx.tables() if t not in NOT_COPIED]
        order = list(TopologicalSorter(await tx.foreign_keys()).static_order())
    tables = [t for t in order if t in tables] + [t for t in tables if t not in order]
    async with target.read() as tx:
        missing = sorted(set(tables) - set(await tx.tables()))
        if missing:
            raise CopyError(f"the target has no table {', '.join(missing)}")
        filled = [
            t for t in tables if t not in SEEDED and await tx.fetchval(f"SELECT count(*) FROM {t}")
        ]
    if filled:
        raise CopyError(
            f"the target already holds data ({', '.join(filled[:5])}): copy into an empty store"
        )
    async with target.transaction() as out:
        for table in reversed(tables):  # children first: nothing references what goes
            if table in SEEDED:
                await out.execute(f"DELETE FROM {table}")
        for table in tables:
            copied = await _copy_table(source, out, table)
            LOG.info("copied %d rows of %s", copied, table)
        for table in tables:
            await out.continue_ids(table)
    counts: list[TableCount] = []
    async with source.read() as before, target.read() as after:
        for table in tables:
            sql = f"SELECT count(*) FROM {table}"
            counts.append(
                TableCount(table, int(await before.fetchval(sql)), int(await after.fetchval(sql)))
            )
    return counts


async def _copy_table(source: Database, out: Any, table: str) -> int:
    async with source.read() as tx:
        key = await tx.primary_key(table)
        rows = await tx.fetchall(f"SELECT * FROM {table} ORDER BY {', '.join(key)}")
    if not rows:
        return 0
    columns = list(rows[0].keys())
    kinds = await out.column_kinds(table)
    converters = [_converter(kinds.get(c, "")) for c in columns]
    values = [
        [v if f is None else f(v) for f, v in zip(converters, row, strict=True)] for row in rows
    ]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for start in range(0, len(values), CHUNK):
        await out.executemany(sql, values[start : start + CHUNK])
    return len(values)
