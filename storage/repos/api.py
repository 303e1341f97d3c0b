"""The Open311 API: client systems' keys, the requests they submitted, and the public reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import ApiKey, Request, RequestEvent
from storage.repos.requests import REQUEST_COLUMNS, request_from_row
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["ApiRepo", "Submission"]

_KEY_COLS = "id, name, prefix, created_at, revoked_at, last_used_at"


class Submission:
    """What the API keeps about a request a client system submitted."""

    def __init__(self, key_name: str, token: str, account_id: str | None) -> None:
        self.key_name = key_name
        self.token = token
        self.account_id = account_id


class ApiRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- keys ------------------------------------------------------------------------------
    async def create_key(
        self, *, name: str, key_hash: str, prefix: str, unit_ids: list[int], now: datetime
    ) -> int:
        key_id = await self.tx.insert(
            "INSERT INTO api_keys (name, key_hash, prefix, created_at, created_by)"
            " VALUES (?, ?, ?, ?, 'cli')",
            (name, key_hash, prefix, ts(now)),
        )
        await self.tx.executemany(
            "INSERT INTO api_key_units (key_id, unit_id) VALUES (?, ?)",
            [(key_id, unit_id) for unit_id in unit_ids],
        )
        return key_id

    async def _key(self, row: Any) -> ApiKey:
        units = await self.tx.fetchall(
            "SELECT unit_id FROM api_key_units WHERE key_id = ? ORDER BY unit_id", (row["id"],)
        )
        return ApiKey.model_validate({**dict(row), "unit_ids": [int(u[0]) for u in units]})

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = await self.tx.fetchone(
            f"SELECT {_KEY_COLS} FROM api_keys WHERE key_hash = ?", (key_hash,)
        )
        return None if row is None else await self._key(row)

    async def key_by_prefix(self, prefix: str) -> list[ApiKey]:
        rows = await self.tx.fetchall(
            f"SELECT {_KEY_COLS} FROM api_keys WHERE prefix = ? ORDER BY id", (prefix,)
        )
        return [await self._key(r) for r in rows]

    async def keys(self) -> list[ApiKey]:
        rows = await self.tx.fetchall(f"SELECT {_KEY_COLS} FROM api_keys ORDER BY id")
        return [await self._key(r) for r in rows]

    async def revoke_key(self, key_id: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (ts(now), key_id),
        )
        return changed == 1

    async def touch_key(self, key_id: int, now: datetime) -> None:
        await self.tx.execute(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (ts(now), key_id)
        )

    # -- submissions -----------------------------------------------------------------------
    async def add_submission(
        self, request_id: int, key_id: int, token: str, account_id: str | None, now: datetime
    ) -> None:
        await self.tx.execute(
            "INSERT INTO api_requests (request_id, key_id, token, account_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (request_id, key_id, token, account_id, ts(now)),
        )

    async def submission(self, request_id: int) -> Submission | None:
        row = await self.tx.fetchone(
            "SELECT k.name, a.token, a.account_id FROM api_requests a"
            " JOIN api_keys k ON k.id = a.key_id WHERE a.request_id = ?",
            (request_id,),
        )
        return None if row is None else Submission(row[0], row[1], row[2])

    async def by_token(self, token: str) -> str | None:
        """The number of the request a token was issued for."""
        value = await self.tx.fetchval(
            "SELECT r.number FROM api_requests a JOIN requests r ON r.id = a.request_id"
            " WHERE a.token = ?",
            (token,),
        )
        return None if value is None else str(value)

    # -- public reads ----------------------------------------------------------------------
    async def requests(
        self,
        *,
        numbers: list[str] | None,
        category_ids: list[int] | None,
        start: datetime | None,
        end: datetime | None,
        statuses: list[str] | None,
        limit: int,
    ) -> list[Request]:
        """Requests for GET requests: by number (overriding the rest), or by category, filing
        time [start, end] and status; newest first, at most ``limit``."""
        where: list[str] = []
        params: list[Any] = []
        if numbers is not None:
            where.append(f"number IN ({','.join('?' * len(numbers))})")
            params += numbers
        else:
            if category_ids is not None:
                where.append(f"category_id IN ({','.join('?' * len(category_ids))})")
                params += category_ids
            if start is not None:
                where.append("created_at >= ?")
                params.append(ts(start))
            if end is not None:
                where.append("created_at <= ?")
                params.append(ts(end))
            if statuses is not None:
                where.append(f"status IN ({','.join('?' * len(statuses))})")
                params += statuses
        sql = f"SELECT {REQUEST_COLUMNS} FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = await self.tx.fetchall(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [request_from_row(r) for r in rows]

    async def events_of(self, request_ids: list[int], kinds: frozenset[str]) -> list[RequestEvent]:
        """The events of these kinds of several requests, in order."""
        if not request_ids:
            return []
        marks = ",".join("?" * len(request_ids))
        kind_marks = ",".join("?" * len(kinds))
        rows = await self.tx.fetchall(
            "SELECT id, request_id, at, actor_id, actor_label, kind, from_status, to_status,"
            f" note FROM request_events WHERE request_id IN ({marks})"
            f" AND kind IN ({kind_marks}) ORDER BY request_id, id",
            [*request_ids, *sorted(kinds)],
        )
        return [RequestEvent.model_validate(dict(r)) for r in rows]
