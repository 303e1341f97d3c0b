"""What people ran into, trying the bot as new users (issue 13, item 8), each fixed and kept so.

The old "no member available" card that still offered Assign is in ``test_cards.py``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from auxil.admins import admin_world, onboard_admin
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.members import make_member

from bot.models import MemberStatus


async def test_a_shared_location_reaches_the_member_and_the_resident(org: Harness) -> None:
    h = org
    res, ann = h.player("res"), h.player("ann")
    await make_member(h, ann)
    await onboard(res)
    await res.tap("反映诉求")
    await res.press("物业维修")
    await res.send("路灯坏了")
    await res.press("不发照片，下一步 ➡")
    await res.send_location(23.0512, 112.4651)
    await res.press("否")
    await res.tap("跳过")
    await res.press("✅ 确认提交")
    number = res.last_text().split("诉求 ", 1)[1].split(" ", 1)[0]

    # The member's card says where, and the pin follows it.
    card, pin = ann.bot_messages()[-2:]
    assert number in (card.text or "") and "📍 位置：见下方定位" in (card.text or "")
    assert pin.location == {"latitude": 23.0512, "longitude": 112.4651}
    # So does the resident's own view of it under My requests.
    await res.tap("我的诉求")
    await res.press(f"查看 {number}")
    detail, pin = res.bot_messages()[-2:]
    assert "📍 位置：见下方定位" in (detail.text or "")
    assert pin.location == {"latitude": 23.0512, "longitude": 112.4651}


async def test_approving_one_of_two_keeps_the_other_row(tmp_path: Path) -> None:
    async with admin_world(tmp_path, {"admin": (9500, "BY")}) as h:
        admin, zhao, qian = h.players["admin"], h.player("zhao"), h.player("qian")
        await make_member(h, zhao, status=MemberStatus.PENDING)
        await make_member(h, qian, status=MemberStatus.PENDING)
        await admin.command("/admin")
        await admin.press("✅ 报到审核")
        listing = admin.last()
        assert admin.buttons(listing) == ["通过：Zhao Real", "不通过", "通过：Qian Real", "不通过"]

        await admin.press("通过：Zhao Real")

        edited = next(m for m in admin.bot_messages() if m.message_id == listing.message_id)
        assert admin.buttons(edited) == ["通过：Qian Real", "不通过"]
        assert "Zhao Real：已通过" in (edited.text or "")
        assert admin.last().message_id == listing.message_id  # no new message: the row changed
        # Rejecting the other from the list, with a reason, empties it the same way.
        await admin.press("不通过")
        await admin.send("不住本小区")
        edited = next(m for m in admin.bot_messages() if m.message_id == listing.message_id)
        assert admin.buttons(edited) == []
        assert "Qian Real：未通过" in (edited.text or "")


async def test_the_unsatisfied_rating_comes_before_the_redo_it_causes(org: Harness) -> None:
    h = org
    res, ann = h.player("res"), h.player("ann")
    await make_member(h, ann)
    await onboard(res)
    number = await file_request(h, res)
    await ann.press("✋ 接单")
    await ann.press("✅ 办理完成")
    await ann.send("已更换灯泡")
    await res.press("不满意")
    await res.tap("我的诉求")
    await res.press(f"查看 {number}")
    timeline = (res.last_text()).split("办理记录", 1)[1].splitlines()
    rated = next(i for i, line in enumerate(timeline) if "评价：不满意" in line)
    redo = next(i for i, line in enumerate(timeline) if "重新办理" in line)
    assert rated < redo


async def test_an_admin_who_skips_the_compound_gets_the_menu_keyboard(tmp_path: Path) -> None:
    h = Harness(tmp_path, admins=[{"telegram_id": 9500, "unit": "BY"}])
    await h.start()
    try:
        await h.import_org()
        await h.restart()
        admin = h.player("admin", user_id=9500)
        await onboard_admin(admin)
        assert "请使用下方菜单" in admin.last_text()
        assert admin.keyboard() == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]
    finally:
        await h.stop()


async def test_a_request_inside_its_time_to_accept_does_not_lower_the_response_rate(
    tmp_path: Path,
) -> None:
    async with admin_world(tmp_path, {"admin": (9500, "BY")}) as h:
        admin, res, ann = h.players["admin"], h.player("res"), h.player("ann")
        await make_member(h, ann)
        await onboard(res)
        await file_request(h, res, description="第一件")  # important: a day to accept
        await file_request(h, res, description="第二件", urgent=True)  # urgent: 30 minutes
        h.clock.advance(minutes=10)
        await ann.press("✋ 接单")  # the urgent one, in time

        await admin.command("/stats")
        text = next(m.text or "" for m in reversed(admin.bot_messages()) if "📊" in (m.text or ""))
        assert "响应率：100%（已派单 1 件中 1 件按时接单；尚在接单期限内的暂不计入）" in text

        # Once its day is over unaccepted, the first one counts, as not responded.
        h.clock.advance(hours=24)
        await admin.command("/stats")
        text = next(m.text or "" for m in reversed(admin.bot_messages()) if "📊" in (m.text or ""))
        assert "响应率：50%（已派单 2 件中 1 件按时接单" in text


async def test_rating_twice_says_it_was_rated(org: Harness) -> None:
    h = org
    res, ann = h.player("res"), h.player("ann")
    await make_member(h, ann)
    await onboard(res)
    await file_request(h, res)
    await ann.press("✋ 接单")
    await ann.press("✅ 办理完成")
    await ann.send("已更换灯泡")
    prompt, button = res.find_button("满意")

    await res.press("满意")
    await res.press_data(button["callback_data"], prompt.message_id)  # a second, quick tap

    assert "您已评价过" in (res.last_answer() or {})["text"]


async def to_the_phone_step(player: Player) -> None:
    await onboard(player)
    await player.command("/join")
    await player.send("吴九")
    await player.press("无工作单位")
    await player.press("星荷豪苑")


async def test_join_takes_a_typed_mobile_number(org: Harness) -> None:
    wu = org.player("wu")
    await to_the_phone_step(wu)
    assert wu.keyboard() == ["📞 提供我的手机号", "✖ 取消"]

    await wu.send("12345")
    assert "不是有效的大陆手机号码" in wu.last_text()
    await wu.send("+86 139-0000-1111")

    assert "第 5 步" in wu.last_text()
    await wu.press("无职党员（离退休、待业）")
    await wu.press("人民调解")
    await wu.press("完成 ➡")
    await wu.tap("跳过")
    await wu.press("周末")
    await wu.press("完成 ➡")
    await wu.press("否")
    assert "+8613900001111" in wu.last_text()  # the summary


async def test_join_can_be_cancelled_at_the_phone_step(org: Harness) -> None:
    zheng = org.player("zheng")
    await to_the_phone_step(zheng)

    await zheng.tap("✖ 取消")

    assert zheng.last_text() == "已取消，没有保存。"
    assert zheng.keyboard() == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]
    await zheng.send("13900001111")  # no longer taken as a phone number
    assert "第 5 步" not in zheng.last_text()


async def test_no_bare_noted_message_only_to_bring_the_keyboard_back(org: Harness) -> None:
    zhou = org.player("zhou")
    await to_the_phone_step(zhou)
    await zhou.share_contact("+8613600000010")
    assert "第 5 步" in zhou.last_text()  # straight on, no "已记下。" in between
    await zhou.press("无职党员（离退休、待业）")
    await zhou.press("人民调解")
    await zhou.press("完成 ➡")
    await zhou.send("电工")
    assert "第 8 步" in zhou.last_text()
    await zhou.press("周末")
    await zhou.press("完成 ➡")
    await zhou.press("否")
    await zhou.press("✅ 确认提交")

    assert "已记下。" not in zhou.texts()
    assert "已提交社区审核" in zhou.last_text()
    assert zhou.keyboard() == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]


async def test_after_forget_nothing_is_stored_until_start(org: Harness) -> None:
    h = org
    mia = h.player("mia")
    await onboard(mia)
    await mia.command("/forget")
    await mia.press("是的，删除我的信息")

    await mia.command("/me")
    await mia.send("你好")

    assert "请选择语言（或发送 /start）" in mia.last_text()
    assert mia.buttons() == ["中文", "English"]
    async with h.services.db.read() as tx:
        assert await tx.people.by_telegram(mia.id) is None
    # Starting again is one tap away.
    await mia.press("中文")
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(mia.id)
    assert person is not None and person.language == "zh_CN"


async def test_someone_new_is_not_stored_before_start(org: Harness) -> None:
    h = org
    ben: Player = h.player("ben")
    await ben.send("你好")
    await ben.press_data("my1:p:0")
    assert "请先发送 /start" in (ben.last_answer() or {})["text"]
    async with h.services.db.read() as tx:
        assert await tx.people.by_telegram(ben.id) is None
    h.clock.advance(timedelta(minutes=1))
    await ben.command("/start")
    async with h.services.db.read() as tx:
        assert await tx.people.by_telegram(ben.id) is not None
