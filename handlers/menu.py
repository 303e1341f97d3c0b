"""/services and the 服务菜单 button: the teams' projects, one project's page, the way to
activities, nearby stations and points; and /team, a team leader's orders (队长)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.models.service import MenuEntry
from bot.services.people import Actor
from bot.views import service as views
from bot.views import stations as station_views
from bot.views.common import SERVICE_MENU, main_keyboard
from handlers.activities import show_activities
from handlers.buttons import Buttons, Press
from handlers.common import reply, say_error
from handlers.points import show_points

__all__ = ["handlers"]


async def show_menu(update: Update, context: GridContext, actor: Actor) -> None:
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    await reply(update, context, views.menu(t, language, await svc.menu.menu(actor)))


async def services_command(update: Update, context: GridContext) -> None:
    """The service menu (also the 服务菜单 button)."""
    await show_menu(update, context, await context.actor(update))


BUTTONS: Buttons[object] = Buttons(views.MENU)


@BUTTONS.on("menu")
async def menu_again(press: Press) -> None:
    """Back to the menu."""
    await press.answer()
    await show_menu(press.update, press.context, press.actor)


@BUTTONS.on("p")
async def project(press: Press) -> None:
    """One project: what it offers, when, where; Order."""
    svc = press.services
    team = await svc.menu.team(press.int(0))
    entry = next((e for e in await svc.menu.menu(press.actor) if e.team.id == team.id), None)
    await press.answer()
    await press.reply(views.project(press.t, press.language, entry or MenuEntry(team, 0)))


@BUTTONS.on("act")
async def activities(press: Press) -> None:
    """Volunteer activities."""
    await press.answer()
    await show_activities(press.update, press.context, press.actor)


@BUTTONS.on("near")
async def near(press: Press) -> None:
    """Stations near me: ask for the location."""
    await press.answer()
    menu = main_keyboard(press.actor.roles, press.t)
    await press.reply(station_views.where_prompt(press.t, menu))


@BUTTONS.on("pts")
async def points(press: Press) -> None:
    """My points."""
    await press.answer()
    await show_points(press.update, press.context, press.actor)


# -- team leaders (队长) ---------------------------------------------------------------------
async def team_command(update: Update, context: GridContext) -> None:
    """A team leader's open orders (which team, when they lead several)."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    teams = await svc.menu.led_teams(actor)
    if not teams:
        await reply(update, context, views.not_a_leader(t))
        return
    if len({team.id for team, _unit in teams}) > 1:
        await reply(update, context, views.leader_teams(t, language, teams))
        return
    team = teams[0][0]
    try:
        orders = await svc.menu.team_orders(actor, team.id)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, views.leader_orders(t, language, team, orders))


@BUTTONS.on("lt")
async def leader_team(press: Press) -> None:
    """The open orders of one of the leader's teams."""
    svc = press.services
    team_id = press.int(0)
    orders = await svc.menu.team_orders(press.actor, team_id)
    team = await svc.menu.team(team_id)
    await press.answer()
    await press.reply(views.leader_orders(press.t, press.language, team, orders))


@BUTTONS.on("la")
async def leader_assign(press: Press) -> None:
    """Which member of the team gets the order."""
    request, members = await press.services.menu.team_candidates(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.leader_candidates(press.t, request, members))


@BUTTONS.on("lm")
async def leader_member(press: Press) -> None:
    """Give the order to this member (they accept or decline)."""
    request, member = await press.services.menu.team_assign(
        press.actor, press.int(0), press.int(1)
    )
    await press.answer()
    await press.edit(views.leader_assigned(press.t, request, member))


async def menu_button(update: Update, context: GridContext) -> None:
    """The 服务菜单 button of the main keyboard."""
    await services_command(update, context)


def handlers(i18n: I18n) -> list[BaseHandler]:  # type: ignore[type-arg]
    labels = sorted(i18n.all_translations(SERVICE_MENU))
    return [
        CommandHandler("services", services_command, filters.ChatType.PRIVATE),
        CommandHandler("team", team_command, filters.ChatType.PRIVATE),
        MessageHandler(filters.ChatType.PRIVATE & filters.Text(labels), menu_button),
        BUTTONS.handler(),
    ]
