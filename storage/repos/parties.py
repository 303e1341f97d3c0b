"""The parties of compounds and their seats (a seat is filled by an invitation link:
``tx.invitations``, kind ``seat``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models.parties import Party, PartyKind, Seat, SeatRole
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["PartiesRepo"]

_PARTY_COLS = "id, compound_id, kind, name"
_SEAT_COLS = "id, code, party_id, role, holder_name, person_id, sort, linked_at"
_S_SEAT_COLS = ", ".join("s." + c.strip() for c in _SEAT_COLS.split(","))


def _seat(row: Any) -> Seat:
    data = dict(row)
    data["linked_at"] = from_ts(data["linked_at"]) if data["linked_at"] else None
    return Seat.model_validate(data)


class PartiesRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- parties -------------------------------------------------------------------------
    async def upsert_party(
        self, compound_id: int, kind: PartyKind, name: str, now: datetime
    ) -> tuple[int, bool]:
        """Insert or rename the compound's party of ``kind``; return its id and whether new."""
        row = await self.tx.fetchone(
            "SELECT id FROM parties WHERE compound_id = ? AND kind = ?", (compound_id, kind.value)
        )
        if row is not None:
            await self.tx.execute(
                "UPDATE parties SET name = ?, updated_at = ? WHERE id = ?",
                (name, ts(now), int(row[0])),
            )
            return int(row[0]), False
        party_id = await self.tx.insert(
            "INSERT INTO parties (compound_id, kind, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (compound_id, kind.value, name, ts(now), ts(now)),
        )
        return party_id, True

    async def party(self, party_id: int) -> Party | None:
        row = await self.tx.fetchone(
            f"SELECT {_PARTY_COLS} FROM parties WHERE id = ?", (party_id,)
        )
        return None if row is None else Party.model_validate(dict(row))

    async def of_compound(self, compound_id: int) -> list[Party]:
        rows = await self.tx.fetchall(
            f"SELECT {_PARTY_COLS} FROM parties WHERE compound_id = ? ORDER BY id",
            (compound_id,),
        )
        return [Party.model_validate(dict(r)) for r in rows]

    async def of_compounds(self, compound_ids: list[int]) -> list[Party]:
        if not compound_ids:
            return []
        marks = ",".join("?" * len(compound_ids))
        rows = await self.tx.fetchall(
            f"SELECT {_PARTY_COLS} FROM parties WHERE compound_id IN ({marks})"
            " ORDER BY compound_id, id",
            compound_ids,
        )
        return [Party.model_validate(dict(r)) for r in rows]

    async def of_kind(self, compound_id: int, kind: PartyKind) -> Party | None:
        row = await self.tx.fetchone(
            f"SELECT {_PARTY_COLS} FROM parties WHERE compound_id = ? AND kind = ?",
            (compound_id, kind.value),
        )
        return None if row is None else Party.model_validate(dict(row))

    # -- seats ---------------------------------------------------------------------------
    async def upsert_seat(
        self,
        *,
        code: str,
        party_id: int,
        role: SeatRole,
        holder_name: str | None,
        sort: int,
        now: datetime,
    ) -> tuple[Seat, bool]:
        """Insert or update the seat ``code``; return it and whether it is new. A new holder
        name unlinks the person who held the seat before."""
        existing = await self.by_code(code)
        if existing is None:
            seat_id = await self.tx.insert(
                "INSERT INTO seats (code, party_id, role, holder_name, sort, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (code, party_id, role.value, holder_name, sort, ts(now), ts(now)),
            )
            seat = await self.seat(seat_id)
            assert seat is not None
            return seat, True
        changed_holder = existing.holder_name != holder_name and existing.person_id is not None
        await self.tx.execute(
            "UPDATE seats SET party_id = ?, role = ?, holder_name = ?, sort = ?, updated_at = ?"
            + (", person_id = NULL, linked_at = NULL" if changed_holder else "")
            + " WHERE id = ?",
            (party_id, role.value, holder_name, sort, ts(now), existing.id),
        )
        seat = await self.seat(existing.id)
        assert seat is not None
        return seat, False

    async def seat(self, seat_id: int) -> Seat | None:
        row = await self.tx.fetchone(f"SELECT {_SEAT_COLS} FROM seats WHERE id = ?", (seat_id,))
        return None if row is None else _seat(row)

    async def by_code(self, code: str) -> Seat | None:
        row = await self.tx.fetchone(f"SELECT {_SEAT_COLS} FROM seats WHERE code = ?", (code,))
        return None if row is None else _seat(row)

    async def seats(self, party_id: int) -> list[Seat]:
        rows = await self.tx.fetchall(
            f"SELECT {_SEAT_COLS} FROM seats WHERE party_id = ? ORDER BY sort, id", (party_id,)
        )
        return [_seat(r) for r in rows]

    async def seats_of_person(self, person_id: int) -> list[Seat]:
        rows = await self.tx.fetchall(
            f"SELECT {_SEAT_COLS} FROM seats WHERE person_id = ? ORDER BY id", (person_id,)
        )
        return [_seat(r) for r in rows]

    async def held_in(self, person_id: int, compound_id: int) -> list[tuple[Seat, Party]]:
        """The person's seats in one compound, with their parties."""
        rows = await self.tx.fetchall(
            f"SELECT {_S_SEAT_COLS}, p.compound_id AS p_compound, p.kind AS p_kind,"
            " p.name AS p_name FROM seats s JOIN parties p ON p.id = s.party_id"
            " WHERE s.person_id = ? AND p.compound_id = ? ORDER BY s.id",
            (person_id, compound_id),
        )
        return [
            (
                _seat({k: v for k, v in dict(r).items() if not k.startswith("p_")}),
                Party(
                    id=r["party_id"],
                    compound_id=r["p_compound"],
                    kind=r["p_kind"],
                    name=r["p_name"],
                ),
            )
            for r in rows
        ]

    async def holders(self, party_id: int) -> list[int]:
        """The people holding a seat of the party (each once)."""
        rows = await self.tx.fetchall(
            "SELECT DISTINCT person_id FROM seats WHERE party_id = ? AND person_id IS NOT NULL"
            " ORDER BY person_id",
            (party_id,),
        )
        return [int(r[0]) for r in rows]

    async def link(
        self, seat_id: int, person_id: int, holder_name: str | None, now: datetime
    ) -> None:
        """The person holds the seat now (and is named as given, if the seat had no name)."""
        await self.tx.execute(
            "UPDATE seats SET person_id = ?, linked_at = ?, updated_at = ?,"
            " holder_name = COALESCE(holder_name, ?) WHERE id = ?",
            (person_id, ts(now), ts(now), holder_name, seat_id),
        )

    async def vacate(self, seat_id: int, now: datetime) -> None:
        await self.tx.execute(
            "UPDATE seats SET person_id = NULL, holder_name = NULL, linked_at = NULL,"
            " updated_at = ? WHERE id = ?",
            (ts(now), seat_id),
        )

    async def forget_holder(self, person_id: int, now: datetime) -> int:
        """/forget: the person's seats are vacant, their name gone with them."""
        return await self.tx.execute(
            "UPDATE seats SET person_id = NULL, holder_name = NULL, linked_at = NULL,"
            " updated_at = ? WHERE person_id = ?",
            (ts(now), person_id),
        )

    async def count_seats(self) -> int:
        return int(await self.tx.fetchval("SELECT count(*) FROM seats"))
