"""志愿服务活动 played through the bot: invitations, sign-up with a waiting list that moves up,
reminders the day and the hour before (quiet hours kept), check-in by roll call, code and
location, and hours and points for those who came only."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from auxil.activities import LOCAL, actor_of, publish, sweep_at
from auxil.admins import admin_world
from auxil.flows import onboard
from auxil.harness import Harness, Player
from auxil.members import make_member
from auxil.traces import traces_left

from bot import cbdata
from bot.checkin import code_at
from bot.geo import haversine_m
from bot.models.activities import Activity, SignupState
from bot.models.points import PointsKind

# Saturday 28 November 2026, 10:00-12:00 in Zhaoqing; the harness starts on Thursday 19:00.
START = datetime(2026, 11, 28, 10, 0, tzinfo=LOCAL)
XHHY_STATION = (23.0531, 112.4578)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    """The demo org, 张书记 administering 伴月社区, five residents of 星荷豪苑."""
    async with admin_world(tmp_path, {"zhang": (9701, "BY")}) as h:
        for name in ("r1", "r2", "r3", "r4", "r5"):
            await onboard(h.player(name))
        yield h


def invitation(player: Player) -> str:
    return next(m.text or "" for m in player.bot_messages() if "邀请您参加" in (m.text or ""))


async def signups(h: Harness, activity: Activity) -> dict[int, SignupState]:
    async with h.services.db.read() as tx:
        rows = await tx.activities.signups(activity.id, tuple(SignupState))
        found = [await tx.people.get(r.person_id) for r in rows]
        people = {p.id: p.telegram_id for p in found if p is not None}
    return {people[r.person_id]: r.state for r in rows}


async def test_capacity_three_five_sign_ups_and_the_waiting_list_moves_up(world: Harness) -> None:
    h = world
    zhang = h.players["zhang"]
    activity = await publish(h, zhang, start=START, capacity=3)
    r1, r2, r3, r4, r5 = (h.players[f"r{n}"] for n in range(1, 6))
    # Every resident of 伴月社区 was invited, not the organiser.
    for player in (r1, r2, r3, r4, r5):
        text = invitation(player)
        assert "读书分享会" in text and "2026-11-28 周六 10:00–12:00" in text
        assert "星荷豪苑先锋服务驿站（星荷豪苑小区会所一楼）" in text
        assert "名额：0/3" in text
        assert player.buttons() == ["✅ 报名"]
    assert not any("邀请您参加" in t for t in zhang.texts())
    assert activity.invited == 5

    for player in (r1, r2, r3):
        await player.press("✅ 报名")
        assert "✅ 您已报名。" in player.last_text()
        assert player.buttons() == ["📍 签到", "✖ 取消报名"]
    assert "名额：3/3（已满）" in r3.last_text()
    # The others' invitations still say Sign up; pressing it now joins the waiting list.
    await r4.press("✅ 报名")
    assert "⏳ 您是候补第 1 位。" in r4.last_text()
    assert r4.buttons() == ["✖ 取消候补"]
    await r5.press("✅ 报名")
    assert "⏳ 您是候补第 2 位。" in r5.last_text()
    assert "候补 2 人" in r5.last_text()
    await r5.press_data(cbdata.encode("ac", "s", activity.id))  # pressed again: no change
    assert "⏳ 您是候补第 2 位。" in r5.last_text()
    assert (await signups(h, activity))[r5.id] is SignupState.WAITING

    before = len(r4.bot_messages())
    await r2.press("✖ 取消报名")
    assert r2.last_answer() is not None and r2.last_answer()["text"] == "已取消报名。"
    assert r2.buttons() == ["⏳ 已满，排队候补"]  # r4 took the place at once
    # The first on the waiting list moves up and is told; the second stays, now first.
    assert len(r4.bot_messages()) == before + 1
    assert "🎉 有人退出，您已从候补转为正式报名" in r4.last_text()
    assert "✅ 您已报名。" in r4.last_text()
    states = await signups(h, activity)
    assert states == {
        r1.id: SignupState.SIGNED,
        r2.id: SignupState.CANCELLED,
        r3.id: SignupState.SIGNED,
        r4.id: SignupState.SIGNED,
        r5.id: SignupState.WAITING,
    }
    await r5.press("✖ 取消候补")
    assert (await signups(h, activity))[r5.id] is SignupState.CANCELLED
    async with h.services.db.read() as tx:
        moved = await tx.audit.latest(action="activity.moved_up")
    assert len(moved) == 1


async def test_reminders_the_day_and_the_hour_before(world: Harness) -> None:
    h = world
    activity = await publish(h, h.players["zhang"], start=START)
    r1, r2 = h.players["r1"], h.players["r2"]
    await r1.press("✅ 报名")
    count = len(r1.bot_messages())
    await sweep_at(h, START - timedelta(days=1, minutes=1))
    assert len(r1.bot_messages()) == count
    await sweep_at(h, START - timedelta(days=1))
    assert "⏰ 明天：您报名的志愿活动" in r1.last_text()
    assert "读书分享会" in r1.last_text()
    await sweep_at(h, START - timedelta(hours=1))
    assert "⏰ 马上开始：您报名的志愿活动" in r1.last_text()
    assert len(r1.bot_messages()) == count + 2
    # Only those signed up are reminded; once each.
    assert not any("⏰" in t for t in r2.texts())
    await sweep_at(h, START - timedelta(minutes=30))
    assert len(r1.bot_messages()) == count + 2
    async with h.services.db.read() as tx:
        pending = await tx.deadlines.pending_for_activity(activity.id)
    assert [item.kind for item in pending] == ["activity_close"]  # no reminder left


async def test_a_reminder_in_quiet_hours_waits_for_their_end(world: Harness) -> None:
    """Starting 07:30: the hour-before reminder falls at 06:30, in quiet hours (22:00-07:00),
    and arrives at 07:00 instead, before the start."""
    h = world
    early = datetime(2026, 11, 28, 7, 30, tzinfo=LOCAL)
    await publish(h, h.players["zhang"], start=early, title="晨练")
    r1 = h.players["r1"]
    await r1.press("✅ 报名")
    await sweep_at(h, early - timedelta(days=1))
    assert "⏰ 明天" in r1.last_text()
    count = len(r1.bot_messages())
    await sweep_at(h, early - timedelta(hours=1))
    assert len(r1.bot_messages()) == count
    await sweep_at(h, datetime(2026, 11, 28, 7, 0, tzinfo=LOCAL))
    assert "⏰ 马上开始" in r1.last_text()
    assert len(r1.bot_messages()) == count + 1


async def code_from(player: Player) -> str:
    text = player.last_text()
    match = re.search(r"(\d{3}) (\d{3})", text)
    assert match is not None, text
    return match.group(1) + match.group(2)


async def test_check_in_by_each_of_the_three_ways(world: Harness) -> None:
    h = world
    zhang = h.players["zhang"]
    activity = await publish(h, zhang, start=START, capacity=5)
    r1, r2, r3, r4 = (h.players[f"r{n}"] for n in range(1, 5))
    for player in (r1, r2, r3, r4):
        await player.press("✅ 报名")

    # Too early: check-in opens half an hour before the start.
    h.clock.set(START - timedelta(hours=1))
    await r1.command("/checkin 123456")
    assert r1.last_text() == "您现在没有需要签到的活动。"

    h.clock.set(START + timedelta(minutes=5))
    actor = await actor_of(h, zhang)
    _joinable, running = await h.services.activities.upcoming(actor)
    assert [v.activity.id for v in running] == [activity.id]
    await zhang.command("/activities")
    await zhang.press("🧑\u200d💼 读书分享会")
    assert zhang.buttons() == ["📋 点名", "🔢 签到码", "🏁 结束活动", "✖ 取消活动"]

    # 1. The organiser's roll call.
    await zhang.press("📋 点名")
    assert "已到 0 人，共 4 人。" in zhang.last_text()
    await zhang.press("⬜ R1")
    assert "已到 1 人，共 4 人。" in zhang.last_text()
    assert "✔ R1（点名）" in zhang.last_text()

    # 2. The code on the organiser's phone: this minute's works, a wrong one does not, and
    # one two minutes old has expired.
    await zhang.press("🔢 签到码")
    code = await code_from(zhang)
    assert code == code_at(activity.secret, activity.id, h.clock.now())
    await r2.press("📍 签到")
    assert "请发送组织者手机上显示的 6 位签到码" in r2.last_text()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    await r2.send(wrong)
    assert r2.last_text() == "签到码不对或已过期，请再看一下组织者手机上的签到码。"
    h.clock.advance(minutes=2)
    await r2.send(code)
    assert r2.last_text() == "签到码不对或已过期，请再看一下组织者手机上的签到码。"
    await zhang.press("🔄 换一个签到码")
    fresh = await code_from(zhang)
    h.clock.advance(seconds=50)  # the next minute: the code just shown still works
    await r2.send(f"{fresh[:3]} {fresh[3:]}")  # typed as shown, with the space
    assert r2.last_text() == "✔ 已签到：“读书分享会”（签到码）。欢迎！"
    async with h.services.db.read() as tx:
        refusals = await tx.audit.latest(action="activity.checkin.refused")
    assert len(refusals) == 2

    # 3. A location within 300 m of the venue, during the activity; far away it is refused.
    far = round(haversine_m(23.0600, 112.4700, *XHHY_STATION))
    assert 1400 < far < 1500
    await r3.send_location(23.0600, 112.4700)
    assert r3.last_text() == (  # far in kilometres, as a person reads it
        f"您离活动地点约 {far / 1000:.1f} 公里，位置签到需要在 300 米以内。"
        "请走近一些，或向组织者要签到码。"
    )
    await r3.send_location(XHHY_STATION[0] + 0.001, XHHY_STATION[1])  # about 110 m north
    assert r3.last_text() == "✔ 已签到：“读书分享会”（位置）。欢迎！"

    await zhang.press("🔄 刷新")
    roll = next(m.text or "" for m in zhang.bot_messages() if "📋 点名：" in (m.text or ""))
    assert "已到 3 人，共 4 人。" in roll
    methods = {line for line in roll.splitlines() if line.startswith("✔")}
    assert methods == {"✔ R1（点名）", "✔ R2（签到码）", "✔ R3（位置）"}


async def test_hours_and_points_only_for_those_who_came(world: Harness) -> None:
    h = world
    zhang = h.players["zhang"]
    activity = await publish(h, zhang, start=START, capacity=5, minutes=150)
    r1, r2, r3 = (h.players[f"r{n}"] for n in range(1, 4))
    for player in (r1, r2, r3):
        await player.press("✅ 报名")
    h.clock.set(START + timedelta(minutes=10))
    await r1.send_location(*XHHY_STATION)
    await r2.send_location(*XHHY_STATION)
    count = len(r3.bot_messages())
    # The organiser does not end it: the sweep closes it half an hour after its end.
    await sweep_at(h, START + timedelta(minutes=150 + 30))
    for player in (r1, r2):
        thanks = "🙏 感谢您参加“读书分享会”！已为您记录志愿时长 2.5小时、积分 25 分。"
        assert thanks in player.last_text()
        assert player.buttons() == ["👍 很好", "🙂 还可以", "👎 不太好"]
    assert len(r3.bot_messages()) == count
    summary = "🏁 “读书分享会”已结束：报名 3 人，实到 2 人，每人计志愿时长 2.5小时。"
    assert summary in zhang.last_text()
    await r1.press("👍 很好")
    assert r1.last_text() == "谢谢您的评价：👍 很好"
    async with h.services.db.read() as tx:
        people = {p: await tx.people.by_telegram(p.id) for p in (r1, r2, r3)}
        balances = {p.name: await tx.points.balance(people[p].id) for p in (r1, r2, r3)}
        entries = await tx.points.entries(people[r1].id)
        hours = await tx.activities.hours_of(people[r1].id, START - timedelta(days=1))
        signup = await tx.activities.signup(activity.id, people[r1].id)
        audit = await tx.audit.latest(action="points.hours")
    assert balances == {"r1": 25, "r2": 25, "r3": 0}
    assert [(e.kind, e.delta, e.ref) for e in entries] == [
        (PointsKind.HOURS, 25, f"activity:{activity.id}")
    ]
    assert hours == 2.5
    assert signup is not None and signup.feedback == "good"
    assert len(audit) == 2
    # The sweep running again credits nothing twice.
    await sweep_at(h, START + timedelta(hours=5))
    async with h.services.db.read() as tx:
        assert await tx.points.balance(people[r1].id) == 25


async def test_stats_count_finished_activities_with_attendees_since_the_start(
    world: Harness,
) -> None:
    """The seed's fourth figure: an activity that finished with someone checked in counts;
    one nobody came to does not. "Since the start" has no 366-day limit."""
    h = world
    zhang = h.players["zhang"]
    await publish(h, zhang, start=START, capacity=5)
    r1 = h.players["r1"]
    await r1.press("✅ 报名")
    empty = await publish(h, zhang, start=START + timedelta(days=1), title="无人参加")
    h.clock.set(START + timedelta(minutes=10))
    await r1.send_location(*XHHY_STATION)
    await sweep_at(h, START + timedelta(days=2))
    async with h.services.db.read() as tx:
        closed = await tx.activities.get(empty.id)
    assert closed is not None and closed.state == "finished"
    # A year and a half later, "since the start" still counts it.
    h.clock.set(START + timedelta(days=550))
    await zhang.command("/stats")
    month = next(m.text or "" for m in reversed(zhang.bot_messages()) if "📊" in (m.text or ""))
    assert "开展志愿服务活动：0 次" in month
    await zhang.press("自开始以来")
    since = next(m.text or "" for m in reversed(zhang.bot_messages()) if "📊" in (m.text or ""))
    assert "自开始以来：2026-11-28 至 2028-05-31" in since
    assert "开展志愿服务活动：1 次" in since
    assert "✔ 自开始以来" in [
        b["text"]
        for m in reversed(zhang.bot_messages())
        if "📊" in (m.text or "")
        for b in m.inline_buttons
    ]


async def test_forget_leaves_nothing_of_a_volunteer(world: Harness) -> None:
    """Sign-ups, check-ins, hours, points, codes and the ledger go with the person; the
    activity stays (the community's record) with one fewer signed up."""
    h = world
    activity = await publish(h, h.players["zhang"], start=START, capacity=5)
    r1 = h.players["r1"]
    await r1.press("✅ 报名")
    h.clock.set(START + timedelta(minutes=10))
    await r1.send_location(*XHHY_STATION)
    await sweep_at(h, START + timedelta(hours=3))
    await r1.press("👍 很好")
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(r1.id)
        assert person is not None and await tx.points.balance(person.id) == 20
        haircut = next(i for i in await tx.points.items() if i.code == "BY-HAIRCUT")
    await h.services.points.ask(await actor_of(h, r1), haircut.id)
    needles = ["R1", str(r1.id)]
    assert await traces_left(h.store_url, needles)
    await r1.command("/forget")
    await r1.press("是的，删除我的信息")
    assert await traces_left(h.store_url, needles) == []
    async with h.services.db.read() as tx:
        for table in ("activity_signups", "points_ledger", "points_balances", "redemptions"):
            rows = await tx.fetchval(
                f"SELECT count(*) FROM {table} WHERE person_id = ?", (person.id,)
            )
            assert rows == 0, table
        kept = await tx.activities.get(activity.id)
    assert kept is not None and kept.state == "finished"


async def test_the_ranking_of_volunteer_hours_by_community_and_month(world: Harness) -> None:
    h = world
    zhang = h.players["zhang"]
    await publish(h, zhang, start=START, capacity=5, minutes=60)
    r1, r2 = h.players["r1"], h.players["r2"]
    await r1.press("✅ 报名")
    await r2.press("✅ 报名")
    await publish(h, zhang, start=START + timedelta(hours=3), capacity=5, title="义务清扫")
    await r1.press("✅ 报名")
    h.clock.set(START + timedelta(minutes=5))
    await r1.send_location(*XHHY_STATION)
    await r2.send_location(*XHHY_STATION)
    h.clock.set(START + timedelta(hours=3, minutes=5))
    await r1.send_location(*XHHY_STATION)
    await sweep_at(h, START + timedelta(days=1))
    await r1.command("/points")
    await r1.press("🏅 排行榜")
    text = r1.last_text()
    assert text.splitlines() == [
        "🏅 伴月社区 2026-11 志愿时长排行",
        "🥇 R1：3小时，2 次活动",
        "🥈 R2：1小时，1 次活动",
    ]
    assert r1.buttons() == ["‹ 2026-10"]
    await r1.press("‹ 2026-10")
    assert "2026-10 没有记录志愿时长。" in r1.last_text()
    assert r1.buttons() == ["‹ 2026-09", "2026-11 ›"]


async def test_who_may_run_an_activity(world: Harness) -> None:
    """The organiser, an administrator of its area and a leader of its team there call the
    roll; a resident and a leader of another team are refused, and the refusals audited."""
    h = world
    legal, medic = h.player("legal"), h.player("medic")
    await make_member(h, legal, compound="LMJ", teams=("LEGAL",))
    await make_member(h, medic, compound="LMJ", teams=("HEALTH",))
    await h.services.leaders.appoint(legal.id, "LEGAL", "DZ")
    await h.services.leaders.appoint(medic.id, "HEALTH", "DZ")
    activity = await publish(h, h.players["zhang"], start=START, capacity=3, team="LEGAL")
    await h.players["r1"].press("✅ 报名")
    h.clock.set(START + timedelta(minutes=5))
    roll = cbdata.encode("ac", "roll", activity.id)
    for refused in (h.players["r2"], medic):
        await refused.press_data(roll)
        answer = refused.last_answer()
        assert answer is not None and answer["text"] == "只有活动组织者可以操作。"
    async with h.services.db.read() as tx:
        assert len(await tx.audit.latest(action="activity.roll.refused")) == 2
    for runner in (legal, h.players["zhang"]):
        await runner.press_data(roll)
        assert "点名" in runner.last_text() and "R1" in runner.buttons()[0]


async def test_the_code_sent_as_the_organisers_phone_says_checks_in(world: Harness) -> None:
    """The code screen says "send me the code": six digits sent without pressing Check in
    first check the person in; the same digits from someone with no check-in running are
    not mistaken for a code."""
    h = world
    zhang = h.players["zhang"]
    await publish(h, zhang, start=START, capacity=5)
    r1, r2 = h.players["r1"], h.players["r2"]
    await r1.press("✅ 报名")
    h.clock.set(START + timedelta(minutes=5))
    await zhang.command("/activities")
    await zhang.press("🧑\u200d💼 读书分享会")
    await zhang.press("🔢 签到码")
    assert "请参加者把签到码发给" in zhang.last_text()
    code = await code_from(zhang)
    await r1.send(f"{code[:3]} {code[3:]}")  # as shown, straight into the chat
    assert r1.last_text() == "✔ 已签到：“读书分享会”（签到码）。欢迎！"
    await r1.send(f"{(int(code) + 1) % 1_000_000:06d}")  # checked in: a number is no code
    assert "没看懂" in r1.last_text()
    await r2.send(code)  # signed up for nothing
    assert "没看懂" in r2.last_text()
