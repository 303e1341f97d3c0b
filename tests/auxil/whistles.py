"""A district with administrators, departments' liaisons and heads, and helpers to file a
difficult request and blow the whistle on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auxil.departments import department, join_department, person_actor
from auxil.flows import file_request, onboard
from auxil.harness import Harness, Player

from bot.models import Request
from bot.models.whistle import Post, SubOrder, Whistle, WhistleDraft, WhistlePart

__all__ = [
    "ADMINS",
    "THURSDAY_MORNING",
    "blow",
    "difficult_request",
    "orders_of",
    "staff",
    "tick",
    "whistle_world",
]

THURSDAY_MORNING = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Zhaoqing
ADMINS = {
    "community": (9601, "BY"),  # 伴月社区
    "street": (9602, "CX"),  # 城西街道
    "district": (9603, "DZ"),  # 端州区
    "xinghu": (9604, "XH"),  # 星湖社区, another community
}
# Liaisons (and one head) of the demo departments: player name -> (department, post).
STAFF = {
    "cg": ("CGJ", Post.LIAISON),  # 城管执法局
    "zj": ("ZJJ", Post.LIAISON),  # 区住建局
    "pcs": ("PCS-CX", Post.LIAISON),  # 城西派出所
    "ga": ("GAFJ", Post.LIAISON),  # 公安分局
    "zjhead": ("ZJJ", Post.HEAD),
}


@asynccontextmanager
async def whistle_world(
    tmp_path: Path, *, at: datetime = THURSDAY_MORNING, **config: Any
) -> AsyncIterator[Harness]:
    """The demo org, its administrators onboarded, the departments' people joined by link."""
    h = Harness(
        tmp_path,
        admins=[{"telegram_id": tid, "unit": unit} for tid, unit in ADMINS.values()],
        **config,
    )
    await h.start()
    try:
        await h.import_org()
        await h.restart()  # the config's admins are granted at start, once the units exist
        h.clock.set(at)
        for name, (telegram_id, _unit) in ADMINS.items():
            admin = h.player(name, user_id=telegram_id)
            await admin.command("/start")
            await admin.press("中文")
            await admin.press("跳过：我只做管理工作")
        for name, (code, post) in STAFF.items():
            await join_department(h, h.player(name), code, h.player("district"), post)
        yield h
    finally:
        await h.stop()


def staff(h: Harness) -> dict[str, Player]:
    return {name: h.player(name) for name in STAFF}


async def tick(h: Harness, **delta: float) -> None:
    """Move the clock and run the sweep as the JobQueue would."""
    h.clock.advance(timedelta(**delta))
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    await h.settle()


async def difficult_request(
    h: Harness,
    resident: Player,
    *,
    compound: str = "XHHY",
    description: str = "3栋楼顶违章搭建铁皮房",
    **options: Any,
) -> Request:
    """The resident (onboarded in ``compound``) files an illegal construction (违章搭建)."""
    await onboard(resident, compound)
    number = await file_request(
        h, resident, category="违章搭建", description=description, **options
    )
    async with h.services.db.read() as tx:
        found = await tx.requests.by_number(number)
    assert found is not None
    return found


async def blow(
    h: Harness,
    whistler: Player,
    request: Request,
    parts: list[tuple[str, bool, str]],
    *,
    share_contact: bool = False,
    note: str | None = None,
) -> tuple[Whistle, list[SubOrder]]:
    """The whistler blows the whistle: (department code, lead?, ask) per department."""
    draft = WhistleDraft(
        request_id=request.id,
        parts=[
            WhistlePart(department_id=(await department(h, code)).id, lead=lead, ask=ask)
            for code, lead, ask in parts
        ],
        note=note,
        share_contact=share_contact,
    )
    result = await h.services.whistles.blow(await person_actor(h, whistler), draft)
    await h.settle()
    return result


async def orders_of(h: Harness, request: Request) -> dict[str, SubOrder]:
    """The request's sub-orders by department code (the latest of each)."""
    async with h.services.db.read() as tx:
        whistle = await tx.whistles.by_request(request.id)
        assert whistle is not None
        orders = await tx.whistles.orders(whistle.id)
        codes = await tx.departments.many([o.department_id for o in orders])
    return {codes[o.department_id].code: o for o in orders}


async def blow_in_chat(
    whistler: Player,
    asks: list[tuple[str, str]],
    *,
    lead: str | None = None,
    note: str | None = None,
    share_contact: bool = False,
) -> str:
    """The whistle blown as a person does it, from 🔔 on the latest card that has it:
    departments (by name) with what each is asked, the lead, a note, the contact; return the
    summary it showed before sending."""
    await whistler.press("🔔 吹哨，召集部门")
    for name, _ask in asks:
        await whistler.press(name)
    await whistler.press("下一步 ➡")
    if lead is not None:
        await whistler.press(lead)
    for _name, ask in asks:
        await whistler.send(ask)
    if note is None:
        await whistler.press("跳过")
    else:
        await whistler.send(note)
    if share_contact:
        await whistler.press("☐ 向部门提供居民联系方式")
    summary = whistler.last_text()
    await whistler.press("📣 吹哨派单")
    return summary
