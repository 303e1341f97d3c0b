"""Team leaders (队长) for administrators: /admin › 🎖 Team leaders — the teams and their
leaders in the administrator's areas, a single-use invitation link per team and area, and
dismissing a leader."""

from __future__ import annotations

from telegram.ext import BaseHandler

from bot.models.service import Leadership, TeamLeaders
from bot.views import leaders as views
from handlers.buttons import Buttons, Press, StaleButton

__all__ = ["handlers"]

BUTTONS: Buttons[None] = Buttons(views.LEADERS)


async def _team(press: Press, team_id: int) -> TeamLeaders:
    found = next(
        (e for e in await press.services.leaders.teams(press.actor) if e.team.id == team_id),
        None,
    )
    if found is None:
        raise StaleButton(press.cb)
    return found


@BUTTONS.on("m")
async def menu(press: Press) -> None:
    """Every team with its leaders in the administrator's areas."""
    teams = await press.services.leaders.teams(press.actor)
    await press.answer()
    await press.reply(views.teams_menu(press.t, press.language, teams))


@BUTTONS.on("t")
async def team(press: Press) -> None:
    """One team's leaders, with the links and dismissals."""
    entry = await _team(press, press.int(0))
    await press.answer()
    await press.edit(views.team_card(press.t, press.language, entry))


@BUTTONS.on("i")
async def invite(press: Press) -> None:
    """A single-use link that makes its opener the team's leader in the area."""
    svc = press.services
    team_id, unit_id = press.int(0), press.int(1)
    payload = await svc.leaders.invite(press.actor, team_id, unit_id)
    entry = await _team(press, team_id)
    area = next((a for a in entry.areas if a.id == unit_id), None)
    if area is None:
        raise StaleButton(press.cb)
    link = f"https://t.me/{press.context.bot.username}?start={payload}"
    await press.answer()
    await press.reply(
        views.invite_link(press.t, press.language, Leadership(entry.team, area), link)
    )


@BUTTONS.on("rv")
async def dismiss(press: Press) -> None:
    """Take a team's leadership in the area back."""
    team_id = press.int(0)
    await press.services.leaders.dismiss_in_bot(press.actor, team_id, press.int(1), press.int(2))
    entry = await _team(press, team_id)
    await press.answer()
    await press.edit(views.team_card(press.t, press.language, entry))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [BUTTONS.handler()]
