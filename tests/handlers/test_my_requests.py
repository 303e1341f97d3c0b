"""After filing: /my with paging, details, cancel, add information, me too, rating."""

from __future__ import annotations

import asyncio

from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player

from bot.lifecycle import Status
from bot.models import Rating, Request, RequestView
from bot.models.intake import Draft
from bot.services.people import Actor
from bot.views import requests as views


async def actor_of(h: Harness, player: Player) -> Actor:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
        assert person is not None
    return await h.services.people.actor(person.id)


async def request(h: Harness, number: str) -> Request:
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found


async def quick_file(h: Harness, player: Player, description: str, category: int = 1) -> Request:
    """File through the service (the intake itself is tested elsewhere)."""
    actor = await actor_of(h, player)
    draft = Draft(category_id=category, description=description, urgent=False)
    filed, _ = await h.services.requests.submit(actor, draft)
    return filed


async def test_my_requests_pages_through_twelve(org: Harness) -> None:
    amy = org.player("amy")
    await onboard(amy)
    for n in range(12):
        await quick_file(org, amy, f"第 {n} 件事")
        org.clock.advance(minutes=5)
    await amy.tap("我的诉求")
    text = amy.last_text()
    assert "我的诉求（共 12 件），第 1/3 页" in text
    # Newest first: 12, 11, ... 8 on the first page.
    assert [b for b in amy.buttons() if b.startswith("查看")] == [
        f"查看 DZ-2026-{n:06d}" for n in range(12, 7, -1)
    ]
    assert amy.buttons()[-1] == "更早 »"
    assert "物业维修" in text and "要事" in text and "待派单" in text and "分钟前" in text
    await amy.press("更早 »")
    assert "第 2/3 页" in amy.last_text()
    assert set(amy.buttons()[-2:]) == {"« 更新的", "更早 »"}
    await amy.press("更早 »")
    assert "第 3/3 页" in amy.last_text()
    assert [b for b in amy.buttons() if b.startswith("查看")] == [
        "查看 DZ-2026-000002",
        "查看 DZ-2026-000001",
    ]
    assert "更早 »" not in amy.buttons()
    # The same message is edited, not a new one each time.
    assert len([m for m in amy.bot_messages() if "我的诉求（共" in (m.text or "")]) == 1


async def test_details_timeline_cancel_and_add_information(org: Harness) -> None:
    ben = org.player("ben")
    await onboard(ben)
    number = await file_request(org, ben, description="水管漏水", photos=2)
    await ben.tap("我的诉求")
    await ben.press(f"查看 {number}")
    detail = ben.last_text()
    assert number in detail and "状态：待派单" in detail and "水管漏水" in detail
    assert "办理记录" in detail and "已提交" in detail
    # The photos were sent along with the details.
    assert [c.method for c in org.emulator.calls].count("sendMediaGroup") == 1

    await ben.press("➕ 补充信息")
    assert f"请发送要补充到 {number} 的文字或照片" in ben.last_text()
    await ben.send("漏水点在厨房")
    assert f"已添加到 {number} 的办理记录" in ben.last_text()
    await ben.send("这句不应该被记下")  # nothing is awaited any more
    assert "没看懂" in ben.last_text()

    await ben.tap("我的诉求")
    await ben.press(f"查看 {number}")
    assert "居民补充了信息：漏水点在厨房" in ben.last_text()
    await ben.press("✖ 撤销诉求")
    assert "撤销诉求" in ben.last_text()
    await ben.press("是的，撤销")
    assert "状态：已撤销" in ben.last_text()
    assert "✖ 撤销诉求" not in ben.buttons()
    found = await request(org, number)
    assert found.status is Status.CANCELLED
    async with org.services.db.read() as tx:
        events = await tx.requests.events(found.id)
    assert [e.kind for e in events] == ["status", "status", "info", "status"]
    assert events[-1].actor_id is not None and events[-1].to_status == "cancelled"


