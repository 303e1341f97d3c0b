"""A re-tier is announced: the resident is told in their language, and the members' cards (the
pool card, then the assignee's card) are edited to show the new tier and deadline."""

from __future__ import annotations

from pathlib import Path

from auxil.admins import admin_world
from auxil.harness import Player
from auxil.members import make_member

from bot.emulator.core import StoredMessage
from bot.models import Request


def card(player: Player, number: str) -> StoredMessage:
    """The first card the player got about ``number`` (as it reads now, after edits)."""
    return next(m for m in player.bot_messages() if number in (m.text or "") and m.inline_buttons)


async def test_a_retier_tells_the_resident_and_edits_both_cards(tmp_path: Path) -> None:
    async with admin_world(tmp_path, {"admin": (9500, "BY")}) as h:
        admin, ann, bao = h.players["admin"], h.player("ann"), h.player("bao")
        res = h.player("res", language_code="en")
        await make_member(h, ann)
        await make_member(h, bao)
        await res.command("/start c_XHHY")
        await res.press("English")
        await file_request_en(res)
        async with h.services.db.read() as tx:
            request = await tx.requests.by_number("DZ-2026-000001")
        assert request is not None and request.tier.value == "important"
        number = request.number
        pool_card = card(bao, number)
        assert "要事" in (pool_card.text or "")

        # Nobody has it yet: the pool cards show the new tier and the new time to accept it.
        await admin.press_data(f"es1:tier:{request.id}:urgent")
        urgent = await fetch(h, number)
        assert urgent.accept_due_at is not None
        accept_by = urgent.accept_due_at.astimezone(h.config.tz).strftime("%Y-%m-%d %H:%M")
        edited = card(bao, number).text or ""
        assert "急事" in edited and "要事" not in edited
        assert f"接单期限：{accept_by}" in edited
        assert card(bao, number).message_id == pool_card.message_id  # edited, not a new one
        assert res.last_text().startswith(f'Your request {number} is now "Urgent: act now"')
        assert "To be resolved by" in res.last_text()

        # Ann takes it; a second re-tier edits the card she works from.
        await ann.press("✋ 接单")
        working = card(ann, number)
        await admin.press_data(f"es1:tier:{request.id}:difficult")
        difficult = await fetch(h, number)
        assert difficult.resolve_due_at is not None
        resolve_by = difficult.resolve_due_at.astimezone(h.config.tz).strftime("%Y-%m-%d %H:%M")
        edited = card(ann, number).text or ""
        assert card(ann, number).message_id == working.message_id
        assert "难事" in edited and "急事" not in edited
        assert f"办理期限：{resolve_by}" in edited
        assert card(ann, number).inline_buttons[0]["text"] == "🚶 我正在赶来"
        assert res.last_text().startswith(f'Your request {number} is now "Difficult: joint')
        assert resolve_by in res.last_text()
        # Bao's card was edited to say who took it, and keeps saying so.
        taken = next(m for m in bao.bot_messages() if m.message_id == pool_card.message_id)
        assert "Ann Real" in (taken.text or "") and not taken.inline_buttons


async def file_request_en(player: Player) -> None:
    """The intake in English, with the defaults of ``file_request``."""
    await player.tap("Raise a request")
    await player.press("Property and repairs")
    await player.send("The corridor light is broken")
    await player.press("No photos, next ➡")
    await player.tap("Skip")
    await player.press("No")
    await player.tap("Skip")
    await player.press("✅ Confirm")


async def fetch(h, number: str) -> Request:  # type: ignore[no-untyped-def]
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found
