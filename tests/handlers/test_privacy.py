"""What the bot says about a person stays in their private chat; /forget leaves no trace of
their Telegram id and no conversation half-way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player

from bot.services.people import FORGOTTEN_LABEL

GROUP_ID = -100777
DISTRICT_ADMIN = 9801
SET_ASIDE = "已暂时搁置"


def in_group(h: Harness, player: Player, text: str) -> dict[str, Any]:
    """``text`` sent by ``player`` in a group chat the bot is a member of."""
    update = h.emulator.user_message(player.id, text)
    update["message"]["chat"] = {"id": GROUP_ID, "type": "supergroup", "title": "小区群"}
    return update


async def test_personal_commands_get_no_answer_in_a_group(org: Harness) -> None:
    amy = org.player("amy")
    await onboard(amy)
    await file_request(org, amy, phone=True)  # a phone for /me to show
    for command in (
        "/me",
        "/help",
        "/start",
        "/start c_XHHY",
        "/lang",
        "/forget",
        "/org",
        "/cancel",
    ):
        await org.process(in_group(org, amy, command))
        to_group = [c for c in org.emulator.calls if c.chat_id == GROUP_ID]
        assert to_group == [], (command, [c.params.get("text") for c in to_group])
    # Nothing was forgotten or changed, and the private chat still answers.
    async with org.services.db.read() as tx:
        person = await tx.people.by_telegram(amy.id)
    assert person is not None and person.phone == "+8613800138000"
    await amy.command("/me")
    assert "+8613800138000" in amy.last_text()


@pytest.fixture
async def district(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, admins=[{"telegram_id": DISTRICT_ADMIN, "unit": "DZ"}])
    await h.start()
    await h.import_org()
    await h.restart()  # the config admin is granted at start, once the org exists
    admin = h.player("district", user_id=DISTRICT_ADMIN)
    await admin.command("/start")
    await admin.press("中文")
    await admin.press("跳过：我只做管理工作")
    try:
        yield h
    finally:
        await h.stop()


async def test_forget_takes_the_telegram_id_out_of_timelines_and_audit(district: Harness) -> None:
    h = district
    mia, ned = h.player("mia"), h.player("ned")
    await onboard(mia)
    await onboard(ned)
    number = await file_request(h, mia)
    tag = f"tg:{mia.id}"
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(mia.id)
        assert person is not None
        filed = await tx.requests.by_number(number)
        assert filed is not None
        assert tag in [e.actor_label for e in await tx.requests.events(filed.id)]
        assert tag in [e.actor_label for e in await tx.audit.latest(limit=100)]
        before = await tx.fetchval("SELECT max(id) FROM outbox")

    await mia.command("/forget")
    await mia.press("是的，删除我的信息")

    async with h.services.db.read() as tx:
        events = await tx.requests.events(filed.id)
        audit = await tx.audit.latest(limit=100)
        left = await tx.fetchval(
            "SELECT (SELECT count(*) FROM request_events WHERE actor_label LIKE ?)"
            " + (SELECT count(*) FROM audit_log WHERE actor_label LIKE ? OR actor_id = ?)",
            (f"%{mia.id}%", f"%{mia.id}%", person.id),
        )
        said = [
            tuple(row)
            for row in await tx.fetchall(
                "SELECT status, payload FROM outbox WHERE chat_id = 0 AND id <= ?",
                (before,),
            )
        ]
    assert left == 0
    async with h.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM outbox WHERE chat_id = ?", (mia.id,)) == 0
    # Nothing the bot said to her before is kept, and nothing of it is still queued.
    assert said and all(payload == "{}" and status != "pending" for status, payload in said)
    # What she did is still there, by someone forgotten.
    filed_event = events[0]
    assert filed_event.actor_label == FORGOTTEN_LABEL and filed_event.actor_id is None
    hers = [e for e in audit if e.subject == f"person:{person.id}"]
    assert {e.action for e in hers} >= {"person.home", "person.forget"}
    assert all(e.actor_label in (FORGOTTEN_LABEL, "system") for e in hers)
    # Other people's rows keep their labels.
    assert f"tg:{ned.id}" in [e.actor_label for e in audit]

    admin = h.players["district"]
    await admin.command("/audit")
    text = admin.last_text()
    # Names, not codes: she is "a deleted user"; Ned, still here, by his name.
    assert "操作记录" in text and "已删除的用户 · 设置小区 · 已删除的用户" in text
    assert tag not in text and "Ned · 设置小区 · Ned" in text


async def test_forget_in_the_middle_of_a_request_starts_afresh(org: Harness) -> None:
    mia = org.player("mia")
    await onboard(mia)
    await mia.tap("反映诉求")
    await mia.press("物业维修")  # now at the description step
    await mia.command("/forget")
    await mia.press("是的，删除我的信息")

    await mia.send("你好")
    assert SET_ASIDE not in mia.last_text()
    assert "请选择语言" in mia.last_text() and mia.buttons() == ["中文", "English"]

    # Set up again, across a restart: no step of the old request is waiting either.
    await onboard(mia)
    await org.restart()
    await mia.send("你好")
    assert SET_ASIDE not in mia.last_text()
    assert "没看懂您的意思" in mia.last_text()
    async with org.services.db.read() as tx:
        assert await tx.fetchval("SELECT count(*) FROM ptb_conversations") == 0


async def test_forget_then_start_gets_onboarding(org: Harness) -> None:
    mia = org.player("mia")
    await onboard(mia)
    await mia.tap("反映诉求")
    await mia.press("物业维修")
    await mia.command("/forget")
    await mia.press("是的，删除我的信息")

    await mia.command("/start")
    assert "请选择语言" in mia.last_text()
    await mia.press("中文")
    await mia.press("城西街道")
    await mia.press("伴月社区")
    await mia.press("星荷豪苑")
    await mia.send("楼道灯坏了")  # not the description of the forgotten request
    assert SET_ASIDE not in mia.last_text()
    assert "没看懂您的意思" in mia.last_text()
