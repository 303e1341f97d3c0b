"""Property matters go to the property company's staff (same cards, deadlines and ratings as
members); without a company to the self-management group; a 三无 compound's to the community;
and the monthly property-service rating reaches the residents and reports to the branch and
the committee."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auxil.admins import admin_world
from auxil.flows import file_request, onboard
from auxil.harness import Harness
from auxil.members import make_member
from auxil.parties import fill_seat

from bot.lifecycle import Status
from bot.models import Rating, Request

ADMINS = {"guo": (9001, "BY"), "zhan": (9002, "ZB")}  # 伴月社区, 站北社区


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    async with admin_world(tmp_path, ADMINS) as h:
        yield h


async def request(h: Harness, number: str) -> Request:
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found


async def test_property_company_staff_accept_work_and_are_rated(world: Harness) -> None:
    h = world
    guo = h.players["guo"]
    chen, liu, member = h.player("chen"), h.player("liu"), h.player("member")
    for person in (chen, liu):
        await onboard(person)
    await make_member(h, member)  # a member of 星荷豪苑: not offered a property matter now
    await fill_seat(h, guo, chen, "XHHY-PC-MGR")
    await fill_seat(h, guo, liu, "XHHY-PC-1")
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res, category="物业维修", description="5栋电梯按钮坏了")
    filed = await request(h, number)
    assert filed.route == "property_company" and filed.status is Status.DISPATCHED
    assert filed.accept_due_at is not None  # the same clocks as any request
    for staff in (chen, liu):
        assert number in staff.last_text() and "✋ 接单" in staff.buttons()
    assert not [m for m in member.bot_messages() if number in (m.text or "")]
    # The first press wins; the other card says who took it (the seat's holder).
    await liu.press("✋ 接单")
    assert "接单成功" in (liu.last_answer() or {}).get("text", "")
    # The resident is told the company took it, not a volunteer.
    assert f"您的诉求 {number} 已由刘伟（星荷物业服务有限公司）接单" in res.last_text()
    assert "已由刘伟接单" in chen.last_text()
    # A member cannot take it over by forging the press.
    await member.press_data(f"tk1:acc:{filed.id}")
    assert (await request(h, number)).assignee_id is not None
    await liu.command("/tasks")
    assert number in liu.last_text()
    await liu.press(number, exact=False)
    await liu.press("✅ 办理完成")
    await liu.send("已更换按钮")
    assert (await request(h, number)).status is Status.RESOLVED
    await res.press("满意")
    done = await request(h, number)
    assert done.status is Status.CLOSED and done.rating is Rating.SATISFIED


async def test_no_company_goes_to_the_self_management_group(world: Harness) -> None:
    h = world
    zhan = h.players["zhan"]
    lin = h.player("lin")
    await onboard(lin, "XNXQ")
    await fill_seat(h, zhan, lin, "XNXQ-SM-LDR")
    res = h.player("res")
    await onboard(res, "XNXQ")
    number = await file_request(h, res, category="物业维修", description="水管漏水")
    filed = await request(h, number)
    assert filed.route == "self_management_group"
    assert number in lin.last_text() and "✋ 接单" in lin.buttons()
    await lin.press("✋ 接单")
    assert (await request(h, number)).assignee_id is not None
    assert "（志愿者）" not in res.last_text() and "自管小组" in res.last_text(), res.last_text()


async def test_an_unmanaged_compound_goes_to_the_community(world: Harness) -> None:
    h = world
    zhan = h.players["zhan"]
    res = h.player("res")
    await onboard(res, "ZQXQ")  # 站前小区: no property company, no branch, no committee
    number = await file_request(h, res, category="物业维修", description="路灯坏了")
    filed = await request(h, number)
    assert filed.route == "community" and filed.status is Status.TRIAGED
    assert number in zhan.last_text() and "三无小区" in zhan.last_text()
    assert "👤 指派党员" in zhan.buttons()
    # The sweep does not offer it to the pool behind the community's back, nor flag it twice.
    h.clock.advance(timedelta(minutes=5))
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    await h.settle()
    assert len([m for m in zhan.bot_messages() if number in (m.text or "")]) == 1


async def test_the_monthly_property_rating_reports_to_the_branch_and_committee(
    world: Harness,
) -> None:
    h = world
    guo = h.players["guo"]
    hong = h.player("hong")
    await onboard(hong)
    await fill_seat(h, guo, hong, "XHHY-OC-DIR")
    residents = [h.player(f"r{n}") for n in range(3)]
    for resident in residents:
        await onboard(resident)
    elsewhere = h.player("elsewhere")
    await onboard(elsewhere, "LMJ")
    h.clock.set(datetime(2026, 12, 25, 3, 0, tzinfo=UTC))  # the 25th, 11:00 in Zhaoqing
    opened = await h.services.property.run_due()
    await h.settle()
    assert opened == 3  # 星荷豪苑, 鸿基小区, 龙马街小区 have a property company
    assert await h.services.property.run_due() == 0  # once a month
    for resident in residents:
        assert "物业服务评议（2026-12）" in resident.last_text()
    assert "星荷物业服务有限公司" in residents[0].last_text()
    await residents[0].press("满意")
    await residents[1].press("不满意")
    await residents[1].press("💬 补充意见")
    await residents[1].send("垃圾清运不及时")
    await residents[2].press("基本满意")
    round_id = int(residents[0].find_button("满意")[1]["callback_data"].split(":")[2])
    await elsewhere.press_data(f"pr1:a:{round_id}:s")  # not a resident of 星荷豪苑
    assert "只有本小区居民参与物业服务评议" in (elsewhere.last_answer() or {}).get("text", "")
    h.clock.advance(timedelta(days=8))
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    await h.settle()
    report = hong.last_text()
    assert "物业服务评议结束" in report
    assert "满意 1 · 基本满意 1 · 不满意 1（邀请 4 位居民，3 位作答）" in report
    assert "垃圾清运不及时" in report and "满意率：66.7%" in report
    assert "物业服务评议结束" in guo.last_text()