async def test_only_the_owner_sees_and_cancels(org: Harness) -> None:
    cat, dog = org.player("cat"), org.player("dog")
    await onboard(cat)
    await onboard(dog)
    filed = await quick_file(org, cat, "猫的事")
    await dog.press_data(f"my1:o:{filed.id}:0")  # a forged button
    assert "您只能查看自己的诉求" in (dog.last_answer() or {})["text"]
    await dog.press_data(f"my1:cy:{filed.id}:0")
    assert "只有提交诉求的居民本人" in (dog.last_answer() or {})["text"]
    assert (await request(org, filed.number)).status is Status.TRIAGED


async def test_me_too_makes_a_supporter_who_hears_of_changes(org: Harness) -> None:
    eve, fox = org.player("eve"), org.player("fox")
    await onboard(eve)
    await onboard(fox)
    number = await file_request(org, eve, category="环境卫生", description="东门垃圾堆了一周")
    await fox.tap("反映诉求")
    await fox.press("环境卫生")
    assert "本小区的邻居最近反映过类似的问题" in fox.last_text()
    assert "东门垃圾堆了一周" in fox.last_text()
    await fox.press(f"我也遇到：{number}")
    assert f"您已关注 {number}" in fox.last_text()
    filed = await request(org, number)
    async with org.services.db.read() as tx:
        assert len(await tx.requests.supporter_ids(filed.id)) == 1
        # Fox filed nothing of his own.
        assert await tx.fetchval("SELECT count(*) FROM requests") == 1
    # Fox sees it in his list, marked as followed.
    await fox.tap("我的诉求")
    assert number in fox.last_text() and "👍" in fox.last_text()
    # When Eve cancels it, Fox is told.
    await eve.tap("我的诉求")
    await eve.press(f"查看 {number}")
    await eve.press("✖ 撤销诉求")
    await eve.press("是的，撤销")
    assert f"您关注的诉求 {number}：已撤销" in fox.last_text()
    # A settled request is not offered any more, nor older than 72 hours.
    await file_request(org, eve, category="环境卫生", description="西门也有垃圾")
    org.clock.advance(hours=73)
    await fox.tap("反映诉求")
    await fox.press("环境卫生")
    assert "请简单描述问题" in fox.last_text()


async def test_me_too_offers_at_most_three(org: Harness) -> None:
    gil, hua = org.player("gil"), org.player("hua")
    await onboard(gil)
    await onboard(hua)
    for n in range(4):
        await quick_file(org, gil, f"问题 {n}", category=2)
    await hua.tap("反映诉求")
    await hua.press("环境卫生")
    assert len([b for b in hua.buttons() if b.startswith("我也遇到")]) == 3
    await hua.press("不，我的问题不一样")
    assert "请简单描述问题" in hua.last_text()


async def test_phone_goes_only_to_whoever_does_the_work(org: Harness) -> None:
    ida = org.player("ida")
    await onboard(ida)
    number = await file_request(org, ida, description="隔壁噪音", phone=True, anonymous=True)
    filed = await request(org, number)
    assert filed.anonymous and filed.contact_phone == "+8613800138000"
    async with org.services.db.read() as tx:
        view = await org.services.flow.view(tx, filed, is_owner=False, supporters=0)
    t = org.services.i18n.get("zh_CN")

    def render(view: RequestView, **who: bool) -> str:
        return views.member_card(t, "zh_CN", view, org.clock.now(), tz=org.config.tz, **who).text

    member, holder, admin = render(view), render(view, holder=True), render(view, admin=True)
    for card in (member, holder):
        assert "居民：匿名" in card
        assert "Ida" not in card and "13800138000" not in card
    assert "居民：Ida" in admin and "+8613800138000" in admin
    # Not anonymous: the pool sees the surname, the member doing it the name and phone.
    jon = org.player("jon")
    await onboard(jon)
    open_number = await file_request(org, jon, description="路灯坏了", phone=True)
    open_request = await request(org, open_number)
    async with org.services.db.read() as tx:
        view = await org.services.flow.view(tx, open_request, is_owner=False, supporters=0)
    pool = render(view)
    assert "居民：J**" in pool and "Jon" not in pool and "13800138000" not in pool
    shown = render(view, holder=True)
    assert "居民：Jon" in shown and "+8613800138000" in shown


