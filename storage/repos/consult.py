"""Consultations: participants, discussion, files, proposals and seat votes, objections and
action items."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.art278 import Choice
from bot.models.consult import (
    ActionItem,
    ActionState,
    Consultation,
    ConsultationState,
    Objection,
    Participant,
    ParticipantKind,
    Proposal,
)
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["ConsultRepo"]

_COLS = (
    "id, compound_id, request_id, topic_id, title, background, state, chair_id, closes_at,"
    " closed_at, decision, decided_at, published_at, objection_until, done_at, created_at"
)
_TIMES = (
    "closes_at",
    "closed_at",
    "decided_at",
    "published_at",
    "objection_until",
    "done_at",
    "created_at",
)
_ITEM_COLS = (
    "id, consultation_id, text, party_id, person_id, due_at, state, note, done_by, done_at,"
    " created_at"
)
_UPDATABLE = frozenset(
    {
        "state",
        "closed_at",
        "decision",
        "decided_at",
        "published_at",
        "objection_until",
        "done_at",
        "closes_at",
        "chair_id",
    }
)


def _times(row: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    data = dict(row)
    for key in keys:
        if key in data:
            data[key] = from_ts(data[key]) if data[key] else None
    return data


def _consultation(row: Any) -> Consultation:
    return Consultation.model_validate(_times(row, _TIMES))


def _item(row: Any) -> ActionItem:
    return ActionItem.model_validate(_times(row, ("due_at", "done_at", "created_at")))


def _proposal(row: Any) -> Proposal:
    data = _times(row, ("created_at", "closes_at", "closed_at"))
    data["options"] = json.loads(data["options"] or "[]")
    return Proposal.model_validate(data)


class ConsultRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- consultations -------------------------------------------------------------------
    async def create(
        self,
        *,
        compound_id: int,
        title: str,
        background: str,
        chair_id: int,
        closes_at: datetime,
        now: datetime,
        request_id: int | None = None,
        topic_id: int | None = None,
        source_key: str | None = None,
    ) -> Consultation:
        consultation_id = await self.tx.insert(
            "INSERT INTO consultations (compound_id, request_id, topic_id, source_key, title,"
            " background, chair_id, closes_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                compound_id,
                request_id,
                topic_id,
                source_key,
                title,
                background,
                chair_id,
                ts(closes_at),
                ts(now),
                ts(now),
            ),
        )
        made = await self.get(consultation_id)
        assert made is not None
        return made

    async def get(self, consultation_id: int) -> Consultation | None:
        row = await self.tx.fetchone(
            f"SELECT {_COLS} FROM consultations WHERE id = ?", (consultation_id,)
        )
        return None if row is None else _consultation(row)

    async def by_source(self, source_key: str) -> Consultation | None:
        row = await self.tx.fetchone(
            f"SELECT {_COLS} FROM consultations WHERE source_key = ?", (source_key,)
        )
        return None if row is None else _consultation(row)

    async def of_request(self, request_id: int) -> list[Consultation]:
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM consultations WHERE request_id = ? ORDER BY id", (request_id,)
        )
        return [_consultation(r) for r in rows]

    async def update(
        self,
        consultation_id: int,
        now: datetime,
        *,
        expect: ConsultationState | None = None,
        **fields: Any,
    ) -> bool:
        """Set ``fields``; with ``expect``, only while the consultation is in that state (of two
        concurrent changes one wins). Return whether it changed."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = [
            ts(v)
            if isinstance(v, datetime)
            else v.value
            if isinstance(v, ConsultationState)
            else v
            for v in fields.values()
        ]
        sets = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE consultations SET {sets}, updated_at = ? WHERE id = ?"
        params: list[object] = [*values, ts(now), consultation_id]
        if expect is not None:
            sql += " AND state = ?"
            params.append(expect.value)
        return await self.tx.execute(sql, params) == 1

    async def in_compounds(
        self, compound_ids: list[int], *, live_only: bool = False, limit: int = 20
    ) -> list[Consultation]:
        if not compound_ids:
            return []
        marks = ",".join("?" * len(compound_ids))
        sql = f"SELECT {_COLS} FROM consultations WHERE compound_id IN ({marks})"
        if live_only:
            sql += " AND state NOT IN ('done', 'cancelled')"
        rows = await self.tx.fetchall(sql + " ORDER BY id DESC LIMIT ?", [*compound_ids, limit])
        return [_consultation(r) for r in rows]

    async def of_person(self, person_id: int, limit: int = 20) -> list[Consultation]:
        """Consultations the person chairs or takes part in, newest first."""
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM consultations WHERE chair_id = ? OR id IN"
            " (SELECT consultation_id FROM consultation_participants WHERE person_id = ?)"
            " ORDER BY id DESC LIMIT ?",
            (person_id, person_id, limit),
        )
        return [_consultation(r) for r in rows]

    # -- participants --------------------------------------------------------------------
    async def add_participant(
        self,
        consultation_id: int,
        person_id: int | None,
        kind: ParticipantKind,
        now: datetime,
        *,
        seat_id: int | None = None,
    ) -> int | None:
        """Add one participant; None when that seat (or that person without a seat, in that
        capacity) is already in."""
        if seat_id is None and person_id is not None:
            found = await self.tx.fetchval(
                "SELECT id FROM consultation_participants WHERE consultation_id = ?"
                " AND person_id = ? AND seat_id IS NULL AND kind = ?",
                (consultation_id, person_id, kind.value),
            )
            if found is not None:
                return None
        row = await self.tx.fetchone(
            "INSERT INTO consultation_participants (consultation_id, person_id, seat_id, kind,"
            " joined_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (consultation_id, seat_id) DO NOTHING RETURNING id",
            (consultation_id, person_id, seat_id, kind.value, ts(now)),
        )
        return None if row is None else int(row[0])

    async def participants(self, consultation_id: int) -> list[Participant]:
        rows = await self.tx.fetchall(
            "SELECT id, consultation_id, person_id, seat_id, kind FROM consultation_participants"
            " WHERE consultation_id = ? ORDER BY id",
            (consultation_id,),
        )
        return [Participant.model_validate(dict(r)) for r in rows]

    async def add_file(
        self, consultation_id: int, file_id: str, kind: str, name: str | None, now: datetime
    ) -> None:
        await self.tx.execute(
            "INSERT INTO consultation_files (consultation_id, file_id, kind, file_name, added_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (consultation_id, file_id, kind, name, ts(now)),
        )

    async def files(self, consultation_id: int) -> list[tuple[str, str, str | None]]:
        """(file id, kind, name) in the order they came."""
        rows = await self.tx.fetchall(
            "SELECT file_id, kind, file_name FROM consultation_files WHERE consultation_id = ?"
            " ORDER BY id",
            (consultation_id,),
        )
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]

    async def add_message(
        self,
        consultation_id: int,
        person_id: int,
        label: str,
        text: str | None,
        photo: str | None,
        now: datetime,
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO consultation_messages (consultation_id, person_id, label, text, photo,"
            " at) VALUES (?, ?, ?, ?, ?, ?)",
            (consultation_id, person_id, label, text, photo, ts(now)),
        )

    async def speakers(self, consultation_id: int) -> set[int]:
        """Who has said something."""
        rows = await self.tx.fetchall(
            "SELECT DISTINCT person_id FROM consultation_messages WHERE consultation_id = ?"
            " AND person_id IS NOT NULL",
            (consultation_id,),
        )
        return {int(r[0]) for r in rows}

    async def messages(
        self, consultation_id: int, limit: int = 30
    ) -> list[tuple[str, str | None, bool, datetime]]:
        """The latest (label, text, has photo, at), oldest first."""
        rows = await self.tx.fetchall(
            "SELECT label, text, photo, at FROM consultation_messages WHERE consultation_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (consultation_id, limit),
        )
        return [(str(r[0]), r[1], r[2] is not None, from_ts(r[3])) for r in reversed(rows)]

    async def count_messages(self, consultation_id: int) -> int:
        return int(
            await self.tx.fetchval(
                "SELECT count(*) FROM consultation_messages WHERE consultation_id = ?",
                (consultation_id,),
            )
        )

    # -- proposals and seat votes ------------------------------------------------------------
    async def add_proposal(
        self,
        consultation_id: int,
        text: str,
        options: list[str],
        created_by: int,
        now: datetime,
        closes_at: datetime,
    ) -> Proposal:
        proposal_id = await self.tx.insert(
            "INSERT INTO proposals (consultation_id, text, options, created_by, created_at,"
            " closes_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                consultation_id,
                text,
                json.dumps(options, ensure_ascii=False),
                created_by,
                ts(now),
                ts(closes_at),
            ),
        )
        proposal = await self.proposal(proposal_id)
        assert proposal is not None
        return proposal

    async def proposal(self, proposal_id: int) -> Proposal | None:
        row = await self.tx.fetchone(
            "SELECT id, consultation_id, text, options, state, created_at, closes_at, closed_at"
            " FROM proposals WHERE id = ?",
            (proposal_id,),
        )
        return None if row is None else _proposal(row)

    async def proposals(self, consultation_id: int) -> list[Proposal]:
        rows = await self.tx.fetchall(
            "SELECT id, consultation_id, text, options, state, created_at, closes_at, closed_at"
            " FROM proposals WHERE consultation_id = ? ORDER BY id",
            (consultation_id,),
        )
        return [_proposal(r) for r in rows]

    async def close_proposal(self, proposal_id: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "UPDATE proposals SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'",
            (ts(now), proposal_id),
        )
        return changed == 1

    async def seat_vote(
        self, proposal_id: int, option_no: int, person_id: int, choice: Choice, now: datetime
    ) -> Choice | None:
        """Record a vote; a second one replaces the first. Return the one it replaced."""
        before = await self.tx.fetchval(
            "SELECT choice FROM seat_votes WHERE proposal_id = ? AND option_no = ?"
            " AND person_id = ?",
            (proposal_id, option_no, person_id),
        )
        await self.tx.execute(
            "INSERT INTO seat_votes (proposal_id, option_no, person_id, choice, cast_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (proposal_id, option_no, person_id)"
            " DO UPDATE SET choice = excluded.choice, cast_at = excluded.cast_at,"
            " changes = seat_votes.changes + 1",
            (proposal_id, option_no, person_id, choice.value, ts(now)),
        )
        return None if before is None else Choice(before)

    async def seat_votes(self, proposal_id: int) -> list[tuple[int, int | None, Choice]]:
        """(option number, person id, choice) of every vote."""
        rows = await self.tx.fetchall(
            "SELECT option_no, person_id, choice FROM seat_votes WHERE proposal_id = ?"
            " ORDER BY option_no, id",
            (proposal_id,),
        )
        return [(int(r[0]), None if r[1] is None else int(r[1]), Choice(r[2])) for r in rows]

    async def voters(self, consultation_id: int) -> set[int]:
        """Who voted on any proposal of the consultation."""
        rows = await self.tx.fetchall(
            "SELECT DISTINCT v.person_id FROM seat_votes v JOIN proposals p"
            " ON p.id = v.proposal_id WHERE p.consultation_id = ? AND v.person_id IS NOT NULL",
            (consultation_id,),
        )
        return {int(r[0]) for r in rows}

    # -- objections ----------------------------------------------------------------------
    async def add_objection(
        self, consultation_id: int, person_id: int, reason: str, now: datetime
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO objections (consultation_id, person_id, reason, at) VALUES (?, ?, ?, ?)",
            (consultation_id, person_id, reason, ts(now)),
        )

    async def objections(self, consultation_id: int) -> list[Objection]:
        rows = await self.tx.fetchall(
            "SELECT id, consultation_id, person_id, reason, at FROM objections"
            " WHERE consultation_id = ? ORDER BY id",
            (consultation_id,),
        )
        return [Objection.model_validate(_times(r, ("at",))) for r in rows]

    # -- action items --------------------------------------------------------------------
    async def add_item(
        self,
        consultation_id: int,
        text: str,
        *,
        party_id: int | None,
        person_id: int | None,
        due_at: datetime,
        created_by: int,
        now: datetime,
    ) -> ActionItem:
        item_id = await self.tx.insert(
            "INSERT INTO action_items (consultation_id, text, party_id, person_id, due_at,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (consultation_id, text, party_id, person_id, ts(due_at), created_by, ts(now)),
        )
        item = await self.item(item_id)
        assert item is not None
        return item

    async def item(self, item_id: int) -> ActionItem | None:
        row = await self.tx.fetchone(
            f"SELECT {_ITEM_COLS} FROM action_items WHERE id = ?", (item_id,)
        )
        return None if row is None else _item(row)

    async def items(self, consultation_id: int) -> list[ActionItem]:
        rows = await self.tx.fetchall(
            f"SELECT {_ITEM_COLS} FROM action_items WHERE consultation_id = ? ORDER BY id",
            (consultation_id,),
        )
        return [_item(r) for r in rows]

    async def items_for(self, person_id: int, party_ids: list[int]) -> list[ActionItem]:
        """Open action items of the person, or of a party they hold a seat in."""
        marks = ",".join("?" * len(party_ids)) or "NULL"
        rows = await self.tx.fetchall(
            f"SELECT {_ITEM_COLS} FROM action_items WHERE state = 'open'"
            f" AND (person_id = ? OR party_id IN ({marks})) ORDER BY due_at, id",
            [person_id, *party_ids],
        )
        return [_item(r) for r in rows]

    async def finish_item(
        self, item_id: int, state: ActionState, by: int | None, note: str | None, now: datetime
    ) -> bool:
        changed = await self.tx.execute(
            "UPDATE action_items SET state = ?, done_by = ?, note = ?, done_at = ?"
            " WHERE id = ? AND state = 'open'",
            (state.value, by, note, ts(now), item_id),
        )
        return changed == 1

    # -- figures -------------------------------------------------------------------------
    async def between(
        self, compound_ids: list[int], start: datetime, end: datetime, *, by: str = "created"
    ) -> list[Consultation]:
        """Consultations of the compounds convened (``by="created"``) or decided
        (``by="decided"``) in the period."""
        column = {"created": "created_at", "decided": "decided_at"}[by]
        if not compound_ids:
            return []
        marks = ",".join("?" * len(compound_ids))
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM consultations WHERE compound_id IN ({marks})"
            f" AND {column} >= ? AND {column} < ? ORDER BY id",
            [*compound_ids, ts(start), ts(end)],
        )
        return [_consultation(r) for r in rows]

    async def items_due_between(
        self, compound_ids: list[int], start: datetime, end: datetime
    ) -> list[ActionItem]:
        """Action items of the compounds done in the period or whose deadline fell in it (not
        cancelled)."""
        if not compound_ids:
            return []
        marks = ",".join("?" * len(compound_ids))
        rows = await self.tx.fetchall(
            f"SELECT {', '.join('a.' + c.strip() for c in _ITEM_COLS.split(','))}"
            " FROM action_items a JOIN consultations c ON c.id = a.consultation_id"
            f" WHERE c.compound_id IN ({marks}) AND a.state != 'cancelled'"
            " AND ((a.due_at >= ? AND a.due_at < ?) OR (a.done_at >= ? AND a.done_at < ?))"
            " ORDER BY a.id",
            [*compound_ids, ts(start), ts(end), ts(start), ts(end)],
        )
        return [_item(r) for r in rows]
