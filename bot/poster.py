"""Printable QR posters: one per compound, linking residents straight to the bot, and one
per service station, opening the station's page.

The poster is an A5 page at about 212 dpi (1240 x 1748 px): a title band, where it is (the
community, or the station's area) and the compound's or station's name, a large QR code of
``https://t.me/<bot>?start=c_<code>`` (a station's: ``s_<code>``; error correction level H,
so a scuffed or partly covered print still scans), the link as text and a short instruction.
Text is drawn with an installed CJK font, found by :func:`find_cjk_font`.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from bot.i18n import N_
from bot.models import OrgUnit, Station

__all__ = [
    "KNOWN_CJK_FONTS",
    "POSTER_SIZE",
    "PosterError",
    "QrPlacement",
    "deep_link",
    "find_cjk_font",
    "font_face",
    "make_poster",
    "make_station_poster",
    "qr_image",
    "qr_placement",
    "station_link",
]

LOG = logging.getLogger(__name__)

POSTER_SIZE = (1240, 1748)
_DPI = 212  # 1240 px across 148 mm: prints as A5

# Files of common CJK font packages, best first.
KNOWN_CJK_FONTS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Debian fonts-wqy-zenhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # Debian fonts-noto-cjk
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),  # Arch noto-fonts-cjk
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),  # Fedora
    Path("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc"),  # Fedora
    Path("/System/Library/Fonts/PingFang.ttc"),  # macOS
    Path("/System/Library/Fonts/STHeiti Medium.ttc"),
    Path("C:/Windows/Fonts/msyh.ttc"),  # Windows: Microsoft YaHei
)

_TITLE = N_("Neighbourhood Pioneers service")
_TAGLINE = N_("Residents raise needs, party members take them on")
_INSTRUCTION = N_(
    "Scan the code with your phone camera or Telegram to raise a need with the "
    "Neighbourhood Pioneers service of your compound."
)

_STATION_TAGLINE = N_("Opening hours, activities and the service menu")
_STATION_INSTRUCTION = N_(
    "Scan the code with your phone camera or Telegram to see whether the station is open, "
    "its activities and the service menu of the party members' teams."
)

_RED = (200, 16, 46)
_INK = (30, 30, 30)
_GREY = (90, 90, 90)
_WHITE = (255, 255, 255)
_MARGIN = 90
_QR_BORDER = 4  # quiet zone, in modules
_QR_MAX_PX = 800
_QR_TOP = 560
_NO_LINE_START = frozenset({"Po", "Pe", "Pf"})  # Unicode categories of closing punctuation
# A quoted name (in “…”, 「…」, 『…』 or 《…》) is never broken across lines.
_QUOTES = {"“": "”", "「": "」", "『": "』", "《": "》"}


class PosterError(Exception):
    """The poster cannot be made (no font, a bad code ...); the message says what to do."""


def deep_link(bot_username: str, compound_code: str) -> str:
    """The ``t.me`` link that starts the bot with a compound preselected."""
    return f"https://t.me/{bot_username.lstrip('@')}?start=c_{compound_code}"


def station_link(bot_username: str, station_code: str) -> str:
    """The ``t.me`` link that opens a station's page in the bot."""
    return f"https://t.me/{bot_username.lstrip('@')}?start=s_{station_code}"


