"""MemberService on its own: the rules of 报到 that no button can get around."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from auxil.flows import onboard
from auxil.harness import Harness, Player

from bot.errors import InvalidInput, InvalidTransition, NotAllowed
from bot.models import AuditEntry, Availability, MemberStatus, MemberType, Role
from bot.services.people import Actor
from bot.services.registration import MemberForm

NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Zhaoqing
ADMINS = [
    {"telegram_id": 9901, "unit": "BY"},  # 伴月社区, where 星荷豪苑 is
    {"telegram_id": 9902, "unit": "XH"},  # 星湖社区, another community
    {"telegram_id": 9903, "unit": "CX"},  # 城西街道, above 伴月社区
]


@pytest.fixture
async def area(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, admins=ADMINS)
    await h.start()
    await h.import_org()
    await h.restart()
    h.clock.set(NOON)
    for name, spec in zip(("banyue", "xinghu", "chengxi"), ADMINS, strict=True):
        admin = h.player(name, user_id=int(spec["telegram_id"]))  # type: ignore[arg-type]
        await admin.command("/start")
        await admin.press("中文")
        await admin.press("跳过：我只做管理工作")
    try:
        yield h
    finally:
        await h.stop()


async def actor_of(h: Harness, player: Player) -> Actor:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
    assert person is not None
    return await h.services.people.actor(person.id)


async def form(h: Harness, compound: str = "XHHY") -> MemberForm:
    async with h.services.db.read() as tx:
        unit = await tx.org.get_by_code(compound)
        teams = {t.code: t.id for t in await tx.org.teams()}
    assert unit is not None
    draft = MemberForm()
    draft.set_name(" 王  建国 ")
    draft.set_work_unit(None)
    draft.compound_id = unit.id
    draft.phone = "+8613600000001"
    draft.member_type = MemberType.IN_SERVICE
    draft.toggle_team(teams["MEDIATION"])
    draft.set_skills("电工，会修水管、 护理")
    draft.toggle_availability(Availability.WEEKEND)
    draft.share_phone = False
    return draft


async def registered(h: Harness, name: str = "wang") -> tuple[Player, Actor]:
    player = h.player(name)
    await onboard(player)
    actor = await actor_of(h, player)
    await h.services.members.submit(actor, await form(h))
    await h.settle()
    return player, actor


async def afters(h: Harness, action: str) -> list[dict[str, object] | None]:
    """The ``after`` of the audit rows of ``action``, newest first."""
    return [entry.after for entry in await latest(h, action)]


async def latest(h: Harness, action: str, limit: int = 20) -> list[AuditEntry]:
    async with h.services.db.read() as tx:
        return await tx.audit.latest(action=action, limit=limit)


def test_form_rules() -> None:
    draft = MemberForm()
    assert draft.missing() == "name"
    with pytest.raises(InvalidInput):
        draft.set_name("王")
    draft.set_name("  王  建国 ")
    assert draft.real_name == "王 建国" and draft.missing() == "work_unit"
    draft.set_skills("电工, 电工，护理、 心理咨询")
    assert draft.skills == ["电工", "护理", "心理咨询"]
    with pytest.raises(InvalidInput):
        draft.set_skills("x" * 21)
    draft.set_skills(None)
    assert draft.skills == [] and draft.skills_given
    draft.toggle_team(3)
    draft.toggle_team(3)
    assert draft.team_ids == []


async def test_submit_makes_a_pending_member_and_asks_the_community(area: Harness) -> None:
    h = area
    incomplete = h.player("half")
    await onboard(incomplete)
    with pytest.raises(InvalidInput):
        await h.services.members.submit(await actor_of(h, incomplete), MemberForm())
    wang, actor = await registered(h)
    member = await h.services.members.get(actor.id)
    assert member is not None and member.status is MemberStatus.PENDING
    assert member.real_name == "王 建国" and member.skills == ["电工", "会修水管", "护理"]
    assert Role.MEMBER not in (await actor_of(h, wang)).roles
    [entry] = await afters(h, "member.register")
    assert entry is not None and entry["status"] == "pending"
    # Only the nearest admins (the community's) get the card, with Approve / Reject.
    banyue, xinghu, chengxi = (h.players[n] for n in ("banyue", "xinghu", "chengxi"))
    assert "王 建国" in banyue.last_text() and banyue.buttons() == ["通过", "不通过"]
    assert banyue.last().inline_buttons[0]["callback_data"] == f"ma1:ok:{actor.id}"
    assert not any(
        "王 建国" in (m.text or "") for p in (xinghu, chengxi) for m in p.bot_messages()
    )


async def test_only_admins_of_the_area_decide_and_only_once(area: Harness) -> None:
    h = area
    wang, actor = await registered(h)
    svc = h.services.members
    outsider = h.player("nosy")
    await onboard(outsider)
    for who in (outsider, h.players["xinghu"], wang):
        with pytest.raises(NotAllowed):
            await svc.approve(await actor_of(h, who), actor.id)
        with pytest.raises(NotAllowed):
            await svc.reject(await actor_of(h, who), actor.id, "不认识")
    assert len(await afters(h, "member.approve.refused")) == 3
    assert len(await afters(h, "member.reject.refused")) == 3
    assert (await svc.get(actor.id)).status is MemberStatus.PENDING  # type: ignore[union-attr]
    # The street above the community may decide too.
    street = await actor_of(h, h.players["chengxi"])
    with pytest.raises(InvalidInput):
        await svc.reject(street, actor.id, "   ")
    member = await svc.approve(street, actor.id)
    assert member.status is MemberStatus.APPROVED and member.decided_by == street.id
    assert Role.MEMBER in (await actor_of(h, wang)).roles
    await h.settle()
    assert "您的报到已通过审核" in wang.last_text() and "tasks" in wang.commands()
    # Twice, or a rejection after the approval: refused and audited.
    community = await actor_of(h, h.players["banyue"])
    with pytest.raises(InvalidTransition):
        await svc.approve(community, actor.id)
    with pytest.raises(InvalidTransition):
        await svc.reject(community, actor.id, "不住本小区")
    assert (await afters(h, "member.approve.refused"))[0] == {"reason": "already approved"}
    assert (await afters(h, "member.reject.refused"))[0] == {"reason": "already approved"}
    assert (await svc.get(actor.id)).status is MemberStatus.APPROVED  # type: ignore[union-attr]


async def test_rejected_then_registered_again(area: Harness) -> None:
    h = area
    wang, actor = await registered(h)
    svc = h.services.members
    community = await actor_of(h, h.players["banyue"])
    member = await svc.reject(community, actor.id, " 不住本小区 ")
    assert member.status is MemberStatus.REJECTED and member.reject_reason == "不住本小区"
    await h.settle()
    assert "您的报到未通过：不住本小区" in wang.last_text()
    again = await svc.submit(actor, await form(h))
    assert again.status is MemberStatus.PENDING and again.reject_reason is None
    assert again.decided_by is None
    assert len(await afters(h, "member.register")) == 2


async def test_an_edit_keeps_the_approval_and_is_audited(area: Harness) -> None:
    h = area
    _wang, actor = await registered(h)
    svc = h.services.members
    await svc.approve(await actor_of(h, h.players["banyue"]), actor.id)
    cards = len(h.players["banyue"].bot_messages())
    actor = await actor_of(h, h.players["wang"])
    draft = MemberForm.from_member(await svc.get(actor.id))  # type: ignore[arg-type]
    draft.set_work_unit("端州区人民医院")
    draft.share_phone = True
    member = await svc.submit(actor, draft)
    assert member.status is MemberStatus.APPROVED and member.work_unit == "端州区人民医院"
    [entry] = await afters(h, "member.edit")
    assert entry is not None and entry["work_unit"] == "端州区人民医院" and entry["share_phone"]
    async with h.services.db.read() as tx:
        [audit] = await tx.audit.latest(action="member.edit")
    assert audit.before is not None and audit.before["work_unit"] is None
    assert audit.subject == f"member:{actor.id}" and audit.unit_id == member.compound_id
    await h.settle()
    assert len(h.players["banyue"].bot_messages()) == cards  # no new approval card


async def test_pause_and_resume(area: Harness) -> None:
    h = area
    _wang, actor = await registered(h)
    svc = h.services.members
    with pytest.raises(NotAllowed):  # pending members have no leave to take
        await svc.pause(actor, date(2026, 12, 1))
    await svc.approve(await actor_of(h, h.players["banyue"]), actor.id)
    for past in (date(2026, 11, 26), date(2026, 1, 1)):
        with pytest.raises(InvalidInput):
            await svc.pause(actor, past)
    with pytest.raises(InvalidInput):
        await svc.pause(actor, date(2028, 1, 1))
    member = await svc.pause(actor, date(2026, 12, 3))
    # Until local midnight (Asia/Shanghai) of that date.
    assert member.paused_until == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert not member.active_at(h.clock.now())
    assert member.active_at(datetime(2026, 12, 2, 16, 0, tzinfo=UTC))
    async with h.services.db.read() as tx:
        [audit] = await tx.audit.latest(action="member.pause")
    assert audit.before == {"paused_until": None} and audit.after is not None
    member = await svc.resume(actor)
    assert member.paused_until is None and member.active_at(h.clock.now())
    with pytest.raises(InvalidTransition):
        await svc.resume(actor)
    assert len(await afters(h, "member.resume")) == 1


async def test_record(area: Harness) -> None:
    h = area
    _wang, actor = await registered(h)
    record = await h.services.members.record(actor)
    assert record is not None and record.compound.code == "XHHY"
    assert (record.done, record.average_rating, record.open_tasks, record.visits) == (
        0,
        None,
        0,
        0,
    )
    nobody = h.player("nobody")
    await onboard(nobody)
    assert await h.services.members.record(await actor_of(h, nobody)) is None


async def test_moving_to_another_community_needs_its_approval(area: Harness) -> None:
    h = area
    wang, actor = await registered(h)
    svc = h.services.members
    banyue = await actor_of(h, h.players["banyue"])
    await svc.approve(banyue, actor.id)
    actor = await actor_of(h, wang)
    # Within the community: still approved, the member role moves along.
    member = await svc.submit(actor, await form(h, "LMJ"))
    assert member.status is MemberStatus.APPROVED
    async with h.services.db.read() as tx:
        lmj, hongji = await tx.org.get_by_code("LMJ"), await tx.org.get_by_code("HJXQ")
    assert lmj is not None and hongji is not None
    assert (await actor_of(h, wang)).units_with(Role.MEMBER) == [lmj.id]
    # To 鸿基小区 in 星湖社区: pending again, no member role, 星湖社区's admin asked.
    member = await svc.submit(actor, await form(h, "HJXQ"))
    assert member.status is MemberStatus.PENDING and member.decided_by is None
    assert Role.MEMBER not in (await actor_of(h, wang)).roles
    await h.settle()
    assert "tasks" not in wang.commands()
    xinghu = h.players["xinghu"]
    assert "王 建国" in xinghu.last_text() and "鸿基小区" in xinghu.last_text()
    [audit] = await latest(h, "member.edit", limit=1)
    assert audit.before is not None and audit.before["status"] == "approved"
    assert audit.after is not None and audit.after["status"] == "pending"
    assert audit.unit_id == hongji.id
    # 伴月社区's admin may no longer decide; 星湖社区's may.
    with pytest.raises(NotAllowed):
        await svc.approve(banyue, actor.id)
    member = await svc.approve(await actor_of(h, xinghu), actor.id)
    assert member.status is MemberStatus.APPROVED
    assert (await actor_of(h, wang)).units_with(Role.MEMBER) == [hongji.id]
