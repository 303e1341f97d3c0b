"""Numbered migrations, applied in order and recorded in ``schema_version``; one set for both
stores.

A migration is ``storage/migrations/NNNN_name.sql`` in portable DDL (see
:mod:`storage.dialect`: ``INTEGER PRIMARY KEY``, ``BOOLEAN``, ``TIMESTAMPTZ`` ... translated per
store), or, where the stores need different statements, the pair ``NNNN_name.sqlite.sql`` and
``NNNN_name.postgresql.sql``. Each migration and its ``schema_version`` row commit in one
transaction; two processes starting at once apply each migration once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database

__all__ = ["Migration", "applied_versions", "available_migrations", "migrate"]

LOG = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgresql))?\.sql$")
ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str  # as written (portable DDL, or this store's own)


def available_migrations(engine: str = "sqlite") -> list[Migration]:
    """The migrations shipped in ``storage/migrations`` for ``engine``, in version order."""
    common: dict[int, Migration] = {}
    own: dict[tuple[int, str], Migration] = {}
    names: dict[int, set[str]] = {}
    for entry in resources.files("storage.migrations").iterdir():
        match = _NAME.match(entry.name)
        if not match:
            continue
        version, name, only = int(match[1]), match[2], match[3]
        migration = Migration(version, name, entry.read_text(encoding="utf-8"))
        names.setdefault(version, set()).add(name)
        if only is None:
            if version in common:
                raise RuntimeError(f"duplicate migration number {version:04d}")
            common[version] = migration
        else:
            own[version, only] = migration
    found: list[Migration] = []
    for version in sorted(names):
        if len(names[version]) > 1:
            raise RuntimeError(f"migration {version:04d} has several names: {names[version]}")
        pair = [own.get((version, e)) for e in ENGINES]
        if version in common:
            if any(pair):
                raise RuntimeError(
                    f"migration {version:04d} is both portable and per store: keep one form"
                )
            found.append(common[version])
        elif all(pair):
            found.append(own[version, engine])
        else:
            raise RuntimeError(
                f"migration {version:04d} needs both .sqlite.sql and .postgresql.sql"
            )
    return found


_SCHEMA_VERSION = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
)


async def applied_versions(db: Database) -> set[int]:
    async with db.transaction(serialize="gridbot migrate") as tx:
        await tx.execute_script(db.dialect.ddl(_SCHEMA_VERSION))
        rows = await tx.fetchall("SELECT version FROM schema_version")
    return {int(r[0]) for r in rows}


async def migrate(db: Database) -> list[Migration]:
    """Apply every migration not yet applied; return the ones applied now. Safe to repeat,
    and safe to run from two processes at once."""
    done = await applied_versions(db)
    applied: list[Migration] = []
    for migration in available_migrations(db.engine):
        if migration.version in done:
            continue
        async with db.migration() as tx:
            if await tx.fetchval(
                "SELECT 1 FROM schema_version WHERE version = ?", (migration.version,)
            ):
                continue  # another process applied it meanwhile
            LOG.info("applying migration %04d_%s", migration.version, migration.name)
            await tx.execute_script(db.dialect.ddl(migration.sql))
            await tx.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC)),
            )
        applied.append(migration)
    return applied
