"""The Excel export: one row per request received in the period, and a sheet of statistics.

Times are written in local time (Excel has no time zones); rates as fractions with a percent
format, so they can be summed and charted in the spreadsheet.

Text in the file — names, descriptions, places, comments, and the org's own names — is
always a string cell, never a formula: text that a spreadsheet would read as one (starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, as the
OWASP guidance on spreadsheet injection recommends, and characters the file format cannot hold
are dropped. Only numbers and times are written as values.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.art278 import Tally
from bot.i18n import N_, NC_, Translator
from bot.models import Tier
from bot.models.stats import Export, Rate, Stats
from bot.models.whistle_stats import DepartmentStats
from bot.views.consult import STATE_NAMES as CONSULT_STATES
from bot.views.requests import RATING_NAMES, TIER_SHORT, status_name
from bot.views.stats import RATE_NAMES, period_text
from bot.views.whistle_stats import DEPARTMENT_RATE_NAMES

__all__ = ["COLUMNS", "build_workbook", "cell_text", "workbook_bytes", "write_workbook"]

COLUMNS = (
    N_("Request number"),
    N_("Status"),
    N_("Tier"),
    N_("Category"),
    N_("Compound"),
    N_("Community"),
    N_("Assignee"),
    N_("Rating"),
    N_("Filed at"),
    N_("Triaged at"),
    N_("Dispatched at"),
    N_("Accepted at"),
    N_("Resolved at"),
    N_("Closed at"),
    N_("Description"),
    N_("Place"),
    N_("Rating comment"),
)
_TIMES = range(9, 15)  # the columns of times (1-based)
_TIME_FORMAT = "yyyy-mm-dd hh:mm"
_PERCENT = "0.0%"
_BOLD = Font(bold=True)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(text: str) -> str:
    """Text as it goes into a cell: never read as a formula, nothing XLSX cannot hold."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _append(sheet: Worksheet, values: list[Any]) -> None:
    """Append a row; every text in it is a string cell (see :func:`cell_text`)."""
    sheet.append([cell_text(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _local(when: datetime | None, tz: tzinfo) -> datetime | None:
    return None if when is None else when.astimezone(tz).replace(tzinfo=None)


def _hours(span: timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds() / 3600, 2)


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for n, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(n)].width = width


def _requests_sheet(
    sheet: Worksheet, export: Export, t: Translator, language: str, tz: tzinfo
) -> None:
    _append(sheet, [t(c) for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = _BOLD
    for row in export.rows:
        _append(
            sheet,
            [
                row.number,
                status_name(t, row.status),
                t(TIER_SHORT[row.tier]),
                row.category(language),
                row.compound(language),
                row.community(language),
                row.assignee_name or "",
                t(RATING_NAMES[row.rating]) if row.rating else "",
                *(
                    _local(when, tz)
                    for when in (
                        row.created_at,
                        row.triaged_at,
                        row.dispatched_at,
                        row.accepted_at,
                        row.resolved_at,
                        row.closed_at,
                    )
                ),
                row.description,
                row.address,
                row.rating_comment,
            ],
        )
    for column in sheet.iter_cols(min_col=_TIMES.start, max_col=_TIMES.stop - 1, min_row=2):
        for cell in column:
            cell.number_format = _TIME_FORMAT
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, len(export.rows) + 1)}"
    _widths(sheet, [16, 14, 8, 14, 14, 12, 12, 10, *([17] * 6), 40, 20, 30])


def _rate_cells(rate: Rate) -> list[Any]:
    value = rate.value
    return [None if value is None else float(value), f"{rate.numerator}/{rate.denominator}"]


def _statistics_sheet(sheet: Worksheet, stats: Stats, t: Translator, language: str) -> None:
    totals = stats.totals
    counts = totals.counts
    percent_rows: list[int] = []

    def add(label: str, *values: Any, percent: bool = False, bold: bool = False) -> None:
        _append(sheet, [label, *values])
        if percent:
            percent_rows.append(sheet.max_row)
        if bold:
            sheet.cell(sheet.max_row, 1).font = _BOLD

    add(t("Unit"), " › ".join(u.label(language) for u in stats.path), bold=True)
    add(t("Period"), period_text(t, stats.period), bold=True)
    add(t("Requests received"), counts.received)
    add(t("Cancelled requests"), counts.cancelled)
    add(t("Open now"), stats.open_now)
    add(t("Overdue now"), stats.overdue_now)
    for name, rate in zip(RATE_NAMES, totals.rates, strict=True):
        add(t(name), *_rate_cells(rate), percent=True)
    add(t("Median time to accept (hours)"), _hours(stats.median_accept))
    add(t("Median time to resolve (hours)"), _hours(stats.median_resolve))
    add(t("Residents visited and contacted"), stats.residents_visited)
    add(t("Opinions collected"), stats.opinions)
    add(t("Micro-matters solved"), stats.micro_matters)
    add(t("Volunteer activities"), stats.volunteer_activities)
    sheet.append([])
    add(t("By tier"), bold=True)
    for tier in Tier:
        add(t(TIER_SHORT[tier]), stats.by_tier[tier])
    sheet.append([])
    add(t("By category"), bold=True)
    for category, n in stats.by_category:
        add(category.label(language), n)
    if stats.ranking:
        sheet.append([])
        add(t("Ranking"), bold=True)
        header = [t("Unit"), t("Requests received"), *(t(name) for name in RATE_NAMES)]
        _append(sheet, header)
        for cell in sheet[sheet.max_row]:
            cell.font = _BOLD
        for figures in stats.ranking:
            rates = [r.value for r in figures.rates]
            _append(
                sheet,
                [
                    figures.unit.label(language),
                    figures.counts.received,
                    *(None if v is None else float(v) for v in rates),
                ],
            )
            for column in (3, 4, 5):
                sheet.cell(sheet.max_row, column).number_format = _PERCENT
    for row in percent_rows:
        sheet.cell(row, 2).number_format = _PERCENT
    _widths(sheet, [30, 18, 14, 14, 14])


CONSULT_COLUMNS = (
    N_("Consultation"),
    N_("Compound"),
    N_("Status"),
    N_("Convened at"),
    N_("Decided at"),
    N_("Decision"),
    N_("Proposals"),
    N_("Owners' votes"),
    N_("Owners' vote passed"),
    N_("Turnout of owners"),
    N_("Turnout by floor area"),
    N_("Objections"),
    N_("Action items"),
    N_("Action items done"),
)


def _consultations_sheet(
    sheet: Worksheet, stats: Stats, t: Translator, language: str, tz: tzinfo
) -> None:
    """要事商议办: the section's figures, then one row per consultation of the period."""
    figures = stats.consult
    assert figures is not None
    _append(sheet, [t("Important matters settled by consultation"), period_text(t, stats.period)])
    sheet.cell(sheet.max_row, 1).font = _BOLD
    rows: list[tuple[str, list[Any], bool]] = [
        (t("Consultations held"), [figures.held], False),
        (t("Decisions made"), [figures.decided], False),
        (t("Owners' votes closed"), [figures.votes], False),
        (t("Owners' votes passed"), [figures.votes_passed], False),
        (t("Turnout of owners"), _rate_cells(Rate(figures.voted, figures.on_roll)), True),
        (
            t("Turnout by floor area"),
            _rate_cells(Rate(figures.voted_area, figures.roll_area)),
            True,
        ),
        (
            t("Action items done on time"),
            _rate_cells(Rate(figures.items_on_time, figures.items_due)),
            True,
        ),
        (
            t("Property-service satisfaction"),
            _rate_cells(Rate(figures.rating_satisfied, figures.rating_answers)),
            True,
        ),
    ]
    for label, values, percent in rows:
        _append(sheet, [label, *values])
        if percent:
            sheet.cell(sheet.max_row, 2).number_format = _PERCENT
    sheet.append([])
    _append(sheet, [t(c) for c in CONSULT_COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    for row in figures.rows:
        c = row.consultation
        closed = [v for v in row.votes if v.result]
        tallies = [Tally.from_dict(v.result) for v in closed if v.result]
        owners = Rate(sum(x.voted for x in tallies), sum(x.households for x in tallies))
        area = Rate(sum(x.voted_area for x in tallies), sum(x.area for x in tallies))
        _append(
            sheet,
            [
                c.title,
                row.compound.label(language),
                t(CONSULT_STATES[c.state]),
                _local(c.created_at, tz),
                _local(c.decided_at, tz),
                c.decision or "",
                row.proposals,
                len(row.votes),
                ", ".join(t("yes") if v.passed else t("no") for v in closed),
                None if owners.value is None else float(owners.value),
                None if area.value is None else float(area.value),
                row.objections,
                row.items,
                row.items_done,
            ],
        )
        line = sheet.max_row
        for column in (4, 5):
            sheet.cell(line, column).number_format = _TIME_FORMAT
        for column in (10, 11):
            sheet.cell(line, column).number_format = _PERCENT
    _widths(sheet, [30, 14, 14, 17, 17, 40, 10, 10, 12, 12, 12, 10, 10, 12])


def _teams_sheet(sheet: Worksheet, stats: Stats, t: Translator, language: str) -> None:
    """菜单式服务: per team, its orders of the period, done, and the satisfaction."""
    header = [
        t("Project"),
        t("Team"),
        t("Orders"),
        t(NC_("team figures", "Done")),
        t("Satisfaction rate"),
        t("Ratings"),
    ]
    _append(sheet, header)
    for cell in sheet[1]:
        cell.font = _BOLD
    for figures in stats.teams:
        _append(
            sheet,
            [
                figures.team.project_label(language),
                figures.team.label(language),
                figures.orders,
                figures.done,
                *_rate_cells(figures.satisfaction),
            ],
        )
        sheet.cell(sheet.max_row, 5).number_format = _PERCENT
    sheet.freeze_panes = "A2"
    _widths(sheet, [18, 18, 10, 10, 16, 10])


def _departments_sheet(
    sheet: Worksheet, stats: DepartmentStats, t: Translator, language: str
) -> None:
    """部门考评: the departments' ranking, then the whistles by unit."""
    _append(sheet, [t("Unit"), stats.unit.label(language)])
    _append(sheet, [t("Period"), period_text(t, stats.period)])
    sheet.append([])
    header = [
        t("Rank"),
        t("Department"),
        t("Sub-orders"),
        *(t(name) for name in DEPARTMENT_RATE_NAMES),
        t("Median working hours to sign"),
        t("Median working hours to complete"),
    ]
    _append(sheet, header)
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    for rank, figures in enumerate(stats.ranking, 1):
        rates = (
            figures.sign_rate,
            figures.on_time_rate,
            figures.satisfaction,
            figures.return_rate,
        )
        _append(
            sheet,
            [
                rank,
                figures.department.label(language),
                figures.sent,
                *(None if r.value is None else float(r.value) for r in rates),
                _hours(figures.median_sign),
                _hours(figures.median_complete),
            ],
        )
        for column in (4, 5, 6, 7):
            sheet.cell(sheet.max_row, column).number_format = _PERCENT
    sheet.append([])
    _append(
        sheet,
        [
            t("Unit"),
            t("Whistles blown"),
            t("Departments reached"),
            t("Difficult matters resolved"),
        ],
    )
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    for unit in [*stats.by_unit, stats.totals]:
        _append(sheet, [unit.unit.label(language), unit.whistles, unit.departments, unit.resolved])
    _widths(sheet, [22, 22, 12, 16, 18, 14, 14, 18, 18])


def build_workbook(export: Export, t: Translator, language: str, tz: tzinfo) -> Workbook:
    """The workbook: the requests, then the statistics, the service teams' orders, 要事商议办
    (consultations) when the period has any, and the departments' figures for a street or the
    district."""
    workbook = Workbook()
    requests = workbook.active
    assert requests is not None
    requests.title = t("Requests")
    _requests_sheet(requests, export, t, language, tz)
    _statistics_sheet(workbook.create_sheet(t("Statistics")), export.stats, t, language)
    _teams_sheet(workbook.create_sheet(t("Service teams")), export.stats, t, language)
    if export.stats.consult is not None:
        sheet = workbook.create_sheet(t("Consultations"))
        _consultations_sheet(sheet, export.stats, t, language, tz)
    if export.departments is not None:
        _departments_sheet(
            workbook.create_sheet(t("Departments")), export.departments, t, language
        )
    workbook.properties.creator = "Gridbot"
    workbook.properties.created = _local(export.stats.at, tz)
    return workbook


def workbook_bytes(export: Export, t: Translator, language: str, tz: tzinfo) -> bytes:
    """The XLSX file's bytes (CPU-bound: call it in a worker thread)."""
    buffer = io.BytesIO()
    build_workbook(export, t, language, tz).save(buffer)
    return buffer.getvalue()


def write_workbook(export: Export, t: Translator, language: str, tz: tzinfo, out: Path) -> Path:
    """Write the XLSX file to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(workbook_bytes(export, t, language, tz))
    return out
