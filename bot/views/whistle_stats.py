"""部门考评 in /stats: the departments' ranking and the whistles by unit, as text."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import N_, Translator
from bot.messages import OutMessage
from bot.models.whistle_stats import DepartmentFigures, DepartmentStats
from bot.views.common import esc
from bot.views.deadlines import fmt_span
from bot.views.stats import NO_VALUE, fmt_rate, period_text

__all__ = ["DEPARTMENT_RATE_NAMES", "chart_caption", "department_message"]

# The four rates of a department, in the order of the ranking's columns and the chart.
DEPARTMENT_RATE_NAMES = (
    N_("Signed in time"),
    N_("Completed on time"),
    N_("Satisfaction"),
    N_("Returned"),
)


def _span(t: Translator, span: timedelta | None) -> str:
    return NO_VALUE if span is None else fmt_span(t, span)


def _line(t: Translator, language: str, n: int, f: DepartmentFigures) -> str:
    return t(
        "{n}. {department} — {sent} sub-orders · signed in time {sign} · on time {on_time}"
        " · satisfied {satisfied} · returned {returned} · to sign {to_sign} · to complete"
        " {to_complete}"
    ).format(
        n=n,
        department=esc(f.department.label(language)),
        sent=f.sent,
        sign=fmt_rate(f.sign_rate),
        on_time=fmt_rate(f.on_time_rate),
        satisfied=fmt_rate(f.satisfaction),
        returned=fmt_rate(f.return_rate),
        to_sign=_span(t, f.median_sign),
        to_complete=_span(t, f.median_complete),
    )


def department_message(t: Translator, language: str, stats: DepartmentStats) -> OutMessage:
    """The departments' ranking of the period, and the whistles of the units below."""
    totals = stats.totals
    lines = [
        t("🏛 <b>Departments of {unit}</b>").format(unit=esc(stats.unit.label(language))),
        period_text(t, stats.period),
        t(
            "Whistles blown: {whistles} · departments reached: {departments} · difficult matters"
            " resolved: {resolved}"
        ).format(
            whistles=totals.whistles, departments=totals.departments, resolved=totals.resolved
        ),
    ]
    if stats.by_unit:
        lines += ["", t("<b>By unit</b> (whistles · departments · resolved)")]
        lines += [
            f"· {esc(f.unit.label(language))} — {f.whistles} · {f.departments} · {f.resolved}"
            for f in stats.by_unit
        ]
    lines += ["", t("<b>Ranking of departments</b>")]
    if not stats.ranking:
        lines.append(t("No sub-orders were sent in this period."))
    lines += [_line(t, language, n, f) for n, f in enumerate(stats.ranking, 1)]
    lines += [
        "",
        t(
            "Signed in time: of the sub-orders signed or unsigned past the window, those signed"
            " within it. On time: of those completed or late, those completed by the deadline."
            " Times are median working hours. The order: the mean of the rates (returns"
            " counted against)."
        ),
    ]
    return OutMessage("\n".join(lines))


def chart_caption(t: Translator, language: str, stats: DepartmentStats) -> str:
    return t("🏛 Departments of {unit} · {first} – {last}").format(
        unit=esc(stats.unit.label(language)),
        first=stats.period.first.isoformat(),
        last=stats.period.last.isoformat(),
    )
