"""What a resident must never see or lose: internal timeline events, over-long details, edits,
waits that outlive their request, a failed button press without an apology."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness

from bot.errors import NotAllowed
from bot.lifecycle import Status
from bot.models import Rating, Request
from bot.views import requests as views

SECRET = "内部批评：上次拖了很久"


async def stored(h: Harness, number: str) -> Request:
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found


def failed_calls(h: Harness) -> list[str]:
    return [f"{c.method}: {c.result}" for c in h.emulator.calls if not c.ok]


async def test_the_timeline_shows_residents_only_what_is_theirs(org: Harness) -> None:
    res, nb = org.player("res"), org.player("nb")
    await onboard(res)
    await onboard(nb)
    number = await file_request(org, res)
    await nb.tap("反映诉求")
    await nb.press("物业维修")
    await nb.press(f"我也遇到：{number}")
    request = await stored(org, number)
    now = org.clock.now()
    internal = {
        "reminder": "accept:1:3",
        "admin_message": SECRET,
        "extension_asked": f"+3d: {SECRET}",
        "assign": "王建国",
        "decline": SECRET,
        "relay": SECRET,
    }
    shown = {
        "escalation": "accept:street",
        "retier": "urgent",
        "extension": f"+3d: {SECRET}",
        "waiting": "waiting for the resident",
        "note": "已经联系物业",
    }
    async with org.services.db.transaction() as tx:
        for kind, note in {**internal, **shown}.items():
            await tx.requests.add_event(
                request.id, kind=kind, actor_id=None, actor_label="system", now=now, note=note
            )
        await tx.requests.add_event(
            request.id,
            kind="status",
            actor_id=None,
            actor_label="system",
            now=now,
            from_status=Status.ACCEPTED,
            to_status=Status.RETURNED,
            note=SECRET,  # a member's reason for handing it back: for the admins
        )
    for player in (res, nb):
        await player.tap("我的诉求")
        await player.press(f"查看 {number}")
        text = player.last_text()
        assert "街道正在督办" in text, text
        assert "调整为“急事立刻办”" in text
        assert "期限顺延 3 天" in text
        assert "等待居民" in text
        assert "进展：已经联系物业" in text
        assert "已退回" in text
        assert "内部批评" not in text and "王建国" not in text and "accept:" not in text
        for kind in (*internal, *shown):
            assert kind not in text, kind


async def test_details_always_fit_in_one_message(org: Harness) -> None:
    amy = org.player("amy")
    await onboard(amy)
    number = await file_request(org, amy, description="漏" * 2000)
    for _ in range(2):
        await amy.tap("我的诉求")
        await amy.press(f"查看 {number}")
        await amy.press("➕ 补充信息")
        await amy.send("补" * 2000)
        assert "已添加到" in amy.last_text()
    await amy.tap("我的诉求")
    await amy.press(f"查看 {number}")
    text = amy.last_html()
    assert len(text) <= 4096 and "漏…" in text and "补…" in text
    request = await stored(org, number)
    async with org.services.db.transaction() as tx:
        for n in range(40):
            await tx.requests.add_event(
                request.id,
                kind="note",
                actor_id=None,
                actor_label="system",
                now=org.clock.now() + timedelta(minutes=n),
                note=f"第 {n} 次进展",
            )
    await amy.tap("我的诉求")
    await amy.press(f"查看 {number}")
    text = amy.last_html()
    assert len(text) <= 4096
    assert number in text and "漏…" in text
    assert "第 39 次进展" in text and "第 0 次进展" not in text
    assert "更早的" in text
    assert failed_calls(org) == []


async def test_an_edited_message_is_not_taken_for_an_answer(org: Harness) -> None:
    amy = org.player("amy")
    await onboard(amy)
    await amy.tap("反映诉求")
    await amy.press("物业维修")
    update = org.emulator.user_message(amy.id, "楼道灯坏了")
    message = update.pop("message")
    message["edit_date"] = message["date"] + 5
    update["edited_message"] = message
    await org.process(update)
    assert "修改后我读不到" in amy.last_text()
    await amy.send("楼道灯坏了")  # the description step is still waiting
    assert "照片" in amy.last_text()


async def test_join_after_rating_fills_the_form_not_the_comment(org: Harness) -> None:
    kay = org.player("kay")
    await onboard(kay)
    number = await file_request(org, kay)
    filed = await stored(org, number)
    async with org.services.db.transaction() as tx:
        await org.services.flow.transition(tx, filed, Status.RESOLVED, actor=None, note="修好了")
    await org.settle()
    await kay.press("满意")  # the bot now waits for an optional comment
    await kay.command("/join")
    await kay.send("王建国")
    assert (await stored(org, number)).rating_comment is None
    assert "第 2 步" in kay.last_text() and "工作单位" in kay.last_text()


async def test_a_wait_for_information_ends_with_its_request(org: Harness) -> None:
    ben = org.player("ben")
    await onboard(ben)
    number = await file_request(org, ben)
    await ben.tap("我的诉求")
    await ben.press(f"查看 {number}")
    await ben.press("➕ 补充信息")
    await ben.press("✖ 撤销诉求")  # still on the details message
    await ben.press("是的，撤销")
    await ben.send("你好")
    assert "已办理完成或已撤销" in ben.last_text()
    await ben.send("还有一句")
    assert "已办理完成或已撤销" not in ben.last_text()
    assert len((await stored(org, number)).description) > 0


async def test_a_press_that_fails_after_its_answer_still_gets_the_apology(
    org: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    amy = org.player("amy")
    await onboard(amy)
    number = await file_request(org, amy)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug after the press was answered")

    monkeypatch.setattr(views, "request_detail", broken)
    await amy.tap("我的诉求")
    await amy.press(f"查看 {number}")
    assert "抱歉" in amy.last_text()
    assert "您确认过的内容都没有丢失" in amy.last_text() or "没有丢失" in amy.last_text()


async def test_a_stranger_is_refused_and_audited_on_someone_elses_request(org: Harness) -> None:
    amy, eve = org.player("amy"), org.player("eve")
    await onboard(amy)
    await onboard(eve)
    number = await file_request(org, amy)
    request = await stored(org, number)
    async with org.services.db.read() as tx:
        person = await tx.people.by_telegram(eve.id)
    assert person is not None
    stranger = await org.services.people.actor(person.id)
    svc = org.services
    attempts = {
        "request.view": svc.requests.view(stranger, request.id),
        "request.cancel": svc.requests.cancel(stranger, request.id),
        "request.info": svc.requests.add_info(stranger, request.id, text="我来补充", photo=None),
        "request.rate": svc.requests.rate(stranger, request.id, Rating.UNSATISFIED),
        "request.comment": svc.requests.comment(stranger, request.id, "差评"),
        "request.resolve": svc.requests.resolve(stranger, request.id, "修好了"),
    }
    for action, attempt in attempts.items():
        with pytest.raises(NotAllowed):
            await attempt
        async with svc.db.read() as tx:
            latest = (await tx.audit.latest(limit=1))[0]
        assert latest.action == f"{action}.refused", action
        assert latest.actor_id == stranger.id and latest.subject == f"request:{request.id}"
    after = await stored(org, number)
    assert after.status == request.status and after.rating is None
