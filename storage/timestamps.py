"""How times go into the stores and come back.

Repositories pass aware ``datetime`` objects as query parameters (through :func:`ts`, which
refuses naive ones and normalises to UTC) and read them back with :func:`from_ts` (or let a
pydantic model parse them). Each store keeps them its own way: PostgreSQL as ``timestamptz``,
SQLite as fixed-width UTC text (``2026-03-01T08:00:00.000000Z``), which sorts and compares as
the times do. The SQLite connection turns datetime parameters into that text itself, so the
same repository code serves both.

Its own module (not ``storage.db``) so the repositories need nothing from the connection
manager at import time.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["TS_FORMAT", "from_ts", "ts", "ts_text"]

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def ts(when: datetime) -> datetime:
    """An aware datetime as storage takes it: in UTC. Naive datetimes are refused."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to storage")
    return when.astimezone(UTC)


def ts_text(when: datetime) -> str:
    """The fixed-width UTC text SQLite stores for ``when``."""
    return ts(when).strftime(TS_FORMAT)


def from_ts(value: str | datetime) -> datetime:
    """A stored time (SQLite's text or PostgreSQL's timestamptz) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return ts(value)
    return datetime.strptime(value, TS_FORMAT).replace(tzinfo=UTC)