async def resolve(h: Harness, number: str) -> None:
    """An administrator settles it (members arrive with their own issue)."""
    filed = await request(h, number)
    async with h.services.db.transaction() as tx:
        await h.services.flow.transition(tx, filed, Status.RESOLVED, actor=None, note="已经修好了")
    await h.settle()


async def test_rating_satisfied_closes_with_a_comment(org: Harness) -> None:
    kay = org.player("kay")
    await onboard(kay)
    number = await file_request(org, kay)
    await resolve(org, number)
    assert f"您的诉求 {number} 已办理完成" in kay.last_text()
    assert "说明：已经修好了" in kay.last_text()
    assert kay.buttons() == ["满意", "基本满意", "不满意"]
    await kay.press("基本满意")
    assert f"感谢您对 {number} 的评价：基本满意" in kay.last_text()
    await kay.send("师傅很辛苦")
    assert "您的意见已保存" in kay.last_text()
    filed = await request(org, number)
    assert filed.status is Status.CLOSED and filed.rating is Rating.BASIC
    assert filed.rating_comment == "师傅很辛苦"
    # A second press on the old rating buttons changes nothing, and says why.
    await kay.press_data(f"rt1:s:{filed.id}")
    assert "您已评价过" in (kay.last_answer() or {})["text"]
    assert (await request(org, number)).rating is Rating.BASIC


async def test_rating_unsatisfied_reopens_and_flags_the_admins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    h = Harness(tmp_path, admins=[{"telegram_id": 9100, "unit": "BY"}])
    await h.start()
    try:
        await h.import_org()
        await h.restart()
        admin = h.player("admin", user_id=9100)
        await admin.command("/start")
        await admin.press("中文")
        await admin.press("跳过：我只做管理工作")
        lin = h.player("lin")
        await onboard(lin)
        number = await file_request(h, lin)
        await resolve(h, number)
        await lin.press("不满意")
        assert f"很抱歉。{number} 已重新办理" in lin.last_text()
        await lin.press("跳过")
        assert lin.last_text() == "谢谢。"
        filed = await request(h, number)
        assert filed.status is Status.REOPENED and filed.rating is Rating.UNSATISFIED
        assert "居民对办理结果不满意" in admin.last_text() and number in admin.last_text()
    finally:
        await h.stop()


async def test_fifty_concurrent_submissions_get_gapless_numbers(org: Harness) -> None:
    people = [org.player(f"p{n}") for n in range(50)]
    for person in people:
        await onboard(person)
    actors = [await actor_of(org, p) for p in people]
    results = await asyncio.gather(
        *(
            org.services.requests.submit(a, Draft(category_id=1, description="并发", urgent=False))
            for a in actors
        )
    )
    numbers = sorted(r.number for r, _ in results)
    assert numbers == [f"DZ-2026-{n:06d}" for n in range(1, 51)]
    # A new year starts again at 1.
    org.clock.advance(days=40)
    filed, _ = await org.services.requests.submit(
        actors[0], Draft(category_id=1, description="新年", urgent=False)
    )
    assert filed.number == "DZ-2027-000001"


async def test_forget_keeps_requests_without_the_name(org: Harness) -> None:
    mia = org.player("mia")
    await onboard(mia)
    number = await file_request(org, mia, phone=True)
    await mia.tap("反映诉求")
    await mia.press("其他")  # a draft in the making
    await mia.command("/forget")
    await mia.press("是的，删除我的信息")
    filed = await request(org, number)
    assert filed.resident_id is None and filed.contact_name is None
    assert filed.contact_phone is None
    assert filed.description == "楼道灯坏了，晚上很黑"
    assert org.app is not None and mia.id not in org.app.user_data
    await org.app.update_persistence()
    async with org.services.db.read() as tx:
        assert (
            await tx.fetchval("SELECT count(*) FROM ptb_user_data WHERE user_id = ?", (mia.id,))
            == 0
        )
