"""党员报到: /join through approval or rejection, profile edits, pause and resume."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auxil.flows import onboard, register
from auxil.harness import Harness, Player

from bot.models import Availability, MemberStatus, MemberType, Role

ADMINS = [{"telegram_id": 9801, "unit": "BY"}, {"telegram_id": 9802, "unit": "XH"}]


@pytest.fixture
async def area(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, admins=ADMINS)
    await h.start()
    await h.import_org()
    await h.restart()
    h.clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    for name, spec in zip(("banyue", "xinghu"), ADMINS, strict=True):
        admin = h.player(name, user_id=int(spec["telegram_id"]))  # type: ignore[arg-type]
        await admin.command("/start")
        await admin.press("中文")
        await admin.press("跳过：我只做管理工作")
    try:
        yield h
    finally:
        await h.stop()


async def member_of(h: Harness, player: Player):  # type: ignore[no-untyped-def]
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
        assert person is not None
        return await tx.members.get(person.id), await tx.people.grants(person.id)


async def test_registration_through_approval(area: Harness) -> None:
    h = area
    wang = h.player("wang")
    await register(h, wang)
    summary = wang.last_text()
    for part in (
        "请核对报到信息",
        "姓名：王建国",
        "工作单位：（无）",
        "小区：星荷豪苑",
        "+8613600000001",
        "无职党员",
        "人民调解、关爱老人",
        "电工、会修水管",
        "工作日晚上、周末",
        "向居民公开我的电话：是",
    ):
        assert part in summary, part
    await wang.press("✅ 确认提交")
    assert "已提交社区审核" in wang.last_text()
    member, grants = await member_of(h, wang)
    assert member is not None and member.status is MemberStatus.PENDING
    assert member.member_type is MemberType.UNEMPLOYED_OR_RETIRED
    assert member.availability == [Availability.WEEKDAY_EVENING, Availability.WEEKEND]
    assert member.skills == ["电工", "会修水管"] and member.share_phone
    assert Role.MEMBER not in {g.role for g in grants}
    # The community admin got the card; the other community's admin did not.
    banyue, xinghu = h.players["banyue"], h.players["xinghu"]
    assert "有新的党员、志愿者报到" in banyue.last_text() and "王建国" in banyue.last_text()
    assert not any("王建国" in (m.text or "") for m in xinghu.bot_messages())
    await banyue.press("通过")
    assert "王建国：已通过。" in banyue.last_text()
    assert "您的报到已通过审核" in wang.last_text()
    member, grants = await member_of(h, wang)
    assert member is not None and member.status is MemberStatus.APPROVED
    assert Role.MEMBER in {g.role for g in grants}
    assert "tasks" in wang.commands() and "visit" in wang.commands()
    # /me shows the member record.
    await wang.command("/me")
    assert "党员/志愿者身份" in wang.last_text() and "已办理完成的任务：0" in wang.last_text()


async def test_registration_through_rejection_with_a_reason(area: Harness) -> None:
    h = area
    li = h.player("li")
    await register(h, li, name="李四")
    await li.press("✅ 确认提交")
    banyue = h.players["banyue"]
    await banyue.press("不通过")
    assert "李四未通过的原因是什么" in banyue.last_text()
    await banyue.send("不住本小区")
    assert "李四：未通过。" in banyue.last_text()
    assert "您的报到未通过：不住本小区" in li.last_text()
    member, grants = await member_of(h, li)
    assert member is not None and member.status is MemberStatus.REJECTED
    assert member.reject_reason == "不住本小区"
    assert Role.MEMBER not in {g.role for g in grants}
    async with h.services.db.read() as tx:
        audit = await tx.audit.latest(action="member.reject")
    assert audit and audit[0].after == {"status": "rejected", "reason": "不住本小区"}
    # They may register again.
    await li.command("/join")
    assert "第 1 步" in li.last_text()


async def test_approval_is_checked_in_the_service_and_audited(area: Harness) -> None:
    h = area
    zhao = h.player("zhao")
    await register(h, zhao, name="赵六")
    await zhao.press("✅ 确认提交")
    banyue, xinghu = h.players["banyue"], h.players["xinghu"]
    approve = banyue.find_button("通过")[1]["callback_data"]
    # The other community's admin, a resident, and zhao himself, with forged presses:
    others = [xinghu, h.player("nosy")]
    await onboard(others[1])
    for player in [*others, zhao]:
        await player.press_data(approve)
        assert "只有本辖区的管理员可以这样操作" in (player.last_answer() or {})["text"]
    member, _ = await member_of(h, zhao)
    assert member is not None and member.status is MemberStatus.PENDING
    async with h.services.db.read() as tx:
        refused = await tx.audit.latest(action="member.approve.refused")
    assert len(refused) == 3
    await banyue.press("通过")
    await banyue.press_data(approve)  # twice
    assert "此事已经处理过了" in (banyue.last_answer() or {})["text"]
    async with h.services.db.read() as tx:
        refused = await tx.audit.latest(action="member.approve.refused")
    assert len(refused) == 4 and refused[0].after == {"reason": "already approved"}


async def test_a_reason_for_a_decided_registration_ends_the_wait(area: Harness) -> None:
    h = area
    zhou = h.player("zhou")
    await register(h, zhou, name="周九")
    await zhou.press("✅ 确认提交")
    banyue = h.players["banyue"]
    await banyue.press("不通过")
    assert "周九未通过的原因是什么" in banyue.last_text()
    await banyue.press("通过")  # changed their mind on the same card
    assert "周九：已通过。" in banyue.last_text()
    await banyue.send("不住本小区")
    assert "此事已经处理过了" in banyue.last_text()
    async with h.services.db.read() as tx:
        [refused] = await tx.audit.latest(action="member.reject.refused")
    assert refused.after == {"reason": "already approved"}
    member, _ = await member_of(h, zhou)
    assert member is not None and member.status is MemberStatus.APPROVED
    assert member.reject_reason is None
    # No longer waiting: the next text is not taken for a reason.
    await banyue.send("你好")
    assert "没看懂" in banyue.last_text()


async def test_compound_by_drill_down_goes_to_that_communitys_admin(area: Harness) -> None:
    h = area
    wu = h.player("wu")
    await onboard(wu)  # lives in 星荷豪苑 (伴月社区) by the bot's records
    await wu.command("/join")
    await wu.send("吴十")
    await wu.press("无工作单位")
    assert "第一个按钮是您所住的小区" in wu.last_text()
    assert wu.buttons() == ["星荷豪苑", "城东街道", "城西街道", "✖ 取消"]
    await wu.press("城东街道")
    assert "📍 端州区 › 城东街道" in wu.last_text() and "请选择您所在的社区" in wu.last_text()
    assert wu.buttons() == ["站北社区", "星湖社区", "« 返回", "✖ 取消"]
    await wu.press("« 返回")
    assert wu.buttons()[0] == "星荷豪苑"
    await wu.press("城东街道")
    await wu.press("星湖社区")
    assert "请选择您居住的小区" in wu.last_text()
    await wu.press("鸿基小区")
    assert "第 4 步" in wu.last_text()
    await wu.share_contact("+8613600000009")
    await wu.press("在职党员")
    await wu.press("医疗保健")
    await wu.press("完成 ➡")
    await wu.tap("跳过")
    await wu.press("周末")
    await wu.press("完成 ➡")
    await wu.press("否")
    assert "小区：鸿基小区" in wu.last_text()
    await wu.press("✅ 确认提交")
    member, _ = await member_of(h, wu)
    async with h.services.db.read() as tx:
        hongji = await tx.org.get_by_code("HJXQ")
    assert member is not None and hongji is not None and member.compound_id == hongji.id
    # 星湖社区's admin decides, not 伴月社区's.
    banyue, xinghu = h.players["banyue"], h.players["xinghu"]
    assert "吴十" in xinghu.last_text() and "小区：鸿基小区" in xinghu.last_text()
    assert not any("吴十" in (m.text or "") for m in banyue.bot_messages())


@pytest.mark.parametrize("step", range(10))
async def test_cancel_at_every_join_step(area: Harness, step: int) -> None:
    h = area
    sun = h.player("sun")
    await onboard(sun)
    await sun.command("/join")
    actions = [
        lambda: sun.send("孙七"),
        lambda: sun.press("无工作单位"),
        lambda: sun.press("星荷豪苑"),
        lambda: sun.share_contact(),
        lambda: sun.press("在职党员"),
        lambda: sun.press("法律服务"),
        lambda: sun.press("完成 ➡"),
        lambda: sun.tap("跳过"),
        lambda: sun.press("周末"),
    ]
    for action in actions[:step]:
        await action()
    if step == 9:
        await sun.press("完成 ➡")
        await sun.press("否")
    await sun.command("/cancel")
    assert "已取消，没有保存" in sun.last_text()
    member, _ = await member_of(h, sun)
    assert member is None


async def test_profile_edit_is_audited_and_keeps_approval(area: Harness) -> None:
    h = area
    wang = h.player("wang")
    await register(h, wang)
    await wang.press("✅ 确认提交")
    await h.players["banyue"].press("通过")
    await wang.command("/join")
    assert "您的报到信息" in wang.last_text()
    await wang.press("✏ 修改")
    await wang.press("工作单位")
    await wang.send("端州区人民医院")
    assert "工作单位：端州区人民医院" in wang.last_text()
    await wang.press("✅ 确认提交")
    assert "您的报到信息已保存" in wang.last_text()
    member, _ = await member_of(h, wang)
    assert member is not None and member.status is MemberStatus.APPROVED
    assert member.work_unit == "端州区人民医院"
    async with h.services.db.read() as tx:
        [entry] = await tx.audit.latest(action="member.edit")
    assert entry.before is not None and entry.after is not None
    assert entry.before["work_unit"] is None and entry.after["work_unit"] == "端州区人民医院"


async def test_moving_to_another_community_asks_it_again(area: Harness) -> None:
    h = area
    wang = h.player("wang")
    await register(h, wang)
    await wang.press("✅ 确认提交")
    await h.players["banyue"].press("通过")
    await wang.command("/join")
    await wang.press("✏ 修改")
    await wang.press("小区")
    await wang.press("城东街道")
    await wang.press("星湖社区")
    await wang.press("鸿基小区")
    assert "小区：鸿基小区" in wang.last_text()
    await wang.press("✅ 确认提交")
    assert "已提交社区审核" in wang.last_text()
    member, grants = await member_of(h, wang)
    assert member is not None and member.status is MemberStatus.PENDING
    assert Role.MEMBER not in {g.role for g in grants} and "tasks" not in wang.commands()
    assert "王建国" in h.players["xinghu"].last_text()


async def test_pause_and_resume(area: Harness) -> None:
    h = area
    wang = h.player("wang")
    await register(h, wang)
    await wang.press("✅ 确认提交")
    await h.players["banyue"].press("通过")
    await wang.command("/pause")
    await wang.press("2 周")
    assert "已请假至 2026-12-10" in wang.last_text()
    member, _ = await member_of(h, wang)
    assert member is not None and member.paused_until is not None
    assert not member.active_at(h.clock.now())
    assert member.active_at(datetime(2026, 12, 10, 0, 0, tzinfo=UTC))
    await wang.command("/resume")
    assert "欢迎回来" in wang.last_text()
    member, _ = await member_of(h, wang)
    assert member is not None and member.paused_until is None and member.active_at(h.clock.now())
    await wang.command("/resume")  # not on leave: nothing changes, nothing audited
    assert "您目前没有请假" in wang.last_text()
    async with h.services.db.read() as tx:
        assert len(await tx.audit.latest(action="member.resume")) == 1
    # A typed date, and a date in the past refused.
    await wang.command("/pause")
    await wang.send("2026-01-01")
    assert "请选择今天以后的日期" in wang.last_text()
    await wang.send("2027-01-15")
    assert "已请假至 2027-01-15" in wang.last_text()


async def test_stale_buttons_and_someone_elses_contact(area: Harness) -> None:
    h = area
    qian = h.player("qian")
    await onboard(qian)
    await qian.command("/join")
    await qian.send("钱八")
    await qian.press_data("mb1:type:volunteer")  # a button of a later step
    assert "此菜单已过期" in (qian.last_answer() or {})["text"]
    assert "第 2 步" in qian.last_text()
    await qian.press("无工作单位")
    await qian.press("星荷豪苑")
    await h.process(
        h.emulator.user_message(
            qian.id, contact={"phone_number": "+861", "first_name": "X", "user_id": 1}
        )
    )
    assert "请点按钮提供您本人的手机号" in qian.last_text()
    await qian.send("1380000")  # typed, and too short
    assert "不是有效的大陆手机号码" in qian.last_text()
    await qian.send("138 0000 0000")  # typed: a mainland mobile number will do
    assert "第 5 步" in qian.last_text()


async def test_a_step_of_boxes_goes_on_only_with_one_ticked(area: Harness) -> None:
    zhao = area.player("zhao")
    await onboard(zhao)
    await zhao.command("/join")
    await zhao.send("赵九")
    await zhao.press("无工作单位")
    await zhao.press("星荷豪苑")
    await zhao.share_contact()
    await zhao.press("在职党员")
    await zhao.press("完成 ➡")
    answer = zhao.last_answer() or {}
    assert answer["text"] == "请至少选择一支服务队。" and answer["show_alert"]
    assert "第 6 步" in zhao.last_text()
    await zhao.press("法律服务")
    await zhao.press("完成 ➡")
    await zhao.tap("跳过")
    await zhao.press("完成 ➡")
    answer = zhao.last_answer() or {}
    assert answer["text"] == "请选择您的服务时间。" and answer["show_alert"]
    assert "第 8 步" in zhao.last_text()
