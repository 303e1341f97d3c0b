"""Storage: the only place with SQL. One aiosqlite connection, migrations, repositories."""

from storage.db import Database, Tx
from storage.timestamps import from_ts, ts

__all__ = ["Database", "Tx", "from_ts", "ts"]
