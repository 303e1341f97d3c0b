"""BroadcastService: audiences and their exact counts, scope checks (audited), content rules,
progress with rate and ETA, cancelling, and which broadcasts an admin sees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from auxil.harness import Harness
from pydantic import ValidationError

from bot.errors import InvalidInput, InvalidTransition, NotAllowed
from bot.models import Member, MemberStatus, MemberType, Role
from bot.models.broadcast import AudienceKind, BroadcastState
from bot.outbox import CAPTION_LIMIT
from bot.services.broadcast import Audience, BroadcastDraft, Content, render_html
from bot.services.people import Actor, TelegramIdentity

ADMINS = [
    {"telegram_id": 9901, "unit": "BY"},  # 伴月社区 (城西街道)
    {"telegram_id": 9902, "unit": "XH"},  # 星湖社区 (城东街道)
    {"telegram_id": 9903, "unit": "CX"},  # 城西街道
    {"telegram_id": 9904, "unit": "DZ"},  # 端州区
]
RESIDENTS = {"XHHY": 4, "LMJ": 3, "HJXQ": 4}  # plus the resident member below, in 星荷豪苑


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, admins=ADMINS, broadcast={"progress_seconds": 3600})
    await harness.start()
    await harness.import_org()
    await harness.restart()
    try:
        yield harness
    finally:
        await harness.stop()


async def admin(h: Harness, code: str) -> Actor:
    spec = next(a for a in ADMINS if a["unit"] == code)
    return await h.services.people.identify(
        TelegramIdentity(telegram_id=int(spec["telegram_id"]), first_name=code)
    )


async def unit_id(h: Harness, code: str) -> int:
    async with h.services.db.read() as tx:
        unit = await tx.org.get_by_code(code)
    assert unit is not None
    return unit.id


async def team_id(h: Harness, code: str) -> int:
    async with h.services.db.read() as tx:
        return next(t.id for t in await tx.org.teams() if t.code == code)


async def person(
    h: Harness,
    telegram_id: int,
    *,
    resident_of: str | None = None,
    member_of: str | None = None,
    member_type: MemberType = MemberType.UNEMPLOYED_OR_RETIRED,
    teams: tuple[str, ...] = (),
    status: MemberStatus = MemberStatus.APPROVED,
    unreachable: bool = False,
) -> int:
    """Someone made directly in the database: a resident, a member, or both."""
    now = h.clock.now()
    async with h.services.db.transaction() as tx:
        p = await tx.people.create(
            telegram_id=telegram_id, display_name="p", username=None, language="zh_CN", now=now
        )
        if unreachable:
            await tx.people.mark_unreachable(telegram_id, now)
        if resident_of is not None:
            home = await tx.org.get_by_code(resident_of)
            assert home is not None
            await tx.people.grant(p.id, Role.RESIDENT, home.id, by=None, now=now)
        if member_of is not None:
            compound = await tx.org.get_by_code(member_of)
            assert compound is not None
            team_ids = [t.id for t in await tx.org.teams() if t.code in teams]
            member = Member(
                person_id=p.id,
                real_name="m",
                compound_id=compound.id,
                phone="+8613700000000",
                member_type=member_type,
                status=status,
                created_at=now,
                updated_at=now,
                team_ids=team_ids,
            )
            await tx.members.save(member, now)
    h.emulator.add_user(telegram_id, "p")
    return p.id


@pytest.fixture
async def people(h: Harness) -> Harness:
    """Residents and members in two communities (see the counts in each test)."""
    telegram_id = 800_000
    for code, count in RESIDENTS.items():
        for _ in range(count):
            telegram_id += 1
            await person(h, telegram_id, resident_of=code, unreachable=telegram_id == 800_002)
    # Members of 伴月社区: one is also a resident (counted once), one is only pending.
    await person(
        h,
        810_001,
        resident_of="XHHY",
        member_of="XHHY",
        member_type=MemberType.IN_SERVICE,
        teams=("MEDIATION",),
    )
    await person(h, 810_002, member_of="LMJ", member_type=MemberType.VOLUNTEER, teams=("HEALTH",))
    await person(h, 810_003, member_of="XHHY", teams=("MEDIATION", "HEALTH"))
    await person(h, 810_004, member_of="XHHY", status=MemberStatus.PENDING)
    await person(h, 810_005, member_of="HJXQ")  # 星湖社区
    # Someone who moved away: their resident grant was revoked.
    moved = await person(h, 810_006, resident_of="LMJ")
    async with h.services.db.transaction() as tx:
        await tx.people.revoke(moved, Role.RESIDENT, None, by=None, now=h.clock.now())
    return h


async def count(h: Harness, actor: Actor, kind: AudienceKind, code: str, **narrow: object) -> int:
    audience = Audience(kind=kind, unit_id=await unit_id(h, code), **narrow)  # type: ignore[arg-type]
    return (await h.services.broadcast.reach(actor, audience)).count


async def test_audiences_count_each_person_once(people: Harness) -> None:
    h = people
    banyue = await admin(h, "BY")
    residents, members, both = AudienceKind.RESIDENTS, AudienceKind.MEMBERS, AudienceKind.BOTH
    assert await count(h, banyue, residents, "BY") == 4 + 3 + 1
    assert await count(h, banyue, members, "BY") == 3
    assert await count(h, banyue, both, "BY") == 4 + 3 + 1 + 2
    # One compound.
    assert await count(h, banyue, residents, "XHHY") == 5
    assert await count(h, banyue, members, "XHHY") == 2
    assert await count(h, banyue, both, "XHHY") == 6
    assert await count(h, banyue, both, "LMJ") == 4
    # One team, one type (members only).
    mediation, health = await team_id(h, "MEDIATION"), await team_id(h, "HEALTH")
    assert await count(h, banyue, members, "BY", team_id=mediation) == 2
    assert await count(h, banyue, members, "LMJ", team_id=health) == 1
    assert await count(h, banyue, members, "BY", team_id=await team_id(h, "LEGAL")) == 0
    assert await count(h, banyue, members, "BY", member_type=MemberType.VOLUNTEER) == 1
    assert await count(h, banyue, members, "BY", member_type=MemberType.IN_SERVICE) == 1
    assert await count(h, banyue, members, "BY", member_type=MemberType.UNEMPLOYED_OR_RETIRED) == 1
    # Wider scopes.
    district, chengxi = await admin(h, "DZ"), await admin(h, "CX")
    assert await count(h, district, residents, "DZ") == 4 + 3 + 1 + 4
    assert await count(h, district, members, "DZ") == 4
    assert await count(h, chengxi, both, "CX") == 10
    with pytest.raises(ValidationError):
        Audience(kind=AudienceKind.BOTH, unit_id=1, team_id=mediation)


async def test_the_outbox_gets_one_row_per_person_and_an_audit_row(people: Harness) -> None:
    h = people
    banyue = await admin(h, "BY")
    audience = Audience(kind=AudienceKind.BOTH, unit_id=await unit_id(h, "BY"))
    broadcast = await h.services.broadcast.send(banyue, audience, Content("通知 & 提醒"))
    await h.settle()
    async with h.services.db.read() as tx:
        rows = await tx.fetchall(
            "SELECT chat_id, dedup_key, status FROM outbox WHERE batch = ?", (broadcast.batch,)
        )
        audit = await tx.audit.latest(action="broadcast")
    assert len(rows) == broadcast.recipients == 10
    assert len({r["chat_id"] for r in rows}) == 10
    assert all(r["dedup_key"].startswith(f"broadcast:{broadcast.id}:") for r in rows)
    # The unreachable resident is counted, tried, and reported as blocked if Telegram says so.
    assert 800_002 in {r["chat_id"] for r in rows}
    assert audit[0].unit_id == await unit_id(h, "BY")
    assert audit[0].after is not None and audit[0].after["unit"] == "BY"
    assert [m.html for m in h.emulator.bot_messages(810_003)] == ["通知 &amp; 提醒"]


async def test_scope_is_enforced_and_refusals_are_audited(people: Harness) -> None:
    h = people
    banyue = await admin(h, "BY")
    xinghu = Audience(kind=AudienceKind.RESIDENTS, unit_id=await unit_id(h, "XH"))
    with pytest.raises(NotAllowed):
        await h.services.broadcast.reach(banyue, xinghu)
    with pytest.raises(NotAllowed):
        await h.services.broadcast.send(banyue, xinghu, Content("越权"))
    with pytest.raises(NotAllowed):
        await h.services.broadcast.browse(banyue, await unit_id(h, "HJXQ"))
    resident = await h.services.people.identify(
        TelegramIdentity(telegram_id=800_001, first_name="r")
    )
    with pytest.raises(NotAllowed):
        await h.services.broadcast.begin(resident)
    with pytest.raises(NotAllowed):
        await h.services.broadcast.recent(resident)
    async with h.services.db.read() as tx:
        refused = await tx.audit.latest(action="broadcast.refused")
        sent = await tx.fetchval("SELECT count(*) FROM broadcasts")
        rows = await tx.fetchval("SELECT count(*) FROM outbox WHERE batch IS NOT NULL")
    assert [(e.subject, e.actor_id) for e in refused] == [
        ("broadcast", resident.id),
        ("unit:HJXQ", banyue.id),
        ("unit:XH", banyue.id),
        ("unit:XH", banyue.id),
    ]
    assert refused[-1].after == {"reason": "outside the admin's area"}
    assert sent == 0 and rows == 0


async def test_drill_down_stays_inside_the_scope(h: Harness) -> None:
    broadcast = h.services.broadcast
    top = await broadcast.browse(await admin(h, "CX"), None)
    assert top.unit is not None and top.unit.code == "CX" and top.back is None
    assert [u.code for u in top.options] == ["BY", "CT"]
    below = await broadcast.browse(await admin(h, "CX"), await unit_id(h, "BY"))
    assert [u.code for u in below.options] == ["XHHY", "LMJ"]
    assert below.back == await unit_id(h, "CX")
    # Someone who administers two communities picks one of them first.
    two = await admin(h, "BY")
    await h.services.people.grant_admin(two.person.telegram_id, "XH")
    two = await admin(h, "BY")
    top = await broadcast.browse(two, None)
    assert top.unit is None and [u.code for u in top.options] == ["XH", "BY"]
    inside = await broadcast.browse(two, await unit_id(h, "XH"))
    assert inside.back == 0


def test_text_is_escaped_and_only_the_first_line_is_bold() -> None:
    text = "  <b>停电</b> & 通知\n<i>第二行</i>\n第三行  "
    assert (
        render_html(text, False)
        == "&lt;b&gt;停电&lt;/b&gt; &amp; 通知\n&lt;i&gt;第二行&lt;/i&gt;\n第三行"
    )
    assert (
        render_html(text, True)
        == "<b>&lt;b&gt;停电&lt;/b&gt; &amp; 通知</b>\n&lt;i&gt;第二行&lt;/i&gt;\n第三行"
    )
    assert render_html("一行", True) == "<b>一行</b>"


def test_content_rules() -> None:
    with pytest.raises(InvalidInput):
        Content("   ").check()
    with pytest.raises(InvalidInput):
        Content("x" * 4097).check()
    Content("x" * 4096).check()
    Content("&" * (CAPTION_LIMIT // 5), photo="file").check()
    with pytest.raises(InvalidInput):  # escaped, it no longer fits a caption
        Content("&" * (CAPTION_LIMIT // 5 + 1), photo="file").check()
    draft = BroadcastDraft(text="x" * 1100)
    with pytest.raises(InvalidInput):
        draft.set_photo("file", None)
    assert draft.photo is None
    draft.set_photo("file", "短的说明")
    assert (draft.photo, draft.text) == ("file", "短的说明")
    with pytest.raises(InvalidInput):
        BroadcastDraft().audience()


async def test_progress_rate_eta_and_done(people: Harness) -> None:
    h = people
    sender = h.services.sender
    assert sender is not None
    await sender.stop()
    h.services.sender = None
    banyue = await admin(h, "BY")
    audience = Audience(kind=AudienceKind.RESIDENTS, unit_id=await unit_id(h, "BY"))
    broadcast = await h.services.broadcast.send(banyue, audience, Content("速度"))
    first = await h.services.broadcast.progress(broadcast.id)
    assert (first.remaining, first.handled, first.rate) == (8, 0, None)
    assert first.eta_seconds == pytest.approx(8 / 25)
    assert not first.finished and first.language is None
    # Four rows handled in two (virtual) seconds: 2 per second, 4 left, 2 seconds to go.
    async with h.services.db.transaction() as tx:
        rows = await tx.fetchall(
            "SELECT id FROM outbox WHERE batch = ? ORDER BY id", (broadcast.batch,)
        )
        now = h.clock.now()
        for row in rows[:3]:
            await tx.outbox.mark_sent(row[0], 1, now)
        await tx.outbox.mark_final(rows[3][0], "failed", "BadRequest: nope", now)
    await h.pacer.sleep(2)
    second = await h.services.broadcast.progress(broadcast.id)
    assert (second.sent, second.failed, second.remaining) == (3, 1, 4)
    assert second.rate == pytest.approx(2.0) and second.eta_seconds == pytest.approx(2.0)
    assert second.reasons == [("BadRequest: nope", 1)]
    assert [b.id for b in await h.services.broadcast.sending()] == [broadcast.id]
    async with h.services.db.transaction() as tx:
        for row in rows[4:]:
            await tx.outbox.mark_sent(row[0], 1, now)
    last = await h.services.broadcast.progress(broadcast.id)
    assert last.finished and last.broadcast.state is BroadcastState.DONE
    assert last.broadcast.finished_at == now
    assert await h.services.broadcast.sending() == []
    with pytest.raises(InvalidTransition):
        await h.services.broadcast.cancel(banyue, broadcast.id)


async def test_cancel_is_for_admins_of_its_area(people: Harness) -> None:
    h = people
    sender = h.services.sender
    assert sender is not None
    await sender.stop()
    h.services.sender = None
    banyue = await admin(h, "BY")
    audience = Audience(kind=AudienceKind.RESIDENTS, unit_id=await unit_id(h, "XHHY"))
    broadcast = await h.services.broadcast.send(banyue, audience, Content("取消"))
    with pytest.raises(NotAllowed):
        await h.services.broadcast.cancel(await admin(h, "XH"), broadcast.id)
    assert await h.services.broadcast.cancel(await admin(h, "CX"), broadcast.id) == 5
    progress = await h.services.broadcast.progress(broadcast.id)
    assert progress.finished and progress.broadcast.state is BroadcastState.CANCELLED
    assert (progress.sent, progress.cancelled) == (0, 5)
    async with h.services.db.read() as tx:
        assert len(await tx.audit.latest(action="broadcast.cancel.refused")) == 1
        [entry] = await tx.audit.latest(action="broadcast.cancel")
    assert entry.after == {"state": "cancelled", "cancelled": 5}


async def test_recent_shows_broadcasts_inside_the_viewers_scope(people: Harness) -> None:
    h = people
    svc = h.services.broadcast
    residents = AudienceKind.RESIDENTS
    by = await svc.send(
        await admin(h, "BY"),
        Audience(kind=residents, unit_id=await unit_id(h, "BY")),
        Content("1"),
    )
    xh = await svc.send(
        await admin(h, "XH"),
        Audience(kind=residents, unit_id=await unit_id(h, "XH")),
        Content("2"),
    )
    lmj = await svc.send(
        await admin(h, "CX"),
        Audience(kind=residents, unit_id=await unit_id(h, "LMJ")),
        Content("3"),
    )
    dz = await svc.send(
        await admin(h, "DZ"),
        Audience(kind=residents, unit_id=await unit_id(h, "DZ")),
        Content("4"),
    )
    await h.settle()

    async def seen(code: str) -> list[int]:
        return [s.broadcast.id for s in await svc.recent(await admin(h, code))]

    assert await seen("BY") == [lmj.id, by.id]
    assert await seen("XH") == [xh.id]
    assert await seen("CX") == [lmj.id, by.id]
    assert await seen("DZ") == [dz.id, lmj.id, xh.id, by.id]
    [latest, *_] = await svc.recent(await admin(h, "DZ"))
    assert latest.counts.sent == 12 and latest.audience.unit.code == "DZ"
