"""Messages of the statistics (/stats) and the export (/export)."""

from __future__ import annotations

from datetime import timedelta

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import OrgUnit, Tier
from bot.models.consult import ConsultFigures
from bot.models.stats import Export, HeatMap, Period, PeriodKind, Rate, Stats
from bot.views.common import esc
from bot.views.deadlines import fmt_span
from bot.views.requests import TIER_SHORT

__all__ = [
    "ACT_DATES",
    "ACT_EXPORT",
    "ACT_VIEW",
    "NO_VALUE",
    "PERIOD_NAMES",
    "RATE_NAMES",
    "STATS",
    "chart_caption",
    "choose_scope",
    "dates_hint",
    "export_caption",
    "export_filename",
    "fmt_rate",
    "period_text",
    "stats_message",
]

STATS = "st"
ACT_VIEW = "v"  # callback actions
ACT_EXPORT = "x"
ACT_DATES = "dates"

PERIOD_NAMES = {
    PeriodKind.WEEK: N_("This week"),
    PeriodKind.MONTH: N_("This month"),
    PeriodKind.LAST_MONTH: N_("Last month"),
    PeriodKind.RANGE: N_("Chosen dates"),
    PeriodKind.ALL: N_("Since the start"),
}
RATE_NAMES = (N_("Response rate"), N_("Resolution rate"), N_("Satisfaction rate"))
NO_VALUE = "–"
_EXAMPLE = "2026-11-01 2026-11-30"


def fmt_rate(rate: Rate) -> str:
    """A rate as a percentage ('75%', '66.7%'), or a dash when there was nothing to count."""
    percent = rate.percent
    if percent is None:
        return NO_VALUE
    text = f"{percent:.1f}".removesuffix(".0")
    return f"{text}%"


def period_text(t: Translator, period: Period) -> str:
    """'This month: 2026-11-01 – 2026-11-26' ('Since the start: ...' for the cumulative
    view)."""
    return t("{name}: {first} – {last}").format(
        name=t(PERIOD_NAMES[period.kind]),
        first=period.first.isoformat(),
        last=period.last.isoformat(),
    )


def _duration(t: Translator, span: timedelta | None) -> str:
    return t("no data") if span is None else fmt_span(t, span)


def _rates(figures_rates: tuple[Rate, Rate, Rate]) -> str:
    return " · ".join(fmt_rate(r) for r in figures_rates)


def _buttons(t: Translator, language: str, stats: Stats) -> tuple[tuple[Button, ...], ...]:
    unit_id = stats.unit.id
    periods = []
    for kind in (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.LAST_MONTH, PeriodKind.ALL):
        label = t(PERIOD_NAMES[kind])
        if stats.period.kind is kind:
            label = "✔ " + label
        periods.append(Button(label, cbdata.encode(STATS, ACT_VIEW, unit_id, kind.value)))
    code = stats.period.code
    places = [
        Button(
            t("🔍 {unit}").format(unit=f.unit.label(language)),
            cbdata.encode(STATS, ACT_VIEW, f.unit.id, code),
        )
        for f in stats.ranking
    ]
    if stats.up is not None:
        places.append(
            Button(
                t("⬆ {unit}").format(unit=stats.up.label(language)),
                cbdata.encode(STATS, ACT_VIEW, stats.up.id, code),
            )
        )
    return (
        tuple(periods[:2]),
        tuple(periods[2:]),
        (
            Button(t("📅 Other dates"), cbdata.encode(STATS, ACT_DATES)),
            Button(t("📥 Excel"), cbdata.encode(STATS, ACT_EXPORT, unit_id, code)),
        ),
        *rows(*places),
    )


