"""What /forget must leave behind: nothing of a person in any text column of the SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["forms_of", "traces_left"]


def forms_of(phone: str) -> list[str]:
    return [phone, phone.lstrip("+"), phone[3:]]  # +86…, 86…, bare


def traces_left(db_path: Path, needles: list[str]) -> list[tuple[str, str, str, str]]:
    """(table, column, needle, value) for every text value in the file that holds a needle."""
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
