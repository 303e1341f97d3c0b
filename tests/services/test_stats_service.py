"""三率 statistics checked against a hand-computed fixture (every definition), periods in local
time, the ranking, and the permission checks with their audit rows.

(Named ``test_stats_service`` like ``test_broadcast_service``: ``tests/handlers/test_stats.py``
has the plain name, and test files need unique basenames here.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from auxil.harness import EXAMPLE_ORG

from bot.clock import FakeClock
from bot.config import load_config
from bot.errors import InvalidInput, NotAllowed
from bot.lifecycle import Status
from bot.models import Rating, Role, Tier
from bot.models.stats import Period, PeriodKind, Rate
from bot.services.orgimport import OrgImporter
from bot.services.people import Actor
from bot.services.stats import StatsService, decode_period, parse_period, period_of
from storage.db import Database
from storage.repos.stats import subtree_range

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=TZ)  # Thursday 11:00 in Zhaoqing
S = Status


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@dataclass
class World:
    db: Database
    clock: FakeClock
    service: StatsService
    units: dict[str, int]
    categories: dict[str, int]
    resident: int
    helper: int

    async def request(
        self,
        number: str,
        compound: str,
        category: str,
        tier: Tier,
        created: datetime,
        steps: list[tuple[Status, datetime, dict[str, Any]]],
        **due: datetime,
    ) -> int:
        """A request filed at ``created`` that then goes through ``steps`` (status, time,
        fields), each a real conditional status change stamped by the fake clock."""
        self.clock.set(created)
        async with self.db.transaction() as tx:
            request = await tx.requests.create(
                number=number,
                source_key=None,
                resident_id=self.resident,
                contact_name="Res",
                contact_phone=None,
                anonymous=False,
                compound_id=self.units[compound],
                category_id=self.categories[category],
                tier=tier,
                description=number,
                address=None,
                latitude=None,
                longitude=None,
                now=self.clock.now(),
            )
            if due:
                await tx.requests.set_fields(request.id, self.clock.now(), **due)
            current = S.SUBMITTED
            for target, when, fields in steps:
                self.clock.set(when)
                assert await tx.requests.change_status(
                    request.id, current, target, self.clock.now(), **fields
                )
                current = target
        return request.id

    async def visit(self, compound: str, people: int, when: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.visits.add(
                person_id=self.helper,
                compound_id=self.units[compound],
                households=1,
                people=people,
                note=None,
                opinion_request_id=None,
                visited_at=when,
                now=when,
            )

    async def actor(self, telegram_id: int, *units: str) -> Actor:
        """A person holding the admin role at ``units`` (none: a resident)."""
        async with self.db.transaction() as tx:
            person = await tx.people.create(
                telegram_id=telegram_id,
                display_name=f"p{telegram_id}",
                username=None,
                language="zh_CN",
                now=self.clock.now(),
            )
            role_units = units or ("XHHY",)
            role = Role.ADMIN if units else Role.RESIDENT
            for code in role_units:
                await tx.people.grant(person.id, role, self.units[code], by=None, now=NOW)
            grants = await tx.people.grants(person.id)
        return Actor(person, tuple(grants))


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    clock = FakeClock(NOW.astimezone(UTC))
    await OrgImporter(db, clock).import_file(EXAMPLE_ORG)
    async with db.transaction() as tx:
        units = {u.code: u.id for u in await tx.org.all_units()}
        categories = {c.code: c.id for c in await tx.requests.categories(active_only=False)}
        resident = await tx.people.create(
            telegram_id=1, display_name="Res", username=None, language=None, now=clock.now()
        )
        helper = await tx.people.create(
            telegram_id=2, display_name="Helper", username=None, language=None, now=clock.now()
        )
    config = load_config(None, storage={"url": db.url})
    w = World(
        db, clock, StatsService(db, clock, config), units, categories, resident.id, helper.id
    )
    await build(w)
    clock.set(NOW.astimezone(UTC))
    yield w


async def build(w: World) -> None:
    """The fixture, by hand (伴月社区 BY = 星荷豪苑 XHHY + 龙马街小区 LMJ; 出头社区 CT is
    BY's sibling in 城西街道 CX; 星湖社区 HJXQ is in the other street)."""
    h = timedelta(hours=1)
    done = {"assignee_id": w.helper}
    # R1 XHHY: filed just after local midnight on 1 Nov; accepted LATE (5 h, due after 4 h);
    # resolved after 24 h; closed satisfied.
    t = local(11, 1, 0, 30)
    await w.request(
        "R1", "XHHY", "property", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}), (S.ACCEPTED, t + 5 * h, done),
         (S.RESOLVED, t + 24 * h, {}),
         (S.CLOSED, t + 26 * h, {"rating": Rating.SATISFIED, "rated_at": t + 26 * h})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 7 * 24 * h,
    )  # fmt: skip
    # R2 XHHY urgent: accepted IN TIME (20 min of 30); resolved after 4 h; closed basic.
    t = local(11, 10, 9)
    await w.request(
        "R2", "XHHY", "environment", Tier.URGENT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}),
         (S.ACCEPTED, t + timedelta(minutes=20), done), (S.RESOLVED, t + 4 * h, {}),
         (S.CLOSED, t + 5 * h, {"rating": Rating.BASIC, "rated_at": t + 5 * h})],
        accept_due_at=t + timedelta(minutes=30), resolve_due_at=t + 24 * h,
    )  # fmt: skip
    # R3 XHHY: dispatched, then CANCELLED by the resident before anyone took it.
    t = local(11, 12, 8)
    await w.request(
        "R3", "XHHY", "property", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}), (S.CANCELLED, t + h, {})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 7 * 24 * h,
    )  # fmt: skip
    # R4 XHHY difficult: accepted in time (1 h); resolved; rated UNSATISFIED: reopened (redo),
    # so not resolved any more; its resolve deadline is far away.
    t = local(11, 14, 10)
    await w.request(
        "R4", "XHHY", "legal", Tier.DIFFICULT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}), (S.ACCEPTED, t + h, done),
         (S.RESOLVED, t + 24 * h, {}),
         (S.REOPENED, t + 26 * h, {"rating": Rating.UNSATISFIED, "rated_at": t + 26 * h})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 30 * 24 * h,
    )  # fmt: skip
    # R5 XHHY: accepted in time (2 h); resolved after 30 h; closed NOT RATED (no rated_at).
    t = local(11, 16, 10)
    await w.request(
        "R5", "XHHY", "property", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}), (S.ACCEPTED, t + 2 * h, done),
         (S.RESOLVED, t + 30 * h, {}),
         (S.CLOSED, t + 4 * 24 * h, {"rating": Rating.NOT_RATED})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 7 * 24 * h,
    )  # fmt: skip
    # R6 XHHY OPINION: never dispatched; the community settles it after 26 h (resolved).
    t = local(11, 18, 10)
    await w.request(
        "R6", "XHHY", "opinion", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.RESOLVED, t + 26 * h, {})],
    )  # fmt: skip
    # R7 LMJ urgent: dispatched, nobody accepted: open and OVERDUE (accept due 09:30 yesterday).
    t = local(11, 25, 9)
    await w.request(
        "R7", "LMJ", "safety", Tier.URGENT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {})],
        accept_due_at=t + timedelta(minutes=30), resolve_due_at=t + 24 * h,
    )  # fmt: skip
    # R8 LMJ: filed this morning, waiting for a helper: open, not overdue (due 13:00).
    t = local(11, 26, 9)
    await w.request(
        "R8", "LMJ", "other", Tier.IMPORTANT, t, [(S.TRIAGED, t, {})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 7 * 24 * h,
    )  # fmt: skip
    # -- outside the period (October), inside the scope ----------------------------------
    # R9: filed and resolved in October, RATED satisfied on 1 November: counts as rated.
    t = local(10, 20, 10)
    await w.request(
        "R9", "XHHY", "property", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}), (S.ACCEPTED, t + h, done),
         (S.RESOLVED, local(10, 31, 10), {}),
         (S.CLOSED, local(11, 1, 10), {"rating": Rating.SATISFIED, "rated_at": local(11, 1, 10)})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 30 * 24 * h,
    )  # fmt: skip
    # R10: dispatched in October, accepted on 1 November, still in progress: open, OVERDUE
    # (resolve due 4 Nov); not received nor dispatched in November.
    t = local(10, 28, 10)
    await w.request(
        "R10", "XHHY", "environment", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}), (S.ACCEPTED, local(11, 1, 9), done),
         (S.IN_PROGRESS, local(11, 1, 10), {})],
        accept_due_at=t + 4 * h, resolve_due_at=local(11, 4, 10),
    )  # fmt: skip
    # R13: 31 October 23:30 local (15:30 UTC): October, though UTC-wise "the 31st" too.
    t = local(10, 31, 23, 30)
    await w.request(
        "R13", "XHHY", "other", Tier.IMPORTANT, t, [(S.CANCELLED, t + timedelta(minutes=10), {})]
    )  # fmt: skip
    # -- outside the scope of BY -----------------------------------------------------------
    # R11 出头社区 (same street): perfect: accepted in time, resolved, closed satisfied.
    t = local(11, 5, 10)
    await w.request(
        "R11", "CTXC", "property", Tier.IMPORTANT, t,
        [(S.TRIAGED, t, {}), (S.DISPATCHED, t, {}),
         (S.ACCEPTED, t + timedelta(minutes=30), done), (S.RESOLVED, t + 24 * h, {}),
         (S.CLOSED, t + 25 * h, {"rating": Rating.SATISFIED, "rated_at": t + 25 * h})],
        accept_due_at=t + 4 * h, resolve_due_at=t + 7 * 24 * h,
    )  # fmt: skip
    # R12 星湖社区 (the other street): only filed.
    await w.request("R12", "HJXQ", "property", Tier.URGENT, local(11, 5, 11), [])
    # Household visits: 12 + 3 residents in BY in November; not October's, not CT's.
    await w.visit("XHHY", 12, local(11, 5, 15))
    await w.visit("LMJ", 3, local(11, 20, 15))
    await w.visit("XHHY", 7, local(10, 30, 15))
    await w.visit("CTXC", 9, local(11, 6, 15))


