"""The statistics chart: the three rates per unit below and the requests received per week, as
a PNG drawn by matplotlib's Agg renderer.

Figures are made with the object-oriented API (no pyplot, no global state), so renders may run
in a worker thread. Every text is drawn with a CJK font found by :func:`find_cjk_font`: the
unit names and the translated labels are Chinese, and matplotlib's default font (DejaVu Sans)
has no Chinese glyphs: they would come out as empty boxes.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from matplotlib import colormaps, font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from bot.i18n import Translator
from bot.models.stats import HeatMap, Rate, Stats
from bot.models.whistle_stats import DepartmentStats
from bot.poster import KNOWN_CJK_FONTS
from bot.views.stats import NO_VALUE, RATE_NAMES
from bot.views.whistle_stats import DEPARTMENT_RATE_NAMES

__all__ = [
    "CJK_FAMILIES",
    "ChartData",
    "ChartError",
    "ConsultPanel",
    "build_figure",
    "chart_data",
    "department_chart",
    "find_cjk_font",
    "heat_map_png",
    "render_png",
    "stats_chart",
]

LOG = logging.getLogger(__name__)

# Font families with Chinese glyphs, best first.
CJK_FAMILIES: tuple[str, ...] = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "PingFang SC",
    "Heiti SC",
    "Microsoft YaHei",
    "SimHei",
)
_COLOURS = ("#c8102e", "#f28e2b", "#4e79a7")  # response, resolution, satisfaction
_TREND = "#59a14f"
_CONSULT = "#7b4f9d"  # 要事商议办: counts, shares
_CONSULT_SHARE = "#b07aa1"
_DPI = 100
_SIZE = (10.0, 8.0)  # inches: 1000 x 800 px


class ChartError(Exception):
    """The chart cannot be drawn; the message says what to install."""


@lru_cache(maxsize=1)
def find_cjk_font() -> Path:
    """The file of an installed CJK font, found through matplotlib's font manager.

    Fonts matplotlib has not cached yet (a ``.ttc`` installed after its cache was built) are
    added from the usual places first. Raises :class:`ChartError` naming the package to
    install when there is none.
    """
    manager = font_manager.fontManager
    known = {entry.name for entry in manager.ttflist}
    if not known.intersection(CJK_FAMILIES):
        for path in KNOWN_CJK_FONTS:
            if path.exists():
                LOG.info("adding the CJK font %s to matplotlib", path)
                manager.addfont(str(path))
    for family in CJK_FAMILIES:
        try:
            found = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return Path(found)
    raise ChartError(
        "No Chinese font for the charts: install fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei) or fonts-noto-cjk."
    )


@dataclass(frozen=True)
class ChartData:
    """What the chart shows, with every label already in the reader's language."""

    title: str
    rates_title: str
    rate_names: tuple[str, str, str]
    units: Sequence[str]
    rates: Sequence[tuple[float | None, float | None, float | None]]  # percentages
    trend_title: str
    weeks: Sequence[str]
    received: Sequence[int]
    consult: ConsultPanel | None = None  # 要事商议办, when the period has any


@dataclass(frozen=True)
class ConsultPanel:
    """The section of 要事商议办: counts on the left, shares (%) on the right."""

    title: str
    count_names: Sequence[str]
    counts: Sequence[int]
    shares_title: str
    share_names: Sequence[str]
    shares: Sequence[float | None]  # percentages


def chart_data(stats: Stats, t: Translator, language: str) -> ChartData:
    """The chart of a statistics view: the units below (or the unit itself, for a compound)."""
    figures = stats.ranking or [stats.totals]
    return ChartData(
        title=t("{unit}: requests and the three rates, {first} – {last}").format(
            unit=stats.unit.label(language),
            first=stats.period.first.isoformat(),
            last=stats.period.last.isoformat(),
        ),
        rates_title=t("The three rates by unit (%)"),
        rate_names=(t(RATE_NAMES[0]), t(RATE_NAMES[1]), t(RATE_NAMES[2])),
        units=[f.unit.label(language) for f in figures],
        rates=[
            (f.response.percent, f.resolution.percent, f.satisfaction.percent) for f in figures
        ],
        trend_title=(
            t("Requests received per month") if stats.monthly else t("Requests received per week")
        ),
        weeks=[day.strftime("%Y-%m" if stats.monthly else "%m-%d") for day, _n in stats.weekly],
        received=[n for _day, n in stats.weekly],
        consult=_consult_panel(stats, t),
    )


