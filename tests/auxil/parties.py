"""The four parties as tests need them: seats filled through their invitation links, and
households bound with their one-time codes."""

from __future__ import annotations

from auxil.harness import Harness, Player

from bot.models.consult import Household
from bot.services.households import IssuedCode

__all__ = ["bind", "fill_seat", "issue_codes", "seat_id"]


async def seat_id(h: Harness, code: str) -> int:
    async with h.services.db.read() as tx:
        seat = await tx.parties.by_code(code)
    assert seat is not None, code
    return seat.id


async def fill_seat(h: Harness, admin: Player, holder: Player, code: str) -> None:
    """The admin makes the seat's link in the bot (/admin › seats) and the holder opens it."""
    await admin.press_data(f"ps1:inv:{await seat_id(h, code)}")
    text = admin.last_text()
    assert "t.me/" in text, text
    payload = text.rsplit("?start=", 1)[1].split()[0]
    await holder.command(f"/start {payload}")


async def issue_codes(h: Harness, compound: str = "XHHY") -> dict[str, str]:
    """One-time codes for the compound's households (as the committee prints them): label to
    code."""
    codes: dict[str, str] = {}

    def keep(_compound: object, issued: list[IssuedCode]) -> None:
        codes.update({i.household.label: i.code for i in issued})

    await h.services.households.issue_codes(compound, keep)
    return codes


async def bind(owner: Player, code: str) -> None:
    await owner.command(f"/bind {code}")
    assert "您已绑定" in owner.last_text(), owner.last_text()


async def households(h: Harness, compound: str = "XHHY") -> list[Household]:
    async with h.services.db.read() as tx:
        unit = await tx.org.get_by_code(compound)
        assert unit is not None
        return await tx.households.of_compound(unit.id)
