"""Stations residents can find: a location shared outside any conversation lists the three
nearest with distance, open now by the fake clock, hours, function areas, address and a venue
pin each; /stations asks for the location; a station's page opens from its deep link."""

from __future__ import annotations

from datetime import datetime

import pytest
from auxil.activities import LOCAL, publish
from auxil.admins import admin_world
from auxil.flows import onboard
from auxil.harness import Harness

from bot.geo import haversine_m

# A point inside 星荷豪苑, a few dozen metres from its station.
HOME = (23.0535, 112.4574)
STATIONS = {
    "S-XHHY": (23.0531, 112.4578),
    "S-LMJ": (23.0498, 112.4612),
    "S-BY": (23.0512, 112.4641),
}


def metres(code: str) -> int:
    return round(haversine_m(*HOME, *STATIONS[code]))


def test_the_demo_distances() -> None:
    """Checked by hand against the haversine formula (a spherical Earth of radius
    6,371 km): the station of the compound first, then 龙马街, then the community centre."""
    assert metres("S-XHHY") == 60
    assert 560 <= metres("S-LMJ") <= 580
    assert 720 <= metres("S-BY") <= 740
    # The fourth nearest, 出头新村's, is farther than all three.
    assert haversine_m(*HOME, 23.0455, 112.4535) > haversine_m(*HOME, *STATIONS["S-BY"])


@pytest.mark.parametrize(
    ("when", "statuses"),
    [
        (
            datetime(2026, 11, 26, 19, 0, tzinfo=LOCAL),  # Thursday evening: all closed
            [
                "🔴 现在关闭，周五 09:00 开放",
                "🔴 现在关闭，周五 08:30 开放",
                "🔴 现在关闭，周五 08:30 开放",
            ],
        ),
        (
            datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL),  # Thursday morning: all open
            ["🟢 正在开放，12:00 关门", "🟢 正在开放，12:00 关门", "🟢 正在开放，12:00 关门"],
        ),
        (
            datetime(2026, 11, 28, 15, 0, tzinfo=LOCAL),  # Saturday afternoon
            ["🔴 现在关闭，周一 09:00 开放", "🟢 正在开放，18:00 关门", "🟢 正在开放，17:00 关门"],
        ),
    ],
)
async def test_a_location_inside_xinghe_haoyuan_lists_the_three_nearest(
    org: Harness, when: datetime, statuses: list[str]
) -> None:
    alice = org.player("alice")
    await onboard(alice)
    org.clock.set(when)
    before = len(alice.bot_messages())
    await alice.send_location(*HOME)
    messages = alice.bot_messages()[before:]
    text = messages[0].text or ""
    assert text.startswith("📍 离您最近的服务驿站")
    lines = text.splitlines()
    heads = [line for line in lines if line[:2] in ("1.", "2.", "3.")]
    assert heads == [
        f"1. 星荷豪苑先锋服务驿站 · {metres('S-XHHY')} 米",
        f"2. 龙马街先锋服务驿站 · {round(metres('S-LMJ') / 10) * 10} 米",
        f"3. 伴月社区党群服务中心驿站 · {round(metres('S-BY') / 10) * 10} 米",
    ]
    assert [line for line in lines if line[:1] in ("🟢", "🔴")] == statuses
    assert (
        "开放时间：周一至周五 09:00–12:00、14:30–17:30；周六 09:00–12:00"
        "（法定节假日闭馆；周六下午可预约）" in lines
    )
    assert "功能区：党员活动区、图书借阅、诉求反映" in lines
    assert "地址：星荷豪苑小区会所一楼" in lines
    assert [b["text"] for b in messages[0].inline_buttons] == [
        "1. 星荷豪苑先锋服务驿站",
        "2. 龙马街先锋服务驿站",
        "3. 伴月社区党群服务中心驿站",
    ]
    # Then a venue pin each, in the same order.
    venues = [m.venue for m in messages[1:]]
    assert [v["title"] for v in venues if v] == [
        "星荷豪苑先锋服务驿站",
        "龙马街先锋服务驿站",
        "伴月社区党群服务中心驿站",
    ]
    assert venues[0] is not None and venues[0]["address"] == "星荷豪苑小区会所一楼"
    assert (venues[0]["location"]["latitude"], venues[0]["location"]["longitude"]) == (
        STATIONS["S-XHHY"]
    )
    assert len(messages) == 4