def _consult_panel(stats: Stats, t: Translator) -> ConsultPanel | None:
    figures = stats.consult
    if figures is None or figures.empty:
        return None
    return ConsultPanel(
        title=t("Important matters settled by consultation"),
        count_names=[
            t("Consultations held"),
            t("Decisions made"),
            t("Owners' votes closed"),
            t("Owners' votes passed"),
        ],
        counts=[figures.held, figures.decided, figures.votes, figures.votes_passed],
        shares_title=t("Shares (%)"),
        share_names=[
            t("Turnout of owners"),
            t("Turnout by floor area"),
            t("Action items done on time"),
            t("Property-service satisfaction"),
        ],
        shares=[
            Rate(figures.voted, figures.on_roll).percent,
            Rate(figures.voted_area, figures.roll_area).percent,
            Rate(figures.items_on_time, figures.items_due).percent,
            Rate(figures.rating_satisfied, figures.rating_answers).percent,
        ],
    )


def _consult_axes(
    counts_ax: Axes, shares_ax: Axes, panel: ConsultPanel, font: FontProperties
) -> None:
    counts = [float(n) for n in panel.counts]
    _hbars(counts_ax, panel.count_names, counts, [str(n) for n in panel.counts], _CONSULT, font)
    counts_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    counts_ax.set_xlim(0, max([*counts, 1.0]) * 1.25)
    counts_ax.set_title(panel.title, fontproperties=font)
    texts = [NO_VALUE if v is None else f"{v:.0f}%" for v in panel.shares]
    shares = [v or 0.0 for v in panel.shares]
    _hbars(shares_ax, panel.share_names, shares, texts, _CONSULT_SHARE, font)
    shares_ax.set_xlim(0, 115)
    shares_ax.set_title(panel.shares_title, fontproperties=font)


def _hbars(
    ax: Axes,
    names: Sequence[str],
    values: Sequence[float],
    texts: Sequence[str],
    colour: str,
    font: FontProperties,
) -> None:
    """Horizontal bars, top down, each with its figure at its end."""
    positions = list(range(len(values)))
    ax.barh(positions, list(values), color=colour)
    ax.set_yticks(positions, list(names), fontproperties=font)
    ax.invert_yaxis()
    for y, value, text in zip(positions, values, texts, strict=True):
        ax.annotate(
            text,
            (value, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontproperties=font,
            fontsize=9,
        )
    ax.grid(axis="x", alpha=0.3)


def _rates_axes(ax: Axes, data: ChartData, font: FontProperties) -> None:
    width = 0.8 / 3
    positions = range(len(data.units))
    for series, (name, colour) in enumerate(zip(data.rate_names, _COLOURS, strict=True)):
        values = [unit_rates[series] for unit_rates in data.rates]
        xs = [x + (series - 1) * width for x in positions]
        bars = ax.bar(xs, [v or 0.0 for v in values], width, label=name, color=colour)
        for bar, value in zip(bars, values, strict=True):
            text = NO_VALUE if value is None else f"{value:.0f}"
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontproperties=font,
                fontsize=8,
            )
    rotation = 30 if len(data.units) > 4 else 0
    ax.set_xticks(
        list(positions),
        list(data.units),
        fontproperties=font,
        rotation=rotation,
        ha="right" if rotation else "center",
    )
    ax.set_ylim(0, 115)
    ax.set_title(data.rates_title, fontproperties=font)
    ax.legend(prop=font, loc="upper right", ncols=3, fontsize=9)
    ax.grid(axis="y", alpha=0.3)


def _trend_axes(ax: Axes, data: ChartData, font: FontProperties) -> None:
    positions = list(range(len(data.weeks)))
    ax.plot(positions, list(data.received), marker="o", color=_TREND)
    ax.fill_between(positions, list(data.received), alpha=0.15, color=_TREND)
    for x, n in zip(positions, data.received, strict=True):
        ax.annotate(
            str(n),
            (x, n),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontproperties=font,
            fontsize=8,
        )
    ax.set_xticks(positions, list(data.weeks), fontproperties=font)
    ax.set_ylim(0, max([*data.received, 1]) * 1.25)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(data.trend_title, fontproperties=font)
    ax.grid(axis="y", alpha=0.3)


