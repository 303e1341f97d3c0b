"""The end of a guided conversation is durable with its effect: a kill right after the final
press never brings the form back, and what an older crash left behind is finished silently.

A "kill" here is a copy of the database file taken right after the press, while
python-telegram-bot's own persistence round has not run (it is held), started as a new bot:
exactly what a ``kill -9`` at that moment leaves on disk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from auxil import stores
from auxil.flows import file_request, onboard, onboard_admin, register
from auxil.harness import Harness, Player
from auxil.members import make_member
from auxil.persisted import leave_behind, stored_state
from telegram.ext import Application

ADMINS = [{"telegram_id": 9801, "unit": "BY"}]
SET_ASIDE = "已暂时搁置，没有提交"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path / "before", admins=ADMINS)
    await harness.start()
    await harness.import_org()
    await harness.restart()
    try:
        yield harness
    finally:
        await harness.stop()


async def persisted(h: Harness) -> None:
    """One persistence round, as python-telegram-bot runs every second."""
    assert h.app is not None and h.app.persistence is not None
    await h.app.update_persistence()
    await h.app.persistence.flush()


async def _held(self: Application) -> None:  # type: ignore[type-arg]
    """python-telegram-bot's persistence round, held: the kill comes before it."""


def hold_persistence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Application, "update_persistence", _held)


async def killed_copy(h: Harness, where: Path) -> Harness:
    """A new bot started on a copy of the store as it is now (what was committed)."""
    url = await stores.snapshot_store(h.store_url, where, "gridbot")
    after = Harness(where, storage={"url": url}, admins=ADMINS)
    after.emulator = h.emulator
    after.clock.set(h.clock.now())
    for name, player in h.players.items():
        after.player(name, user_id=player.id)
    await after.start()
    return after


