"""The compound QR poster: size, the QR code's content, the font search."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image, ImageDraw, ImageFont

from bot import poster
from bot.models import Level, OrgUnit, Station
from bot.poster import (
    POSTER_SIZE,
    PosterError,
    QrPlacement,
    _wrap,
    deep_link,
    find_cjk_font,
    make_poster,
    make_station_poster,
    qr_placement,
    station_link,
)

COMPOUND = OrgUnit(
    id=14,
    code="XHHY",
    name="星荷豪苑",
    name_en="Xinghe Haoyuan",
    level=Level.COMPOUND,
    parent_id=6,
    path="/DZ/CX/BY/XHHY/",
)
COMMUNITY = OrgUnit(
    id=6, code="BY", name="伴月社区", level=Level.COMMUNITY, parent_id=3, path="/DZ/CX/BY/"
)
LINK = "https://t.me/gridbot_demo_bot?start=c_XHHY"

ZH = {
    "Neighbourhood Pioneers service": "邻里先锋服务",
    "Residents raise needs, party members take them on": "群众点单 · 党员接单",
}


def english(message: str) -> str:
    return message


ZH_INSTRUCTION = "用手机相机或 Telegram 扫描二维码，向本小区的“邻里先锋”服务反映诉求。"


def chinese(message: str) -> str:
    """A Chinese translator; the instruction twice over, to exercise line wrapping."""
    return ZH.get(message, ZH_INSTRUCTION * 2)


@pytest.fixture(scope="module")
def font() -> Path:
    found = find_cjk_font()
    if found is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    return found


def qr_modules_in(image: Image.Image, place: QrPlacement) -> list[list[bool]]:
    """Read the QR symbol back from the image: True where a module's centre is dark."""
    grey = image.convert("L")
    half = place.module_px // 2

    def dark(row: int, col: int) -> bool:
        x = place.left + col * place.module_px + half
        y = place.top + row * place.module_px + half
        value = grey.getpixel((x, y))
        assert isinstance(value, int)
        return value < 128

    return [[dark(row, col) for col in range(place.modules)] for row in range(place.modules)]


def matrix(link: str) -> list[list[bool]]:
    qr = segno.make(link, error="h", micro=False, boost_error=False)
    return [[bool(dark) for dark in row] for row in qr.matrix_iter(scale=1, border=4)]


def test_deep_link() -> None:
    assert deep_link("gridbot_demo_bot", "XHHY") == LINK
    assert deep_link("@gridbot_demo_bot", "XHHY") == LINK


@pytest.mark.parametrize("t", [english, chinese], ids=["en", "zh"])
def test_poster_is_written_with_the_deep_link_qr(tmp_path: Path, font: Path, t: Any) -> None:
    out = make_poster(
        compound=COMPOUND,
        community=COMMUNITY,
        bot_username="gridbot_demo_bot",
        out=tmp_path / "posters" / "xhhy.png",
        t=t,
    )

    assert out == tmp_path / "posters" / "xhhy.png"
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == POSTER_SIZE
        image.load()
    qr = segno.make(LINK, error="h", micro=False, boost_error=False)
    assert qr.error == "H"
    place = qr_placement(qr)
    # Big enough to scan from across a corridor, and on the page.
    assert place.module_px >= 10
    assert place.size >= POSTER_SIZE[0] // 2
    assert place.left >= 0 and place.left + place.size <= POSTER_SIZE[0]
    assert place.top + place.size <= POSTER_SIZE[1]

    read_back = qr_modules_in(image, place)

    assert read_back == matrix(LINK)
    # The comparison can tell links apart: another compound's code gives another symbol.
    other = matrix(deep_link("gridbot_demo_bot", "LMJ"))
    assert len(other) == len(read_back) and read_back != other


