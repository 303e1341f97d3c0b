"""积分: the ledger and balances, the items of the stations' shops (积分超市), redemptions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models.points import LedgerEntry, PointsKind, Redemption, RedemptionState, ShopItem
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["PointsRepo"]

_LEDGER_COLS = "id, person_id, delta, balance, kind, ref, note, actor_label, created_at"
_ITEM_COLS = "id, code, station_id, name, name_en, price, stock, sort, active"
_REDEMPTION_COLS = (
    "id, person_id, item_id, station_id, price, code, state, expires_at, decided_by,"
    " decided_at, created_at"
)


def _redemption(row: Any) -> Redemption:
    return Redemption.model_validate(dict(row))


class PointsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- balance and ledger --------------------------------------------------------------
    async def balance(self, person_id: int) -> int:
        value = await self.tx.fetchval(
            "SELECT balance FROM points_balances WHERE person_id = ?", (person_id,)
        )
        return int(value or 0)

    async def already(self, person_id: int, kind: PointsKind, ref: str) -> bool:
        """Has this earning or spending been entered already?"""
        found = await self.tx.fetchval(
            "SELECT 1 FROM points_ledger WHERE person_id = ? AND kind = ? AND ref = ?",
            (person_id, kind.value, ref),
        )
        return found is not None

    async def move(self, person_id: int, delta: int, now: datetime) -> int | None:
        """Change the balance by ``delta`` unless that would leave it negative: one
        conditional update (a concurrent spend waits for the row and is checked against the
        balance it leaves). Returns the new balance, or None when it would go negative."""
        await self.tx.execute(
            "INSERT INTO points_balances (person_id, balance, updated_at) VALUES (?, 0, ?)"
            " ON CONFLICT (person_id) DO NOTHING",
            (person_id, ts(now)),
        )
        value = await self.tx.fetchval(
            "UPDATE points_balances SET balance = balance + ?, updated_at = ?"
            " WHERE person_id = ? AND balance + ? >= 0 RETURNING balance",
            (delta, ts(now), person_id, delta),
        )
        return None if value is None else int(value)

    async def enter(
        self,
        *,
        person_id: int,
        delta: int,
        balance: int,
        kind: PointsKind,
        ref: str | None,
        note: str | None,
        actor_id: int | None,
        actor_label: str,
        now: datetime,
    ) -> LedgerEntry:
        entry_id = await self.tx.insert(
            "INSERT INTO points_ledger (person_id, delta, balance, kind, ref, note, actor_id,"
            " actor_label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (person_id, delta, balance, kind.value, ref, note, actor_id, actor_label, ts(now)),
        )
        row = await self.tx.fetchone(
            f"SELECT {_LEDGER_COLS} FROM points_ledger WHERE id = ?", (entry_id,)
        )
        assert row is not None
        return LedgerEntry.model_validate(dict(row))

    async def entries(self, person_id: int, limit: int = 10) -> list[LedgerEntry]:
        rows = await self.tx.fetchall(
            f"SELECT {_LEDGER_COLS} FROM points_ledger WHERE person_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (person_id, limit),
        )
        return [LedgerEntry.model_validate(dict(r)) for r in rows]

    # -- the shop ------------------------------------------------------------------------
    async def upsert_item(
        self,
        *,
        code: str,
        station_id: int,
        name: str,
        name_en: str | None,
        price: int,
        stock: int | None,
        sort: int,
        active: bool,
        now: datetime,
    ) -> bool:
        """Insert or update an item; return whether it is new."""
        existed = await self.tx.fetchval("SELECT 1 FROM shop_items WHERE code = ?", (code,))
        await self.tx.execute(
            "INSERT INTO shop_items (code, station_id, name, name_en, price, stock, sort, active,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET station_id = excluded.station_id,"
            " name = excluded.name, name_en = excluded.name_en, price = excluded.price,"
            " stock = excluded.stock, sort = excluded.sort, active = excluded.active,"
            " updated_at = excluded.updated_at",
            (code, station_id, name, name_en, price, stock, sort, active, ts(now), ts(now)),
        )
        return existed is None

    async def items(self, station_id: int | None = None) -> list[ShopItem]:
        """The active items (of one station), in their order."""
        sql = f"SELECT {_ITEM_COLS} FROM shop_items WHERE active"
        params: list[object] = []
        if station_id is not None:
            sql += " AND station_id = ?"
            params.append(station_id)
        rows = await self.tx.fetchall(sql + " ORDER BY station_id, sort, id", params)
        return [ShopItem.model_validate(dict(r)) for r in rows]

    async def item(self, item_id: int) -> ShopItem | None:
        row = await self.tx.fetchone(
            f"SELECT {_ITEM_COLS} FROM shop_items WHERE id = ?", (item_id,)
        )
        return None if row is None else ShopItem.model_validate(dict(row))

    async def take_stock(self, item_id: int) -> bool:
        """One fewer in stock; False when none is left (an item without a limit always
        has one)."""
        changed = await self.tx.execute(
            "UPDATE shop_items SET stock = stock - 1 WHERE id = ? AND stock IS NOT NULL"
            " AND stock > 0",
            (item_id,),
        )
        if changed:
            return True
        unlimited = await self.tx.fetchval(
            "SELECT 1 FROM shop_items WHERE id = ? AND stock IS NULL", (item_id,)
        )
        return unlimited is not None

    # -- redemptions ---------------------------------------------------------------------
    async def add_redemption(
        self,
        *,
        person_id: int,
        item: ShopItem,
        code: str,
        expires_at: datetime,
        now: datetime,
    ) -> Redemption | None:
        """A pending redemption with ``code``; None when that code is pending already."""
        row = await self.tx.fetchone(
            "INSERT INTO redemptions (person_id, item_id, station_id, price, code, expires_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code)"
            " WHERE state = 'pending' DO NOTHING RETURNING id",
            (person_id, item.id, item.station_id, item.price, code, ts(expires_at), ts(now)),
        )
        return None if row is None else await self.redemption(int(row[0]))

    async def redemption(self, redemption_id: int) -> Redemption | None:
        row = await self.tx.fetchone(
            f"SELECT {_REDEMPTION_COLS} FROM redemptions WHERE id = ?", (redemption_id,)
        )
        return None if row is None else _redemption(row)

    async def pending_by_code(self, code: str) -> Redemption | None:
        row = await self.tx.fetchone(
            f"SELECT {_REDEMPTION_COLS} FROM redemptions WHERE code = ? AND state = 'pending'",
            (code,),
        )
        return None if row is None else _redemption(row)

    async def pending_of(self, person_id: int) -> list[Redemption]:
        rows = await self.tx.fetchall(
            f"SELECT {_REDEMPTION_COLS} FROM redemptions WHERE person_id = ?"
            " AND state = 'pending' ORDER BY id",
            (person_id,),
        )
        return [_redemption(r) for r in rows]

    async def decide(
        self,
        redemption_id: int,
        target: RedemptionState,
        by: int | None,
        now: datetime,
    ) -> bool:
        """Settle a pending redemption; False when it was settled already."""
        changed = await self.tx.execute(
            "UPDATE redemptions SET state = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND state = 'pending'",
            (target.value, by, ts(now), redemption_id),
        )
        return changed == 1

    async def expire(self, now: datetime) -> int:
        """Pending codes past their time expire (their code may be given out again)."""
        return await self.tx.execute(
            "UPDATE redemptions SET state = 'expired', decided_at = ?"
            " WHERE state = 'pending' AND expires_at <= ?",
            (ts(now), ts(now)),
        )
