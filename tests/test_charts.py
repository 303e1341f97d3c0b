"""The statistics chart: a PNG whose Chinese labels are drawn with a CJK font, not DejaVu."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.text import Text
from PIL import Image

from bot import charts
from bot.charts import ChartData, ChartError, build_figure, find_cjk_font, render_png

HAN = re.compile(r"[\u4e00-\u9fff]")
DATA = ChartData(
    title="伴月社区：诉求与三率，2026-11-01 – 2026-11-26",
    rates_title="各单位三率（%）",
    rate_names=("响应率", "解决率", "满意率"),
    units=["星荷豪苑", "龙马街小区"],
    rates=[(60.0, 80.0, 75.0), (0.0, 0.0, None)],
    trend_title="每周收到的诉求",
    weeks=["11-01", "11-02", "11-09", "11-16", "11-23"],
    received=[1, 0, 3, 2, 2],
)


@pytest.fixture(scope="module")
def font() -> Path:
    try:
        return find_cjk_font()
    except ChartError:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")


@pytest.fixture
def fresh_lookup() -> Iterator[None]:
    find_cjk_font.cache_clear()
    yield
    find_cjk_font.cache_clear()


def test_chinese_labels_use_the_cjk_font(font: Path) -> None:
    assert "dejavu" not in font.name.lower()
    figure = build_figure(DATA)
    render_png(figure)  # the tick labels as drawn
    texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    chinese = [text for text in texts if HAN.search(text.get_text())]
    shown = {text.get_text() for text in chinese}
    assert {DATA.title, DATA.rates_title, DATA.trend_title, *DATA.units, *DATA.rate_names} <= shown
    for text in chinese:
        assert not text.get_fontname().startswith("DejaVu"), text.get_text()
        assert Path(font_manager.findfont(text.get_fontproperties())) == font
    # Numbers and dashes are drawn with it too, so nothing falls back to DejaVu.
    for text in texts:
        assert Path(font_manager.findfont(text.get_fontproperties())) == font, text


def test_renders_a_png(font: Path) -> None:
    # Warnings are errors here: a glyph missing from the font would fail this test.
    png = render_png(build_figure(DATA))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.size == (1000, 800)
    assert len(image.getcolors(maxcolors=1 << 16) or []) > 20  # drawn, not blank


def test_many_units_and_no_data(font: Path) -> None:
    data = ChartData(
        title="端州区",
        rates_title="三率",
        rate_names=("响应率", "解决率", "满意率"),
        units=[f"社区{n}" for n in range(8)],
        rates=[(None, None, None)] * 8,
        trend_title="每周",
        weeks=["11-23"],
        received=[0],
    )
    figure = build_figure(data)
    labels = figure.axes[0].get_xticklabels()
    assert [label.get_rotation() for label in labels] == [30.0] * 8
    assert render_png(figure).startswith(b"\x89PNG")


def test_a_font_missing_from_matplotlibs_cache_is_added(
    font: Path, fresh_lookup: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = font_manager.fontManager
    without = [f for f in manager.ttflist if f.name not in charts.CJK_FAMILIES]
    monkeypatch.setattr(manager, "ttflist", without)
    monkeypatch.setattr(charts, "KNOWN_CJK_FONTS", (font,))
    assert find_cjk_font() == font
    assert any(f.name in charts.CJK_FAMILIES for f in manager.ttflist)  # added from the file


def test_no_cjk_font_names_the_package(
    fresh_lookup: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font Family",))
    monkeypatch.setattr(charts, "KNOWN_CJK_FONTS", ())
    with pytest.raises(ChartError, match="fonts-wqy-microhei"):
        find_cjk_font()
