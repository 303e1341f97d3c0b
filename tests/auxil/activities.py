"""Volunteer activities for tests: published through the service (the publishing flow has its
own tests), people signed up by pressing the invitation's button."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from auxil.harness import Harness, Player

from bot.models.activities import Activity, ActivityForm, Audience
from bot.services.people import Actor

__all__ = ["LOCAL", "actor_of", "publish", "sweep_at"]

LOCAL = ZoneInfo("Asia/Shanghai")


async def actor_of(h: Harness, player: Player) -> Actor:
    async with h.services.db.read() as tx:
        person = await tx.people.by_telegram(player.id)
    assert person is not None
    return await h.services.people.actor(person.id)


async def publish(
    h: Harness,
    organiser: Player,
    *,
    start: datetime,
    title: str = "读书分享会",
    minutes: int = 120,
    capacity: int = 3,
    station: str | None = "S-XHHY",
    audience: tuple[Audience, ...] = (Audience.RESIDENTS,),
    unit: str = "BY",
    team: str | None = None,
    address: str | None = None,
) -> Activity:
    """Publish an activity starting at ``start`` (aware) as ``organiser``; wait for the
    invitations to be delivered."""
    async with h.services.db.read() as tx:
        area = await tx.org.get_by_code(unit)
        place = await tx.org.station_by_code(station) if station else None
        teams = {t.code: t.id for t in await tx.org.teams()}
    assert area is not None
    local = start.astimezone(LOCAL)
    form = ActivityForm(
        unit_id=area.id,
        title=title,
        description="一起读书、交流心得",
        day=local.date(),
        start=f"{local:%H:%M}",
        minutes=minutes,
        station_id=place.id if place else None,
        address=address,
        capacity=capacity,
        audience=list(audience),
        team_id=teams[team] if team else None,
    )
    published = await h.services.activities.publish(await actor_of(h, organiser), form)
    await h.settle()
    return published.activity


async def sweep_at(h: Harness, when: datetime) -> None:
    """Move the clock and run the sweep as the JobQueue would."""
    h.clock.set(when)
    assert h.services.sweeper is not None
    await h.services.sweeper.sweep()
    await h.settle()
