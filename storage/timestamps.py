"""How times are stored: fixed-width UTC text, so they sort and compare as strings.

Its own module (not ``storage.db``) so the repositories need nothing from the connection
manager at import time, and ``storage.db`` imports the repositories without a circle.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["from_ts", "ts"]

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def ts(when: datetime) -> str:
    """Format an aware datetime as the fixed-width UTC text stored in the database."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to storage")
    return when.astimezone(UTC).strftime(_TS_FORMAT)


def from_ts(text: str) -> datetime:
    """Parse a stored timestamp back into an aware UTC datetime."""
    return datetime.strptime(text, _TS_FORMAT).replace(tzinfo=UTC)
