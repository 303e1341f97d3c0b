"""菜单式服务 played through the bot: the menu of the eight projects, a 法进社区 consultation
ordered, accepted and done by a member of the legal team, rated, credited and counted; a team
leader (队长) seeing the team's orders across the district and assigning within the team."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from auxil.activities import LOCAL, actor_of
from auxil.admins import admin_world
from auxil.flows import onboard
from auxil.harness import Harness, Player
from auxil.members import make_member
from openpyxl import load_workbook

from bot import cbdata
from bot.export import workbook_bytes
from bot.lifecycle import Status
from bot.models import Request
from bot.models.service import OrderForm, TimeSlot

PROJECTS = [
    "以和为贵",
    "文化之旅",
    "法进社区",
    "社区医生",
    "第二课堂",
    "情暖夕阳",
    "快乐养心",
    "科普在社区",
]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    """张书记 runs 伴月社区; in 星荷豪苑 a lawyer (法律服务) and a mediator (人民调解); in
    龙马街小区 another lawyer; in 鸿基小区 (the other street) a third; 王阿姨 lives in 星荷豪苑."""
    async with admin_world(tmp_path, {"zhang": (9701, "BY")}) as h:
        await make_member(h, h.player("lawyer"), teams=("LEGAL",))
        await make_member(h, h.player("mediator"), teams=("MEDIATION",))
        await make_member(h, h.player("lawyer2"), compound="LMJ", teams=("LEGAL",))
        await make_member(h, h.player("lawyer3"), compound="HJXQ", teams=("LEGAL",))
        await onboard(h.player("wang"))
        yield h


async def team_id(h: Harness, code: str) -> int:
    return next(t.id for t in await h.services.org.teams() if t.code == code)


async def order(h: Harness, player: Player, team: str, need: str) -> Request:
    """The order as its flow files it (the flow has its own tests)."""
    form = OrderForm(
        team_id=await team_id(h, team),
        need=need,
        slots=[TimeSlot.WEEKDAY_EVENING, TimeSlot.WEEKEND],
        phone="+8613800138000",
    )
    request, new = await h.services.menu.order(await actor_of(h, player), form)
    assert new
    await h.settle()
    return request


async def test_the_menu_lists_the_eight_projects(world: Harness) -> None:
    wang = world.players["wang"]
    await wang.tap("服务菜单")
    text = wang.last_text()
    assert text.startswith("🧭 菜单式服务")
    for project in PROJECTS:
        assert project in text
    assert "律师、法律工作者免费法律咨询" in text
    buttons = wang.buttons()
    assert buttons[:3] == ["以和为贵 · 人民调解", "文化之旅 · 弘扬文化", "法进社区 · 法律服务"]
    assert buttons[-3:] == ["🙌 志愿活动", "📍 附近驿站", "⭐ 我的积分"]
    await wang.press("法进社区 · 法律服务")
    page = wang.last_text()
    assert "服务内容：律师、法律工作者免费法律咨询" in page
    assert "服务时间：每周三下午 14:30-17:30，可预约" in page
    assert "服务地点：星荷豪苑先锋服务驿站，行动不便可上门" in page
    assert "本社区有 2 名该服务队队员。" in page
    assert wang.buttons() == ["🛎 我要点单", "‹ 返回服务菜单"]
    await wang.command("/services")
    assert wang.last_text() == text


async def test_a_legal_consultation_ordered_accepted_done_and_rated(world: Harness) -> None:
    h = world
    wang, lawyer, lawyer2, mediator = (
        h.players[n] for n in ("wang", "lawyer", "lawyer2", "mediator")
    )
    # 点单: from the menu, three short steps.
    await wang.tap("服务菜单")
    await wang.press("法进社区 · 法律服务")
    await wang.press("🛎 我要点单")
    assert "点单：法进社区" in wang.last_text() and "第 1 步（共 3 步）" in wang.last_text()
    await wang.send("房屋租赁合同纠纷，想咨询怎么退押金")
    assert "第 2 步（共 3 步）" in wang.last_text()
    await wang.press("完成 ➡")  # nothing ticked yet
    assert (wang.last_answer() or {})["text"] == "请至少选择一个方便的时间。"
    await wang.press("工作日晚上")
    assert wang.buttons()[:4] == ["工作日上午", "工作日下午", "✅ 工作日晚上", "周末"]
    await wang.press("工作日上午")
    await wang.press("✅ 工作日上午")  # untick
    await wang.press("周末")
    await wang.press("完成 ➡")
    assert "第 3 步（共 3 步）" in wang.last_text()
    assert wang.keyboard() == ["📞 提供我的手机号", "不留电话，在这里联系我"]
    await wang.send("138 0013 8000")
    summary = wang.last_text()
    assert "服务项目：法进社区 · 法律服务" in summary
    assert "需求：房屋租赁合同纠纷，想咨询怎么退押金" in summary
    assert "时间：工作日晚上、周末" in summary and "电话：+8613800138000" in summary
    _message, send_button = wang.find_button("✅ 确认点单")
    await wang.press("✅ 确认点单")
    filed = wang.last_text()
    assert filed.startswith("✅ 点单 DZ-2026-") and "已发给“法律服务”服务队" in filed
    assert wang.keyboard()[:2] == ["反映诉求", "服务菜单"]
    number = filed.split(" ")[2]
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    request = found
    assert request.service_team_id == await team_id(h, "LEGAL")
    assert request.preferred_slots == ["wd_ev", "we"]
    assert request.contact_phone == "+8613800138000"
    # Send pressed again (a slow network): the same number, no second order.
    await wang.press_data(send_button["callback_data"])
    assert wang.last_text() == filed
    async with h.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM requests") == 1
    assert request.status is Status.DISPATCHED
    # The legal team's members of the community get the card; the mediator does not, nor
    # the lawyer of the other street.
    card = lawyer.last_text()
    assert request.number in card
    assert "🧭 点单服务：法进社区 · 法律服务" in card
    assert "方便的时间：工作日晚上、周末" in card
    assert "居民：W**" in card and "13800138000" not in card
    assert request.number in lawyer2.last_text()
    assert not any(request.number in t for t in mediator.texts())
    assert not any(request.number in t for t in h.players["lawyer3"].texts())

    await lawyer.press("✋ 接单")
    assert "Lawyer Real" in wang.last_text()
    taken = next(m.text or "" for m in lawyer2.bot_messages() if request.number in (m.text or ""))
    assert "Lawyer Real" in taken and "✋ 接单" not in taken
    await lawyer.press("✅ 办理完成")
    await lawyer.send("已电话解答：先书面催告房东，保留转账记录")
    assert "满意" in wang.buttons()
    await wang.press("满意")
    async with h.services.db.read() as tx:
        done = await tx.requests.get(request.id)
        person = await tx.people.by_telegram(lawyer.id)
        assert person is not None
        points = await tx.points.balance(person.id)
    assert done is not None and done.status is Status.CLOSED and done.rating == "satisfied"
    # A task done earns its member the task points.
    assert points == 5
    assert f"⭐ {request.number} 已办结，积分 +5。谢谢您！" in lawyer.last_text()
    # It shows in My requests as a service order.
    await wang.tap("我的诉求")
    await wang.press(next(b for b in wang.buttons() if request.number in b))
    assert "🧭 点单服务：法进社区 · 法律服务" in wang.last_text()

    # /stats: the legal team's order, done and rated.
    zhang = h.players["zhang"]
    await zhang.command("/stats")
    stats = next(m.text or "" for m in reversed(zhang.bot_messages()) if "📊" in (m.text or ""))
    assert "法进社区 · 法律服务：1 · 1 · 100%" in stats
    # The Excel export has the teams' sheet.
    async with h.services.db.read() as tx:
        banyue = await tx.org.get_by_code("BY")
    assert banyue is not None
    export = await h.services.stats.export(
        await actor_of(h, zhang), banyue.id, h.services.stats.period()
    )
    book = load_workbook(
        io.BytesIO(workbook_bytes(export, h.services.i18n.get("zh_CN"), "zh_CN", LOCAL))
    )
    rows = [[c.value for c in row] for row in book["服务队"].iter_rows()]
    assert rows[0] == ["服务项目", "服务队", "点单", "办结", "满意率", "评价数"]
    assert ["法进社区", "法律服务", 1, 1, 1.0, "1/1"] in rows


async def test_a_team_leader_sees_the_teams_orders_and_assigns_within_the_team(
    world: Harness,
) -> None:
    h = world
    leader = h.player("leader")
    await onboard(leader, "LMJ")
    assert await h.services.leaders.appoint(leader.id, "LEGAL", "DZ")
    assert not await h.services.leaders.appoint(leader.id, "LEGAL", "DZ")  # once
    await h.services.people.refresh_menu(await actor_of(h, leader))
    await h.settle()
    assert "team" in leader.commands()

    hongji = h.player("hongji")
    await onboard(hongji, "HJXQ")
    first = await order(h, h.players["wang"], "LEGAL", "遗嘱怎么写才有效")
    second = await order(h, hongji, "LEGAL", "劳动合同到期不续签有没有补偿")
    other = await order(h, h.players["wang"], "MEDIATION", "楼上漏水和邻居吵起来了")

    await leader.command("/team")
    text = leader.last_text()
    assert "法进社区 · 法律服务未办结的点单" in text
    assert first.number in text and second.number in text  # across the district
    assert other.number not in text  # another team's
    await leader.press(f"指派 {second.number}")
    assert leader.buttons() == ["Lawyer3 Real", "Lawyer Real", "Lawyer2 Real"]
    await leader.press("Lawyer3 Real")
    assert leader.last_text() == f"✅ {second.number} 已指派给Lawyer3 Real，等待对方接单或谢绝。"
    lawyer3 = h.players["lawyer3"]
    assert second.number in lawyer3.last_text() and "✋ 接单" in lawyer3.buttons()

    # A member of another team cannot be given the order, whatever the button says.
    async with h.services.db.read() as tx:
        mediator = await tx.people.by_telegram(h.players["mediator"].id)
    assert mediator is not None
    await leader.press_data(cbdata.encode("sv", "lm", first.id, mediator.id))
    assert (leader.last_answer() or {})["text"] == "该党员目前不能接单。"
    # Nor does anyone but a leader of the team see its orders.
    zhang = h.players["zhang"]
    await zhang.command("/team")
    assert zhang.last_text() == "只有服务队队长可以查看本队的点单。"
    await zhang.press_data(cbdata.encode("sv", "lt", await team_id(h, "LEGAL")))
    assert (zhang.last_answer() or {})["text"] == "只有本服务队队长可以操作。"
    async with h.services.db.read() as tx:
        refusals = [e.action for e in await tx.audit.latest(limit=50)]
    assert "team.assign.refused" in refusals and "team.orders.refused" in refusals


async def test_orders_stay_with_their_team(world: Harness) -> None:
    """No member of the team nearby: the community's admins are told, and nobody of another
    team gets the order; a member who declines it hands it back to the team, not to others."""
    h = world
    wang, zhang = h.players["wang"], h.players["zhang"]
    culture = await order(h, wang, "CULTURE", "想学书法，有没有老师")
    assert culture.status is Status.TRIAGED
    assert "目前没有可以接单的党员" in zhang.last_text() and culture.number in zhang.last_text()
    for name in ("lawyer", "lawyer2", "lawyer3", "mediator"):
        assert not any(culture.number in t for t in h.players[name].texts()), name

    mediation = await order(h, wang, "MEDIATION", "楼上漏水和邻居吵起来了")
    assert mediation.number in h.players["mediator"].last_text()
    assert not any(mediation.number in t for t in h.players["lawyer"].texts())

    leader = h.player("leader")
    await onboard(leader, "LMJ")
    await h.services.leaders.appoint(leader.id, "LEGAL", "DZ")
    legal = await order(h, wang, "LEGAL", "遗嘱怎么写才有效")
    async with h.services.db.read() as tx:
        lawyer3 = await tx.people.by_telegram(h.players["lawyer3"].id)
    assert lawyer3 is not None
    await h.services.menu.team_assign(await actor_of(h, leader), legal.id, lawyer3.id)
    await h.settle()
    before = {n: len(h.players[n].bot_messages()) for n in ("lawyer", "lawyer2", "mediator")}
    await h.services.dispatch.decline(
        await actor_of(h, h.players["lawyer3"]), legal.id, "这周出差，来不及"
    )
    await h.settle()
    for name in ("lawyer", "lawyer2"):  # offered again to the team, with a new card each
        player = h.players[name]
        assert len(player.bot_messages()) == before[name] + 1
        assert legal.number in player.last_text() and "✋ 接单" in player.buttons()
    assert len(h.players["mediator"].bot_messages()) == before["mediator"]
