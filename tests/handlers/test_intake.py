"""Raising a request: the whole intake, cancel and edit at every step, restarts, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player

from bot.lifecycle import Status
from bot.models import Request, Tier


async def requests_of(h: Harness, player: Player) -> list[Request]:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
        assert person is not None
        return list(reversed(await tx.requests.for_person(person.id, offset=0, limit=100)))


async def draft_of(h: Harness, player: Player) -> dict | None:  # type: ignore[type-arg]
    assert h.app is not None
    return h.app.user_data.get(player.id, {}).get("intake")


async def test_whole_intake_with_photos_location_and_contact(org: Harness) -> None:
    alice = org.player("alice")
    await onboard(alice)
    await alice.tap("反映诉求")
    assert "是什么方面的事" in alice.last_text()
    assert "物业维修" in alice.buttons() and "意见建议" in alice.buttons()
    await alice.press("物业维修")
    assert "请简单描述问题" in alice.last_text()
    await alice.send("3栋电梯停了两天，老人上下楼困难")
    assert "最多 5 张照片" in alice.last_text()
    await alice.send_photo(b"photo one")
    assert "已收到 1/5 张" in alice.last_text()
    await alice.send_photo(b"photo two")
    assert "已收到 2/5 张" in alice.last_text()
    await alice.press("下一步 ➡")
    assert "具体在哪里" in alice.last_text()
    assert alice.keyboard() == ["📍 发送我的位置", "跳过"]
    await alice.send_location(23.0512, 112.4651)
    assert "是否有人身危险" in alice.last_text()
    await alice.press("是，很紧急")
    assert alice.keyboard() == ["📞 提供我的手机号", "跳过"]
    await alice.share_contact("+8613912345678")
    summary = alice.last_text()
    assert "请核对您的诉求" in summary
    assert "类别：物业维修" in summary and "事项分类：急事立刻办" in summary
    assert "3栋电梯停了两天" in summary and "照片：2 张" in summary
    assert "23.05120" in summary and "+8613912345678" in summary
    assert "承办人能看到您的姓名（Alice）和电话，其他人只看到您的姓氏" in summary
    await alice.press("✅ 确认提交")

    [request] = await requests_of(org, alice)
    assert alice.last_text().startswith(f"✅ 您的诉求 {request.number} 已登记")
    assert request.number == "DZ-2026-000001"
    assert request.status is Status.TRIAGED and request.tier is Tier.URGENT
    assert request.description == "3栋电梯停了两天，老人上下楼困难"
    assert (request.latitude, request.longitude) == (23.0512, 112.4651)
    assert request.contact_phone == "+8613912345678" and request.contact_name == "Alice"
    assert alice.keyboard() == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]
    async with org.services.db.read() as tx:
        photos = await tx.requests.photos(request.id)
        events = await tx.requests.events(request.id)
        person = await tx.people.by_telegram(alice.id)
    assert len(photos) == 2 and all(p.kind == "intake" for p in photos)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "submitted"),
        ("submitted", "triaged"),
    ]
    assert person is not None and person.phone == "+8613912345678"
    assert await draft_of(org, alice) is None


async def test_not_urgent_keeps_the_category_tier_and_typed_address(org: Harness) -> None:
    bob = org.player("bob")
    await onboard(bob)
    await file_request(org, bob, category="邻里纠纷", address="5栋1单元")
    [request] = await requests_of(org, bob)
    assert request.tier is Tier.IMPORTANT and request.address == "5栋1单元"
    assert request.contact_phone is None


# Each step and how to get there from the start.
STEPS = ["category", "description", "photos", "place", "urgency", "contact", "summary"]


async def reach(player: Player, step: str) -> None:
    await player.tap("反映诉求")
    if step == "category":
        return
    await player.press("环境卫生")
    if step == "description":
        return
    await player.send("垃圾桶满了")
    if step == "photos":
        return
    await player.press("不发照片，下一步 ➡")
    if step == "place":
        return
    await player.tap("跳过")
    if step == "urgency":
        return
    await player.press("否")
    if step == "contact":
        return
    await player.tap("跳过")


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("how", ["command", "button"])
async def test_cancel_at_every_step_files_nothing(org: Harness, step: str, how: str) -> None:
    carol = org.player("carol")
    await onboard(carol)
    await reach(carol, step)
    if how == "command":
        await carol.command("/cancel")
    else:
        await carol.press("✖ 取消")
    assert "已取消，没有提交任何诉求" in carol.last_text()
    assert carol.keyboard() == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]
    assert await requests_of(org, carol) == []
    assert await draft_of(org, carol) is None
    # The next text is not taken for the cancelled step.
    await carol.send("随便说一句")
    assert "没看懂" in carol.last_text()


@pytest.mark.parametrize(
    ("part", "change", "check"),
    [
        ("类别", "change_category", lambda r: r.category_id != 2),
        ("描述", "change_description", lambda r: r.description == "垃圾桶已经满了三天"),
        ("照片", "change_photos", lambda r: True),
        ("位置", "change_place", lambda r: r.address == "7栋"),
        ("紧急程度", "change_urgency", lambda r: r.tier is Tier.URGENT),
        ("电话", "change_phone", lambda r: r.contact_phone == "+8613800138000"),
    ],
)
async def test_edit_every_step_from_the_summary(
    org: Harness, part: str, change: str, check: object
) -> None:
    dan = org.player("dan")
    await onboard(dan)
    await reach(dan, "summary")
    assert "请核对您的诉求" in dan.last_text()
    await dan.press("✏ 修改")
    await dan.press(part)
    if change == "change_category":
        await dan.press("物业维修")
    elif change == "change_description":
        await dan.send("垃圾桶已经满了三天")
    elif change == "change_photos":
        await dan.send_photo(b"new photo")
        await dan.press("下一步 ➡")
    elif change == "change_place":
        await dan.send("7栋")
    elif change == "change_urgency":
        await dan.press("是，很紧急")
    elif change == "change_phone":
        await dan.share_contact("+8613800138000")
    # Straight back to the summary, not through the following steps.
    assert "请核对您的诉求" in dan.last_text()
    await dan.press("✅ 确认提交")
    [request] = await requests_of(org, dan)
    assert check(request)  # type: ignore[operator]
    if change == "change_category":
        async with org.services.db.read() as tx:
            category = await tx.requests.category(request.category_id)
        assert category is not None and category.code == "property"
    if change == "change_photos":
        async with org.services.db.read() as tx:
            assert len(await tx.requests.photos(request.id)) == 1


async def test_restart_in_the_middle_of_the_intake(org: Harness) -> None:
    erin = org.player("erin")
    await onboard(erin)
    await erin.tap("反映诉求")
    await erin.press("环境卫生")
    await erin.send("小区门口污水外溢")
    await erin.send_photo(b"sewage")
    # A new Application on the same database: the conversation and the draft survive.
    await org.restart()
    await erin.send_photo(b"sewage 2")
    assert "已收到 2/5 张" in erin.last_text()
    await erin.press("下一步 ➡")
    await erin.send("东门")
    await erin.press("否")
    await erin.tap("跳过")
    await erin.press("✅ 确认提交")
    [request] = await requests_of(org, erin)
    assert request.description == "小区门口污水外溢" and request.address == "东门"
    async with org.services.db.read() as tx:
        assert len(await tx.requests.photos(request.id)) == 2


async def test_stale_button_says_expired_and_repeats_the_step(org: Harness) -> None:
    fay = org.player("fay")
    await onboard(fay)
    await fay.tap("反映诉求")
    category_message = fay.last()
    await fay.press("物业维修")
    # The category menu was replaced, but a forged press of an old category button:
    await fay.press_data("rq1:cat:1", message_id=category_message.message_id)
    assert "此菜单已过期" in (fay.last_answer() or {})["text"]
    assert "请简单描述问题" in fay.last_text()
    # A Confirm from another draft (wrong nonce) does not file anything.
    await fay.press_data("rq1:ok:deadbeef")
    assert "请简单描述问题" in fay.last_text()
    assert await requests_of(org, fay) == []


async def test_long_description_is_sent_back_not_cut(org: Harness) -> None:
    gus = org.player("gus")
    await onboard(gus)
    await gus.tap("反映诉求")
    await gus.press("其他")
    await gus.send("很" * 5000)
    assert "您输入了 5000 个字，请精简到 2000 字以内" in gus.last_text()
    assert "内容没有被截断" in gus.last_text()
    draft = await draft_of(org, gus)
    assert draft is not None and draft["description"] is None
    await gus.send("很" * 2000)
    assert "最多 5 张照片" in gus.last_text()


async def test_sticker_voice_and_photo_at_the_description_step(org: Harness) -> None:
    hal = org.player("hal")
    await onboard(hal)
    await hal.tap("反映诉求")
    await hal.press("其他")
    for action in (hal.send_sticker, hal.send_voice, hal.send_photo):
        await action()
        assert "请先用文字描述问题" in hal.last_text()
    draft = await draft_of(org, hal)
    assert draft is not None and draft["photos"] == [] and draft["step"] == "description"


async def test_text_where_a_button_is_expected(org: Harness) -> None:
    ivy = org.player("ivy")
    await onboard(ivy)
    await ivy.tap("反映诉求")
    await ivy.send("物业")
    assert "物业维修" in ivy.buttons()  # the category step again
    await reach_urgency(ivy)
    await ivy.send("是的")
    assert "是否有人身危险" in ivy.last_text()


async def reach_urgency(player: Player) -> None:
    await player.press("环境卫生")
    await player.send("垃圾")
    await player.press("不发照片，下一步 ➡")
    await player.tap("跳过")


async def test_html_in_the_description_is_escaped_everywhere(org: Harness) -> None:
    jay = org.player("jay")
    await onboard(jay)
    nasty = "<b>bold</b> <script>alert(1)</script> & more"
    await file_request(org, jay, description=nasty)
    echoed = [m for m in jay.bot_messages() if m.text and "<script>" in m.text]
    assert echoed, "the description is shown back in the summary"
    for message in echoed:
        assert message.html is not None
        assert "&lt;script&gt;" in message.html and "<script>" not in message.html
        assert "&lt;b&gt;bold&lt;/b&gt;" in message.html and "&amp; more" in message.html
    await jay.tap("我的诉求")
    await jay.press(jay.buttons()[0])
    assert "<script>alert(1)</script>" in jay.last_text()
    assert "&lt;script&gt;" in jay.last_html()


async def test_contact_of_someone_else_is_refused(org: Harness) -> None:
    kim = org.player("kim")
    await onboard(kim)
    await reach(kim, "contact")
    await org.process(
        org.emulator.user_message(
            kim.id, contact={"phone_number": "+861", "first_name": "X", "user_id": 42}
        )
    )
    assert "请点按钮提供您本人的手机号" in kim.last_text()


async def test_idle_intake_is_set_aside_with_a_message(org: Harness) -> None:
    leo = org.player("leo")
    await onboard(leo)
    await leo.tap("反映诉求")
    await leo.press("其他")
    org.clock.advance(minutes=29)
    assert org.services.sweeper is not None
    assert await org.services.sweeper.expire_idle_drafts() == 0
    org.clock.advance(minutes=2)
    assert await org.services.sweeper.expire_idle_drafts() == 1
    await org.settle()
    assert "30 分钟没有继续填写，已暂时搁置" in leo.last_text()
    assert await draft_of(org, leo) is None
    # Typing the description now does not file half a request.
    await leo.send("我的描述")
    assert "已暂时搁置" in leo.last_text()
    await leo.tap("反映诉求")
    assert "是什么方面的事" in leo.last_text()


async def test_not_onboarded_is_sent_to_onboarding(org: Harness) -> None:
    max_ = org.player("max")
    await max_.command("/request")
    assert max_.buttons() == ["中文", "English"]


async def test_duplicate_confirm_update_files_once(org: Harness) -> None:
    ned = org.player("ned")
    await onboard(ned)
    await reach(ned, "summary")
    message, button = ned.find_button("✅ 确认提交")
    update = org.emulator.user_press(ned.id, message.message_id, button["callback_data"])
    await org.process(update)
    await org.process(update)  # Telegram delivered the same update twice
    assert len(await requests_of(org, ned)) == 1


async def test_opinions_go_to_the_community_admins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(tmp_path, admins=[{"telegram_id": 9001, "unit": "BY"}])
    await h.start()
    try:
        await h.import_org()
        await h.restart()
        admin = h.player("admin", user_id=9001)
        await admin.command("/start")
        await admin.press("中文")
        await admin.press("跳过：我只做管理工作")
        olga = h.player("olga")
        await onboard(olga)
        number = await file_request(h, olga, category="意见建议", description="建议增加健身器材")
        assert "意见建议" in olga.last_text() and "已转给社区" in olga.last_text()
        assert "收到居民的意见建议" in admin.last_text()
        assert number in admin.last_text() and "建议增加健身器材" in admin.last_text()
        assert "居民：Olga" in admin.last_text()
    finally:
        await h.stop()


async def test_sweep_job_is_scheduled_with_misfire_handling(org: Harness) -> None:
    assert org.app is not None and org.app.job_queue is not None
    [job] = org.app.job_queue.get_jobs_by_name("SWEEP")
    assert job.job.misfire_grace_time is None and job.job.coalesce is True
    assert job.job.trigger.interval == timedelta(seconds=30)
