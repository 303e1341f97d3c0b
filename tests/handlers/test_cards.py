"""Cards of a request are edited when it moves on: an administrator's old "no member is
available" card says who has the request now and offers what fits, and members' open cards
are taken back when the request is settled."""

from __future__ import annotations

from pathlib import Path

from auxil.admins import admin_world
from auxil.flows import file_request, onboard
from auxil.members import make_member


async def test_an_old_no_member_card_shows_who_has_it_after_acceptance(tmp_path: Path) -> None:
    async with admin_world(tmp_path, {"admin": (9500, "BY")}) as h:
        admin, res, ann = h.players["admin"], h.player("res"), h.player("ann")
        await onboard(res)
        number = await file_request(h, res)
        flag = admin.last()
        assert "没有可以接单的党员" in (flag.text or "") and number in (flag.text or "")
        assert "👤 指派党员" in admin.buttons(flag)

        # A member registers; the sweep offers the request; she accepts it.
        await make_member(h, ann)
        assert h.services.sweeper is not None
        await h.services.sweeper.sweep()
        await h.settle()
        await ann.press("✋ 接单")

        card = next(m for m in admin.bot_messages() if m.message_id == flag.message_id)
        text = card.text or ""
        assert "最新进展" in text and "已接单" in text and "Ann Real" in text
        assert "没有可以接单的党员" not in text
        assert "👤 指派党员" not in admin.buttons(card)
        assert "👤 改派党员" in admin.buttons(card)
        assert "📣 再次派给党员" not in admin.buttons(card)


async def test_open_member_cards_are_taken_back_when_the_resident_cancels(org) -> None:  # type: ignore[no-untyped-def]
    h = org
    res, ann = h.player("res"), h.player("ann")
    await make_member(h, ann)
    await onboard(res)
    number = await file_request(h, res)
    offer = ann.last()
    assert "✋ 接单" in ann.buttons(offer)

    await res.tap("我的诉求")
    await res.press(f"查看 {number}")
    await res.press("✖ 撤销诉求")
    await res.press("是的，撤销")

    card = next(m for m in ann.bot_messages() if m.message_id == offer.message_id)
    assert card.inline_buttons == [] and "已不再派单" in (card.text or "")
