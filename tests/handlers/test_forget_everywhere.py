"""/forget forgets everywhere: after it, no text column of any table of the store holds
the person's name, phone (+86…, 86…, bare), username or Telegram id — not in the messages the
bot sent to other people (task cards, their edits, relayed words), not in notes or the audit's
snapshots. Their requests stay, with every phone number in them masked. And the outbox keeps
what it said only for ``[retention] outbox_days``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from auxil.flows import file_request, onboard, onboard_admin
from auxil.harness import Harness, Player
from auxil.members import make_member
from auxil.traces import forms_of, traces_left

from bot.messages import OutMessage

EVENING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday 20:00 in Zhaoqing
ADMIN = 9601  # the admin of 伴月社区
PHONE = "+8613912345678"
MEMBER_PHONE = "+8613711112222"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, admins=[{"telegram_id": ADMIN, "unit": "BY"}])
    await harness.start()
    try:
        await harness.import_org()
        await harness.restart()
        harness.clock.set(EVENING)
        await onboard_admin(harness.player("admin", user_id=ADMIN))
        yield harness
    finally:
        await harness.stop()


async def a_worked_request(h: Harness) -> tuple[Player, Player, str]:
    """王小红 files a request with her phone in it; ann takes it (the others' cards turn into
    "taken by ann"); they write to each other; ann notes progress and resolves it; 小红 rates
    it with a comment."""
    res = h.player("xiaohong", user_id=71234567, username="wang_xh")
    h.emulator.add_user(71234567, "小红", last_name="王", username="wang_xh")
    ann = h.player("ann", user_id=72345678, username="ann_helps")
    await make_member(h, ann, phone=MEMBER_PHONE)
    for name in ("bao", "cui"):
        await make_member(h, h.player(name))
    await onboard(res)
    number = await file_request(
        h, res, description=f"电梯坏了，请打 {PHONE[3:]} 找小红 王", address="3栋", phone=PHONE
    )
    await ann.press("✋ 接单")
    await res.press("💬 给承办人留言")
    await res.send(f"我是王小红，电话 {PHONE}，下午在家")
    await ann.press("↩ 回复")
    await ann.send("好的王小红，我是 Ann Real，三点到")
    await ann.press("📝 进展说明")
    await ann.send("已联系小红 王，约好三点")
    await ann.press("✅ 办理完成")
    await ann.send("修好了")
    await res.press("满意")
    await res.send(f"谢谢，有事再打 86{PHONE[3:]}")
    return res, ann, number


async def test_forget_leaves_no_trace_of_a_resident_in_any_table(h: Harness) -> None:
    res, ann, number = await a_worked_request(h)
    needles = ["小红 王", "王小红", *forms_of(PHONE), "wang_xh", str(res.id)]
    db_path = h.store_url
    assert await traces_left(db_path, needles)  # the setup did spread them

    await res.command("/forget")
    await res.press("是的，删除我的信息")

    assert await traces_left(db_path, needles) == []
    async with h.services.db.read() as tx:
        filed = await tx.requests.by_number(number)
        assert await tx.fetchval("SELECT count(*) FROM outbox WHERE chat_id = ?", (res.id,)) == 0
    # The request stays, the community's record: its phone numbers masked.
    assert filed is not None and filed.resident_id is None
    assert filed.description == "电梯坏了，请打 *** 找**"
    # What was said to the others stays readable around the gaps.
    taken = [m.text or "" for m in ann.bot_messages() if number in (m.text or "")]
    assert taken


async def test_forget_leaves_no_trace_of_a_member_in_any_table(h: Harness) -> None:
    _res, ann, _number = await a_worked_request(h)
    needles = ["Ann Real", "Ann", *forms_of(MEMBER_PHONE), "ann_helps", str(ann.id)]
    db_path = h.store_url
    assert await traces_left(db_path, needles)

    await ann.command("/forget")
    await ann.press("是的，删除我的信息")

    assert await traces_left(db_path, needles) == []
    # The resident is still who she was.
    assert await traces_left(db_path, ["小红 王"])


async def test_sent_outbox_payloads_are_blanked_after_retention(h: Harness) -> None:
    res = h.player("res")
    await onboard(res)
    async with h.services.db.transaction() as tx:
        queued = await h.services.notifier.send(tx, res.id, OutMessage("一个月前的通知"))
    await h.settle()
    h.clock.advance(days=29)
    async with h.services.db.transaction() as tx:
        recent = await h.services.notifier.send(tx, res.id, OutMessage("昨天的通知"))
        waiting = await h.services.notifier.send(tx, 1, OutMessage("还没发出"))  # no such chat
    await h.settle()
    h.clock.advance(days=1, minutes=1)
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    async with h.services.db.read() as tx:
        rows = {
            r["id"]: (r["status"], r["payload"])
            for r in await tx.fetchall(
                "SELECT id, status, payload FROM outbox WHERE id IN (?, ?, ?)",
                (queued, recent, waiting),
            )
        }
    assert rows[queued] == ("sent", "{}")
    assert rows[recent][0] == "sent" and "昨天的通知" in rows[recent][1]
    assert rows[waiting][1] != "{}"  # not settled as sent: it keeps what it says
    assert h.services.config.retention.outbox_days == 30
    h.clock.advance(timedelta(days=30))
    await h.services.sweeper.sweep()
    async with h.services.db.read() as tx:
        assert await tx.fetchval("SELECT payload FROM outbox WHERE id = ?", (recent,)) == "{}"
