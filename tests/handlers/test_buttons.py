"""Buttons by table: every action has its function; what none can take is answered."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from auxil.admins import admin_world
from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler

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


async def test_every_callback_prefix_belongs_to_one_feature(tmp_path: Path) -> None:
    """Two features sharing a callback prefix take each other's presses (a flow's catch-all
    answers the other's button as expired): every prefix the bot handles has one owner."""
    async with admin_world(tmp_path, {"admin": (9500, "BY")}) as h:
        assert h.app is not None
        owners: dict[str, set[str]] = {}

        def module_of(thing: object) -> str:
            """The handlers module that defines ``thing`` (a flow, a table of buttons)."""
            return next(
                name
                for name, module in sorted(sys.modules.items())
                if name.startswith(("handlers.", "auxil.")) and thing in vars(module).values()
            )

        def owner_of(callback: object) -> str:
            bound = getattr(callback, "__self__", None)  # a table's or a flow's own method
            if bound is not None:
                return module_of(bound)
            return str(getattr(callback, "__module__", "?"))

        def visit(handler: BaseHandler, owner: str | None = None) -> None:  # type: ignore[type-arg]
            if isinstance(handler, ConversationHandler):
                name = owner_of(handler.entry_points[0].callback)
                for inner in [
                    *handler.entry_points,
                    *(x for hs in handler.states.values() for x in hs),
                    *handler.fallbacks,
                ]:
                    visit(inner, name)
            elif isinstance(handler, CallbackQueryHandler) and isinstance(
                handler.pattern, re.Pattern
            ):
                found = re.match(r"\^([a-z]+)(?:1|\\d\+):", handler.pattern.pattern)
                if found:
                    who = owner or owner_of(handler.callback)
                    owners.setdefault(found[1], set()).add(who)

        for group in h.app.handlers.values():
            for handler in group:
                visit(handler)
        shared = {prefix: sorted(who) for prefix, who in owners.items() if len(who) > 1}
        assert shared == {}, shared
        assert {"cv", "pp", "vo", "ai", "pa", "ps", "cs", "ov", "pr"} <= set(owners)