def build_figure(data: ChartData) -> Figure:
    """The chart as a matplotlib figure (two panels), every text in the CJK font."""
    font = FontProperties(fname=str(find_cjk_font()))
    if data.consult is None:
        figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
        rates_ax, trend_ax = figure.subplots(2, 1, height_ratios=(3, 2))
        axes = [rates_ax, trend_ax]
    else:  # a third row: 要事商议办
        figure = Figure(figsize=(_SIZE[0], _SIZE[1] * 1.35), dpi=_DPI, layout="constrained")
        grid = figure.add_gridspec(3, 2, height_ratios=(3, 2, 2))
        rates_ax = figure.add_subplot(grid[0, :])
        trend_ax = figure.add_subplot(grid[1, :])
        counts_ax, shares_ax = figure.add_subplot(grid[2, 0]), figure.add_subplot(grid[2, 1])
        _consult_axes(counts_ax, shares_ax, data.consult, font)
        axes = [rates_ax, trend_ax, counts_ax, shares_ax]
    _rates_axes(rates_ax, data, font)
    _trend_axes(trend_ax, data, font)
    for ax in axes:  # ticks made at draw time too
        ax.tick_params(labelfontfamily=font.get_name())
    figure.suptitle(data.title, fontproperties=font, fontsize=14)
    return figure


