"""Administrators: the queue of their area, invitations and revocation, audit, visits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.members import make_member

from bot.models import Role

EVENING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ADMINS = [
    {"telegram_id": 9701, "unit": "BY"},  # 伴月社区 (城西街道)
    {"telegram_id": 9702, "unit": "XH"},  # 星湖社区 (城东街道)
    {"telegram_id": 9703, "unit": "CX"},  # 城西街道
    {"telegram_id": 9704, "unit": "DZ"},  # 端州区
]


async def start_admin(h: Harness, name: str, telegram_id: int) -> Player:
    admin = h.player(name, user_id=telegram_id)
    await admin.command("/start")
    await admin.press("中文")
    await admin.press("跳过：我只做管理工作")
    return admin


@pytest.fixture
async def area(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, admins=ADMINS)
    await h.start()
    await h.import_org()
    await h.restart()
    h.clock.set(EVENING)
    for name, spec in zip(("banyue", "xinghu", "chengxi", "district"), ADMINS, strict=True):
        await start_admin(h, name, int(spec["telegram_id"]))  # type: ignore[arg-type]
    try:
        yield h
    finally:
        await h.stop()


async def test_queue_shows_only_the_admins_area_with_filters(area: Harness) -> None:
    h = area
    res_by, res_xh = h.player("res_by"), h.player("res_xh")
    await onboard(res_by, "XHHY")  # 伴月社区
    await onboard(res_xh, "HJXQ")  # 星湖社区
    mine = await file_request(h, res_by, description="伴月的事")
    urgent = await file_request(h, res_by, category="环境卫生", urgent=True, description="急")
    theirs = await file_request(h, res_xh, description="星湖的事")
    banyue = h.players["banyue"]
    await banyue.command("/admin")
    assert "管理" in banyue.last_text()
    await banyue.press("📋 诉求队列")
    text = banyue.last_text()
    assert mine in text and urgent in text and theirs not in text
    assert "共 2 件" in text
    await banyue.press("急事")
    assert urgent in banyue.last_text() and mine not in banyue.last_text()
    await banyue.press("全部事项")
    await banyue.press("类别 ▾")
    await banyue.press("物业维修")
    assert mine in banyue.last_text() and urgent not in banyue.last_text()
    # Open a request: the admin card with its actions.
    await banyue.press(f"查看 {mine}")
    card = banyue.last_text()
    assert "居民：Res_by" in card and "接单期限" in card
    assert {"👤 指派党员", "难事合力办", "+3 天", "📣 重新派单"} <= set(banyue.buttons())
    # The district sees both; the other community neither of these.
    district = h.players["district"]
    await district.command("/admin")
    await district.press("📋 诉求队列")
    assert "共 3 件" in district.last_text()
    xinghu = h.players["xinghu"]
    await xinghu.command("/admin")
    await xinghu.press("📋 诉求队列")
    assert theirs in xinghu.last_text() and mine not in xinghu.last_text()


async def test_forged_admin_buttons_are_refused_and_audited(area: Harness) -> None:
    h = area
    res = h.player("res")
    await onboard(res, "XHHY")
    number = await file_request(h, res)
    async with h.services.db.read() as tx:
        filed = await tx.requests.by_number(number)
    assert filed is not None
    xinghu = h.players["xinghu"]
    for data in (
        f"ad1:o:{filed.id}",
        f"es1:tier:{filed.id}:urgent",
        f"as1:r:{filed.id}",
        f"ad1:pool:{filed.id}",
    ):
        await xinghu.press_data(data)
        assert "只有本辖区的管理员可以这样操作" in (xinghu.last_answer() or {})["text"]
    await res.press_data(f"es1:tier:{filed.id}:urgent")  # a resident
    assert "只有本辖区的管理员" in (res.last_answer() or {})["text"]
    async with h.services.db.read() as tx:
        refused = [e for e in await tx.audit.latest(limit=50) if e.action.endswith(".refused")]
        tier = (await tx.requests.by_number(number)).tier  # type: ignore[union-attr]
    assert len(refused) == 5 and tier.value == "important"


async def test_invite_grants_an_admin_below_and_revoke_takes_it_back(area: Harness) -> None:
    h = area
    chengxi = h.players["chengxi"]
    await chengxi.command("/admin")
    await chengxi.press("👥 管理员")
    assert "伴月社区" in chengxi.last_text()  # the community admin below the street
    await chengxi.press("➕ 邀请管理员")
    assert set(chengxi.buttons()) == {"伴月社区", "出头社区"}  # units below, not other streets
    await chengxi.press("出头社区")
    link = chengxi.last_text().split("\n")[-1]
    assert link.startswith("https://t.me/GridbotDemoBot?start=inv_")
    newbie = h.player("newbie")
    await newbie.command(f"/start {link.rsplit('=', 1)[1]}")
    assert "您已成为出头社区的管理员" in newbie.texts()[0]
    assert newbie.buttons() == ["中文", "English"]  # then the usual onboarding
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(newbie.id)
        assert person is not None
        grants = await tx.people.grants(person.id)
    async with h.services.db.read() as tx:
        chutou = await tx.org.get_by_code("CT")
    assert chutou is not None
    assert [(g.role, g.unit_id) for g in grants] == [(Role.ADMIN, chutou.id)]
    # The link works once.
    other = h.player("other")
    await other.command(f"/start {link.rsplit('=', 1)[1]}")
    assert "此邀请已失效" in other.texts()[0]
    # Revoke.
    await chengxi.command("/admin")
    await chengxi.press("👥 管理员")
    await chengxi.press(next(b for b in chengxi.buttons() if b.startswith("撤销：Newbie")))
    async with h.services.db.read() as tx:
        assert await tx.people.grants(person.id) == []
    # A community admin cannot invite for its own level or above.
    banyue = h.players["banyue"]
    async with h.services.db.read() as tx:
        street = await tx.org.get_by_code("CX")
    assert street is not None
    await banyue.press_data(f"ad1:iu:{street.id}")
    assert "只能管理下级单位的管理员" in (banyue.last_answer() or {})["text"]


async def test_audit_is_for_street_and_district_admins(area: Harness) -> None:
    h = area
    res = h.player("res")
    await onboard(res, "XHHY")
    number = await file_request(h, res)
    async with h.services.db.read() as tx:
        filed = await tx.requests.by_number(number)
    assert filed is not None
    banyue = h.players["banyue"]
    await banyue.press_data(f"es1:tier:{filed.id}:urgent")
    chengxi = h.players["chengxi"]
    await chengxi.command("/audit")
    assert "操作记录" in chengxi.last_text() and f"调整分级 · {number}" in chengxi.last_text()
    await banyue.command("/audit")
    assert "操作记录仅供街道和区级管理员查看" in banyue.last_text()


async def test_member_logs_a_visit_with_an_opinion(area: Harness) -> None:
    h = area
    mei = h.player("mei")
    await make_member(h, mei)
    await mei.command("/visit")
    assert "您走访了哪个小区" in mei.last_text()
    assert mei.buttons()[0] == "星荷豪苑"  # their own compound first
    await mei.press("龙马街小区")
    await mei.send("十二")
    assert "请输入数字" in mei.last_text()
    await mei.send("12")
    await mei.send("30")
    await mei.send("老人多，关心电梯维护")
    await mei.send("希望增加休息座椅")
    assert "请核对走访记录" in mei.last_text() and "户数：12" in mei.last_text()
    await mei.press("✅ 确认提交")
    assert "已登记走访：12 户，30 位居民" in mei.last_text()
    assert "意见已转给社区" in mei.last_text()
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(mei.id)
        assert person is not None
        assert await tx.visits.totals(person.id) == (1, 12, 30)
        [visit] = await tx.visits.by_person(person.id)
        opinion = await tx.requests.get(visit.opinion_request_id)  # type: ignore[arg-type]
        unit = await tx.org.get_by_code("LMJ")
    assert opinion is not None and opinion.description == "希望增加休息座椅"
    assert unit is not None and visit.compound_id == unit.id == opinion.compound_id
    # The community admin got the opinion.
    assert "希望增加休息座椅" in h.players["banyue"].last_text()
    # Residents cannot log visits.
    res = h.player("res")
    await onboard(res)
    await res.command("/visit")
    assert "只有已报到并通过审核" in res.last_text()
