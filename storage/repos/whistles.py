"""Whistles, their sub-orders and what happens to them, joint meetings, the first secretaries
who join, and the cards kept in people's chats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import OrgUnit, Person, Rating
from bot.models.whistle import (
    Meeting,
    MeetingParty,
    SubOrder,
    SubOrderEvent,
    Whistle,
    WhistleState,
)
from bot.suborders import SubOrderRole, SubOrderState
from storage.repos.stats import subtree_range
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["WhistlesRepo"]

_WHISTLE_COLS = (
    "id, request_id, unit_id, blown_by, share_contact, note, topic_id, state, created_at,"
    " resolved_at, resolved_by"
)
_ORDER_COLS = (
    "id, whistle_id, request_id, department_id, role, ask, state, ruled, replaces_id, sent_at,"
    " sign_due_at, signed_at, signed_by, on_site_at, complete_due_at, completed_at,"
    " completed_by, report, returned_at, returned_by, return_reason, dispute, decided_at,"
    " decided_by, escalation_level, rating, rated_at"
)
_ORDER_FIELDS = frozenset(c.strip() for c in _ORDER_COLS.split(",")) - {"id", "whistle_id"}
_EVENT_COLS = "id, sub_order_id, at, actor_id, actor_label, kind, note, latitude, longitude"
_MEETING_COLS = "id, whistle_id, department_id, proposed_by, meets_at, place, state, created_at"
_PARTY_COLS = "id, meeting_id, department_id, unit_id, person_id, answer, answered_at"
_P_PERSON_COLS = (
    "p.id, p.telegram_id, p.display_name, p.username, p.language, p.home_unit_id, p.phone,"
    " p.unreachable, p.created_at, p.updated_at"
)


def _value(value: object) -> object:
    """A field value as a statement parameter (times as stored text, enums as their value)."""
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, SubOrderState | SubOrderRole | Rating | WhistleState):
        return value.value
    return value


def _whistle(row: Any) -> Whistle:
    return Whistle.model_validate(dict(row))


def _order(row: Any) -> SubOrder:
    return SubOrder.model_validate(dict(row))


class WhistlesRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- whistles ----------------------------------------------------------------------------
    async def create(
        self,
        *,
        request_id: int,
        unit_id: int,
        blown_by: int | None,
        share_contact: bool,
        note: str | None,
        topic_id: int | None,
        source_key: str | None,
        now: datetime,
    ) -> Whistle:
        whistle_id = await self.tx.insert(
            "INSERT INTO whistles (request_id, unit_id, blown_by, share_contact, note, topic_id,"
            " source_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                unit_id,
                blown_by,
                share_contact,
                note,
                topic_id,
                source_key,
                ts(now),
                ts(now),
            ),
        )
        whistle = await self.get(whistle_id)
        assert whistle is not None
        return whistle

    async def get(self, whistle_id: int) -> Whistle | None:
        row = await self.tx.fetchone(
            f"SELECT {_WHISTLE_COLS} FROM whistles WHERE id = ?", (whistle_id,)
        )
        return None if row is None else _whistle(row)

    async def by_request(self, request_id: int) -> Whistle | None:
        row = await self.tx.fetchone(
            f"SELECT {_WHISTLE_COLS} FROM whistles WHERE request_id = ?", (request_id,)
        )
        return None if row is None else _whistle(row)

    async def by_source(self, source_key: str) -> Whistle | None:
        row = await self.tx.fetchone(
            f"SELECT {_WHISTLE_COLS} FROM whistles WHERE source_key = ?", (source_key,)
        )
        return None if row is None else _whistle(row)

    async def set_whistle(self, whistle_id: int, now: datetime, **fields: object) -> None:
        allowed = {"state", "resolved_at", "resolved_by", "share_contact"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        sets = ", ".join(f"{name} = ?" for name in fields)
        await self.tx.execute(
            f"UPDATE whistles SET {sets}, updated_at = ? WHERE id = ?",
            [*(_value(v) for v in fields.values()), ts(now), whistle_id],
        )

    async def in_units(
        self, units: list[OrgUnit], states: tuple[WhistleState, ...], limit: int = 20
    ) -> list[Whistle]:
        """The latest whistles on requests of compounds inside ``units``."""
        if not units:
            return []
        paths = " OR ".join("(o.path >= ? AND o.path < ?)" for _ in units)
        marks = ",".join("?" * len(states))
        rows = await self.tx.fetchall(
            f"SELECT {', '.join('w.' + c.strip() for c in _WHISTLE_COLS.split(','))}"
            " FROM whistles w JOIN requests r ON r.id = w.request_id"
            f" JOIN org_units o ON o.id = r.compound_id WHERE ({paths})"
            f" AND w.state IN ({marks}) ORDER BY w.id DESC LIMIT ?",
            [*(b for u in units for b in subtree_range(u)), *(s.value for s in states), limit],
        )
        return [_whistle(r) for r in rows]

    # -- sub-orders ----------------------------------------------------------------------------
    async def add_order(
        self,
        *,
        whistle_id: int,
        request_id: int,
        department_id: int,
        role: SubOrderRole,
        ask: str,
        sign_due_at: datetime,
        now: datetime,
        ruled: bool = False,
        replaces_id: int | None = None,
    ) -> SubOrder:
        order_id = await self.tx.insert(
            "INSERT INTO sub_orders (whistle_id, request_id, department_id, role, ask, ruled,"
            " replaces_id, sent_at, sign_due_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                whistle_id,
                request_id,
                department_id,
                role.value,
                ask,
                ruled,
                replaces_id,
                ts(now),
                ts(sign_due_at),
                ts(now),
                ts(now),
            ),
        )
        order = await self.order(order_id)
        assert order is not None
        return order

    async def order(self, order_id: int) -> SubOrder | None:
        row = await self.tx.fetchone(
            f"SELECT {_ORDER_COLS} FROM sub_orders WHERE id = ?", (order_id,)
        )
        return None if row is None else _order(row)

    async def orders(self, whistle_id: int) -> list[SubOrder]:
        rows = await self.tx.fetchall(
            f"SELECT {_ORDER_COLS} FROM sub_orders WHERE whistle_id = ? ORDER BY id",
            (whistle_id,),
        )
        return [_order(r) for r in rows]

    async def of_departments(
        self, department_ids: list[int], states: frozenset[SubOrderState], limit: int = 30
    ) -> list[SubOrder]:
        """Sub-orders of the departments in ``states``, the oldest first."""
        if not department_ids or not states:
            return []
        depts = ",".join("?" * len(department_ids))
        marks = ",".join("?" * len(states))
        rows = await self.tx.fetchall(
            f"SELECT {_ORDER_COLS} FROM sub_orders WHERE department_id IN ({depts})"
            f" AND state IN ({marks}) ORDER BY sent_at, id LIMIT ?",
            [*department_ids, *sorted(s.value for s in states), limit],
        )
        return [_order(r) for r in rows]

    async def change_state(
        self,
        order_id: int,
        current: SubOrderState,
        target: SubOrderState,
        now: datetime,
        **fields: object,
    ) -> bool:
        """One conditional update: of two concurrent attempts exactly one wins."""
        unknown = set(fields) - _ORDER_FIELDS
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        sets = "".join(f", {name} = ?" for name in fields)
        changed = await self.tx.execute(
            f"UPDATE sub_orders SET state = ?{sets}, updated_at = ? WHERE id = ? AND state = ?",
            [
                target.value,
                *(_value(v) for v in fields.values()),
                ts(now),
                order_id,
                current.value,
            ],
        )
        return changed == 1

    async def set_order(self, order_id: int, now: datetime, **fields: object) -> None:
        unknown = set(fields) - _ORDER_FIELDS
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        sets = ", ".join(f"{name} = ?" for name in fields)
        await self.tx.execute(
            f"UPDATE sub_orders SET {sets}, updated_at = ? WHERE id = ?",
            [*(_value(v) for v in fields.values()), ts(now), order_id],
        )

    async def credit_rating(self, whistle_id: int, rating: Rating, now: datetime) -> int:
        """The resident's rating, credited to every department that did its part."""
        return await self.tx.execute(
            "UPDATE sub_orders SET rating = ?, rated_at = ?, updated_at = ?"
            " WHERE whistle_id = ? AND state = 'completed'",
            (rating.value, ts(now), ts(now), whistle_id),
        )

    # -- what happened -----------------------------------------------------------------------
    async def add_event(
        self,
        order_id: int,
        *,
        kind: str,
        actor_id: int | None,
        actor_label: str,
        now: datetime,
        note: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> None:
        await self.tx.execute(
            "INSERT INTO sub_order_events (sub_order_id, at, actor_id, actor_label, kind, note,"
            " latitude, longitude) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (order_id, ts(now), actor_id, actor_label, kind, note, latitude, longitude),
        )

    async def events(self, order_id: int) -> list[SubOrderEvent]:
        rows = await self.tx.fetchall(
            f"SELECT {_EVENT_COLS} FROM sub_order_events WHERE sub_order_id = ? ORDER BY id",
            (order_id,),
        )
        return [SubOrderEvent.model_validate(dict(r)) for r in rows]

    async def mask_notes(self, person_id: int, mask: Callable[[str], str]) -> int:
        """/forget: the notes a person wrote on sub-orders keep their words, with ``mask``
        applied (every phone number in them masked); return how many changed."""
        rows = await self.tx.fetchall(
            "SELECT id, note FROM sub_order_events WHERE actor_id = ? AND note IS NOT NULL",
            (person_id,),
        )
        changed = [(mask(str(note)), int(row_id)) for row_id, note in rows]
        changed = [
            (new, row_id)
            for (new, row_id), (_i, old) in zip(changed, rows, strict=True)
            if new != old
        ]
        await self.tx.executemany("UPDATE sub_order_events SET note = ? WHERE id = ?", changed)
        return len(changed)

    async def forget_actor(self, person_id: int, old_label: str, new_label: str) -> int:
        """Unlink a forgotten person from what they did on sub-orders."""
        return await self.tx.execute(
            "UPDATE sub_order_events SET actor_id = NULL, actor_label = ?"
            " WHERE actor_id = ? OR actor_label = ?",
            (new_label, person_id, old_label),
        )

    # -- joint meetings ------------------------------------------------------------------------
    async def add_meeting(
        self,
        *,
        whistle_id: int,
        department_id: int | None,
        proposed_by: int,
        meets_at: datetime,
        place: str,
        now: datetime,
    ) -> Meeting:
        meeting_id = await self.tx.insert(
            "INSERT INTO joint_meetings (whistle_id, department_id, proposed_by, meets_at, place,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (whistle_id, department_id, proposed_by, ts(meets_at), place, ts(now)),
        )
        meeting = await self.meeting(meeting_id)
        assert meeting is not None
        return meeting

    async def meeting(self, meeting_id: int) -> Meeting | None:
        row = await self.tx.fetchone(
            f"SELECT {_MEETING_COLS} FROM joint_meetings WHERE id = ?", (meeting_id,)
        )
        return None if row is None else Meeting.model_validate(dict(row))

    async def meetings(self, whistle_id: int) -> list[Meeting]:
        rows = await self.tx.fetchall(
            f"SELECT {_MEETING_COLS} FROM joint_meetings WHERE whistle_id = ? ORDER BY id",
            (whistle_id,),
        )
        return [Meeting.model_validate(dict(r)) for r in rows]

    async def add_party(
        self,
        meeting_id: int,
        *,
        department_id: int | None = None,
        unit_id: int | None = None,
        person_id: int | None = None,
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO meeting_parties (meeting_id, department_id, unit_id, person_id)"
            " VALUES (?, ?, ?, ?)",
            (meeting_id, department_id, unit_id, person_id),
        )

    async def parties(self, meeting_id: int) -> list[MeetingParty]:
        rows = await self.tx.fetchall(
            f"SELECT {_PARTY_COLS} FROM meeting_parties WHERE meeting_id = ? ORDER BY id",
            (meeting_id,),
        )
        return [MeetingParty.model_validate(dict(r)) for r in rows]

    async def party(self, party_id: int) -> MeetingParty | None:
        row = await self.tx.fetchone(
            f"SELECT {_PARTY_COLS} FROM meeting_parties WHERE id = ?", (party_id,)
        )
        return None if row is None else MeetingParty.model_validate(dict(row))

    async def answer(self, party_id: int, answer: str, by: int, now: datetime) -> bool:
        """Record a party's answer; False when it is the same as before."""
        changed = await self.tx.execute(
            "UPDATE meeting_parties SET answer = ?, answered_by = ?, answered_at = ?"
            " WHERE id = ? AND (answer IS NULL OR answer <> ?)",
            (answer, by, ts(now), party_id, answer),
        )
        return changed == 1

    # -- first secretaries who joined ------------------------------------------------------
    async def join(self, whistle_id: int, person_id: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "INSERT INTO whistle_joiners (whistle_id, person_id, joined_at) VALUES (?, ?, ?)"
            " ON CONFLICT (whistle_id, person_id) DO NOTHING",
            (whistle_id, person_id, ts(now)),
        )
        return changed > 0

    async def joiners(self, whistle_id: int) -> list[Person]:
        rows = await self.tx.fetchall(
            f"SELECT {_P_PERSON_COLS} FROM whistle_joiners j JOIN people p ON p.id = j.person_id"
            " WHERE j.whistle_id = ? ORDER BY j.joined_at, p.id",
            (whistle_id,),
        )
        return [Person.model_validate(dict(r)) for r in rows]

    # -- cards -------------------------------------------------------------------------------
    async def add_card(
        self, whistle_id: int, order_id: int | None, person_id: int, kind: str, outbox_id: int
    ) -> None:
        await self.tx.execute(
            "INSERT INTO whistle_cards (whistle_id, sub_order_id, person_id, kind, outbox_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (whistle_id, order_id, person_id, kind, outbox_id),
        )

    async def cards(self, whistle_id: int) -> list[tuple[int | None, int, str, int]]:
        """(sub-order id or None for the board, person id, kind, outbox id) of every card of
        the whistle."""
        rows = await self.tx.fetchall(
            "SELECT sub_order_id, person_id, kind, outbox_id FROM whistle_cards"
            " WHERE whistle_id = ? ORDER BY id",
            (whistle_id,),
        )
        return [
            (None if r[0] is None else int(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in rows
        ]