def test_a_stations_poster_opens_its_page(tmp_path: Path, font: Path) -> None:
    """The station's poster carries ``?start=s_<code>``: scanned, it opens the station's
    page in the bot (hours, open now, activities, the service menu)."""
    station = Station(id=3, code="S-XHHY", name="星荷豪苑先锋服务驿站", unit_id=14)
    link = station_link("@gridbot_demo_bot", "S-XHHY")
    assert link == "https://t.me/gridbot_demo_bot?start=s_S-XHHY"
    out = make_station_poster(
        station=station,
        area=COMPOUND,
        bot_username="gridbot_demo_bot",
        out=tmp_path / "station.png",
        t=chinese,
    )
    with Image.open(out) as image:
        image.load()
        assert image.size == POSTER_SIZE
    place = qr_placement(segno.make(link, error="h", micro=False, boost_error=False))
    read_back = qr_modules_in(image, place)
    assert read_back == matrix(link)
    assert read_back != matrix(deep_link("gridbot_demo_bot", "XHHY"))


def test_poster_for_a_compound_without_community(tmp_path: Path, font: Path) -> None:
    out = make_poster(
        compound=COMPOUND,
        community=None,
        bot_username="other_bot",
        out=tmp_path / "p.png",
        t=english,
    )

    with Image.open(out) as image:
        image.load()
    link = deep_link("other_bot", "XHHY")
    place = qr_placement(segno.make(link, error="h", micro=False, boost_error=False))
    assert qr_modules_in(image, place) == matrix(link)


def test_missing_font_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poster, "find_cjk_font", lambda: None)

    with pytest.raises(PosterError, match=r"No Chinese font found: install fonts-wqy-microhei"):
        make_poster(
            compound=COMPOUND,
            community=COMMUNITY,
            bot_username="gridbot_demo_bot",
            out=tmp_path / "p.png",
            t=english,
        )

    assert not (tmp_path / "p.png").exists()


def test_empty_bot_username_raises(tmp_path: Path, font: Path) -> None:
    with pytest.raises(PosterError, match="bot username is empty"):
        make_poster(
            compound=COMPOUND,
            community=COMMUNITY,
            bot_username="@",
            out=tmp_path / "p.png",
            t=english,
        )


def test_find_cjk_font_prefers_known_files(tmp_path: Path) -> None:
    present = tmp_path / "wqy-microhei.ttc"
    present.write_bytes(b"")

    assert find_cjk_font([tmp_path / "absent.ttc", present]) == present


def test_find_cjk_font_asks_fontconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serif = tmp_path / "NotoSerifCJK-Regular.ttc"
    sans = tmp_path / "NotoSansCJK-Regular.ttc"
    for path in (serif, sans):
        path.write_bytes(b"")
    listing = f"{serif}: \n{tmp_path / 'gone.ttf'}: \n{sans}: \n"
    calls: list[list[str]] = []

    def fake_run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, stdout=listing, stderr="")

    monkeypatch.setattr(poster.shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(poster.subprocess, "run", fake_run)

    assert find_cjk_font([tmp_path / "absent.ttc"]) == sans
    assert calls == [["/usr/bin/fc-list", ":lang=zh", "file"]]


def test_find_cjk_font_without_fontconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poster.shutil, "which", lambda name: None)

    assert find_cjk_font([tmp_path / "absent.ttc"]) is None


def test_a_quoted_name_is_never_broken_across_lines(font: Path) -> None:
    """At every width it fits in, “邻里先锋” stays whole on one line."""
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    face = ImageFont.truetype(str(font), 40)
    broken_before = []
    for width in range(250, 1000, 7):  # “邻里先锋” alone is about 240 px wide
        lines = _wrap(draw, ZH_INSTRUCTION, face, width)
        assert "".join(lines).replace(" ", "") == ZH_INSTRUCTION.replace(" ", "")
        for line in lines:
            assert ("“" in line) == ("”" in line), (width, lines)
            if "“" in line:
                assert "“邻里先锋”" in line
        broken_before.append(len(lines))
    assert max(broken_before) > 1  # the widths did make it wrap
