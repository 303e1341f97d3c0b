"""Seats filled by their links (one-time, expiring, audited, by an admin of the area only),
vacated, shown in /org and gridbot org show; /forget leaves a seat vacant and no trace."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from auxil.admins import admin_world
from auxil.flows import onboard
from auxil.parties import bind, fill_seat, issue_codes, seat_id

from bot.models import Role
from storage.dialect import contains_pattern

ADMINS = {"guo": (9001, "BY"), "other": (9002, "XH")}  # 伴月社区, 星湖社区


async def test_seat_links_are_one_time_expiring_and_for_the_area_admin_only(
    tmp_path: Path,
) -> None:
    async with admin_world(tmp_path, ADMINS) as h:
        guo, other = h.players["guo"], h.players["other"]
        hong, late = h.player("hong"), h.player("late")
        for person in (hong, late):
            await onboard(person)
        # The admin's menu leads to the compound's seats.
        await guo.command("/admin")
        await guo.press("🏛 四方席位")
        await guo.press("星荷豪苑")
        assert "星荷豪苑的四方席位" in guo.last_text()
        assert any(b.startswith("🔗 链接：🚩 书记 张红梅") for b in guo.buttons())
        # Another community's admin may not make its links (audited).
        await other.press_data(f"ps1:inv:{await seat_id(h, 'XHHY-BR-SEC')}")
        assert "只有本辖区的管理员" in str((other.last_answer() or {}).get("text"))
        async with h.services.db.read() as tx:
            assert len(await tx.audit.latest(action="seat.invite.refused")) == 1
        await fill_seat(h, guo, hong, "XHHY-BR-SEC")
        assert "您已就任星荷豪苑小区党支部 · 书记" in hong.last_text()
        assert "consult" in hong.commands() and "property" in hong.commands()
        # The link worked once; an old link stops when a new one is made; links expire.
        used = guo.last_text().rsplit("?start=", 1)[1].split()[0]
        await late.command(f"/start {used}")
        assert "邀请已失效" in late.last_text()
        await guo.press_data(f"ps1:inv:{await seat_id(h, 'XHHY-OC-DIR')}")
        first = guo.last_text().rsplit("?start=", 1)[1].split()[0]
        await guo.press_data(f"ps1:inv:{await seat_id(h, 'XHHY-OC-DIR')}")
        second = guo.last_text().rsplit("?start=", 1)[1].split()[0]
        await late.command(f"/start {first}")
        assert "邀请已失效" in late.last_text()
        h.clock.advance(timedelta(days=8))
        await late.command(f"/start {second}")
        assert "邀请已失效" in late.last_text()
        async with h.services.db.read() as tx:
            seat = await tx.parties.by_code("XHHY-OC-DIR")
            assert seat is not None and seat.person_id is None
            fills = await tx.audit.latest(action="seat.fill")
        assert len(fills) == 1 and fills[0].after is not None
        assert fills[0].after["invited_by"] is not None

        # Vacating: the holder is told, their menu loses the parties' commands.
        await guo.press_data(f"ps1:vac:{await seat_id(h, 'XHHY-BR-SEC')}")
        assert "确定把星荷豪苑由张红梅担任的小区党支部 · 书记设为空缺吗？" in guo.last_text()
        await guo.press("确定设为空缺")
        assert "社区已将您在星荷豪苑的小区党支部 · 书记席位设为空缺" in hong.last_text()
        assert "consult" not in hong.commands()
        async with h.services.db.read() as tx:
            seat = await tx.parties.by_code("XHHY-BR-SEC")
            person = await tx.people.by_telegram(hong.id)
            assert seat is not None and seat.vacant and person is not None
            assert Role.SEAT not in {g.role for g in await tx.people.grants(person.id)}


LIKE = " LIKE ? ESCAPE '\\'"


async def test_forget_vacates_the_seats_and_leaves_no_trace(tmp_path: Path) -> None:
    async with admin_world(tmp_path, {"guo": (9001, "BY")}) as h:
        guo, hong, chen = h.players["guo"], h.player("hong"), h.player("chen")
        for person in (hong, chen):
            await onboard(person)
        await fill_seat(h, guo, hong, "XHHY-BR-SEC")
        await fill_seat(h, guo, hong, "XHHY-OC-DIR")
        await fill_seat(h, guo, chen, "XHHY-PC-MGR")
        codes = await issue_codes(h)
        await bind(hong, codes["3-1-601"])
        await guo.press_data("cv1:new")
        await guo.press("星荷豪苑")  # 伴月社区 has two compounds
        await guo.press("✏ 议题")
        await guo.send("楼道堆物")
        await guo.press("✏ 背景、照片、文件")
        await guo.send("楼道堆满杂物")
        await guo.press("✅ 确认提交")
        await hong.press("💬 发言")
        await hong.send("张红梅建议本周清理，电话13812345678")
        assert "张红梅" in chen.last_text()

        await hong.command("/forget")
        await hong.press("是的，删除我的信息")
        async with h.services.db.read() as tx:
            for code in ("XHHY-BR-SEC", "XHHY-OC-DIR"):
                seat = await tx.parties.by_code(code)
                assert seat is not None and seat.vacant
            xhhy = await tx.org.get_by_code("XHHY")
            assert xhhy is not None
            assert all(x.owner_id is None for x in await tx.households.of_compound(xhhy.id))
            leftovers = []
            for table, column in await tx.privacy.text_columns():
                rows = await tx.fetchall(
                    f'SELECT "{column}" FROM "{table}" WHERE "{column}"' + LIKE,
                    (contains_pattern("张红梅", fold_case=False),),
                )
                leftovers += [f"{table}.{column}" for _ in rows]
            # The org file named her; the bot keeps no trace of her now.
            said = await tx.fetchval("SELECT text FROM consultation_messages")
        assert leftovers == [], leftovers
        # What she said stays (the consultation's record), without her name or any phone.
        assert said == "**建议本周清理，电话***"
