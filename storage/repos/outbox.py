"""The outbox: messages the bot sends on its own initiative, queued with their cause."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import OutboxCounts, OutboxRow
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["OutboxRepo", "QueuedRef"]

_COLS = (
    "id, chat_id, method, payload, status, attempts, uncertain, dedup_key, ref_id, batch,"
    " message_id, error, created_at, sent_at"
)


@dataclass(frozen=True)
class QueuedRef:
    id: int
    chat_id: int


def _row(r: Any) -> OutboxRow:
    data = dict(r)
    data["payload"] = json.loads(data["payload"])
    return OutboxRow.model_validate(data)


class OutboxRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def enqueue(
        self,
        *,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        now: datetime,
        dedup_key: str | None = None,
        ref_id: int | None = None,
        batch: str | None = None,
    ) -> int | None:
        """Queue one API call; return its id, or None when ``dedup_key`` was queued before."""
        if dedup_key is not None:
            existing = await self.tx.fetchval(
                "SELECT id FROM outbox WHERE dedup_key = ?", (dedup_key,)
            )
            if existing is not None:
                return None
        return await self.tx.insert(
            "INSERT INTO outbox (chat_id, method, payload, dedup_key, ref_id, batch, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                chat_id,
                method,
                json.dumps(payload, ensure_ascii=False),
                dedup_key,
                ref_id,
                batch,
                ts(now),
                ts(now),
            ),
        )

    async def queued_after(self, after_id: int, limit: int = 5000) -> list[QueuedRef]:
        """Pending rows with an id above ``after_id``, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT id, chat_id FROM outbox WHERE status = 'pending' AND id > ?"
            " ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [QueuedRef(int(r[0]), int(r[1])) for r in rows]

    async def claim(self, row_id: int, now: datetime) -> OutboxRow | None:
        """Move a pending row to in flight; None when it is no longer pending, or (on
        PostgreSQL) while another transaction is claiming it (SKIP LOCKED: no waiting)."""
        row = await self.tx.fetchone(
            "UPDATE outbox SET status = 'inflight', attempts = attempts + 1, updated_at = ?"
            " WHERE id = (SELECT id FROM outbox WHERE id = ? AND status = 'pending'"
            f" FOR UPDATE SKIP LOCKED) RETURNING {_COLS}",
            (ts(now), row_id),
        )
        return None if row is None else _row(row)

    async def get(self, row_id: int) -> OutboxRow | None:
        row = await self.tx.fetchone(f"SELECT {_COLS} FROM outbox WHERE id = ?", (row_id,))
        return None if row is None else _row(row)

    async def mark_sent(self, row_id: int, message_id: int | None, now: datetime) -> None:
        await self.tx.execute(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, updated_at = ?,"
            " error = NULL WHERE id = ?",
            (message_id, ts(now), ts(now), row_id),
        )

    async def mark_pending(self, row_id: int, error: str | None, now: datetime) -> None:
        """Put an in-flight row back in the queue (RetryAfter, network trouble)."""
        await self.tx.execute(
            "UPDATE outbox SET status = 'pending', error = ?, updated_at = ? WHERE id = ?",
            (error, ts(now), row_id),
        )

    async def mark_uncertain(self, row_id: int, error: str, now: datetime) -> None:
        """The call's outcome is unknown (a timeout): queue it again, counting the doubt."""
        await self.tx.execute(
            "UPDATE outbox SET status = 'pending', uncertain = uncertain + 1, error = ?,"
            " updated_at = ? WHERE id = ?",
            (error, ts(now), row_id),
        )

    async def mark_final(self, row_id: int, status: str, error: str | None, now: datetime) -> None:
        if status not in ("failed", "undeliverable", "cancelled", "unknown"):
            raise ValueError(status)
        await self.tx.execute(
            "UPDATE outbox SET status = ?, error = ?, updated_at = ? WHERE id = ?",
            (status, error, ts(now), row_id),
        )

    async def recover_inflight(self, now: datetime, retries: int) -> tuple[int, int]:
        """After a crash: a row that was in flight may or may not have arrived. Re-queue it
        while its doubtful attempts are fewer than ``retries``; mark it unknown after that.

        Returns (requeued, unknown).
        """
        unknown = await self.tx.execute(
            "UPDATE outbox SET status = 'unknown', uncertain = uncertain + 1,"
            " error = 'interrupted while in flight', updated_at = ?"
            " WHERE status = 'inflight' AND uncertain >= ?",
            (ts(now), retries),
        )
        requeued = await self.tx.execute(
            "UPDATE outbox SET status = 'pending', uncertain = uncertain + 1,"
            " error = 'interrupted while in flight', updated_at = ? WHERE status = 'inflight'",
            (ts(now),),
        )
        return requeued, unknown

    async def cancel_batch(self, batch: str, now: datetime) -> int:
        return await self.tx.execute(
            "UPDATE outbox SET status = 'cancelled', updated_at = ?"
            " WHERE batch = ? AND status = 'pending'",
            (ts(now), batch),
        )

    async def forget_chat(self, chat_id: int, now: datetime) -> int:
        """A person asked to be forgotten: what is still queued for their chat is cancelled,
        and no row keeps what was said to them, nor their chat id (the rows stay, so counts
        add up)."""
        return await self.tx.execute(
            "UPDATE outbox SET payload = '{}', chat_id = 0, updated_at = ?,"
            " status = CASE status WHEN 'pending' THEN 'cancelled' ELSE status END"
            " WHERE chat_id = ? AND status != 'inflight'",
            (ts(now), chat_id),
        )

    async def blank_before(self, before: datetime, limit: int) -> int:
        """Retention: the payloads of up to ``limit`` rows settled before ``before`` are
        blanked (the outbox is not an archive of everything said); the rows stay."""
        return await self.tx.execute(
            "UPDATE outbox SET payload = '{}' WHERE id IN (SELECT id FROM outbox"
            " WHERE payload != '{}' AND status IN"
            " ('sent', 'failed', 'undeliverable', 'cancelled', 'unknown')"
            " AND updated_at < ? LIMIT ?)",
            (ts(before), limit),
        )

    async def counts(self, batch: str | None = None) -> OutboxCounts:
        sql = "SELECT status, count(*) FROM outbox"
        params: list[object] = []
        if batch is not None:
            sql += " WHERE batch = ?"
            params.append(batch)
        rows = await self.tx.fetchall(sql + " GROUP BY status", params)
        by = {r[0]: int(r[1]) for r in rows}
        oldest_sql = "SELECT min(created_at) FROM outbox WHERE status IN ('pending', 'inflight')"
        if batch is not None:
            oldest_sql += " AND batch = ?"
        oldest = await self.tx.fetchval(oldest_sql, params)
        return OutboxCounts(
            pending=by.get("pending", 0),
            inflight=by.get("inflight", 0),
            sent=by.get("sent", 0),
            failed=by.get("failed", 0),
            undeliverable=by.get("undeliverable", 0),
            cancelled=by.get("cancelled", 0),
            unknown=by.get("unknown", 0),
            oldest_pending=None if oldest is None else from_ts(oldest),
        )

    async def errors(self, batch: str, limit: int = 10) -> list[tuple[str, int]]:
        rows = await self.tx.fetchall(
            "SELECT error, count(*) FROM outbox WHERE batch = ? AND status IN"
            " ('failed', 'undeliverable') GROUP BY error ORDER BY count(*) DESC LIMIT ?",
            (batch, limit),
        )
        return [(str(r[0]), int(r[1])) for r in rows]
