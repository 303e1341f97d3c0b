"""Looking for a person's traces in every column of the store (/forget tests): every text
column of an SQLite file, every column of a PostgreSQL database (as text)."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg

__all__ = ["forms_of", "traces_left"]


def forms_of(phone: str) -> list[str]:
    return [phone, phone.lstrip("+"), phone[3:]]  # +86…, 86…, bare


async def traces_left(url: str, needles: list[str]) -> list[tuple[str, str, str, str]]:
    """(table, column, needle, value) for every value in the store that holds a needle."""
    if not url.startswith("postgresql://"):
        return await asyncio.to_thread(_sqlite_traces, url.removeprefix("sqlite:"), needles)
    conn = await asyncpg.connect(url)
    try:
        found = []
        columns = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
        for table, name in columns:
            for (value,) in await conn.fetch(f'SELECT "{name}"::text FROM "{table}"'):
                text = value or ""
                found += [(table, name, n, text[:120]) for n in needles if n in text]
        return found
    finally:
        await conn.close()


def _sqlite_traces(db_path: str, needles: list[str]) -> list[tuple[str, str, str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        found = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for column in conn.execute(f'PRAGMA table_info("{table}")'):
                name, declared = column[1], str(column[2]).upper()
                if declared not in ("", "TEXT"):
                    continue
                for (value,) in conn.execute(f'SELECT "{name}" FROM "{table}"'):
                    text = str(value) if value is not None else ""
                    found += [(table, name, n, text[:120]) for n in needles if n in text]
        return found
    finally:
        conn.close()
