"""吹哨报到 end to end, as the people do it in their chats: a difficult request whistled to
three departments. One signs in time; one signs late (reminded at 50% and 80%, escalated to
its head, then to the district); one returns it and the whistler re-routes it to a fourth. A
joint on-site meeting is proposed and confirmed; every department completes its part; the lead
resolves the request; the resident rates it; the departments' figures show exactly that."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from auxil.departments import join_pairing, person_actor
from auxil.harness import Harness, Player
from auxil.members import make_member
from auxil.whistles import blow_in_chat, difficult_request, orders_of, staff, tick, whistle_world
from openpyxl import load_workbook

from bot.errors import InvalidTransition
from bot.lifecycle import Status
from bot.models import Rating
from bot.models.stats import PeriodKind
from bot.suborders import SubOrderState

STAFF_NAMES = ("Cg", "Zj", "Pcs", "Ga", "Zjhead")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    async with whistle_world(tmp_path) as h:
        yield h


def texts_with(player: Player, part: str) -> list[str]:
    return [text for text in player.texts() if part in text]


async def test_a_whistle_to_three_departments_from_sign_for_to_rating(world: Harness) -> None:
    h = world
    people = staff(h)
    cg, zj, pcs, ga, zjhead = (people[n] for n in ("cg", "zj", "pcs", "ga", "zjhead"))
    community, district = h.player("community"), h.player("district")
    alice = h.player("alice")

    # 10:00 Thursday: 王阿姨 reports an illegal rooftop shed; the community whistles.
    request = await difficult_request(h, alice)
    assert "🔔 吹哨，召集部门" in community.buttons()  # on the community's card of it
    summary = await blow_in_chat(
        community,
        [("城管执法局", "依法拆除违建"), ("区住建局", "结构安全鉴定"), ("城西派出所", "维持秩序")],
        lead="城管执法局",
        note="业主多次投诉",
    )
    assert summary.splitlines()[2:] == [
        "• 城管执法局（主办）：依法拆除违建",
        "• 区住建局（协办）：结构安全鉴定",
        "• 城西派出所（协办）：维持秩序",
        "给各部门的说明：业主多次投诉",
        "☐ 不向部门提供居民姓名和电话。",
    ]
    assert community.texts()[-2] == (
        "📣 已吹哨：3 个部门收到派单（城管执法局、区住建局、城西派出所）。"
        "办理进展见下方“吹哨进展”。"
    )
    assert "⭐ 城管执法局（主办）：待签收 · 签收期限 2026-11-26 12:00" in community.texts()[-1]
    orders = await orders_of(h, request)
    assert [o.state for o in orders.values()] == [SubOrderState.SENT] * 3
    assert "社区已“吹哨”，城管执法局、区住建局、城西派出所将合力办理" in alice.last_text()
    card = cg.last_text()
    assert "🔔 吹哨报到：贵部门派单" in card and "请贵部门：依法拆除违建" in card
    assert "主办：城管执法局；协办：区住建局、城西派出所" in card
    assert "签收期限：2026-11-26 12:00" in card
    assert cg.buttons() == ["✅ 签收", "↩ 退单"]

    # 10:30 城管执法局 signs for it in time.
    await tick(h, minutes=30)
    await cg.press("✅ 签收")
    assert cg.last_answer() is not None and cg.last_answer()["text"] == "已签收。"
    assert "状态：已签收，办理中" in cg.last_text()
    assert "办理期限：2026-12-10 10:30" in cg.last_text()  # ten working days

    # 10:40 城西派出所 returns it; the whistler re-routes it to 公安分局, which signs.
    await tick(h, minutes=10)
    await pcs.press("↩ 退单")
    await pcs.press("其他原因")
    await pcs.send("秩序维护由公安分局治安大队统一安排")
    assert pcs.last_text() == "已退单，原因已告知吹哨单位。"
    returned = community.bot_messages()[-1]
    assert "↩ 城西派出所退单" in (returned.text or "")
    assert "原因：秩序维护由公安分局治安大队统一安排" in (returned.text or "")
    assert community.buttons(returned) == ["🔁 改派", "⚖ 提请区级裁定", "✖ 撤回此派单"]
    await community.press("🔁 改派")
    assert "公安分局" in community.buttons()
    await community.press("公安分局")
    assert community.last_text() == "已改派给公安分局。"
    assert "请贵部门：维持秩序" in ga.last_text()
    await ga.press("✅ 签收")

    # 区住建局 does not sign: reminded at 50% (11:00) and 80% (11:36) of its two working
    # hours, escalated to its head at 12:00 and to the district at 16:30 (two more working
    # hours, after the lunch break).
    await tick(h, minutes=20)  # 11:00
    assert len(texts_with(zj, "⏰ 催办：请尽快签收派单")) == 1
    await tick(h, minutes=36)  # 11:36
    assert len(texts_with(zj, "⏰ 催办：请尽快签收派单")) == 2
    assert texts_with(zjhead, "督办") == []
    await tick(h, minutes=24)  # 12:00
    assert len(texts_with(zjhead, "⚠ 督办：贵部门超时未签收此派单")) == 1
    assert zjhead.buttons() == ["✅ 签收", "↩ 退单"]  # the head may act on it
    assert texts_with(district, "区级督办") == []
    await tick(h, hours=4, minutes=29)  # 16:29
    assert texts_with(district, "区级督办") == []
    await tick(h, minutes=1)  # 16:30
    oversight = texts_with(district, "⚠ 区级督办：有部门超时未签收派单")
    assert len(oversight) == 1 and "派单 #2 · 区住建局（协办）" in oversight[0]
    await tick(h, minutes=5)  # 16:35
    await zj.press("✅ 签收")
    assert "状态：已签收，办理中" in zj.last_text()

    # The lead is on site; the resident hears it.
    await cg.press("📍 到达现场")
    await cg.send_location(23.0541, 112.4655)
    assert cg.last_text() == "已报告到场。"
    assert alice.last_text() == "🚩 DZ-2026-000001：城管执法局已到现场。"

    # The lead proposes a joint on-site meeting for tomorrow 10:30; the others confirm.
    await cg.press("🤝 联合现场会")
    assert "11-26 周四" in cg.buttons() and "11-28 周六" not in cg.buttons()
    await cg.press("11-27 周五")
    await cg.press("10:30")
    await cg.send("3栋楼下")
    await cg.press("📣 发出邀请")
    assert cg.last_text() == "邀请已发出，各方回复会显示在卡片上。"
    for party in (zj, ga, community):
        assert "🤝 联合现场会 · DZ-2026-000001" in party.last_text()
        assert "时间：2026-11-27 10:30" in party.last_text()
        await party.press("✅ 参加")
    confirmed = zj.bot_messages()[-1].text or ""
    assert "· 区住建局：✅ 参加" in confirmed and "· 伴月社区：✅ 参加" in confirmed
    assert "· 公安分局：✅ 参加" in confirmed

    # Friday: every department completes its part; the lead resolves; the resident rates.
    await tick(h, hours=18)
    for player, report in ((zj, "结构安全，无需加固"), (ga, "现场秩序良好"), (cg, "违建已拆除")):
        await player.press("✅ 本部门办理完成")
        await player.send(report)
        assert "本部门事项已办理完成，谢谢！" in player.texts()[-2:]
    assert "🏁 各部门均已办理完成。请主办部门答复居民、办结诉求。" in cg.last_text()
    await cg.press("🏁 答复居民，办理完成")
    await cg.send("楼顶铁皮房已依法拆除，恢复原状。")
    assert cg.last_text() == "诉求已办理完成，已请居民评价。"
    assert "说明：楼顶铁皮房已依法拆除，恢复原状。" in alice.last_text()
    await alice.press("满意")
    async with h.services.db.read() as tx:
        rated = await tx.requests.get(request.id)
    assert rated is not None and rated.status is Status.CLOSED
    credited = {code: o.rating for code, o in (await orders_of(h, request)).items()}
    assert credited == {
        "CGJ": Rating.SATISFIED,
        "ZJJ": Rating.SATISFIED,
        "PCS-CX": None,  # it returned the sub-order and did nothing
        "GAFJ": Rating.SATISFIED,
    }

    # The resident's timeline: plain steps, no staff's names.
    await alice.command("/my")
    await alice.press("DZ-2026-000001", exact=False)
    timeline = alice.last_text()
    for step in (
        "已“吹哨”：城管执法局、区住建局、城西派出所合力办理",
        "城管执法局已签收",
        "公安分局加入合力办理",
        "区住建局已签收",
        "城管执法局已到现场",
        "多部门将于 2026-11-27 10:30 到现场联合办理",
        "区住建局已办理完成",
        "办理完成（待评价） — 楼顶铁皮房已依法拆除，恢复原状。",
    ):
        assert step in timeline, step
    for name in STAFF_NAMES:
        assert not any(name in text for text in alice.texts()), name

    # The district's figures show exactly these facts.
    dz = await person_actor(h, district)
    async with h.services.db.read() as tx:
        unit = await tx.org.get_by_code("DZ")
    assert unit is not None
    figures = await h.services.whistle_stats.figures(
        dz, unit.id, h.services.stats.period(PeriodKind.MONTH)
    )
    assert figures is not None
    rows = {
        f.department.code: (
            f.sent,
            (f.sign_rate.numerator, f.sign_rate.denominator),
            (f.on_time_rate.numerator, f.on_time_rate.denominator),
            (f.satisfaction.numerator, f.satisfaction.denominator),
            (f.return_rate.numerator, f.return_rate.denominator),
        )
        for f in figures.ranking
    }
    assert rows == {
        "CGJ": (1, (1, 1), (1, 1), (1, 1), (0, 1)),
        "GAFJ": (1, (1, 1), (1, 1), (1, 1), (0, 1)),
        "ZJJ": (1, (0, 1), (1, 1), (1, 1), (0, 1)),
        "PCS-CX": (1, (0, 0), (0, 0), (0, 0), (1, 1)),
    }
    assert [f.department.code for f in figures.ranking] == ["GAFJ", "CGJ", "ZJJ", "PCS-CX"]
    medians = {f.department.code: f.median_sign for f in figures.ranking}
    assert medians["CGJ"] == timedelta(minutes=30)
    assert medians["ZJJ"] == timedelta(hours=4, minutes=5)  # 10:00-12:00, 14:30-16:35
    assert medians["PCS-CX"] is None
    assert (figures.totals.whistles, figures.totals.departments, figures.totals.resolved) == (
        1,
        4,
        1,
    )
    by_unit = {f.unit.code: (f.whistles, f.departments, f.resolved) for f in figures.by_unit}
    assert by_unit == {"CD": (0, 0, 0), "CX": (1, 4, 1)}

    # /stats of the district shows the ranking in words.
    await district.command("/stats")
    ranking = next(t for t in district.texts() if "🏛 端州区部门考评" in t)
    assert "吹哨 1 次 · 召集部门 4 个 · 解决难事 1 件" in ranking
    assert (
        "1. 公安分局 — 派单 1 件 · 签收率 100% · 按时办结率 100% · 满意率 100% · 退单率 0%"
        in ranking
    )
    assert "3. 区住建局 — 派单 1 件 · 签收率 0% · 按时办结率 100% · 满意率 100%" in ranking
    returned = "4. 城西派出所 — 派单 1 件 · 签收率 – · 按时办结率 – · 满意率 – · 退单率 100%"
    assert returned in ranking

    # The export's 部门考评 sheet holds the same figures, and the departments' chart came too.
    charts = [m for m in district.bot_messages() if m.photo and "🏛" in (m.text or "")]
    assert len(charts) == 1 and "🏛 端州区部门考评" in (charts[0].text or "")
    chart, _name = h.emulator.files[charts[0].photo[-1]["file_id"]]
    assert chart.startswith(b"\x89PNG")
    (h.tmp_path / "departments.png").write_bytes(chart)
    await district.command("/export")
    document = district.bot_messages()[-1]
    assert document.document is not None
    data, _name = h.emulator.files[document.document["file_id"]]
    sheet = load_workbook(io.BytesIO(data))["部门考评"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[3][:7] == ["排名", "部门", "派单数", "签收率", "按时办结率", "满意率", "退单率"]
    assert rows[6][:7] == [3, "区住建局", 1, 0.0, 1.0, 1.0, 0.0]
    assert rows[7][:7] == [4, "城西派出所", 1, None, None, None, 1.0]
    assert rows[6][7] == pytest.approx(4 + 5 / 60, abs=0.01)  # working hours to sign
    assert [r[:4] for r in rows[-3:]] == [
        ["城东街道", 0, 0, 0],
        ["城西街道", 1, 4, 1],
        ["端州区", 1, 4, 1],
    ]


async def test_a_whistled_request_is_not_handed_to_a_member_behind_the_departments(
    world: Harness,
) -> None:
    """Once departments have the request, the community's card offers no "assign a member" or
    "send to the members again" (departments are added on the whistle's card), and a forged
    press is refused: the sub-orders stay the departments'."""
    h = world
    community, alice, helper = h.player("community"), h.player("alice"), h.player("helper")
    await make_member(h, helper)
    request = await difficult_request(h, alice)
    card = community.last()
    await blow_in_chat(community, [("城管执法局", "依法拆除违建")])
    await h.settle()
    edited = next(m for m in community.bot_messages() if m.message_id == card.message_id)
    assert edited.edited and "DZ-" in (edited.text or "")
    assert "🔔 吹哨，召集部门" in community.buttons(edited)  # more departments, by the whistle
    assert not {"👤 指派党员", "👤 改派党员", "📣 重新派单"} & set(community.buttons(edited))

    helper_actor = await person_actor(h, helper)
    with pytest.raises(InvalidTransition):
        await h.services.dispatch.assign(
            await person_actor(h, community), request.id, helper_actor.id
        )
    async with h.services.db.read() as tx:
        still = await tx.requests.get(request.id)
    assert still is not None and still.status is Status.ACCEPTED and still.assignee_id is None
    assert not [m for m in helper.bot_messages() if request.number in (m.text or "")]
    assert [o.state for o in (await orders_of(h, request)).values()] == [SubOrderState.SENT]


async def test_a_first_secretary_follows_the_board_without_the_whistlers_buttons(
    world: Harness,
) -> None:
    """A first secretary who joins follows the board, kept up to date, but is offered none of
    the whistler's decisions (add departments, re-route): they would only be refused."""
    h = world
    community, alice, chen = h.player("community"), h.player("alice"), h.player("chen")
    cg = staff(h)["cg"]
    await join_pairing(h, chen, "BY", community)
    await difficult_request(h, alice)
    await blow_in_chat(community, [("城管执法局", "依法拆除违建")])
    await chen.press("🙋 参与合力办理")
    board = chen.last()
    assert "🔔 吹哨进展" in (board.text or "") and chen.buttons(board) == []
    assert "➕ 增派部门" in community.buttons()  # the whistler's board keeps them

    await cg.press("↩ 退单")
    await cg.press("其他原因")
    await cg.send("不属本局职责")
    refreshed = next(m for m in chen.bot_messages() if m.message_id == board.message_id)
    assert "已退单" in (refreshed.text or "") and chen.buttons(refreshed) == []
    await chen.command("/whistles")
    await chen.press("DZ-", exact=False)
    assert "🔔 吹哨进展" in chen.last_text() and chen.buttons() == []
    await community.command("/whistles")
    await community.press("DZ-", exact=False)
    assert {"🔁 改派（城管执法局退单）", "➕ 增派部门"} <= set(community.buttons())
