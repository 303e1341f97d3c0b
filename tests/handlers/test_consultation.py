"""要事商议办 in the bot, whole: an elevator retrofit at 星荷豪苑 from the request to its rating.

Four seats take part — the community (its administrator), the branch secretary who is also the
owners' committee director (one person, two seats), and the property company's manager — with
a labelled discussion, a seat vote, an owners' vote of the 40 households of the registry (their
areas differ), the decision, its publication and an objection, two action items done, and the
request resolved and rated by its resident.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from auxil.admins import admin_world
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.parties import bind, fill_seat, households, issue_codes
from openpyxl import load_workbook

from bot.art278 import Choice
from bot.charts import stats_chart
from bot.errors import InvalidTransition
from bot.export import workbook_bytes
from bot.i18n import I18n
from bot.lifecycle import Status
from bot.models import Rating
from bot.models.consult import ActionState, ConsultationState
from bot.services.stats import custom_period
from bot.views.common import fmt_time

ADMIN = 9001
T = I18n().get("zh_CN")
ARTIFACTS = (
    Path(__file__).resolve().parents[2] / "artifacts"
)  # the admin of 伴月社区 (the community party organisation)


async def _unit(h: Harness, code: str) -> int:
    async with h.services.db.read() as tx:
        unit = await tx.org.get_by_code(code)
    assert unit is not None
    return unit.id


async def actor_of(h: Harness, player: Player):  # type: ignore[no-untyped-def]
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
    assert person is not None
    return await h.services.people.actor(person.id)


async def tick(h: Harness, **delta: float) -> None:
    h.clock.advance(timedelta(**delta))
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    await h.settle()


def said(player: Player, text: str) -> list[str]:
    return [m.text or "" for m in player.bot_messages() if text in (m.text or "")]


async def test_an_elevator_retrofit_from_request_to_rating(tmp_path: Path) -> None:
    async with admin_world(tmp_path, {"guo": (ADMIN, "BY")}) as h:
        guo = h.players["guo"]
        hong, chen, wang = h.player("hong"), h.player("chen"), h.player("wang")
        for person in (hong, chen, wang):
            await onboard(person)

        # Seats: the admin sends each holder their seat's link; 红 takes two seats.
        await fill_seat(h, guo, hong, "XHHY-BR-SEC")
        assert "您已就任星荷豪苑小区党支部 · 书记" in hong.last_text()
        await fill_seat(h, guo, hong, "XHHY-OC-DIR")
        assert "兼任小区党支部 · 书记" in hong.last_text()  # 交叉任职, shown
        await fill_seat(h, guo, chen, "XHHY-PC-MGR")
        await hong.command("/me")
        assert "星荷豪苑 小区党支部 · 书记" in hong.last_text()
        assert "星荷豪苑 业主委员会 · 主任" in hong.last_text()
        assert "交叉任职" in hong.last_text()
        assert hong.last_text().count("• 四方席位 — 星荷豪苑") == 1  # the role once, two seats
        await hong.command("/org")
        assert "主任：张红梅 🔗 兼任小区党支部 · 书记" in hong.last_text()

        # 40 owners bind their households with the codes the committee printed.
        codes = await issue_codes(h)
        registry = await households(h)
        assert len(registry) == 40 and len({x.area_centi for x in registry}) > 4
        owners: dict[str, Player] = {}
        for n, household in enumerate(registry):
            owner = h.player(f"owner{n}")
            await onboard(owner)
            await bind(owner, codes[household.label])
            owners[household.label] = owner

        # The request: 王 asks for an elevator; the community gets it with "consult".
        number = await file_request(h, wang, category="加装电梯", description="3栋想加装电梯")
        flag = guo.last()
        assert number in (flag.text or "") and "🏛 四方议事" in guo.buttons(flag)

        # Convene: the card starts with the request's description and every seat.
        await guo.press("🏛 四方议事")
        card = guo.last_text()
        assert "召集议事协商" in card and number in card and "3栋想加装电梯" in card
        assert "✅ 🚩 书记 张红梅" in guo.buttons() and "✅ 🛠 经理 陈志明" in guo.buttons()
        await guo.press("✅ 确认提交")
        invitation = hong.last_text()
        assert "邀请您参加议事协商" in invitation and "3栋想加装电梯" in invitation
        assert "小区党支部 · 书记 / 业主委员会 · 主任 张红梅" in invitation
        assert "社区党组织（伴月社区）" in invitation
        assert "邀请您参加议事协商" in chen.last_text()
        async with h.services.db.read() as tx:
            filed = await tx.requests.by_number(number)
            assert filed is not None and filed.status is Status.ACCEPTED
            [consultation] = await tx.consult.of_request(filed.id)
        assert "议事协商" in wang.last_text()  # the resident is told who has it

        # Discussion: what 红 says reaches the others, labelled with both seats.
        await hong.press("💬 发言")
        await hong.send("一楼业主担心采光，建议先开协调会")
        for other in (guo, chen):
            assert "💬 小区党支部 · 书记 / 业主委员会 · 主任 张红梅" in other.last_text()
            assert "一楼业主担心采光" in other.last_text()
        assert "已发给 2 位参会方" in hong.last_text()

        # A seat vote: one voice per person (红 votes once for both seats).
        await guo.press("🗳 提出方案")
        await guo.press("✏ 方案")
        await guo.send("同意3栋加装电梯，一楼业主给予补偿")
        await guo.press("✅ 确认提交")
        for voter in (hong, chen, guo):
            assert "🗳 方案" in voter.last_text()
            await voter.press("✅ 同意")
        await hong.press("✔ 同意")  # pressing again keeps one vote
        assert "已表决：3 方中 3 方" in guo.last_text()
        assert "同意 3 · 反对 0 · 弃权 0" in guo.last_text()

        # The owners' vote: an elevator is a major matter (3/4 of area and owners).
        await guo.press_data(f"vo1:new:{consultation.id}")
        await guo.press("✏ 事项")
        await guo.send("是否同意3栋加装电梯？")
        await guo.press("改建、重建建筑物及其附属设施（如加装电梯）")
        assert "40 户" in guo.last_text()
        await guo.press("✅ 确认提交")
        assert "业主表决计票" in guo.last_text()
        labels = sorted(owners)
        # 34 households vote: 30 agree (one of them changed their mind), 4 disagree; 6 do not.
        for n, label in enumerate(labels[:34]):
            owner = owners[label]
            assert "🏠 " in owner.last_text() and label in owner.last_text()
            await owner.press("反对" if n in (0, 1, 2, 3, 4) else "同意")
        await owners[labels[0]].press("同意")  # changes until the close
        assert "已修改" in (owners[labels[0]].last_answer() or {}).get("text", "")
        async with h.services.db.read() as tx:
            ballots = await tx.households.ballots(1)
        assert len(ballots) == 34
        assert sum(b.choice is Choice.AGREE for b in ballots) == 30

        await guo.press("🔄 刷新")
        tally = guo.last_text()
        assert "户数：40 户中 34 户已投票——同意 30，反对 4，弃权 0" in tally
        assert "参与表决的业主人数：34/40 = 85.00%（须 ≥ 2/3）✅" in tally
        assert "同意的人数占参与表决人数：30/34 = 88.24%（须 ≥ 3/4）✅" in tally
        assert "尚未投票（6 户）" in tally
        await tick(h, days=15)  # the vote closes
        result = owners[labels[10]].last_text()
        assert "业主表决结果" in result and "✅ 通过" in result
        for line in (
            "参与表决的专有部分面积：3362.43/3978.28 m² = 84.52%（须 ≥ 2/3）✅",
            "参与表决的业主人数：34/40 = 85.00%（须 ≥ 2/3）✅",
            "同意的面积占参与表决面积：2972.45/3362.43 m² = 88.40%（须 ≥ 3/4）✅",
            "同意的人数占参与表决人数：30/34 = 88.24%（须 ≥ 3/4）✅",
        ):
            assert line in result, line
        assert "您的房屋" in result  # their own choice, to them only
        assert "业主表决结果" in guo.last_text()

        # The decision, its publication, and an objection.
        await guo.press_data(f"cs1:o:{consultation.id}")
        await guo.press("📝 形成决议")
        await guo.send("3栋加装电梯，一楼业主每户补偿3000元，物业负责施工协调")
        assert "决议已记录" in guo.last_text()
        await guo.press("📢 公示决议")
        objector = owners[labels[1]]
        notice = objector.last_text()
        assert "决议公示" in notice and "一楼业主每户补偿3000元" in notice
        assert "业主表决" in notice
        await objector.press("✋ 提出异议")
        await objector.send("补偿标准太低")
        assert "异议已记录" in objector.last_text()
        assert "补偿标准太低" in hong.last_text()  # the branch reads it
        assert "补偿标准太低" in guo.last_text()

        # Two action items: the property company and the owners' committee.
        await guo.press_data(f"ai1:new:{consultation.id}")
        await guo.press("✏ 要做的事")
        await guo.send("联系电梯厂家，报施工方案")
        await guo.press("🛠 物业公司")
        await guo.press("✅ 确认提交")
        assert "联系电梯厂家" in chen.last_text() and "✅ 办理完成" in chen.buttons()
        await guo.press_data(f"ai1:new:{consultation.id}")
        await guo.press("✏ 要做的事")
        await guo.send("发放一楼补偿")
        await guo.press("🏘 业主委员会")
        await guo.press("✅ 确认提交")
        await chen.press("✅ 办理完成")
        await hong.press("✅ 办理完成")
        async with h.services.db.read() as tx:
            items = await tx.consult.items(consultation.id)
            assert all(i.state is ActionState.DONE for i in items) and len(items) == 2
            still = await tx.consult.get(consultation.id)
            assert still is not None and still.state is ConsultationState.PUBLISHED

        # The window ends: done, and the request resolved for its resident to rate.
        await tick(h, days=8)
        async with h.services.db.read() as tx:
            done = await tx.consult.get(consultation.id)
            resolved = await tx.requests.by_number(number)
        assert done is not None and done.state is ConsultationState.DONE
        assert resolved is not None and resolved.status is Status.RESOLVED
        assert "决议已落实" in wang.last_text() and "满意" in wang.buttons()
        await wang.press("满意")
        async with h.services.db.read() as tx:
            closed = await tx.requests.by_number(number)
        assert closed is not None and closed.status is Status.CLOSED
        assert closed.rating is Rating.SATISFIED
        assert said(guo, "已办结：决议已落实")

        # The figures: /stats of the community and its Excel export.
        await guo.command("/stats 2026-11-01 2026-12-31")
        stats = next(t for t in guo.texts() if "要事商议办" in t)
        # Taken into the consultation at once: responded in time, though never offered.
        assert "响应率：100%（已派单 1 件中 1 件按时接单" in stats
        for part in (
            "召开议事协商：1 次 · 形成决议：1 项",
            "业主表决：1 次（通过 1 次）· 参与率：按人数 85%，按面积 84.5%",
            "落实事项按时完成率：100%（2 项中按时完成 2 项）",
        ):
            assert part in stats, part
        export = await h.services.stats.export(
            await actor_of(h, guo),
            await _unit(h, "BY"),
            custom_period(date(2026, 11, 1), date(2026, 12, 31)),
        )
        assert export.stats.consult is not None
        [row] = export.stats.consult.rows
        assert (row.consultation.title, row.items, row.items_done, row.objections) == (
            f"加装电梯 {number}",
            2,
            2,
            1,
        )
        book = load_workbook(io.BytesIO(workbook_bytes(export, T, "zh_CN", h.config.tz)))
        assert book.sheetnames == ["诉求", "统计", "服务队", "议事协商"]
        sheet = book["议事协商"]
        assert sheet["A2"].value == "召开议事协商" and sheet["B2"].value == 1
        assert [c.value for c in sheet[12]][:3] == [f"加装电梯 {number}", "星荷豪苑", "已办结"]
        png = stats_chart(export.stats, T, "zh_CN")
        assert png.startswith(b"\x89PNG")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "stats-with-consultations.png").write_bytes(png)


async def test_the_chairs_cards_take_typed_fields_files_options_and_days(tmp_path: Path) -> None:
    """The chair's cards on the flow scaffold: a field typed next (or back to the card), photos
    and files for the background, options checked, the days offered by the card, cancel, an
    older card expired, and two cards open at once each taking its own answers."""
    async with admin_world(tmp_path, {"guo": (ADMIN, "BY")}) as h:
        guo = h.players["guo"]
        wang = h.player("wang")
        await onboard(wang)
        number = await file_request(h, wang, category="加装电梯", description="3栋")
        assert number in guo.last_text()
        await guo.press("🏛 四方议事")
        old = guo.last()
        confirm = {b["text"]: b["callback_data"] for b in old.inline_buttons}["✅ 确认提交"]
        await guo.press("✏ 议题")
        assert "输入议题" in guo.last_text()
        await guo.press("« 返回卡片")  # changed their mind: the card again, the topic as it was
        assert f"议题：加装电梯 {number}" in guo.last_text()
        await guo.press("✏ 背景、照片、文件")
        await guo.send_photo(caption="楼道照片")
        assert "已添加（共 1 个）" in guo.last_text()
        await guo.send_photo()
        assert "已添加（共 2 个）" in guo.last_text()
        await guo.harness.process(
            h.emulator.user_message(guo.id, document=("方案.pdf", b"%PDF-1.4 plan"))
        )
        assert "已添加（共 3 个）" in guo.last_text()
        await guo.send_location(23.1, 113.3)  # not an answer here: the step asks again
        assert "输入事情的背景" in guo.last_text()
        await guo.send("3栋业主联名申请加装电梯")
        card = guo.last_text()
        assert "照片和文件：3 个" in card and "3栋业主联名申请加装电梯" in card
        await guo.press("14 天")
        assert "14 天后截止。" in guo.last_text()
        await guo.press("✖ 取消")
        assert "已取消，没有保存。" in guo.last_text()
        await guo.press_data(confirm, old.message_id)
        assert "此菜单已过期" in (guo.last_answer() or {})["text"]
        await guo.press("🏛 四方议事")  # a new form: the old card's buttons stay expired
        await guo.press_data(confirm, old.message_id)
        assert "此菜单已过期" in (guo.last_answer() or {})["text"]
        async with h.services.db.read() as tx:
            filed = await tx.requests.by_number(number)
            assert filed is not None
            assert await tx.consult.of_request(filed.id) == []

        await guo.press("✅ 确认提交")
        async with h.services.db.read() as tx:
            [consultation] = await tx.consult.of_request(filed.id)
        await guo.press("🗳 提出方案")
        await guo.press("✏ 方案")
        await guo.send("加装电梯的位置")
        await guo.press("✏ 选项")
        await guo.send("北侧")
        assert "请给出 2 至 4 个选项" in guo.last_text()
        await guo.send("北侧\n南侧")
        card = guo.last_text()
        assert "选项（逐项表决）：" in card and "1. 北侧" in card and "2. 南侧" in card
        await guo.press("3 天")
        assert "3 天后截止表决。" in guo.last_text()
        await guo.press("随议事截止")
        assert "随议事协商一同截止表决。" in guo.last_text()

        # The proposal's card is left open; a new consultation's card takes the next answer.
        await guo.press_data("cv1:new")
        await guo.press("星荷豪苑")  # 伴月社区 has two compounds
        await guo.press("✏ 议题")
        await guo.send("楼道堆物")
        assert "议题：楼道堆物" in guo.last_text()
        proposal = next(m for m in reversed(guo.bot_messages()) if "提出方案" in (m.text or ""))
        assert "加装电梯的位置" in (proposal.text or "")  # untouched
        await guo.press("✏ 选项")  # back on the proposal's card: it takes the next answer
        await guo.send("东侧\n西侧")
        assert "1. 东侧" in guo.last_text()
        await guo.command("/cancel")  # the card answered last: the proposal
        assert "已取消，没有保存。" in guo.last_text()
        async with h.services.db.read() as tx:
            assert await tx.consult.proposals(consultation.id) == []
        await guo.press("✏ 背景、照片、文件")  # the new consultation's card is still open
        await guo.send("楼道堆满杂物")
        await guo.press("✅ 确认提交")
        assert "楼道堆物" in guo.last_text() and "议事协商" in guo.last_text()
        async with h.services.db.read() as tx:
            second = await tx.consult.get(consultation.id + 1)
        assert second is not None and second.title == "楼道堆物"
        assert second.background == "楼道堆满杂物" and second.request_id is None


async def test_cancelling_a_consultation_cancels_its_owners_vote(tmp_path: Path) -> None:
    """The chair cancels with a reason: the participants and the owners are told, the owners'
    vote takes no more ballots, the request is the community's again, and the log says it."""
    async with admin_world(tmp_path, {"guo": (ADMIN, "BY"), "street": (9002, "CX")}) as h:
        guo = h.players["guo"]
        hong, wang, owner = h.player("hong"), h.player("wang"), h.player("owner")
        for person in (hong, wang, owner):
            await onboard(person)
        await fill_seat(h, guo, hong, "XHHY-OC-DIR")
        codes = await issue_codes(h)
        [household, *_] = await households(h)
        await bind(owner, codes[household.label])
        number = await file_request(h, wang, category="加装电梯", description="3栋想加装电梯")
        await guo.press("🏛 四方议事")
        await guo.press("✅ 确认提交")
        async with h.services.db.read() as tx:
            filed = await tx.requests.by_number(number)
            assert filed is not None
            [consultation] = await tx.consult.of_request(filed.id)
        await guo.press_data(f"vo1:new:{consultation.id}")
        await guo.press("✏ 事项")
        await guo.send("是否同意加装电梯？")
        await guo.press("✅ 确认提交")
        await owner.press("同意")

        # While the parties settle it, no member is handed the request behind their backs.
        await guo.press_data(f"as1:r:{filed.id}")
        assert "议事协商办理" in (guo.last_answer() or {}).get("text", "")
        with pytest.raises(InvalidTransition):
            await h.services.dispatch.candidates(await actor_of(h, guo), filed.id)

        await guo.press_data(f"cs1:o:{consultation.id}")
        await guo.press("✖ 取消议事")
        await guo.send("街道统一安排，本次暂缓")
        assert "议事协商已取消，已通知各参会方。" in guo.last_text()
        assert "已取消：街道统一安排，本次暂缓" in hong.last_text()
        assert "业主表决“是否同意加装电梯？”已随议事协商一并取消" in owner.last_text()
        await owner.press("反对")
        assert "已截止" in (owner.last_answer() or {})["text"]
        async with h.services.db.read() as tx:
            [vote] = await tx.households.votes_of(consultation.id)
            assert vote.state.value == "cancelled"
            cancelled = await tx.consult.get(consultation.id)
            assert cancelled is not None and cancelled.state is ConsultationState.CANCELLED
            again = await tx.requests.by_number(number)
            assert again is not None and again.status is Status.ACCEPTED
        await h.services.dispatch.candidates(await actor_of(h, guo), filed.id)  # the community's
        await tick(h, days=20)  # the vote's close passes: nothing is counted or told
        assert "业主表决结果" not in owner.last_text()
        await h.players["street"].command("/audit")  # the street's administrator reads it
        log = h.players["street"].last_text()
        assert f"取消议事协商 · 议事协商 #{consultation.id}" in log
        assert f"取消业主表决 · 业主表决 #{vote.id}" in log


