"""Blowing the whistle and proposing a joint meeting are guided flows: one press turns a topic
of the month into a whistle; Cancel, a stale button, the wrong kind of message, a restart
half-way and Send pressed twice behave as in every flow; a meeting time already past is
refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from auxil.harness import Harness
from auxil.whistles import blow_in_chat, difficult_request, orders_of, staff, whistle_world

from bot.models import Tier, TopicState


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    async with whistle_world(tmp_path) as h:
        yield h


async def whistles(h: Harness) -> int:
    async with h.services.db.read() as tx:
        return int(await tx.fetchval("SELECT count(*) FROM whistles"))


async def test_one_press_turns_a_topic_into_a_whistle(world: Harness) -> None:
    h = world
    community = h.player("community")
    now = h.clock.now()
    async with h.services.db.transaction() as tx:
        banyue = await tx.org.get_by_code("BY")
        xhhy = await tx.org.get_by_code("XHHY")
        category = next(c for c in await tx.requests.categories() if c.code == "illegal_building")
        assert banyue is not None and xhhy is not None
        topic_id = await tx.topics.add(
            unit_id=banyue.id,
            scope_id=xhhy.id,
            kind="monthly",
            month=f"{now.astimezone(h.config.tz):%Y-%m}",
            signature="t:楼顶+搭建",
            label="楼顶 · 搭建",
            category_id=category.id,
            evidence={"recent": 6, "recent_support": 3, "quarter": 9, "trend": "rising"},
            score=9.0,
            rank=1,
            now=now,
        )
    assert topic_id is not None
    await community.command("/topics")
    await community.press("楼顶 · 搭建", exact=False)
    assert community.buttons() == ["📋 派为任务", "🔔 吹哨", "🏛 四方议事", "✖ 不采纳"]

    await community.press("🔔 吹哨")  # the one press
    async with h.services.db.read() as tx:
        topic = await tx.topics.get(topic_id)
        assert topic is not None and topic.state is TopicState.CONVERTED
        assert topic.converted_kind == "whistle" and topic.converted_ref is not None
        request = await tx.requests.get(int(topic.converted_ref.split(":")[1]))
    assert request is not None and request.tier is Tier.DIFFICULT
    assert request.channel == "community" and request.compound_id == xhhy.id
    card = next(m for m in community.bot_messages() if "每月一题 ·" in (m.text or ""))
    assert f"✅ 已转为难事，吹哨召集部门：{request.number}" in (card.text or "")
    assert "需要哪些部门报到？" in community.last_text()  # the whistle's first step follows
    # Nobody in the members' pool got it.
    async with h.services.db.read() as tx:
        assert await tx.members.open_cards(request.id) == []

    await community.press("城管执法局")
    await community.press("下一步 ➡")
    await community.send("拆除楼顶违建")
    await community.press("跳过")
    await community.press("📣 吹哨派单")
    async with h.services.db.read() as tx:
        whistle = await tx.whistles.by_request(request.id)
    assert whistle is not None and whistle.topic_id == topic_id
    assert "请贵部门：拆除楼顶违建" in staff(h)["cg"].last_text()
    # Pressed again, the converted topic says what became of it.
    await community.press_data(f"wf1:topic:{topic_id}", card.message_id)
    answer = community.last_answer()
    assert answer is not None and answer["text"] == "这个议题已经处理过了。"


async def test_the_steps_behave_like_every_flow(world: Harness) -> None:
    h = world
    community = h.player("community")
    await difficult_request(h, h.player("alice"))
    await community.press("🔔 吹哨，召集部门")
    assert "下一步 ➡" not in community.buttons()  # nothing picked yet
    await community.press("城管执法局")
    assert "✅ 城管执法局" in community.buttons()
    await community.press("✅ 城管执法局")  # unticked
    assert "城管执法局" in community.buttons() and "下一步 ➡" not in community.buttons()
    await community.press("区住建局")
    await community.press("城管执法局")
    await community.press("下一步 ➡")
    assert "由哪个部门主办？" in community.last_text()
    await community.press("区住建局")
    await community.send_sticker()  # the wrong kind of answer: asked again
    assert "需要区住建局做什么？" in community.last_text()
    await h.restart()  # half-way: the flow goes on where it was
    await community.send("房屋安全鉴定")
    assert "需要城管执法局做什么？" in community.last_text()
    await community.press("同上一个部门")
    await community.press("跳过")
    summary = community.last_text()
    assert "• 区住建局（主办）：房屋安全鉴定" in summary
    assert "• 城管执法局（协办）：房屋安全鉴定" in summary
    await community.press("☐ 向部门提供居民联系方式")
    assert "☑ 向部门提供居民姓名和电话（将记入操作记录）。" in community.last_text()
    send, button = community.find_button("📣 吹哨派单")
    for _ in range(2):  # Send pressed twice: one whistle
        await h.process(
            h.emulator.user_press(community.id, send.message_id, button["callback_data"])
        )
    assert await whistles(h) == 1
    assert community.last_answer() is not None


async def test_cancel_sends_nothing_and_its_buttons_expire(world: Harness) -> None:
    h = world
    community = h.player("community")
    await difficult_request(h, h.player("alice"))
    await community.press("🔔 吹哨，召集部门")
    await community.press("城管执法局")
    await community.press("下一步 ➡")
    await community.send("依法拆除")
    await community.press("跳过")
    summary, ok = community.find_button("📣 吹哨派单")
    await community.press("✖ 取消")
    assert community.last_text() == "已取消，没有发出派单。"
    await h.process(h.emulator.user_press(community.id, summary.message_id, ok["callback_data"]))
    answer = community.last_answer()
    assert answer is not None and answer["text"] == "此菜单已过期，请使用最新的消息。"
    assert await whistles(h) == 0
    assert staff(h)["cg"].texts()[-1].startswith("✅ 设置完成")  # nothing reached them


async def test_cancelling_more_departments_leaves_the_whistle_as_it_was(world: Harness) -> None:
    """Adding departments to a whistle and thinking better of it: the reply says nothing was
    sent, not that the whistle (which goes on) was called off."""
    h = world
    community = h.player("community")
    await difficult_request(h, h.player("alice"))
    await blow_in_chat(community, [("城管执法局", "依法拆除")])
    await community.press("➕ 增派部门")  # on the whistle's board
    assert "已在办理的部门：城管执法局" in community.last_text()
    await community.press("区住建局")
    await community.press("✖ 取消")
    assert community.last_text() == "已取消，没有发出派单。"
    assert "吹哨" not in community.last_text()
    async with h.services.db.read() as tx:
        [whistle] = await tx.fetchall("SELECT state FROM whistles")
    assert whistle["state"] == "open"
    assert staff(h)["zj"].texts()[-1].startswith("✅ 设置完成")


async def test_a_meeting_time_already_past_is_refused(world: Harness) -> None:
    h = world
    community, cg = h.player("community"), staff(h)["cg"]
    request = await difficult_request(h, h.player("alice"))
    await blow_in_chat(community, [("城管执法局", "依法拆除")])
    await cg.press("✅ 签收")
    await cg.press("🤝 联合现场会")
    await cg.press("11-26 周四")  # today, at 10:00
    await cg.press("08:30")
    answer = cg.last_answer()
    assert answer is not None and answer["text"] == "这个时间已经过了，请选择更晚的时间。"
    await cg.press("14:30")
    await cg.send("3栋楼下")
    await cg.press("📣 发出邀请")
    async with h.services.db.read() as tx:
        whistle = await tx.whistles.by_request(request.id)
        assert whistle is not None
        meetings = await tx.whistles.meetings(whistle.id)
    assert [(m.place, m.meets_at.hour) for m in meetings] == [("3栋楼下", 6)]  # 14:30 local
    assert "🤝 联合现场会 · DZ-2026-000001" in community.last_text()
    assert (await orders_of(h, request))["CGJ"].state.value == "signed"
