"""Volunteer activities (志愿服务活动), their sign-ups, check-ins and hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import MemberType, OrgUnit
from bot.models.activities import (
    Activity,
    ActivityState,
    Attendance,
    Audience,
    CheckinMethod,
    Feedback,
    Signup,
    SignupState,
)
from bot.models.points import RankRow
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["ActivitiesRepo"]

_COLS = (
    "id, title, description, unit_id, team_id, station_id, address, latitude, longitude,"
    " starts_at, ends_at, capacity, audience, organiser_id, state, secret, invited, created_at,"
    " finished_at"
)
_A_COLS = ", ".join("a." + c.strip() for c in _COLS.split(","))
_SIGNUP_COLS = (
    "activity_id, person_id, state, queued_at, checked_in_at, checkin_method, hours, feedback"
)
# The name an organiser sees on the roll: the member's real name, else the Telegram name.
_NAME = "COALESCE(m.real_name, p.display_name)"
_PARTY = (MemberType.IN_SERVICE.value, MemberType.UNEMPLOYED_OR_RETIRED.value)


def _activity(row: Any) -> Activity:
    return Activity.model_validate(dict(row))


def _signup(row: Any) -> Signup:
    return Signup.model_validate(dict(row))


def _in(units: Sequence[OrgUnit], column: str) -> tuple[str, list[object]]:
    """``column`` (a unit path) lies in one of ``units``."""
    where = " OR ".join(f"substr({column}, 1, ?) = ?" for _ in units)
    return f"({where})", [p for unit in units for p in (len(unit.path), unit.path)]


class ActivitiesRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- activities ----------------------------------------------------------------------
    async def create(
        self,
        *,
        title: str,
        description: str,
        unit_id: int,
        team_id: int | None,
        station_id: int | None,
        address: str | None,
        latitude: float | None,
        longitude: float | None,
        starts_at: datetime,
        ends_at: datetime,
        capacity: int,
        audience: Sequence[Audience],
        organiser_id: int | None,
        secret: str,
        source_key: str | None,
        now: datetime,
    ) -> Activity:
        activity_id = await self.tx.insert(
            "INSERT INTO activities (title, description, unit_id, team_id, station_id, address,"
            " latitude, longitude, starts_at, ends_at, capacity, audience, organiser_id, secret,"
            " source_key, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                description,
                unit_id,
                team_id,
                station_id,
                address,
                latitude,
                longitude,
                ts(starts_at),
                ts(ends_at),
                capacity,
                ",".join(a.value for a in audience),
                organiser_id,
                secret,
                source_key,
                ts(now),
                ts(now),
            ),
        )
        created = await self.get(activity_id)
        assert created is not None
        return created

    async def get(self, activity_id: int) -> Activity | None:
        row = await self.tx.fetchone(
            f"SELECT {_COLS} FROM activities WHERE id = ?", (activity_id,)
        )
        return None if row is None else _activity(row)

    async def by_source(self, source_key: str) -> Activity | None:
        row = await self.tx.fetchone(
            f"SELECT {_COLS} FROM activities WHERE source_key = ?", (source_key,)
        )
        return None if row is None else _activity(row)

    async def hold(self, activity_id: int, now: datetime) -> Activity | None:
        """The activity, locked for this transaction: concurrent sign-ups to one activity
        queue here, so the capacity holds on every store (an UPDATE takes the row lock on
        PostgreSQL; SQLite's write transactions are exclusive anyway)."""
        await self.tx.execute(
            "UPDATE activities SET updated_at = ? WHERE id = ?", (ts(now), activity_id)
        )
        return await self.get(activity_id)

    async def set_invited(self, activity_id: int, count: int) -> None:
        await self.tx.execute(
            "UPDATE activities SET invited = ? WHERE id = ?", (count, activity_id)
        )

    async def set_state(
        self, activity_id: int, current: ActivityState, target: ActivityState, now: datetime
    ) -> bool:
        """Move the activity from ``current`` to ``target``; False if it was not in
        ``current`` (someone else moved it first)."""
        stamp = ", finished_at = ?" if target is ActivityState.FINISHED else ""
        params: list[object] = [target.value, ts(now)]
        if stamp:
            params.append(ts(now))
        changed = await self.tx.execute(
            f"UPDATE activities SET state = ?, updated_at = ?{stamp} WHERE id = ? AND state = ?",
            [*params, activity_id, current.value],
        )
        return changed == 1

    async def upcoming(
        self,
        *,
        now: datetime,
        units: Sequence[OrgUnit] = (),
        station_id: int | None = None,
        limit: int = 10,
    ) -> list[Activity]:
        """Published activities not yet over, soonest first: of a station, or for people in
        ``units`` (an activity of a unit is for everyone below it: an activity of the community
        is shown to its compounds)."""
        sql = f"SELECT {_A_COLS} FROM activities a"
        params: list[object] = []
        if station_id is not None:
            sql += " WHERE a.station_id = ?"
            params.append(station_id)
        else:
            # The activity's unit is one of the units or above them.
            sql += " JOIN org_units u ON u.id = a.unit_id WHERE ("
            sql += " OR ".join("substr(?, 1, length(u.path)) = u.path" for _ in units) or "FALSE"
            sql += ")"
            params += [unit.path for unit in units]
        sql += " AND a.state = 'published' AND a.ends_at > ? ORDER BY a.starts_at, a.id LIMIT ?"
        rows = await self.tx.fetchall(sql, [*params, ts(now), limit])
        return [_activity(r) for r in rows]

    async def organised(
        self, units: Sequence[OrgUnit], organiser_id: int, *, since: datetime, limit: int = 20
    ) -> list[Activity]:
        """Activities the person organises, or of the units they run, ending after ``since``."""
        where, params = _in(units, "u.path") if units else ("FALSE", [])
        rows = await self.tx.fetchall(
            f"SELECT {_A_COLS} FROM activities a JOIN org_units u ON u.id = a.unit_id"
            f" WHERE (a.organiser_id = ? OR {where}) AND a.ends_at > ?"
            " AND a.state != 'cancelled' ORDER BY a.starts_at, a.id LIMIT ?",
            [organiser_id, *params, ts(since), limit],
        )
        return [_activity(r) for r in rows]

    async def of_person(self, person_id: int, *, since: datetime) -> list[Activity]:
        """Activities the person signed up for or waits for, ending after ``since``."""
        rows = await self.tx.fetchall(
            f"SELECT {_A_COLS} FROM activities a JOIN activity_signups s ON s.activity_id = a.id"
            " WHERE s.person_id = ? AND s.state IN ('signed', 'waiting') AND a.ends_at > ?"
            " AND a.state = 'published' ORDER BY a.starts_at, a.id",
            (person_id, ts(since)),
        )
        return [_activity(r) for r in rows]

    # -- who is invited --------------------------------------------------------------------
    def _audience_sql(
        self, unit: OrgUnit, audience: Sequence[Audience]
    ) -> tuple[str, list[object]]:
        """People of ``unit``'s subtree in ``audience``, reachable: a query of person ids."""
        parts: list[str] = []
        params: list[object] = []
        kinds: list[str] = []
        if Audience.MEMBERS in audience:
            kinds += _PARTY
        if Audience.VOLUNTEERS in audience:
            kinds.append(MemberType.VOLUNTEER.value)
        if kinds:
            parts.append(
                "SELECT m.person_id FROM members m JOIN org_units u ON u.id = m.compound_id"
                " WHERE substr(u.path, 1, ?) = ? AND m.status = 'approved'"
                f" AND m.member_type IN ({','.join('?' * len(kinds))})"
            )
            params += [len(unit.path), unit.path, *kinds]
        if Audience.RESIDENTS in audience:
            parts.append(
                "SELECT p.id FROM people p JOIN org_units u ON u.id = p.home_unit_id"
                " WHERE substr(u.path, 1, ?) = ?"
            )
            params += [len(unit.path), unit.path]
        if not parts:
            return "SELECT id FROM people WHERE FALSE", []
        return " UNION ".join(parts), params

    async def audience(self, unit: OrgUnit, audience: Sequence[Audience]) -> list[int]:
        """The person ids an activity of ``unit`` for ``audience`` is sent to."""
        sql, params = self._audience_sql(unit, audience)
        rows = await self.tx.fetchall(
            f"SELECT p.id FROM people p WHERE p.id IN ({sql}) AND NOT p.unreachable ORDER BY p.id",
            params,
        )
        return [int(r[0]) for r in rows]

    async def in_audience(
        self, unit: OrgUnit, audience: Sequence[Audience], person_id: int
    ) -> bool:
        sql, params = self._audience_sql(unit, audience)
        found = await self.tx.fetchval(
            f"SELECT 1 FROM people p WHERE p.id = ? AND p.id IN ({sql})", [person_id, *params]
        )
        return found is not None

    # -- sign-ups --------------------------------------------------------------------------
    async def signup(self, activity_id: int, person_id: int) -> Signup | None:
        row = await self.tx.fetchone(
            f"SELECT {_SIGNUP_COLS} FROM activity_signups WHERE activity_id = ? AND person_id = ?",
            (activity_id, person_id),
        )
        return None if row is None else _signup(row)

    async def put_signup(
        self, activity_id: int, person_id: int, state: SignupState, now: datetime
    ) -> Signup:
        """Sign up or join the waiting list (again): a new place in the queue."""
        await self.tx.execute(
            "INSERT INTO activity_signups (activity_id, person_id, state, queued_at, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id, person_id)"
            " DO UPDATE SET state = excluded.state, queued_at = excluded.queued_at,"
            " updated_at = excluded.updated_at",
            (activity_id, person_id, state.value, ts(now), ts(now), ts(now)),
        )
        found = await self.signup(activity_id, person_id)
        assert found is not None
        return found

    async def set_signup_state(
        self,
        activity_id: int,
        person_id: int,
        current: SignupState,
        target: SignupState,
        now: datetime,
    ) -> bool:
        changed = await self.tx.execute(
            "UPDATE activity_signups SET state = ?, updated_at = ?"
            " WHERE activity_id = ? AND person_id = ? AND state = ?",
            (target.value, ts(now), activity_id, person_id, current.value),
        )
        return changed == 1

    async def counts(self, activity_id: int) -> dict[SignupState, int]:
        rows = await self.tx.fetchall(
            "SELECT state, count(*) FROM activity_signups WHERE activity_id = ? GROUP BY state",
            (activity_id,),
        )
        found = {SignupState(r[0]): int(r[1]) for r in rows}
        return {state: found.get(state, 0) for state in SignupState}

    async def attended_count(self, activity_id: int) -> int:
        return int(
            await self.tx.fetchval(
                "SELECT count(*) FROM activity_signups WHERE activity_id = ?"
                " AND checked_in_at IS NOT NULL",
                (activity_id,),
            )
        )

    async def first_waiting(self, activity_id: int) -> Signup | None:
        row = await self.tx.fetchone(
            f"SELECT {_SIGNUP_COLS} FROM activity_signups WHERE activity_id = ?"
            " AND state = 'waiting' ORDER BY queued_at, person_id LIMIT 1",
            (activity_id,),
        )
        return None if row is None else _signup(row)

    async def position(self, activity_id: int, signup: Signup) -> int:
        """A waiting sign-up's place in the queue, from 1."""
        ahead = await self.tx.fetchval(
            "SELECT count(*) FROM activity_signups WHERE activity_id = ? AND state = 'waiting'"
            " AND (queued_at < ? OR (queued_at = ? AND person_id < ?))",
            (activity_id, ts(signup.queued_at), ts(signup.queued_at), signup.person_id),
        )
        return int(ahead) + 1

    async def signups(
        self, activity_id: int, states: Sequence[SignupState] = (SignupState.SIGNED,)
    ) -> list[Signup]:
        rows = await self.tx.fetchall(
            f"SELECT {_SIGNUP_COLS} FROM activity_signups WHERE activity_id = ?"
            f" AND state IN ({','.join('?' * len(states))}) ORDER BY queued_at, person_id",
            (activity_id, *(s.value for s in states)),
        )
        return [_signup(r) for r in rows]

    async def roll(self, activity_id: int) -> list[Attendance]:
        """Who signed up (and who came without signing up), by name, for the roll call."""
        rows = await self.tx.fetchall(
            f"SELECT s.person_id, {_NAME} AS name, s.state, s.checked_in_at, s.checkin_method"
            " FROM activity_signups s JOIN people p ON p.id = s.person_id"
            " LEFT JOIN members m ON m.person_id = s.person_id"
            " WHERE s.activity_id = ? AND (s.state = 'signed' OR s.checked_in_at IS NOT NULL)"
            " ORDER BY s.queued_at, s.person_id",
            (activity_id,),
        )
        return [
            Attendance(
                person_id=int(r[0]),
                name=str(r[1] or ""),
                state=SignupState(r[2]),
                checked_in=r[3] is not None,
                method=None if r[4] is None else CheckinMethod(r[4]),
            )
            for r in rows
        ]

    async def check_in(
        self,
        activity_id: int,
        person_id: int,
        method: CheckinMethod,
        by: int | None,
        now: datetime,
    ) -> bool:
        """Record the person as present; False when they already were."""
        changed = await self.tx.execute(
            "UPDATE activity_signups SET checked_in_at = ?, checkin_method = ?,"
            " checked_in_by = ?, updated_at = ? WHERE activity_id = ? AND person_id = ?"
            " AND checked_in_at IS NULL",
            (ts(now), method.value, by, ts(now), activity_id, person_id),
        )
        return changed == 1

    async def undo_check_in(self, activity_id: int, person_id: int, now: datetime) -> bool:
        """The organiser takes a roll-call tick back."""
        changed = await self.tx.execute(
            "UPDATE activity_signups SET checked_in_at = NULL, checkin_method = NULL,"
            " checked_in_by = NULL, updated_at = ? WHERE activity_id = ? AND person_id = ?"
            " AND checked_in_at IS NOT NULL",
            (ts(now), activity_id, person_id),
        )
        return changed == 1

    async def credit_hours(self, activity_id: int, hours: float, now: datetime) -> list[int]:
        """Give ``hours`` to everyone checked in; return their person ids."""
        rows = await self.tx.fetchall(
            "UPDATE activity_signups SET hours = ?, updated_at = ?"
            " WHERE activity_id = ? AND checked_in_at IS NOT NULL RETURNING person_id",
            (hours, ts(now), activity_id),
        )
        return sorted(int(r[0]) for r in rows)

    async def set_feedback(
        self, activity_id: int, person_id: int, feedback: Feedback, now: datetime
    ) -> bool:
        changed = await self.tx.execute(
            "UPDATE activity_signups SET feedback = ?, updated_at = ?"
            " WHERE activity_id = ? AND person_id = ? AND checked_in_at IS NOT NULL",
            (feedback.value, ts(now), activity_id, person_id),
        )
        return changed == 1

    # -- figures -------------------------------------------------------------------------
    async def hours_of(self, person_id: int, since: datetime) -> float:
        """The person's volunteer hours of activities finished since ``since``."""
        value = await self.tx.fetchval(
            "SELECT COALESCE(SUM(s.hours), 0) FROM activity_signups s"
            " JOIN activities a ON a.id = s.activity_id"
            " WHERE s.person_id = ? AND a.state = 'finished' AND a.finished_at >= ?",
            (person_id, ts(since)),
        )
        return float(value or 0)

    async def finished_with_attendees(self, unit: OrgUnit, start: datetime, end: datetime) -> int:
        """Activities of the unit's subtree that finished in [start, end) with at least one
        person checked in (the article's 志愿服务活动)."""
        return int(
            await self.tx.fetchval(
                "SELECT count(*) FROM activities a JOIN org_units u ON u.id = a.unit_id"
                " WHERE a.state = 'finished' AND a.finished_at >= ? AND a.finished_at < ?"
                " AND substr(u.path, 1, ?) = ? AND EXISTS (SELECT 1 FROM activity_signups s"
                " WHERE s.activity_id = a.id AND s.checked_in_at IS NOT NULL)",
                (ts(start), ts(end), len(unit.path), unit.path),
            )
        )

    async def ranking(
        self, community: OrgUnit, start: datetime, end: datetime, limit: int = 10
    ) -> list[RankRow]:
        """Volunteers living in the community, by hours of activities finished in
        [start, end), most first."""
        rows = await self.tx.fetchall(
            f"SELECT s.person_id, {_NAME} AS name, SUM(s.hours) AS hours, count(*) AS n"
            " FROM activity_signups s JOIN activities a ON a.id = s.activity_id"
            " JOIN people p ON p.id = s.person_id LEFT JOIN members m ON m.person_id = p.id"
            " JOIN org_units u ON u.id = COALESCE(m.compound_id, p.home_unit_id)"
            " WHERE a.state = 'finished' AND a.finished_at >= ? AND a.finished_at < ?"
            " AND s.hours > 0 AND substr(u.path, 1, ?) = ?"
            f" GROUP BY s.person_id, {_NAME} ORDER BY hours DESC, n DESC, s.person_id LIMIT ?",
            (ts(start), ts(end), len(community.path), community.path, limit),
        )
        return [
            RankRow(
                rank=i,
                person_id=int(r[0]),
                name=str(r[1] or ""),
                hours=float(r[2]),
                activities=int(r[3]),
            )
            for i, r in enumerate(rows, 1)
        ]
