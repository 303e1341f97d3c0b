"""The sandbox's web chat in a real browser: the service menu, a volunteer activity and the
stations, played by the sandbox's personas. Screenshots of each pane go to ``artifacts/e2e/``.

周阿姨 signs up for the activity about to start and checks in by sharing her location (the
sandbox's location is by the community centre); 张书记, who published it, shows the check-in
code and 王阿姨 checks in with it; 王阿姨 opens the service menu and asks for the stations near
her.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from auxil.browser import STEP, exactly, pane, press, press_on, sees, send, tap
from playwright.async_api import Page, expect

from bot.sandbox import Sandbox

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)",
)

WANG, ZHANG, ZHOU = 1001, 1004, 1303
TITLE = "社区义诊：量血压、测血糖"


async def test_sign_up_and_check_in_by_location_and_code(
    page: Page, sandbox: Sandbox, artifacts: Path, page_errors: list[str]
) -> None:
    zhou, zhang, wang = pane(page, ZHOU), pane(page, ZHANG), pane(page, WANG)
    # The invitation of the activity about to start (the sandbox published it at start).
    invitation = await sees(zhou, "社区义诊：量血压、测血糖")
    await expect(invitation).to_contain_text("伴月社区党群服务中心驿站")
    await press_on(zhou, TITLE, "✅ 报名")
    await sees(zhou, "✅ 您已报名。")
    await press_on(zhou, TITLE, "📍 签到")
    await sees(zhou, "请发送组织者手机上显示的 6 位签到码")
    await tap(zhou, "📍 发送位置签到")
    await sees(zhou, "✔ 已签到：“社区义诊：量血压、测血糖”（位置）")
    await zhou.screenshot(path=artifacts / "services-01-zhou-checked-in.png")

    await press_on(wang, TITLE, "✅ 报名")
    await sees(wang, "✅ 您已报名。")
    await send(zhang, "/activities")
    await press(zhang, "🧑\u200d💼 社区义诊：量血压、测血糖")
    await press(zhang, "🔢 签到码")
    shown = await sees(zhang, "的签到码")
    found = re.search(r"(\d{3}) (\d{3})", await shown.inner_text())
    assert found is not None
    await zhang.screenshot(path=artifacts / "services-02-zhang-code.png")
    await press_on(wang, TITLE, "📍 签到")
    await sees(wang, "请发送组织者手机上显示的 6 位签到码")
    await send(wang, found.group(0))
    await sees(wang, "✔ 已签到：“社区义诊：量血压、测血糖”（签到码）")
    await press(zhang, "📋 点名")
    roll = await sees(zhang, "点名：社区义诊")
    await expect(roll).to_contain_text("已到 2 人，共 2 人")
    await zhang.screenshot(path=artifacts / "services-03-zhang-roll.png")
    assert page_errors == []


async def test_the_menu_and_the_stations_near_me(
    page: Page, sandbox: Sandbox, artifacts: Path, page_errors: list[str]
) -> None:
    wang = pane(page, WANG)
    await send(wang, "/start")  # brings the main keyboard (the sandbox seeded her silently)
    await sees(wang, "欢迎回来")
    await tap(wang, "服务菜单")
    menu = await sees(wang, "菜单式服务")
    for project in ("以和为贵", "法进社区", "情暖夕阳", "科普在社区"):
        await expect(menu).to_contain_text(project)
    await press(wang, "法进社区 · 法律服务")
    await sees(wang, "服务内容：律师、法律工作者免费法律咨询")
    await wang.screenshot(path=artifacts / "services-04-wang-menu.png")
    await press(wang, "📍 附近驿站")
    await tap(wang, "📍 发送我的位置")
    nearest = await sees(wang, "离您最近的服务驿站")
    await expect(nearest).to_contain_text("1. 伴月社区党群服务中心驿站")
    venues = wang.get_by_test_id("venue")
    await expect(venues).to_have_count(3, timeout=STEP)
    await expect(venues.first).to_contain_text("伴月社区党群服务中心一楼")
    await (
        wang.get_by_test_id("inline-button")
        .filter(has_text=exactly("1. 伴月社区党群服务中心驿站"))
        .last.click(timeout=STEP)
    )
    page_ = await sees(wang, "🏠 伴月社区党群服务中心驿站")
    await expect(page_).to_contain_text("社区义诊")
    await wang.screenshot(path=artifacts / "services-05-wang-station.png")
    assert page_errors == []


async def test_zhang_publishes_and_a_resident_signs_up(
    page: Page, sandbox: Sandbox, artifacts: Path, page_errors: list[str]
) -> None:
    zhang, wang = pane(page, ZHANG), pane(page, WANG)
    await send(zhang, "/publish")
    await sees(zhang, "第 1 步（共 10 步）")
    await send(zhang, "楼道清洁日")
    await sees(zhang, "第 2 步")
    await tap(zhang, "跳过")
    await sees(zhang, "第 3 步")
    await zhang.get_by_test_id("inline-button").nth(-6).click(timeout=STEP)  # a day ahead
    await sees(zhang, "第 4 步")
    await press(zhang, "09:00")
    await sees(zhang, "第 5 步")
    await press(zhang, "2小时")
    await sees(zhang, "第 6 步")
    await press(zhang, "星荷豪苑先锋服务驿站")
    await sees(zhang, "第 7 步")
    await press(zhang, "20")
    await sees(zhang, "第 8 步")
    await press(zhang, "居民")
    await press(zhang, "完成 ➡")
    await sees(zhang, "第 9 步")
    await press(zhang, "科普在社区 · 科普宣传")
    preview = await sees(zhang, "第 10 步")
    await expect(preview).to_contain_text("将邀请")
    await zhang.screenshot(path=artifacts / "services-06-zhang-preview.png")
    await press(zhang, "✅ 发布并邀请")
    await sees(zhang, "“楼道清洁日”已发布")
    await press_on(wang, "楼道清洁日", "✅ 报名")
    await sees(wang, "✅ 您已报名。")
    await wang.screenshot(path=artifacts / "services-07-wang-signed-up.png")
    assert page_errors == []
