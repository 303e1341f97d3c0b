"""Departments' people and first secretaries, for the administrators in whose care they are
(and a department's head, for its liaisons): /departments, and the buttons of /admin's
Departments and First secretaries."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.models.whistle import Post
from bot.views import departments as views
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)

POSTS = {"l": Post.LIAISON, "h": Post.HEAD}


async def departments_command(update: Update, context: GridContext) -> None:
    """The departments in the person's care."""
    actor = await context.actor(update)
    t = context.t(actor)
    try:
        departments = await context.services.departments.manageable(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    language = actor.person.language or context.services.i18n.default
    await reply(update, context, views.departments_menu(t, language, departments))


BUTTONS: Buttons[None] = Buttons(views.DEPARTMENTS)


@BUTTONS.on("m")
async def menu(press: Press) -> None:
    """The departments in the administrator's care."""
    departments = await press.services.departments.manageable(press.actor)
    await press.answer()
    await press.reply(views.departments_menu(press.t, press.language, departments))


async def _card(press: Press, department_id: int) -> None:
    svc = press.services
    staff = await svc.departments.staff(press.actor)
    department = next(
        (d for d in await svc.departments.manageable(press.actor) if d.id == department_id),
        None,
    )
    if department is None:
        raise StaleButton(press.cb)
    await press.answer()
    await press.edit(views.department_card(press.t, press.language, department, staff))


@BUTTONS.on("d")
async def department(press: Press) -> None:
    """One department's people."""
    await _card(press, press.int(0))


@BUTTONS.on("i")
async def invite(press: Press) -> None:
    """A single-use link for a new liaison or head."""
    svc = press.services
    post = POSTS.get(press.arg(1))
    if post is None:
        raise StaleButton(press.cb)
    payload = await svc.departments.invite(press.actor, press.int(0), post)
    found = await svc.org.department(press.int(0))
    assert found is not None
    link = f"https://t.me/{press.context.bot.username}?start={payload}"
    await press.answer()
    await press.reply(views.invite_link(press.t, press.language, found.name, post, link))


@BUTTONS.on("rv")
async def revoke(press: Press) -> None:
    """Take a post back."""
    await press.services.departments.revoke(press.actor, press.int(0), press.int(1))
    await _card(press, press.int(0))


@BUTTONS.on("fm")
async def pairings(press: Press) -> None:
    """The pairings of the administrator's communities, with their first secretaries."""
    found = await press.services.departments.pairings(press.actor)
    await press.answer()
    await press.reply(views.pairings_menu(press.t, press.language, found))


@BUTTONS.on("fs")
async def invite_secretary(press: Press) -> None:
    """A single-use link for a community's first secretary."""
    svc = press.services
    payload = await svc.departments.invite_secretary(press.actor, press.int(0))
    found = next(
        (p for p in await svc.departments.pairings(press.actor) if p.pairing.id == press.int(0)),
        None,
    )
    if found is None:
        raise StaleButton(press.cb)
    link = f"https://t.me/{press.context.bot.username}?start={payload}"
    await press.answer()
    await press.reply(
        views.invite_link(
            press.t,
            press.language,
            found.community.label(press.language),
            Post.FIRST_SECRETARY,
            link,
        )
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("departments", departments_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
    ]