async def test_stations_asks_for_the_location_above_the_menu(org: Harness) -> None:
    alice = org.player("alice")
    await onboard(alice)
    await alice.command("/stations")
    assert "发送您的位置" in alice.last_text()
    assert alice.keyboard()[0] == "📍 发送我的位置"
    assert alice.keyboard()[1:] == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]
    await alice.send_location(*HOME)
    assert any("离您最近的服务驿站" in t for t in alice.texts()[-4:])


async def test_a_stations_page_from_its_poster(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The poster's link opens the page: hours, open now, functions, the activities coming up
    there, the service menu; someone new then chooses a language."""
    async with admin_world(tmp_path, {"zhang": (9701, "BY")}) as h:
        await publish(h, h.players["zhang"], start=datetime(2026, 11, 28, 10, 0, tzinfo=LOCAL))
        new = h.player("new")
        await new.command("/start s_S-XHHY")
        page, prompt = new.bot_messages()[-3], new.bot_messages()[-1]
        text = page.text or ""
        assert text.startswith("🏠 星荷豪苑先锋服务驿站")
        assert "城西街道 › 伴月社区 › 星荷豪苑" in text
        assert "🔴 现在关闭，周五 09:00 开放" in text
        assert "功能区：党员活动区、图书借阅、诉求反映" in text
        assert "🙌 读书分享会 · 2026-11-28 周六 10:00–12:00 · 已报名 0/3" in text
        assert "菜单式服务" in text and "以和为贵" in text
        assert [b["text"] for b in page.inline_buttons] == ["🙌 读书分享会", "🧭 服务菜单"]
        assert new.bot_messages()[-2].venue is not None
        assert "请选择语言" in (prompt.text or "")
        async with h.services.db.read() as tx:
            assert await tx.people.by_telegram(new.id) is not None  # /start stores them


# 2026's National Day holiday and its make-up working day (a Saturday), as [calendar] gives them.
CALENDAR = {"holidays": ["2026-10-01..2026-10-07"], "workdays": ["2026-10-10"]}


@pytest.mark.parametrize(
    ("when", "statuses"),
    [
        (
            datetime(2026, 10, 1, 10, 0, tzinfo=LOCAL),  # National Day, a Thursday morning
            [
                "🔴 节假日闭馆，10-08 周四 09:00 开放",
                "🔴 节假日闭馆，10-08 周四 08:30 开放",
                "🟢 正在开放，12:00 关门",  # the community centre stays open on holidays
            ],
        ),
        (
            datetime(2026, 10, 7, 20, 0, tzinfo=LOCAL),  # the holiday's last evening
            [
                "🔴 节假日闭馆，周四 09:00 开放",
                "🔴 节假日闭馆，周四 08:30 开放",
                "🔴 现在关闭，周四 08:30 开放",
            ],
        ),
        (
            datetime(2026, 10, 10, 15, 0, tzinfo=LOCAL),  # the make-up working day, Saturday
            [
                "🟢 正在开放，17:30 关门",  # its weekday hours, not Saturday's morning only
                "🟢 正在开放，18:00 关门",
                "🟢 正在开放，17:00 关门",  # its own Saturday: it keeps no calendar
            ],
        ),
    ],
)
async def test_stations_keep_the_working_calendar(
    tmp_path,
    when: datetime,
    statuses: list[str],  # type: ignore[no-untyped-def]
) -> None:
    h = Harness(tmp_path, calendar=CALENDAR)
    await h.start()
    try:
        await h.import_org()
        alice = h.player("alice")
        await onboard(alice)
        h.clock.set(when)
        await alice.send_location(*HOME)
        text = next(t for t in reversed(alice.texts()) if t.startswith("📍 离您最近的服务驿站"))
        assert [line for line in text.splitlines() if line[:1] in ("🟢", "🔴")] == statuses
        assert "（节假日照常开放）" in text  # the community centre's hours say so
    finally:
        await h.stop()
