"""Requests, their categories, photos, timeline events and supporters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.lifecycle import Status
from bot.models import Category, HandledBy, OrgUnit, Request, RequestEvent, RequestPhoto, Tier
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["REQUEST_COLUMNS", "RequestsRepo", "request_from_row"]

# Open requests, spelled exactly as the partial index ``requests_open`` (migration 0009) states
# it: SQLite uses a partial index only when the query repeats its condition.
OPEN_SQL = "status NOT IN ('resolved', 'closed', 'cancelled')"

_REQUEST_COLS = (
    "id, number, resident_id, contact_name, contact_phone, anonymous, compound_id, category_id,"
    " tier, status, description, address, latitude, longitude, assignee_id, rating,"
    " rating_comment, created_at, updated_at, triaged_at, dispatched_at, accepted_at,"
    " resolved_at, closed_at, rated_at, accept_due_at, resolve_due_at, waiting_since,"
    " escalation_level, channel, service_team_id, preferred_slots, handled_by, route"
)
_R_COLS = ", ".join("r." + col.strip() for col in _REQUEST_COLS.split(","))

# "Me too": open requests of a compound and category since a time, not a person's own nor
# supported by them, newest first.
SIMILAR_SQL = (
    f"SELECT {_R_COLS} FROM requests r INDEXED BY requests_open"
    f" WHERE r.compound_id = ? AND r.category_id = ? AND r.{OPEN_SQL}"
    " AND r.created_at >= ?"
    " AND (r.resident_id IS NULL OR r.resident_id != ?)"
    " AND NOT EXISTS (SELECT 1 FROM request_supporters s"
    "                 WHERE s.request_id = r.id AND s.person_id = ?)"
    " ORDER BY r.id DESC LIMIT ?"
)

_CATEGORY_COLS = (
    "id, code, name, name_en, default_tier, team_code, is_opinion, handled_by, sort, active"
)
# Timestamps a status change may set, by the status it enters.
_STAMPS = {
    Status.TRIAGED: "triaged_at",
    Status.DISPATCHED: "dispatched_at",
    Status.ACCEPTED: "accepted_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
}
_SETTABLE = {
    "assignee_id",
    "rating",
    "rating_comment",
    "rated_at",
    "tier",
    "accept_due_at",
    "resolve_due_at",
    "waiting_since",
    "escalation_level",
    "route",
}


def _db_value(value: Any) -> Any:
    """Enums as their value, datetimes as stored timestamps."""
    if isinstance(value, datetime):
        return ts(value)
    return getattr(value, "value", value)


def _request(row: Any) -> Request:
    return Request.model_validate(dict(row))


# For other repositories that read requests.
REQUEST_COLUMNS = _REQUEST_COLS
request_from_row = _request


class RequestsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- categories ----------------------------------------------------------------------
    async def categories(self, *, active_only: bool = True) -> list[Category]:
        sql = f"SELECT {_CATEGORY_COLS} FROM categories"
        if active_only:
            sql += " WHERE active"
        rows = await self.tx.fetchall(sql + " ORDER BY sort, id")
        return [Category.model_validate(dict(r)) for r in rows]

    async def category(self, category_id: int) -> Category | None:
        row = await self.tx.fetchone(
            f"SELECT {_CATEGORY_COLS} FROM categories WHERE id = ?", (category_id,)
        )
        return None if row is None else Category.model_validate(dict(row))

    async def upsert_category(
        self,
        *,
        code: str,
        name: str,
        name_en: str,
        default_tier: Tier,
        team_code: str | None,
        is_opinion: bool,
        handled_by: HandledBy,
        sort: int,
        active: bool,
    ) -> bool:
        """Create or update the category ``code``; True when it was created."""
        existed = await self.tx.fetchval("SELECT 1 FROM categories WHERE code = ?", (code,))
        await self.tx.execute(
            "INSERT INTO categories (code, name, name_en, default_tier, team_code, is_opinion,"
            " handled_by, sort, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,"
            " default_tier = excluded.default_tier, team_code = excluded.team_code,"
            " is_opinion = excluded.is_opinion, handled_by = excluded.handled_by,"
            " sort = excluded.sort, active = excluded.active",
            (
                code,
                name,
                name_en,
                default_tier.value,
                team_code,
                is_opinion,
                handled_by.value,
                sort,
                active,
            ),
        )
        return existed is None

    async def retire_categories(self, keep: list[str]) -> int:
        """Take the active categories not in ``keep`` off the menu (their requests stay);
        return how many."""
        marks = ", ".join("?" for _ in keep) or "''"
        return await self.tx.execute(
            f"UPDATE categories SET active = FALSE WHERE active AND code NOT IN ({marks})", keep
        )

    # -- requests ------------------------------------------------------------------------
    async def next_number(self, prefix: str, year: int) -> str:
        """The next number of ``year``; gapless because it commits with the request."""
        last = await self.tx.fetchval(
            "INSERT INTO request_counters (year, last) VALUES (?, 1)"
            " ON CONFLICT (year) DO UPDATE SET last = request_counters.last + 1 RETURNING last",
            (year,),
        )
        return f"{prefix}-{year}-{int(last):06d}"

    async def create(
        self,
        *,
        number: str,
        source_key: str | None,
        resident_id: int | None,
        contact_name: str | None,
        contact_phone: str | None,
        anonymous: bool,
        compound_id: int,
        category_id: int,
        tier: Tier,
        description: str,
        address: str | None,
        latitude: float | None,
        longitude: float | None,
        now: datetime,
        channel: str = "telegram",
        service_team_id: int | None = None,
        preferred_slots: list[str] | None = None,
        handled_by: HandledBy | None = None,
    ) -> Request:
        request_id = await self.tx.insert(
            "INSERT INTO requests (number, source_key, resident_id, contact_name, contact_phone,"
            " anonymous, compound_id, category_id, tier, status, description, address, latitude,"
            " longitude, created_at, updated_at, channel, service_team_id, preferred_slots,"
            " handled_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
                source_key,
                resident_id,
                contact_name,
                contact_phone,
                anonymous,
                compound_id,
                category_id,
                tier.value,
                Status.SUBMITTED.value,
                description,
                address,
                latitude,
                longitude,
                ts(now),
                ts(now),
                channel,
                service_team_id,
                None if preferred_slots is None else json.dumps(preferred_slots),
                None if handled_by is None else handled_by.value,
            ),
        )
        created = await self.get(request_id)
        assert created is not None
        return created

    async def get(self, request_id: int) -> Request | None:
        row = await self.tx.fetchone(
            f"SELECT {_REQUEST_COLS} FROM requests WHERE id = ?", (request_id,)
        )
        return None if row is None else _request(row)

    async def by_source(self, source_key: str) -> Request | None:
        row = await self.tx.fetchone(
            f"SELECT {_REQUEST_COLS} FROM requests WHERE source_key = ?", (source_key,)
        )
        return None if row is None else _request(row)

    async def by_number(self, number: str) -> Request | None:
        row = await self.tx.fetchone(
            f"SELECT {_REQUEST_COLS} FROM requests WHERE number = ?", (number,)
        )
        return None if row is None else _request(row)

    async def for_person(self, person_id: int, *, offset: int, limit: int) -> list[Request]:
        """Requests the person filed or supports, newest first."""
        rows = await self.tx.fetchall(
            f"SELECT {_R_COLS} FROM requests r WHERE r.resident_id = ?"
            " OR r.id IN (SELECT request_id FROM request_supporters WHERE person_id = ?)"
            " ORDER BY r.id DESC LIMIT ? OFFSET ?",
            (person_id, person_id, limit, offset),
        )
        return [_request(r) for r in rows]

    async def count_for_person(self, person_id: int) -> int:
        return int(
            await self.tx.fetchval(
                "SELECT count(*) FROM requests r WHERE r.resident_id = ?"
                " OR r.id IN (SELECT request_id FROM request_supporters WHERE person_id = ?)",
                (person_id, person_id),
            )
        )

    async def open_similar(
        self,
        *,
        compound_id: int,
        category_id: int,
        since: datetime,
        exclude_person: int,
        limit: int,
    ) -> list[Request]:
        """Open requests (not resolved, closed or cancelled) of the same compound and category
        since ``since``, newest first, not the person's own nor ones they already support.
        Index-backed (``requests_open``): it reads about ``limit`` rows however many are stored.
        """
        rows = await self.tx.fetchall(
            SIMILAR_SQL,
            (compound_id, category_id, ts(since), exclude_person, exclude_person, limit),
        )
        return [_request(r) for r in rows]

    async def change_status(
        self, request_id: int, current: Status, target: Status, now: datetime, **fields: Any
    ) -> bool:
        """Move the request from ``current`` to ``target`` if it is still in ``current``.

        One conditional UPDATE: of concurrent attempts, exactly one succeeds.
        """
        unknown = set(fields) - _SETTABLE
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)}")
        sets = ["status = ?", "updated_at = ?"]
        params: list[Any] = [target.value, ts(now)]
        stamp = _STAMPS.get(target)
        if stamp is not None:
            sets.append(f"{stamp} = ?")
            params.append(ts(now))
        for name, value in fields.items():
            sets.append(f"{name} = ?")
            params.append(_db_value(value))
        changed = await self.tx.execute(
            f"UPDATE requests SET {', '.join(sets)} WHERE id = ? AND status = ?",
            [*params, request_id, current.value],
        )
        return changed == 1

    async def set_fields(self, request_id: int, now: datetime, **fields: Any) -> None:
        """Change fields that are not the status (due times, tier, escalation level)."""
        unknown = set(fields) - _SETTABLE
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)}")
        sets = [f"{name} = ?" for name in fields]
        params = [_db_value(v) for v in fields.values()]
        await self.tx.execute(
            f"UPDATE requests SET {', '.join(sets)}, updated_at = ? WHERE id = ?",
            [*params, ts(now), request_id],
        )

    async def set_comment(self, request_id: int, text: str, now: datetime) -> None:
        await self.tx.execute(
            "UPDATE requests SET rating_comment = ?, updated_at = ? WHERE id = ?",
            (text, ts(now), request_id),
        )

    async def assigned_to(self, person_id: int, statuses: frozenset[Status]) -> list[Request]:
        marks = ",".join("?" * len(statuses))
        rows = await self.tx.fetchall(
            f"SELECT {_REQUEST_COLS} FROM requests WHERE assignee_id = ?"
            f" AND status IN ({marks}) ORDER BY id",
            (person_id, *(s.value for s in statuses)),
        )
        return [_request(r) for r in rows]

    async def waiting_for_pool(self, limit: int = 500) -> list[int]:
        """Triaged requests no member has been offered yet: service orders, and requests that
        are neither opinions nor for the admins, nor taken by a route of their own (the
        property company's staff, the community for an unmanaged compound)."""
        rows = await self.tx.fetchall(
            "SELECT r.id FROM requests r JOIN categories c ON c.id = r.category_id"
            " WHERE r.status = 'triaged' AND (r.service_team_id IS NOT NULL"
            " OR (NOT c.is_opinion AND COALESCE(r.handled_by, c.handled_by) != 'admins'"
            " AND (r.route IS NULL OR r.route = 'pool')))"
            " ORDER BY r.id LIMIT ?",
            (limit,),
        )
        return [int(r[0]) for r in rows]

    async def handled_by_in(
        self, compound_id: int, handled_by: HandledBy, *, offset: int, limit: int
    ) -> tuple[int, list[Request]]:
        """The requests of one compound whose category ``handled_by`` says who handles them,
        newest first; and how many there are."""
        where = (
            " FROM requests r JOIN categories c ON c.id = r.category_id"
            " WHERE r.compound_id = ? AND c.handled_by = ?"
        )
        total = await self.tx.fetchval(f"SELECT count(*){where}", (compound_id, handled_by.value))
        rows = await self.tx.fetchall(
            f"SELECT {_R_COLS}{where} ORDER BY r.id DESC LIMIT ? OFFSET ?",
            (compound_id, handled_by.value, limit, offset),
        )
        return int(total), [_request(r) for r in rows]

    async def in_scope(
        self,
        scopes: list[OrgUnit],
        *,
        statuses: frozenset[Status] | None,
        tier: Tier | None,
        category_id: int | None,
        overdue_at: datetime | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[Request]]:
        """Requests whose compound lies in one of ``scopes``, newest first; and the total."""
        where = ["(" + " OR ".join("substr(u.path, 1, ?) = ?" for _ in scopes) + ")"]
        params: list[Any] = [p for s in scopes for p in (len(s.path), s.path)]
        if statuses is not None:
            where.append(f"r.status IN ({','.join('?' * len(statuses))})")
            params += [s.value for s in statuses]
        if tier is not None:
            where.append("r.tier = ?")
            params.append(tier.value)
        if category_id is not None:
            where.append("r.category_id = ?")
            params.append(category_id)
        if overdue_at is not None:
            where.append(
                "((r.accepted_at IS NULL AND r.accept_due_at < ?) OR r.resolve_due_at < ?)"
            )
            params += [ts(overdue_at), ts(overdue_at)]
        sql = " FROM requests r JOIN org_units u ON u.id = r.compound_id WHERE " + " AND ".join(
            where
        )
        total = int(await self.tx.fetchval("SELECT count(*)" + sql, params))
        rows = await self.tx.fetchall(
            f"SELECT {_R_COLS}" + sql + " ORDER BY r.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return total, [_request(r) for r in rows]

    async def contact_phones(self, person_id: int) -> list[str]:
        """The phone numbers a person gave on the requests they filed."""
        rows = await self.tx.fetchall(
            "SELECT DISTINCT contact_phone FROM requests"
            " WHERE resident_id = ? AND contact_phone IS NOT NULL",
            (person_id,),
        )
        return [str(r[0]) for r in rows]

    async def anonymise_resident(self, person_id: int) -> int:
        """Clear a forgotten person's name and phone from the requests they filed."""
        return await self.tx.execute(
            "UPDATE requests SET contact_name = NULL, contact_phone = NULL, resident_id = NULL"
            " WHERE resident_id = ?",
            (person_id,),
        )

    async def forget_actor(self, person_id: int, old_label: str, new_label: str) -> int:
        """Unlink a forgotten person from the events they caused (found by id or by their
        old label): ``new_label`` and no actor id."""
        return await self.tx.execute(
            "UPDATE request_events SET actor_id = NULL, actor_label = ?"
            " WHERE actor_id = ? OR actor_label = ?",
            (new_label, person_id, old_label),
        )

    # -- photos, events, supporters ------------------------------------------------------
    async def add_photo(
        self, request_id: int, file_id: str, kind: str, added_by: int | None, now: datetime
    ) -> None:
        await self.tx.execute(
            "INSERT INTO request_photos (request_id, file_id, kind, added_by, added_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (request_id, file_id, kind, added_by, ts(now)),
        )

    async def photos(self, request_id: int, kind: str | None = None) -> list[RequestPhoto]:
        sql = (
            "SELECT id, request_id, file_id, kind, added_by, added_at FROM request_photos"
            " WHERE request_id = ?"
        )
        params: list[Any] = [request_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        rows = await self.tx.fetchall(sql + " ORDER BY id", params)
        return [RequestPhoto.model_validate(dict(r)) for r in rows]

    async def add_event(
        self,
        request_id: int,
        *,
        kind: str,
        actor_id: int | None,
        actor_label: str,
        now: datetime,
        from_status: Status | None = None,
        to_status: Status | None = None,
        note: str | None = None,
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO request_events (request_id, at, actor_id, actor_label, kind,"
            " from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                ts(now),
                actor_id,
                actor_label,
                kind,
                from_status.value if from_status else None,
                to_status.value if to_status else None,
                note,
            ),
        )

    async def events(self, request_id: int) -> list[RequestEvent]:
        rows = await self.tx.fetchall(
            "SELECT id, request_id, at, actor_id, actor_label, kind, from_status, to_status,"
            " note FROM request_events WHERE request_id = ? ORDER BY id",
            (request_id,),
        )
        return [RequestEvent.model_validate(dict(r)) for r in rows]

    async def add_supporter(self, request_id: int, person_id: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "INSERT INTO request_supporters (request_id, person_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (request_id, person_id, ts(now)),
        )
        return changed == 1

    async def supporter_ids(self, request_id: int) -> list[int]:
        rows = await self.tx.fetchall(
            "SELECT person_id FROM request_supporters WHERE request_id = ? ORDER BY created_at",
            (request_id,),
        )
        return [int(r[0]) for r in rows]

    async def supporter_counts(self, request_ids: list[int]) -> dict[int, int]:
        if not request_ids:
            return {}
        marks = ",".join("?" * len(request_ids))
        rows = await self.tx.fetchall(
            f"SELECT request_id, count(*) FROM request_supporters WHERE request_id IN ({marks})"
            " GROUP BY request_id",
            request_ids,
        )
        return {int(r[0]): int(r[1]) for r in rows}
