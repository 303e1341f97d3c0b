"""The scope matrix: every admin action by every kind of actor, each in a fresh copy of one
world. Only the allowed cells succeed (and change what they should); every refusal raises
``NotAllowed``, changes nothing and leaves exactly one ``<action>.refused`` audit row.

Community A is 伴月社区 (BY, 城西街道); every subject lies in it: the pending member and the
requests are of its compound 星荷豪苑 (XHHY), the broadcast went to A, the statistics are A's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from auxil import stores
from auxil.flows import file_request, onboard
from auxil.harness import Harness
from auxil.members import make_member

from bot.errors import NotAllowed
from bot.models import AuditEntry, Invitation, MemberStatus, Role, Tier
from bot.models.broadcast import AudienceKind
from bot.models.stats import PeriodKind
from bot.services.broadcast import Audience, Content
from bot.services.invitations import PREFIX
from bot.services.people import Actor
from storage.db import Tx

EVENING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday 20:00 in Zhaoqing


class Who(StrEnum):
    """The columns of the matrix."""

    RESIDENT = "resident"  # lives in 星荷豪苑 (A's compound), no role beyond that
    MEMBER = "member"  # an approved member of 星荷豪苑
    COMMUNITY = "community_admin"  # admin of A, 伴月社区: inside the scope
    SIBLING = "sibling_admin"  # admin of 出头社区, A's sibling under the same street: outside
    OTHER_STREET = "other_street_admin"  # admin of 城东街道, a street not above A: outside
    STREET = "street_admin"  # admin of 城西街道, the street above A
    DISTRICT = "district_admin"  # admin of 端州区, above everything


TELEGRAM_IDS = {
    Who.RESIDENT: 7001,
    Who.MEMBER: 7002,
    Who.COMMUNITY: 9901,
    Who.SIBLING: 9902,
    Who.OTHER_STREET: 9903,
    Who.STREET: 9904,
    Who.DISTRICT: 9905,
}
PENDING_ID = 7003  # registered as a member of 星荷豪苑, waiting for a decision
ADMIN_UNITS = {
    Who.COMMUNITY: "BY",
    Who.SIBLING: "CT",
    Who.OTHER_STREET: "CD",
    Who.STREET: "CX",
    Who.DISTRICT: "DZ",
}
CONFIG: dict[str, Any] = {
    "admins": [{"telegram_id": TELEGRAM_IDS[w], "unit": u} for w, u in ADMIN_UNITS.items()],
    "broadcast": {"progress_seconds": 3600},  # no progress job runs during a test
}


class Outcome(StrEnum):
    OK = "ok"  # succeeds, does what it should
    NO = "no"  # refused: NotAllowed, nothing changed, the refusal audited
    NONE = "--"  # a list filtered to the actor's area: works, but shows nothing of A


@dataclass(frozen=True)
class World:
    """The ids of the template world (the same in every copy)."""

    db_url: str
    units: dict[str, int]
    area: frozenset[int]  # A and its compounds
    person: dict[Who, int]
    pending: int  # person id of the pending member
    request: int  # dispatched to the pool, nobody has accepted it
    extension: int  # the member accepted a second request and asked for 3 more days
    broadcast: int  # sent by A's admin to A, still sending


Run = Callable[[Harness, World, Actor], Awaitable[Any]]
State = Callable[[Tx, World], Awaitable[Any]]


@dataclass(frozen=True)
class Action:
    name: str
    run: Run
    refused_as: str  # the audit action of a refusal is f"{refused_as}.refused"
    audited: str | None  # the audit action of a success; None: a read, not audited
    row: str  # the outcome per column, in the order of COLUMNS
    # What the action changes, read before and after: changed when allowed, else the same.
    state: State | None = None
    # Is the answer right (about A)? True when allowed, False for a list filtered to nothing.
    check: Callable[[Any, World], bool] | None = None
    outcomes: dict[Who, Outcome] = field(init=False)

    def __post_init__(self) -> None:
        marks = self.row.split()
        outcomes = {who: Outcome(mark) for who, mark in zip(COLUMNS, marks, strict=True)}
        object.__setattr__(self, "outcomes", outcomes)


COLUMNS = tuple(Who)


# -- what each action changes ---------------------------------------------------------------
async def member_status(tx: Tx, w: World) -> object:
    member = await tx.members.get(w.pending)
    return member.status if member else None


async def tier(tx: Tx, w: World) -> object:
    request = await tx.requests.get(w.request)
    return request.tier if request else None


async def resolve_due(tx: Tx, w: World) -> object:
    request = await tx.requests.get(w.request)
    return request.resolve_due_at if request else None


async def extension_state(tx: Tx, w: World) -> object:
    extension = await tx.deadlines.extension(w.extension)
    request = await tx.requests.get(extension.request_id) if extension else None
    return (extension.state if extension else None, request.resolve_due_at if request else None)


async def member_card(tx: Tx, w: World) -> object:
    card = await tx.members.open_card(w.request, w.person[Who.MEMBER])
    return card.kind if card else None


async def admins_of_a(tx: Tx, w: World) -> object:
    unit = await tx.org.get(w.units["BY"])
    assert unit is not None
    return sorted(p.id for p in await tx.people.holders(Role.ADMIN, [unit]))


async def broadcasts_in_a(tx: Tx, w: World) -> object:
    unit = await tx.org.get(w.units["BY"])
    assert unit is not None
    return len(await tx.broadcasts.in_units([unit], limit=50))


async def broadcast_state(tx: Tx, w: World) -> object:
    broadcast = await tx.broadcasts.get(w.broadcast)
    return broadcast.state if broadcast else None


async def invite(h: Harness, actor: Actor, unit_id: int) -> Invitation | None:
    """Invite an admin for the unit; the stored invitation behind the link."""
    payload = await h.services.admin.invite(actor, unit_id)
    async with h.services.db.read() as tx:
        return await tx.invitations.get(payload.removeprefix(PREFIX))


def month(h: Harness) -> Any:
    return h.services.stats.period(PeriodKind.MONTH)


# -- the matrix ------------------------------------------------------------------------------
#   columns: resident, member, admin of A, of A's sibling, of another street, street, district
ACTIONS = [
    Action(
        "invite_below_A",  # an admin for 星荷豪苑 (A's compound)
        lambda h, w, a: invite(h, a, w.units["XHHY"]),
        refused_as="admin.invite",
        audited="admin.invite",
        row="no  no  ok  no  no  ok  ok",
        check=lambda found, w: (
            (found.kind, found.target_id, found.used_at) == ("admin", w.units["XHHY"], None)
        ),
    ),
    Action(
        "invite_for_A",  # an admin of 伴月社区 itself: only from above
        lambda h, w, a: invite(h, a, w.units["BY"]),
        refused_as="admin.invite",
        audited="admin.invite",
        row="no  no  no  no  no  ok  ok",
        check=lambda found, w: (
            (found.kind, found.target_id, found.used_at) == ("admin", w.units["BY"], None)
        ),
    ),
    Action(
        "revoke_A_admin",
        lambda h, w, a: h.services.admin.revoke(a, w.person[Who.COMMUNITY], w.units["BY"]),
        refused_as="admin.revoke",
        audited="role.revoke",
        row="no  no  no  no  no  ok  ok",
        state=admins_of_a,
    ),
    Action(
        "pending_members",
        lambda h, w, a: h.services.admin.pending_members(a),
        refused_as="member.pending",
        audited=None,
        row="no  no  ok  --  --  ok  ok",
        check=lambda found, w: any(m.person_id == w.pending for m, _unit in found),
    ),
    Action(
        "audit_view",  # street and district admins only
        lambda h, w, a: h.services.admin.audit(a, limit=100),
        refused_as="audit.view",
        audited=None,
        row="no  no  no  no  --  ok  ok",
        check=lambda entries, w: any(e.unit_id in w.area for e in entries),
    ),
    Action(
        "approve_member",
        lambda h, w, a: h.services.members.approve(a, w.pending),
        refused_as="member.approve",
        audited="member.approve",
        row="no  no  ok  no  no  ok  ok",
        state=member_status,
    ),
    Action(
        "reject_member",
        lambda h, w, a: h.services.members.reject(a, w.pending, "不住本小区"),
        refused_as="member.reject",
        audited="member.reject",
        row="no  no  ok  no  no  ok  ok",
        state=member_status,
    ),
    Action(
        "retier_request",
        lambda h, w, a: h.services.escalation.retier(a, w.request, Tier.URGENT),
        refused_as="request.retier",
        audited="request.retier",
        row="no  no  ok  no  no  ok  ok",
        state=tier,
    ),
    Action(
        "extend_request",
        lambda h, w, a: h.services.extensions.extend(a, w.request, 3, "等配件"),
        refused_as="request.extend",
        audited="request.extend",
        row="no  no  ok  no  no  ok  ok",
        state=resolve_due,
    ),
    Action(
        "grant_extension",
        lambda h, w, a: h.services.extensions.decide(a, w.extension, approve=True),
        refused_as="request.extension",
        audited="request.extend",
        row="no  no  ok  no  no  ok  ok",
        state=extension_state,
    ),
    Action(
        "assign_request",
        lambda h, w, a: h.services.dispatch.assign(a, w.request, w.person[Who.MEMBER]),
        refused_as="request.admin",
        audited="request.assign",
        row="no  no  ok  no  no  ok  ok",
        state=member_card,
    ),
    Action(
        "broadcast_to_A",
        lambda h, w, a: h.services.broadcast.send(
            a, Audience(kind=AudienceKind.BOTH, unit_id=w.units["BY"]), Content("明天停水")
        ),
        refused_as="broadcast",
        audited="broadcast",
        row="no  no  ok  no  no  ok  ok",
        state=broadcasts_in_a,
    ),
    Action(
        "cancel_broadcast",
        lambda h, w, a: h.services.broadcast.cancel(a, w.broadcast),
        refused_as="broadcast.cancel",
        audited="broadcast.cancel",
        row="no  no  ok  no  no  ok  ok",
        state=broadcast_state,
    ),
    Action(
        "stats_of_A",
        lambda h, w, a: h.services.stats.stats(a, w.units["BY"], month(h)),
        refused_as="stats.view",
        audited="stats.view",
        row="no  no  ok  no  no  ok  ok",
        check=lambda stats, w: stats.totals.counts.received == 2,
    ),
    Action(
        "export_of_A",
        lambda h, w, a: h.services.stats.export(a, w.units["BY"], month(h)),
        refused_as="export",
        audited="export",
        row="no  no  ok  no  no  ok  ok",
        check=lambda export, w: len(export.rows) == 2,
    ),
]


# -- the world -------------------------------------------------------------------------------
async def actor_by_telegram(h: Harness, telegram_id: int) -> Actor:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(telegram_id)
    assert person is not None, telegram_id
    return await h.services.people.actor(person.id)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Build the world once through the real Application; each case gets a copy of its file."""
    folder = tmp_path_factory.mktemp("template")
    url = await stores.fresh_store(folder, "template", lasting=True)
    h = Harness(folder, storage={"url": url}, **CONFIG)
    await h.start()
    try:
        await h.import_org()
        await h.restart()  # the configured admins are granted once their units exist
        h.clock.set(EVENING)
        resident = h.player("res", user_id=TELEGRAM_IDS[Who.RESIDENT])
        await onboard(resident)
        await make_member(h, h.player("ann", user_id=TELEGRAM_IDS[Who.MEMBER]))
        await make_member(h, h.player("wang", user_id=PENDING_ID), status=MemberStatus.PENDING)
        first = await file_request(h, resident)
        second = await file_request(h, resident, description="厨房水管漏水")
        member = await actor_by_telegram(h, TELEGRAM_IDS[Who.MEMBER])
        async with h.services.db.read() as tx:
            units = {u.code: u.id for u in await tx.org.all_units()}
            by = await tx.org.get(units["BY"])
            assert by is not None
            area = frozenset(u.id for u in await tx.org.subtree(by))
            request = await tx.requests.by_number(first)
            asked = await tx.requests.by_number(second)
        assert request is not None and asked is not None
        await h.services.dispatch.accept(member, asked.id)
        extension = await h.services.extensions.ask(member, asked.id, 3, "等配件")
        community = await actor_by_telegram(h, TELEGRAM_IDS[Who.COMMUNITY])
        broadcast = await h.services.broadcast.send(
            community,
            Audience(kind=AudienceKind.RESIDENTS, unit_id=units["XHHY"]),
            Content("通知"),
        )
        person = {who: (await actor_by_telegram(h, tid)).id for who, tid in TELEGRAM_IDS.items()}
        pending = (await actor_by_telegram(h, PENDING_ID)).id
        await h.settle()
    finally:
        await h.stop()
    return World(
        db_url=url,
        units=units,
        area=area,
        person=person,
        pending=pending,
        request=request.id,
        extension=extension,
        broadcast=broadcast.id,
    )