THIS_MONTH = Period(PeriodKind.MONTH, date(2026, 11, 1), date(2026, 11, 26))


async def test_every_figure_of_a_community(world: World) -> None:
    admin = await world.actor(9001, "BY")
    stats = await world.service.stats(admin, world.units["BY"], world.service.period())
    assert stats.period == THIS_MONTH
    assert stats.unit.code == "BY" and [u.code for u in stats.path] == ["DZ", "CX", "BY"]
    c = stats.totals.counts
    assert (c.received, c.cancelled) == (8, 1)  # R1-R8
    assert stats.by_tier == {Tier.URGENT: 2, Tier.IMPORTANT: 5, Tier.DIFFICULT: 1}
    assert [(cat.code, n) for cat, n in stats.by_category] == [
        ("property", 3),  # R1 R3 R5, then by the categories' order
        ("safety", 1),
        ("environment", 1),
        ("legal", 1),
        ("opinion", 1),
        ("other", 1),
    ]
    assert (stats.open_now, stats.overdue_now) == (4, 2)  # R4 R7 R8 R10; R7 and R10
    # 响应率: dispatched in November R1 R2 R3 R4 R5 R7; in time R2 R4 R5.
    assert stats.totals.response == Rate(3, 6)
    assert stats.totals.response.value == Fraction(1, 2)
    # 解决率: received and not cancelled 7; resolved R1 R2 R5 (closed) and R6 (resolved).
    assert stats.totals.resolution == Rate(4, 7)
    assert stats.totals.resolution.value == Fraction(4, 7)
    # 满意率: rated in November R1 R2 R4 R9 (not R5: not rated); satisfied or basic R1 R2 R9.
    assert stats.totals.satisfaction == Rate(3, 4)
    assert stats.totals.satisfaction.value == Fraction(3, 4)
    # Accept: R2 20 min, R4 1 h, R5 2 h, R1 5 h. Resolve: R2 4 h, R1 24 h, R6 26 h, R5 30 h.
    assert stats.median_accept == timedelta(hours=1, minutes=30)
    assert stats.median_resolve == timedelta(hours=25)
    assert stats.residents_visited == 15
    assert stats.opinions == 1
    assert stats.micro_matters == 4  # resolved in November: R1 R2 R5 R6 (not R9, not R4)
    assert stats.volunteer_activities == 0
    assert stats.weekly == [
        (date(2026, 11, 1), 1),  # Sunday the 1st: R1 (00:30 local)
        (date(2026, 11, 2), 0),
        (date(2026, 11, 9), 3),
        (date(2026, 11, 16), 2),
        (date(2026, 11, 23), 2),
    ]
    # The compounds, best first: 星荷豪苑 (3/5, 4/5, 3/4) over 龙马街小区 (0/1, 0/2, none).
    assert [f.unit.code for f in stats.ranking] == ["XHHY", "LMJ"]
    xhhy, lmj = stats.ranking
    assert xhhy.rates == (Rate(3, 5), Rate(4, 5), Rate(3, 4))
    assert xhhy.score == Fraction(43, 60)
    assert lmj.rates == (Rate(0, 1), Rate(0, 2), Rate(0, 0))
    assert lmj.satisfaction.value is None and lmj.score == 0
    assert stats.up is None  # a community admin does not see the street


