"""Publishing an activity (志愿服务活动), played through the guided flow: an administrator's
ten steps and the preview's exact count; a typed address with the place shared on the map; a
team leader, whose team is given; who may not; a restart in the middle; Publish pressed
twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from auxil.activities import actor_of
from auxil.admins import admin_world
from auxil.flows import onboard
from auxil.harness import Harness, Player
from auxil.members import make_member

from bot.errors import NotAllowed
from bot.models.activities import ActivityState, Audience


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    """张书记 runs 伴月社区 (Thursday 26 November, 19:00); three residents of 星荷豪苑, a
    legal-team member in 龙马街小区 who leads the team in the district."""
    async with admin_world(tmp_path, {"zhang": (9701, "BY")}) as h:
        for name in ("r1", "r2", "r3"):
            await onboard(h.player(name))
        await make_member(h, h.player("leader"), compound="LMJ", teams=("LEGAL",))
        await h.services.leaders.appoint(h.players["leader"].id, "LEGAL", "DZ")
        await h.services.people.refresh_menu(await actor_of(h, h.players["leader"]))
        await h.settle()
        yield h


async def activities(h: Harness) -> list:  # type: ignore[type-arg]
    async with h.services.db.read() as tx:
        rows = await tx.fetchall("SELECT id FROM activities ORDER BY id")
        return [await tx.activities.get(int(r[0])) for r in rows]


async def through_the_steps(zhang: Player) -> None:
    """Title, no details, Saturday, 09:00, two hours, the station of 星荷豪苑, ten places."""
    await zhang.command("/activities")
    await zhang.press("➕ 发布活动")
    assert "第 1 步（共 10 步）" in zhang.last_text()
    await zhang.send("读书分享会")
    assert "第 2 步" in zhang.last_text() and zhang.keyboard() == ["跳过"]
    await zhang.tap("跳过")
    assert "第 3 步" in zhang.last_text()
    assert zhang.buttons()[:4] == ["11-26 周四", "11-27 周五", "11-28 周六", "11-29 周日"]
    await zhang.press("11-28 周六")
    await zhang.press("09:00")
    assert "第 5 步" in zhang.last_text()
    await zhang.press("2小时")
    assert "第 6 步" in zhang.last_text()
    assert "星荷豪苑先锋服务驿站" in zhang.buttons() and "📍 其他地点" in zhang.buttons()
    await zhang.press("星荷豪苑先锋服务驿站")
    await zhang.press("10")


async def test_an_administrator_publishes_in_ten_steps(world: Harness) -> None:
    h = world
    zhang = h.players["zhang"]
    await through_the_steps(zhang)
    assert "第 8 步" in zhang.last_text()
    await zhang.press("完成 ➡")  # nobody chosen yet
    assert (zhang.last_answer() or {})["text"] == "请选择邀请对象。"
    await zhang.press("居民")
    assert "✅ 居民" in zhang.buttons()
    await zhang.press("完成 ➡")
    assert "第 9 步" in zhang.last_text()
    await zhang.press("法进社区 · 法律服务")
    preview = zhang.last_text()
    assert "第 10 步" in preview and "读书分享会" in preview
    assert "2026-11-28 周六 09:00–11:00" in preview
    assert "星荷豪苑先锋服务驿站（星荷豪苑小区会所一楼）" in preview
    assert "法律服务 · 伴月社区" in preview and "名额：0/10" in preview
    assert "面向：居民" in preview
    # The residents of 伴月社区, exactly: three in 星荷豪苑, the leader in 龙马街小区.
    assert "📣 将邀请 4 人。" in preview
    _message, button = zhang.find_button("✅ 发布并邀请")
    await zhang.press("✅ 发布并邀请")
    assert zhang.last_text() == "✅ “读书分享会”已发布，已邀请 4 人。可在 /activities 里组织签到。"
    assert zhang.keyboard()[:2] == ["反映诉求", "服务菜单"]
    for name in ("r1", "r2", "r3", "leader"):
        assert "📣 邀请您参加志愿服务活动" in h.players[name].last_text()
    [activity] = await activities(h)
    assert activity.state is ActivityState.PUBLISHED and activity.invited == 4
    assert activity.audience == (Audience.RESIDENTS,)
    assert (activity.latitude, activity.longitude) == (23.0531, 112.4578)  # the station's
    # Publish pressed again: the same activity, nobody invited twice.
    await zhang.press_data(button["callback_data"])
    assert len(await activities(h)) == 1
    assert sum("邀请您参加" in t for t in h.players["r1"].texts()) == 1


async def test_another_place_typed_and_shared_and_a_restart_on_the_way(world: Harness) -> None:
    h = world
    zhang = h.players["zhang"]
    await zhang.command("/publish")
    await zhang.send("社区义诊")
    await zhang.send("量血压、测血糖，请带医保卡")
    await zhang.send("12月5日")  # typed, not pressed
    assert "第 4 步" in zhang.last_text()
    await zhang.send("25:00")
    assert zhang.last_text() == "请按 9:30 这样的格式填写开始时间。"
    await zhang.send("9点30")
    await h.restart()  # the bot restarts in the middle: the form is kept
    await zhang.press("1.5小时")
    await zhang.press("📍 其他地点")
    assert zhang.keyboard() == ["📍 发送活动地点的位置"]
    await zhang.send_sticker()  # not an address: asked again
    assert "请输入地址" in zhang.last_text()
    await zhang.send_location(23.0515, 112.4600)
    await zhang.send("0")
    assert zhang.last_text() == "请填写人数，1 到 500 之间。"
    await zhang.send("25")
    await zhang.press("党员")
    await zhang.press("志愿者")
    await zhang.press("完成 ➡")
    await zhang.press("不指定服务队")
    preview = zhang.last_text()
    assert "2026-12-05 周六 09:30–11:00" in preview and "（地图上的位置）" in preview
    assert "📣 将邀请 1 人。" in preview  # the team leader: a member of the district's area
    await zhang.press("✅ 发布并邀请")
    [activity] = await activities(h)
    assert activity.description == "量血压、测血糖，请带医保卡"
    assert (activity.latitude, activity.longitude, activity.station_id) == (23.0515, 112.46, None)
    assert activity.capacity == 25 and activity.team_id is None


async def test_a_team_leader_publishes_for_the_team(world: Harness) -> None:
    h = world
    leader = h.players["leader"]
    assert "publish" in leader.commands()
    await leader.command("/publish")
    await leader.send("普法讲座")
    await leader.tap("跳过")
    await leader.press("11-30 周一")
    await leader.press("19:00")
    await leader.press("1小时")
    await leader.press("龙马街先锋服务驿站")
    await leader.press("30")
    await leader.press("居民")
    await leader.press("完成 ➡")
    preview = leader.last_text()  # the team is the leader's: no question
    assert "第 10 步" in preview and "法律服务 · 端州区" in preview
    assert "📣 将邀请 3 人。" in preview
    await leader.press("✅ 发布并邀请")
    [activity] = await activities(h)
    async with h.services.db.read() as tx:
        legal = next(t for t in await tx.org.teams() if t.code == "LEGAL")
        district = await tx.org.get_by_code("DZ")
    assert district is not None
    assert activity.team_id == legal.id and activity.unit_id == district.id


async def test_residents_may_not_publish(world: Harness) -> None:
    h = world
    r1 = h.players["r1"]
    assert "publish" not in r1.commands()
    await r1.command("/publish")
    assert r1.last_text() == "只有管理员和服务队队长可以发布活动。"
    await r1.command("/activities")
    assert "➕ 发布活动" not in r1.buttons()
    async with h.services.db.read() as tx:
        refused = await tx.audit.latest(action="activity.publish.refused")
    assert len(refused) == 2  # the command, and /activities asking whether to offer it
    assert await activities(h) == []
    # And the service refuses whatever the buttons say.
    with pytest.raises(NotAllowed):
        await h.services.activities.areas(await actor_of(h, r1))
