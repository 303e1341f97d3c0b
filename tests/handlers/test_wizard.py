"""The guided-flow scaffold (handlers/wizard.py), through a new flow written only against it
(tests/auxil/notes.py, under 60 lines): expired buttons, the wrong kind of input, cancel, the
idle timeout, restarts, and the durable end of the flow with a final press answered again."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from auxil import notes
from auxil.flows import onboard
from auxil.harness import Harness, Player
from auxil.persisted import leave_behind, stored_state

from bot.app import FLOWS
from bot.models.intake import Draft, Step

EXPIRED = "此菜单已过期"
SET_ASIDE = "您通过 /note 填写的内容已有 30 分钟没有继续，已暂时搁置，没有保存。"


@pytest.fixture
async def h(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path, flows=(*FLOWS, notes.NOTES))
    await harness.start()
    try:
        await harness.import_org()
        yield harness
    finally:
        await harness.stop()
    # Nothing went wrong behind the replies, and every press was answered.
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert harness.emulator.open_callbacks == {}


async def noted(h: Harness) -> list[dict[str, object]]:
    async with h.services.db.read() as tx:
        rows = await tx.fetchall("SELECT after FROM audit_log WHERE action = 'note'")
    return [json.loads(r[0]) for r in rows]


def form_of(h: Harness, player: Player) -> dict[str, object] | None:
    assert h.app is not None
    return h.app.user_data.get(player.id, {}).get("notes")


async def to_step_two(player: Player) -> None:
    await onboard(player)
    await player.command("/note")
    assert player.last_text() == "1/3 Your note?"
    await player.send("东门的路灯坏了 <b>两盏</b>")
    assert player.last_text() == "2/3 How soon?" and player.buttons() == ["soon", "later"]


def test_the_flow_is_under_sixty_lines() -> None:
    assert len(Path(notes.__file__).read_text(encoding="utf-8").splitlines()) < 60


async def test_three_steps_then_the_effect_and_the_end_in_one_commit(h: Harness) -> None:
    ann = h.player("ann")
    await to_step_two(ann)
    await ann.press("soon")
    assert ann.last_text() == "3/3 东门的路灯坏了 <b>两盏</b>, soon: True?"
    assert "&lt;b&gt;" in ann.last_html()  # what the person typed is shown escaped
    await ann.press("Leave it")
    [note] = await noted(h)
    async with h.services.db.read() as tx:
        entry = await tx.fetchval("SELECT id FROM audit_log WHERE action = 'note'")
    assert ann.last_text() == f"Noted as #{entry}."
    assert note["text"] == "东门的路灯坏了 <b>两盏</b>" and note["soon"] is True
    assert form_of(h, ann) is None
    # On disk at once, in the commit of the note: no form, no conversation state.
    data, states = await stored_state(h.store_url, ann.id)
    assert "notes" not in data and states == []
    # Confirm pressed again: "done already", nothing made twice.
    await ann.press("Leave it")
    assert ann.last_answer() == {
        "chat_id": ann.id,
        "message_id": ann.find_button("Leave it")[0].message_id,
        "text": "这一步已经提交过了，不会重复提交。",
        "show_alert": False,
    }
    assert len(await noted(h)) == 1


async def test_expired_buttons_are_answered_and_the_step_asked_again(h: Harness) -> None:
    bea = h.player("bea")
    await to_step_two(bea)
    step_two = bea.last()
    # At step 2, a choice that is none of them: expired, and the step stays.
    await bea.press_data("nt1:when:x")
    assert EXPIRED in (bea.last_answer() or {})["text"] and bea.last_text() == "2/3 How soon?"
    assert form_of(h, bea)["step"] == "when" and form_of(h, bea)["soon"] is None  # type: ignore[index]
    await bea.press("soon")
    # The step-2 buttons again (an old message), an action no step has, a malformed one.
    for data in ("nt1:when:s", "nt1:frobnicate", "nt1:when", "nt0:ok", "zz"):
        await bea.press_data(data, message_id=step_two.message_id)
        assert EXPIRED in (bea.last_answer() or {})["text"], data
        assert bea.last_text().startswith("3/3 "), data
    # A confirm of another form (wrong nonce) does nothing.
    await bea.press_data("nt1:ok:deadbeef")
    assert EXPIRED in (bea.last_answer() or {})["text"]
    assert await noted(h) == []
    # /note again goes on where it was.
    await bea.command("/note")
    assert bea.last_text().startswith("3/3 ")


async def test_the_wrong_kind_of_input_gets_the_step_again(h: Harness) -> None:
    cai = h.player("cai")
    await onboard(cai)
    await cai.command("/note")
    await cai.send_sticker()
    assert cai.last_text() == "1/3 Your note?"
    await cai.send("\u200b\u200b ")  # nothing readable: the field's own reply
    assert cai.last_text() == "请发送文字。"
    assert form_of(h, cai)["text"] is None  # type: ignore[index]
    await cai.send("楼道里有杂物")
    await cai.send("很急")  # text where a button is due
    assert cai.last_text() == "2/3 How soon?"
    await cai.send_photo(b"a photo")
    assert cai.last_text() == "2/3 How soon?"
    assert form_of(h, cai)["step"] == "when"  # type: ignore[index]
    await cai.command("/help")  # other commands still work in the middle of a flow
    assert "/request" in cai.last_text()
    await cai.send("还是很急")
    assert cai.last_text() == "2/3 How soon?"


@pytest.mark.parametrize("how", ["command", "button", "label"])
async def test_cancel_drops_the_form(h: Harness, how: str) -> None:
    dan = h.player("dan")
    await onboard(dan)
    await dan.command("/note")
    if how == "command":
        await dan.send("不想写了")
        await dan.command("/cancel")
    elif how == "button":
        await dan.press("✖ 取消")
    else:
        await dan.send("✖ 取消")
    assert "已取消" in dan.last_text()
    assert dan.keyboard() == ["反映诉求", "服务菜单", "我的诉求", "帮助", "我的信息"]
    assert form_of(h, dan) is None and await noted(h) == []
    await dan.send("随便说一句")  # no step takes it any more
    assert "没看懂" in dan.last_text()


async def test_an_idle_form_is_set_aside_with_a_message(h: Harness) -> None:
    eve = h.player("eve")
    await to_step_two(eve)
    assert h.services.sweeper is not None
    h.clock.advance(minutes=29)
    assert await h.services.sweeper.expire_idle_drafts() == 0
    h.clock.advance(minutes=2)
    assert await h.services.sweeper.expire_idle_drafts() == 1
    await h.settle()
    assert eve.last_text().startswith(SET_ASIDE)
    assert form_of(h, eve) is None
    # The old buttons now say so, and nothing is kept.
    await eve.press("soon")
    assert EXPIRED in (eve.last_answer() or {})["text"] and eve.last_text().startswith(SET_ASIDE)
    assert await noted(h) == []
    await eve.command("/note")
    assert eve.last_text() == "1/3 Your note?"


async def test_a_restart_loses_nothing_and_a_finished_form_never_comes_back(h: Harness) -> None:
    fei = h.player("fei")
    await to_step_two(fei)
    await h.restart()
    await fei.press("soon")  # a button of the message sent before the restart
    assert fei.last_text().startswith("3/3 东门的路灯坏了")
    leftover = dict(form_of(h, fei) or {})
    await fei.press("Leave it")
    assert len(await noted(h)) == 1
    # A copy of the form and its state, as a crash of an older version could leave them:
    await h.stop()
    await leave_behind(h.store_url, fei.id, "notes", leftover, "confirm")
    await h.start()
    # ... is finished silently at start-up: no form, no state, no "set aside" later.
    assert await stored_state(h.store_url, fei.id) == ({}, [])
    seen = len(fei.bot_messages())
    h.clock.advance(minutes=31)
    assert await h.services.sweeper.expire_idle_drafts() == 0  # type: ignore[union-attr]
    await h.settle()
    assert len(fei.bot_messages()) == seen
    await fei.send("再说一句")
    assert "没看懂" in fei.last_text()


async def test_a_button_can_start_the_flow(h: Harness) -> None:
    gus = h.player("gus")
    await onboard(gus)
    await gus.press_data("nt1:new")
    assert gus.last_text() == "1/3 Your note?"
    await gus.send("电梯异响")
    assert gus.last_text() == "2/3 How soon?"


async def test_a_conversation_left_in_an_older_state_goes_on_by_its_form(h: Harness) -> None:
    """An older version kept the intake's state as a number (3: the description): the form's
    step is what counts, so the answer is taken, not asked for again."""
    hal = h.player("hal")
    await onboard(hal)
    [category] = [c for c in await h.services.requests.categories() if c.name == "环境卫生"]
    form = Draft(step=Step.DESCRIPTION, category_id=category.id).model_dump(mode="json")
    await h.stop()
    await leave_behind(h.store_url, hal.id, "intake", form, 3)
    await h.start()
    await hal.send("垃圾桶满了")
    assert "最多 5 张照片" in hal.last_text()
    await hal.press("不发照片，下一步 ➡")
    assert "具体在哪里" in hal.last_text()
