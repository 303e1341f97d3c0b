"""组织下单、党员接单: the pool, task cards, exactly-once accept, assignment, task work."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.members import make_member

from bot.lifecycle import Status
from bot.models import Availability, MemberStatus, MemberType, Request

EVENING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday 20:00 in Zhaoqing
DAYTIME = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00
WEEKEND = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # Saturday 10:00


async def request(h: Harness, number: str) -> Request:
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found


def card_holders(h: Harness, players: list[Player], number: str) -> set[str]:
    return {
        p.name
        for p in players
        if any(
            number in (m.text or "") and "✋ 接单" in [b["text"] for b in m.inline_buttons]
            for m in p.bot_messages()
        )
    }


@pytest.fixture
async def members(org: Harness) -> dict[str, Player]:
    """Three members in 星荷豪苑: retired (mediation team), in-service (all slots), volunteer."""
    org.clock.set(EVENING)
    people = {name: org.player(name) for name in ("ann", "bao", "cui")}
    await make_member(org, people["ann"], teams=("MEDIATION",))
    await make_member(org, people["bao"], member_type=MemberType.IN_SERVICE, teams=("LEGAL",))
    await make_member(org, people["cui"], member_type=MemberType.VOLUNTEER, teams=("HEALTH",))
    return people


async def test_the_phone_goes_only_to_whoever_accepts(
    org: Harness, members: dict[str, Player]
) -> None:
    """Pool cards show 王** and no phone; the member who accepts sees the name and the phone;
    nothing queued for the other members ever carried them."""
    res = org.player("wang", user_id=888)
    org.emulator.add_user(888, "小红", last_name="王")
    await onboard(res)
    number = await file_request(org, res, description="水管漏水", phone=True)
    for member in members.values():
        card = next(m for m in member.bot_messages() if number in (m.text or ""))
        assert "居民：王**" in (card.text or "")
        assert "小红" not in (card.text or "") and "13800138000" not in (card.text or "")
    ann = members["ann"]
    await ann.press("✋ 接单")
    [card] = [m for m in ann.bot_messages() if number in (m.text or "") and m.inline_buttons]
    assert "居民：小红 王" in (card.text or "") and "+8613800138000" in (card.text or "")
    async with org.services.db.read() as tx:
        others = [members["bao"].id, members["cui"].id]
        payloads = [
            str(r[0])
            for r in await tx.fetchall(
                "SELECT payload FROM outbox WHERE chat_id IN (?, ?)", (others[0], others[1])
            )
        ]
    assert payloads and not [p for p in payloads if "13800138000" in p or "小红" in p]


async def test_cards_go_to_the_compound_pool(org: Harness, members: dict[str, Player]) -> None:
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res, description="楼道堆满杂物", address="3栋")
    assert card_holders(org, list(members.values()), number) == {"ann", "bao", "cui"}
    card = members["ann"].last()
    assert card.text is not None
    for part in (
        number,
        "有邻居需要帮助",
        "物业维修",
        "要事",
        "楼道堆满杂物",
        "星荷豪苑",
        "3栋",
        "提交于：刚刚",
        "居民：R**",  # the surname only, and no phone: the pool does not do the work yet
    ):
        assert part in card.text, part
    assert "电话" not in card.text and "Res" not in card.text
    filed = await request(org, number)
    assert filed.status is Status.DISPATCHED and filed.dispatched_at is not None
    async with org.services.db.read() as tx:
        assert await tx.members.count_cards(filed.id) == 3
    # The resident was not pinged twice: filing told them everything.
    assert "已登记" in res.last_text()


async def test_team_filter_narrows_the_pool(org: Harness, members: dict[str, Player]) -> None:
    org.services.config.dispatch.min_pool = 1
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res, category="邻里纠纷", description="邻居装修太吵")
    assert card_holders(org, list(members.values()), number) == {"ann"}


async def test_availability_by_weekday_and_hour(org: Harness, members: dict[str, Player]) -> None:
    res = org.player("res")
    await onboard(res)
    everyone = list(members.values())
    # Thursday 11:00: the in-service member gets no non-urgent card...
    org.clock.set(DAYTIME)
    day = await file_request(org, res, description="白天的事")
    assert card_holders(org, everyone, day) == {"ann", "cui"}
    # ...but an urgent one, yes.
    urgent = await file_request(org, res, category="环境卫生", description="水管爆了", urgent=True)
    assert card_holders(org, everyone, urgent) == {"ann", "bao", "cui"}
    # Only the slots a member chose: one who serves weekends only.
    dan = org.player("dan")
    await make_member(org, dan, availability=[Availability.WEEKEND])
    org.clock.set(EVENING)
    evening = await file_request(org, res, category="其他", description="晚上的事")
    assert "dan" not in card_holders(org, [*everyone, dan], evening)
    org.clock.set(WEEKEND)
    weekend = await file_request(org, res, category="环境卫生", description="周末的事")
    assert "dan" in card_holders(org, [*everyone, dan], weekend)


async def test_paused_and_unapproved_get_no_cards(
    org: Harness, members: dict[str, Player]
) -> None:
    eve, fay = org.player("eve"), org.player("fay")
    await make_member(org, eve, status=MemberStatus.PENDING)
    await make_member(org, fay)
    async with org.services.db.transaction() as tx:
        person = await tx.people.by_telegram(members["ann"].id)
        assert person is not None
        await tx.members.update(
            person.id, org.clock.now(), paused_until=datetime(2026, 12, 31, tzinfo=UTC)
        )
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res)
    holders = card_holders(org, [*members.values(), eve, fay], number)
    assert holders == {"bao", "cui", "fay"}


async def test_widened_to_the_community_when_short(org: Harness) -> None:
    org.clock.set(EVENING)
    near, far = org.player("near"), org.player("far")
    await make_member(org, near)  # 星荷豪苑
    await make_member(org, far, compound="LMJ")  # 龙马街小区, same community 伴月社区
    other = org.player("other")
    await make_member(org, other, compound="HJXQ")  # another street
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res)
    # One member in the compound is fewer than 3: the whole community gets it.
    assert card_holders(org, [near, far, other], number) == {"near", "far"}
    org.services.config.dispatch.min_pool = 1
    second = await file_request(org, res, category="其他", description="别的事")
    assert card_holders(org, [near, far, other], second) == {"near"}


async def test_no_member_available_waits_and_the_sweep_retries(org: Harness) -> None:
    org.clock.set(DAYTIME)
    gus = org.player("gus")
    await make_member(org, gus, member_type=MemberType.IN_SERVICE)
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res)
    assert (await request(org, number)).status is Status.TRIAGED
    assert card_holders(org, [gus], number) == set()
    org.clock.set(EVENING)
    assert org.services.sweeper is not None
    await org.services.sweeper.sweep()
    await org.settle()
    assert (await request(org, number)).status is Status.DISPATCHED
    assert card_holders(org, [gus], number) == {"gus"}


async def test_twenty_members_press_accept_at_once(org: Harness) -> None:
    org.clock.set(EVENING)
    crowd = [org.player(f"m{n}") for n in range(20)]
    for player in crowd:
        await make_member(org, player)
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res)
    filed = await request(org, number)
    presses = []
    for player in crowd:
        message, button = player.find_button("✋ 接单")
        presses.append(
            org.emulator.user_press(player.id, message.message_id, button["callback_data"])
        )
    await asyncio.gather(*(org.process(update) for update in presses))
    await org.settle()

    accepted = await request(org, number)
    assert accepted.status is Status.ACCEPTED
    winners = [p for p in crowd if (p.last_answer() or {}).get("text") == "接单成功，谢谢！"]
    losers = [p for p in crowd if "已由" in ((p.last_answer() or {}).get("text") or "")]
    assert len(winners) == 1 and len(losers) == 19
    [winner] = winners
    async with org.services.db.read() as tx:
        events = await tx.requests.events(filed.id)
        person = await tx.people.by_telegram(winner.id)
    assert person is not None and accepted.assignee_id == person.id
    assert [e.to_status for e in events].count("accepted") == 1
    name = f"{winner.name.capitalize()} Real"
    for loser in losers:
        card = next(m for m in loser.bot_messages() if number in (m.text or ""))
        assert card.text == f"{number}：已由{name}接单，同样感谢您！"
        assert card.inline_buttons == []
    win_card = next(m for m in winner.bot_messages() if "您已接单" in (m.text or ""))
    assert "✅ 办理完成" in [b["text"] for b in win_card.inline_buttons]
    assert f"您的诉求 {number} 已由{name}" in res.last_text()
    # A late press is told who has it.
    late = losers[0]
    await late.press_data(f"tk1:acc:{filed.id}")
    assert (late.last_answer() or {})["text"] == f"已由{name}接单。"


async def test_outsiders_cannot_accept(org: Harness, members: dict[str, Player]) -> None:
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res)
    filed = await request(org, number)
    nobody = org.player("nobody")
    await onboard(nobody)
    await nobody.press_data(f"tk1:acc:{filed.id}")  # forwarded card or forged data
    assert "只有已报到并通过审核" in (nobody.last_answer() or {})["text"]
    stranger = org.player("stranger")
    await make_member(org, stranger, compound="HJXQ")  # another street: not in the pool
    await stranger.press_data(f"tk1:acc:{filed.id}")
    assert "这项任务没有派给您" in (stranger.last_answer() or {})["text"]
    assert (await request(org, number)).status is Status.DISPATCHED
    async with org.services.db.read() as tx:
        refusals = await tx.audit.latest(action="request.accept.refused")
    assert len(refusals) == 2


async def admin_harness(tmp_path) -> Harness:  # type: ignore[no-untyped-def]
    h = Harness(tmp_path, admins=[{"telegram_id": 9500, "unit": "BY"}])
    await h.start()
    await h.import_org()
    await h.restart()
    h.clock.set(EVENING)
    admin = h.player("admin", user_id=9500)
    await admin.command("/start")
    await admin.press("中文")
    await admin.press("跳过：我只做管理工作")
    return h


async def test_work_a_task_through_to_a_reopened_rating(tmp_path) -> None:  # type: ignore[no-untyped-def]
    h = await admin_harness(tmp_path)
    try:
        admin = h.players["admin"]
        ann, bao = h.player("ann"), h.player("bao")
        await make_member(h, ann, teams=("MEDIATION",))
        await make_member(h, bao)
        res = h.player("res")
        await onboard(res)
        number = await file_request(h, res, description="门口路灯不亮")
        filed = await request(h, number)

        # Assign by hand: to Ann, who declines with a reason.
        await admin.command(f"/assign {number}")
        assert f"指派 {number}" in admin.last_text()
        await admin.send("Ann")
        await admin.press(next(b for b in admin.buttons() if b.startswith("Ann Real")))
        assert f"已把 {number} 指派给Ann Real" in admin.last_text()
        # The pool cards were withdrawn; Ann got Accept / Decline.
        bao_card = next(m for m in bao.bot_messages() if number in (m.text or ""))
        assert bao_card.inline_buttons == [] and "已不再派单" in (bao_card.text or "")
        assert set(ann.buttons()) == {"✋ 接单", "婉拒"}
        await ann.press("婉拒")
        assert "为什么不能承办" in ann.last_text()
        await ann.send("这周出差")
        assert f"好的，{number} 将重新派给其他党员" in ann.last_text()
        assert (
            "Ann Real婉拒了您指派的任务：" in admin.last_text() and "这周出差" in admin.last_text()
        )
        assert "✋ 接单" in bao.buttons()  # back in the pool

        # Bao takes it, is on the way, writes a progress note.
        await bao.press("✋ 接单")
        await bao.press("🚶 我正在赶来")
        assert "办理中" in res.texts()[-1] or "承办人正在赶来" in res.last_text()
        await bao.press("📝 进展说明")
        await bao.send("已买好灯泡")
        assert (
            f"您的诉求 {number} 有新进展：" in res.last_text() and "已买好灯泡" in res.last_text()
        )

        # Reassign to Ann; then Ann hands it back; admin assigns Bao again.
        await admin.press_data(f"as1:m:{filed.id}:{(await person_id(h, ann))}")
        assert "社区已把" in bao.last_text()
        await ann.press("✋ 接单")
        await ann.press("↩ 退回")
        await ann.send("不是我能修的")
        assert "Ann Real退回了一项任务" in admin.last_text()
        assert (await request(h, number)).status is Status.RETURNED
        await admin.press("👤 指派党员")
        await admin.press("附近的全部党员、志愿者")
        await admin.press(next(b for b in admin.buttons() if b.startswith("Bao Real")))
        await bao.press("✋ 接单")

        # Done with a photo and a note; pressing Done twice resolves once.
        await bao.press("✅ 办理完成")
        await bao.send_photo(b"fixed lamp")
        assert "已收到 1 张" in bao.last_text()
        await bao.send("换了新灯泡")
        assert f"{number} 已办理完成" in bao.last_text()
        await bao.press_data(f"tk1:done:{filed.id}")
        assert "这项任务已经结束" in (bao.last_answer() or {})["text"]
        resolved = await request(h, number)
        assert resolved.status is Status.RESOLVED
        async with h.services.db.read() as tx:
            assert len(await tx.requests.photos(resolved.id, "completion")) == 1
            events = await tx.requests.events(resolved.id)
        assert [e.to_status for e in events].count("resolved") == 1

        # The resident is asked; 不满意 sends it back to Bao, reopened.
        assert "换了新灯泡" in res.last_text() and res.buttons() == ["满意", "基本满意", "不满意"]
        await res.press("不满意")
        reopened = await request(h, number)
        assert reopened.status is Status.REOPENED and reopened.assignee_id == (
            await person_id(h, bao)
        )
        assert "重办" in bao.last_text() and "✅ 办理完成" in bao.buttons()
        await bao.command("/tasks")
        assert number in bao.last_text() and "重新办理" in bao.last_text()
    finally:
        await h.stop()


async def person_id(h: Harness, player: Player) -> int:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
    assert person is not None
    return person.id


async def test_relay_never_shows_ids_usernames_or_phones(org: Harness) -> None:
    org.clock.set(EVENING)
    helper = org.player("helper", user_id=4242424, username="helper_handle")
    await make_member(org, helper, phone="+8613711112222")
    res = org.player("res", user_id=5353535, username="resident_handle")
    await onboard(res)
    number = await file_request(org, res, phone=True, anonymous=True)
    await helper.press("✋ 接单")
    first_call = len(org.emulator.calls)
    await res.press("💬 给承办人留言")
    await res.send("请下午三点后来")
    assert f"{number} 的居民留言" in helper.last_text() and "请下午三点后来" in helper.last_text()
    await helper.press("↩ 回复")
    await helper.send("好的，三点半到")
    assert f"您的诉求 {number} 的承办人留言" in res.last_text()
    await res.press("↩ 回复")
    await res.send("谢谢")
    # Everything the bot sent to either side after the accept:
    sent = [
        c for c in org.emulator.calls[first_call:] if c.ok and c.chat_id in (helper.id, res.id)
    ]
    assert sent
    for call in sent:
        text = " ".join(str(v) for v in call.params.values())
        other = res if call.chat_id == helper.id else helper
        assert str(other.id) not in text
        assert "handle" not in text
        assert not re.search(r"1[3-9]\d{9}", text), text
    # The relay closes with the request.
    filed = await request(org, number)
    async with org.services.db.transaction() as tx:
        await org.services.flow.transition(tx, filed, Status.RESOLVED, actor=None, note=None)
    await org.settle()
    await res.press("满意")
    await res.press_data(f"rl1:w:{filed.id}")
    assert "留言不再转达" in (res.last_answer() or {})["text"]


async def test_accept_notice_shows_the_phone_only_if_shared(org: Harness) -> None:
    org.clock.set(EVENING)
    shy, open_ = org.player("shy"), org.player("open")
    await make_member(org, shy, phone="+8613700000001")
    await make_member(org, open_, compound="LMJ", share_phone=True, phone="+8613700000002")
    res = org.player("res")
    await onboard(res)
    number = await file_request(org, res)
    await shy.press("✋ 接单")
    assert "Shy Real" in res.last_text() and "13700000001" not in res.last_text()
    second = await file_request(org, res, category="其他", description="第二件")
    assert second != number
    await open_.press("✋ 接单")
    assert "Open Real" in res.last_text() and "电话：+8613700000002" in res.last_text()
