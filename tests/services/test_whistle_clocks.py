"""The clocks of departments' sub-orders: working time (a holiday weekend, a make-up
Saturday), reminders and escalations exactly once across a restart; a dispute ruled by the
district; a repeated press acting once; the resident's 不满意 giving the lead its part back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from auxil.departments import person_actor
from auxil.harness import Harness, Player
from auxil.whistles import blow, difficult_request, orders_of, staff, tick, whistle_world

from bot.errors import InvalidInput
from bot.lifecycle import Status
from bot.models import Rating
from bot.suborders import SubOrderState

HOLIDAYS_2026 = {
    "holidays": ["2026-04-04..2026-04-06", "2026-10-01..2026-10-07"],
    "workdays": ["2026-10-10"],
}
FRIDAY_BEFORE_QINGMING = datetime(2026, 4, 3, 9, 30, tzinfo=UTC)  # 17:30 in Zhaoqing
FRIDAY_BEFORE_MAKE_UP_SATURDAY = datetime(2026, 10, 9, 9, 30, tzinfo=UTC)  # 17:30


def count(player: Player, part: str) -> int:
    return sum(1 for text in player.texts() if part in text)


async def test_a_whistle_at_1730_on_the_friday_before_a_holiday_is_due_on_the_next_working_day(
    tmp_path: Path,
) -> None:
    async with whistle_world(tmp_path, at=FRIDAY_BEFORE_QINGMING, calendar=HOLIDAYS_2026) as h:
        zj, zjhead, district = staff(h)["zj"], staff(h)["zjhead"], h.player("district")
        request = await difficult_request(h, h.player("alice"))
        await blow(h, h.player("community"), request, [("ZJJ", True, "结构安全鉴定")])
        order = (await orders_of(h, request))["ZJJ"]
        # 清明节 is Saturday to Monday: two working hours from Tuesday 08:30.
        assert order.sign_due_at == datetime(2026, 4, 7, 2, 30, tzinfo=UTC)  # 10:30
        assert "签收期限：2026-04-07 10:30" in zj.last_text()

        # Nothing happens over the long weekend, however often the sweep runs.
        for _hours in range(3 * 24):  # Saturday, Sunday, Monday
            await tick(h, hours=1)
        assert count(zj, "催办") == 0 and count(zjhead, "督办") == 0

        # Tuesday: a restart between the reminders loses and repeats nothing.
        h.clock.set(datetime(2026, 4, 7, 1, 29, tzinfo=UTC))  # 09:29
        await tick(h, minutes=0)
        assert count(zj, "催办") == 0
        await tick(h, minutes=1)  # 09:30: 50%
        assert count(zj, "⏰ 催办：请尽快签收派单") == 1
        await h.restart()
        await tick(h, minutes=0)
        assert count(zj, "⏰ 催办：请尽快签收派单") == 1
        await tick(h, minutes=36)  # 10:06: 80%
        assert count(zj, "⏰ 催办：请尽快签收派单") == 2
        await tick(h, minutes=24)  # 10:30: the deadline, to the head
        await tick(h, minutes=0)
        assert count(zjhead, "⚠ 督办：贵部门超时未签收此派单") == 1
        assert count(district, "区级督办") == 0
        await tick(h, hours=4, minutes=29)  # 14:59
        assert count(district, "区级督办") == 0
        await tick(h, minutes=1)  # 15:00: two more working hours, after the lunch break
        assert count(district, "⚠ 区级督办：有部门超时未签收派单") == 1
        async with h.services.db.read() as tx:
            events = await tx.whistles.events(order.id)
        assert [(e.kind, e.note) for e in events if e.kind in ("reminder", "escalation")] == [
            ("reminder", "sign:1:1"),
            ("reminder", "sign:2:1"),
            ("escalation", "sign:head:1"),
            ("escalation", "sign:district:1"),
        ]


async def test_a_listed_make_up_saturday_counts_as_working(tmp_path: Path) -> None:
    async with whistle_world(
        tmp_path, at=FRIDAY_BEFORE_MAKE_UP_SATURDAY, calendar=HOLIDAYS_2026
    ) as h:
        request = await difficult_request(h, h.player("alice"))
        await blow(h, h.player("community"), request, [("CGJ", True, "依法拆除")])
        order = (await orders_of(h, request))["CGJ"]
        assert order.sign_due_at == datetime(2026, 10, 10, 2, 30, tzinfo=UTC)  # Sat 10:30
        assert "签收期限：2026-10-10 10:30" in staff(h)["cg"].last_text()


@pytest.fixture
async def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with whistle_world(tmp_path) as h:
        yield h


async def test_a_dispute_goes_to_the_district_which_rules_for_good(world: Harness) -> None:
    h = world
    people = staff(h)
    community, district = h.player("community"), h.player("district")
    request = await difficult_request(h, h.player("alice"))
    await blow(h, community, request, [("CGJ", True, "依法拆除"), ("PCS-CX", False, "维持秩序")])
    pcs = people["pcs"]
    await pcs.press("↩ 退单")
    await pcs.press("不属本部门职责，应由其他部门办理")
    await pcs.send("违建拆除现场秩序应由公安分局治安大队负责")
    assert "↩ 城西派出所退单：认为应由其他部门办理" in community.last_text()
    await community.press("⚖ 提请区级裁定")
    assert community.last_text() == "已提请区级裁定。"
    card = district.last_text()
    assert (
        "⚖ 职责争议，请区级裁定" in card
        and "原因：违建拆除现场秩序应由公安分局治安大队负责" in card
    )
    await district.press("⚖ 裁定：指定办理部门")
    await district.press("公安分局")
    assert district.last_text() == "已裁定：由公安分局办理。"
    ga = people["ga"]
    assert "⚖ 区级裁定交办，不能退单。" in ga.last_text()
    assert ga.buttons() == ["✅ 签收"]  # no 退单
    orders = await orders_of(h, request)
    assert orders["PCS-CX"].state is SubOrderState.RULED and orders["GAFJ"].ruled
    with pytest.raises(InvalidInput):
        await h.services.suborders.give_back(await person_actor(h, ga), orders["GAFJ"].id, "x")
    async with h.services.db.read() as tx:
        actions = [
            r[0]
            for r in await tx.fetchall(
                "SELECT action FROM audit_log WHERE action LIKE 'whistle.%' ORDER BY id"
            )
        ]
    assert actions == ["whistle.blow", "whistle.dispute", "whistle.rule"]


async def test_a_repeated_press_acts_once(world: Harness) -> None:
    h = world
    cg = staff(h)["cg"]
    request = await difficult_request(h, h.player("alice"))
    await blow(h, h.player("community"), request, [("CGJ", True, "依法拆除")])
    card, button = cg.find_button("✅ 签收")
    for _ in range(2):
        await h.process(h.emulator.user_press(cg.id, card.message_id, button["callback_data"]))
    order = (await orders_of(h, request))["CGJ"]
    async with h.services.db.read() as tx:
        signed = [e for e in await tx.whistles.events(order.id) if e.kind == "signed"]
        steps = [e for e in await tx.requests.events(request.id) if e.kind == "department"]
    assert len(signed) == 1 and [e.note for e in steps].count(f"signed:{order.department_id}") == 1


async def test_not_satisfied_gives_the_lead_its_part_back(world: Harness) -> None:
    h = world
    people = staff(h)
    cg, zj, alice = people["cg"], people["zj"], h.player("alice")
    request = await difficult_request(h, alice)
    await blow(
        h, h.player("community"), request, [("CGJ", True, "依法拆除"), ("ZJJ", False, "安全鉴定")]
    )
    for player in (cg, zj):
        await player.press("✅ 签收")
    for player in (zj, cg):
        await player.press("✅ 本部门办理完成")
        await player.send("已完成")
    await cg.press("🏁 答复居民，办理完成")
    await cg.send("已拆除")
    await alice.press("不满意")
    async with h.services.db.read() as tx:
        reopened = await tx.requests.get(request.id)
    assert reopened is not None and reopened.status is Status.REOPENED
    orders = await orders_of(h, request)
    assert orders["CGJ"].state is SubOrderState.SIGNED and orders["CGJ"].completed_at is None
    assert orders["ZJJ"].state is SubOrderState.COMPLETED
    assert orders["CGJ"].rating is Rating.UNSATISFIED and orders["ZJJ"].rating is (
        Rating.UNSATISFIED
    )
    assert "↩ 居民不满意，请重新办理本部门事项" in cg.last_text()
    # Done again, resolved again, and this time the resident is satisfied.
    await cg.press("✅ 本部门办理完成")
    await cg.send("违建已彻底拆除，垃圾已清运")
    await cg.press("🏁 答复居民，办理完成")
    await cg.send("违建已彻底拆除，垃圾已清运。")
    await alice.press("满意")
    orders = await orders_of(h, request)
    assert orders["CGJ"].rating is Rating.SATISFIED and orders["ZJJ"].rating is Rating.SATISFIED


async def test_a_late_completion_reaches_the_head_then_the_district(world: Harness) -> None:
    h = world
    zj, zjhead, district = staff(h)["zj"], staff(h)["zjhead"], h.player("district")
    request = await difficult_request(h, h.player("alice"))
    await blow(h, h.player("community"), request, [("ZJJ", True, "结构安全鉴定")])
    await zj.press("✅ 签收")  # Thursday 26 November, 10:00
    order = (await orders_of(h, request))["ZJJ"]
    assert order.complete_due_at == datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # ten working days
    await tick(h, days=7)  # Thursday 3 December, 10:00: half of the window (32.5 hours)
    assert count(zj, "⏰ 催办：派单办理期限将到") == 1
    await tick(h, days=7)  # Thursday 10 December, 10:00
    assert count(zj, "⏰ 催办：派单办理期限将到") == 2
    assert count(zjhead, "⚠ 督办：贵部门超期未办理完成此派单") == 1
    assert count(district, "区级督办") == 0
    await tick(h, days=14)  # Thursday 24 December: one more window
    assert count(district, "⚠ 区级督办：有部门超期未办理完成派单") == 1
    assert (await orders_of(h, request))["ZJJ"].escalation_level == "district"
