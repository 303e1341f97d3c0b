"""/stats and /export: the statistics of an administrator's area (text and chart) and the Excel
export, with buttons for the period, the units below and the export."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.services.people import Actor
from bot.services.stats import EXPORT, VIEW, Period  # audit actions
from bot.views import stats as views
from handlers.common import answer_expired, reply, say_error

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)


def _language(context: GridContext, actor: Actor) -> str:
    return actor.person.language or context.services.i18n.default


async def _show(
    update: Update, context: GridContext, actor: Actor, unit_id: int, period: Period
) -> None:
    """The figures as a message, then the chart as a photo."""
    from bot.charts import (  # matplotlib: loaded when first needed
        ChartError,
        heat_map_png,
        stats_chart,
    )

    svc = context.services
    t = context.t(actor)
    language = _language(context, actor)
    stats = await svc.stats.stats(actor, unit_id, period)
    await reply(update, context, views.stats_message(t, language, stats))
    try:
        png = await asyncio.to_thread(stats_chart, stats, t, language)
    except ChartError as exc:  # the figures went out; the chart needs a font installed
        LOG.error("no statistics chart: %s", exc)
        return
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, png, caption=views.chart_caption(t, language, stats))
    heat = await svc.stats.heat_map(actor, unit_id, period)  # a street or the district
    if heat is not None:
        png = await asyncio.to_thread(heat_map_png, heat, t, language)
        await context.bot.send_photo(chat.id, png, caption=views.heat_caption(t, language, heat))


async def _export(
    update: Update, context: GridContext, actor: Actor, unit_id: int, period: Period
) -> None:
    """The XLSX of the requests and the statistics, as a document."""
    from bot.export import workbook_bytes  # openpyxl: loaded when first needed

    svc = context.services
    t = context.t(actor)
    language = _language(context, actor)
    export = await svc.stats.export(actor, unit_id, period)
    data = await asyncio.to_thread(workbook_bytes, export, t, language, svc.config.tz)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        data,
        filename=views.export_filename(export),
        caption=views.export_caption(t, language, export),
    )


async def _command(update: Update, context: GridContext, *, export: bool) -> None:
    """Read the period, then show or export the admin's area (or ask which one)."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    try:
        period = (
            svc.stats.parse_period(" ".join(context.args)) if context.args else svc.stats.period()
        )
        scopes = await svc.stats.scopes(actor, EXPORT if export else VIEW)
        if len(scopes) > 1:
            message = views.choose_scope(
                t, _language(context, actor), scopes, period, export=export
            )
            await reply(update, context, message)
        elif export:
            await _export(update, context, actor, scopes[0].id, period)
        else:
            await _show(update, context, actor, scopes[0].id, period)
    except DomainError as err:
        await say_error(update, context, t, err)


async def stats_command(update: Update, context: GridContext) -> None:
    """Show the statistics of this month, or of the dates typed after the command."""
    await _command(update, context, export=False)


async def export_command(update: Update, context: GridContext) -> None:
    """Send the Excel export of this month, or of the dates typed after the command."""
    await _command(update, context, export=True)


async def on_button(update: Update, context: GridContext) -> None:
    """A period, a unit, the export, or the hint about typed dates."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.STATS)
    if cb is not None and cb.action == views.ACT_DATES:
        await query.answer()
        await reply(update, context, views.dates_hint(t))
        return
    unit_id = cb.int_arg(0) if cb else None
    code = cb.arg(1) if cb else None
    known = cb is not None and cb.action in (views.ACT_VIEW, views.ACT_EXPORT)
    if cb is None or not known or unit_id is None or not code:
        await answer_expired(query, t)
        return
    try:
        period = svc.stats.decode_period(code)
        if cb.action == views.ACT_EXPORT:
            await _export(update, context, actor, unit_id, period)
        else:
            await _show(update, context, actor, unit_id, period)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await query.answer()


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("stats", stats_command, filters.ChatType.PRIVATE),
        CommandHandler("export", export_command, filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_button, pattern=cbdata.pattern(views.STATS)),
    ]