def find_cjk_font(candidates: Iterable[Path] = KNOWN_CJK_FONTS) -> Path | None:
    """An installed font file with Chinese glyphs, or None.

    Tries the known files of common font packages, then asks fontconfig
    (``fc-list :lang=zh file``) when it is installed.
    """
    for path in candidates:
        if path.is_file():
            return path
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        result = subprocess.run(
            [fc_list, ":lang=zh", "file"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        LOG.warning("fc-list failed: %s", exc)
        return None
    found = []
    for line in result.stdout.splitlines():
        path = Path(line.strip().rstrip(":").strip())
        if path.suffix.lower() in (".ttf", ".ttc", ".otf", ".otc") and path.is_file():
            found.append(path)
    # Prefer sans-serif faces for a poster; otherwise any, in a stable order.
    found.sort(key=lambda p: ("sans" not in p.name.lower() and "hei" not in p.name.lower(), p))
    return found[0] if found else None


@dataclass(frozen=True)
class QrPlacement:
    """Where the QR symbol sits on the poster: its top-left corner (quiet zone included),
    the side of one module in pixels and the number of modules across (quiet zone
    included)."""

    left: int
    top: int
    module_px: int
    modules: int

    @property
    def size(self) -> int:
        return self.module_px * self.modules


def qr_image(qr: segno.QRCode, border: int, module_px: int) -> Image.Image:
    """The QR symbol (with a quiet zone of ``border`` modules) as an RGB image, each module
    ``module_px`` pixels wide, scaled up without smoothing."""
    modules = int(qr.symbol_size(scale=1, border=border)[0])
    symbol = Image.new("L", (modules, modules), 255)
    symbol.putdata(
        [0 if dark else 255 for row in qr.matrix_iter(scale=1, border=border) for dark in row]
    )
    size = modules * module_px
    return symbol.resize((size, size), Image.Resampling.NEAREST).convert("RGB")


def qr_placement(qr: segno.QRCode) -> QrPlacement:
    """The QR code's place on the poster: centred, as large as fits in ``_QR_MAX_PX``."""
    modules = int(qr.symbol_size(scale=1, border=_QR_BORDER)[0])
    module_px = _QR_MAX_PX // modules
    if module_px < 8:
        raise PosterError("The link is too long for a QR code that scans from a wall.")
    size = module_px * modules
    return QrPlacement((POSTER_SIZE[0] - size) // 2, _QR_TOP, module_px, modules)


def make_poster(
    *,
    compound: OrgUnit,
    community: OrgUnit | None,
    bot_username: str,
    out: Path,
    t: Callable[[str], str],
    font: Path | None = None,
) -> Path:
    """Write the compound's QR poster as a PNG to ``out`` and return the path.

    ``t`` translates the poster's fixed text; ``font`` overrides :func:`find_cjk_font`.
    Raises :class:`PosterError` when no CJK font is installed.
    """
    return _poster(
        _Content(
            tagline=t(_TAGLINE),
            above=community.name if community is not None else None,
            name=compound.name,
            link=deep_link(_username(bot_username), compound.code),
            instruction=t(_INSTRUCTION),
            code=compound.code,
        ),
        out=out,
        t=t,
        font=font,
    )


def make_station_poster(
    *,
    station: Station,
    area: OrgUnit | None,
    bot_username: str,
    out: Path,
    t: Callable[[str], str],
    font: Path | None = None,
) -> Path:
    """Write a service station's QR poster (its page in the bot) as a PNG to ``out``."""
    return _poster(
        _Content(
            tagline=t(_STATION_TAGLINE),
            above=area.name if area is not None else None,
            name=station.name,
            link=station_link(_username(bot_username), station.code),
            instruction=t(_STATION_INSTRUCTION),
            code=station.code,
        ),
        out=out,
        t=t,
        font=font,
    )


def _username(bot_username: str) -> str:
    if not bot_username.lstrip("@"):
        raise PosterError("The bot username is empty: set it in the configuration.")
    return bot_username


@dataclass(frozen=True)
class _Content:
    """What one poster says, already in the reader's language."""

    tagline: str
    above: str | None  # the community (or the station's area), smaller, above the name
    name: str
    link: str
    instruction: str
    code: str  # for the log


def _poster(content: _Content, *, out: Path, t: Callable[[str], str], font: Path | None) -> Path:
    """Lay a poster out: title band, where, the name, the QR code, the link, the
    instruction."""
    font_path = font or find_cjk_font()
    if font_path is None:
        raise PosterError(
            "No Chinese font found: install fonts-wqy-microhei "
            "(apt-get install fonts-wqy-microhei)"
        )
    link = content.link
    qr = segno.make(link, error="h", micro=False, boost_error=False)
    place = qr_placement(qr)

    width, height = POSTER_SIZE
    image = Image.new("RGB", POSTER_SIZE, _WHITE)
    draw = ImageDraw.Draw(image)
    text_width = width - 2 * _MARGIN

    # Title band.
    draw.rectangle((0, 0, width, 170), fill=_RED)
    _centred(draw, t(_TITLE), font_face(font_path, 64), 85, text_width, _WHITE)
    _centred(draw, content.tagline, font_face(font_path, 36), 225, text_width, _GREY)

    # Where: the community, then the name, large.
    if content.above is not None:
        _centred(draw, content.above, font_face(font_path, 44), 310, text_width, _INK)
    name_font = _fit(font_path, content.name, 120, 64, text_width)
    _centred(draw, content.name, name_font, 440, text_width, _INK)

    image.paste(qr_image(qr, _QR_BORDER, place.module_px), (place.left, place.top))

    # The link and the instruction under it.
    y = place.top + place.size + 45
    _centred(draw, link, _fit(font_path, link, 34, 20, text_width), y, text_width, _INK)
    instruction_font = font_face(font_path, 40)
    y += 80
    for line in _wrap(draw, content.instruction, instruction_font, text_width):
        _centred(draw, line, instruction_font, y, text_width, _INK)
        y += 56

    draw.rectangle((0, height - 24, width, height), fill=_RED)
    if y > height - 40:
        LOG.warning("poster text for %s runs past the page", content.code)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, format="PNG", dpi=(_DPI, _DPI))
    LOG.info("wrote poster for %s to %s", content.code, out)
    return out


@lru_cache(maxsize=32)
def font_face(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The font at ``path`` in ``size`` px; in a collection, the Simplified Chinese face."""
    try:
        first = ImageFont.truetype(str(path), size, index=0)
    except OSError as exc:
        raise PosterError(f"Cannot read the font {path}: {exc}") from None
    if path.suffix.lower() not in (".ttc", ".otc"):
        return first
    # Noto CJK collections start with the Japanese face; prefer the SC one if present.
    for index in range(1, 10):
        try:
            face = ImageFont.truetype(str(path), size, index=index)
        except OSError:
            break
        family = face.getname()[0] or ""
        if family.endswith(" SC"):
            return face
    return first


def _fit(path: Path, text: str, largest: int, smallest: int, width: int) -> ImageFont.FreeTypeFont:
    """The largest font size from ``largest`` down to ``smallest`` at which ``text`` fits."""
    size = largest
    while size > smallest and font_face(path, size).getlength(text) > width:
        size -= 4
    return font_face(path, size)


def _centred(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont,
    y: int,
    width: int,
    fill: tuple[int, int, int],
) -> None:
    """Draw ``text`` centred horizontally with its vertical middle at ``y``."""
    x = _MARGIN + width // 2
    draw.text((x, y), text, font=font, fill=fill, anchor="mm")


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: at spaces between words, and
    between any two CJK characters, but never inside a quoted name (the service's name in
    “…”) unless it cannot fit on a line of its own."""
    tokens: list[str] = []
    word = ""
    closing: str | None = None  # inside a quotation: the mark that ends it
    for char in text:
        if closing is not None:
            tokens[-1] += char
            if char == closing:
                closing = None
        elif char in _QUOTES:
            if word:
                tokens.append(word)
            word = ""
            tokens.append(char)
            closing = _QUOTES[char]
        elif char.isspace():
            if word:
                tokens.append(word)
            tokens.append(" ")
            word = ""
        elif ord(char) > 0x2E7F:  # CJK and full-width: a break is allowed on either side
            if word:
                tokens.append(word)
            word = ""
            if tokens and unicodedata.category(char) in _NO_LINE_START:
                tokens[-1] += char  # a comma or full stop never starts a line
            else:
                tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)

    fitting: list[str] = []
    for token in tokens:  # a quotation too long for any line is broken after all
        too_long = len(token) > 1 and draw.textlength(token, font=font) > width
        fitting += list(token) if too_long and token[0] in _QUOTES else [token]
    lines: list[str] = []
    line = ""
    for token in fitting:
        candidate = line + token
        if line and draw.textlength(candidate.rstrip(), font=font) > width:
            lines.append(line.rstrip())
            line = "" if token == " " else token
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines
