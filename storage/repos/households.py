"""The household registry of compounds, and owners' votes with their roll and ballots."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.art278 import Choice
from bot.models.consult import Ballot, Household, OwnersVote, VoteMatter
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["HouseholdsRepo"]

_HOUSEHOLD_COLS = (
    "id, compound_id, building, unit, room, area_centi, active, owner_id, bound_at, code_issued_at"
)
_VOTE_COLS = (
    "id, consultation_id, compound_id, question, rule, matter, building, unit, state,"
    " households, area_centi, opened_by, opened_at, closes_at, closed_at, passed, result"
)


def _household(row: Any) -> Household:
    data = dict(row)
    for key in ("bound_at", "code_issued_at"):
        data[key] = from_ts(data[key]) if data[key] else None
    data["active"] = bool(data["active"])
    return Household.model_validate(data)


def _vote(row: Any) -> OwnersVote:
    data = dict(row)
    for key in ("opened_at", "closes_at", "closed_at"):
        data[key] = from_ts(data[key]) if data[key] else None
    data["passed"] = None if data["passed"] is None else bool(data["passed"])
    data["result"] = json.loads(data["result"]) if data["result"] else None
    return OwnersVote.model_validate(data)


class HouseholdsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- the registry --------------------------------------------------------------------
    async def upsert(
        self,
        compound_id: int,
        building: str,
        unit: str,
        room: str,
        area_centi: int,
        now: datetime,
    ) -> tuple[int, bool]:
        """Insert or update one household (matched by building, unit and room); return its id
        and whether it is new. An inactive one is active again."""
        row = await self.tx.fetchone(
            "SELECT id FROM households WHERE compound_id = ? AND building = ? AND unit = ?"
            " AND room = ?",
            (compound_id, building, unit, room),
        )
        if row is not None:
            await self.tx.execute(
                "UPDATE households SET area_centi = ?, active = TRUE, updated_at = ? WHERE id = ?",
                (area_centi, ts(now), int(row[0])),
            )
            return int(row[0]), False
        new_id = await self.tx.insert(
            "INSERT INTO households (compound_id, building, unit, room, area_centi, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (compound_id, building, unit, room, area_centi, ts(now), ts(now)),
        )
        return new_id, True

    async def retire_others(self, compound_id: int, keep: list[int], now: datetime) -> list[int]:
        """Households of the compound not in ``keep`` leave the registry (a registry file is the
        whole compound) and their owners are unbound; return those owners."""
        rows = await self.tx.fetchall(
            "SELECT id, owner_id FROM households WHERE compound_id = ? AND active",
            (compound_id,),
        )
        kept = set(keep)
        owners: list[int] = []
        for household_id, owner_id in rows:
            if int(household_id) in kept:
                continue
            await self.tx.execute(
                "UPDATE households SET active = FALSE, owner_id = NULL, bound_at = NULL,"
                " code_hash = NULL, updated_at = ? WHERE id = ?",
                (ts(now), int(household_id)),
            )
            if owner_id is not None:
                owners.append(int(owner_id))
        return owners

    async def get(self, household_id: int) -> Household | None:
        row = await self.tx.fetchone(
            f"SELECT {_HOUSEHOLD_COLS} FROM households WHERE id = ?", (household_id,)
        )
        return None if row is None else _household(row)

    async def of_compound(self, compound_id: int, *, active_only: bool = True) -> list[Household]:
        rows = await self.tx.fetchall(
            f"SELECT {_HOUSEHOLD_COLS} FROM households WHERE compound_id = ?"
            + (" AND active" if active_only else "")
            + " ORDER BY building, unit, room",
            (compound_id,),
        )
        return [_household(r) for r in rows]

    async def find(
        self, compound_id: int, building: str, unit: str, room: str
    ) -> Household | None:
        row = await self.tx.fetchone(
            f"SELECT {_HOUSEHOLD_COLS} FROM households WHERE compound_id = ? AND building = ?"
            " AND unit = ? AND room = ? AND active",
            (compound_id, building, unit, room),
        )
        return None if row is None else _household(row)

    async def owned_by(self, person_id: int, compound_id: int | None = None) -> list[Household]:
        sql = f"SELECT {_HOUSEHOLD_COLS} FROM households WHERE owner_id = ? AND active"
        params: list[object] = [person_id]
        if compound_id is not None:
            sql += " AND compound_id = ?"
            params.append(compound_id)
        rows = await self.tx.fetchall(sql + " ORDER BY compound_id, building, unit, room", params)
        return [_household(r) for r in rows]

    async def set_code(self, household_id: int, code_hash: str, now: datetime) -> None:
        """A new one-time code (the earlier one stops working)."""
        await self.tx.execute(
            "UPDATE households SET code_hash = ?, code_issued_at = ?, updated_at = ? WHERE id = ?",
            (code_hash, ts(now), ts(now), household_id),
        )

    async def by_code(self, code_hash: str) -> Household | None:
        row = await self.tx.fetchone(
            f"SELECT {_HOUSEHOLD_COLS} FROM households WHERE code_hash = ? AND active",
            (code_hash,),
        )
        return None if row is None else _household(row)

    async def bind(self, household_id: int, person_id: int, now: datetime) -> bool:
        """The code's holder owns the household now; the code is used up. False when another
        binding took the code first."""
        changed = await self.tx.execute(
            "UPDATE households SET owner_id = ?, bound_at = ?, code_hash = NULL, updated_at = ?"
            " WHERE id = ? AND code_hash IS NOT NULL",
            (person_id, ts(now), ts(now), household_id),
        )
        return changed == 1

    async def owners(self, compound_id: int) -> list[int]:
        rows = await self.tx.fetchall(
            "SELECT DISTINCT owner_id FROM households WHERE compound_id = ? AND active"
            " AND owner_id IS NOT NULL ORDER BY owner_id",
            (compound_id,),
        )
        return [int(r[0]) for r in rows]

    async def unbind_person(self, person_id: int, now: datetime) -> int:
        return await self.tx.execute(
            "UPDATE households SET owner_id = NULL, bound_at = NULL, updated_at = ?"
            " WHERE owner_id = ?",
            (ts(now), person_id),
        )

    # -- owners' votes -------------------------------------------------------------------
    async def open_vote(
        self,
        *,
        consultation_id: int,
        compound_id: int,
        question: str,
        matter: VoteMatter,
        opened_by: int,
        now: datetime,
        closes_at: datetime,
        building: str | None = None,
        unit: str | None = None,
    ) -> OwnersVote:
        """Open a vote with the compound's active households (of ``building`` and ``unit``,
        when given) as its roll."""
        roll = [
            h
            for h in await self.of_compound(compound_id)
            if (building is None or h.building == building) and (unit is None or h.unit == unit)
        ]
        vote_id = await self.tx.insert(
            "INSERT INTO owners_votes (consultation_id, compound_id, question, rule, matter,"
            " building, unit, households, area_centi, opened_by, opened_at, closes_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                consultation_id,
                compound_id,
                question,
                matter.rule.value,
                matter.value,
                building,
                unit,
                len(roll),
                sum(h.area_centi for h in roll),
                opened_by,
                ts(now),
                ts(closes_at),
            ),
        )
        await self.tx.executemany(
            "INSERT INTO owners_vote_roll (vote_id, household_id, area_centi) VALUES (?, ?, ?)",
            [(vote_id, h.id, h.area_centi) for h in roll],
        )
        vote = await self.vote(vote_id)
        assert vote is not None
        return vote

    async def vote(self, vote_id: int) -> OwnersVote | None:
        row = await self.tx.fetchone(
            f"SELECT {_VOTE_COLS} FROM owners_votes WHERE id = ?", (vote_id,)
        )
        return None if row is None else _vote(row)

    async def votes_of(self, consultation_id: int) -> list[OwnersVote]:
        rows = await self.tx.fetchall(
            f"SELECT {_VOTE_COLS} FROM owners_votes WHERE consultation_id = ? ORDER BY id",
            (consultation_id,),
        )
        return [_vote(r) for r in rows]

    async def open_votes(self, compound_ids: list[int]) -> list[OwnersVote]:
        if not compound_ids:
            return []
        marks = ",".join("?" * len(compound_ids))
        rows = await self.tx.fetchall(
            f"SELECT {_VOTE_COLS} FROM owners_votes WHERE compound_id IN ({marks})"
            " AND state = 'open' ORDER BY id",
            compound_ids,
        )
        return [_vote(r) for r in rows]

    async def roll(self, vote_id: int) -> dict[int, int]:
        rows = await self.tx.fetchall(
            "SELECT household_id, area_centi FROM owners_vote_roll WHERE vote_id = ?", (vote_id,)
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def ballots(self, vote_id: int) -> list[Ballot]:
        rows = await self.tx.fetchall(
            "SELECT vote_id, household_id, person_id, choice, channel, changes, cast_at"
            " FROM owners_ballots WHERE vote_id = ? ORDER BY household_id",
            (vote_id,),
        )
        return [
            Ballot(
                vote_id=int(r[0]),
                household_id=int(r[1]),
                person_id=None if r[2] is None else int(r[2]),
                choice=Choice(r[3]),
                channel=str(r[4]),
                changes=int(r[5]),
                cast_at=from_ts(r[6]),
            )
            for r in rows
        ]

    async def cast(
        self,
        vote_id: int,
        household_id: int,
        person_id: int | None,
        choice: Choice,
        channel: str,
        now: datetime,
    ) -> Choice | None:
        """Record the household's ballot; a second one replaces the first (one per household).
        Return the choice it replaced (None for a first ballot)."""
        before = await self.tx.fetchval(
            "SELECT choice FROM owners_ballots WHERE vote_id = ? AND household_id = ?",
            (vote_id, household_id),
        )
        await self.tx.execute(
            "INSERT INTO owners_ballots (vote_id, household_id, person_id, choice, channel,"
            " cast_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (vote_id, household_id) DO UPDATE SET person_id = excluded.person_id,"
            " choice = excluded.choice, channel = excluded.channel, cast_at = excluded.cast_at,"
            " changes = owners_ballots.changes + 1",
            (vote_id, household_id, person_id, choice.value, channel, ts(now)),
        )
        return None if before is None else Choice(before)

    async def close_vote(
        self, vote_id: int, now: datetime, *, passed: bool, result: dict[str, object]
    ) -> bool:
        changed = await self.tx.execute(
            "UPDATE owners_votes SET state = 'closed', closed_at = ?, passed = ?, result = ?"
            " WHERE id = ? AND state = 'open'",
            (ts(now), passed, json.dumps(result), vote_id),
        )
        return changed == 1

    async def cancel_vote(self, vote_id: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "UPDATE owners_votes SET state = 'cancelled', closed_at = ? WHERE id = ?"
            " AND state = 'open'",
            (ts(now), vote_id),
        )
        return changed == 1

    async def closed_between(
        self, compound_ids: list[int], start: datetime, end: datetime
    ) -> list[OwnersVote]:
        if not compound_ids:
            return []
        marks = ",".join("?" * len(compound_ids))
        rows = await self.tx.fetchall(
            f"SELECT {_VOTE_COLS} FROM owners_votes WHERE compound_id IN ({marks})"
            " AND state = 'closed' AND closed_at >= ? AND closed_at < ? ORDER BY id",
            [*compound_ids, ts(start), ts(end)],
        )
        return [_vote(r) for r in rows]