def stats_message(t: Translator, language: str, stats: Stats) -> OutMessage:
    """The figures as text, with buttons for the period, the units below and the export."""
    counts = stats.totals.counts
    totals = stats.totals
    tiers = " · ".join(f"{t(TIER_SHORT[tier])} {stats.by_tier[tier]}" for tier in Tier)
    categories = " · ".join(
        f"{esc(category.label(language))} {n}" for category, n in stats.by_category
    )
    lines = [
        t("📊 <b>Statistics of {unit}</b>").format(unit=esc(stats.unit.label(language))),
        period_text(t, stats.period),
        "",
        t("Requests received: <b>{n}</b> (cancelled: {cancelled})").format(
            n=counts.received, cancelled=counts.cancelled
        ),
        t("By tier: {tiers}").format(tiers=tiers),
        t("By category: {categories}").format(categories=categories or t("(none)")),
        t("Open now: {open} · overdue now: {overdue}").format(
            open=stats.open_now, overdue=stats.overdue_now
        ),
        "",
        t("<b>The three rates</b>"),
        t(
            "Response rate: <b>{rate}</b> ({n} of {d} dispatched were accepted in time; one still"
            " inside its time to accept is not counted yet)"
        ).format(
            rate=fmt_rate(totals.response),
            n=totals.response.numerator,
            d=totals.response.denominator,
        ),
        t("Resolution rate: <b>{rate}</b> ({n} of {d} received were resolved)").format(
            rate=fmt_rate(totals.resolution),
            n=totals.resolution.numerator,
            d=totals.resolution.denominator,
        ),
        t("Satisfaction rate: <b>{rate}</b> ({n} of {d} ratings were satisfied)").format(
            rate=fmt_rate(totals.satisfaction),
            n=totals.satisfaction.numerator,
            d=totals.satisfaction.denominator,
        ),
        t("Median time to accept: {accept} · to resolve: {resolve}").format(
            accept=_duration(t, stats.median_accept), resolve=_duration(t, stats.median_resolve)
        ),
        "",
        t("<b>Work done</b>"),
        t("Residents visited and contacted: {n}").format(n=stats.residents_visited),
        t("Opinions collected: {n}").format(n=stats.opinions),
        t("Micro-matters solved: {n}").format(n=stats.micro_matters),
        t("Volunteer activities: {n}").format(n=stats.volunteer_activities),
    ]
    teams = [f for f in stats.teams if f.orders]
    if stats.teams:
        lines += ["", t("<b>Service teams</b> (orders · done · satisfaction)")]
        lines += [
            t("{project} · {team}: {orders} · {done} · {rate}").format(
                project=esc(f.team.project_label(language)),
                team=esc(f.team.label(language)),
                orders=f.orders,
                done=f.done,
                rate=fmt_rate(f.satisfaction),
            )
            for f in teams
        ] or [t("No service orders in this period.")]
    if stats.consult is not None:
        lines += ["", *consult_lines(t, stats.consult)]
    if stats.ranking:
        lines += ["", t("<b>Ranking</b> (response · resolution · satisfaction)")]
        lines += [
            f"{n}. {esc(f.unit.label(language))} — {_rates(f.rates)}"
            for n, f in enumerate(stats.ranking, 1)
        ]
    return OutMessage("\n".join(lines), buttons=_buttons(t, language, stats))


def consult_lines(t: Translator, figures: ConsultFigures) -> list[str]:
    """要事商议办: consultations, owners' votes, action items and property ratings."""
    lines = [t("<b>Important matters settled by consultation</b>")]
    if figures.empty:
        return [*lines, t("No consultations, owners' votes or property ratings in this period.")]
    return [
        *lines,
        t("Consultations held: {held} · decisions made: {decided}").format(
            held=figures.held, decided=figures.decided
        ),
        t(
            "Owners' votes closed: {n} ({passed} passed) · turnout {owners} of owners,"
            " {area} of floor area"
        ).format(
            n=figures.votes,
            passed=figures.votes_passed,
            owners=fmt_rate(Rate(figures.voted, figures.on_roll)),
            area=fmt_rate(Rate(figures.voted_area, figures.roll_area)),
        ),
        t("Action items done on time: {rate} ({n} of {d})").format(
            rate=fmt_rate(Rate(figures.items_on_time, figures.items_due)),
            n=figures.items_on_time,
            d=figures.items_due,
        ),
        t("Property-service rating: {rate} satisfied ({n} of {d} answers)").format(
            rate=fmt_rate(Rate(figures.rating_satisfied, figures.rating_answers)),
            n=figures.rating_satisfied,
            d=figures.rating_answers,
        ),
    ]


def chart_caption(t: Translator, language: str, stats: Stats) -> str:
    return t("📈 {unit} · {first} – {last}").format(
        unit=esc(stats.unit.label(language)),
        first=stats.period.first.isoformat(),
        last=stats.period.last.isoformat(),
    )


def heat_caption(t: Translator, language: str, heat: HeatMap) -> str:
    return t("🗺 {unit}: requests per 100 households · ★ topics of {month}").format(
        unit=esc(heat.unit.label(language)), month=heat.month
    )


def choose_scope(
    t: Translator, language: str, scopes: list[OrgUnit], period: Period, *, export: bool
) -> OutMessage:
    """An admin of several units picks one."""
    action = ACT_EXPORT if export else ACT_VIEW
    buttons = [
        Button(u.label(language), cbdata.encode(STATS, action, u.id, period.code)) for u in scopes
    ]
    return OutMessage(
        t("<b>Which area?</b>") + "\n" + period_text(t, period), buttons=rows(*buttons, width=1)
    )


def dates_hint(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Type the dates after the command, for example:\n/stats {example}\n/export {example}"
        ).format(example=_EXAMPLE)
    )


def export_caption(t: Translator, language: str, export: Export) -> str:
    stats = export.stats
    return t("📥 {n} requests of {unit}, {first} – {last}").format(
        n=len(export.rows),
        unit=esc(stats.unit.label(language)),
        first=stats.period.first.isoformat(),
        last=stats.period.last.isoformat(),
    )


def export_filename(export: Export) -> str:
    period = export.stats.period
    return f"gridbot-{export.stats.unit.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
