"""Storage: the only place with SQL. SQLite or PostgreSQL behind one interface, migrations,
repositories."""

from storage.db import Database, Tx, open_database
from storage.timestamps import from_ts, ts

__all__ = ["Database", "Tx", "from_ts", "open_database", "ts"]
