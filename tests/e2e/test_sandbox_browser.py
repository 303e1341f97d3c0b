"""The sandbox's web chat in a real browser: a whole request, from filing to rating.

王阿姨 files an urgent request with a photo, 李师傅 takes it and closes it with a note, 王阿姨
rates it, 张书记 looks at the administration. Every step clicks the page as a person would and
asserts on what the page shows in that person's pane. Screenshots go to ``artifacts/e2e/``.

The bot sends at most one message per second per chat in real time, so each step may take a
few seconds; Playwright's ``expect`` waits (up to ``STEP``), nothing sleeps.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from auxil.browser import (
    STEP,
    Shots,
    pane,
    press,
    reply_keyboard,
    sees,
    send,
    tap,
)
from PIL import Image
from playwright.async_api import Dialog, Page, expect

from bot.sandbox import Sandbox

RESIDENT, MEMBER, OTHER_MEMBER, ADMIN, STREET_ADMIN = 1001, 1002, 1003, 1004, 1005
NUMBER = re.compile(r"DZ-\d{4}-\d{6}")

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; the fixtures in conftest.py launch it
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)",
)


def png(path: Path) -> Path:
    """A small valid PNG (64x48): the photo of the burst pipe."""
    Image.new("RGB", (64, 48), (70, 130, 180)).save(path, "PNG")
    return path


# -- the tests ----------------------------------------------------------------------------
async def test_a_request_from_filing_to_rating(
    page: Page, sandbox: Sandbox, tmp_path: Path, artifacts: Path, page_errors: list[str]
) -> None:
    shots = Shots(page, artifacts)
    resident, member = pane(page, RESIDENT), pane(page, MEMBER)
    other, admin = pane(page, OTHER_MEMBER), pane(page, ADMIN)
    await expect(resident.get_by_test_id("person-name")).to_have_text("王阿姨")
    await expect(resident.get_by_test_id("person-role")).to_have_text("居民 resident")
    await expect(admin.get_by_test_id("person-role")).to_have_text("管理员 admin")
    # Each person's "/" menu lists their own commands: a resident has no /admin.
    await resident.get_by_test_id("command-button").click()
    items = resident.get_by_test_id("command-item")
    await expect(items.filter(has_text="/request")).to_be_visible()
    await expect(items.filter(has_text="/admin")).to_have_count(0)
    await resident.get_by_test_id("command-button").click()
    await expect(resident.get_by_test_id("command-menu")).to_be_hidden()

    # 王阿姨 opens the bot; the main reply keyboard appears above her input.
    await send(resident, "/start")
    await sees(resident, "欢迎回来！您的小区：端州区 › 城西街道 › 伴月社区 › 星荷豪苑。")
    await expect(resident.locator('[data-from="user"]').first).to_contain_text("/start")
    await reply_keyboard(resident, "反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息")

    # Step 1, category, from the reply keyboard and an inline button.
    await tap(resident, "反映诉求")
    await sees(resident, "是什么方面的事？请选择类别。")
    await shots.take("resident-categories")
    await press(resident, "安全隐患")
    # Step 2, description (its prompt repeats the category chosen); step 3, a photo, shown in
    # her pane from /api/file.
    chosen = await sees(resident, "请简单描述问题")
    await expect(chosen).to_contain_text("✔ 安全隐患")
    await send(resident, "楼道的水管爆了，水流到走廊里")
    await sees(resident, "现在可以发送最多 5 张照片")
    await resident.get_by_test_id("photo-input").set_input_files(png(tmp_path / "pipe.png"))
    photo = resident.locator('[data-from="user"] [data-testid="photo"]')
    await expect(photo).to_be_visible(timeout=STEP)
    await expect(photo).to_have_js_property("naturalWidth", 64)  # the image really loaded
    await sees(resident, "已收到 1/5 张")
    await shots.take("resident-photo")
    await press(resident, "下一步 ➡")

    # Step 4, place: skipped from the reply keyboard that offers the location.
    await sees(resident, "具体在哪里？")
    await reply_keyboard(resident, "📍 发送我的位置", "跳过")
    await tap(resident, "跳过")

    # Step 5, danger: yes makes it urgent. Step 6, phone: skipped.
    await sees(resident, "是否有人身危险")
    await press(resident, "是，很紧急")
    await sees(resident, "是否方便承办人给您打电话？")
    await reply_keyboard(resident, "📞 提供我的手机号", "跳过")
    await tap(resident, "跳过")

    # The summary, then the number.
    summary = await sees(resident, "请核对您的诉求")
    for part in ("类别：安全隐患", "事项分类：急事立刻办", "描述：楼道的水管爆了", "照片：1 张"):
        await expect(summary).to_contain_text(part)
    await shots.take("resident-summary")
    await press(resident, "✅ 确认提交")
    filed = await sees(resident, re.compile(r"您的诉求 DZ-\d{4}-\d{6} 已登记"))
    found = NUMBER.search(await filed.inner_text())
    assert found is not None
    number = found.group()
    await reply_keyboard(resident, "反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息")
    await shots.take("resident-filed")

    # 李师傅 (and 小陈, same community) get the urgent task card; 李师傅 takes it.
    card = await sees(member, "有邻居需要帮助")
    for part in (number, "🔴", "急事", "楼道的水管爆了，水流到走廊里", "居民：王**"):
        await expect(card).to_contain_text(part)
    await expect(card.get_by_test_id("inline-button")).to_have_text(["✋ 接单"])
    await sees(other, number)
    await shots.take("member-card")
    await press(member, "✋ 接单")
    await expect(member.get_by_test_id("toast")).to_contain_text("接单成功", timeout=STEP)
    taken = await sees(member, "✅ 您已接单。谢谢！")
    await expect(taken).to_contain_text("居民：王阿姨")  # the one who does the work: the name
    await expect(taken.get_by_test_id("edited")).to_be_visible()
    await expect(
        taken.get_by_test_id("inline-button").filter(has_text="✅ 办理完成")
    ).to_be_visible()
    await sees(other, f"{number}：已由李建华接单")
    await sees(resident, f"您的诉求 {number} 已由李建华")
    await shots.take("member-accepted")

    # He is done: a note closes the task.
    await press(member, "✅ 办理完成")
    await sees(member, "简要说明办了什么")
    await send(member, "已更换水管接头，走廊已清理")
    await sees(member, f"{number} 已办理完成，已请居民评价")

    # 王阿姨 is asked to rate it and is satisfied.
    asked = await sees(resident, f"您的诉求 {number} 已办理完成")
    await expect(asked).to_contain_text("说明：已更换水管接头，走廊已清理")
    await expect(asked.get_by_test_id("inline-button")).to_have_text(
        ["满意", "基本满意", "不满意"]
    )
    await shots.take("resident-rating")
    await press(resident, "满意")
    await sees(resident, f"感谢您对 {number} 的评价：满意")

    # 张书记, admin of 伴月社区, picks /stats from his command menu: the closed request counts
    # in every rate of 星荷豪苑; the elevator retrofit under consultation (the sandbox's) is
    # received and not resolved yet. (Only language-neutral parts are asserted.)
    await admin.get_by_test_id("command-button").click()
    menu = admin.get_by_test_id("command-menu")
    await expect(menu).to_be_visible()
    await expect(menu.get_by_test_id("command-item").filter(has_text="/admin")).to_be_visible()
    await menu.get_by_test_id("command-item").filter(has_text="/stats").click()
    await expect(menu).to_be_hidden()
    await expect(admin.locator('[data-from="user"]')).to_have_text(re.compile(r"^/stats"))
    await sees(admin, re.compile(r"伴月社区[\s\S]*1\. 星荷豪苑 — 100% · 50% · 100%"))
    chart = admin.locator('[data-from="bot"] [data-testid="photo"]').last
    await expect(chart).to_be_visible(timeout=STEP)
    await expect(chart).not_to_have_js_property("naturalWidth", 0)  # the chart really loaded
    await shots.take("admin-stats")

    # Reset (after a confirm()) empties every pane; the bot is back for a fresh start.
    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.once("dialog", accept)
    await page.get_by_test_id("reset").click()
    await expect(page.get_by_test_id("message")).to_have_count(0, timeout=STEP)
    await send(resident, "/start")
    await sees(resident, "欢迎回来！")
    await shots.take("after-reset")
    assert page_errors == []


async def test_html_media_and_share_buttons(
    page: Page, sandbox: Sandbox, artifacts: Path, page_errors: list[str]
) -> None:
    """Bot messages sent straight through the emulator: Telegram-HTML rebuilt from the
    allow-list (no script-able markup, no javascript: links), a location, a document, URL
    buttons; then the share buttons of a reply keyboard."""
    chat = pane(page, OTHER_MEMBER)
    markup = (
        '<b>粗体</b> <i>italic</i> <a href="javascript:alert(1)">bad link</a> '
        '<a href="https://example.org/x">good link</a> <tg-spoiler>secret</tg-spoiler> '
        "&lt;img src=x onerror=alert(1)&gt; <code>code</code>\n<pre>pre</pre>"
        "<blockquote>quote</blockquote>"
    )
    answer = await sandbox.emulator.call(
        "sendMessage",
        {
            "chat_id": OTHER_MEMBER,
            "text": markup,
            "parse_mode": "HTML",
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": "Docs", "url": "https://example.org/docs"}],
                    [{"text": "Evil", "url": "javascript:alert(2)"}],
                ]
            },
        },
    )
    assert answer["ok"], answer
    await sandbox.emulator.call(
        "sendLocation", {"chat_id": OTHER_MEMBER, "latitude": 23.0512, "longitude": 112.4651}
    )
    await sandbox.emulator.call(
        "sendDocument", {"chat_id": OTHER_MEMBER}, {"document": ("报表.xlsx", b"PK\x03\x04")}
    )

    text = (await sees(chat, "粗体")).get_by_test_id("text")
    await expect(text.locator("b")).to_have_text("粗体")
    await expect(text.locator("i")).to_have_text("italic")
    await expect(text.locator("a")).to_have_count(1)
    await expect(text.locator("a")).to_have_attribute("href", "https://example.org/x")
    await expect(text.locator(".spoiler")).to_have_text("secret")
    await expect(text).to_contain_text("<img src=x onerror=alert(1)> code")
    await expect(text.locator("img")).to_have_count(0)
    for tag, content in (("code", "code"), ("pre", "pre"), ("blockquote", "quote")):
        await expect(text.locator(tag)).to_have_text(content)
    await expect(text).to_contain_text("bad link")  # kept as plain text
    buttons = chat.get_by_test_id("inline-button")
    await expect(buttons.filter(has_text="Docs")).to_have_attribute(
        "href", "https://example.org/docs"
    )
    await expect(buttons.filter(has_text="Evil")).to_be_disabled()
    await expect(chat.get_by_test_id("location")).to_contain_text("23.05120, 112.46510")
    await expect(chat.get_by_test_id("document")).to_contain_text("报表.xlsx")
    await expect(chat.get_by_test_id("document")).to_have_attribute("download", "报表.xlsx")
    await page.screenshot(path=artifacts / "html-rendering.png")

    # Share-location and share-contact reply buttons send a location and the person's phone;
    # a keyboard removal hides the keyboard.
    street = pane(page, STREET_ADMIN)
    requests = [
        [{"text": "📍 发送位置", "request_location": True}],
        [{"text": "📞 发送手机号", "request_contact": True}],
    ]
    await sandbox.emulator.call(
        "sendMessage",
        {"chat_id": STREET_ADMIN, "text": "请分享", "reply_markup": {"keyboard": requests}},
    )
    await reply_keyboard(street, "📍 发送位置", "📞 发送手机号")
    await tap(street, "📍 发送位置")
    location = street.locator('[data-from="user"] [data-testid="location"]')
    await expect(location).to_contain_text("23.05120, 112.46510", timeout=STEP)
    await tap(street, "📞 发送手机号")
    contact = street.locator('[data-from="user"] [data-testid="contact"]')
    await expect(contact).to_contain_text("刘主任", timeout=STEP)
    await expect(contact).to_contain_text("+8613800001005")
    await sandbox.emulator.call(
        "sendMessage",
        {"chat_id": STREET_ADMIN, "text": "谢谢", "reply_markup": {"remove_keyboard": True}},
    )
    await expect(street.get_by_test_id("reply-keyboard")).to_be_hidden(timeout=STEP)
    await page.screenshot(path=artifacts / "share-buttons.png")

    # On a narrow screen the panes scroll sideways instead of squeezing.
    await page.set_viewport_size({"width": 800, "height": 700})
    panes = page.get_by_test_id("panes")
    assert await panes.evaluate("el => el.scrollWidth > el.clientWidth + 400")
    assert page_errors == []


async def test_an_elevator_vote_in_the_sandbox(
    page: Page, sandbox: Sandbox, artifacts: Path, page_errors: list[str]
) -> None:
    """The sandbox's elevator retrofit: an owner votes (and changes their vote), the chair
    follows the tally with the four ratios of art. 278."""
    owner, top_floor = pane(page, 1103), pane(page, 1104)
    chair, secretary = pane(page, ADMIN), pane(page, 1101)
    await expect(owner.get_by_test_id("person-role")).to_have_text("业主 owner")
    await expect(secretary.get_by_test_id("person-role")).to_have_text("四方席位 party seat")
    ballot = await sees(owner, "星荷豪苑业主表决")
    await expect(ballot).to_contain_text("是否同意3栋（1、2单元）加装电梯")
    await expect(ballot).to_contain_text("您的房屋 3-1-101（89.37 平方米）：尚未投票")
    await press(owner, "反对")
    await expect(owner.get_by_test_id("toast")).to_contain_text("已记录", timeout=STEP)
    await press(owner, "✔ 反对")  # pressed again: still one ballot
    await press(top_floor, "同意")
    await expect(top_floor.get_by_test_id("toast")).to_contain_text("已记录", timeout=STEP)
    # The chair opens the consultation (its invitation's "details") and the tally.
    await sees(chair, "邀请您参加议事协商")
    await press(chair, "📋 详情")
    await sees(chair, "议事：3栋加装电梯")
    await press(chair, "📊 计票")
    tally = await sees(chair, "业主表决计票")
    await expect(tally).to_contain_text("户数：24 户中 16 户已投票——同意 12，反对 3，弃权 1")
    await expect(tally).to_contain_text("参与表决的业主人数：16/24 = 66.67%（须 ≥ 2/3）✅")
    await expect(tally).to_contain_text("同意的人数占参与表决人数：12/16 = 75.00%（须 ≥ 3/4）✅")
    await Shots(page, artifacts).take("elevator-tally")
    assert page_errors == []


async def test_a_whistle_played_through_in_the_sandbox(
    page: Page, artifacts: Path, page_errors: list[str]
) -> None:
    """吹哨报到 as a visitor plays it: 王阿姨 reports an illegal shed, 张书记 blows the whistle
    to 城管执法局 (lead) and 区住建局, their liaisons sign for it and do their parts, the lead
    answers her, and she rates it; 陈志明, the first secretary, hears of it."""
    folder = artifacts / "whistle"
    folder.mkdir(exist_ok=True)
    resident, admin = pane(page, RESIDENT), pane(page, ADMIN)
    urban, housing, secretary = pane(page, 1201), pane(page, 1202), pane(page, 1203)
    await expect(urban.get_by_test_id("person-role")).to_have_text("部门联络员 department")
    await expect(secretary.get_by_test_id("person-role")).to_have_text("第一书记 first secretary")

    await send(resident, "/start")
    await sees(resident, "欢迎回来！")
    await tap(resident, "反映诉求")
    await press(resident, "违章搭建")
    await send(resident, "3栋楼顶有人搭铁皮房，已经搭了一半")
    await press(resident, "不发照片，下一步 ➡")
    await tap(resident, "跳过")
    await press(resident, "否")
    await tap(resident, "跳过")
    await press(resident, "✅ 确认提交")
    filed = await sees(resident, re.compile(r"您的诉求 DZ-\d{4}-\d{6} 已登记"))
    found = NUMBER.search(await filed.inner_text())
    assert found is not None
    number = found.group()

    # 张书记 gets the community's card of it, and blows the whistle.
    await sees(admin, number)
    await press(admin, "🔔 吹哨，召集部门")
    await sees(admin, "需要哪些部门报到？")
    await press(admin, "城管执法局")
    await press(admin, "区住建局")
    await press(admin, "下一步 ➡")
    await sees(admin, "由哪个部门主办？")
    await press(admin, "城管执法局")
    await sees(admin, "需要城管执法局做什么？")
    await send(admin, "依法拆除楼顶违建")
    await sees(admin, "需要区住建局做什么？")
    await send(admin, "鉴定楼顶结构安全")
    await sees(admin, "有没有需要各部门都知道的情况")
    await press(admin, "跳过")
    summary = await sees(admin, "发出前请核对")
    await expect(summary).to_contain_text("城管执法局（主办）：依法拆除楼顶违建")
    await admin.screenshot(path=folder / "01-whistler-summary.png")
    await press(admin, "📣 吹哨派单")
    await sees(admin, "📣 已吹哨：2 个部门收到派单")
    await sees(admin, "吹哨进展")
    await sees(resident, "城管执法局、区住建局将合力办理")
    await sees(secretary, "本社区吹哨")

    # The liaisons sign for it; the lead reports on site; both complete their parts.
    card = await sees(urban, "吹哨报到：贵部门派单")
    await expect(card).to_contain_text("请贵部门：依法拆除楼顶违建")
    await urban.screenshot(path=folder / "02-department-card.png")
    await press(urban, "✅ 签收")
    await sees(urban, "已签收，办理中")
    await press(housing, "✅ 签收")
    await sees(housing, "已签收，办理中")
    await press(urban, "📍 到达现场")
    await press(urban, "📍 不发位置，直接报告到场")
    await sees(resident, "城管执法局已到现场")
    await press(housing, "✅ 本部门办理完成")
    await send(housing, "楼顶结构安全，拆除时注意防坠落")
    await sees(housing, "本部门事项已办理完成")
    await press(urban, "✅ 本部门办理完成")
    await send(urban, "铁皮房已拆除")
    await sees(urban, "各部门均已办理完成")
    await admin.screenshot(path=folder / "03-whistle-board.png")
    await press(urban, "🏁 答复居民，办理完成")
    await send(urban, "楼顶违建已依法拆除，恢复原状。")
    await sees(resident, "说明：楼顶违建已依法拆除，恢复原状。")
    await press(resident, "满意")
    await sees(resident, f"感谢您对 {number} 的评价：满意")
    await tap(resident, "我的诉求")
    await press(resident, f"查看 {number}")
    timeline = await sees(resident, "办理记录")
    for step in ("城管执法局已签收", "区住建局已办理完成", "城管执法局已到现场"):
        await expect(timeline).to_contain_text(step)
    await resident.screenshot(path=folder / "04-resident-timeline.png")
    assert page_errors == []
