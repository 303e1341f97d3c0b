"""Numbered SQL migrations, applied in order and recorded in ``schema_version``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database

__all__ = ["Migration", "applied_versions", "available_migrations", "migrate"]

LOG = logging.getLogger(__name__)

# ``NNNN_name.sql`` (portable DDL), or a pair ``NNNN_name.sqlite.sql`` +
# ``NNNN_name.postgresql.sql`` where one file cannot serve both stores (rebuilding an SQLite
# table to change a constraint). This store is SQLite: its half of a pair is applied.
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgresql))?\.sql$")
ENGINE = "sqlite"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """The migrations shipped in ``storage/migrations``, in version order."""
    found: list[Migration] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match and match[3] in (None, ENGINE):
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers: {versions}")
    return found


async def applied_versions(db: Database) -> set[int]:
    await db.executescript(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with db.read() as tx:
        rows = await tx.fetchall("SELECT version FROM schema_version")
    return {int(r[0]) for r in rows}


async def migrate(db: Database) -> list[Migration]:
    """Apply every migration not yet applied; return the ones applied now. Safe to repeat."""
    done = await applied_versions(db)
    applied: list[Migration] = []
    for migration in available_migrations():
        if migration.version in done:
            continue
        LOG.info("applying migration %04d_%s", migration.version, migration.name)
        # One script, one transaction: the schema change and its record land together.
        await db.migration_script(
            f"{migration.sql}\n"
            "INSERT INTO schema_version (version, name, applied_at) VALUES "
            f"({migration.version}, '{migration.name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));"
        )
        applied.append(migration)
    return applied
