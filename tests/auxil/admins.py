"""A harness with administrators from the config (the way ``[[admins]]`` makes them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from auxil.harness import Harness, Player

__all__ = ["EVENING", "admin_world", "onboard_admin"]

EVENING = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # a Thursday, 19:00 in Zhaoqing


async def onboard_admin(admin: Player) -> None:
    """An administrator who lives elsewhere: language, then no home compound."""
    await admin.command("/start")
    await admin.press("中文")
    await admin.press("跳过：我只做管理工作")


@asynccontextmanager
async def admin_world(
    tmp_path: Path, admins: dict[str, tuple[int, str]], *, at: datetime = EVENING
) -> AsyncIterator[Harness]:
    """The demo org with ``admins`` (name: (Telegram id, unit code)) onboarded, at ``at``."""
    h = Harness(
        tmp_path, admins=[{"telegram_id": tid, "unit": unit} for tid, unit in admins.values()]
    )
    await h.start()
    try:
        await h.import_org()
        await h.restart()  # the config's admins are granted at start, once the units exist
        h.clock.set(at)
        for name, (telegram_id, _unit) in admins.items():
            await onboard_admin(h.player(name, user_id=telegram_id))
        yield h
    finally:
        await h.stop()