async def test_a_chairs_card_left_idle_is_set_aside_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    """A card is a guided flow like any other: kept across a restart, set aside when idle
    (with its own words), its buttons expired afterwards."""
    async with admin_world(tmp_path, {"guo": (ADMIN, "BY")}) as h:
        guo = h.players["guo"]
        await guo.press_data("cv1:new")
        await guo.press("星荷豪苑")
        await guo.press("✏ 议题")
        await h.restart()
        await guo.send("楼道堆物")  # taken by the card's step after the restart
        assert "议题：楼道堆物" in guo.last_text()
        card = guo.last()
        h.clock.advance(timedelta(minutes=31))
        assert h.services.sweeper is not None
        assert await h.services.sweeper.expire_idle_drafts() == 1
        await h.settle()
        assert "您召集议事协商已有 30 分钟没有继续操作，卡片已暂时搁置" in guo.last_text()
        days = {b["text"]: b["callback_data"] for b in card.inline_buttons}["14 天"]
        await guo.press_data(days, card.message_id)
        assert "此菜单已过期" in (guo.last_answer() or {})["text"]
        async with h.services.db.read() as tx:
            assert await tx.fetchval("SELECT count(*) FROM consultations") == 0


async def test_paper_ballots_are_typed_one_after_another(tmp_path: Path) -> None:
    """The committee's paper ballots: a guided flow that takes one ballot after another (a
    wrong one is explained and nothing is lost), a household's second ballot replaces its
    first, and "That is all" ends it."""
    async with admin_world(tmp_path, {"guo": (ADMIN, "BY")}) as h:
        guo = h.players["guo"]
        await guo.press_data("cv1:new")
        await guo.press("星荷豪苑")
        await guo.press("✏ 议题")
        await guo.send("楼道改造")
        await guo.press("✏ 背景、照片、文件")
        await guo.send("楼道灯和扶手老化")
        await guo.press("✅ 确认提交")
        async with h.services.db.read() as tx:
            consultation = await tx.consult.get(1)
        assert consultation is not None
        await guo.press_data(f"vo1:new:{consultation.id}")
        await guo.press("✏ 事项")
        await guo.send("是否同意改造楼道？")
        await guo.press("✅ 确认提交")
        first, second = [x.label for x in (await households(h))[:2]]

        await guo.press("📝 录入书面表决票")
        assert "3-1-502" in guo.last_text()  # the example of the prompt
        await guo.send(f"{first} 同意")
        assert f"已录入书面表决票：{first}" in guo.last_text()
        await guo.send("9-9-999 同意")
        assert "没有 9-9-999 这一户" in guo.last_text()
        await guo.send(f"{second}")
        assert "请写明房号和表决意见" in guo.last_text()
        await guo.send(f"{second} 反对")
        await guo.send(f"{first} 弃权")
        assert "已替换该户此前的表决票" in guo.last_text()
        await guo.press("✅ 录入完毕")
        assert "共录入 3 张书面表决票" in guo.last_text()
        await guo.send(f"{second} 同意")  # the flow is over: not taken as a ballot
        async with h.services.db.read() as tx:
            ballots = await tx.households.ballots(1)
        assert sorted((b.choice.value, b.channel) for b in ballots) == [
            ("abstain", "paper"),
            ("disagree", "paper"),
        ]