async def test_a_kill_right_after_confirm_brings_no_unfinished_request_back(
    h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = h.player("alice")
    await onboard(alice)
    await file_request(h, alice, description="电梯停在三楼不动了", confirm=False)
    await persisted(h)  # the summary is on disk, as it would be after a second
    data, names = await stored_state(h.store_url, alice.id)
    assert "intake" in data and names == ["intake"]

    hold_persistence(monkeypatch)
    await alice.press("✅ 确认提交")
    number = alice.last_text().split("诉求 ", 1)[1].split(" ", 1)[0]
    # On disk, in the same commit as the request: no draft, no conversation.
    data, names = await stored_state(h.store_url, alice.id)
    assert "intake" not in data and names == []

    after = await killed_copy(h, tmp_path / "after")
    monkeypatch.undo()
    try:
        assert after.app is not None
        assert "intake" not in after.app.user_data.get(alice.id, {})
        # Half an hour later nobody is told their filed request "was not submitted".
        seen = len(alice.bot_messages())
        after.clock.advance(minutes=31)
        assert await after.services.sweeper.expire_idle_drafts() == 0
        await after.settle()
        assert len(alice.bot_messages()) == seen
        assert not any(SET_ASIDE in text for text in alice.texts())
        # Confirm pressed again (its reply was lost with the process): the same number.
        await alice.press("✅ 确认提交")
        assert number in alice.last_text() and "已登记" in alice.last_text()
        async with after.services.db.read() as tx:
            assert await tx.fetchval("SELECT count(*) FROM requests") == 1
        # A new /request starts afresh.
        await alice.tap("反映诉求")
        assert "继续" not in alice.texts()[-2] and "第 1 步" in alice.last_text()
    finally:
        await after.stop()


async def test_a_draft_whose_nonce_was_filed_is_finished_silently_at_start_up(
    h: Harness,
) -> None:
    """What the old code left after such a kill: the draft and its state beside the request."""
    alice = h.player("alice")
    await onboard(alice)
    await file_request(h, alice, confirm=False)
    assert h.app is not None
    draft = dict(h.app.user_data[alice.id]["intake"])
    await alice.press("✅ 确认提交")
    number = alice.last_text().split("诉求 ", 1)[1].split(" ", 1)[0]
    await h.stop()
    await leave_behind(h.store_url, alice.id, "intake", draft, 8)
    await h.start()

    assert "intake" not in h.app.user_data.get(alice.id, {})
    assert await stored_state(h.store_url, alice.id) == ({}, [])
    seen = len(alice.bot_messages())
    h.clock.advance(minutes=31)
    await h.services.sweeper.sweep()
    await h.settle()
    assert len(alice.bot_messages()) == seen  # silently
    await alice.press("✅ 确认提交")
    assert number in alice.last_text() and SET_ASIDE not in alice.last_text()


async def test_an_idle_draft_that_was_filed_is_dropped_without_a_message(h: Harness) -> None:
    """Even a copy that reached the running bot's memory is never called "not submitted"."""
    alice = h.player("alice")
    await onboard(alice)
    await file_request(h, alice, confirm=False)
    assert h.app is not None
    draft = dict(h.app.user_data[alice.id]["intake"])
    await alice.press("✅ 确认提交")
    h.app.user_data[alice.id]["intake"] = draft
    seen = len(alice.bot_messages())
    h.clock.advance(minutes=31)
    assert await h.services.sweeper.expire_idle_drafts() == 0
    await h.settle()
    assert len(alice.bot_messages()) == seen
    assert "intake" not in h.app.user_data[alice.id]


async def test_me_too_ends_the_intake_with_the_follow(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = h.player("alice"), h.player("bob")
    await onboard(alice)
    await onboard(bob)
    await file_request(h, alice, description="垃圾站三天没人清理")
    await bob.tap("反映诉求")
    await bob.press("物业维修")
    await persisted(h)
    hold_persistence(monkeypatch)
    await bob.press(bob.buttons()[0])  # "me too" on alice's request
    assert "关注" in bob.last_text()
    data, names = await stored_state(h.store_url, bob.id)
    assert "intake" not in data and names == []


async def _visit(h: Harness, player: Player) -> None:
    """/visit up to its summary."""
    await make_member(h, player)
    await player.command("/visit")
    await player.press("星荷豪苑")
    await player.send("3")
    await player.send("5")
    await player.send("楼道堆物")
    await player.send("希望多装路灯")


async def _broadcast(h: Harness, player: Player) -> None:
    """/broadcast up to its preview (the admin of 伴月社区, to its residents)."""
    resident = h.player("resident")
    await onboard(resident)
    await onboard_admin(player)
    await player.command("/broadcast")
    await player.press("居民")
    await player.press("✅ 整个伴月社区")
    await player.send("本周六上午社区义诊")


@pytest.mark.parametrize(
    ("flow", "user", "prepare", "final", "done"),
    [
        ("join", "wang", register, "✅ 确认提交", "社区审核"),
        ("visit", "mei", _visit, "✅ 确认提交", "已登记走访"),
        ("broadcast", "banyue", _broadcast, "📤 发送给", "通知 #1"),
    ],
    ids=["join", "visit", "broadcast"],
)
async def test_every_flow_that_commits_ends_in_the_same_commit(
    h: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flow: str,
    user: str,
    prepare: object,
    final: str,
    done: str,
) -> None:
    player = h.player(user, user_id=9801 if user == "banyue" else None)
    await prepare(h, player)  # type: ignore[operator]
    await persisted(h)
    data, names = await stored_state(h.store_url, player.id)
    assert flow in data and names == [flow]

    hold_persistence(monkeypatch)
    await player.press(final, exact=False)
    assert done in player.texts()[-1] or done in player.texts()[-2]
    data, names = await stored_state(h.store_url, player.id)
    assert flow not in data and names == []

    after = await killed_copy(h, tmp_path / "after")
    monkeypatch.undo()
    try:
        assert after.app is not None
        assert flow not in after.app.user_data.get(player.id, {})
        seen = len(player.bot_messages())
        await player.send("再说一句")  # nothing takes it as a step of a finished form
        assert len(player.bot_messages()) == seen + 1
        assert "菜单按钮" in player.last_text()
    finally:
        await after.stop()