async def test_the_street_ranks_its_communities(world: World) -> None:
    admin = await world.actor(9002, "CX")
    stats = await world.service.stats(admin, world.units["CX"], THIS_MONTH)
    assert stats.totals.counts.received == 9  # BY's 8 and CT's R11, not 星湖's R12
    assert stats.totals.rates == (Rate(4, 7), Rate(5, 8), Rate(4, 5))
    # 出头社区 (all 1/1) ranks above 伴月社区 though it sorts after it.
    assert [f.unit.code for f in stats.ranking] == ["CT", "BY"]
    assert stats.ranking[1].score == Fraction(17, 28)  # (1/2 + 4/7 + 3/4) / 3
    assert stats.residents_visited == 24
    # Drilling down into a community of the street: with the way back up.
    below = await world.service.stats(admin, world.units["BY"], THIS_MONTH)
    assert below.totals.rates == (Rate(3, 6), Rate(4, 7), Rate(3, 4))
    assert below.up is not None and below.up.code == "CX"


async def test_a_compound_and_last_month_in_local_time(world: World) -> None:
    admin = await world.actor(9003, "BY")
    compound = await world.service.stats(admin, world.units["LMJ"], THIS_MONTH)
    assert compound.ranking == [] and compound.up is not None and compound.up.code == "BY"
    assert compound.totals.counts.received == 2 and compound.overdue_now == 1
    last = await world.service.stats(
        admin, world.units["BY"], world.service.period(PeriodKind.LAST_MONTH)
    )
    assert (last.period.first, last.period.last) == (date(2026, 10, 1), date(2026, 10, 31))
    # R9, R10 and R13 (23:30 local on the 31st, though 15:30 UTC).
    assert (last.received, last.totals.counts.cancelled) == (3, 1)
    assert last.totals.response == Rate(1, 2)  # R9 in time; R10 accepted late
    assert last.micro_matters == 1 and last.residents_visited == 7
    assert last.totals.satisfaction == Rate(0, 0)  # R9 was rated in November
    # Open now does not depend on the period.
    assert (last.open_now, last.overdue_now) == (4, 2)


