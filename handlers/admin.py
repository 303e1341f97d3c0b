"""/admin: the administrator's menu, request queue, admins below, audit (/audit)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.messages import OutMessage
from bot.models import Level, Role, Tier
from bot.models.admin import QueueFilter
from bot.views import admin as views
from handlers.buttons import Buttons, Press
from handlers.common import reply, say_error

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)


async def admin_menu(update: Update, context: GridContext) -> None:
    """Show what an administrator can do."""
    actor = await context.actor(update)
    t = context.t(actor)
    units = [await context.services.org.unit(u) for u in actor.units_with(Role.ADMIN)]
    if not units:
        await reply(update, context, OutMessage(t("Only administrators can see this.")))
        return
    wide = any(u is not None and u.level in (Level.STREET, Level.DISTRICT) for u in units)
    await reply(update, context, views.admin_menu(t, can_audit=wide))


async def audit(update: Update, context: GridContext) -> None:
    """The latest audit entries of the area (street and district admins)."""
    actor = await context.actor(update)
    t = context.t(actor)
    try:
        entries = await context.services.admin.audit(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, views.audit_message(t, entries, context.services.config.tz))


BUTTONS: Buttons[None] = Buttons(views.ADMIN)


@BUTTONS.on("q")
async def show_queue(press: Press) -> None:
    """The request queue, by filter, tier, category and page."""
    svc, t, language = press.services, press.t, press.language
    which = press.choice(QueueFilter, 0)
    tier = None if press.arg(1, "-") == "-" else press.choice(Tier, 1)
    category_id = press.cb.int_arg(2) or None
    queue = await svc.admin.queue(
        press.actor, which, tier=tier, category_id=category_id, page=press.cb.int_arg(3) or 0
    )
    category = await svc.requests.category(category_id) if category_id else None
    await press.answer()
    await press.edit(
        views.queue_message(t, language, queue, which, tier, category, svc.clock.now()),
    )


@BUTTONS.on("cats")
async def category_filter(press: Press) -> None:
    """Offer the categories to filter the queue by."""
    categories = await press.services.requests.categories()
    await press.answer()
    await press.edit(
        views.category_menu(
            press.t, press.language, categories, press.arg(0, "open"), press.arg(1, "-")
        ),
    )


@BUTTONS.on("o")
async def open_request(press: Press) -> None:
    """One request of the queue as an admin card, with what the admin can do."""
    svc = press.services
    request = await svc.dispatch.admin_request(press.actor, press.int(0))
    async with svc.db.read() as tx:
        view = await svc.flow.view(tx, request, is_owner=False, supporters=0)
    await press.answer()
    message = views.admin_card(press.t, press.language, view, svc.clock.now(), svc.config.tz)
    await press.reply(message)


@BUTTONS.on("pool")
async def send_to_pool(press: Press) -> None:
    """Offer a waiting request to the members again."""
    count = await press.services.dispatch.redispatch(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.sent_to_pool(press.t, count))


@BUTTONS.on("admins")
async def admins_below(press: Press) -> None:
    """The administrators of the units below the actor's."""
    admins = await press.services.admin.admins_below(press.actor)
    await press.answer()
    await press.edit(views.admins_message(press.t, press.language, admins))


@BUTTONS.on("inv")
async def invite_units(press: Press) -> None:
    """The units a new administrator can be invited for."""
    units = await press.services.admin.units_below(press.actor)
    await press.answer()
    await press.edit(views.invite_units(press.t, press.language, units))


@BUTTONS.on("iu")
async def invite(press: Press) -> None:
    """A single-use invitation link for one unit."""
    svc = press.services
    unit_id = press.int(0)
    payload = await svc.admin.invite(press.actor, unit_id)
    unit = await svc.org.unit(unit_id)
    assert unit is not None
    link = f"https://t.me/{press.context.bot.username}?start={payload}"
    await press.answer()
    await press.edit(views.invite_link(press.t, press.language, unit, link))


@BUTTONS.on("rv")
async def revoke(press: Press) -> None:
    """Take an administrator's role back."""
    svc = press.services
    await svc.admin.revoke(press.actor, press.int(0), press.int(1))
    await press.answer(press.t("Revoked."))
    admins = await svc.admin.admins_below(press.actor)
    await press.edit(views.admins_message(press.t, press.language, admins))


@BUTTONS.on("pending")
async def pending(press: Press) -> None:
    """Registrations waiting for approval."""
    waiting = await press.services.admin.pending_members(press.actor)
    await press.answer()
    await press.reply(views.pending_message(press.t, press.language, waiting))


@BUTTONS.on("audit")
async def audit_log(press: Press) -> None:
    """The latest audit entries of the area."""
    svc = press.services
    entries = await svc.admin.audit(press.actor)
    await press.answer()
    await press.reply(views.audit_message(press.t, entries, svc.config.tz))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("admin", admin_menu, filters.ChatType.PRIVATE),
        CommandHandler("audit", audit, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
    ]
