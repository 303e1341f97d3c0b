"""Statistics: the counts behind the three rates (三率), the breakdowns, the weekly trend, the
article's work figures and the rows of the Excel export.

A unit's subtree is every org unit whose path starts with the unit's path. The queries ask for
it as the range ``path >= '/DZ/CX/' AND path < '/DZ/CX0'`` (the same set as
``substr(path, 1, length(:p)) = :p``, since ``'0'`` is the character after ``'/'``), which the
``org_units_path`` index answers; requests are then reached through their compound
(``requests_similar`` starts with ``compound_id``), so no query scans the whole requests table.
Times are parameters compared with stored times (timestamptz on PostgreSQL, fixed-width UTC text
on SQLite), never SQL date functions, so every query reads the same on both stores.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.lifecycle import Status
from bot.models import OrgUnit, Rating, Tier
from bot.models.stats import Counts, Durations, ExportRow
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["StatsRepo", "subtree_range"]

_FINISHED = (Status.RESOLVED.value, Status.CLOSED.value)
_RATED = (Rating.SATISFIED.value, Rating.BASIC.value, Rating.UNSATISFIED.value)
_GOOD = (Rating.SATISFIED.value, Rating.BASIC.value)


def subtree_range(unit: OrgUnit) -> tuple[str, str]:
    """The [low, high) range of the paths of ``unit`` and everything below it."""
    return unit.path, unit.path[:-1] + "0"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# The compounds of one subtree, by the path index.
_SCOPE = "r.compound_id IN (SELECT id FROM org_units WHERE path >= :lo AND path < :hi)"
_RECEIVED = "r.created_at >= :start AND r.created_at < :end"


def _span(start: str, end: str | None) -> timedelta | None:
    return None if end is None else from_ts(end) - from_ts(start)


class StatsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def has_table(self, name: str) -> bool:
        """True when the database has the table (features may add theirs later)."""
        return await self.tx.has_table(name)

    async def counts(
        self, units: list[OrgUnit], start: datetime, end: datetime, now: datetime
    ) -> dict[int, Counts]:
        """The counts of each unit's subtree for [start, end), in one query; a unit without
        requests gets zeros. A dispatched request counts towards the response rate once it
        is accepted or its time to accept has passed (as of ``now``); one the community took
        without offering it (a consultation, a whistle) counts from when it was taken."""
        if not units:
            return {}
        params: dict[str, Any] = {"start": ts(start), "end": ts(end), "now": ts(now)}
        groups = []
        for n, unit in enumerate(units):
            params[f"g{n}"] = unit.id
            params[f"lo{n}"], params[f"hi{n}"] = subtree_range(unit)
            groups.append(f"(CAST(:g{n} AS BIGINT), CAST(:lo{n} AS TEXT), CAST(:hi{n} AS TEXT))")
        within = "{col} >= :start AND {col} < :end"
        sql = (
            f"WITH g (gid, lo, hi) AS (VALUES {', '.join(groups)}),"
            " x AS ("
            "  SELECT g.gid, r.status, r.rating, r.resolved_at, r.accepted_at, r.accept_due_at,"
            f"  c.is_opinion, ({within.format(col='r.created_at')}) AS rec,"
            # Dispatched, or taken by the community without being offered (a consultation,
            # a whistle): its accept clock ran from triage either way.
            f"  ({within.format(col='COALESCE(r.dispatched_at, r.accepted_at)')}) AS dis,"
            f"  ({within.format(col='r.rated_at')}) AS rat,"
            f"  ({within.format(col='r.resolved_at')}) AS sol"
            "  FROM g JOIN org_units u ON u.path >= g.lo AND u.path < g.hi"
            "  JOIN requests r ON r.compound_id = u.id"
            "  JOIN categories c ON c.id = r.category_id"
            f"  WHERE ({within.format(col='r.created_at')})"
            f"     OR ({within.format(col='COALESCE(r.dispatched_at, r.accepted_at)')})"
            f"     OR ({within.format(col='r.rated_at')})"
            f"     OR ({within.format(col='r.resolved_at')})"
            " )"
            " SELECT gid,"
            "  count(*) FILTER (WHERE rec) AS received,"
            "  count(*) FILTER (WHERE rec AND status = 'cancelled') AS cancelled,"
            f"  count(*) FILTER (WHERE rec AND status IN {_in(_FINISHED)}"
            "                   AND resolved_at IS NOT NULL) AS resolved,"
            "  count(*) FILTER (WHERE dis AND (accepted_at IS NOT NULL OR accept_due_at IS NULL"
            "    OR accept_due_at <= :now)) AS dispatched,"
            "  count(*) FILTER (WHERE dis AND accepted_at IS NOT NULL"
            "    AND (accept_due_at IS NULL OR accepted_at <= accept_due_at)) AS accepted_in_time,"
            f"  count(*) FILTER (WHERE rat AND rating IN {_in(_RATED)}) AS rated,"
            f"  count(*) FILTER (WHERE rat AND rating IN {_in(_GOOD)}) AS satisfied,"
            "  count(*) FILTER (WHERE rec AND is_opinion) AS opinions,"
            f"  count(*) FILTER (WHERE sol AND status IN {_in(_FINISHED)}) AS solved"
            " FROM x GROUP BY gid"
        )
        found = {
            int(r["gid"]): Counts.model_validate(dict(r))
            for r in await self.tx.fetchall(sql, params)
        }
        return {u.id: found.get(u.id, Counts()) for u in units}

    async def received_by_kind(
        self, unit: OrgUnit, start: datetime, end: datetime
    ) -> list[tuple[Tier, int, int]]:
        """(tier, category id, count) of the requests received in [start, end)."""
        lo, hi = subtree_range(unit)
        rows = await self.tx.fetchall(
            f"SELECT r.tier, r.category_id, count(*) FROM requests r WHERE {_SCOPE}"
            f" AND {_RECEIVED} GROUP BY r.tier, r.category_id",
            {"lo": lo, "hi": hi, "start": ts(start), "end": ts(end)},
        )
        return [(Tier(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def open_now(
        self, unit: OrgUnit, now: datetime, statuses: frozenset[Status]
    ) -> tuple[int, int]:
        """(open, overdue) now: still open, and of those, past their accept deadline while
        unaccepted or past their resolve deadline (as the admin queue's overdue filter)."""
        lo, hi = subtree_range(unit)
        marks = ", ".join(f":s{n}" for n in range(len(statuses)))
        params: dict[str, Any] = {"lo": lo, "hi": hi, "now": ts(now)}
        params.update({f"s{n}": s.value for n, s in enumerate(sorted(statuses))})
        row = await self.tx.fetchone(
            "SELECT count(*), count(*) FILTER (WHERE (r.accepted_at IS NULL"
            " AND r.accept_due_at < :now) OR r.resolve_due_at < :now)"
            f" FROM requests r WHERE {_SCOPE} AND r.status IN ({marks})",
            params,
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def durations(self, unit: OrgUnit, start: datetime, end: datetime) -> Durations:
        """From filing to acceptance and to resolution, for the requests received in
        [start, end) and not cancelled."""
        lo, hi = subtree_range(unit)
        rows = await self.tx.fetchall(
            "SELECT r.created_at, r.accepted_at,"
            f" CASE WHEN r.status IN {_in(_FINISHED)} THEN r.resolved_at END"
            f" FROM requests r WHERE {_SCOPE} AND {_RECEIVED} AND r.status != 'cancelled'"
            " AND (r.accepted_at IS NOT NULL OR r.resolved_at IS NOT NULL)",
            {"lo": lo, "hi": hi, "start": ts(start), "end": ts(end)},
        )
        accept = [s for r in rows if (s := _span(r[0], r[1])) is not None]
        resolve = [s for r in rows if (s := _span(r[0], r[2])) is not None]
        return Durations(accept=accept, resolve=resolve)

    async def received_per_bucket(
        self, unit: OrgUnit, buckets: list[tuple[datetime, datetime]]
    ) -> list[int]:
        """Requests received in each [start, end) bucket, in order (one query)."""
        if not buckets:
            return []
        lo, hi = subtree_range(unit)
        params: dict[str, Any] = {
            "lo": lo,
            "hi": hi,
            "first": ts(min(start for start, _ in buckets)),
            "last": ts(max(end for _, end in buckets)),
        }
        counts = []
        for n, (start, end) in enumerate(buckets):
            params[f"b{n}"], params[f"e{n}"] = ts(start), ts(end)
            counts.append(
                f"count(*) FILTER (WHERE r.created_at >= :b{n} AND r.created_at < :e{n})"
            )
        row = await self.tx.fetchone(
            f"SELECT {', '.join(counts)} FROM requests r WHERE {_SCOPE}"
            " AND r.created_at >= :first AND r.created_at < :last",
            params,
        )
        assert row is not None
        return [int(value) for value in row]

    async def received_by_compound(
        self, unit: OrgUnit, start: datetime, end: datetime
    ) -> dict[int, int]:
        """Requests received in [start, end) per compound of the unit's subtree."""
        lo, hi = subtree_range(unit)
        rows = await self.tx.fetchall(
            f"SELECT r.compound_id, count(*) FROM requests r WHERE {_SCOPE} AND {_RECEIVED}"
            " GROUP BY r.compound_id",
            {"lo": lo, "hi": hi, "start": ts(start), "end": ts(end)},
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def residents_visited(self, unit: OrgUnit, start: datetime, end: datetime) -> int:
        """Residents contacted on household visits (走访) in [start, end); 0 without visits."""
        if not await self.has_table("visits"):
            return 0
        lo, hi = subtree_range(unit)
        value = await self.tx.fetchval(
            "SELECT coalesce(sum(v.people), 0) FROM visits v WHERE v.compound_id IN"
            " (SELECT id FROM org_units WHERE path >= :lo AND path < :hi)"
            " AND v.visited_at >= :start AND v.visited_at < :end",
            {"lo": lo, "hi": hi, "start": ts(start), "end": ts(end)},
        )
        return int(value or 0)

    async def export_rows(self, unit: OrgUnit, start: datetime, end: datetime) -> list[ExportRow]:
        """The requests received in [start, end), oldest first, with their names."""
        lo, hi = subtree_range(unit)
        rows = await self.tx.fetchall(
            "SELECT r.id, r.number, r.status, r.tier, r.rating, r.created_at, r.triaged_at,"
            " r.dispatched_at, r.accepted_at, r.resolved_at, r.closed_at,"
            " c.name AS category_name, c.name_en AS category_name_en,"
            " u.name AS compound_name, u.name_en AS compound_name_en,"
            " p.name AS community_name, p.name_en AS community_name_en,"
            " coalesce(m.real_name, a.display_name) AS assignee_name,"
            " r.description, r.address, r.rating_comment"
            " FROM requests r JOIN org_units u ON u.id = r.compound_id"
            " LEFT JOIN org_units p ON p.id = u.parent_id"
            " JOIN categories c ON c.id = r.category_id"
            " LEFT JOIN people a ON a.id = r.assignee_id"
            " LEFT JOIN members m ON m.person_id = r.assignee_id"
            f" WHERE u.path >= :lo AND u.path < :hi AND {_RECEIVED}"
            " ORDER BY r.created_at, r.id",
            {"lo": lo, "hi": hi, "start": ts(start), "end": ts(end)},
        )
        return [ExportRow.model_validate(dict(r)) for r in rows]

    async def first_day(self, unit: OrgUnit) -> datetime | None:
        """When the first thing in the unit's subtree was recorded (a request filed, a visit,
        an activity): where "since the start" starts."""
        lo, hi = subtree_range(unit)
        params = {"lo": lo, "hi": hi}
        found = [
            await self.tx.fetchval(
                f"SELECT min(r.created_at) FROM requests r WHERE {_SCOPE}", params
            ),
            await self.tx.fetchval(
                "SELECT min(v.visited_at) FROM visits v WHERE v.compound_id IN"
                " (SELECT id FROM org_units WHERE path >= :lo AND path < :hi)",
                params,
            ),
            await self.tx.fetchval(
                "SELECT min(a.starts_at) FROM activities a WHERE a.unit_id IN"
                " (SELECT id FROM org_units WHERE path >= :lo AND path < :hi)",
                params,
            ),
        ]
        stamps = [_moment(value) for value in found if value is not None]
        return min(stamps, default=None)

    async def teams(
        self, unit: OrgUnit, start: datetime, end: datetime
    ) -> dict[int, tuple[int, int, int, int]]:
        """Per service team, its orders received in [start, end): (orders, done, rated,
        satisfied)."""
        lo, hi = subtree_range(unit)
        rows = await self.tx.fetchall(
            "SELECT r.service_team_id, count(*),"
            f" SUM(CASE WHEN r.status IN {_in(_FINISHED)} AND r.resolved_at IS NOT NULL"
            " THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN r.rating IN {_in(_RATED)} THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN r.rating IN {_in(_GOOD)} THEN 1 ELSE 0 END)"
            f" FROM requests r WHERE {_SCOPE} AND {_RECEIVED}"
            " AND r.service_team_id IS NOT NULL GROUP BY r.service_team_id",
            {"lo": lo, "hi": hi, "start": ts(start), "end": ts(end)},
        )
        return {int(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


def _moment(value: Any) -> datetime:
    """A stored time as an aware datetime (text on SQLite; a datetime from PostgreSQL)."""
    return value if isinstance(value, datetime) else from_ts(str(value))
