"""积分 and 积分超市 played through the bot: corrections with a reason, /points, redeeming at a
station confirmed by its staff with a one-time code, and a ledger that never goes negative —
refused in the service, and by the store itself however concurrent."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from auxil.activities import actor_of
from auxil.admins import admin_world
from auxil.flows import onboard
from auxil.harness import Harness

from bot.errors import InvalidInput
from bot.models.points import PointsKind, RedemptionState


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    """张书记 runs 伴月社区 (and its station S-BY, whose shop has soap 30, rice 50, haircut
    20); 王阿姨 lives in 星荷豪苑."""
    async with admin_world(tmp_path, {"zhang": (9701, "BY")}) as h:
        await onboard(h.player("wang"))
        yield h


async def balance(h: Harness, telegram_id: int) -> int:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(telegram_id)
        assert person is not None
        return await tx.points.balance(person.id)


async def test_a_correction_then_a_redemption_confirmed_at_the_station(world: Harness) -> None:
    h = world
    zhang, wang = h.players["zhang"], h.players["wang"]
    # The station's staff have the commands; residents have /points.
    assert {"redeem", "correct", "points"} <= set(zhang.commands())
    assert "points" in wang.commands() and "redeem" not in wang.commands()
    await zhang.command("/correct Wang +25 补记重阳节活动时长")
    assert zhang.last_text() == "✅ Wang：积分 +25（补记重阳节活动时长），现有 25 分。"
    assert "⭐ 您的积分已更正 +25（补记重阳节活动时长），现有 25 分。" in wang.last_text()

    await wang.command("/points")
    text = wang.last_text()
    assert "⭐ 我的积分：25" in text and "积分更正（补记重阳节活动时长） → 25" in text
    await wang.press("🛒 积分超市")
    shop = wang.last_text()
    assert "📍 伴月社区党群服务中心驿站" in shop and "• 洗衣液一瓶：30 分" in shop
    assert "• 大米5斤：50 分（剩 20 份）" in shop
    # Only what the balance covers can be picked.
    assert wang.buttons() == ["义剪理发一次（20分）", "毛巾一条（15分）"]
    await wang.press("义剪理发一次（20分）")
    code = wang.last_text().split("<b>")[0].split("：")[1].split("\n")[0].strip()
    assert len(code) == 6 and code.isdigit()
    assert "请在" in wang.last_text() and "伴月社区党群服务中心驿站" in wang.last_text()
    assert await balance(h, wang.id) == 25  # nothing taken yet

    await zhang.command(f"/redeem {code}")
    assert "兑换人：Wang（现有 25 分）" in zhang.last_text()
    await zhang.press("✅ 确认兑换")
    assert zhang.last_text() == "✅ 已兑换：Wang领取义剪理发一次，扣 20 分，余 5 分。"
    assert "🎁 您已在伴月社区党群服务中心驿站兑换义剪理发一次，剩余 5 分。" in wang.last_text()
    assert await balance(h, wang.id) == 5
    # The code is used up.
    await zhang.command(f"/redeem {code}")
    assert zhang.last_text() == f"兑换码 {code} 无效：可能输错了、已使用或已过期。"
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(wang.id)
        assert person is not None
        entries = await tx.points.entries(person.id)
        audited = [
            (e.action, e.unit_id)
            for e in await tx.audit.latest(limit=100)
            if e.subject == f"person:{person.id}"
        ]
        home = person.home_unit_id
    assert [(e.kind, e.delta, e.balance) for e in entries] == [
        (PointsKind.REDEEM, -20, 5),
        (PointsKind.CORRECT, 25, 25),
    ]
    # Every entry is audited, in the person's compound (the admins' 操作记录 shows it).
    assert {("points.redeem", home), ("points.correct", home)} <= set(audited)


async def test_a_redemption_that_would_overdraw_is_refused(world: Harness) -> None:
    h = world
    zhang, wang = h.players["zhang"], h.players["wang"]
    await zhang.command("/correct Wang +25 补记")
    svc = h.services
    actor = await actor_of(h, wang)
    async with svc.db.read() as tx:
        items = {i.code: i for i in await tx.points.items()}
    # Asking for more than the balance: refused at once.
    with pytest.raises(InvalidInput) as refused:
        await svc.points.ask(actor, items["BY-SOAP"].id)
    assert refused.value.params["balance"] == 25 and refused.value.params["price"] == 30
    # A code asked while the balance covered it; the balance drops before the station.
    redemption, _item, _station = await svc.points.ask(actor, items["BY-HAIRCUT"].id)
    await zhang.command("/correct Wang -10 多记了")
    assert await balance(h, wang.id) == 15
    await zhang.command(f"/redeem {redemption.code}")
    await zhang.press("✅ 确认兑换")
    answer = zhang.last_answer()
    assert answer is not None and answer["show_alert"]
    assert answer["text"] == "积分不足：现有 15 分，义剪理发一次需要 20 分。"
    assert await balance(h, wang.id) == 15
    async with svc.db.read() as tx:
        still = await tx.points.redemption(redemption.id)
    assert still is not None and still.state is RedemptionState.PENDING
    # A correction below zero is refused too, and changes nothing.
    await zhang.command("/correct Wang -16 错误")
    assert zhang.last_text() == "现有 15 分，这样扣减积分会变成负数。"
    assert await balance(h, wang.id) == 15


async def test_two_redemptions_at_once_never_overdraw(world: Harness) -> None:
    """30 points, two codes of 20 confirmed at the same moment: exactly one goes through."""
    h = world
    zhang, wang = h.players["zhang"], h.players["wang"]
    await zhang.command("/correct Wang +30 补记")
    svc = h.services
    actor, staff = await actor_of(h, wang), await actor_of(h, zhang)
    async with svc.db.read() as tx:
        haircut = next(i for i in await tx.points.items() if i.code == "BY-HAIRCUT")
    first, _, _ = await svc.points.ask(actor, haircut.id)
    second, _, _ = await svc.points.ask(actor, haircut.id)
    results = await asyncio.gather(
        svc.points.confirm(staff, first.code),
        svc.points.confirm(staff, second.code),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["InvalidInput", "Staffed"]
    assert await balance(h, wang.id) == 10


async def test_the_store_refuses_a_negative_balance(world: Harness) -> None:
    """Whatever the code does, the CHECK on the balance holds."""
    h = world
    await h.players["zhang"].command("/correct Wang +5 补记")
    with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError)):
        async with h.services.db.transaction() as tx:
            await tx.execute("UPDATE points_balances SET balance = balance - 6")
    assert await balance(h, h.players["wang"].id) == 5


async def test_only_the_stations_staff_confirm(world: Harness, tmp_path: Path) -> None:
    h = world
    wang = h.players["wang"]
    await h.players["zhang"].command("/correct Wang +30 补记")
    async with h.services.db.read() as tx:
        towel = next(i for i in await tx.points.items() if i.code == "ZB-TOWEL")  # 站北社区
    redemption, _, _ = await h.services.points.ask(await actor_of(h, wang), towel.id)
    zhang = h.players["zhang"]  # administers 伴月社区, not 站北社区
    await zhang.command(f"/redeem {redemption.code}")
    assert zhang.last_text() == "只有站北社区先锋服务驿站的工作人员可以核销。"
    await wang.command(f"/redeem {redemption.code}")  # nor the person themselves
    assert "只有" in wang.last_text()
    async with h.services.db.read() as tx:
        refusals = await tx.audit.latest(action="points.redeem.refused")
    assert len(refusals) == 2
    assert await balance(h, wang.id) == 30
