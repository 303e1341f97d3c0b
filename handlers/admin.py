"""/admin: the administrator's menu, request queue, admins below, audit (/audit)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.messages import OutMessage
from bot.models import Level, Role, Tier
from bot.models.admin import QueueFilter
from bot.views import admin as views
from handlers.common import answer_expired, edit, reply, say_error

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


async def on_button(update: Update, context: GridContext) -> None:
    """Every button of the admin screens."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    cb = cbdata.decode(query.data, views.ADMIN)
    if cb is None:
        await answer_expired(query, t)
        return
    try:
        if cb.action == "q":
            which = QueueFilter(cb.arg(0) or "open")
            tier = None if cb.arg(1) in (None, "-") else Tier(str(cb.arg(1)))
            category_id = cb.int_arg(2) or None
            queue = await svc.admin.queue(
                actor, which, tier=tier, category_id=category_id, page=cb.int_arg(3) or 0
            )
            category = await svc.requests.category(category_id) if category_id else None
            await query.answer()
            await edit(
                query,
                views.queue_message(t, language, queue, which, tier, category, svc.clock.now()),
            )
        elif cb.action == "cats":
            categories = await svc.requests.categories()
            await query.answer()
            await edit(
                query,
                views.category_menu(
                    t, language, categories, cb.arg(0) or "open", cb.arg(1) or "-"
                ),
            )
        elif cb.action == "o" and (request_id := cb.int_arg()) is not None:
            request = await svc.dispatch.admin_request(actor, request_id)
            async with svc.db.read() as tx:
                view = await svc.flow.view(tx, request, is_owner=False, supporters=0)
            await query.answer()
            await reply(
                update,
                context,
                views.admin_card(t, language, view, svc.clock.now(), svc.config.tz),
            )
        elif cb.action == "pool" and (request_id := cb.int_arg()) is not None:
            count = await svc.dispatch.redispatch(actor, request_id)
            await query.answer()
            await reply(update, context, views.sent_to_pool(t, count))
        elif cb.action == "admins":
            admins = await svc.admin.admins_below(actor)
            await query.answer()
            await edit(query, views.admins_message(t, language, admins))
        elif cb.action == "inv":
            units = await svc.admin.units_below(actor)
            await query.answer()
            await edit(query, views.invite_units(t, language, units))
        elif cb.action == "iu" and (unit_id := cb.int_arg()) is not None:
            payload = await svc.admin.invite(actor, unit_id)
            unit = await svc.org.unit(unit_id)
            assert unit is not None
            link = f"https://t.me/{context.bot.username}?start={payload}"
            await query.answer()
            await edit(query, views.invite_link(t, language, unit, link))
        elif cb.action == "rv" and (person_id := cb.int_arg()) is not None:
            await svc.admin.revoke(actor, person_id, cb.int_arg(1) or 0)
            await query.answer(t("Revoked."))
            await edit(
                query, views.admins_message(t, language, await svc.admin.admins_below(actor))
            )
        elif cb.action == "pending":
            pending = await svc.admin.pending_members(actor)
            await query.answer()
            await reply(update, context, views.pending_message(t, language, pending))
        elif cb.action == "audit":
            entries = await svc.admin.audit(actor)
            await query.answer()
            await reply(update, context, views.audit_message(t, entries, svc.config.tz))
        else:
            await answer_expired(query, t)
    except (DomainError, ValueError) as err:
        if isinstance(err, DomainError):
            await say_error(update, context, t, err)
        else:
            await answer_expired(query, t)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("admin", admin_menu, filters.ChatType.PRIVATE),
        CommandHandler("audit", audit, filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_button, pattern=cbdata.pattern(views.ADMIN)),
    ]
