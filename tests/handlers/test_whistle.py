"""吹哨报到 end to end: a difficult request whistled to three departments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auxil.departments import department, join_department, person_actor
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player

from bot.models.whistle import Post, WhistleDraft, WhistlePart

THURSDAY_MORNING = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Zhaoqing
ADMINS = {
    "community": (9601, "BY"),  # 伴月社区
    "street": (9602, "CX"),  # 城西街道
    "district": (9603, "DZ"),  # 端州区
}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(
        tmp_path, admins=[{"telegram_id": tid, "unit": unit} for tid, unit in ADMINS.values()]
    )
    await h.start()
    try:
        await h.import_org()
        await h.restart()
        h.clock.set(THURSDAY_MORNING)
        for name, (tid, _unit) in ADMINS.items():
            admin = h.player(name, user_id=tid)
            await admin.command("/start")
            await admin.press("中文")
            await admin.press("跳过：我只做管理工作")
        yield h
    finally:
        await h.stop()


async def tick(h: Harness, **delta: float) -> None:
    h.clock.advance(timedelta(**delta))
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    await h.settle()


async def test_scratch(world: Harness) -> None:
    h = world
    district = h.player("district")
    cg, zj, pcs, ga, zjhead = (h.player(n) for n in ("cg", "zj", "pcs", "ga", "zjhead"))
    for player, code in ((cg, "CGJ"), (zj, "ZJJ"), (pcs, "PCS-CX"), (ga, "GAFJ")):
        await join_department(h, player, code, district)
        print(player.name, player.texts()[-3:])
    await join_department(h, zjhead, "ZJJ", district, Post.HEAD)
    alice = h.player("alice")
    await onboard(alice)
    number = await file_request(h, alice, category="违章搭建", description="3栋楼顶违章搭建铁皮房")
    print(number)
    admin = await person_actor(h, h.player("community"))
    async with h.services.db.read() as tx:
        req = await tx.requests.by_number(number)
    parts = [
        WhistlePart(department_id=(await department(h, "CGJ")).id, lead=True, ask="依法拆除"),
        WhistlePart(department_id=(await department(h, "ZJJ")).id, ask="结构安全鉴定"),
        WhistlePart(department_id=(await department(h, "PCS-CX")).id, ask="维持秩序"),
    ]
    whistle, orders = await h.services.whistles.blow(
        admin, WhistleDraft(request_id=req.id, parts=parts, note="业主多次投诉")
    )
    await h.settle()
    print(cg.texts()[-1])
    print(h.player("community").texts()[-1])
    print(alice.texts()[-1])

    # cg signs in time
    await tick(h, minutes=30)
    await cg.press("✅ Sign for it")
    print("CG after sign:", cg.last_text()[-200:], cg.buttons())
    # pcs returns
    await pcs.press("↩ Return it")
    print(pcs.last_text(), pcs.buttons())
    await pcs.press("Another reason")
    await pcs.send("治安秩序由社区网格员协调即可，不需派出所到场")
    print("PCS:", pcs.last_text())
    community = h.player("community")
    print("COMMUNITY:", community.texts()[-2:], community.buttons())
    await community.press("🔁 Re-route")
    print(community.last_text(), community.buttons())
    await community.press("公安分局")
    print(community.last_text())
    print("GA:", ga.last_text()[:300])
    await ga.press("✅ Sign for it")
    # ZJ late: reminders
    await tick(h, minutes=30)  # 11:00
    print("ZJ reminder:", zj.texts()[-1][:80])
    await tick(h, minutes=40)  # 11:40
    print("ZJ reminder2:", zj.texts()[-1][:80])
    await tick(h, minutes=25)  # 12:05
    print("ZJHEAD:", zjhead.texts()[-1][:120], zjhead.buttons())
    await tick(h, hours=4, minutes=30)  # 16:35
    print("DISTRICT:", district.texts()[-1][:160])
    await zj.press("✅ Sign for it")
    print("ZJ:", zj.last_answer())
    # meeting by the lead (service for now)
    cg_actor = await person_actor(h, cg)
    meets = h.clock.now() + timedelta(hours=18)
    await h.services.suborders.propose_meeting(cg_actor, orders[0].id, meets, "星荷豪苑3栋楼下")
    await h.settle()
    print("ZJ meeting:", zj.last_text(), zj.buttons())
    await zj.press("✅ We attend")
    await ga.press("✅ We attend")
    await h.player("community").press("✅ We attend")
    print("ZJ meeting after:", zj.last_text())
    # everybody completes
    for player in (zj, ga, cg):
        await player.press("✅ Our part is done")
        await player.send("已完成本部门工作：……")
        print(player.name, player.last_text())
    print("CG:", cg.texts()[-2:], cg.buttons())
    await cg.press("🏁 Resolve the request")
    await cg.send("违建已拆除，楼顶恢复原状。")
    print("CG resolve:", cg.last_text())
    print("ALICE:", alice.last_text(), alice.buttons())
    await alice.press("满意")
    await alice.command("/my")
    await alice.press(number, exact=False)
    print("ALICE MY:", alice.last_text())
    await district.command("/stats")
    for text in district.texts()[-6:]:
        print("STATS>", text[:1500])
    from bot.charts import department_chart
    from bot.models.stats import PeriodKind

    dz_actor = await person_actor(h, district)
    async with h.services.db.read() as tx:
        dz = await tx.org.get_by_code("DZ")
    figs = await h.services.whistle_stats.figures(
        dz_actor, dz.id, h.services.stats.period(PeriodKind.MONTH)
    )
    t = h.services.i18n.get("zh_CN")
    open("/tmp/i15scratch/dept.png", "wb").write(department_chart(figs, t, "zh_CN"))
    export = await h.services.stats.export(
        dz_actor, dz.id, h.services.stats.period(PeriodKind.MONTH)
    )
    from bot.export import workbook_bytes

    open("/tmp/i15scratch/export.xlsx", "wb").write(
        workbook_bytes(export, t, "zh_CN", h.config.tz)
    )
