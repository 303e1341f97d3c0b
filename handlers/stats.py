"""/stats and /export: the statistics of an administrator's area (text and chart) and the Excel
export, with buttons for the period, the units below and the export."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.models.stats import Period
from bot.services.people import Actor
from bot.services.stats import EXPORT, VIEW
from bot.views import stats as views
from bot.views import whistle_stats as department_views
from handlers.buttons import Buttons, Press
from handlers.common import reply, say_error

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
        department_chart,
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
    departments = await svc.whistle_stats.figures(actor, unit_id, period)  # 部门考评
    if departments is not None:
        await reply(update, context, department_views.department_message(t, language, departments))
        png = await asyncio.to_thread(department_chart, departments, t, language)
        caption = department_views.chart_caption(t, language, departments)
        await context.bot.send_photo(chat.id, png, caption=caption)


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


BUTTONS: Buttons[None] = Buttons(views.STATS)


@BUTTONS.on(views.ACT_DATES)
async def dates_hint(press: Press) -> None:
    """How to ask for a range of dates."""
    await press.answer()
    await press.reply(views.dates_hint(press.t))


@BUTTONS.on(views.ACT_VIEW, views.ACT_EXPORT)
async def unit_period(press: Press) -> None:
    """The figures, or the export, of a unit for a period."""
    unit_id, period = press.int(0), press.services.stats.decode_period(press.arg(1))
    if press.action == views.ACT_EXPORT:
        await _export(press.update, press.context, press.actor, unit_id, period)
    else:
        await _show(press.update, press.context, press.actor, unit_id, period)
    await press.answer()


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("stats", stats_command, filters.ChatType.PRIVATE),
        CommandHandler("export", export_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
    ]