def render_png(figure: Figure) -> bytes:
    """The figure as PNG bytes (Agg)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def stats_chart(stats: Stats, t: Translator, language: str) -> bytes:
    """The PNG of a statistics view (CPU-bound: call it in a worker thread)."""
    return render_png(build_figure(chart_data(stats, t, language)))


# -- the heat map ------------------------------------------------------------------------------
_NO_DATA = "#d9d9d9"
_TOPIC = "#1f3a93"


def _grid(n: int, aspect: float = 1.6) -> tuple[int, int]:
    """Columns and rows for ``n`` cells, about ``aspect`` times wider than tall."""
    cols = max(1, min(n, math.ceil(math.sqrt(n * aspect))))
    return cols, max(1, math.ceil(n / cols))


def heat_map_figure(heat: HeatMap, t: Translator, language: str) -> Figure:
    """Communities as blocks, their compounds as cells coloured by requests per 100
    households; this month's topics marked ★ (a compound) or with a blue frame (a
    community-wide topic). No map tiles: the shape is the org tree, not geography."""
    font = FontProperties(fname=str(find_cjk_font()))
    values = [c.per_hundred for b in heat.blocks for c in b.cells if c.per_hundred is not None]
    top = max([*values, 1.0])
    cmap = colormaps["YlOrRd"]
    norm = Normalize(vmin=0.0, vmax=top)
    cols, rows = _grid(max(1, len(heat.blocks)))
    figure = Figure(figsize=(min(4.0 * cols, 16.0), 3.2 * rows + 1.4), dpi=_DPI)
    axes = figure.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, block in zip(axes.flat, heat.blocks, strict=False):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        title = block.unit.label(language) + (" ★" if block.topic else "")
        ax.set_title(title, fontproperties=font, fontsize=12)
        frame = _TOPIC if block.topic else "#888888"
        ax.add_patch(
            Rectangle((0, 0), 1, 1, fill=False, edgecolor=frame, linewidth=3 if block.topic else 1)
        )
        ccols, crows = _grid(max(1, len(block.cells)), aspect=1.2)
        w, h = 1 / ccols, 1 / crows
        for i, cell in enumerate(block.cells):
            x, y = (i % ccols) * w, 1 - (i // ccols + 1) * h
            value = cell.per_hundred
            colour = _NO_DATA if value is None else cmap(norm(value))
            ax.add_patch(
                Rectangle(
                    (x + 0.02, y + 0.02),
                    w - 0.04,
                    h - 0.04,
                    facecolor=colour,
                    edgecolor=_TOPIC if cell.topic else "white",
                    linewidth=3 if cell.topic else 1,
                )
            )
            figure_text = NO_VALUE if value is None else f"{value:.1f}"
            name = cell.unit.label(language) + (" ★" if cell.topic else "")
            dark = value is not None and norm(value) > 0.6
            ax.text(
                x + w / 2,
                y + h / 2,
                f"{name}\n{figure_text}\n" + t("{n} requests").format(n=cell.received),
                ha="center",
                va="center",
                fontproperties=font,
                fontsize=9,
                color="white" if dark else "black",
            )
    figure.colorbar(
        ScalarMappable(norm=norm, cmap=cmap),
        ax=list(axes.flat),
        orientation="horizontal",
        fraction=0.04,
        pad=0.04,
    ).set_label(t("Requests per 100 households"), fontproperties=font)
    figure.suptitle(
        t("{unit}: requests per 100 households, {first} – {last} (★ topic of {month})").format(
            unit=heat.unit.label(language),
            first=heat.period.first.isoformat(),
            last=heat.period.last.isoformat(),
            month=heat.month,
        ),
        fontproperties=font,
        fontsize=13,
    )
    return figure


def heat_map_png(heat: HeatMap, t: Translator, language: str) -> bytes:
    """The heat map as PNG (CPU-bound: call it in a worker thread)."""
    return render_png(heat_map_figure(heat, t, language))


# -- the departments (部门考评) ---------------------------------------------------------------
_DEPARTMENT_COLOURS = (
    "#4e79a7",
    "#59a14f",
    "#f28e2b",
    "#9c755f",
)  # sign, on time, satisfied, returned
_UNIT_COLOURS = ("#1f3a93", "#76b7b2", "#e15759")  # whistles, departments, resolved


def department_figure(stats: DepartmentStats, t: Translator, language: str) -> Figure:
    """The departments' four rates, best ranked on top, and the whistles of the units below."""
    font = FontProperties(fname=str(find_cjk_font()))
    ranking = stats.ranking
    rows_needed = max(1, len(ranking))
    units = stats.by_unit or [stats.totals]
    figure = Figure(figsize=(10.0, 2.8 + 0.55 * rows_needed + 2.6), dpi=_DPI, layout="constrained")
    rates_ax, units_ax = figure.subplots(2, 1, height_ratios=(0.55 * rows_needed + 1.0, 2.4))
    height = 0.8 / 4
    names = [f.department.label(language) for f in ranking]
    for series, (name, colour) in enumerate(
        zip(DEPARTMENT_RATE_NAMES, _DEPARTMENT_COLOURS, strict=True)
    ):
        values = [
            (f.sign_rate, f.on_time_rate, f.satisfaction, f.return_rate)[series].percent
            for f in ranking
        ]
        ys = [len(ranking) - 1 - i + (1.5 - series) * height for i in range(len(ranking))]
        bars = rates_ax.barh(ys, [v or 0.0 for v in values], height, label=t(name), color=colour)
        for bar, value in zip(bars, values, strict=True):
            rates_ax.annotate(
                NO_VALUE if value is None else f"{value:.0f}",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontproperties=font,
                fontsize=8,
            )
    rates_ax.set_yticks(
        [len(ranking) - 1 - i for i in range(len(ranking))], names, fontproperties=font
    )
    rates_ax.set_xlim(0, 118)
    rates_ax.set_title(t("Departments ranked (%)"), fontproperties=font, pad=24)
    if ranking:
        rates_ax.legend(
            prop=font,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=4,
            fontsize=8,
            frameon=False,
        )
    else:
        rates_ax.text(
            0.5,
            0.5,
            t("No sub-orders were sent in this period."),
            ha="center",
            va="center",
            transform=rates_ax.transAxes,
            fontproperties=font,
        )
    rates_ax.grid(axis="x", alpha=0.3)
    width = 0.8 / 3
    labels = (t("Whistles blown"), t("Departments reached"), t("Difficult matters resolved"))
    for series, (label, colour) in enumerate(zip(labels, _UNIT_COLOURS, strict=True)):
        values = [(u.whistles, u.departments, u.resolved)[series] for u in units]
        xs = [x + (series - 1) * width for x in range(len(units))]
        bars = units_ax.bar(xs, values, width, label=label, color=colour)
        for bar, value in zip(bars, values, strict=True):
            units_ax.annotate(
                str(value),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                fontproperties=font,
                fontsize=8,
            )
    units_ax.set_xticks(
        list(range(len(units))), [u.unit.label(language) for u in units], fontproperties=font
    )
    top = max([1, *(max(u.whistles, u.departments, u.resolved) for u in units)])
    units_ax.set_ylim(0, top * 1.3)
    units_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    units_ax.set_title(t("Whistles by unit"), fontproperties=font)
    units_ax.legend(prop=font, loc="upper right", ncols=3, fontsize=8)
    units_ax.grid(axis="y", alpha=0.3)
    for ax in (rates_ax, units_ax):
        ax.tick_params(labelfontfamily=font.get_name())
    figure.suptitle(
        t("{unit}: departments, {first} – {last}").format(
            unit=stats.unit.label(language),
            first=stats.period.first.isoformat(),
            last=stats.period.last.isoformat(),
        ),
        fontproperties=font,
        fontsize=14,
    )
    return figure


def department_chart(stats: DepartmentStats, t: Translator, language: str) -> bytes:
    """The departments' chart as PNG (CPU-bound: call it in a worker thread)."""
    return render_png(department_figure(stats, t, language))