async def test_no_decision_while_the_owners_vote_is_open(tmp_path: Path) -> None:
    """An owners' vote still taking ballots cannot be overtaken by a decision: the chair is told
    when it closes (before typing anything), nothing is published, and once it has closed the
    decision is recorded with its result."""
    async with admin_world(tmp_path, {"guo": (ADMIN, "BY")}) as h:
        guo = h.players["guo"]
        await guo.press_data("cv1:new")
        await guo.press("星荷豪苑")
        await guo.press("✏ 议题")
        await guo.send("3栋加装电梯")
        await guo.press("✏ 背景、照片、文件")
        await guo.send("顶楼老人上下楼难")
        await guo.press("✅ 确认提交")
        await guo.press_data("vo1:new:1")
        await guo.press("✏ 事项")
        await guo.send("是否同意加装电梯？")
        await guo.press("✅ 确认提交")
        async with h.services.db.read() as tx:
            [vote] = await tx.households.votes_of(1)
        closes = fmt_time(vote.closes_at, h.config.tz)

        await guo.press_data("cs1:o:1")
        await guo.press("📝 形成决议")
        answer = (guo.last_answer() or {}).get("text", "")
        assert f"业主表决还在进行，{closes} 截止" in answer, answer
        assert "请输入" not in guo.last_text()
        await guo.send("同意加装电梯")  # not taken as a decision
        with pytest.raises(InvalidTransition):
            await h.services.decisions.decide(await actor_of(h, guo), 1, "同意加装电梯")
        async with h.services.db.read() as tx:
            still = await tx.consult.get(1)
        assert still is not None and still.state is ConsultationState.OPEN

        await tick(h, days=15)  # the vote closes
        await guo.press_data("cs1:o:1")
        await guo.press("📝 形成决议")
        await guo.send("同意加装电梯")
        assert "决议已记录" in guo.last_text()
