"""催办、督办: reminders, the escalation ladder, quiet hours, extensions, auto-close, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player
from auxil.members import make_member

from bot.errors import InvalidInput
from bot.lifecycle import Status
from bot.models import Availability, Rating, Request
from storage.repos.deadlines import SWEEP_SQL

THURSDAY_EVENING = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 19:00 in Zhaoqing
ADMINS = [
    {"telegram_id": 9601, "unit": "BY"},  # 伴月社区
    {"telegram_id": 9602, "unit": "CX"},  # 城西街道
    {"telegram_id": 9603, "unit": "DZ"},  # 端州区
]


async def start_admins(h: Harness) -> dict[str, Player]:
    out = {}
    for name, spec in zip(("community", "street", "district"), ADMINS, strict=True):
        admin = h.player(name, user_id=int(spec["telegram_id"]))  # type: ignore[arg-type]
        await admin.command("/start")
        await admin.press("中文")
        await admin.press("跳过：我只做管理工作")
        out[name] = admin
    return out


@pytest.fixture
async def ladder(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, admins=ADMINS)
    await h.start()
    await h.import_org()
    await h.restart()
    h.clock.set(THURSDAY_EVENING)
    await start_admins(h)
    try:
        yield h
    finally:
        await h.stop()


async def request(h: Harness, number: str) -> Request:
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found


async def tick(h: Harness, **delta: float) -> None:
    """Move the clock and run the sweep as the JobQueue would."""
    h.clock.advance(timedelta(**delta))
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    await h.settle()


def reminders(player: Player) -> list[str]:
    return [m.text or "" for m in player.bot_messages() if "催办" in (m.text or "")]


def escalations(player: Player, number: str) -> list[str]:
    return [
        m.text or ""
        for m in player.bot_messages()
        if "督办" in (m.text or "") and number in (m.text or "")
    ]


async def test_urgent_unaccepted_reminds_then_climbs_the_ladder(ladder: Harness) -> None:
    h = ladder
    admins = {name: h.players[name] for name in ("community", "street", "district")}
    ann, bao = h.player("ann"), h.player("bao")
    await make_member(h, ann)
    await make_member(h, bao)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res, urgent=True, description="燃气味很重")
    filed = await request(h, number)
    assert filed.accept_due_at == h.clock.now() + timedelta(minutes=30)
    assert filed.resolve_due_at == h.clock.now() + timedelta(hours=24)

    await tick(h, minutes=14)
    assert reminders(ann) == []
    await tick(h, minutes=1)  # 15 minutes: 50%
    assert len(reminders(ann)) == 1 and len(reminders(bao)) == 1
    assert "还剩 15 分钟" in reminders(ann)[0] and "✋ 接单" in ann.buttons()
    await tick(h, minutes=9)  # 24 minutes: 80%
    assert len(reminders(ann)) == 2 and "还剩 6 分钟" in reminders(ann)[1]
    assert escalations(admins["community"], number) == []
    await tick(h, minutes=6)  # 30 minutes: to the community
    [card] = escalations(admins["community"], number)
    assert "超时无人接单" in card and "社区督办" in card
    assert {"👤 指派党员", "+1 天", "要事商议办"} <= set(admins["community"].buttons())
    assert escalations(admins["street"], number) == []
    await tick(h, minutes=30)  # 60 minutes: the street
    assert len(escalations(admins["street"], number)) == 1
    await tick(h, minutes=30)  # 90 minutes: the district
    assert len(escalations(admins["district"], number)) == 1
    # Nothing more, and nothing twice.
    await tick(h, hours=5)
    assert len(reminders(ann)) == 2
    assert [len(escalations(a, number)) for a in admins.values()] == [1, 1, 1]

    async with h.services.db.read() as tx:
        events = await tx.requests.events(filed.id)
    timeline = [(e.kind, e.note) for e in events if e.kind in ("reminder", "escalation")]
    assert timeline == [
        ("reminder", "accept:1:2"),
        ("reminder", "accept:2:2"),
        ("escalation", "accept:community"),
        ("escalation", "accept:street"),
        ("escalation", "accept:district"),
    ]
    assert (await request(h, number)).escalation_level == "district"
    # The resident sees who is chasing it.
    await res.tap("我的诉求")
    await res.press(f"查看 {number}")
    assert "区级正在督办" in res.last_text()
    # Accepting stops the accept clock.
    await ann.press("✋ 接单")
    async with h.services.db.read() as tx:
        pending = await tx.deadlines.pending(filed.id)
    assert {p.kind for p in pending} == {"remind_resolve", "escalate_resolve"}


async def test_quiet_hours_hold_non_urgent_reminders(ladder: Harness) -> None:
    h = ladder
    h.services.config.deadlines.important.accept_minutes = 240
    h.clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))  # 20:00 local
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    await tick(h, hours=2)  # 22:00 local: 50%, but quiet hours
    assert reminders(ann) == []
    await tick(h, minutes=72)  # 23:12: 80%, still quiet
    assert reminders(ann) == []
    await tick(h, hours=7)  # 06:12
    assert reminders(ann) == []
    await tick(h, minutes=48)  # 07:00: both held reminders arrive
    assert len(reminders(ann)) == 2
    # Urgent ones always go, even at night.
    urgent = await file_request(h, res, category="环境卫生", urgent=True, description="漏水")
    await tick(h, minutes=15)
    assert any(urgent in r for r in reminders(ann))
    assert number != urgent


async def test_availability_holds_reminders_until_the_members_slot(ladder: Harness) -> None:
    h = ladder
    h.services.config.deadlines.important.accept_minutes = 240
    h.services.config.dispatch.min_pool = 1
    evening = h.player("evening")
    await make_member(h, evening, availability=[Availability.WEEKDAY_EVENING])
    res = h.player("res")
    await onboard(res)
    # Friday 19:00 local: an evening member gets the card.
    h.clock.set(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    number = await file_request(h, res)
    await tick(h, hours=2)  # 21:00 Friday: the 50% reminder goes
    assert len(reminders(evening)) == 1
    await tick(h, minutes=72)  # 22:12: the 80% reminder falls in quiet hours: held
    assert len(reminders(evening)) == 1
    await tick(h, hours=9)  # Saturday 07:12: no longer quiet, but they serve weekday evenings
    await tick(h, hours=24)  # Sunday
    assert len(reminders(evening)) == 1
    await tick(h, hours=34, minutes=48)  # Monday 18:00 local: their slot
    assert len(reminders(evening)) == 2 and number in reminders(evening)[1]
    assert "已超时" in reminders(evening)[1]


async def test_member_asks_for_more_time_and_the_community_approves(ladder: Harness) -> None:
    h = ladder
    admin = h.players["community"]
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    await ann.press("✋ 接单")
    filed = await request(h, number)
    due = filed.resolve_due_at
    assert due is not None
    await ann.press("⏳ 申请延期")
    await ann.press("+3 天")
    assert "为什么需要延期 3 天" in ann.last_text()
    await ann.send("需要等配件到货")
    assert "您的延期申请已提交社区" in ann.last_text()
    assert "Ann Real申请延期 3 天" in admin.last_text() and "需要等配件到货" in admin.last_text()
    approve = admin.find_button("通过")[1]["callback_data"]
    await admin.press("通过")
    assert "已通过，期限已顺延" in admin.last_text()
    assert f"社区已通过 {number} 的延期申请，顺延 3 天" in ann.last_text()
    extended = await request(h, number)
    assert extended.resolve_due_at == due + timedelta(days=3)
    async with h.services.db.read() as tx:
        pending = await tx.deadlines.pending(filed.id)
        audit = await tx.audit.latest(action="request.extend")
    first_escalation = min(p.due_at for p in pending if p.kind == "escalate_resolve")
    assert first_escalation == due + timedelta(days=3)
    assert audit and audit[0].actor_id is not None
    # Deciding twice does nothing more.
    await admin.press_data(approve)
    assert "此事已经处理过了" in (admin.last_answer() or {})["text"]


async def test_refused_extension_and_admin_extend_and_retier(ladder: Harness) -> None:
    h = ladder
    admin = h.players["community"]
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    await ann.press("✋ 接单")
    await ann.press("⏳ 申请延期")
    await ann.press("+1 天")
    await ann.send("太忙")
    await admin.press("不通过")
    assert "社区未通过" in ann.last_text()
    # Overdue escalation lets the admin extend and re-tier.
    await tick(h, days=7, minutes=1)
    assert escalations(admin, number)
    await admin.press("+7 天")
    await admin.send("需要业委会开会")
    assert f"{number} 的期限已顺延 7 天" in admin.last_text()
    await admin.press_data(admin.find_button("难事合力办")[1]["callback_data"])
    assert f"{number} 已调整为“难事合力办”" in admin.last_text()
    filed = await request(h, number)
    assert filed.tier.value == "difficult"
    assert filed.resolve_due_at == (filed.triaged_at or filed.created_at) + timedelta(days=30)


async def test_waiting_for_the_resident_pauses_the_resolve_clock(ladder: Harness) -> None:
    h = ladder
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    await ann.press("✋ 接单")
    due = (await request(h, number)).resolve_due_at
    assert due is not None
    await ann.press("⏸ 等待居民")
    await tick(h, days=2)
    # The resident answers through the relay: the clock runs again, two days later.
    await res.press("💬 给承办人留言")
    await res.send("我明天在家")
    assert (await request(h, number)).resolve_due_at == due + timedelta(days=2)
    assert (await request(h, number)).waiting_since is None


async def test_more_time_while_waiting_keeps_the_clock_paused(ladder: Harness) -> None:
    h = ladder
    admin = h.players["community"]
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    await ann.press("✋ 接单")
    filed = await request(h, number)
    due = filed.resolve_due_at
    assert due is not None
    async with h.services.db.read() as tx:
        timers = {p.id: p.due_at for p in await tx.deadlines.pending(filed.id)}
    await ann.press("⏸ 等待居民")
    await tick(h, days=1)
    # The community grants one more day while the member still waits for the resident.
    await ann.press("⏳ 申请延期")
    await ann.press("+1 天")
    await ann.send("居民出差")
    await admin.press("通过")
    assert "已通过，期限已顺延" in admin.last_text()
    waiting = await request(h, number)
    assert waiting.waiting_since is not None
    assert waiting.resolve_due_at == due + timedelta(days=1)
    async with h.services.db.read() as tx:
        assert await tx.deadlines.pending(filed.id) == []  # still paused
    await tick(h, days=1)
    assert escalations(admin, number) == [] and reminders(ann) == []
    # Work resumes after two days of waiting: everything moves by 1 + 2 days, and agrees.
    await ann.press("▶ 继续办理")
    resumed = await request(h, number)
    assert resumed.waiting_since is None
    assert resumed.resolve_due_at == due + timedelta(days=3)
    async with h.services.db.read() as tx:
        pending = await tx.deadlines.pending(filed.id)
    assert {p.id: p.due_at for p in pending} == {
        i: at + timedelta(days=3) for i, at in timers.items()
    }
    [first] = [p for p in pending if p.kind == "escalate_resolve" and p.step == 1]
    assert first.due_at == resumed.resolve_due_at


async def test_a_second_ask_for_more_time_waits_for_the_first(ladder: Harness) -> None:
    h = ladder
    admin = h.players["community"]
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    await ann.press("✋ 接单")
    filed = await request(h, number)
    due = filed.resolve_due_at
    assert due is not None
    await ann.press("⏳ 申请延期")
    await ann.press("+7 天")
    await ann.send("等配件")
    assert "您的延期申请已提交社区" in ann.last_text()
    assert filed.assignee_id is not None
    actor = await h.services.people.actor(filed.assignee_id)
    with pytest.raises(InvalidInput) as refused:
        await h.services.extensions.ask(actor, filed.id, 7, "还在等配件")
    # In the bot the second ask stops at the first button, before the reason is typed.
    await ann.press("⏳ 申请延期")
    t = h.services.i18n.get("zh_CN")
    answer = ann.last_answer() or {}
    assert (answer["text"], answer["show_alert"]) == (t(refused.value.message), True)
    assert "为什么需要延期" not in ann.last_text()
    async with h.services.db.read() as tx:
        rows = await tx.fetchall(
            "SELECT state FROM extension_requests WHERE request_id = ?", (filed.id,)
        )
    assert [r[0] for r in rows] == ["pending"]
    await admin.press("通过")
    assert (await request(h, number)).resolve_due_at == due + timedelta(days=7)
    # Once decided, the member may ask again.
    assert await h.services.extensions.ask(actor, filed.id, 1, "还差一点")


async def test_resolved_and_unrated_closes_as_not_rated(ladder: Harness) -> None:
    h = ladder
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res)
    await ann.press("✋ 接单")
    await ann.press("✅ 办理完成")
    await ann.send("修好了")
    await tick(h, days=2, hours=23)
    assert (await request(h, number)).status is Status.RESOLVED
    await tick(h, hours=1)
    closed = await request(h, number)
    assert closed.status is Status.CLOSED and closed.rating is Rating.NOT_RATED
    assert "已办结" in res.last_text()


async def test_restart_midway_loses_and_repeats_nothing(ladder: Harness) -> None:
    h = ladder
    admin = h.players["community"]
    ann = h.player("ann")
    await make_member(h, ann)
    res = h.player("res")
    await onboard(res)
    number = await file_request(h, res, urgent=True)
    await tick(h, minutes=15)
    assert len(reminders(ann)) == 1
    await h.restart()
    await tick(h, minutes=9)
    await h.restart()
    await tick(h, minutes=6)
    await h.restart()
    await tick(h, minutes=1)
    assert len(reminders(ann)) == 2
    assert len(escalations(admin, number)) == 1


async def test_two_sweeps_at_once_send_once(ladder: Harness) -> None:
    h = ladder
    members = [h.player(f"m{n}") for n in range(5)]
    for member in members:
        await make_member(h, member)
    res = h.player("res")
    await onboard(res)
    for n in range(10):
        await file_request(h, res, urgent=True, category="其他", description=f"第{n}件")
    h.clock.advance(minutes=15)
    handled = await asyncio.gather(h.services.sweep.sweep(), h.services.sweep.sweep())
    await h.settle()
    assert sum(handled) == 10  # ten due reminder rows, each claimed by one sweep only
    for member in members:
        assert len(reminders(member)) == 10


async def test_the_sweep_query_uses_its_index(ladder: Harness) -> None:
    """One query claims every timer row (a request's, a sub-order's, an activity's)."""
    async with ladder.services.db.transaction() as tx:  # the claim locks rows
        plan = await tx.explain(
            SWEEP_SQL, (datetime(2026, 11, 27, tzinfo=UTC), 100), avoid_scans=True
        )
    assert "deadline_items_due" in plan
    assert "SCAN deadline_items" not in plan.replace("USING INDEX", "")  # SQLite
    assert "Seq Scan" not in plan  # PostgreSQL