async def test_empty_area_has_no_rates(world: World) -> None:
    admin = await world.actor(9004, "ZB")
    stats = await world.service.stats(admin, world.units["ZB"], THIS_MONTH)
    assert stats.received == 0
    assert [r.value for r in stats.totals.rates] == [None, None, None]
    assert stats.median_accept is None and stats.median_resolve is None
    assert all(f.score is None for f in stats.ranking)
    assert [f.unit.code for f in stats.ranking] == ["XNXQ", "ZQXQ", "TLSS", "DYXQ"]  # by sort


async def test_views_and_exports_are_audited(world: World) -> None:
    admin = await world.actor(9005, "BY")
    await world.service.stats(admin, world.units["XHHY"], THIS_MONTH)
    export = await world.service.export(admin, world.units["BY"], THIS_MONTH)
    assert [r.number for r in export.rows] == [f"R{n}" for n in range(1, 9)]
    assert export.stats.totals.counts.received == 8
    async with world.db.read() as tx:
        views = await tx.audit.latest(action="stats.view")
        exports = await tx.audit.latest(action="export")
    assert [(e.actor_id, e.subject, e.unit_id) for e in views] == [
        (admin.id, "unit:XHHY", world.units["XHHY"])
    ]
    assert views[0].after == {"period": "m", "from": "2026-11-01", "to": "2026-11-26"}
    assert exports[0].subject == "unit:BY" and exports[0].after is not None
    assert exports[0].after["rows"] == 8