@pytest.fixture
async def world(template: World, tmp_path: Path) -> AsyncIterator[tuple[Harness, World]]:
    """A running Application on a fresh copy of the template's database."""
    url = await stores.clone_store(template.db_url, tmp_path, "gridbot")
    h = Harness(tmp_path, storage={"url": url}, **CONFIG)
    h.clock.set(EVENING)
    for telegram_id in [*TELEGRAM_IDS.values(), PENDING_ID]:
        h.emulator.add_user(telegram_id, str(telegram_id))  # so what the bot sends arrives
    await h.start()
    try:
        yield h, template
    finally:
        await h.stop()


async def audit_since(h: Harness, mark: int) -> list[AuditEntry]:
    async with h.services.db.read() as tx:
        entries = await tx.audit.latest(limit=100)
    return [e for e in reversed(entries) if e.id > mark]


async def read_state(h: Harness, w: World, state: State) -> object:
    async with h.services.db.read() as tx:
        return await state(tx, w)


@pytest.mark.parametrize(
    ("action", "who"),
    [pytest.param(a, who, id=f"{a.name}-{who.value}") for a in ACTIONS for who in COLUMNS],
)
async def test_scope_matrix(world: tuple[Harness, World], action: Action, who: Who) -> None:
    h, w = world
    expected = action.outcomes[who]
    actor = await actor_by_telegram(h, TELEGRAM_IDS[who])
    mark = max((e.id for e in await audit_since(h, 0)), default=0)
    before = await read_state(h, w, action.state) if action.state else None

    if expected is Outcome.NO:
        with pytest.raises(NotAllowed):
            await action.run(h, w, actor)
    else:
        answer = await action.run(h, w, actor)
        if action.check is not None:
            assert action.check(answer, w) is (expected is Outcome.OK), answer

    new = await audit_since(h, mark)
    if action.state is not None:
        after = await read_state(h, w, action.state)
        if expected is Outcome.OK:
            assert after != before, f"{action.name} by {who} changed nothing"
        else:
            assert after == before, f"{action.name} refused to {who}, yet it changed"
    if expected is Outcome.NO:
        want = [f"{action.refused_as}.refused"]
    else:
        want = [action.audited] if action.audited else []
    assert [e.action for e in new] == want
    assert all(e.actor_id == actor.id and e.actor_label == actor.label for e in new)
    if expected is Outcome.NO:
        assert new[0].after is not None and new[0].after["reason"]
    elif want:
        assert new[0].unit_id in w.area, new[0]
