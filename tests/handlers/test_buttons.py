"""Buttons by table: every action has its function; what none can take is answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from auxil.admins import admin_world

from handlers.admin import BUTTONS
from handlers.buttons import Buttons


async def test_presses_no_function_can_take_are_answered(tmp_path: Path) -> None:
    async with admin_world(tmp_path, {"admin": (9500, "BY")}) as h:
        admin = h.players["admin"]
        await admin.command("/admin")
        for data in ("ad1:nope", "ad1:o", "ad1:o:abc", "ad1:q:someday:-:0:0", "ad0:o:1"):
            await admin.press_data(data)
            assert "此菜单已过期" in (admin.last_answer() or {})["text"], data
        # A well-formed press the service refuses: its reason, as an alert.
        await admin.press_data("ad1:o:999")
        answer = admin.last_answer() or {}
        assert answer["text"] == "该诉求不存在。" and answer["show_alert"]
        # And one that works, through its own function.
        await admin.press_data("ad1:q:open:-:0:0")
        assert admin.last_text().startswith("诉求队列：未办结")


def test_an_action_has_one_function_and_a_handler_names_only_known_ones() -> None:
    table: Buttons[None] = Buttons("zz")

    @table.on("a")
    async def first(press) -> None:  # type: ignore[no-untyped-def]
        """One."""

    with pytest.raises(ValueError, match="registered twice"):
        table.on("a")(first)
    with pytest.raises(ValueError, match="no function"):
        table.handler("b")
    assert BUTTONS.handler("q", "o").pattern.pattern == r"^ad1:(q|o)(:|$)"  # type: ignore[union-attr]
