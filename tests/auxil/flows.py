"""Common flows as a person would do them, for tests that need them as a step."""

from __future__ import annotations

from auxil.harness import Harness, Player

__all__ = ["file_request", "onboard", "onboard_admin", "register"]


async def onboard(player: Player, compound: str = "XHHY", language: str = "中文") -> None:
    """A resident who scanned the compound's poster and picked a language."""
    await player.command(f"/start c_{compound}")
    await player.press(language)


async def onboard_admin(player: Player) -> None:
    """An administrator (granted by the config) who chose Chinese and no home compound."""
    await player.command("/start")
    await player.press("中文")
    await player.press("跳过：我只做管理工作")


async def register(h: Harness, player: Player, *, name: str = "王建国") -> None:
    """The whole of /join: name, no work unit, 星荷豪苑, phone, retired, two teams, skills,
    weekends and evenings, phone shown."""
    await onboard(player)
    await player.command("/join")
    assert "第 1 步" in player.last_text()
    await player.send(name)
    await player.press("无工作单位")
    await player.press("星荷豪苑")
    await player.share_contact("+8613600000001")
    await player.press("无职党员（离退休、待业）")
    await player.press("人民调解")
    await player.press("关爱老人")
    assert "✅ 人民调解" in player.buttons()
    await player.press("完成 ➡")
    await player.send("电工，会修水管")
    await player.press("工作日晚上")
    await player.press("周末")
    await player.press("完成 ➡")
    await player.press("是")


async def file_request(
    h: Harness,
    player: Player,
    *,
    category: str = "物业维修",
    description: str = "楼道灯坏了，晚上很黑",
    urgent: bool = False,
    photos: int = 0,
    address: str | None = None,
    phone: bool | str = False,
    anonymous: bool = False,
    confirm: bool = True,
) -> str:
    """Go through the whole intake in Chinese; return the request number (with
    ``confirm=False``, stop at the summary and return "")."""
    await player.tap("反映诉求")
    await player.press(category)
    if "不，我的问题不一样" in player.buttons():
        await player.press("不，我的问题不一样")
    await player.send(description)
    for n in range(photos):
        await player.send_photo(f"photo {n}".encode())
    await player.press("下一步 ➡" if photos else "不发照片，下一步 ➡")
    if address:
        await player.send(address)
    else:
        await player.tap("跳过")
    await player.press("是，很紧急" if urgent else "否")
    if isinstance(phone, str):
        await player.share_contact(phone)
    elif phone:
        await player.share_contact()
    else:
        await player.tap("跳过")
    if anonymous:
        await player.press("🙈 匿名：关")
    if not confirm:
        return ""
    await player.press("✅ 确认提交")
    text = player.last_text()
    marker = "诉求 " if "诉求 " in text else "意见建议 "
    return text.split(marker, 1)[1].split(" ", 1)[0]