async def test_refusals_are_audited(world: World) -> None:
    resident = await world.actor(9006)
    with pytest.raises(NotAllowed) as refused:
        await world.service.stats(resident, world.units["BY"], THIS_MONTH)
    assert refused.value.message == "Only administrators can see statistics."
    with pytest.raises(NotAllowed):
        await world.service.scopes(resident)
    other = await world.actor(9007, "XH")  # 星湖社区
    with pytest.raises(NotAllowed) as outside:
        await world.service.stats(other, world.units["BY"], THIS_MONTH)
    assert outside.value.message == "You can only see the statistics of your own area."
    community = await world.actor(9008, "BY")
    with pytest.raises(NotAllowed):
        await world.service.export(community, world.units["CX"], THIS_MONTH)  # the street above
    async with world.db.read() as tx:
        refusals = await tx.audit.latest(action="stats.view.refused")
        export_refusals = await tx.audit.latest(action="export.refused")
        views = await tx.audit.latest(action="stats.view")
    assert [(e.actor_id, e.unit_id) for e in refusals] == [
        (other.id, world.units["BY"]),
        (resident.id, None),
        (resident.id, None),
    ]
    assert refusals[0].after == {"reason": "outside the admin's scope"}
    assert [(e.actor_id, e.unit_id) for e in export_refusals] == [
        (community.id, world.units["CX"])
    ]
    assert views == []


async def test_several_grants_are_several_scopes(world: World) -> None:
    admin = await world.actor(9009, "XH", "BY")
    # By path: 城东街道's community first.
    assert [u.code for u in await world.service.scopes(admin)] == ["XH", "BY"]
    assert (await world.service.stats(admin, world.units["HJXQ"], THIS_MONTH)).received == 1


def test_periods() -> None:
    thursday = date(2026, 11, 26)
    assert period_of(PeriodKind.WEEK, thursday) == Period(
        PeriodKind.WEEK, date(2026, 11, 23), thursday
    )
    assert period_of(PeriodKind.MONTH, thursday).first == date(2026, 11, 1)
    assert period_of(PeriodKind.LAST_MONTH, date(2026, 1, 15)) == Period(
        PeriodKind.LAST_MONTH, date(2025, 12, 1), date(2025, 12, 31)
    )
    typed = parse_period("2026-11-01 2026-11-30")
    assert (typed.kind, typed.first, typed.last) == (
        PeriodKind.RANGE,
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    assert typed.code == "20261101-20261130"
    assert decode_period(typed.code, thursday) == typed
    assert decode_period("lm", thursday).first == date(2026, 10, 1)
    assert parse_period("2026-11-5").first == parse_period("2026-11-5").last == date(2026, 11, 5)
    start, end = typed.bounds(TZ)
    assert (start, end) == (
        datetime(2026, 10, 31, 16, tzinfo=UTC),
        datetime(2026, 11, 30, 16, tzinfo=UTC),
    )
    for bad in (
        "",
        "yesterday",
        "2026-11-31 2026-12-01",
        "2026-12-01 2026-11-01",
        "2025-01-01 2026-06-01",
    ):
        with pytest.raises(InvalidInput):
            parse_period(bad)
    for stale in ("x", "20261301-20261302", "2026-11-01"):
        with pytest.raises(InvalidInput):
            decode_period(stale, thursday)


async def test_queries_use_the_indexes(world: World) -> None:
    lo, hi = subtree_range(await _unit(world, "BY"))
    async with world.db.read() as tx:
        plan = await tx.explain(
            "SELECT count(*) FROM requests r WHERE r.compound_id IN"
            " (SELECT id FROM org_units WHERE path >= ? AND path < ?)"
            " AND r.created_at >= ? AND r.created_at < ?",
            (lo, hi, datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)),
            avoid_scans=True,
        )
    assert "org_units_path" in plan
    if world.db.engine == "sqlite":
        assert "requests_similar" in plan and "SCAN r" not in plan
    else:  # PostgreSQL picks among the requests' indexes by cost; it must not scan
        assert "requests_" in plan and "Seq Scan" not in plan


async def _unit(world: World, code: str) -> Any:
    async with world.db.read() as tx:
        return await tx.org.get_by_code(code)
